import { PostgresAdapter, sql, type Kysely } from 'kysely'

/**
 * Incident reports: the reports themselves (each under a label of the instance's organisation),
 * follow-up messages between reporter and handlers, attachments (bytes in the store, so a report
 * and its files commit together) and the IOCs found in their text.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // The one type that differs between the stores: raw bytes.
  const bytes = db.getExecutor().adapter instanceof PostgresAdapter ? sql`bytea` : sql`blob`

  await db.schema
    .createTable('reports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tracking_id', 'text', (c) => c.notNull().unique())
    .addColumn('token_hash', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('label_id', 'text', (c) => c.notNull().references('labels.id'))
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'text')
    .addColumn('affected_systems', 'text')
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('reporter_name', 'text')
    .addColumn('reporter_email', 'text', (c) => c.notNull())
    .addColumn('reporter_phone', 'text')
    .addColumn('reporter_organisation', 'text')
    .addColumn('reporter_user_id', 'text')
    .addColumn('reporter_org_id', 'text')
    .addColumn('source_address', 'text')
    .addColumn('nis2_entity_type', 'text')
    .addColumn('nis2_suspected_malicious', 'integer')
    .addColumn('nis2_cross_border', 'integer')
    .addColumn('incident_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('reports_label_idx').on('reports').column('label_id').execute()
  await db.schema.createIndex('reports_status_idx').on('reports').columns(['status', 'created_at']).execute()
  await db.schema.createIndex('reports_created_idx').on('reports').column('created_at').execute()
  await db.schema.createIndex('reports_incident_idx').on('reports').column('incident_id').execute()

  await db.schema
    .createTable('report_messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('report_id', 'text', (c) => c.notNull().references('reports.id'))
    .addColumn('sender', 'text', (c) => c.notNull())
    .addColumn('author_user_id', 'text')
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('report_messages_report_idx')
    .on('report_messages')
    .columns(['report_id', 'created_at'])
    .execute()

  await db.schema
    .createTable('attachments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('report_id', 'text', (c) => c.notNull().references('reports.id'))
    .addColumn('message_id', 'text', (c) => c.references('report_messages.id'))
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('content', bytes, (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('attachments_report_idx').on('attachments').column('report_id').execute()
  await db.schema.createIndex('attachments_sha256_idx').on('attachments').column('sha256').execute()

  await db.schema
    .createTable('report_observables')
    .addColumn('report_id', 'text', (c) => c.notNull().references('reports.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('report_observables_pk', ['report_id', 'key'])
    .execute()
  await db.schema.createIndex('report_observables_key_idx').on('report_observables').column('key').execute()
}

/** Drops everything {@link up} created. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['report_observables', 'attachments', 'report_messages', 'reports']) {
    await db.schema.dropTable(table).ifExists().execute()
  }
}
