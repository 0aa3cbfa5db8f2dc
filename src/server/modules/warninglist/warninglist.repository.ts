import type { Db, Trx } from '../../store/store.js'
import type { WarninglistEntryRow, WarninglistRow } from './warninglist.table.js'

/** Rows per multi-row INSERT: 8 columns, well under SQLite's and PostgreSQL's parameter limits. */
const INSERT_CHUNK = 500
/** Keys per look-up query. */
const KEY_CHUNK = 500

/** Every warninglist, by name. */
export async function findWarninglists(db: Db): Promise<WarninglistRow[]> {
  return db.selectFrom('warninglists').selectAll().orderBy('name_key').execute()
}

/** The enabled warninglists (few rows: what a matcher starts from). */
export async function findEnabledWarninglists(db: Db): Promise<WarninglistRow[]> {
  return db.selectFrom('warninglists').selectAll().where('enabled', '=', 1).orderBy('id').execute()
}

/** One warninglist by id. */
export async function findWarninglistById(db: Db | Trx, id: string): Promise<WarninglistRow | undefined> {
  return db.selectFrom('warninglists').selectAll().where('id', '=', id).executeTakeFirst()
}

/** One warninglist by its lower-cased name. */
export async function findWarninglistByNameKey(
  db: Db | Trx,
  nameKey: string,
): Promise<WarninglistRow | undefined> {
  return db.selectFrom('warninglists').selectAll().where('name_key', '=', nameKey).executeTakeFirst()
}

/** Inserts a warninglist row. */
export async function insertWarninglist(trx: Trx, row: WarninglistRow): Promise<void> {
  await trx.insertInto('warninglists').values(row).execute()
}

/** Changes a warninglist row. */
export async function updateWarninglistRow(
  trx: Trx,
  id: string,
  change: Partial<WarninglistRow>,
): Promise<void> {
  await trx.updateTable('warninglists').set(change).where('id', '=', id).execute()
}

/** Deletes a warninglist and its entries. */
export async function deleteWarninglistRow(trx: Trx, id: string): Promise<void> {
  await trx.deleteFrom('warninglist_entries').where('warninglist_id', '=', id).execute()
  await trx.deleteFrom('warninglists').where('id', '=', id).execute()
}

/** Replaces every entry of a list. */
export async function replaceWarninglistEntries(
  trx: Trx,
  id: string,
  rows: readonly WarninglistEntryRow[],
): Promise<void> {
  await trx.deleteFrom('warninglist_entries').where('warninglist_id', '=', id).execute()
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    await trx
      .insertInto('warninglist_entries')
      .values(rows.slice(i, i + INSERT_CHUNK))
      .execute()
  }
}

/** Distinct prefix lengths of the `net` entries of some lists, per IP kind. */
export async function findNetworkPrefixes(
  db: Db,
  listIds: readonly string[],
): Promise<{ kind: string | null; prefix: number | null }[]> {
  if (listIds.length === 0) {
    return []
  }
  return db
    .selectFrom('warninglist_entries')
    .select(['kind', 'prefix'])
    .distinct()
    .where('warninglist_id', 'in', [...listIds])
    .where('match', '=', 'net')
    .execute()
}

/** The `substring` entries of some lists. */
export async function findSubstringEntries(
  db: Db,
  listIds: readonly string[],
): Promise<Pick<WarninglistEntryRow, 'warninglist_id' | 'key' | 'value'>[]> {
  if (listIds.length === 0) {
    return []
  }
  return db
    .selectFrom('warninglist_entries')
    .select(['warninglist_id', 'key', 'value'])
    .where('warninglist_id', 'in', [...listIds])
    .where('match', '=', 'substring')
    .execute()
}

/** Every keyed entry (`key`, `host`, `net`) of some lists: for an in-memory index. */
export async function findKeyedEntries(
  db: Db,
  listIds: readonly string[],
): Promise<Pick<WarninglistEntryRow, 'warninglist_id' | 'match' | 'key' | 'value'>[]> {
  if (listIds.length === 0) {
    return []
  }
  return db
    .selectFrom('warninglist_entries')
    .select(['warninglist_id', 'match', 'key', 'value'])
    .where('warninglist_id', 'in', [...listIds])
    .where('match', '<>', 'substring')
    .execute()
}

/** The keyed entries of some lists under any of the keys, in queries of {@link KEY_CHUNK} keys. */
export async function findEntriesByKeys(
  db: Db,
  listIds: readonly string[],
  keys: readonly string[],
): Promise<Pick<WarninglistEntryRow, 'warninglist_id' | 'match' | 'key' | 'value'>[]> {
  if (listIds.length === 0 || keys.length === 0) {
    return []
  }
  const out: Pick<WarninglistEntryRow, 'warninglist_id' | 'match' | 'key' | 'value'>[] = []
  for (let i = 0; i < keys.length; i += KEY_CHUNK) {
    const rows = await db
      .selectFrom('warninglist_entries')
      .select(['warninglist_id', 'match', 'key', 'value'])
      .where('key', 'in', keys.slice(i, i + KEY_CHUNK))
      .where('warninglist_id', 'in', [...listIds])
      .where('match', '<>', 'substring')
      .execute()
    out.push(...rows)
  }
  return out
}
