import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import type SqliteDatabase from 'better-sqlite3'

/** SQLite's own default: the writer checkpoints at the commit that takes the WAL past this many pages. */
const WRITER_AUTOCHECKPOINT_PAGES = 1000
/** After a checkpoint, the next one waits at least this long (commits in between are taken together). */
const CHECKPOINT_INTERVAL_MS = 250
/** After a WAL reset, SQLite truncates the WAL file to this size (a large import leaves it gigabytes long). */
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024

/**
 * The worker: its own connection to the file, which copies committed pages from the WAL into the
 * database (a PASSIVE checkpoint: it never waits for, nor holds up, the writer or readers). Plain
 * JavaScript evaluated as a script, so that it runs the same from the build and from the sources.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.file)
db.pragma('busy_timeout = 0')
let timer = null
let last = 0
const checkpoint = () => {
  timer = null
  last = Date.now()
  try {
    db.pragma('wal_checkpoint(PASSIVE)')
  } catch (error) {
    // Another connection (another process's) checkpoints just now: the next commit brings us back.
    if (!String(error && error.code).startsWith('SQLITE_BUSY')) {
      parentPort.postMessage({ error: String((error && error.message) || error) })
    }
  }
  parentPort.postMessage('checkpointed')
}
parentPort.on('message', (message) => {
  if (message === 'close') {
    if (timer !== null) clearTimeout(timer)
    db.close()
    parentPort.close()
    return
  }
  if (timer === null) {
    timer = setTimeout(checkpoint, Math.max(0, last + workerData.intervalMs - Date.now()))
  }
})
parentPort.postMessage('ready')
`

/**
 * Checkpoints a SQLite store's WAL on a worker thread instead of in the writer's commits.
 *
 * In WAL mode a commit appends pages to the WAL; a checkpoint copies them into the database file and
 * syncs both. SQLite's default runs it inside the commit that takes the WAL past 1,000 pages, on the
 * writing connection, with the event loop stopped: about half a second for each 250 MB of WAL (the
 * commit of a 300,000-object import), several seconds after a large MISP event. Here the writer never
 * checkpoints (`wal_autocheckpoint = 0`) while the worker runs; the driver nudges it after each
 * write (see {@link WaitingSqliteDriver}) and the worker copies what is committed, on the other core,
 * at most every {@link CHECKPOINT_INTERVAL_MS}, while this thread goes on. A PASSIVE checkpoint waits
 * for no one, and a crash in the middle of one loses nothing (the WAL stays the record until the
 * writer restarts it). Until the worker is ready, or if it fails, the writer checkpoints itself as
 * before. The worker starts at the first write, so read-only uses of the store never start it.
 */
export class SqliteCheckpointer {
  private worker: Worker | null = null
  private ready = false
  private failed = false
  private closing: Promise<void> | null = null
  private readonly waiters: (() => void)[] = []

  constructor(
    private readonly file: string,
    private readonly writer: SqliteDatabase.Database,
  ) {
    writer.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`)
  }

  /** Something was committed: start the worker if needed, and have it checkpoint soon. */
  nudge(): void {
    if (this.failed || this.closing !== null) {
      return
    }
    if (this.worker === null) {
      this.start()
    }
    if (this.ready) {
      this.worker?.postMessage('nudge')
    }
  }

  /** Resolves after the next checkpoint the worker completes (for tests). */
  nextCheckpoint(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  /** Stops the worker and closes its connection (before the store's own connections close). */
  async close(): Promise<void> {
    const worker = this.worker
    if (worker === null) {
      return
    }
    this.closing ??= new Promise<void>((resolve) => {
      worker.once('exit', () => resolve())
      // Held alive until it has closed its connection (unreferenced, the process could end first).
      worker.ref()
      worker.postMessage('close')
    })
    await this.closing
    this.worker = null
  }

  private start(): void {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        file: this.file,
        driver: createRequire(import.meta.url).resolve('better-sqlite3'),
        intervalMs: CHECKPOINT_INTERVAL_MS,
      },
    })
    // It never keeps the process alive on its own (a CLI that ends without closing the store: the
    // WAL is still the record, and the next open recovers from it).
    worker.unref()
    worker.on('message', (message: unknown) => {
      if (message === 'ready') {
        this.ready = true
        this.writer.pragma('wal_autocheckpoint = 0')
        worker.postMessage('nudge')
      } else if (message === 'checkpointed') {
        for (const resolve of this.waiters.splice(0)) {
          resolve()
        }
      } else if (typeof message === 'object' && message !== null && 'error' in message) {
        this.fail(`SQLite checkpoint failed: ${String(message.error)}`)
      }
    })
    worker.on('error', (error) => this.fail(`SQLite checkpointer stopped: ${error.message}`))
    worker.on('exit', () => {
      if (this.closing === null) {
        this.fail('SQLite checkpointer exited')
      }
      if (this.worker === worker) {
        // Nothing left to close (close() would otherwise wait for an exit that has come).
        this.worker = null
      }
    })
    this.worker = worker
  }

  /** The writer checkpoints itself again, as SQLite does by default. */
  private fail(reason: string): void {
    if (this.failed) {
      return
    }
    this.failed = true
    this.ready = false
    process.emitWarning(`${reason}; the writing connection checkpoints in its commits again`)
    try {
      this.writer.pragma(`wal_autocheckpoint = ${WRITER_AUTOCHECKPOINT_PAGES}`)
    } catch {
      // The store is closed already.
    }
    void this.worker?.terminate()
  }
}
