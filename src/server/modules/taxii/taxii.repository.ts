import type { Db, Trx } from '../../store/store.js'
import type {
  TaxiiCollectionRow,
  TaxiiCollectionTable,
  TaxiiStatusPartTable,
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

/** Inserts a status resource. */
export async function insertStatus(db: Db, row: TaxiiStatusTable): Promise<void> {
  await db.insertInto('taxii_statuses').values(row).execute()
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
 * Records one processed part of a POST: its outcomes, and the counts of the status (complete when
 * nothing is pending any more), in one transaction.
 */
export async function recordStatusPart(
  db: Db,
  part: TaxiiStatusPartTable,
  progress: { successes: number; failures: number; pending: number; at: string },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
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
  })
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
