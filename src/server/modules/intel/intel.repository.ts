import { setImmediate as turn } from 'node:timers/promises'
import type SqliteDatabase from 'better-sqlite3'
import { sql } from 'kysely'
import { StoredInstant } from '../../../core/intel/instant.js'
import type { Db, Trx } from '../../store/store.js'
import { compareText, sortInTurns } from './intel.sort.js'
import type { ObservableTable, StixObjectRow, StixRefTable } from './intel.table.js'

/** Ids per IN list: well under the bound-parameter limits of both stores. */
const ID_CHUNK = 500

/**
 * The instant of a transaction that stores or deletes object versions: the later of `now` and one
 * microsecond after the last instant given, in the stored format. Call it as the transaction's first
 * statement: it locks the clock row (PostgreSQL) or takes the write lock (SQLite) until the
 * transaction ends, so instants follow commit order and never repeat, and a reader's date-added cursor
 * never passes over a version that commits later (a long import that began first would otherwise
 * commit rows dated before what readers had already paged past).
 */
export async function claimIntelInstant(trx: Trx, now: Date): Promise<StoredInstant> {
  return (await claimIntelInstants(trx, now, 1)).at(0)
}

/**
 * Takes hold of the intel clock for a transaction that will claim instants as it goes (an import
 * storing batch by batch, a release moving objects), without claiming one: returns the instant the
 * next claim gives (the later of `now` and one microsecond after the last instant given). Call it as
 * the transaction's first statement, as {@link claimIntelInstant}: the clock then stays held until
 * the transaction ends.
 */
export async function holdIntelClock(trx: Trx, now: Date): Promise<StoredInstant> {
  const row = await trx
    .updateTable('intel_clock')
    .set({ last_us: sql<number>`last_us` })
    .where('id', '=', 1)
    .returning('last_us')
    .executeTakeFirstOrThrow()
  return StoredInstant.fromMicros(Math.max(now.getTime() * 1000, Number(row.last_us) + 1))
}

/** A run of consecutive instants claimed from the intel clock: one per version a write stores. */
export interface IntelInstants {
  /** How many instants the run holds. */
  readonly count: number
  /** The `index`-th instant of the run (0 first), in the stored format. */
  at(index: number): StoredInstant
}

/**
 * Claims `count` consecutive microseconds from the intel clock, the first the later of `now` and one
 * microsecond after the last instant given; the clock then stands at the last of them, so the next
 * claim (of this transaction or, after it commits, of another) starts after the run. A run may reach
 * ahead of the wall clock (1.5 million versions: 1.5 s). Inside a transaction that already holds the
 * clock ({@link holdIntelClock}, {@link claimIntelInstant}).
 */
export async function claimIntelInstants(trx: Trx, now: Date, count: number): Promise<IntelInstants> {
  const us = now.getTime() * 1000
  const n = Math.max(0, Math.floor(count))
  if (n === 0) {
    return { count: 0, at: () => StoredInstant.fromMicros(us) }
  }
  const row = await trx
    .updateTable('intel_clock')
    .set({
      last_us: sql<number>`case when cast(${us} as bigint) > last_us then cast(${us + n - 1} as bigint) else last_us + cast(${n} as bigint) end`,
    })
    .where('id', '=', 1)
    .returning('last_us')
    .executeTakeFirstOrThrow()
  const first = Number(row.last_us) - n + 1
  return { count: n, at: (index) => StoredInstant.fromMicros(first + index) }
}

/** One id's versions an owner holds: modified → json, modified → label id, and the latest modified. */
export interface HeldObject {
  versions: Map<string, string>
  labels: Map<string, string>
  latest: string | null
}

/** The versions an owner already holds of some ids, by id. */
export interface HeldVersions {
  readonly byId: Map<string, HeldObject>
}

