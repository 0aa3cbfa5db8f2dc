import type { Kysely } from 'kysely'

/**
 * MISP warninglists: the lists (instance-wide, each enabled or not) and their entries in indexed form,
 * so that many values are looked up by key in one pass.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('warninglists')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_key', 'text', (c) => c.notNull().unique())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('category', 'text')
    .addColumn('matching_attributes', 'text', (c) => c.notNull())
    .addColumn('entry_count', 'integer', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('revision', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('imported_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('warninglist_entries')
    .addColumn('warninglist_id', 'text', (c) => c.notNull().references('warninglists.id').onDelete('cascade'))
    .addColumn('match', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('kind', 'text')
    .addColumn('prefix', 'integer')
    .addColumn('range_start', 'text')
    .addColumn('range_end', 'text')
    .execute()
  // Look-ups go by key (the same normalised keys as the observable index); the list index serves
  // replacing and deleting a list, and loading its substring entries.
  await db.schema
    .createIndex('warninglist_entries_key_idx')
    .on('warninglist_entries')
    .columns(['key', 'warninglist_id'])
    .execute()
  await db.schema
    .createIndex('warninglist_entries_list_idx')
    .on('warninglist_entries')
    .columns(['warninglist_id', 'match'])
    .execute()
}

/** Drops everything {@link up} created. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['warninglist_entries', 'warninglists']) {
    await db.schema.dropTable(table).ifExists().execute()
  }
}
