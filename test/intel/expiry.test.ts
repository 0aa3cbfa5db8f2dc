import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { canSee } from '../../src/core/trust/label.js'
import type { ApiClient } from '../helpers/http.js'
import {
  assertExactVisibility,
  createLeakWorld,
  fullLabel,
  labelMatrix,
  type LeakWorld,
  type Probe,
} from '../helpers/leak-harness.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { STORE_KINDS } from '../helpers/stores.js'

interface ExpiredAnswer {
  items: {
    object: { id: string }
    expired: boolean
    expiry: { reason: string; at: string; retentionDays: number | null }
  }[]
  total: number
}

interface ObjectsAnswer {
  items: { object: { id: string }; expired: boolean }[]
  total: number
}

/** An indicator changed at `modified` (also its creation), with `valid_until` when given. */
function indicator(modified: string, validUntil?: string): Record<string, unknown> {
  return {
    type: 'indicator',
    spec_version: '2.1',
    id: `indicator--${randomUUID()}`,
    created: modified,
    modified,
    pattern: "[domain-name:value = 'expleak.example']",
    pattern_type: 'stix',
    valid_from: '2019-01-01T00:00:00Z',
    ...(validUntil === undefined ? {} : { valid_until: validUntil }),
  }
}

async function expiredOf(client: ApiClient, query: string): Promise<ExpiredAnswer> {
  const res = await client.get<ExpiredAnswer>(`/api/v1/intel/expired?${query}&limit=1000`)
  expect(res.status, res.text).toBe(200)
  return res.body
}

async function exportedIndicators(client: ApiClient, query: string): Promise<string[]> {
  const res = await client.get<{ objects: { id: string; type: string }[] }>(
    `/api/v1/intel/export?format=stix&${query}`,
  )
  expect(res.status, res.text).toBe(200)
  return res.body.objects
    .filter((o) => o.type === 'indicator')
    .map((o) => o.id)
    .sort()
}

