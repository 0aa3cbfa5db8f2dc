import {
  CompiledQuery,
  SelectQueryNode,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  type SqliteDatabase,
} from 'kysely'
import { LiaisonError } from '../errors.js'

/** How long a write waits for another process's write lock by default (a large CLI import takes a while). */
export const SQLITE_LOCK_WAIT_MS = 60_000

/** The codes better-sqlite3 gives a statement that found the database locked by another connection. */
const BUSY_CODES = new Set([
  'SQLITE_BUSY',
  'SQLITE_BUSY_RECOVERY',
  'SQLITE_BUSY_SNAPSHOT',
  'SQLITE_BUSY_TIMEOUT',
])

function isBusy(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'string' &&
    BUSY_CODES.has(error.code)
  )
}

/** One holder at a time of the single connection; waiters go in turn. */
class Mutex {
  private held = false
  private readonly waiters: (() => void)[] = []

  async lock(): Promise<void> {
    if (!this.held) {
      this.held = true
      return
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve))
  }

  unlock(): void {
    const next = this.waiters.shift()
    if (next === undefined) {
      this.held = false
    } else {
      // Handed over: `held` stays true for the next holder.
      next()
    }
  }
}

/**
 * Kysely's SQLite driver, but waiting for another process's write lock without stopping this one.
 *
 * better-sqlite3 is synchronous: with SQLite's own busy timeout, a write that finds the database
 * locked by another process (`liaison import` of a large file beside a running server holds the
 * write lock for the whole import) would block the event loop until the lock came free — every
 * request of the server, reads included, stood still for up to the timeout, and then the write
 * failed. Here the connection has no busy timeout; a transaction begins with `BEGIN IMMEDIATE`
 * (the write lock is taken first, before any work, so waiting means retrying that statement
 * alone) and a write outside a transaction is one statement: when either finds the lock held, the
 * connection is let go (other queries of this process run meanwhile) and the statement is tried
 * again after a pause that grows to 100 ms, for up to `lockWaitMs`; then the write fails with a
 * 503 `store_busy`. Inside a transaction nothing waits: it already holds the lock.
 */
export class WaitingSqliteDriver implements Driver {
  private readonly mutex = new Mutex()
  private readonly connection: WaitingSqliteConnection

  constructor(
    private readonly database: SqliteDatabase,
    lockWaitMs: number,
  ) {
    this.connection = new WaitingSqliteConnection(database, this.mutex, lockWaitMs)
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.mutex.lock()
    return this.connection
  }

  async beginTransaction(): Promise<void> {
    await this.connection.whenLockFree(CompiledQuery.raw('begin immediate'))
    this.connection.inTransaction = true
  }

  async commitTransaction(): Promise<void> {
    await this.connection.executeQuery(CompiledQuery.raw('commit'))
    this.connection.inTransaction = false
  }

  async rollbackTransaction(): Promise<void> {
    this.connection.inTransaction = false
    await this.connection.executeQuery(CompiledQuery.raw('rollback'))
  }

  async releaseConnection(): Promise<void> {
    this.mutex.unlock()
  }

  async destroy(): Promise<void> {
    this.database.close()
  }
}

class WaitingSqliteConnection implements DatabaseConnection {
  /** Between BEGIN and COMMIT/ROLLBACK: the write lock is held, nothing waits. */
  inTransaction = false

  constructor(
    private readonly database: SqliteDatabase,
    private readonly mutex: Mutex,
    private readonly lockWaitMs: number,
  ) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.inTransaction ? Promise.resolve(this.run<R>(query)) : this.whenLockFree<R>(query)
  }

  /**
   * Runs one statement outside a transaction; while another connection holds the write lock, lets
   * this connection go, pauses, and tries again, until `lockWaitMs` has passed. (Reads never find
   * the lock held in WAL mode; writes, and BEGIN IMMEDIATE, may.)
   */
  async whenLockFree<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const deadline = Date.now() + this.lockWaitMs
    let pause = 2
    for (;;) {
      try {
        return this.run<R>(query)
      } catch (error) {
        if (!isBusy(error)) {
          throw error
        }
        if (Date.now() >= deadline) {
          throw new LiaisonError(
            503,
            'store_busy',
            `the store is locked by another process (a large import?) for more than ${Math.round(this.lockWaitMs / 1000)} s; try again later`,
            { retryAfterSeconds: 10 },
          )
        }
      }
      this.mutex.unlock()
      await new Promise((resolve) => setTimeout(resolve, pause))
      pause = Math.min(pause * 2, 100)
      await this.mutex.lock()
    }
  }

  private run<R>(query: CompiledQuery): QueryResult<R> {
    const statement = this.database.prepare(query.sql)
    if (statement.reader) {
      return { rows: statement.all(query.parameters) as R[] }
    }
    const { changes, lastInsertRowid } = statement.run(query.parameters)
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] }
  }

  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(query.query)) {
      throw new Error('the SQLite store streams SELECT queries only')
    }
    for (const row of this.database.prepare(query.sql).iterate(query.parameters)) {
      yield { rows: [row as R] }
    }
  }
}
