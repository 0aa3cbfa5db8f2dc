import { mkdirSync } from 'node:fs'
import path from 'node:path'
import SqliteDatabase from 'better-sqlite3'
import {
  Kysely,
  PostgresDialect,
  SqliteDialect,
  type Driver,
  type SqliteDatabase as KyselySqlite,
  type Transaction,
} from 'kysely'
import pg from 'pg'
import type { Config, StoreKind } from '../config.js'
import type { Database } from './database.js'
import { SqliteCheckpointer } from './sqlite-checkpointer.js'
import { SQLITE_LOCK_WAIT_MS, WaitingSqliteDriver } from './sqlite-driver.js'
import { registerTextFunctions } from './text.js'

/** A Kysely handle on either store; services take this (or a transaction) first. */
export type Db = Kysely<Database>
/** A transaction on the store. */
export type Trx = Transaction<Database>

/** An open store: the query handle, which kind it is, and how to close it. */
export interface Store {
  /** Query builder over the store. */
  readonly db: Db
  /** `sqlite` (embedded file) or `postgres`. */
  readonly kind: StoreKind
  /** Where the data lives, for humans (file path, or the URL without its password). */
  readonly location: string
  /** Closes every connection. */
  close(): Promise<void>
}

let pgTypesSet = false

const rawSqlite = new WeakMap<object, SqliteDatabase.Database>()

/**
 * The better-sqlite3 handle behind a SQLite store's Kysely instance, for the few hot paths that
 * insert rows by the hundred thousand with cached prepared statements (Kysely prepares every query
 * anew). Statements run on the writing connection, so they join the open transaction. Undefined
 * for PostgreSQL.
 */
export function rawSqliteOf(db: Db): SqliteDatabase.Database | undefined {
  return rawSqlite.get(db)
}

const rawSqliteReader = new WeakMap<object, SqliteDatabase.Database>()

/** The read-only connection of a SQLite store, on which SELECTs outside transactions run (for tests). */
export function rawSqliteReaderOf(db: Db): SqliteDatabase.Database | undefined {
  return rawSqliteReader.get(db)
}

const sqliteCheckpointers = new WeakMap<object, SqliteCheckpointer>()

/** The WAL checkpointer of a SQLite store (for tests). */
export function sqliteCheckpointerOf(db: Db): SqliteCheckpointer | undefined {
  return sqliteCheckpointers.get(db)
}

/**
 * Opens the store the config names: PostgreSQL when `databaseUrl` is set, else the SQLite file
 * `<dataDir>/liaison.db` (created with its folder if missing).
 */
export function openStore(
  config: Pick<Config, 'databaseUrl' | 'dataDir'>,
  sqliteOptions: SqliteOptions = {},
): Store {
  if (config.databaseUrl !== null) {
    return openPostgres(config.databaseUrl)
  }
  mkdirSync(config.dataDir, { recursive: true })
  return openSqlite(path.join(config.dataDir, 'liaison.db'), sqliteOptions)
}

/** Options of a SQLite store. */
export interface SqliteOptions {
  /** How long a write waits for another process's write lock before a 503 (default one minute). */
  readonly lockWaitMs?: number
}

/** Opens (creating if needed) a SQLite file in WAL mode with foreign keys on. */
export function openSqlite(file: string, options: SqliteOptions = {}): Store {
  const sqlite = new SqliteDatabase(file)
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = NORMAL')
  sqlite.pragma('foreign_keys = ON')
  // Large imports update several B-tree indexes at random keys (UUIDs): a page cache of 2 MB (the
  // default) re-reads index pages from the OS for nearly every row; 256 MB keeps them in memory.
  sqlite.pragma('cache_size = -262144')
  sqlite.pragma('temp_store = MEMORY')
  // Another process (the CLI next to a running server) may hold the write lock, for the length of
  // a large import: the driver waits for it without blocking the event loop (see WaitingSqliteDriver),
  // so SQLite itself does not wait at all.
  sqlite.pragma('busy_timeout = 0')
  registerTextFunctions(sqlite)
  const database = withStatementCache(sqlite)
  // A second connection for reads outside transactions: in WAL mode it reads the last committed
  // state while the first one writes (see WaitingSqliteDriver). It never writes.
  const readerSqlite = new SqliteDatabase(file)
  readerSqlite.pragma('query_only = ON')
  readerSqlite.pragma('cache_size = -262144')
  readerSqlite.pragma('temp_store = MEMORY')
  readerSqlite.pragma('busy_timeout = 0')
  registerTextFunctions(readerSqlite)
  const reader = withStatementCache(readerSqlite)
  // The WAL is copied into the file on a worker thread, not in the writer's commits.
  const checkpointer = new SqliteCheckpointer(file, sqlite)
  const dialect = new (class extends SqliteDialect {
    override createDriver(): Driver {
      return new WaitingSqliteDriver(
        database,
        reader,
        options.lockWaitMs ?? SQLITE_LOCK_WAIT_MS,
        checkpointer,
      )
    }
  })({ database })
  const db = new Kysely<Database>({ dialect })
  rawSqlite.set(db, sqlite)
  rawSqliteReader.set(db, readerSqlite)
  sqliteCheckpointers.set(db, checkpointer)
  return {
    db,
    kind: 'sqlite',
    location: file,
    close: () => db.destroy(),
  }
}

