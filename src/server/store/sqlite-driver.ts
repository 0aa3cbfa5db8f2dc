import {
  CompiledQuery,
  SelectQueryNode,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  type SqliteDatabase,
} from 'kysely'
import { LiaisonError } from '../errors.js'
import type { SqliteCheckpointer } from './sqlite-checkpointer.js'

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

/** One holder at a time of the writing connection; waiters go in turn. */
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
 * Kysely's SQLite driver, but waiting for another process's write lock without stopping this one,
 * and reading beside a write in progress.
 *
 * better-sqlite3 is synchronous: with SQLite's own busy timeout, a write that finds the database
 * locked by another process (`liaison import` of a large file beside a running server holds the
 * write lock for the whole import) would block the event loop until the lock came free — every
 * request of the server, reads included, stood still for up to the timeout, and then the write
 * failed. Here the writing connection has no busy timeout; a transaction begins with `BEGIN
 * IMMEDIATE` (the write lock is taken first, before any work, so waiting means retrying that
 * statement alone) and a write outside a transaction is one statement: when either finds the lock
 * held, the connection is let go (other queries of this process run meanwhile) and the statement is
 * tried again after a pause that grows to 100 ms, for up to `lockWaitMs`; then the write fails with
 * a 503 `store_busy`. Inside a transaction nothing waits: it already holds the lock.
 *
 * The writing connection serves one holder at a time, a transaction for all its length. A SELECT
 * outside a transaction runs on a second, read-only connection (`reader`) instead, which in WAL mode
 * reads the last committed state while a write goes on: an import of a million objects through the
 * API no longer holds every other request of the server (sign-ins, pages, TAXII reads) until it
 * commits, as PostgreSQL's pool never did.
 *
 * After each commit, and each write outside a transaction, the `checkpointer` is nudged: it copies
 * the WAL into the database on a worker thread, so the writer's commits no longer do (see
 * {@link SqliteCheckpointer}).
 */
export class WaitingSqliteDriver implements Driver {
  private readonly mutex = new Mutex()

  constructor(
    private readonly database: SqliteDatabase,
    private readonly reader: SqliteDatabase | null,
    private readonly lockWaitMs: number,
    private readonly checkpointer: SqliteCheckpointer | null = null,
  ) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    // The writer is taken on the first statement that needs it (see WaitingSqliteConnection).
    return new WaitingSqliteConnection(
      this.database,
      this.reader,
      this.mutex,
      this.lockWaitMs,
      this.checkpointer,
    )
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as WaitingSqliteConnection
    await c.takeWriter()
    await c.whenLockFree(CompiledQuery.raw('begin immediate'))
    c.inTransaction = true
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as WaitingSqliteConnection
    await c.executeQuery(CompiledQuery.raw('commit'))
    c.inTransaction = false
    this.checkpointer?.nudge()
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as WaitingSqliteConnection
    c.inTransaction = false
    await c.executeQuery(CompiledQuery.raw('rollback'))
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    ;(connection as WaitingSqliteConnection).release()
  }

  async destroy(): Promise<void> {
    // The checkpointer's connection first: the writer, closed last, then checkpoints what is left
    // and removes the WAL.
    await this.checkpointer?.close()
    this.reader?.close()
    this.database.close()
  }
}

/** One use of the store (a statement, or a transaction): reads on the reader, the rest on the writer. */
class WaitingSqliteConnection implements DatabaseConnection {
  /** Between BEGIN and COMMIT/ROLLBACK: the write lock is held, nothing waits. */
  inTransaction = false
  /** This use holds the writing connection (until released). */
  private writing = false

  constructor(
    private readonly database: SqliteDatabase,
    private readonly reader: SqliteDatabase | null,
    private readonly mutex: Mutex,
    private readonly lockWaitMs: number,
    private readonly checkpointer: SqliteCheckpointer | null,
  ) {}

  /** Takes the writing connection for this use, waiting for its holder to finish. */
  async takeWriter(): Promise<void> {
    if (!this.writing) {
      await this.mutex.lock()
      this.writing = true
    }
  }

  /** Lets the writing connection go, if this use took it. */
  release(): void {
    if (this.writing) {
      this.writing = false
      this.mutex.unlock()
    }
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.inTransaction) {
      return this.run<R>(this.database, query)
    }
    if (this.readsAside(query)) {
      try {
        return this.run<R>(this.reader as SqliteDatabase, query)
      } catch (error) {
        // The reader found the file busy (a checkpoint or recovery of another process): the
        // writer's way, which waits without blocking, takes it.
        if (!isBusy(error)) {
          throw error
        }
      }
    }
    await this.takeWriter()
    return this.whenLockFree<R>(query)
  }

  /** A SELECT outside a transaction, with a reader to run it on. */
  private readsAside(query: CompiledQuery): boolean {
    return !this.writing && this.reader !== null && SelectQueryNode.is(query.query)
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
        const result = this.run<R>(this.database, query)
        if (result.numAffectedRows !== undefined && result.numAffectedRows > 0n) {
          this.checkpointer?.nudge()
        }
        return result
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

  private run<R>(database: SqliteDatabase, query: CompiledQuery): QueryResult<R> {
    const statement = database.prepare(query.sql)
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
    // On the writer, held until the iteration ends: a connection runs nothing else while a
    // statement iterates, and the reader is shared.
    await this.takeWriter()
    for (const row of this.database.prepare(query.sql).iterate(query.parameters)) {
      yield { rows: [row as R] }
    }
  }
}
