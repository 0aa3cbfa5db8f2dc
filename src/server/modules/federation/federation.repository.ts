import { sql } from 'kysely'
import type { ReceiptFilter } from '../../../core/federation/federation.schema.js'
import type { InstanceRef, Provenance } from '../../../core/federation/provenance.js'
import type { Viewer } from '../../../core/trust/label.js'
import type { Db, Trx } from '../../store/store.js'
import { StoredInstant } from '../../../core/intel/instant.js'
import type { DeletionCursor, VersionKey } from '../intel/intel.provenance.js'
import type { StixObjectRow } from '../intel/intel.table.js'
import { visibleLabelIds } from '../trust/trust.sql.js'
import type {
  FederationPeerRow,
  FederationPeerTable,
  FederationPullCursorRow,
  FederationPullCursorTable,
  FederationReceiptRow,
  FederationReceiptTable,
} from './federation.table.js'

const instanceIds = new WeakMap<Db, string>()

/** This instance's stable id (made by the migration), read once per store handle. */
export async function findInstanceId(db: Db): Promise<string> {
  const known = instanceIds.get(db)
  if (known !== undefined) {
    return known
  }
  const row = await db
    .selectFrom('instance_identity')
    .select('id')
    .orderBy('created_at')
    .executeTakeFirstOrThrow()
  instanceIds.set(db, row.id)
  return row.id
}

/** Inserts a peer. */
export async function insertPeer(trx: Trx, row: FederationPeerTable): Promise<void> {
  await trx.insertInto('federation_peers').values(row).execute()
}

/** Changes a peer's row. */
export async function updatePeerRow(
  db: Db | Trx,
  id: string,
  change: Partial<FederationPeerTable>,
): Promise<void> {
  await db.updateTable('federation_peers').set(change).where('id', '=', id).execute()
}

/** Deletes a peer with its cursors and receipts. */
export async function deletePeerRows(trx: Trx, id: string): Promise<void> {
  await trx.deleteFrom('federation_receipts').where('peer_id', '=', id).execute()
  await trx.deleteFrom('federation_pull_cursors').where('source_key', '=', id).execute()
  await trx.deleteFrom('federation_peers').where('id', '=', id).execute()
}

/** One peer by id. */
export async function findPeerById(db: Db | Trx, id: string): Promise<FederationPeerRow | undefined> {
  return db.selectFrom('federation_peers').selectAll().where('id', '=', id).executeTakeFirst()
}

/** One peer by name (any case). */
export async function findPeerByName(db: Db | Trx, name: string): Promise<FederationPeerRow | undefined> {
  return db
    .selectFrom('federation_peers')
    .selectAll()
    .where('name_key', '=', name.trim().toLowerCase())
    .executeTakeFirst()
}

/** The peer an organisation stands for, if any. */
export async function findPeerByOrg(db: Db | Trx, orgId: string): Promise<FederationPeerRow | undefined> {
  return db.selectFrom('federation_peers').selectAll().where('org_id', '=', orgId).executeTakeFirst()
}

/**
 * Where objects a user of `orgId` sends in come from, when that organisation stands for a peer (its
 * TAXII client posting): that peer's instance (the id learnt from it at sync, else `peer:<peer id>`
 * as a pull records it), so they are recorded as received, never pushed back to it, and never
 * passed on when TLP:AMBER+STRICT. Undefined for an organisation of this instance.
 */
export async function peerProvenanceOf(
  db: Db | Trx,
  orgId: string,
): Promise<{ fallback: Provenance; peerId: string } | undefined> {
  const row = await db
    .selectFrom('federation_peers as p')
    .innerJoin('organisations as o', 'o.id', 'p.org_id')
    .select(['p.id', 'p.name', 'p.remote_instance_id', 'p.remote_instance_name', 'o.name as org_name'])
    .where('p.org_id', '=', orgId)
    .executeTakeFirst()
  if (row === undefined) {
    return undefined
  }
  const remote: InstanceRef =
    row.remote_instance_id === null
      ? { id: `peer:${row.id}`, name: row.name }
      : { id: row.remote_instance_id, name: row.remote_instance_name ?? row.name }
  return { fallback: { originInstance: remote, originOrg: row.org_name, hops: [remote] }, peerId: row.id }
}

/** True when the organisation stands for a federated peer instance (it is then outside the community). */
export async function isPeerOrganisation(db: Db | Trx, orgId: string): Promise<boolean> {
  const row = await db
    .selectFrom('federation_peers')
    .select('id')
    .where('org_id', '=', orgId)
    .executeTakeFirst()
  return row !== undefined
}

/** Every peer, by name. */
export async function findPeers(db: Db): Promise<FederationPeerRow[]> {
  return db.selectFrom('federation_peers').selectAll().orderBy('name_key').execute()
}

