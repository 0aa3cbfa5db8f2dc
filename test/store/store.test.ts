import path from 'node:path'
import SqliteDatabase from 'better-sqlite3'
import { sql, type Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrateToLatest } from '../../src/server/store/migrate.js'
import { openSqlite, type Store } from '../../src/server/store/store.js'
import { createStoreLocation, openTestStore, STORE_KINDS, type TestStoreLocation } from '../helpers/stores.js'

describe.each(STORE_KINDS)('store (%s)', (kind) => {
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

  it('reads rows as plain objects named by their columns, streamed or not', async () => {
    const db = store.db as unknown as Kysely<{
      probe_rows: { n: number; word: string; empty: string | null }
    }>
    await db.schema
      .createTable('probe_rows')
      .addColumn('n', 'integer')
      .addColumn('word', 'text')
      .addColumn('empty', 'text')
      .execute()
    try {
      await db
        .insertInto('probe_rows')
        .values([
          { n: 2, word: 'two', empty: null },
          { n: 1, word: 'one', empty: null },
          { n: 3, word: 'three', empty: 'x' },
        ])
        .execute()
      const listed = await db.selectFrom('probe_rows').select(['word', 'n', 'empty']).orderBy('n').execute()
      expect(listed).toEqual([
        { word: 'one', n: 1, empty: null },
        { word: 'two', n: 2, empty: null },
        { word: 'three', n: 3, empty: 'x' },
      ])
      expect(listed.map((row) => Object.keys(row))).toEqual(Array(3).fill(['word', 'n', 'empty']))
      if (kind === 'sqlite') {
        // Streaming (Kysely's `stream()`) is SQLite's only: the PostgreSQL dialect has no cursor here.
        const streamed = []
        for await (const row of db
          .selectFrom('probe_rows')
          .select(['word', 'n', 'empty'])
          .orderBy('n')
          .stream()) {
          streamed.push(row)
        }
        expect(streamed).toEqual(listed)
      }
      // A column named twice keeps the later value, as better-sqlite3 and pg do.
      const twice = await sql<{
        v: string
      }>`select word as v, 'later' as v from probe_rows where n = 1`.execute(db)
      expect(twice.rows).toEqual([{ v: 'later' }])
      // Writes still answer how many rows they changed.
      const result = await db
        .updateTable('probe_rows')
        .set({ word: 'uno' })
        .where('n', '=', 1)
        .executeTakeFirst()
      expect(Number(result.numUpdatedRows)).toBe(1)
    } finally {
      await db.schema.dropTable('probe_rows').execute()
    }
  })
})

describe('SQLite file', () => {
  let location: TestStoreLocation

  beforeAll(async () => {
    location = await createStoreLocation('sqlite')
  })
  afterAll(async () => {
    await location.drop()
  })

  it('creates a new file with 16 KiB pages, and leaves an existing file its own', async () => {
    const fresh = await openTestStore(location)
    await fresh.close()
    const file = path.join(location.dataDir, 'liaison.db')
    const check = new SqliteDatabase(file)
    expect(check.pragma('page_size', { simple: true })).toBe(16384)
    check.close()

    const older = path.join(location.dataDir, 'older.db')
    const made = new SqliteDatabase(older)
    made.pragma('page_size = 4096')
    made.pragma('journal_mode = WAL')
    made.exec('create table kept (a text)')
    made.close()
    const reopened = openSqlite(older)
    await migrateToLatest(reopened)
    await reopened.close()
    const after = new SqliteDatabase(older)
    expect(after.pragma('page_size', { simple: true })).toBe(4096)
    expect(after.pragma('integrity_check', { simple: true })).toBe('ok')
    after.close()
  })
})
