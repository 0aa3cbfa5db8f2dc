import { randomUUID } from 'node:crypto'
import { Actor, type UserPrincipal } from '../../../core/account/principal.js'
import type {
  CreatePeerInput,
  PeerCredentials,
  PullLabel,
  ReceiptFilter,
  SyncSummary,
  UpdatePeerInput,
} from '../../../core/federation/federation.schema.js'
import type { InstanceRef } from '../../../core/federation/provenance.js'
import { StoredInstant } from '../../../core/intel/instant.js'
import { normaliseLabel, type SharingLabel, type Viewer } from '../../../core/trust/label.js'
import type { Config } from '../../config.js'
import { badInput, conflict, forbidden, notFound } from '../../errors.js'
import type { Db, Trx } from '../../store/store.js'
import { recordAudit } from '../audit/audit.service.js'
import { findGroupIdsOfOrg } from '../group/group.repository.js'
import { deleteDeletionsBefore, findDeletionsAfter, type DeletionCursor } from '../intel/intel.provenance.js'
import type { StixObjectRow } from '../intel/intel.table.js'
import { findOrganisationById } from '../org/org.repository.js'
import { assertValidLabel } from '../trust/label.service.js'
import { loadSecretKey, sealCredentials } from './federation.credentials.js'
import {
  countReceiptsSince,
  countVisibleReceipts,
  deletePeerRows,
  deleteSettledReceiptsBefore,
  findFirstAddedAfter,
  findInstanceId,
  findPeerById,
  findPeerByName,
  findPeerByOrg,
  findPeers,
  findPullCursors,
  findVisibleReceipts,
  insertPeer,
  readAddedCursor,
  updatePeerRow,
  upsertReceipts,
  versionReceipt,
} from './federation.repository.js'
import type { FederationPeerRow, FederationReceiptRow } from './federation.table.js'

/** Seconds between scheduled syncs of a new peer. */
export const DEFAULT_INTERVAL_SECONDS = 300
/** Objects per page a new peer pulls and pushes. */
export const DEFAULT_PAGE_SIZE = 500
/** The label pulled objects get unless the peer says otherwise: TLP:GREEN for this community. */
export const DEFAULT_PULL_LABEL: PullLabel = {
  tlp: 'green',
  pap: 'clear',
  audience: 'community',
  sharingGroups: [],
}

/** This instance as its peers know it: its stable id and its name. */
export async function thisInstance(db: Db, config: Pick<Config, 'instanceName'>): Promise<InstanceRef> {
  return { id: await findInstanceId(db), name: config.instanceName }
}

function assertManages(actor: Actor): void {
  if (!Actor.managesInstance(actor)) {
    throw forbidden('only instance admins manage federation peers')
  }
}

/** A peer's pull label, checked as a sharing label owned by the peer's organisation. */
export function pullLabelOf(row: Pick<FederationPeerRow, 'pull_label' | 'org_id'>): SharingLabel {
  const setting = JSON.parse(row.pull_label) as PullLabel
  return normaliseLabel({
    ownerOrg: row.org_id,
    tlp: setting.tlp,
    pap: setting.pap,
    audience: setting.audience,
    sharingGroups: setting.sharingGroups,
    recipients: [],
  })
}

async function checkedPullLabel(
  db: Db,
  orgId: string,
  input: CreatePeerInput['pullLabel'],
  base: PullLabel,
): Promise<PullLabel> {
  const setting: PullLabel = {
    tlp: input?.tlp ?? base.tlp,
    pap: input?.pap ?? base.pap,
    audience: input?.audience ?? base.audience,
    sharingGroups: input?.sharingGroups ?? (input?.audience === undefined ? base.sharingGroups : []),
  }
  assertValidLabel({ ownerOrg: orgId, ...setting, recipients: [] }, 'pullLabel')
  if (setting.sharingGroups.length > 0) {
    const groups = new Set(await findGroupIdsOfOrg(db, orgId))
    const missing = setting.sharingGroups.find((g) => !groups.has(g))
    if (missing !== undefined) {
      throw badInput('pullLabel.sharingGroups', `the peer's organisation is not in sharing group ${missing}`)
    }
  }
  return setting
}

