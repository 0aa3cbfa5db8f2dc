import { PostgresAdapter, type Kysely } from 'kysely'

/**
 * E-mail intake: every message the SMTP listener accepted, byte for byte, with its envelope, what
 * could not be read in it, the report it became part of and whether it was acknowledged.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter
  await db.schema
    .createTable('raw_messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('received_at', 'text', (c) => c.notNull())
    // '' for the null reverse-path (`MAIL FROM:<>`, bounces).
    .addColumn('envelope_from', 'text', (c) => c.notNull())
    // JSON array of the accepted recipients.
    .addColumn('envelope_to', 'text', (c) => c.notNull())
    .addColumn('remote_address', 'text')
    .addColumn('helo', 'text')
    .addColumn('message_id', 'text')
    .addColumn('subject', 'text')
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    // The message exactly as received; never rendered, only offered as a download.
    .addColumn('raw', isPostgres ? 'bytea' : 'blob', (c) => c.notNull())
    // JSON array of { code, message }: what could not be read. Non-empty means flagged.
    .addColumn('problems', 'text', (c) => c.notNull())
    .addColumn('flagged', 'integer', (c) => c.notNull().defaultTo(0))
    // `report` (a new report), `reply` (added to an existing one), `xarf` (a new report from X-ARF),
    // `duplicate` (a retransmission of one already filed), `unprocessed` (kept, but no report could be
    // made of it).
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('report_id', 'text')
    // The X-ARF v4 report found in the message (JSON, `_internal` removed) and the RSIT
    // `class/type` its category and type obviously correspond to.
    .addColumn('xarf', 'text')
    .addColumn('rsit_hint', 'text')
    // `pending`, `sent`, `not_sent` (the relay refused or is not configured), `suppressed`
    // (auto-reply, bounce or list mail: never answered), `none` (nothing to acknowledge).
    .addColumn('ack_status', 'text', (c) => c.notNull())
    .addColumn('ack_detail', 'text')
    .addColumn('ack_message_id', 'text')
    .addColumn('ack_at', 'text')
    .execute()
  await db.schema.createIndex('raw_messages_report_idx').on('raw_messages').column('report_id').execute()
  await db.schema.createIndex('raw_messages_received_idx').on('raw_messages').column('received_at').execute()
  await db.schema
    .createIndex('raw_messages_flagged_idx')
    .on('raw_messages')
    .columns(['flagged', 'received_at'])
    .execute()
}

/** Drops everything {@link up} created. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('raw_messages').ifExists().execute()
}
