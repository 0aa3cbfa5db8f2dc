import { sql, SqliteAdapter, type RawBuilder, type SqlBool } from 'kysely'
import type { Db, Trx } from './store.js'

/** SQLite's function that lower-cases text in every script (registered by {@link registerTextFunctions}). */
const LOWER = 'liaison_lower'

/**
 * Registers on a SQLite connection what {@link containsText} needs there: SQLite's own `lower()` and
 * `LIKE` fold ASCII letters only, where PostgreSQL's `ILIKE` folds every script's ("É", "Ж", "Σ").
 */
export function registerTextFunctions(connection: {
  function(name: string, options: { deterministic: boolean }, fn: (value: unknown) => unknown): unknown
}): void {
  connection.function(LOWER, { deterministic: true }, (value) =>
    typeof value === 'string' ? value.toLowerCase() : value,
  )
}

/**
 * `column` contains `text`, whatever the case of either in any script, with `%`, `_` and `\` of the
 * text matched as themselves: the same on both stores (PostgreSQL's `ILIKE`; on SQLite, `LIKE`, which
 * folds ASCII, and for values with other characters the comparison of both lower-cased, so that the
 * JavaScript function it calls runs only for those).
 */
export function containsText(db: Db | Trx, column: RawBuilder<unknown>, text: string): RawBuilder<SqlBool> {
  const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) {
    return sql<SqlBool>`${column} ilike ${pattern} escape '\\'`
  }
  // More bytes than characters: a character outside ASCII (octet_length reads no text; a GLOB for
  // such a character tripled the time of a search of 1 M names).
  return sql<SqlBool>`(${column} like ${pattern} escape '\\' or (length(${column}) <> octet_length(${column}) and ${sql.raw(LOWER)}(${column}) like ${pattern.toLowerCase()} escape '\\'))`
}
