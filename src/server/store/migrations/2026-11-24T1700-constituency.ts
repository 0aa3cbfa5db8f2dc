import type { Kysely } from 'kysely'

/**
 * The constituency register (organisations Liaison notifies about their resources: netblocks, ASNs,
 * domains, abuse contacts, OpenPGP keys) and the record of every notification sent.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('constituents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_key', 'text', (c) => c.notNull().unique())
    .addColumn('abuse_emails', 'text', (c) => c.notNull())
    .addColumn('pgp_key', 'text')
    .addColumn('pgp_fingerprint', 'text')
    .addColumn('org_id', 'text', (c) => c.references('organisations.id').onDelete('set null'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('constituent_ranges')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('constituent_id', 'text', (c) => c.notNull().references('constituents.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('family', 'text')
    .addColumn('prefix', 'integer')
    .addColumn('range_start', 'text')
    .addColumn('range_end', 'text')
    .addUniqueConstraint('constituent_ranges_owner_key_uq', ['constituent_id', 'key'])
    .execute()
  // ASNs and domains are found by key; addresses by range (family, start) with the end checked.
  await db.schema.createIndex('constituent_ranges_key_idx').on('constituent_ranges').column('key').execute()
  await db.schema
    .createIndex('constituent_ranges_range_idx')
    .on('constituent_ranges')
    .columns(['family', 'range_start', 'range_end'])
    .execute()

  await db.schema
    .createTable('notifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('constituent_id', 'text', (c) => c.references('constituents.id').onDelete('set null'))
    .addColumn('constituent_name', 'text', (c) => c.notNull())
    .addColumn('recipients', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('observables', 'text', (c) => c.notNull())
    .addColumn('incident_id', 'text')
    .addColumn('message_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('signed', 'integer', (c) => c.notNull())
    .addColumn('encrypted', 'integer', (c) => c.notNull())
    .addColumn('sent_by_user_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('notifications_incident_idx')
    .on('notifications')
    .columns(['incident_id', 'created_at'])
    .execute()
  await db.schema
    .createIndex('notifications_constituent_idx')
    .on('notifications')
    .columns(['constituent_id', 'created_at'])
    .execute()
  await db.schema.createIndex('notifications_created_idx').on('notifications').column('created_at').execute()
}

/** Drops everything {@link up} created. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['notifications', 'constituent_ranges', 'constituents']) {
    await db.schema.dropTable(table).ifExists().execute()
  }
}