/** Prepared statements kept per SQLite connection (least recently used go first). */
const STATEMENT_CACHE_SIZE = 1000

/**
 * The SQLite handle Kysely runs on, with its prepared statements cached by SQL text: Kysely prepares
 * every query anew, and preparing a query with subqueries costs more than running it on an index.
 * Safe per connection: each statement runs to its end synchronously, and a streamed query holds
 * the writing connection until its statement is done.
 */
function withStatementCache(sqlite: SqliteDatabase.Database): KyselySqlite {
  const cache = new Map<string, KyselyStatement>()
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let statement = cache.get(sql)
      if (statement !== undefined) {
        cache.delete(sql)
        cache.set(sql, statement)
        return statement
      }
      statement = kyselyStatement(sqlite.prepare(sql))
      cache.set(sql, statement)
      if (cache.size > STATEMENT_CACHE_SIZE) {
        const oldest = cache.keys().next()
        if (oldest.done !== true) {
          cache.delete(oldest.value)
        }
      }
      return statement
    },
  }
}

type KyselyStatement = ReturnType<KyselySqlite['prepare']>

/**
 * A statement as Kysely runs it, reading rows as arrays and naming their columns in JavaScript:
 * better-sqlite3 builds row objects property by property in native code, which costs more than the
 * query itself on wide pages (a TAXII page of 1,000 rows reads ~40 % faster). Rows keep the shape
 * better-sqlite3 gives them (a later column of the same name wins). A column named `__proto__`
 * (which an assignment would take for the prototype) keeps better-sqlite3's own objects.
 */
function kyselyStatement(statement: SqliteDatabase.Statement): KyselyStatement {
  const names = statement.reader ? statement.columns().map((c) => c.name) : []
  if (!statement.reader || names.includes('__proto__')) {
    return statement
  }
  statement.raw(true)
  const toRow = (values: unknown[]): Record<string, unknown> => {
    const row: Record<string, unknown> = {}
    for (let i = 0; i < names.length; i++) {
      row[names[i] as string] = values[i]
    }
    return row
  }
  return {
    reader: true,
    all: (parameters) => (statement.all(parameters) as unknown[][]).map(toRow),
    run: (parameters) => statement.run(parameters),
    iterate: function* (parameters) {
      for (const values of statement.iterate(parameters) as IterableIterator<unknown[]>) {
        yield toRow(values)
      }
    },
  }
}

/** Opens a PostgreSQL connection pool. */
export function openPostgres(url: string): Store {
  if (!pgTypesSet) {
    // int8 (counts, sequence numbers) as JS numbers: our values stay far below 2^53.
    pg.types.setTypeParser(20, (value) => Number.parseInt(value, 10))
    pgTypesSet = true
  }
  // JIT compilation off for Liaison's sessions: its queries are short, and a plan whose estimate
  // passed `jit_above_cost` was compiled first (20-40 ms for a 4 ms page). Options given in the URL
  // (`?options=…`) are the operator's and stay as they are.
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    ...(/[?&]options=/.test(url) ? {} : { options: '-c jit=off' }),
  })
  // An idle connection that the server closes (restart, failover, admin command) is dropped from the
  // pool and replaced on next use; without this listener the 'error' event would end the process.
  pool.on('error', (error) => {
    process.emitWarning(`PostgreSQL connection lost: ${error.message}`)
  })
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  return {
    db,
    kind: 'postgres',
    location: redactUrl(url),
    close: () => db.destroy(),
  }
}

/** A database URL with its password replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') {
      parsed.password = '***'
    }
    return parsed.toString()
  } catch {
    return 'postgres://(unparseable url)'
  }
}
