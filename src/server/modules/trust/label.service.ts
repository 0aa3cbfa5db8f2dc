import type { Actor, UserPrincipal } from '../../../core/account/principal.js'
import { checkLabel, isDowngrade, normaliseLabel, type SharingLabel } from '../../../core/trust/label.js'
import type { LabelInput } from '../../../core/trust/label.schema.js'
import { badInput, LiaisonError } from '../../errors.js'
import type { Db, Trx } from '../../store/store.js'
import { recordAudit } from '../audit/audit.service.js'

/** Raises the first broken label rule as a 400 naming the field and the rule; all rules in details. */
export function assertValidLabel(label: SharingLabel, field = 'label'): void {
  const problems = checkLabel(label)
  const first = problems[0]
  if (first === undefined) {
    return
  }
  throw new LiaisonError(
    400,
    'validation_failed',
    `${field}.${first.field}: ${first.message} (rule ${first.rule})`,
    {
      field: `${field}.${first.field}`,
      rule: first.rule,
      problems: problems.map((p) => ({ field: `${field}.${p.field}`, rule: p.rule, message: p.message })),
    },
  )
}

/**
 * Turns a client's label into a checked sharing label owned by the caller's organisation: the TLP
 * rules hold, every sharing group exists and includes (or is owned by) the caller's organisation,
 * and every named recipient is an active user.
 */
export async function labelFromInput(
  db: Db | Trx,
  principal: Pick<UserPrincipal, 'orgId' | 'groupIds'>,
  input: LabelInput,
  field = 'label',
): Promise<SharingLabel> {
  const label = normaliseLabel({
    ownerOrg: principal.orgId,
    tlp: input.tlp,
    pap: input.pap ?? 'clear',
    audience: input.audience,
    sharingGroups: input.sharingGroups ?? [],
    recipients: input.recipients ?? [],
  })
  assertValidLabel(label, field)
  if (label.sharingGroups.length > 0) {
    const groups = await db
      .selectFrom('sharing_groups')
      .select(['id', 'owner_org_id'])
      .where('id', 'in', label.sharingGroups)
      .execute()
    for (const groupId of label.sharingGroups) {
      const group = groups.find((g) => g.id === groupId)
      // A group the caller's organisation is not in is answered like a missing one.
      if (
        group === undefined ||
        (group.owner_org_id !== principal.orgId && !principal.groupIds.includes(groupId))
      ) {
        throw badInput(`${field}.sharingGroups`, `sharing group ${groupId} not found`)
      }
    }
  }
  if (label.recipients.length > 0) {
    const users = await db
      .selectFrom('users')
      .select(['id', 'org_id'])
      .where('id', 'in', label.recipients)
      .where('disabled', '=', 0)
      .execute()
    const missing = label.recipients.find((id) => !users.some((u) => u.id === id))
    if (missing !== undefined) {
      throw badInput(`${field}.recipients`, `user ${missing} not found`)
    }
    // TLP:RED never leaves this instance: a user of an organisation that stands for a peer (its
    // TAXII client) is no named individual here, and would never see it.
    const peers = await db
      .selectFrom('federation_peers')
      .select('org_id')
      .where('org_id', 'in', [...new Set(users.map((u) => u.org_id))])
      .execute()
    const peerUser = users.find((u) => peers.some((p) => p.org_id === u.org_id))
    if (peerUser !== undefined) {
      throw new LiaisonError(
        400,
        'validation_failed',
        `${field}.recipients: user ${peerUser.id} belongs to an organisation that stands for a federation peer; TLP:RED never leaves this instance (rule red-is-for-named-recipients-only)`,
        { field: `${field}.recipients`, rule: 'red-is-for-named-recipients-only' },
      )
    }
  }
  return label
}

/**
 * Records a label change in the audit log. A downgrade (more people may see it, or do more with it)
 * needs a reason and is its own audited action, `label.downgraded`, with who, when, from, to and why.
 */
export async function auditLabelChange(
  trx: Trx,
  actor: Actor,
  target: { type: string; id: string },
  from: SharingLabel,
  to: SharingLabel,
  reason: string | undefined,
  now: Date,
): Promise<void> {
  const downgrade = isDowngrade(from, to)
  const why = reason?.trim() ?? ''
  if (downgrade && why === '') {
    throw badInput('reason', 'a downgrade (more people may see it, or do more with it) needs a reason')
  }
  await recordAudit(
    trx,
    actor,
    {
      action: downgrade ? 'label.downgraded' : 'label.changed',
      targetType: target.type,
      targetId: target.id,
      details: { from, to, ...(why === '' ? {} : { reason: why }) },
    },
    now,
  )
}
