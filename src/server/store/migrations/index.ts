import type { Migration } from 'kysely'
import * as foundation from './2026-11-24T0800-foundation.js'
import * as trust from './2026-11-24T0900-trust.js'
import * as intel from './2026-11-24T1000-intel.js'

/**
 * Every migration, in order; the key is the migration's name in `kysely_migration`.
 * One list serves SQLite and PostgreSQL.
 */
export const MIGRATIONS: Record<string, Migration> = {
  '2026-11-24T0800-foundation': foundation,
  '2026-11-24T0900-trust': trust,
  '2026-11-24T1000-intel': intel,
}