/**
 * Claims a peer for one sync until `until`, unless another process holds an unexpired claim; true
 * when the claim is this caller's.
 */
export async function claimPeer(
  db: Db,
  id: string,
  owner: string,
  now: string,
  until: string,
): Promise<boolean> {
  const result = await db
    .updateTable('federation_peers')
    .set({ lease_owner: owner, lease_until: until })
    .where('id', '=', id)
    .where((eb) =>
      eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now), eb('lease_owner', '=', owner)]),
    )
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** Gives up a claim on a peer. */
export async function releasePeer(db: Db, id: string, owner: string): Promise<void> {
  await db
    .updateTable('federation_peers')
    .set({ lease_owner: null, lease_until: null })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .execute()
}

/** How far a pull of one collection has got. */
export async function findPullCursor(
  db: Db | Trx,
  sourceKey: string,
  collection: string,
): Promise<FederationPullCursorRow | undefined> {
  return db
    .selectFrom('federation_pull_cursors')
    .selectAll()
    .where('source_key', '=', sourceKey)
    .where('collection', '=', collection)
    .executeTakeFirst()
}

/** The pull cursors of a source (a peer). */
export async function findPullCursors(db: Db, sourceKey: string): Promise<FederationPullCursorRow[]> {
  return db.selectFrom('federation_pull_cursors').selectAll().where('source_key', '=', sourceKey).execute()
}

/** Stores a pull cursor (inside the transaction that stored the page it follows). */
export async function savePullCursor(trx: Trx, row: FederationPullCursorTable): Promise<void> {
  await trx
    .insertInto('federation_pull_cursors')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['source_key', 'collection']).doUpdateSet({
        added_after: row.added_after,
        next: row.next,
        deletions_after: row.deletions_after,
        pages: row.pages,
        objects: row.objects,
        updated_at: row.updated_at,
      }),
    )
    .execute()
}

/** Forgets the pull cursors of a source (a pull from the start). */
export async function deletePullCursors(db: Db, sourceKey: string, collection?: string): Promise<void> {
  let query = db.deleteFrom('federation_pull_cursors').where('source_key', '=', sourceKey)
  if (collection !== undefined) {
    query = query.where('collection', '=', collection)
  }
  await query.execute()
}

/** Rows per statement. */
const CHUNK = 200

/**
 * A receipt for one stored object version (`sent`, no rule or reason yet), at `stamp`: what push and
 * serve start from.
 */
export function versionReceipt(
  peerId: string,
  direction: 'push' | 'serve',
  row: Pick<StixObjectRow, 'id' | 'modified' | 'owner_org_id' | 'label_id' | 'type'>,
  stamp: string,
): FederationReceiptTable {
  return {
    peer_id: peerId,
    direction,
    action: 'object',
    object_id: row.id,
    version: row.modified,
    owner_org_id: row.owner_org_id,
    label_id: row.label_id,
    object_type: row.type,
    status: 'sent',
    rule: null,
    reason: null,
    status_id: null,
    created_at: stamp,
    updated_at: stamp,
  }
}

/** The key of one version in what {@link findDeliveredVersions} answers. */
export function deliveredKey(id: string, ownerOrgId: string, modified: string): string {
  return `${id}\u0000${ownerOrgId}\u0000${modified}`
}

