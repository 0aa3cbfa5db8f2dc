import { sql, SqliteAdapter, type Kysely } from 'kysely'

/**
 * What SQLite's planner is told about `stix_objects`, per index: rows in all, then rows per value of
 * each leading part of the index, for a nominal store of a million object versions. SQLite keeps no
 * statistics unless ANALYZE runs, and without them it takes every index's first column to match ten
 * rows: `is_latest` (two values) then looks as selective as `id`, and a look-up of an object by id
 * joined through the (is_latest, type, label) index, walking every latest object. Stated here, the
 * planner knows an id matches a version or two, `is_latest` half the store and a label many
 * objects. (SQLite's "manual control of query plans using sqlite_stat tables".)
 */
export const STIX_OBJECT_STATISTICS: readonly (readonly [string, string])[] = [
  ['sqlite_autoindex_stix_objects_1', '1000000 2 1 1'],
  ['stix_objects_latest_type_idx', '1000000 500000 20000 10000'],
  ['stix_objects_label_idx', '1000000 50000'],
  ['stix_objects_added_key_idx', '1000000 1000 1 1 1'],
]

/**
 * On SQLite, states {@link STIX_OBJECT_STATISTICS} when any of those indexes has none: on a new
 * store, after a migration that rebuilt one (dropping an index drops its statistics), or after an
 * ANALYZE of an empty store (which leaves none). Measured statistics of every one of them (an
 * ANALYZE of a store that holds objects) are left as they are. Runs after every migration run.
 */
export async function stateSqliteStatistics<DB>(db: Kysely<DB>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) {
    return
  }
  const table = await sql<{ n: number }>`
    select count(*) as n from sqlite_schema where type = 'table' and name = 'sqlite_stat1'
  `.execute(db)
  if (Number(table.rows[0]?.n ?? 0) > 0) {
    const held = await sql<{ idx: string | null }>`
      select idx from sqlite_stat1 where tbl = 'stix_objects'
    `.execute(db)
    const indexes = new Set(held.rows.map((r) => r.idx))
    if (STIX_OBJECT_STATISTICS.every(([index]) => indexes.has(index))) {
      return
    }
  } else {
    // Creates the statistics table, without analysing anything.
    await sql`analyze sqlite_schema`.execute(db)
  }
  await db.transaction().execute(async (trx) => {
    await sql`delete from sqlite_stat1 where tbl = 'stix_objects'`.execute(trx)
    for (const [index, stat] of STIX_OBJECT_STATISTICS) {
      await sql`insert into sqlite_stat1 (tbl, idx, stat) values ('stix_objects', ${index}, ${stat})`.execute(
        trx,
      )
    }
    // A change of schema, undone at once: every other connection (the reader, other processes)
    // loads the schema again at its next statement, and the statistics with it.
    await sql`create table liaison_statistics_changed (x integer)`.execute(trx)
    await sql`drop table liaison_statistics_changed`.execute(trx)
  })
  // This connection reads them again now.
  await sql`analyze sqlite_schema`.execute(db)
}
