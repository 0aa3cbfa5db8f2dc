import type { InstanceRef } from '../../../core/federation/provenance.js'
import { Provenance } from '../../../core/federation/provenance.js'
import type { Viewer } from '../../../core/trust/label.js'
import type { Db, Trx } from '../../store/store.js'
import { visibleLabelIds } from '../trust/trust.sql.js'
import type { StixDeletionTable, StixProvenanceTable } from './intel.table.js'

/** Rows inserted per statement. */
const CHUNK = 200

/** One stored version of an object: id, owner organisation, `modified` ('' for SCOs). */
export interface VersionKey {
  readonly id: string
  readonly ownerOrgId: string
  readonly modified: string
}

/** The text key of a {@link VersionKey}, for maps. */
export function versionKeyText(key: VersionKey): string {
  return `${key.id}\u0000${key.ownerOrgId}\u0000${key.modified}`
}

/** The provenance rows of stored versions that came from elsewhere (version kept once: the first). */
export async function recordProvenance(
  trx: Trx,
  entries: readonly { key: VersionKey; provenance: Provenance; peerId: string | null }[],
  at: string,
): Promise<void> {
  const unique = new Map<string, StixProvenanceTable>()
  for (const { key, provenance, peerId } of entries) {
    unique.set(versionKeyText(key), {
      id: key.id,
      modified: key.modified,
      owner_org_id: key.ownerOrgId,
      origin_instance_id: provenance.originInstance.id,
      origin_instance_name: provenance.originInstance.name,
      origin_org: provenance.originOrg,
      hops: JSON.stringify(provenance.hops.map((h) => ({ id: h.id, name: h.name }))),
      peer_id: peerId,
      received_at: at,
    })
  }
  const rows = [...unique.values()]
  for (let i = 0; i < rows.length; i += CHUNK) {
    await trx
      .insertInto('stix_provenance')
      .values(rows.slice(i, i + CHUNK))
      .onConflict((oc) => oc.columns(['id', 'owner_org_id', 'modified']).doNothing())
      .execute()
  }
}

/**
 * The provenance of stored versions: what was recorded when they arrived from elsewhere, else (made
 * here) this instance and the owner organisation. Keyed by {@link versionKeyText}.
 */
export async function findProvenance(
  db: Db | Trx,
  self: InstanceRef,
  keys: readonly VersionKey[],
): Promise<Map<string, Provenance>> {
  const out = new Map<string, Provenance>()
  if (keys.length === 0) {
    return out
  }
  const ids = [...new Set(keys.map((k) => k.id))]
  const recorded = new Map<string, Provenance>()
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows = await db
      .selectFrom('stix_provenance')
      .selectAll()
      .where('id', 'in', ids.slice(i, i + CHUNK))
      .execute()
    for (const row of rows) {
      recorded.set(versionKeyText({ id: row.id, ownerOrgId: row.owner_org_id, modified: row.modified }), {
        originInstance: { id: row.origin_instance_id, name: row.origin_instance_name },
        originOrg: row.origin_org,
        hops: parseHops(row.hops),
      })
    }
  }
  const owners = [...new Set(keys.map((k) => k.ownerOrgId))]
  const names = new Map<string, string>()
  for (let i = 0; i < owners.length; i += CHUNK) {
    const rows = await db
      .selectFrom('organisations')
      .select(['id', 'name'])
      .where('id', 'in', owners.slice(i, i + CHUNK))
      .execute()
    for (const row of rows) {
      names.set(row.id, row.name)
    }
  }
  for (const key of keys) {
    const text = versionKeyText(key)
    out.set(text, recorded.get(text) ?? Provenance.local(self, names.get(key.ownerOrgId) ?? key.ownerOrgId))
  }
  return out
}

function parseHops(json: string): readonly InstanceRef[] {
  const value: unknown = JSON.parse(json)
  // Written by recordProvenance only: read back through the same parser as provenance on the wire.
  return Provenance.parse({ origin_instance: { id: '-', name: '' }, origin_org: '', hops: value })?.hops ?? []
}

/** Type and label of some versions of one owner's copy of an object. */
export async function findVersionLabels(
  trx: Db | Trx,
  key: { id: string; ownerOrgId: string },
  modified: readonly string[],
): Promise<{ modified: string; type: string; label_id: string }[]> {
  if (modified.length === 0) {
    return []
  }
  return trx
    .selectFrom('stix_objects')
    .select(['modified', 'type', 'label_id'])
    .where('id', '=', key.id)
    .where('owner_org_id', '=', key.ownerOrgId)
    .where('modified', 'in', [...modified])
    .execute()
}

/** Deletes the provenance of some versions of one owner's copy of an object. */
export async function deleteProvenance(
  trx: Trx,
  key: { id: string; ownerOrgId: string },
  modified: readonly string[],
): Promise<void> {
  if (modified.length === 0) {
    return
  }
  await trx
    .deleteFrom('stix_provenance')
    .where('id', '=', key.id)
    .where('owner_org_id', '=', key.ownerOrgId)
    .where('modified', 'in', [...modified])
    .execute()
}

/** Records the deletion of some versions (tombstones), inside the deleting transaction. */
export async function recordDeletions(trx: Trx, rows: readonly StixDeletionTable[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    await trx
      .insertInto('stix_deletions')
      .values(rows.slice(i, i + CHUNK))
      .onConflict((oc) => oc.doNothing())
      .execute()
  }
}

/** Deletes the tombstones of deletions made before an instant; returns how many went. */
export async function deleteDeletionsBefore(trx: Trx, before: string): Promise<number> {
  const result = await trx.deleteFrom('stix_deletions').where('deleted_at', '<', before).executeTakeFirst()
  return Number(result.numDeletedRows)
}

/** A position in the tombstones: after the deletion of this version at this instant. */
export interface DeletionCursor {
  readonly deletedAt: string
  readonly id: string
  readonly ownerOrgId: string
  readonly modified: string
}

/**
 * Tombstones after a position, oldest first. With `viewer`, only those of versions whose label the
 * viewer may see (the visibility rule: who could see an object may learn of its deletion).
 */
export async function findDeletionsAfter(
  db: Db,
  after: DeletionCursor | null,
  limit: number,
  viewer: Viewer | null,
): Promise<StixDeletionTable[]> {
  let query = db.selectFrom('stix_deletions as d').selectAll('d')
  if (after !== null) {
    query = query.where((eb) =>
      eb(
        eb.refTuple('d.deleted_at', 'd.id', 'd.owner_org_id', 'd.modified'),
        '>',
        eb.tuple(after.deletedAt, after.id, after.ownerOrgId, after.modified),
      ),
    )
  }
  if (viewer !== null) {
    query = query.where('d.label_id', 'in', visibleLabelIds(db, viewer))
  }
  return query
    .orderBy('d.deleted_at')
    .orderBy('d.id')
    .orderBy('d.owner_org_id')
    .orderBy('d.modified')
    .limit(limit)
    .execute()
}