describe.each(STORE_KINDS)('expiry of intelligence (%s)', (kind) => {
  let server: TestServer
  let world: LeakWorld
  let instanceAdmin: ApiClient
  let clock = new Date('2031-03-01T00:00:00.000Z')

  async function setRetention(org: string, days: number | null): Promise<void> {
    const res = await instanceAdmin.patch(`/api/v1/organisations/${org}`, {
      settings: { intelRetentionDays: days },
    })
    expect(res.status, res.text).toBe(200)
  }

  beforeAll(async () => {
    // Sessions last 30 days: the clock moves forward within one test.
    server = await startTestServer(kind, { LIAISON_SESSION_HOURS: '720' }, { now: () => clock })
    world = await createLeakWorld(server)
    const admin = world.principals.find((p) => p.name === 'instance-admin')
    if (admin === undefined) {
      throw new Error('the leak world has an instance admin')
    }
    instanceAdmin = admin.client
  })
  afterAll(async () => {
    await server.close()
  })

  it('leaves indicators past valid_until or their owner retention period out of exports and lists them as expired', async () => {
    clock = new Date('2031-03-01T00:00:00.000Z')
    await setRetention(world.orgs.A, 30)
    await setRetention(world.orgs.B, null)
    const source = `exp-${randomUUID().slice(0, 8)}`
    const pastValid = indicator('2031-01-15T00:00:00.000Z', '2031-02-01T00:00:00.000Z')
    const futureValid = indicator('2030-01-01T00:00:00.000Z', '2031-06-01T00:00:00.000Z')
    const old = indicator('2031-01-01T00:00:00.000Z')
    const justOlder = indicator('2031-01-29T23:59:59.999Z')
    const atCutoff = indicator('2031-01-30T00:00:00.000Z')
    const recent = indicator('2031-02-20T00:00:00.000Z')
    const malware = {
      type: 'malware',
      spec_version: '2.1',
      id: `malware--${randomUUID()}`,
      created: '2020-01-01T00:00:00.000Z',
      modified: '2020-01-01T00:00:00.000Z',
      name: 'never expires',
      is_family: true,
    }
    const ofA = [pastValid, futureValid, old, justOlder, atCutoff, recent, malware]
    const byA = await world.users.a1.client.request(
      'POST',
      `/api/v1/intel/import?tlp=green&audience=community&source=${source}`,
      ofA,
    )
    expect(byA.status, byA.text).toBe(200)
    // B keeps indicators for ever: its old indicator stays.
    const ofB = indicator('2020-01-01T00:00:00.000Z')
    const byB = await world.users.b1.client.request(
      'POST',
      `/api/v1/intel/import?tlp=green&audience=community&source=${source}`,
      [ofB],
    )
    expect(byB.status, byB.text).toBe(200)
    const all = [...ofA, ofB].filter((o) => o.type === 'indicator').map((o) => String(o.id))

    const check = async (
      expected: Record<string, { reason: string; at: string; retentionDays: number | null }>,
    ) => {
      const client = world.users.e1.client
      const expired = await expiredOf(client, `source=${source}`)
      expect(expired.total).toBe(Object.keys(expected).length)
      expect(Object.fromEntries(expired.items.map((i) => [i.object.id, i.expiry]))).toEqual(expected)
      expect(expired.items.every((i) => i.expired)).toBe(true)
      // The search marks exactly the same objects expired: the SQL rule and its pure twin agree.
      const objects = await client.get<ObjectsAnswer>(`/api/v1/intel/objects?source=${source}&limit=1000`)
      expect(
        objects.body.items
          .filter((i) => i.expired)
          .map((i) => i.object.id)
          .sort(),
      ).toEqual(Object.keys(expected).sort())
      for (const id of Object.keys(expected)) {
        const one = await client.get<{ expired: boolean }>(`/api/v1/intel/objects/${id}`)
        expect(one.body.expired, id).toBe(true)
      }
      const live = all.filter((id) => !(id in expected)).sort()
      expect(await exportedIndicators(client, `source=${source}`)).toEqual(live)
      expect(await exportedIndicators(client, `source=${source}&include_expired=true`)).toEqual(
        [...all].sort(),
      )
      const csv = await client.get(`/api/v1/intel/export?format=csv&source=${source}&type=indicator`)
      expect(csv.text.trim().split('\r\n').length - 1).toBe(live.length)
      const misp = await client.get(`/api/v1/intel/export?format=misp&source=${source}`)
      const mispAll = await client.get(
        `/api/v1/intel/export?format=misp&source=${source}&include_expired=true`,
      )
      for (const id of all) {
        const uuid = id.slice('indicator--'.length)
        expect(misp.text.includes(uuid), `MISP export holds ${id}`).toBe(!(id in expected))
        expect(mispAll.text.includes(uuid), `MISP export with expired holds ${id}`).toBe(true)
      }
    }

    await check({
      [String(pastValid.id)]: { reason: 'valid_until', at: '2031-02-01T00:00:00.000Z', retentionDays: null },
      [String(old.id)]: { reason: 'retention', at: '2031-01-31T00:00:00.000Z', retentionDays: 30 },
      [String(justOlder.id)]: { reason: 'retention', at: '2031-02-28T23:59:59.999Z', retentionDays: 30 },
    })

    // Time passes: what was recent is now older than 30 days too.
    clock = new Date('2031-03-25T00:00:00.000Z')
    const later = {
      [String(pastValid.id)]: { reason: 'valid_until', at: '2031-02-01T00:00:00.000Z', retentionDays: null },
      [String(old.id)]: { reason: 'retention', at: '2031-01-31T00:00:00.000Z', retentionDays: 30 },
      [String(justOlder.id)]: { reason: 'retention', at: '2031-02-28T23:59:59.999Z', retentionDays: 30 },
      [String(atCutoff.id)]: { reason: 'retention', at: '2031-03-01T00:00:00.000Z', retentionDays: 30 },
      [String(recent.id)]: { reason: 'retention', at: '2031-03-22T00:00:00.000Z', retentionDays: 30 },
    }
    await check(later)

    // B adopts a retention period: its old indicator expires; A drops its own: only valid_until counts.
    await setRetention(world.orgs.B, 365)
    await check({
      ...later,
      [String(ofB.id)]: { reason: 'retention', at: '2020-12-31T00:00:00.000Z', retentionDays: 365 },
    })
    await setRetention(world.orgs.A, null)
    await check({
      [String(pastValid.id)]: { reason: 'valid_until', at: '2031-02-01T00:00:00.000Z', retentionDays: null },
      [String(ofB.id)]: { reason: 'retention', at: '2020-12-31T00:00:00.000Z', retentionDays: 365 },
    })

    const audit = await server.store.db
      .selectFrom('audit_log')
      .select('details')
      .where('action', '=', 'organisation.updated')
      .where('target_id', '=', world.orgs.A)
      .orderBy('seq')
      .execute()
    expect(JSON.parse(audit.at(-1)?.details ?? '{}')).toMatchObject({
      before: { settings: { intelRetentionDays: 30 } },
      after: { settings: { intelRetentionDays: null } },
    })
  })

  it('refuses a retention period that is not a whole number of days, and lets only admins set one', async () => {
    const orgA = `/api/v1/organisations/${world.orgs.A}`
    for (const days of [0, -3, 1.5, '30']) {
      const res = await instanceAdmin.patch(orgA, { settings: { intelRetentionDays: days } })
      expect(res.status, String(days)).toBe(400)
    }
    expect((await world.users.a1.client.patch(orgA, { settings: { intelRetentionDays: 7 } })).status).toBe(
      403,
    )
  })

  it('lists exactly the expired indicators each caller may see, and exports exactly the live ones', async () => {
    // Within the 30 days of the sessions opened at 2031-03-01.
    clock = new Date('2031-03-28T00:00:00.000Z')
    await setRetention(world.orgs.A, 30)
    await setRetention(world.orgs.B, null)
    const source = `expleak-${randomUUID().slice(0, 8)}`
    const expired: Probe[] = []
    const live: Probe[] = []
    for (const c of labelMatrix(world)) {
      // A's indicators expire by A's retention period, B's by their own valid_until.
      const stale =
        c.owner === 'a1'
          ? indicator('2031-01-01T00:00:00.000Z')
          : indicator('2031-01-01T00:00:00.000Z', '2031-03-15T00:00:00.000Z')
      const fresh =
        c.owner === 'a1'
          ? indicator('2031-03-20T00:00:00.000Z')
          : indicator('2030-01-01T00:00:00.000Z', '2031-06-01T00:00:00.000Z')
      const query =
        `?tlp=${encodeURIComponent(c.input.tlp)}&pap=${c.input.pap ?? 'clear'}&audience=${c.input.audience}` +
        (c.input.sharingGroups ?? []).map((g) => `&group=${g}`).join('') +
        (c.input.recipients ?? []).map((r) => `&recipient=${r}`).join('') +
        `&source=${source}`
      const res = await world.users[c.owner].client.request('POST', `/api/v1/intel/import${query}`, [
        stale,
        fresh,
      ])
      expect(res.status, res.text).toBe(200)
      const label = fullLabel(world, c)
      expired.push({ id: String(stale.id), visibleTo: (p) => canSee(p.viewer, label) })
      live.push({ id: String(fresh.id), visibleTo: (p) => canSee(p.viewer, label) })
    }
    const idsOf = (body: unknown) => ((body as ExpiredAnswer).items ?? []).map((i) => i.object.id)
    // Live indicators are never listed: they are probes no one may see in this list.
    await assertExactVisibility(
      world.principals,
      [...expired, ...live.map((p) => ({ id: p.id, visibleTo: () => false }))],
      {
        list: (client) => client.get(`/api/v1/intel/expired?source=${source}&limit=1000`),
        search: (client) =>
          client.get(`/api/v1/intel/expired?value=expleak.example&source=${source}&limit=1000`),
        idsOf,
      },
    )
    for (const principal of world.principals) {
      const visible = (probes: Probe[]) =>
        probes
          .filter((p) => p.visibleTo(principal))
          .map((p) => p.id)
          .sort()
      expect(await exportedIndicators(principal.client, `source=${source}`), principal.name).toEqual(
        visible(live),
      )
      expect(
        await exportedIndicators(principal.client, `source=${source}&include_expired=true`),
        principal.name,
      ).toEqual(visible([...live, ...expired]))
    }
  })
})
