import { existsSync, statSync } from 'node:fs'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStore, rawSqliteOf, sqliteCheckpointerOf, type Store } from '../../src/server/store/store.js'
import { createStoreLocation, openTestStore, type TestStoreLocation } from '../helpers/stores.js'

/**
 * SQLite's WAL is copied into the database file on a worker thread, not by the writer in its commits
 * (the commit of a large import spent a fifth of the import doing it, with the event loop stopped).
 * PostgreSQL has no such file: SQLite only.
 */
describe('WAL checkpoints beside the writer (sqlite)', () => {
  let location: TestStoreLocation
  let store: Store
  const file = () => path.join(location.dataDir, 'liaison.db')
  const rows = 2000
  const payload = 'x'.repeat(2000)

  beforeAll(async () => {
    location = await createStoreLocation('sqlite')
    store = await openTestStore(location)
  })
  afterAll(async () => {
    await store.close()
    await location.drop()
  })

  it('leaves checkpoints to the worker, which copies each commit into the file', async () => {
    const checkpointer = sqliteCheckpointerOf(store.db)
    expect(checkpointer).toBeDefined()
    // The migration wrote: the worker is running, and the writer no longer checkpoints by itself.
    await checkpointer?.nextCheckpoint()
    expect(rawSqliteOf(store.db)?.pragma('wal_autocheckpoint', { simple: true })).toBe(0)
    const before = statSync(file()).size

    await sql`create table checkpoint_probe (n integer primary key, body text not null)`.execute(store.db)
    const done = checkpointer?.nextCheckpoint()
    await store.db.transaction().execute(async (trx) => {
      for (let n = 0; n < rows; n++) {
        await sql`insert into checkpoint_probe (n, body) values (${n}, ${payload})`.execute(trx)
      }
    })
    // Readers see the commit at once (from the WAL); the worker copies it into the file after.
    const counted = await sql<{ c: number }>`select count(*) as c from checkpoint_probe`.execute(store.db)
    expect(counted.rows[0]?.c).toBe(rows)
    await done
    // Two thousand rows of 2 KB: some 4 MB more in the database file itself.
    expect(statSync(file()).size - before).toBeGreaterThan(rows * payload.length)
  })

  it('falls back to checkpoints in the commits when the worker stops, and still closes', async () => {
    const other = await createStoreLocation('sqlite')
    const second = await openTestStore(other)
    try {
      const checkpointer = sqliteCheckpointerOf(second.db)
      await checkpointer?.nextCheckpoint()
      const warnings: string[] = []
      const onWarning = (warning: Error) => warnings.push(warning.message)
      process.on('warning', onWarning)
      // As when the worker thread dies (its 'error' or 'exit' lands here).
      checkpointer?.['fail']('worker stopped by the test')
      await new Promise((resolve) => setImmediate(resolve))
      process.off('warning', onWarning)
      expect(warnings.join('\n')).toContain('worker stopped by the test')
      expect(rawSqliteOf(second.db)?.pragma('wal_autocheckpoint', { simple: true })).toBe(1000)
      await sql`create table after_failure (n integer)`.execute(second.db)
    } finally {
      // Closing must not wait for a worker that is gone.
      await second.close()
      await other.drop()
    }
  })

  it('closes the worker before the store, which then folds the WAL in and removes it', async () => {
    await sql`insert into checkpoint_probe (n, body) values (${rows}, ${'last'})`.execute(store.db)
    await store.close()
    expect(existsSync(`${file()}-wal`)).toBe(false)
    store = openStore({ dataDir: location.dataDir, databaseUrl: null })
    const counted = await sql<{ c: number }>`select count(*) as c from checkpoint_probe`.execute(store.db)
    expect(counted.rows[0]?.c).toBe(rows + 1)
  })
})