/**
 * Adds a peer (instance admins and CLI operators; audited as `federation.peer_created`). Its
 * organisation must exist, must not be this instance's own, and stands for one peer only. Credentials
 * are sealed with the instance secret key and never returned.
 */
export async function createPeer(
  db: Db,
  actor: Actor,
  config: Pick<Config, 'secretKey' | 'dataDir'>,
  input: CreatePeerInput,
  now = new Date(),
): Promise<FederationPeerRow> {
  assertManages(actor)
  const name = input.name.trim()
  if (name === '') {
    throw badInput('name', 'must not be empty')
  }
  if ((await findPeerByName(db, name)) !== undefined) {
    throw conflict('name', `a peer named ${name} exists`)
  }
  const org = await findOrganisationById(db, input.orgId)
  if (org === undefined) {
    throw badInput('orgId', `organisation ${input.orgId} not found`)
  }
  if (org.is_instance_owner === 1) {
    throw badInput('orgId', "this instance's own organisation cannot stand for a peer")
  }
  if ((await findPeerByOrg(db, org.id)) !== undefined) {
    throw conflict('orgId', `organisation ${org.name} already stands for a peer`)
  }
  const pullLabel = await checkedPullLabel(db, org.id, input.pullLabel, DEFAULT_PULL_LABEL)
  const id = randomUUID()
  const at = now.toISOString()
  const row: FederationPeerRow = {
    id,
    name,
    name_key: name.toLowerCase(),
    url: input.url,
    api_root_url: null,
    org_id: org.id,
    pull_collections: JSON.stringify(input.pullCollections ?? []),
    push_collection: input.pushCollection ?? null,
    pull_label: JSON.stringify(pullLabel),
    page_size: input.pageSize ?? DEFAULT_PAGE_SIZE,
    interval_seconds: input.intervalSeconds ?? DEFAULT_INTERVAL_SECONDS,
    enabled: input.enabled === false ? 0 : 1,
    credentials: sealed(input.credentials, config, id),
    remote_instance_id: null,
    remote_instance_name: null,
    push_cursor: null,
    deletion_cursor: null,
    last_sync_at: null,
    last_success_at: null,
    last_error: null,
    last_error_at: null,
    lease_owner: null,
    lease_until: null,
    created_at: at,
    updated_at: at,
  }
  await db.transaction().execute(async (trx) => {
    await insertPeer(trx, row)
    await recordAudit(
      trx,
      actor,
      {
        action: 'federation.peer_created',
        targetType: 'federation_peer',
        targetId: id,
        details: { name, url: input.url, orgId: org.id, credentials: input.credentials?.kind ?? 'none' },
      },
      now,
    )
  })
  return row
}

function sealed(
  credentials: PeerCredentials | undefined,
  config: Pick<Config, 'secretKey' | 'dataDir'>,
  peerId: string,
): string | null {
  if (credentials === undefined || credentials.kind === 'none') {
    return null
  }
  return sealCredentials(credentials, loadSecretKey(config), peerId)
}