/** Records receipts; one that exists (same peer, direction, action, version, owner) is updated. */
export async function upsertReceipts(trx: Trx | Db, rows: readonly FederationReceiptTable[]): Promise<void> {
  const unique = new Map<string, FederationReceiptTable>()
  for (const row of rows) {
    unique.set(
      [row.peer_id, row.direction, row.action, row.object_id, row.version, row.owner_org_id].join('\u0000'),
      row,
    )
  }
  const all = [...unique.values()]
  for (let i = 0; i < all.length; i += CHUNK) {
    await trx
      .insertInto('federation_receipts')
      .values(all.slice(i, i + CHUNK))
      .onConflict((oc) =>
        oc
          .columns(['peer_id', 'direction', 'action', 'object_id', 'version', 'owner_org_id'])
          .doUpdateSet((eb) => ({
            status: eb.ref('excluded.status'),
            rule: eb.ref('excluded.rule'),
            reason: eb.ref('excluded.reason'),
            status_id: eb.ref('excluded.status_id'),
            label_id: eb.ref('excluded.label_id'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
      )
      .execute()
  }
}

/**
 * Deletes settled receipts (accepted, rejected, filtered) last updated before an instant; pushed
 * receipts still `sent` wait for the peer's verdict and stay (a peer's read of this instance, `serve`,
 * has no verdict to wait for). An object version a peer accepted stays too: it is the record of what
 * the peer holds, which the push of its deletion reads (`findDeliveredVersions`). Returns how many
 * went.
 */
export async function deleteSettledReceiptsBefore(db: Db | Trx, before: string): Promise<number> {
  const result = await db
    .deleteFrom('federation_receipts')
    .where((eb) => eb.or([eb('status', '!=', 'sent'), eb('direction', '=', 'serve')]))
    .where((eb) =>
      eb.not(
        eb.and([eb('direction', '=', 'push'), eb('action', '=', 'object'), eb('status', '=', 'accepted')]),
      ),
    )
    .where('updated_at', '<', before)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

/** TAXII status ids of a peer's receipts still `sent` (waiting for the peer's verdict), oldest first. */
export async function findPendingStatusIds(db: Db, peerId: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('federation_receipts')
    .select('status_id')
    .where('peer_id', '=', peerId)
    .where('status', '=', 'sent')
    .where('status_id', 'is not', null)
    .groupBy('status_id')
    .orderBy(sql`min(updated_at)`)
    .limit(limit)
    .execute()
  return rows.flatMap((r) => (r.status_id === null ? [] : [r.status_id]))
}

/** The receipts a TAXII status resource is about. */
export async function findReceiptsOfStatus(
  db: Db,
  peerId: string,
  statusId: string,
): Promise<FederationReceiptRow[]> {
  return db
    .selectFrom('federation_receipts')
    .selectAll()
    .where('peer_id', '=', peerId)
    .where('status_id', '=', statusId)
    .execute()
}

/** Of some versions, those a peer has been sent (or has accepted): only their deletions go to it. */
export async function findDeliveredVersions(
  db: Db,
  peerId: string,
  keys: readonly VersionKey[],
): Promise<Set<string>> {
  const out = new Set<string>()
  const ids = [...new Set(keys.map((k) => k.id))]
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows = await db
      .selectFrom('federation_receipts')
      .select(['object_id', 'version', 'owner_org_id'])
      .where('peer_id', '=', peerId)
      .where('direction', '=', 'push')
      .where('action', '=', 'object')
      .where('status', 'in', ['sent', 'accepted'])
      .where('object_id', 'in', ids.slice(i, i + CHUNK))
      .execute()
    for (const row of rows) {
      out.add(deliveredKey(row.object_id, row.owner_org_id, row.version))
    }
  }
  return out
}

function visibleReceipts(db: Db, viewer: Viewer, filter: Omit<ReceiptFilter, 'limit' | 'offset'>) {
  let query = db.selectFrom('federation_receipts as r').where('r.label_id', 'in', visibleLabelIds(db, viewer))
  if (filter.peerId !== undefined) {
    query = query.where('r.peer_id', '=', filter.peerId)
  }
  if (filter.direction !== undefined) {
    query = query.where('r.direction', '=', filter.direction)
  }
  if (filter.status !== undefined) {
    query = query.where('r.status', '=', filter.status)
  }
  if (filter.action !== undefined) {
    query = query.where('r.action', '=', filter.action)
  }
  if (filter.objectId !== undefined) {
    query = query.where('r.object_id', '=', filter.objectId)
  }
  return query
}

/**
 * Receipts of items `viewer` may see (the visibility rule, on the label each receipt keeps), newest
 * first, with how many match in all.
 */
export async function findVisibleReceipts(
  db: Db,
  viewer: Viewer,
  filter: ReceiptFilter,
): Promise<{ rows: FederationReceiptRow[]; total: number }> {
  const [rows, count] = await Promise.all([
    visibleReceipts(db, viewer, filter)
      .selectAll('r')
      .orderBy('r.updated_at', 'desc')
      .orderBy('r.object_id')
      .orderBy('r.version')
      .orderBy('r.owner_org_id')
      .orderBy('r.direction')
      .orderBy('r.action')
      .limit(filter.limit ?? 100)
      .offset(filter.offset ?? 0)
      .execute(),
    visibleReceipts(db, viewer, filter)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
  ])
  return { rows, total: Number(count.n) }
}

/** Counts of receipts by peer and status, of items `viewer` may see (null: every item, for operators). */
export async function countVisibleReceipts(
  db: Db,
  viewer: Viewer | null,
): Promise<Map<string, Record<'sent' | 'accepted' | 'rejected' | 'filtered', number>>> {
  let query = db
    .selectFrom('federation_receipts as r')
    .select(['r.peer_id', 'r.status', (eb) => eb.fn.countAll<number>().as('n')])
  if (viewer !== null) {
    query = query.where('r.label_id', 'in', visibleLabelIds(db, viewer))
  }
  const rows = await query.groupBy(['r.peer_id', 'r.status']).execute()
  const out = new Map<string, Record<'sent' | 'accepted' | 'rejected' | 'filtered', number>>()
  for (const row of rows) {
    const counts = out.get(row.peer_id) ?? { sent: 0, accepted: 0, rejected: 0, filtered: 0 }
    if (
      row.status === 'sent' ||
      row.status === 'accepted' ||
      row.status === 'rejected' ||
      row.status === 'filtered'
    ) {
      counts[row.status] = Number(row.n)
    }
    out.set(row.peer_id, counts)
  }
  return out
}

/**
 * Counts of one peer's receipts written since an instant, by direction, action and status, of items
 * `viewer` may see: what a sync did, as that viewer may know it.
 */
export async function countReceiptsSince(
  db: Db,
  viewer: Viewer,
  peerId: string,
  since: string,
): Promise<{ direction: string; action: string; status: string; n: number }[]> {
  const rows = await db
    .selectFrom('federation_receipts as r')
    .select(['r.direction', 'r.action', 'r.status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('r.peer_id', '=', peerId)
    .where('r.updated_at', '>=', since)
    .where('r.label_id', 'in', visibleLabelIds(db, viewer))
    .groupBy(['r.direction', 'r.action', 'r.status'])
    .execute()
  return rows.map((r) => ({ ...r, n: Number(r.n) }))
}

/** A position among local object versions: (date added, id, owner, modified), the TAXII order. */
export interface AddedCursor {
  readonly addedAt: string
  readonly id: string
  readonly ownerOrgId: string
  readonly modified: string
}

/**
 * The push cursor a peer row holds (JSON), or null. One written before instants had microseconds
 * holds a millisecond instant: it is read in today's format, so it still compares with stored ones.
 */
export function readAddedCursor(json: string | null | undefined): AddedCursor | null {
  if (json === null || json === undefined) {
    return null
  }
  const cursor = JSON.parse(json) as AddedCursor
  return { ...cursor, addedAt: StoredInstant.normalize(cursor.addedAt) }
}

/** The deletion cursor a peer row holds (JSON), or null; read as {@link readAddedCursor} reads. */
export function readDeletionCursor(json: string | null | undefined): DeletionCursor | null {
  if (json === null || json === undefined) {
    return null
  }
  const cursor = JSON.parse(json) as DeletionCursor
  return { ...cursor, deletedAt: StoredInstant.normalize(cursor.deletedAt) }
}

/** Local object versions after a position, in (date added, id, owner, modified) order: every label. */
export async function findVersionsAfter(
  db: Db,
  after: AddedCursor | null,
  limit: number,
): Promise<
  Pick<
    StixObjectRow,
    | 'id'
    | 'modified'
    | 'owner_org_id'
    | 'type'
    | 'created'
    | 'label_id'
    | 'json'
    | 'added_at'
    | 'valid_until'
    | 'revoked'
  >[]
> {
  let query = db
    .selectFrom('stix_objects as s')
    .select([
      's.id',
      's.modified',
      's.owner_org_id',
      's.type',
      's.created',
      's.label_id',
      's.json',
      's.added_at',
      's.valid_until',
      's.revoked',
    ])
  if (after !== null) {
    query = query.where((eb) =>
      eb(
        eb.refTuple('s.added_at', 's.id', 's.owner_org_id', 's.modified'),
        '>',
        eb.tuple(after.addedAt, after.id, after.ownerOrgId, after.modified),
      ),
    )
  }
  return query
    .orderBy('s.added_at')
    .orderBy('s.id')
    .orderBy('s.owner_org_id')
    .orderBy('s.modified')
    .limit(limit)
    .execute()
}

/**
 * When the oldest local version after a position was added (null: none waiting); with `viewer`, the
 * oldest of those the viewer may see.
 */
export async function findFirstAddedAfter(
  db: Db,
  after: AddedCursor | null,
  viewer: Viewer | null,
): Promise<string | null> {
  let query = db.selectFrom('stix_objects as s').select('s.added_at')
  if (after !== null) {
    query = query.where((eb) =>
      eb(
        eb.refTuple('s.added_at', 's.id', 's.owner_org_id', 's.modified'),
        '>',
        eb.tuple(after.addedAt, after.id, after.ownerOrgId, after.modified),
      ),
    )
  }
  if (viewer !== null) {
    query = query.where('s.label_id', 'in', visibleLabelIds(db, viewer))
  }
  const row = await query
    .orderBy('s.added_at')
    .orderBy('s.id')
    .orderBy('s.owner_org_id')
    .orderBy('s.modified')
    .limit(1)
    .executeTakeFirst()
  return row?.added_at ?? null
}
