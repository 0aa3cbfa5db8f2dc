import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Viewer } from '../../src/core/trust/label.js'
import {
  correlateMany,
  correlateValues,
  type Correlation,
} from '../../src/server/modules/intel/intel.query.js'
import { importContent, type ImportRequest } from '../../src/server/modules/intel/intel.service.js'
import { createOrganisation } from '../../src/server/modules/org/org.service.js'
import type { Store } from '../../src/server/store/store.js'
import type { ApiClient } from '../helpers/http.js'
import { createLeakWorld, type LeakWorld } from '../helpers/leak-harness.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { createStoreLocation, openTestStore, STORE_KINDS, type TestStoreLocation } from '../helpers/stores.js'

const OPERATOR = { kind: 'cli' as const, osUser: 'seen' }
const COMMUNITY: ImportRequest = {
  format: 'auto',
  label: { tlp: 'green', audience: 'community' },
  skipInvalid: false,
  source: 'seen',
}
const OWN_ONLY: ImportRequest = { ...COMMUNITY, label: { tlp: 'amber', audience: 'org' } }

function observedData(refs: string[], first: string, last: string) {
  return {
    type: 'observed-data',
    spec_version: '2.1',
    id: `observed-data--${randomUUID()}`,
    created: '2025-01-01T00:00:00.000Z',
    modified: '2025-01-01T00:00:00.000Z',
    first_observed: first,
    last_observed: last,
    number_observed: 1,
    object_refs: refs,
  }
}

function address(value: string) {
  return { type: 'ipv4-addr', spec_version: '2.1', id: `ipv4-addr--${randomUUID()}`, value }
}

/**
 * First and last seen of correlation hits: an observable (SCO) has no such properties, so it is seen
 * when the observed-data you may see that contain it say (a MISP attribute's first/last seen are
 * there), else when it was added; other objects say it themselves (`seen` null).
 */
describe.each(STORE_KINDS)('first and last seen of correlation hits (%s)', (kind) => {
  let location: TestStoreLocation
  let store: Store
  const orgs: Record<'a' | 'b', { id: string; viewer: Viewer; userId: string }> = {} as never

  beforeAll(async () => {
    location = await createStoreLocation(kind)
    store = await openTestStore(location)
    for (const name of ['a', 'b'] as const) {
      const org = await createOrganisation(store.db, OPERATOR, {
        name: `Seen ${name} ${randomUUID()}`,
        type: 'isac',
      })
      const userId = randomUUID()
      orgs[name] = {
        id: org.id,
        userId,
        viewer: { kind: 'user', userId, orgId: org.id, groupIds: [], peer: false },
      }
    }
  })
  afterAll(async () => {
    await store.close()
    await location.drop()
  })

  async function importAs(who: 'a' | 'b', content: unknown, request: ImportRequest, now?: Date) {
    const importer = { actor: OPERATOR, orgId: orgs[who].id, groupIds: [], userId: orgs[who].userId }
    await importContent(store.db, importer, content, request, now)
  }

  /** The hits of one value, single and bulk (the two must agree), as `id → seen`. */
  async function seenOf(viewer: Viewer, value: string): Promise<Map<string, unknown>> {
    const [single] = await correlateValues(store.db, viewer, [value], { limit: 50, offset: 0 })
    const [bulk] = await correlateMany(store.db, viewer, [value, '192.0.2.255'], 50)
    const map = (c: Correlation | undefined) => new Map(c?.hits.map((h) => [h.row.id, h.seen]))
    expect(map(bulk)).toEqual(map(single))
    return map(single)
  }

  it('spans the observed-data the viewer may see that contain an observable', async () => {
    const sco = address('198.51.100.71')
    const early = observedData([sco.id], '2024-03-01T00:00:00Z', '2024-03-05T00:00:00Z')
    // Fractions and another precision: compared as instants, not as text.
    const late = observedData([sco.id], '2024-04-01T00:00:00.5Z', '2024-06-01T12:00:00.123Z')
    await importAs('a', [sco, early, late], COMMUNITY)
    // B's own observed-data of the same address, wider on both ends, for B alone.
    const hidden = observedData([sco.id], '2020-01-01T00:00:00Z', '2030-01-01T00:00:00Z')
    await importAs('b', [sco, hidden], OWN_ONLY)

    const asA = await seenOf(orgs.a.viewer, '198.51.100.71')
    expect(asA.get(sco.id)).toEqual({
      firstSeen: '2024-03-01T00:00:00Z',
      lastSeen: '2024-06-01T12:00:00.123Z',
    })
    const asB = await seenOf(orgs.b.viewer, '198.51.100.71')
    expect(asB.get(sco.id)).toEqual({ firstSeen: '2020-01-01T00:00:00Z', lastSeen: '2030-01-01T00:00:00Z' })
  })

  it('is a MISP attribute’s first and last seen, else its timestamp', async () => {
    const values = ['198.51.100.72', '198.51.100.73']
    const event = {
      Event: {
        uuid: randomUUID(),
        info: 'Seen',
        date: '2025-01-01',
        distribution: '1',
        published: true,
        timestamp: '1735689600',
        Attribute: [
          {
            uuid: randomUUID(),
            type: 'ip-dst',
            category: 'Network activity',
            value: values[0],
            to_ids: true,
            timestamp: '1735689600',
            first_seen: '2024-11-02T10:00:00.000000+00:00',
            last_seen: '2024-12-24T18:30:00.000000+00:00',
          },
          {
            uuid: randomUUID(),
            type: 'ip-dst',
            category: 'Network activity',
            value: values[1],
            to_ids: false,
            timestamp: '1735689600',
          },
        ],
      },
    }
    await importAs('a', event, COMMUNITY)
    const [dated, undated] = await Promise.all(values.map((v) => seenOf(orgs.b.viewer, v)))
    const scoSeen = (hits: Map<string, unknown> | undefined) =>
      [...(hits ?? [])].filter(([id]) => id.startsWith('ipv4-addr--')).map(([, seen]) => seen)
    expect(scoSeen(dated)).toEqual([
      { firstSeen: '2024-11-02T10:00:00.000Z', lastSeen: '2024-12-24T18:30:00.000Z' },
    ])
    expect(scoSeen(undated)).toEqual([
      { firstSeen: '2025-01-01T00:00:00Z', lastSeen: '2025-01-01T00:00:00Z' },
    ])
    // The indicator and the observed-data say it themselves.
    for (const [id, seen] of dated ?? []) {
      if (!id.startsWith('ipv4-addr--')) {
        expect(seen, id).toBeNull()
      }
    }
  })

  it('is when the observable was added, when no visible observed-data contains it', async () => {
    const alone = address('198.51.100.74')
    await importAs('a', [alone], COMMUNITY)
    // B's copy of the same address, in observed-data of B's alone: it says nothing to A.
    const observed = observedData([alone.id], '2019-01-01T00:00:00Z', '2019-01-02T00:00:00Z')
    await importAs('b', [alone, observed], OWN_ONLY)
    const [found] = await correlateValues(store.db, orgs.a.viewer, ['198.51.100.74'], {
      limit: 50,
      offset: 0,
    })
    const hit = found?.hits.find((h) => h.row.id === alone.id)
    expect(hit?.seen).toEqual({ firstSeen: hit?.row.added_at, lastSeen: hit?.row.added_at })
    expect(found?.hits.map((h) => h.row.id)).toEqual([alone.id])
    expect(await seenOf(orgs.a.viewer, '198.51.100.74')).toEqual(new Map([[alone.id, hit?.seen]]))
  })
})

