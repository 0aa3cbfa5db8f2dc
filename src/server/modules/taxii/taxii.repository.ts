import type { Db, Trx } from '../../store/store.js'
import type {
  TaxiiCollectionRow,
  TaxiiCollectionTable,
  TaxiiStatusPartTable,
  TaxiiStatusPayloadRow,
  TaxiiStatusPayloadTable,
  TaxiiStatusRow,
  TaxiiStatusTable,
} from './taxii.table.js'

/**
 * The collections of an API root that hold instance-wide audiences, plus those of the given sharing
 * groups, in a stable order (by key).
 */
export async function findCollectionsOfRoot(
  db: Db,
  apiRoot: string,
  groupIds: readonly string[],
): Promise<TaxiiCollectionRow[]> {
  return db
    .selectFrom('taxii_collections')
    .selectAll()
    .where('api_root', '=', apiRoot)
    .where((eb) =>
      groupIds.length === 0
        ? eb('sharing_group_id', 'is', null)
        : eb.or([eb('sharing_group_id', 'is', null), eb('sharing_group_id', 'in', [...groupIds])]),
    )
    .orderBy('key')
    .execute()
}

/** One collection of an API root by id or alias. */
export async function findCollectionByIdOrAlias(
  db: Db,
  apiRoot: string,
  idOrAlias: string,
): Promise<TaxiiCollectionRow | undefined> {
  return db
    .selectFrom('taxii_collections')
    .selectAll()
    .where('api_root', '=', apiRoot)
    .where((eb) => eb.or([eb('id', '=', idOrAlias), eb('alias', '=', idOrAlias)]))
    .executeTakeFirst()
}

/** The sharing groups (of those given) that already have a collection in an API root. */
export async function findGroupsWithCollections(
  db: Db,
  apiRoot: string,
  groupIds: readonly string[],
): Promise<string[]> {
  if (groupIds.length === 0) {
    return []
  }
  const rows = await db
    .selectFrom('taxii_collections')
    .select('sharing_group_id')
    .where('api_root', '=', apiRoot)
    .where('sharing_group_id', 'in', [...groupIds])
    .execute()
  return rows.flatMap((r) => (r.sharing_group_id === null ? [] : [r.sharing_group_id]))
}

/** Inserts collections; one that exists already (same key or alias) is left as it is. */
export async function insertCollections(db: Db, rows: readonly TaxiiCollectionTable[]): Promise<void> {
  if (rows.length === 0) {
    return
  }
  await db
    .insertInto('taxii_collections')
    .values([...rows])
    .onConflict((oc) => oc.doNothing())
    .execute()
}

/** Sets which roles may read and write a collection. */
export async function updateCollectionRoles(
  trx: Trx,
  id: string,
  roles: { read_roles: string; write_roles: string },
): Promise<void> {
  await trx.updateTable('taxii_collections').set(roles).where('id', '=', id).execute()
}

/**
 * Inserts a status resource with the objects of its POST, in one transaction: once it commits, the
 * POST survives a restart.
 */
export async function insertStatusWithPayload(
  db: Db,
  row: TaxiiStatusTable,
  payload: TaxiiStatusPayloadTable,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('taxii_statuses').values(row).execute()
    await trx.insertInto('taxii_status_payloads').values(payload).execute()
  })
}

/** One status resource by id. */
export async function findStatusById(db: Db, id: string): Promise<TaxiiStatusRow | undefined> {
  return db.selectFrom('taxii_statuses').selectAll().where('id', '=', id).executeTakeFirst()
}

/** The outcome parts of a status, in processing order. */
export async function findStatusParts(
  db: Db,
  statusId: string,
): Promise<Pick<TaxiiStatusPartTable, 'successes' | 'failures'>[]> {
  return db
    .selectFrom('taxii_status_parts')
    .select(['successes', 'failures'])
    .where('status_id', '=', statusId)
    .orderBy('part')
    .execute()
}

/**
 * Records one processed part of a POST inside the caller's transaction (the one that stored the
 * part's objects): its outcomes, and the counts of the status; the part that leaves nothing pending
 * completes the status and deletes its payload. Renews the lease of `owner` on the way; false (and
 * nothing written) when the status is not `owner`'s any more: the caller must roll back.
 */
export async function recordStatusPart(
  trx: Trx,
  part: TaxiiStatusPartTable,
  progress: { successes: number; failures: number; pending: number; at: string },
  owner: string,
): Promise<boolean> {
  if (!(await renewClaim(trx, part.status_id, owner, progress.at))) {
    return false
  }
  // The primary key (status, part) also refuses a part recorded twice, whatever the leases say.
  await trx.insertInto('taxii_status_parts').values(part).execute()
  const complete = progress.pending === 0
  await trx
    .updateTable('taxii_statuses')
    .set((eb) => ({
      success_count: eb('success_count', '+', progress.successes),
      failure_count: eb('failure_count', '+', progress.failures),
      pending_count: progress.pending,
      updated_at: progress.at,
      ...(complete ? { status: 'complete', object_keys: '[]' } : {}),
    }))
    .where('id', '=', part.status_id)
    .execute()
  if (complete) {
    await trx.deleteFrom('taxii_status_payloads').where('status_id', '=', part.status_id).execute()
  }
  return true
}