/** Changes a peer (instance admins and CLI operators; audited, credentials never in the log). */
export async function updatePeer(
  db: Db,
  actor: Actor,
  config: Pick<Config, 'secretKey' | 'dataDir'>,
  id: string,
  input: UpdatePeerInput,
  now = new Date(),
): Promise<FederationPeerRow> {
  assertManages(actor)
  const row = await findPeerById(db, id)
  if (row === undefined) {
    throw notFound('peer', id)
  }
  const change: Partial<FederationPeerRow> = { updated_at: now.toISOString() }
  if (input.name !== undefined && input.name.trim().toLowerCase() !== row.name_key) {
    const name = input.name.trim()
    if ((await findPeerByName(db, name)) !== undefined) {
      throw conflict('name', `a peer named ${name} exists`)
    }
    change.name = name
    change.name_key = name.toLowerCase()
  }
  if (input.url !== undefined && input.url !== row.url) {
    change.url = input.url
    change.api_root_url = null
  }
  if (input.pullCollections !== undefined) {
    change.pull_collections = JSON.stringify(input.pullCollections)
  }
  if (input.pushCollection !== undefined && input.pushCollection !== row.push_collection) {
    change.push_collection = input.pushCollection
    // Another collection is another destination: every object is sent to it from the start.
    change.push_cursor = null
  }
  if (input.pullLabel !== undefined) {
    const current = JSON.parse(row.pull_label) as PullLabel
    change.pull_label = JSON.stringify(await checkedPullLabel(db, row.org_id, input.pullLabel, current))
  }
  if (input.intervalSeconds !== undefined) {
    change.interval_seconds = input.intervalSeconds
  }
  if (input.pageSize !== undefined) {
    change.page_size = input.pageSize
  }
  if (input.enabled !== undefined) {
    change.enabled = input.enabled ? 1 : 0
  }
  if (input.credentials !== undefined) {
    change.credentials = sealed(input.credentials, config, id)
  }
  await db.transaction().execute(async (trx) => {
    await updatePeerRow(trx, id, change)
    const { credentials: _secret, ...details } = input
    await recordAudit(
      trx,
      actor,
      {
        action: 'federation.peer_changed',
        targetType: 'federation_peer',
        targetId: id,
        details: {
          ...details,
          ...(input.credentials === undefined ? {} : { credentials: input.credentials.kind }),
        },
      },
      now,
    )
  })
  return { ...row, ...change }
}

/** Removes a peer with its cursors and receipts (what it sent stays, owned by its organisation). */
export async function deletePeer(db: Db, actor: Actor, id: string, now = new Date()): Promise<void> {
  assertManages(actor)
  const row = await findPeerById(db, id)
  if (row === undefined) {
    throw notFound('peer', id)
  }
  await db.transaction().execute(async (trx) => {
    await deletePeerRows(trx, id)
    await recordAudit(
      trx,
      actor,
      {
        action: 'federation.peer_deleted',
        targetType: 'federation_peer',
        targetId: id,
        details: { name: row.name },
      },
      now,
    )
  })
}

/** A peer by id or name (CLI). */
export async function resolvePeer(db: Db, ref: string): Promise<FederationPeerRow> {
  const row = (await findPeerById(db, ref)) ?? (await findPeerByName(db, ref))
  if (row === undefined) {
    throw notFound('peer', ref)
  }
  return row
}

/** A peer with what the API shows beside its row: its organisation's name, lag and receipt counts. */
export interface PeerView {
  readonly row: FederationPeerRow
  readonly orgName: string
  readonly pushLagSeconds: number | null
  readonly pullLagSeconds: number | null
  readonly receipts: Record<'sent' | 'accepted' | 'rejected' | 'filtered', number>
}

/**
 * Every peer with its lag and the counts of its receipts, as `viewer` may know them: counts and push
 * lag go through the visibility rule like the receipts and objects themselves (null: every item, for
 * CLI operators). Any signed-in user may list peers; credentials never leave.
 */
export async function listPeers(db: Db, viewer: Viewer | null, now = new Date()): Promise<PeerView[]> {
  const rows = await findPeers(db)
  const counts = await countVisibleReceipts(db, viewer)
  const views: PeerView[] = []
  for (const row of rows) {
    views.push(await viewOf(db, viewer, row, counts.get(row.id), now))
  }
  return views
}

/** One peer as {@link listPeers} shows it. */
export async function getPeer(
  db: Db,
  viewer: Viewer | null,
  id: string,
  now = new Date(),
): Promise<PeerView> {
  const row = await findPeerById(db, id)
  if (row === undefined) {
    throw notFound('peer', id)
  }
  const counts = await countVisibleReceipts(db, viewer)
  return viewOf(db, viewer, row, counts.get(row.id), now)
}

