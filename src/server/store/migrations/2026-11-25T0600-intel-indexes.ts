import { sql, SqliteAdapter, type Kysely } from 'kysely'

/**
 * What SQLite's planner is told about `stix_objects` (rows in all, then rows per value of each
 * leading part of an index), for a nominal store of a million object versions. SQLite keeps no
 * statistics of its own unless ANALYZE runs, and without them it takes every index's first column to
 * match ten rows: `is_latest` (two values) then looks as selective as `id`, and a look-up of an
 * object by id joined through the (is_latest, type, …) index, walking every latest object. Stated
 * here, the planner knows an id matches a version or two, `is_latest` half the store and a label
 * many objects. (SQLite's "manual control of query plans using sqlite_stat tables"; a later
 * ANALYZE replaces them with measured ones.)
 */
const STIX_OBJECT_STATISTICS: readonly (readonly [string | null, string])[] = [
  [null, '1000000'],
  ['sqlite_autoindex_stix_objects_1', '1000000 2 1 1'],
  ['stix_objects_latest_type_idx', '1000000 500000 20000 10000'],
  ['stix_objects_label_idx', '1000000 50000'],
  ['stix_objects_added_key_idx', '1000000 1000 1 1 1'],
]

function isSqlite(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof SqliteAdapter
}

/**
 * Two indexes of `stix_objects` change:
 * - `stix_objects_id_idx` (id, is_latest) goes: the primary key (id, modified, owner_org_id) begins
 *   with the id and serves every look-up by id. One random-key B-tree fewer for each version stored:
 *   TAXII POSTs of 500 indicators into a store growing to 60,000 were 10-30 % faster (each commit
 *   writes back fewer index pages). On SQLite the planner is given statistics instead (above),
 *   which the index stood in for.
 * - `stix_objects_latest_type_idx` (is_latest, type) takes the label too: counting the visible
 *   latest objects (a search's total), of all types or some, then reads the index alone, not each
 *   object's row (300,000 objects: 72 ms -> 21 ms on SQLite).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('stix_objects_id_idx').execute()
  await db.schema.dropIndex('stix_objects_latest_type_idx').execute()
  await db.schema
    .createIndex('stix_objects_latest_type_idx')
    .on('stix_objects')
    .columns(['is_latest', 'type', 'label_id'])
    .execute()
  // After the indexes: dropping one drops its statistics.
  if (isSqlite(db)) {
    // Creates the statistics table when no ANALYZE has, without analysing anything.
    await sql`analyze sqlite_schema`.execute(db)
    await sql`delete from sqlite_stat1 where tbl = 'stix_objects'`.execute(db)
    for (const [index, stat] of STIX_OBJECT_STATISTICS) {
      await sql`insert into sqlite_stat1 (tbl, idx, stat) values ('stix_objects', ${index}, ${stat})`.execute(
        db,
      )
    }
    // This connection reads the statistics again; the others do when they see the schema change.
    await sql`analyze sqlite_schema`.execute(db)
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('stix_objects_latest_type_idx').execute()
  await db.schema
    .createIndex('stix_objects_latest_type_idx')
    .on('stix_objects')
    .columns(['is_latest', 'type'])
    .execute()
  await db.schema.createIndex('stix_objects_id_idx').on('stix_objects').columns(['id', 'is_latest']).execute()
  if (isSqlite(db)) {
    await sql`delete from sqlite_stat1 where tbl = 'stix_objects'`.execute(db)
    await sql`analyze sqlite_schema`.execute(db)
  }
}
