import { createHash } from 'node:crypto'
import { SqliteAdapter, sql, type Kysely } from 'kysely'

/**
 * Observable keys of long values become `kind#sha256:<hex>` (`observableKey` in
 * core/intel/observable.ts): a key is indexed, and PostgreSQL refuses B-tree entries of more than
 * about 2,700 bytes, so one long URL made a whole import fail there; so do values with a NUL
 * character, which PostgreSQL cannot hold at all. Keys stored before, of values longer than 1,024
 * bytes (UTF-8) or with a NUL (SQLite only could store them), are rewritten here, in every table that
 * holds observable keys, so look-ups of those values find them. The rule is copied, not imported: a
 * migration stays as it ran.
 */
const MAX_BYTES = 1024

function newKey(key: string): string | null {
  const colon = key.indexOf(':')
  if (colon < 0) {
    return null
  }
  const value = key.slice(colon + 1)
  if (Buffer.byteLength(value) <= MAX_BYTES && !value.includes('\u0000')) {
    return null
  }
  return `${key.slice(0, colon)}#sha256:${createHash('sha256').update(value).digest('hex')}`
}

/** Tables and their key column (with the condition that marks observable keys among other rows). */
const KEYED = [
  { table: 'observables', column: 'key', where: sql`1 = 1` },
  { table: 'report_observables', column: 'key', where: sql`1 = 1` },
  { table: 'warninglist_entries', column: 'key', where: sql`match = 'key'` },
  { table: 'incident_links', column: 'ref', where: sql`kind = 'observable'` },
] as const

export async function up(db: Kysely<unknown>): Promise<void> {
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter
  for (const { table, column, where } of KEYED) {
    const withNul = sqlite ? sql`instr(${sql.ref(column)}, char(0)) > 0` : sql`false`
    // Characters: a value over 1,024 bytes has over 341 of them (3 bytes each at most per UTF-16 unit).
    const long = await sql<{ key: string }>`
      select distinct ${sql.ref(column)} as key from ${sql.table(table)}
      where ${where} and (length(${sql.ref(column)}) > ${Math.floor(MAX_BYTES / 3)} or ${withNul})
    `.execute(db)
    for (const { key } of long.rows) {
      const replacement = newKey(key)
      if (replacement !== null) {
        await sql`
          update ${sql.table(table)} set ${sql.ref(column)} = ${replacement}
          where ${where} and ${sql.ref(column)} = ${key}
        `.execute(db)
      }
    }
  }
}

/** Nothing to undo: the old keys cannot be rebuilt from their hashes (the values are in the objects). */
export async function down(): Promise<void> {}