/** How many parts of a status are recorded (the next part's number). */
export async function countStatusParts(db: Db, statusId: string): Promise<number> {
  const row = await db
    .selectFrom('taxii_status_parts')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status_id', '=', statusId)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** The payload of a status still being stored; undefined once complete (or for a status older than payloads). */
export async function findPayload(db: Db, statusId: string): Promise<TaxiiStatusPayloadRow | undefined> {
  return db
    .selectFrom('taxii_status_payloads')
    .selectAll()
    .where('status_id', '=', statusId)
    .executeTakeFirst()
}

/** True when a status still has its payload (it will be resumed, never reported interrupted). */
export async function hasPayload(db: Db, statusId: string): Promise<boolean> {
  const row = await db
    .selectFrom('taxii_status_payloads')
    .select('status_id')
    .where('status_id', '=', statusId)
    .executeTakeFirst()
  return row !== undefined
}

/**
 * Statuses whose payload no process holds: never claimed, given up, or claimed before `staleBefore`
 * (the process stopped), oldest first, with how many objects each still has pending.
 */
export async function findClaimablePayloads(
  db: Db,
  staleBefore: string,
  limit: number,
): Promise<{ status_id: string; pending_count: number }[]> {
  return db
    .selectFrom('taxii_status_payloads as p')
    .innerJoin('taxii_statuses as s', 's.id', 'p.status_id')
    .select(['p.status_id', 's.pending_count'])
    .where((eb) => eb.or([eb('p.claimed_at', 'is', null), eb('p.claimed_at', '<', staleBefore)]))
    .orderBy('p.created_at')
    .orderBy('p.status_id')
    .limit(limit)
    .execute()
}

/**
 * Claims a payload for `owner` unless another process holds a claim renewed at or after
 * `staleBefore`; true when the claim is now `owner`'s. One conditional UPDATE: of two processes
 * claiming at once, one wins (PostgreSQL re-checks the condition after the first commits).
 */
export async function claimPayload(
  db: Db,
  statusId: string,
  owner: string,
  at: string,
  staleBefore: string,
): Promise<boolean> {
  const result = await db
    .updateTable('taxii_status_payloads')
    .set({ claimed_by: owner, claimed_at: at })
    .where('status_id', '=', statusId)
    .where((eb) => eb.or([eb('claimed_at', 'is', null), eb('claimed_at', '<', staleBefore)]))
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** Renews `owner`'s claim on one payload; false when it is not `owner`'s (any more). */
async function renewClaim(trx: Trx, statusId: string, owner: string, at: string): Promise<boolean> {
  const result = await trx
    .updateTable('taxii_status_payloads')
    .set({ claimed_at: at })
    .where('status_id', '=', statusId)
    .where('claimed_by', '=', owner)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** Renews `owner`'s claims on the given payloads (those it still works on). */
export async function renewClaims(
  db: Db,
  owner: string,
  statusIds: readonly string[],
  at: string,
): Promise<void> {
  for (let start = 0; start < statusIds.length; start += 500) {
    await db
      .updateTable('taxii_status_payloads')
      .set({ claimed_at: at })
      .where('claimed_by', '=', owner)
      .where('status_id', 'in', statusIds.slice(start, start + 500))
      .execute()
  }
}

/** Gives up every claim of `owner`, so that the next process to look resumes the work at once. */
export async function releaseClaims(db: Db, owner: string): Promise<void> {
  await db
    .updateTable('taxii_status_payloads')
    .set({ claimed_by: null, claimed_at: null })
    .where('claimed_by', '=', owner)
    .execute()
}

/**
 * Notes, in the transaction that stored a four-eyes POST, the import it became (JSON); false (and
 * nothing written) when the status is not `owner`'s any more: the caller must roll back.
 */
export async function recordHeldImport(
  trx: Trx,
  statusId: string,
  owner: string,
  heldImport: string,
  at: string,
): Promise<boolean> {
  const result = await trx
    .updateTable('taxii_status_payloads')
    .set({ held_import: heldImport, claimed_at: at })
    .where('status_id', '=', statusId)
    .where('claimed_by', '=', owner)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** Deletes the complete status resources created before an instant (their parts go with them). */
export async function deleteStatusesBefore(db: Db, before: string): Promise<void> {
  const old = db
    .selectFrom('taxii_statuses')
    .select('id')
    .where('created_at', '<', before)
    .where('status', '=', 'complete')
  await db.deleteFrom('taxii_status_parts').where('status_id', 'in', old).execute()
  await db
    .deleteFrom('taxii_statuses')
    .where('created_at', '<', before)
    .where('status', '=', 'complete')
    .execute()
}
