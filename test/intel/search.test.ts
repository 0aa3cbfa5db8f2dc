import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Viewer } from '../../src/core/trust/label.js'
import {
  searchObjects,
  visibleObjects,
  type ObjectFilter,
} from '../../src/server/modules/intel/intel.query.js'
import { importContent } from '../../src/server/modules/intel/intel.service.js'
import { createOrganisation } from '../../src/server/modules/org/org.service.js'
import { searchPeople } from '../../src/server/modules/user/user.repository.js'
import type { Store } from '../../src/server/store/store.js'
import { createUserWithPassword } from '../helpers/factories.js'
import { bundleOf, indicator } from '../helpers/stix.js'
import { createStoreLocation, openTestStore, STORE_KINDS, type TestStoreLocation } from '../helpers/stores.js'

/**
 * A search page is first looked for among the versions added last (a walk in date-added order that
 * stops at the page), and only otherwise in the whole store. Both ways must give the same pages, in
 * the same order, whatever the filter and however deep the page: here with windows of a few dozen
 * versions on a store of a few hundred, against the whole-store search alone.
 */
describe.each(STORE_KINDS)('search pages among the newest versions (%s)', (kind) => {
  let location: TestStoreLocation
  let store: Store
  let viewer: Viewer
  const WINDOWS = { least: 12, most: 120 }
  const WHOLE = { least: 0, most: 0 }

  beforeAll(async () => {
    location = await createStoreLocation(kind)
    store = await openTestStore(location)
    const operator = { kind: 'cli' as const, osUser: 'search' }
    const own = await createOrganisation(store.db, operator, { name: 'Search CSIRT', type: 'national-csirt' })
    const other = await createOrganisation(store.db, operator, {
      name: 'Other CSIRT',
      type: 'national-csirt',
    })
    const userId = randomUUID()
    viewer = { kind: 'user', userId, orgId: own.id, groupIds: [], peer: false }
    const ours = { actor: operator, orgId: own.id, groupIds: [], userId }
    const theirs = { actor: operator, orgId: other.id, groupIds: [], userId: randomUUID() }
    const community = (source: string) => ({
      format: 'stix' as const,
      label: { tlp: 'green' as const, audience: 'community' as const },
      skipInvalid: false,
      source,
    })
    const bundle = bundleOf
    const at = '2025-01-01T00:00:00.000Z'
    const malware = () => ({
      type: 'malware',
      spec_version: '2.1',
      id: `malware--${randomUUID()}`,
      created: at,
      modified: at,
      name: `family ${randomUUID().slice(0, 6)}`,
      is_family: true,
    })
    const first = Array.from({ length: 60 }, () => indicator())
    await importContent(store.db, ours, bundle(first), community('first'))
    await importContent(store.db, ours, bundle(Array.from({ length: 9 }, malware)), community('malware'))
    // Newer than everything of ours, and not for us: the other organisation's own.
    await importContent(store.db, theirs, bundle(Array.from({ length: 40 }, () => indicator())), {
      format: 'stix',
      label: { tlp: 'amber', audience: 'org' },
      skipInvalid: false,
      source: 'theirs',
    })
    await importContent(
      store.db,
      ours,
      bundle(Array.from({ length: 50 }, () => indicator())),
      community('second'),
    )
    // New versions of some of the first: their earlier versions are no longer the latest.
    const later = '2025-06-01T00:00:00.000Z'
    await importContent(
      store.db,
      ours,
      bundle(first.slice(0, 15).map((o) => ({ ...o, modified: later, name: `${String(o.name)} again` }))),
      community('again'),
    )
    // The same object in another organisation's copy, visible to us.
    await importContent(store.db, theirs, bundle([first[20]]), community('copy'))
  })
  afterAll(async () => {
    await store.close()
    await location.drop()
  })

  const keyOf = (r: { id: string; owner_org_id: string; modified: string }) =>
    `${r.id} ${r.owner_org_id} ${r.modified}`

  /** Every page of a filter, `limit` at a time, the given way. */
  async function pages(filter: ObjectFilter, limit: number, windows: typeof WINDOWS): Promise<string[][]> {
    const out: string[][] = []
    for (let offset = 0; ; offset += limit) {
      const { rows, total } = await searchObjects(store.db, viewer, { ...filter, limit, offset }, windows)
      out.push(rows.map(keyOf))
      if (offset + limit >= total) {
        return out
      }
    }
  }

  const FILTERS: [string, ObjectFilter][] = [
    ['no filter', {}],
    ['a common type', { types: ['indicator'] }],
    ['a rare type', { types: ['malware'] }],
    ['a source', { source: 'second' }],
    ['a TLP', { tlp: ['green'] }],
    ['a value', { value: '203.0.0.5' }],
    ['a name', { name: 'AGAIN' }],
  ]

  it.each(FILTERS)('gives the pages of the whole-store search: %s', async (_, filter) => {
    for (const limit of [1, 7, 25]) {
      const windowed = await pages(filter, limit, WINDOWS)
      const whole = await pages(filter, limit, WHOLE)
      expect(windowed).toEqual(whole)
    }
  })

  it('finds names containing a text, whatever its case, % and _ as themselves, only among what the viewer may see', async () => {
    const named = async (name: string) => {
      const { rows, total } = await searchObjects(store.db, viewer, { name, limit: 500, offset: 0 }, WHOLE)
      expect(rows).toHaveLength(total)
      return rows.map((r) => (JSON.parse(r.json) as { name: string }).name)
    }
    const again = await named('AGAIN')
    expect(again).toHaveLength(15)
    expect(again.every((n) => n.endsWith(' again'))).toBe(true)
    expect(await named('again')).toEqual(again)
    // "family" names the nine malware; the other organisation's own indicators ("probe …", TLP:AMBER,
    // organisation only) are not found by their names, while the copy it shares with us is.
    expect(await named('family ')).toHaveLength(9)
    const probes = await named('probe')
    // Ours (60, 15 of them renamed "… again", and 50), and the shared copy: not their 40 others.
    expect(probes).toHaveLength(60 + 50 + 1)
    // Wildcards of LIKE are matched as themselves: no name holds them.
    expect(await named('%')).toEqual([])
    expect(await named('probe_')).toEqual([])
    expect(await named('\\')).toEqual([])
  })

  it('pages newest first, each visible latest version once', async () => {
    const all = (await pages({}, 500, WHOLE)).flat()
    // Ours (60 + 9 + 50) and the copy of the other organisation's that we may see.
    expect(all).toHaveLength(120)
    expect(new Set(all).size).toBe(all.length)
    const rows = await store.db
      .selectFrom('stix_objects')
      .select(['id', 'owner_org_id', 'modified', 'added_at', 'is_latest', 'source'])
      .execute()
    const byKey = new Map(rows.map((r) => [keyOf(r), r]))
    const listed = all.map((k) => byKey.get(k))
    expect(listed.every((r) => r?.is_latest === 1 && r.source !== 'theirs')).toBe(true)
    const order = listed.map((r) => [r?.added_at ?? '', r?.id ?? '', r?.owner_org_id ?? ''] as const)
    for (let i = 1; i < order.length; i++) {
      const [a, b] = [order[i - 1], order[i]]
      // Date added, then id, then owner, each descending.
      const before = (x: readonly string[], y: readonly string[]): boolean =>
        x[0] !== y[0]
          ? (x[0] ?? '') > (y[0] ?? '')
          : x[1] !== y[1]
            ? (x[1] ?? '') > (y[1] ?? '')
            : (x[2] ?? '') > (y[2] ?? '')
      expect(a !== undefined && b !== undefined && before(a, b), `${String(a)} then ${String(b)}`).toBe(true)
    }
  })

  it('looks among exactly the newest versions when asked to', async () => {
    const newest = 120
    const rows = await store.db
      .selectFrom('stix_objects')
      .select(['id', 'owner_org_id', 'modified'])
      .orderBy('added_at', 'desc')
      .orderBy('id', 'desc')
      .orderBy('owner_org_id', 'desc')
      .orderBy('modified', 'desc')
      .limit(newest)
      .execute()
    const inWindow = new Set(rows.map(keyOf))
    const visible = new Set((await pages({}, 500, WHOLE)).flat())
    const found = await visibleObjects(store.db, viewer, {}, newest)
      .select(['s.id', 's.owner_org_id', 's.modified'])
      .execute()
    expect(new Set(found.map(keyOf))).toEqual(new Set([...inWindow].filter((k) => visible.has(k))))
    // The other organisation's 40 lie inside it and stay invisible, as do the versions no longer latest.
    expect(found.length).toBeLessThan(newest)
    expect(found.length).toBeGreaterThan(0)
  })
})

