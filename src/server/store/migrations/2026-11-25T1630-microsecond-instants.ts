import { sql, type Kysely } from 'kysely'

/**
 * Date-added instants get microseconds, one per stored object version: the clock counts
 * microseconds (`intel_clock.last_us`), and every stored instant is rewritten to the one fixed format
 * (six fractional digits) in one statement per column, so old and new instants compare as strings.
 * Written by `Date#toISOString`, the old ones all have three digits (`…00.123Z` → `…00.123000Z`).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('intel_clock').renameColumn('last_ms', 'last_us').execute()
  await sql`update intel_clock set last_us = last_us * 1000`.execute(db)
  await sql`
    update stix_objects set added_at = substr(added_at, 1, 23) || '000Z'
    where length(added_at) = 24 and added_at like '%.___Z'
  `.execute(db)
  await sql`
    update stix_deletions set deleted_at = substr(deleted_at, 1, 23) || '000Z'
    where length(deleted_at) = 24 and deleted_at like '%.___Z'
  `.execute(db)
}

/** Back to milliseconds: instants are cut to three digits (versions of one millisecond tie again). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    update stix_objects set added_at = substr(added_at, 1, 23) || 'Z'
    where length(added_at) = 27 and added_at like '%.______Z'
  `.execute(db)
  await sql`
    update stix_deletions set deleted_at = substr(deleted_at, 1, 23) || 'Z'
    where length(deleted_at) = 27 and deleted_at like '%.______Z'
  `.execute(db)
  await sql`update intel_clock set last_us = last_us / 1000`.execute(db)
  await db.schema.alterTable('intel_clock').renameColumn('last_us', 'last_ms').execute()
}
