import { randomUUID } from 'node:crypto'
import type { Actor } from '../../../core/account/principal.js'
import { renderNotification } from '../../../core/constituency/constituency.js'
import {
  NotifyBody,
  type NotifyInput,
  type NotifyObservableInput,
} from '../../../core/constituency/constituency.schema.js'
import type { Db } from '../../store/store.js'
import { validateInput } from '../../validation.js'
import { recordAudit } from '../audit/audit.service.js'
import {
  findConstituentsByIds,
  findNotifications,
  insertNotification,
} from '../constituency/constituency.repository.js'
import {
  CONSTITUENCY_READ_ROLES,
  findOwners,
  NOTIFY_ROLES,
  requireInstanceRole,
} from '../constituency/constituency.service.js'
import type { NotificationRow } from '../constituency/constituency.table.js'
import type { Mailer } from './mailer.js'

/** What a notification run did: one record per owner, and the values nobody owns. */
export interface NotifyResult {
  readonly notifications: NotificationRow[]
  /** Observables no constituent owns (as given). */
  readonly unmatched: string[]
  /** Values that cannot have an owner: hashes, file names, text (as given). */
  readonly ignored: string[]
}

/** What the rendering needs beside the input. */
export interface NotifyContext {
  readonly mailer: Mailer
  readonly instanceName: string
  readonly now: () => Date
}

interface OwnerGroup {
  readonly constituentId: string
  readonly observables: { value: string; matched: string }[]
  readonly seen: Set<string>
}

function observableValue(o: NotifyObservableInput): { value: string; asn?: string | number } {
  return typeof o === 'string' ? { value: o } : o
}

/**
 * Notifies the owners of some observables: finds each value's owner in the constituency register
 * (most specific netblock, else the ASN given with it; an ASN; the most specific registered domain),
 * groups the values by owner, and sends each owner one mail (to all its abuse addresses) naming only
 * its own values — PGP/MIME-signed when the instance has a key, encrypted when the owner has one.
 * Every mail is recorded in `notifications` (sent or failed, with the reason) and audited. Handlers,
 * admins and coordinators of the instance organisation, or the CLI.
 *
 * @example
 * await notifyOwners(db, actor, { observables: ['198.51.100.7'], reference: 'LSN-8K2M4QZT' }, context)
 */
export async function notifyOwners(
  db: Db,
  actor: Actor,
  input: NotifyInput,
  context: NotifyContext,
): Promise<NotifyResult> {
  await requireInstanceRole(db, actor, NOTIFY_ROLES, 'send notifications to constituents')
  const valid = validateInput(NotifyBody, input)
  const groups = new Map<string, OwnerGroup>()
  const unmatched: string[] = []
  const ignored: string[] = []
  for (const item of valid.observables) {
    const { value, asn } = observableValue(item)
    const lookup = await findOwners(db, value, asn)
    if (lookup.normalised === null) {
      ignored.push(value)
      continue
    }
    if (lookup.owners.length === 0) {
      unmatched.push(value)
      continue
    }
    for (const owner of lookup.owners) {
      let group = groups.get(owner.constituentId)
      if (group === undefined) {
        group = { constituentId: owner.constituentId, observables: [], seen: new Set() }
        groups.set(owner.constituentId, group)
      }
      if (!group.seen.has(lookup.normalised)) {
        group.seen.add(lookup.normalised)
        group.observables.push({ value: lookup.normalised, matched: `${owner.kind} ${owner.matched}` })
      }
    }
  }

  const constituents = await findConstituentsByIds(db, [...groups.keys()])
  const reference = valid.reference ?? valid.incidentId ?? null
  const tlp = valid.tlp ?? 'TLP:AMBER'
  const notifications: NotificationRow[] = []
  for (const constituent of constituents.sort((a, b) => a.name_key.localeCompare(b.name_key))) {
    const group = groups.get(constituent.id)
    if (group === undefined) {
      continue
    }
    const recipients = JSON.parse(constituent.abuse_emails) as string[]
    const subject =
      valid.subject ??
      `[${tlp}] ${reference === null ? '' : `[${reference}] `}${context.instanceName}: ${group.observables.length} affected resource(s) in your constituency`
    const text = renderNotification({
      instanceName: context.instanceName,
      reportAddress: context.mailer.from,
      constituentName: constituent.name,
      reference,
      rsitClass: valid.rsitClass ?? null,
      message: valid.message ?? null,
      tlp,
      observables: group.observables,
    })
    let status: 'sent' | 'failed' = 'sent'
    let error: string | null = null
    let messageId: string | null = null
    let signed = false
    let encrypted = false
    try {
      const sent = await context.mailer.send({
        to: recipients,
        subject,
        text,
        ...(constituent.pgp_key === null ? {} : { encryptTo: constituent.pgp_key }),
      })
      messageId = sent.messageId
      signed = sent.signed
      encrypted = sent.encrypted
    } catch (failure) {
      status = 'failed'
      error = failure instanceof Error ? failure.message : String(failure)
    }
    const now = context.now()
    const row: NotificationRow = {
      id: randomUUID(),
      constituent_id: constituent.id,
      constituent_name: constituent.name,
      recipients: JSON.stringify(recipients),
      subject,
      body: text,
      observables: JSON.stringify(group.observables.map((o) => o.value)),
      incident_id: valid.incidentId ?? null,
      message_id: messageId,
      status,
      error,
      signed: signed ? 1 : 0,
      encrypted: encrypted ? 1 : 0,
      sent_by_user_id: actor.kind === 'user' ? actor.userId : null,
      created_at: now.toISOString(),
    }
    await db.transaction().execute(async (trx) => {
      await insertNotification(trx, row)
      await recordAudit(
        trx,
        actor,
        {
          action: status === 'sent' ? 'notification.sent' : 'notification.failed',
          targetType: 'notification',
          targetId: row.id,
          details: {
            constituentId: constituent.id,
            constituent: constituent.name,
            recipients,
            incidentId: row.incident_id,
            observables: group.observables.length,
            messageId,
            signed,
            encrypted,
            ...(error === null ? {} : { error }),
          },
        },
        now,
      )
    })
    notifications.push(row)
  }
  return { notifications, unmatched, ignored }
}

/** Recorded notifications, newest first (members of the instance organisation). */
export async function listNotifications(
  db: Db,
  actor: Actor,
  filter: { incidentId?: string; constituentId?: string; limit: number; offset: number },
): Promise<{ rows: NotificationRow[]; total: number }> {
  await requireInstanceRole(db, actor, CONSTITUENCY_READ_ROLES, 'read the notifications')
  return findNotifications(db, filter)
}

/**
 * The notifications recorded for one incident, newest first. No access check of its own: for the
 * incident module, which checked that the caller's organisation owns the incident and their role.
 */
export async function listNotificationsForIncident(
  db: Db,
  incidentId: string,
  page: { limit: number; offset: number },
): Promise<{ rows: NotificationRow[]; total: number }> {
  return findNotifications(db, { incidentId, ...page })
}