/**
 * Names in any script are found whatever the case, the same on both stores: SQLite's own LIKE and
 * lower() fold ASCII letters only, PostgreSQL's ILIKE every script's.
 */
describe.each(STORE_KINDS)('text search in every script (%s)', (kind) => {
  let location: TestStoreLocation
  let store: Store
  let viewer: Viewer
  let orgId: string

  beforeAll(async () => {
    location = await createStoreLocation(kind)
    store = await openTestStore(location)
    const operator = { kind: 'cli' as const, osUser: 'search-test' }
    const org = await createOrganisation(store.db, operator, {
      name: 'Scripts CSIRT',
      type: 'national-csirt',
    })
    orgId = org.id
    const userId = randomUUID()
    viewer = { kind: 'user', userId, orgId, groupIds: [], peer: false }
    const names = [
      'Opération Écureuil',
      'ФИШИНГ кампания',
      'Σπείρα ΔΙΚΤΥΟΥ',
      'Plain ASCII probe',
      'ÉTÉ 100%_done',
    ]
    await importContent(
      store.db,
      { actor: operator, orgId, groupIds: [], userId },
      bundleOf(names.map((name) => indicator({ name }))),
      { format: 'stix', label: { tlp: 'green' }, skipInvalid: false, source: 'search-test' },
    )
  })
  afterAll(async () => {
    await store.close()
    await location.drop()
  })

  it('finds object names containing a text in any case of any script', async () => {
    const named = async (name: string) =>
      (await searchObjects(store.db, viewer, { name, limit: 50, offset: 0 }, { least: 0, most: 0 })).rows
        .map((r) => (JSON.parse(r.json) as { name: string }).name)
        .sort()
    expect(await named('écureuil')).toEqual(['Opération Écureuil'])
    expect(await named('OPÉRATION')).toEqual(['Opération Écureuil'])
    expect(await named('фишинг')).toEqual(['ФИШИНГ кампания'])
    expect(await named('КАМПАНИЯ')).toEqual(['ФИШИНГ кампания'])
    expect(await named('δικτυου')).toEqual(['Σπείρα ΔΙΚΤΥΟΥ'])
    // ASCII as before, whatever the case; wildcards as themselves, also beside other scripts.
    expect(await named('ascii PROBE')).toEqual(['Plain ASCII probe'])
    expect(await named('été 100%_')).toEqual(['ÉTÉ 100%_done'])
    expect(await named('été 1000')).toEqual([])
    expect(await named('é%')).toEqual([])
  })

  it('finds people by a name in any case of any script', async () => {
    const { user } = await createUserWithPassword(store, { orgId, name: 'Éloïse Żółtowska' })
    for (const q of ['éloïse', 'ŻÓŁTOWSKA', 'Éloïse żół']) {
      expect((await searchPeople(store.db, q, 10)).map((p) => p.id)).toEqual([user.id])
    }
    expect(await searchPeople(store.db, 'eloise', 10)).toEqual([])
  })
})