/** Loads the versions `ownerOrgId` holds of the given ids. */
export async function findHeldVersions(
  trx: Trx,
  ownerOrgId: string,
  ids: readonly string[],
): Promise<HeldVersions> {
  const byId = new Map<string, HeldObject>()
  for (let i = 0; i < ids.length; i += ID_CHUNK) {
    const rows = await trx
      .selectFrom('stix_objects')
      .select(['id', 'modified', 'json', 'is_latest', 'label_id'])
      .where('owner_org_id', '=', ownerOrgId)
      .where('id', 'in', ids.slice(i, i + ID_CHUNK))
      .execute()
    for (const row of rows) {
      let held = byId.get(row.id)
      if (held === undefined) {
        held = { versions: new Map(), labels: new Map(), latest: null }
        byId.set(row.id, held)
      }
      held.versions.set(row.modified, row.json)
      held.labels.set(row.modified, row.label_id)
      if (row.is_latest === 1) {
        held.latest = row.modified
      }
    }
  }
  return { byId }
}

const STIX_COLUMNS = [
  'id',
  'modified',
  'owner_org_id',
  'type',
  'created',
  'valid_until',
  'revoked',
  'is_latest',
  'label_id',
  'json',
  'name',
  'source',
  'import_id',
  'added_at',
] as const satisfies readonly (keyof StixObjectRow)[]
const OBSERVABLE_COLUMNS = [
  'object_id',
  'owner_org_id',
  'kind',
  'key',
  'range_start',
  'range_end',
  'network',
  'origin',
] as const satisfies readonly (keyof ObservableTable)[]
const REF_COLUMNS = [
  'from_id',
  'owner_org_id',
  'to_id',
  'property',
] as const satisfies readonly (keyof StixRefTable)[]

/** PostgreSQL types of the columns above, for {@link insertUnnest}. */
const PG_TYPES: Record<string, 'text' | 'integer'> = {
  revoked: 'integer',
  is_latest: 'integer',
  network: 'integer',
}

/** Rows per INSERT … SELECT FROM UNNEST (one array per column, so no bound-parameter limit). */
const UNNEST_CHUNK = 5000

/**
 * Inserts rows on PostgreSQL with one array per column (`INSERT … SELECT * FROM UNNEST($1::text[],
 * …)`): a statement of a dozen parameters, which PostgreSQL parses and plans in no time, where a
 * multi-row VALUES list of 500 rows has 6,500 (measured: ~40 % more rows a second).
 */