async function viewOf(
  db: Db,
  viewer: Viewer | null,
  row: FederationPeerRow,
  counts: PeerView['receipts'] | undefined,
  now: Date,
): Promise<PeerView> {
  const org = await findOrganisationById(db, row.org_id)
  let pushLagSeconds: number | null = null
  if (row.push_collection !== null) {
    const cursor = readAddedCursor(row.push_cursor)
    const waiting = await findFirstAddedAfter(db, cursor, viewer)
    pushLagSeconds = waiting === null ? null : Math.max(0, (now.getTime() - Date.parse(waiting)) / 1000)
  }
  let pullLagSeconds: number | null = null
  const collections = JSON.parse(row.pull_collections) as string[]
  if (collections.length > 0) {
    const cursors = await findPullCursors(db, row.id)
    const oldest = collections
      .map((c) => cursors.find((k) => k.collection === c)?.updated_at ?? null)
      .reduce<string | null | undefined>(
        (min, at) => (min === undefined ? at : min === null || at === null ? null : at < min ? at : min),
        undefined,
      )
    pullLagSeconds =
      oldest === null || oldest === undefined
        ? null
        : Math.max(0, (now.getTime() - Date.parse(oldest)) / 1000)
  }
  return {
    row,
    orgName: org?.name ?? row.org_id,
    pushLagSeconds,
    pullLagSeconds,
    receipts: counts ?? { sent: 0, accepted: 0, rejected: 0, filtered: 0 },
  }
}

/**
 * What a sync since `since` did, as `viewer` may know it: the receipts it wrote for items the viewer
 * may see, counted (a count of the rest would tell of items the viewer may not see).
 */
export async function visibleSyncSummary(
  db: Db,
  viewer: Viewer,
  peerId: string,
  since: string,
  error: string | null,
): Promise<SyncSummary> {
  const summary: SyncSummary = {
    peerId,
    pulled: { accepted: 0, rejected: 0, deleted: 0 },
    pushed: { considered: 0, sent: 0, accepted: 0, rejected: 0, filtered: 0, deleted: 0 },
    error,
  }
  for (const { direction, action, status, n } of await countReceiptsSince(db, viewer, peerId, since)) {
    if (direction === 'serve') {
      // What the peer read from this instance meanwhile is no part of what the sync did.
      continue
    }
    if (direction === 'pull') {
      if (action === 'delete') {
        summary.pulled.deleted += n
      } else if (status === 'accepted' || status === 'rejected') {
        summary.pulled[status] += n
      }
      continue
    }
    if (action === 'delete') {
      summary.pushed.deleted += n
      continue
    }
    summary.pushed.considered += n
    if (status !== 'filtered') {
      summary.pushed.sent += n
    }
    if (status === 'accepted' || status === 'rejected' || status === 'filtered') {
      summary.pushed[status] += n
    }
  }
  return summary
}

/**
 * Receipts for what a peer read from this instance's TAXII server (objects of a collection, or one
 * object): `serve`, `sent`, one per object version, when the caller is the organisation that stands
 * for a peer (its TAXII client). Reads by anyone else leave none. Read again, a version's receipt is
 * brought up to date.
 */
export async function recordServedToPeer(
  db: Db,
  principal: UserPrincipal,
  collection: { readonly id: string; readonly title: string },
  rows: readonly Pick<StixObjectRow, 'id' | 'modified' | 'owner_org_id' | 'label_id' | 'type'>[],
  at: Date,
): Promise<void> {
  if (!principal.peer || rows.length === 0) {
    return
  }
  const peer = await findPeerByOrg(db, principal.orgId)
  if (peer === undefined) {
    return
  }
  const stamp = at.toISOString()
  await upsertReceipts(
    db,
    rows.map((row) => ({
      ...versionReceipt(peer.id, 'serve', row, stamp),
      reason: `read by the peer from TAXII collection ${collection.title} (${collection.id})`,
    })),
  )
}

/** Receipts of items the caller may see, newest first (the visibility rule on each item's label). */
export async function listReceipts(
  db: Db,
  principal: UserPrincipal,
  filter: ReceiptFilter,
): Promise<{ rows: FederationReceiptRow[]; total: number }> {
  return findVisibleReceipts(db, principal, filter)
}

