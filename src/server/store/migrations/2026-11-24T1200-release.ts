import type { Kysely } from 'kysely'

/**
 * Four-eyes release and retention of intelligence: two organisation settings, and the releases an
 * import waits on when its organisation wants a second person to approve sharing beyond itself.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // One column per statement: SQLite adds one column per ALTER TABLE.
  await db.schema
    .alterTable('organisations')
    .addColumn('four_eyes_release', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
  await db.schema.alterTable('organisations').addColumn('intel_retention_days', 'integer').execute()

  await db.schema
    .createTable('intel_releases')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organisations.id'))
    .addColumn('import_id', 'text', (c) => c.notNull().unique())
    // The organisation-only label the import's objects wait under, and the label asked for.
    .addColumn('held_label_id', 'text', (c) => c.notNull().references('labels.id'))
    .addColumn('requested_label_id', 'text', (c) => c.notNull().references('labels.id'))
    .addColumn('source', 'text')
    // Null when a CLI operator imported without naming a user.
    .addColumn('requested_by', 'text')
    .addColumn('requested_at', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', 'text')
    .addColumn('reason', 'text')
    .addColumn('object_count', 'integer')
    .execute()
  await db.schema
    .createIndex('intel_releases_held_label_idx')
    .on('intel_releases')
    .columns(['held_label_id', 'requested_at'])
    .execute()
}

/** Drops everything {@link up} created. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('intel_releases').ifExists().execute()
  await db.schema.alterTable('organisations').dropColumn('intel_retention_days').execute()
  await db.schema.alterTable('organisations').dropColumn('four_eyes_release').execute()
}
