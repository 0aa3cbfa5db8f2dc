import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findVisibleObject } from '../../src/server/modules/intel/intel.query.js'
import { importContent } from '../../src/server/modules/intel/intel.service.js'
import { createOrganisation } from '../../src/server/modules/org/org.service.js'
import { migrateToLatest } from '../../src/server/store/migrate.js'
import { STIX_OBJECT_STATISTICS } from '../../src/server/store/planner-statistics.js'
import { rawSqliteReaderOf, type Store } from '../../src/server/store/store.js'
import { indicator } from '../helpers/stix.js'
import { createStoreLocation, openTestStore, type TestStoreLocation } from '../helpers/stores.js'

/**
 * SQLite plans by the statistics its schema states for the object table (PostgreSQL measures its
 * own). They must be there whenever Liaison runs: on a new store, after a migration rebuilt an
 * index, after an ANALYZE of an empty store; and measured ones, once an ANALYZE has made them on a
 * store that holds objects, are kept.
 */
describe('statistics SQLite plans by', () => {
  let location: TestStoreLocation
  let store: Store

  beforeAll(async () => {
    location = await createStoreLocation('sqlite')
    store = await openTestStore(location)
  })
  afterAll(async () => {
    await store.close()
    await location.drop()
  })

  async function statistics(of: Store): Promise<[string, string][]> {
    const rows = await sql<{ idx: string; stat: string }>`
      select idx, stat from sqlite_stat1 where tbl = 'stix_objects' order by idx
    `.execute(of.db)
    return rows.rows.map((r) => [r.idx, r.stat])
  }
  const stated = [...STIX_OBJECT_STATISTICS].sort(([a], [b]) => (a < b ? -1 : 1))

  it('are stated on a new store', async () => {
    expect(await statistics(store)).toEqual(stated)
  })

  it('are stated again at the next start when an ANALYZE of an empty store removed them', async () => {
    await sql`analyze`.execute(store.db)
    expect(await statistics(store)).toEqual([])
    await store.close()
    store = await openTestStore(location)
    expect(await statistics(store)).toEqual(stated)
    // A new connection plans a look-up by id through the primary key, not every latest object.
    const reader = rawSqliteReaderOf(store.db)
    const plan = (
      reader?.prepare(
        "explain query plan select * from stix_objects where id = 'x' and is_latest = 1 and label_id in ('a', 'b')",
      ) as { all(): { detail: string }[] } | undefined
    )
      ?.all()
      .map((r) => r.detail)
    expect(plan).toEqual(['SEARCH stix_objects USING INDEX sqlite_autoindex_stix_objects_1 (id=?)'])
  })

  it('are kept as measured once an ANALYZE has measured a store that holds objects', async () => {
    const operator = { kind: 'cli' as const, osUser: 'statistics' }
    const org = await createOrganisation(store.db, operator, { name: 'Stats CSIRT', type: 'national-csirt' })
    const objects = Array.from({ length: 30 }, () => indicator())
    await importContent(
      store.db,
      { actor: operator, orgId: org.id, groupIds: [], userId: randomUUID() },
      { type: 'bundle', id: `bundle--${randomUUID()}`, objects },
      { format: 'stix', label: { tlp: 'green', audience: 'community' }, skipInvalid: false, source: 'stats' },
    )
    await sql`analyze`.execute(store.db)
    const measured = await statistics(store)
    expect(measured.find(([index]) => index === 'sqlite_autoindex_stix_objects_1')?.[1]).toBe('30 1 1 1')
    await migrateToLatest(store)
    expect(await statistics(store)).toEqual(measured)
    const viewer = { kind: 'user' as const, userId: randomUUID(), orgId: org.id, groupIds: [], peer: false }
    expect((await findVisibleObject(store.db, viewer, objects[3]?.id ?? ''))?.id).toBe(objects[3]?.id)
  })
})