/** The opaque position of the deletion feed (base64url of a JSON list). */
export const DeletionFeedCursor = {
  encode(cursor: DeletionCursor): string {
    return Buffer.from(
      JSON.stringify([cursor.deletedAt, cursor.id, cursor.ownerOrgId, cursor.modified]),
      'utf8',
    ).toString('base64url')
  },
  decode(text: string): DeletionCursor | null {
    try {
      const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'))
      if (Array.isArray(value) && value.length === 4 && value.every((v) => typeof v === 'string')) {
        const [deletedAt, id, ownerOrgId, modified] = value as [string, string, string, string]
        // A position given out before instants had microseconds holds a millisecond one.
        return { deletedAt: StoredInstant.normalize(deletedAt), id, ownerOrgId, modified }
      }
    } catch {
      return null
    }
    return null
  },
}

/**
 * The deletion feed: versions deleted on this instance that the caller could see (the visibility
 * rule on the label each had), oldest first. Liaison peers read it to delete what they got from
 * here; TAXII itself has no such feed.
 */
export async function listDeletions(
  db: Db,
  principal: UserPrincipal,
  after: string | undefined,
  limit: number,
): Promise<{
  items: { id: string; version: string; type: string; deletedAt: string }[]
  next: string | null
}> {
  const cursor = after === undefined ? null : DeletionFeedCursor.decode(after)
  if (after !== undefined && cursor === null) {
    throw badInput('after', 'is not a position this feed gave out')
  }
  const rows = await findDeletionsAfter(db, cursor, limit, principal)
  const last = rows[rows.length - 1]
  return {
    items: rows.map((r) => ({ id: r.id, version: r.modified, type: r.type, deletedAt: r.deleted_at })),
    next:
      last === undefined
        ? (after ?? null)
        : DeletionFeedCursor.encode({
            deletedAt: last.deleted_at,
            id: last.id,
            ownerOrgId: last.owner_org_id,
            modified: last.modified,
          }),
  }
}

/**
 * Deletes the tombstones of deletions made more than `retentionDays` ago (pushes and the deletion
 * feed pass deletions on from them; a peer that has not synced since misses those), audited as
 * `intel.tombstones_pruned` when any went. The scheduler of `liaison serve` runs it every hour
 * (`LIAISON_FEDERATION_TOMBSTONE_DAYS`).
 */
export async function pruneTombstones(db: Db, retentionDays: number, now = new Date()): Promise<number> {
  return pruneAudited(db, retentionDays, now, deleteDeletionsBefore, {
    action: 'intel.tombstones_pruned',
    targetType: 'stix_deletions',
    beforeDetail: 'deletedBefore',
  })
}

/**
 * Deletes the delivery receipts settled (accepted, rejected, filtered) more than `retentionDays`
 * ago, audited as `federation.receipts_pruned` when any went; receipts still `sent` stay. The
 * scheduler of `liaison serve` runs it every hour (`LIAISON_FEDERATION_RECEIPT_DAYS`).
 */
export async function pruneReceipts(db: Db, retentionDays: number, now = new Date()): Promise<number> {
  return pruneAudited(db, retentionDays, now, deleteSettledReceiptsBefore, {
    action: 'federation.receipts_pruned',
    targetType: 'federation_receipts',
    beforeDetail: 'settledBefore',
  })
}

/**
 * Deletes what `remove` deletes of before `retentionDays` ago, in one transaction with its audit
 * entry (by the system, with the count and the limit) when anything went; returns how many went.
 */
async function pruneAudited(
  db: Db,
  retentionDays: number,
  now: Date,
  remove: (trx: Trx, before: string) => Promise<number>,
  audit: { action: string; targetType: string; beforeDetail: string },
): Promise<number> {
  const before = new Date(now.getTime() - retentionDays * 24 * 3600_000).toISOString()
  return db.transaction().execute(async (trx) => {
    const deleted = await remove(trx, before)
    if (deleted > 0) {
      await recordAudit(
        trx,
        { kind: 'system' },
        {
          action: audit.action,
          targetType: audit.targetType,
          targetId: null,
          details: { deleted, [audit.beforeDetail]: before, retentionDays },
        },
        now,
      )
    }
    return deleted
  })
}
