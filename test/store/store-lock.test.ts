import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LiaisonError } from '../../src/server/errors.js'
import { openStore, type Store } from '../../src/server/store/store.js'
import { createStoreLocation, openTestStore, STORE_KINDS, type TestStoreLocation } from '../helpers/stores.js'

/**
 * Another process holding the store's write lock — `liaison import` of a large file beside a running
 * server holds it for the whole import — must not stop this process: its event loop keeps turning,
 * its reads are answered, and its writes wait for the lock (without blocking anything) and then go
 * through; a write that waits too long fails with a clear 503, not a frozen server.
 */
describe.each(STORE_KINDS)('a write lock held by another process (%s)', (kind) => {
  let location: TestStoreLocation
  let store: Store

  beforeAll(async () => {
    location = await createStoreLocation(kind)
    store = await openTestStore(location)
  })
  afterAll(async () => {
    await store.close()
    await location.drop()
  })

  /**
   * Starts a process that takes the write lock (SQLite) or the row lock of the audit chain head
   * (PostgreSQL) in an open transaction, and holds it until told to commit.
   */
  async function holdLock(): Promise<{ child: ChildProcessWithoutNullStreams; release(): Promise<void> }> {
    const script =
      kind === 'sqlite'
        ? `
          const Database = require('better-sqlite3')
          const db = new Database(${JSON.stringify(path.join(location.dataDir, 'liaison.db'))})
          db.exec('begin immediate')
          db.prepare('update audit_head set seq = seq where id = 1').run()
          console.log('holding')
          process.stdin.once('data', () => { db.exec('commit'); db.close(); console.log('released'); process.exit(0) })
        `
        : `
          const pg = require('pg')
          const client = new pg.Client({ connectionString: ${JSON.stringify(location.databaseUrl)} })
          ;(async () => {
            await client.connect()
            await client.query('begin')
            await client.query('update audit_head set seq = seq where id = 1')
            console.log('holding')
            process.stdin.once('data', async () => { await client.query('commit'); await client.end(); console.log('released'); process.exit(0) })
          })()
        `
    const child = spawn(process.execPath, ['-e', script], { cwd: process.cwd() })
    child.stderr.on('data', (d: Buffer) => process.stderr.write(d))
    const lines = createInterface({ input: child.stdout })
    const next = () => new Promise<string>((resolve) => lines.once('line', resolve))
    expect(await next()).toBe('holding')
    return {
      child,
      async release() {
        const released = next()
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.stdin.write('go\n')
        expect(await released).toBe('released')
        await exited
      },
    }
  }

  /** The longest the event loop stood still while `work` ran, sampled every 20 ms. */
  async function longestStall<T>(work: () => Promise<T>): Promise<{ result: T; stallMs: number }> {
    let last = performance.now()
    let stallMs = 0
    const timer = setInterval(() => {
      const now = performance.now()
      stallMs = Math.max(stallMs, now - last - 20)
      last = now
    }, 20)
    try {
      const result = await work()
      return { result, stallMs }
    } finally {
      clearInterval(timer)
    }
  }

  const throttleRow = () => ({
    key: `lock-${randomUUID()}`,
    window_start: new Date().toISOString(),
    failures: 1,
  })

  it('keeps answering reads and lets writes wait, without stopping, until the lock is free', async () => {
    const holder = await holdLock()
    let written = false
    const write = store.db
      .transaction()
      .execute(async (trx) => {
        await trx
          .updateTable('audit_head')
          .set((eb) => ({ seq: eb('seq', '+', 0) }))
          .where('id', '=', 1)
          .execute()
        await trx.insertInto('login_throttle').values(throttleRow()).execute()
      })
      .then(() => {
        written = true
      })
    const single = store.db.insertInto('login_throttle').values(throttleRow()).execute()
    const { result: reads, stallMs } = await longestStall(async () => {
      const answers: number[] = []
      for (let i = 0; i < 5; i++) {
        const t = performance.now()
        await store.db.selectFrom('organisations').select('id').execute()
        answers.push(performance.now() - t)
        await new Promise((resolve) => setTimeout(resolve, 60))
      }
      return answers
    })
    // Reads came back at once, the process never stood still (SQLite's own busy wait stood it still
    // for as long as the lock was held: seconds), and the writes are still waiting. The bounds leave
    // room for a loaded machine.
    expect(Math.max(...reads)).toBeLessThan(1000)
    expect(stallMs).toBeLessThan(1000)
    expect(written).toBe(false)
    await holder.release()
    await write
    await single
    expect(written).toBe(true)
    const rows = await store.db
      .selectFrom('login_throttle')
      .select('key')
      .where('key', 'like', 'lock-%')
      .execute()
    expect(rows).toHaveLength(2)
  })

  it.runIf(kind === 'sqlite')(
    'fails a write that waited longer than its limit with store_busy (503)',
    async () => {
      const impatient = openStore({ dataDir: location.dataDir, databaseUrl: null }, { lockWaitMs: 300 })
      const holder = await holdLock()
      try {
        const { result: error, stallMs } = await longestStall(() =>
          impatient.db
            .insertInto('login_throttle')
            .values(throttleRow())
            .execute()
            .then(
              () => null,
              (e: unknown) => e,
            ),
        )
        expect(error).toBeInstanceOf(LiaisonError)
        expect(error).toMatchObject({ status: 503, code: 'store_busy' })
        expect(stallMs).toBeLessThan(1000)
        // Nothing was written, and the store works once the lock is free.
        await holder.release()
        await impatient.db.insertInto('login_throttle').values(throttleRow()).execute()
      } finally {
        holder.child.kill()
        await impatient.close()
      }
    },
  )
})