/** The same over HTTP, once the route presents `seen` (firstSeen/lastSeen of each hit). */
describe.each(STORE_KINDS)('first and last seen of correlation hits over HTTP (%s)', (kind) => {
  let server: TestServer
  let world: LeakWorld

  beforeAll(async () => {
    server = await startTestServer(kind)
    world = await createLeakWorld(server)
  })
  afterAll(async () => {
    await server.close()
  })

  interface Hits {
    results: { hits: { id: string; firstSeen: string | null; lastSeen: string | null }[] }[]
  }

  it('gives observable hits the span of the visible observed-data that contain them', async () => {
    const sco = address('198.51.100.81')
    const shared = observedData([sco.id], '2024-03-01T00:00:00Z', '2024-03-05T00:00:00Z')
    const own = observedData([sco.id], '2020-01-01T00:00:00Z', '2030-01-01T00:00:00Z')
    const post = (client: ApiClient, body: unknown, query: string) =>
      client.post(`/api/v1/intel/import${query}`, body)
    expect((await post(world.users.a1.client, [sco, shared], '?tlp=green&audience=community')).status).toBe(
      200,
    )
    expect((await post(world.users.b1.client, [sco, own], '?tlp=amber&audience=org')).status).toBe(200)
    const seenBy = async (client: ApiClient) => {
      const single = await client.get<Hits>('/api/v1/intel/correlate?value=198.51.100.81')
      const bulk = await client.post<Hits>('/api/v1/intel/correlate', {
        values: ['198.51.100.81', '192.0.2.1'],
      })
      const pick = (body: Hits) =>
        body.results[0]?.hits
          .filter((h) => h.id === sco.id)
          .map(({ firstSeen, lastSeen }) => ({ firstSeen, lastSeen }))
      expect(pick(bulk.body)).toEqual(pick(single.body))
      return pick(single.body)
    }
    // E sees A's copy and A's observed-data only; B sees its own copy and both observed-data.
    expect(await seenBy(world.users.e1.client)).toEqual([
      { firstSeen: '2024-03-01T00:00:00Z', lastSeen: '2024-03-05T00:00:00Z' },
    ])
    expect(await seenBy(world.users.b1.client)).toEqual([
      { firstSeen: '2020-01-01T00:00:00Z', lastSeen: '2030-01-01T00:00:00Z' },
      { firstSeen: '2020-01-01T00:00:00Z', lastSeen: '2030-01-01T00:00:00Z' },
    ])
  })
})