async function insertUnnest<T>(
  trx: Trx,
  table: string,
  columns: readonly (keyof T & string)[],
  rows: readonly T[],
): Promise<void> {
  for (let i = 0; i < rows.length; i += UNNEST_CHUNK) {
    const chunk = rows.slice(i, i + UNNEST_CHUNK)
    const arrays = columns.map(
      (c) => sql`${chunk.map((r) => r[c] as unknown)}::${sql.raw(PG_TYPES[c] ?? 'text')}[]`,
    )
    await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))}) select * from unnest(${sql.join(arrays)})`.execute(
      trx,
    )
  }
}

const statements = new WeakMap<SqliteDatabase.Database, Map<string, SqliteDatabase.Statement>>()

/** Rows inserted between two turns of the event loop (~50 ms on a two-core machine). */
const ROWS_PER_TURN = 10_000

/**
 * Inserts rows with one cached prepared statement per table (SQLite's fast path), letting the event
 * loop turn every {@link ROWS_PER_TURN} rows: a MISP mega-event's report has 1.5 M references,
 * seconds of inserts during which a server would otherwise answer nothing.
 */
async function insertRaw<T>(
  sqlite: SqliteDatabase.Database,
  table: string,
  columns: readonly (keyof T & string)[],
  rows: readonly T[],
): Promise<void> {
  let cache = statements.get(sqlite)
  if (cache === undefined) {
    cache = new Map()
    statements.set(sqlite, cache)
  }
  let statement = cache.get(table)
  if (statement === undefined) {
    statement = sqlite.prepare(
      `insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`,
    )
    cache.set(table, statement)
  }
  // One array of parameters, refilled for each row (no array and closure per row: a MISP
  // mega-event inserts millions of rows).
  const parameters = new Array<unknown>(columns.length)
  for (let i = 0; i < rows.length; i++) {
    if (i > 0 && i % ROWS_PER_TURN === 0) {
      await turn()
    }
    const row = rows[i] as T
    for (let c = 0; c < columns.length; c++) {
      parameters[c] = row[columns[c] as keyof T & string]
    }
    statement.run(parameters)
  }
}

/**
 * Inserts object rows: on SQLite through a cached prepared statement on the transaction's own
 * connection (`sqlite`: `rawSqliteOf(db)`), on PostgreSQL one array per column. `sqlite` is required,
 * undefined only on PostgreSQL: the PostgreSQL path is no SQL SQLite reads.
 */
export async function insertStixObjects(
  trx: Trx,
  rows: readonly StixObjectRow[],
  sqlite: SqliteDatabase.Database | undefined,
): Promise<void> {
  if (sqlite !== undefined) {
    await insertRaw(sqlite, 'stix_objects', STIX_COLUMNS, rows)
    return
  }
  await insertUnnest(trx, 'stix_objects', STIX_COLUMNS, rows)
}

/** Replaces the content of one held version (same id and modified, different content). */
export async function replaceStixObjectContent(
  trx: Trx,
  key: { id: string; modified: string; ownerOrgId: string },
  change: Pick<
    StixObjectRow,
    'json' | 'name' | 'valid_until' | 'revoked' | 'source' | 'import_id' | 'added_at'
  > &
    Partial<Pick<StixObjectRow, 'label_id'>>,
): Promise<void> {
  await trx
    .updateTable('stix_objects')
    .set(change)
    .where('id', '=', key.id)
    .where('modified', '=', key.modified)
    .where('owner_org_id', '=', key.ownerOrgId)
    .execute()
}

/** Marks which version of each id is the latest for an owner. */
export async function setLatestVersions(
  trx: Trx,
  ownerOrgId: string,
  latest: ReadonlyMap<string, string>,
): Promise<void> {
  const ids = [...latest.keys()]
  for (let i = 0; i < ids.length; i += ID_CHUNK) {
    const chunk = ids.slice(i, i + ID_CHUNK)
    await trx
      .updateTable('stix_objects')
      .set({ is_latest: 0 })
      .where('owner_org_id', '=', ownerOrgId)
      .where('id', 'in', chunk)
      .where('is_latest', '=', 1)
      .execute()
    for (const id of chunk) {
      await trx
        .updateTable('stix_objects')
        .set({ is_latest: 1 })
        .where('owner_org_id', '=', ownerOrgId)
        .where('id', '=', id)
        .where('modified', '=', latest.get(id) ?? '')
        .execute()
    }
  }
}

/**
 * Replaces the observable index and references of some objects of an owner (their latest versions).
 * `sqlite` (`rawSqliteOf(db)`) is required, undefined only on PostgreSQL, as for
 * {@link insertStixObjects}: a deletion that left it out wrote PostgreSQL SQL to SQLite.
 */
export async function replaceIndex(
  trx: Trx,
  ownerOrgId: string,
  ids: readonly string[],
  observables: readonly ObservableTable[],
  refs: readonly StixRefTable[],
  sqlite: SqliteDatabase.Database | undefined,
): Promise<void> {
  for (let i = 0; i < ids.length; i += ID_CHUNK) {
    const chunk = ids.slice(i, i + ID_CHUNK)
    await trx
      .deleteFrom('observables')
      .where('owner_org_id', '=', ownerOrgId)
      .where('object_id', 'in', chunk)
      .execute()
    await trx
      .deleteFrom('stix_refs')
      .where('owner_org_id', '=', ownerOrgId)
      .where('from_id', 'in', chunk)
      .execute()
  }
  // Sorted by the key of their value index (the indexes by object begin with the object's id, and
  // the objects of one call are neighbours in id order): inserts walk the B-trees instead of jumping.
  const byKey = await sortInTurns(observables, (a, b) => compareText(a.key, b.key))
  const byTarget = await sortInTurns(refs, (a, b) => compareText(a.to_id, b.to_id))
  if (sqlite !== undefined) {
    await insertRaw(sqlite, 'observables', OBSERVABLE_COLUMNS, byKey)
    await insertRaw(sqlite, 'stix_refs', REF_COLUMNS, byTarget)
    return
  }
  await insertUnnest(trx, 'observables', OBSERVABLE_COLUMNS, byKey)
  await insertUnnest(trx, 'stix_refs', REF_COLUMNS, byTarget)
}

/** Deletes some versions of one owner's copy of an object; returns how many rows went. */
export async function deleteStixVersions(
  trx: Trx,
  key: { id: string; ownerOrgId: string },
  modified: readonly string[],
): Promise<number> {
  if (modified.length === 0) {
    return 0
  }
  const result = await trx
    .deleteFrom('stix_objects')
    .where('id', '=', key.id)
    .where('owner_org_id', '=', key.ownerOrgId)
    .where('modified', 'in', [...modified])
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

/** Every version one owner holds of an object, with its content. */
export async function findOwnVersions(
  trx: Trx,
  key: { id: string; ownerOrgId: string },
): Promise<Pick<StixObjectRow, 'modified' | 'json' | 'is_latest'>[]> {
  return trx
    .selectFrom('stix_objects')
    .select(['modified', 'json', 'is_latest'])
    .where('id', '=', key.id)
    .where('owner_org_id', '=', key.ownerOrgId)
    .execute()
}

/** Number of rows in the object store (all versions, all owners): for tests and health. */
export async function countStixRows(db: Db): Promise<number> {
  const row = await db
    .selectFrom('stix_objects')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Object versions stored (by all imports together) before PostgreSQL's statistics are refreshed. */
export const ANALYZE_AFTER_ROWS = 10_000
/** … and before they are first computed, in a store never analyzed. */
export const ANALYZE_FIRST_AFTER_ROWS = 1_000

/** The share of the objects a table held when last analyzed that must be stored again before the next. */
const ANALYZE_SCALE = 0.1

/** Per PostgreSQL store: versions stored since its statistics were refreshed, and the bar to reach. */
const sinceAnalyze = new WeakMap<Db, { stored: number; threshold: number }>()

/**
 * Counts object versions a committed import stored on PostgreSQL, and refreshes the planner's
 * statistics of the intelligence tables when they add up to {@link ANALYZE_AFTER_ROWS}, or a tenth of
 * the objects held at the last refresh if more (as autovacuum does, so a steady stream into a large
 * store analyzes now and then, not after every few envelopes); in a store never analyzed, after
 * {@link ANALYZE_FIRST_AFTER_ROWS}. Statistics otherwise wait for autovacuum, a minute or more after
 * a bulk load, or for ever where it is off; until then reads of what was just stored are planned as
 * if the tables were small or empty (a TAXII page of a 100,000-object collection took 130 ms instead
 * of 8; of 10,000, 37 ms instead of 4). TAXII and federation store in parts of a few hundred
 * objects: the count spans imports. A process begins from the count at the store's last refresh.
 */
export async function refreshStatisticsAfter(db: Db, stored: number): Promise<void> {
  try {
    let state = sinceAnalyze.get(db)
    if (state === undefined) {
      // The first import of this process: the bar follows what the store held when last analyzed
      // (by an earlier process, or autovacuum); a store never analyzed gets statistics early.
      state = { stored: 0, threshold: thresholdAfter(await analyzedObjectCount(db)) }
      sinceAnalyze.set(db, state)
    }
    state.stored += stored
    if (state.stored < state.threshold) {
      return
    }
    state.stored = 0
    // With the labels: reads join them, and a labels table never analyzed made the planner guess a
    // page of a collection costly enough to compile it first (JIT: 20-40 ms more for a 4 ms page).
    await sql`analyze stix_objects, observables, stix_refs, labels`.execute(db)
    state.threshold = thresholdAfter(await analyzedObjectCount(db))
  } catch (error) {
    // The import has committed: failing it now would report stored objects as lost. Statistics
    // only make reads faster; say so and go on.
    process.emitWarning(`planner statistics not refreshed: ${(error as Error).message}`)
  }
}

/** Object versions stored when `stix_objects` was last analyzed; null when it never was. */
async function analyzedObjectCount(db: Db): Promise<number | null> {
  const held = await sql<{ n: number }>`
    select reltuples::bigint as n from pg_class where oid = 'stix_objects'::regclass
  `.execute(db)
  // PostgreSQL 14 and later: -1 until the table is first analyzed or vacuumed.
  const n = Number(held.rows[0]?.n ?? -1)
  return n < 0 ? null : n
}

/** Versions to store before the next refresh, from the count at the last one. */
function thresholdAfter(analyzed: number | null): number {
  return analyzed === null
    ? ANALYZE_FIRST_AFTER_ROWS
    : Math.max(ANALYZE_AFTER_ROWS, Math.round(analyzed * ANALYZE_SCALE))
}
