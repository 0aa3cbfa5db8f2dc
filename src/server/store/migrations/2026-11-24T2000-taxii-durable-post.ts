import type { Kysely } from 'kysely'

/**
 * Durable TAXII POSTs: the objects of every POST still being stored, kept from the 202 until the part
 * that completes its status, so that a restarted process (or another node) resumes the work; with the
 * lease of the process that works on it. Statuses pending from before this migration have no
 * payload: they read as interrupted, as before.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('taxii_status_payloads')
    .addColumn('status_id', 'text', (c) => c.primaryKey().references('taxii_statuses.id').onDelete('cascade'))
    // The envelope's `objects` as JSON text, all of them (the status says how far the work got).
    .addColumn('objects', 'text', (c) => c.notNull())
    // Four-eyes POSTs (stored in one import): JSON of the import once stored, so that a resumed job
    // requests its release instead of storing again (which would find every object unchanged).
    .addColumn('held_import', 'text')
    // Which process works on it, and when it last said so; another may take it over once
    // claimed_at is older than the lease (TAXII_STALE_MS).
    .addColumn('claimed_by', 'text')
    .addColumn('claimed_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  // No index on the lease: the table holds only unfinished work (a few rows), and claimed_at is
  // rewritten at every part.
}

/** Drops the payload table (unfinished POSTs then read as interrupted, as before). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('taxii_status_payloads').ifExists().execute()
}
