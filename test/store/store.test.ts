import { sql, type Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Store } from '../../src/server/store/store.js'
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

  it.runIf(kind === 'postgres')('runs its PostgreSQL sessions without JIT compilation', async () => {
    const setting = await sql<{ jit: string }>`select current_setting('jit') as jit`.execute(store.db)
    expect(setting.rows[0]?.jit).toBe('off')
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
