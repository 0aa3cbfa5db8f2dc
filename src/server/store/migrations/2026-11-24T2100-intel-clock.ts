import { sql, type Kysely } from 'kysely'

/**
 * The clock of the intelligence store: one row holding the last instant (milliseconds since the
 * epoch) given to a write of object versions or tombstones. Each such transaction takes its instant
 * from this row as its first statement, which locks the row (PostgreSQL) or takes the write lock
 * (SQLite) until it commits: instants then follow commit order and never repeat, so a reader's
 * date-added cursor (TAXII `added_after` and `next`, federation) never passes over a version that
 * commits later. It starts after every instant already stored.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('intel_clock')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('last_ms', 'bigint', (c) => c.notNull())
    .execute()
  const latest = await sql<{ at: string | null }>`
    select max(at) as at from (
      select max(added_at) as at from stix_objects
      union all
      select max(deleted_at) as at from stix_deletions
    ) instants
  `.execute(db)
  const at = latest.rows[0]?.at ?? null
  const ms = at === null ? 0 : Date.parse(at)
  await sql`insert into intel_clock (id, last_ms) values (1, ${Number.isFinite(ms) ? ms : 0})`.execute(db)
}

/** Drops the clock (writes then take their instant from the caller's clock, as before). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('intel_clock').ifExists().execute()
}
