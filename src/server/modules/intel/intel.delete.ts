import { compareStixTimestamps, type StixObject } from '../../../core/stix/stix.js'
import { rawSqliteOf, type Db } from '../../store/store.js'
import { recordAudit, type AuditActor } from '../audit/audit.service.js'
import { indexRowsOf } from './intel.prepare.js'
import { deleteProvenance, findVersionLabels, recordDeletions } from './intel.provenance.js'
import {
  claimIntelInstant,
  deleteStixVersions,
  findOwnVersions,
  replaceIndex,
  setLatestVersions,
} from './intel.repository.js'

/** Which versions of which owner's copy of an object to delete. */
export interface OwnVersionsKey {
  /** STIX id of the object. */
  readonly id: string
  /** Organisation whose copy it is: only it deletes its copies. */
  readonly ownerOrgId: string
  /** The `modified` strings of the versions ('' for objects without one). */
  readonly modified: readonly string[]
}

/**
 * Deletes versions of an organisation's own copy of an object, in one transaction with its audit
 * entry (`intel.deleted`): the newest remaining version becomes the latest and the observable index
 * and references follow it; none left, they go too. Returns how many versions went. The caller checks
 * that `actor` acts for the owner organisation.
 */
export async function deleteOwnVersions(
  db: Db,
  actor: AuditActor,
  key: OwnVersionsKey,
  now = new Date(),
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    // First: the instant of the tombstones, in commit order (federation pages through them by it).
    const at = await claimIntelInstant(trx, now)
    const owner = { id: key.id, ownerOrgId: key.ownerOrgId }
    const going = await findVersionLabels(trx, owner, key.modified)
    const removed = await deleteStixVersions(trx, owner, key.modified)
    if (removed === 0) {
      return 0
    }
    // Tombstones (with the label each version had) let federation pass the deletion on to the peers
    // that received the versions; provenance goes with the versions.
    await recordDeletions(
      trx,
      going.map((v) => ({
        deleted_at: at,
        id: key.id,
        owner_org_id: key.ownerOrgId,
        modified: v.modified,
        type: v.type,
        label_id: v.label_id,
      })),
    )
    await deleteProvenance(trx, owner, key.modified)
    const remaining = await findOwnVersions(trx, owner)
    let latest: (typeof remaining)[number] | null = null
    for (const version of remaining) {
      if (latest === null || compareStixTimestamps(version.modified, latest.modified) > 0) {
        latest = version
      }
    }
    // On SQLite the index rows go in through the writing connection's prepared statements (the
    // PostgreSQL path is not SQL SQLite reads).
    const sqlite = rawSqliteOf(db)
    if (latest === null) {
      await replaceIndex(trx, key.ownerOrgId, [key.id], [], [], sqlite)
    } else if (latest.is_latest !== 1) {
      await setLatestVersions(trx, key.ownerOrgId, new Map([[key.id, latest.modified]]))
      const { observables, refs } = indexRowsOf([JSON.parse(latest.json) as StixObject], key.ownerOrgId)
      await replaceIndex(trx, key.ownerOrgId, [key.id], observables, refs, sqlite)
    }
    await recordAudit(
      trx,
      actor,
      {
        action: 'intel.deleted',
        targetType: 'stix_object',
        targetId: key.id,
        details: { ownerOrgId: key.ownerOrgId, versions: [...key.modified], removed },
      },
      now,
    )
    return removed
  })
}
