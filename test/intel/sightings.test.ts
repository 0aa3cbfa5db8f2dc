import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { canSee } from '../../src/core/trust/label.js'
import { CORPUS_DIR } from '../helpers/corpus.js'
import { errorCode, type ApiClient, type TestResponse } from '../helpers/http.js'
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

const MISP = path.join(CORPUS_DIR, 'misp')

function corpusEvent(relative: string): unknown {
  return JSON.parse(readFileSync(path.join(MISP, relative), 'utf8'))
}

interface Summary {
  count: number
  reports: number
  firstSeen: string | null
  lastSeen: string | null
  falsePositives: number
  expirations: number
  sightedBy: { id: string; name: string | null }[]
}

interface Recorded {
  type: string
  targets: { id: string; type: string }[]
  objectIds: string[]
  import: { importId: string; created: number; unchanged: number }
}

interface CorrelationHit {
  id: string
  sightings: { count: number; falsePositives: number }
}

async function summaryOf(client: ApiClient, id: string): Promise<Summary> {
  const res = await client.get<{ sightings: Summary }>(`/api/v1/intel/objects/${id}`)
  expect(res.status, res.text).toBe(200)
  return res.body.sightings
}

async function record(client: ApiClient, body: Record<string, unknown>): Promise<Recorded> {
  const res = await client.post<Recorded>('/api/v1/intel/sightings', body)
  expect(res.status, res.text).toBe(201)
  return res.body
}

function hitsOf(res: TestResponse<{ results: { hits: CorrelationHit[] }[] }>, index = 0): CorrelationHit[] {
  expect(res.status, res.text).toBe(200)
  return res.body.results[index]?.hits ?? []
}

// sighting_1.json (pymisp): attributes with MISP sightings of type 0 (seen), 1 (false positive) and 2
// (expiration); every attribute is to_ids, so each sighting is about the attribute's indicator.
const SEEN = 'indicator--5b6464ca-e73c-4707-9b8a-d0350acd0835' // ooiasjdnqjwbeasdasd.com: one type 0
const SEEN_SCO = 'domain-name--5b6464ca-e73c-4707-9b8a-d0350acd0835'
const FALSE_POSITIVE = 'indicator--5b6464ca-45f8-43d0-8b78-d0350acd0835' // eqowiesajenqweasd.com: one type 1
const EXPIRED = 'indicator--5b6464ca-e0a0-40e0-8e21-d0350acd0835' // diqjwhebseqhbasdh.com: type 2 and type 1
const MISP_ORG = { id: 'identity--5c6983c8-3af8-4304-869c-4800d6c1883c', name: 'ORGNAME' }

describe.each(STORE_KINDS)('sightings (%s)', (kind) => {
  let server: TestServer
  let world: LeakWorld

  beforeAll(async () => {
    server = await startTestServer(kind)
    world = await createLeakWorld(server)
    const imported = await world.users.a1.client.post<{ rejected: number }>(
      '/api/v1/intel/import?tlp=green&audience=community&source=misp-sightings',
      corpusEvent('pymisp/reportlab_testfiles/sighting_1.json'),
    )
    expect(imported.status, imported.text.slice(0, 300)).toBe(200)
    expect(imported.body.rejected).toBe(0)
  })
  afterAll(async () => {
    await server.close()
  })

  it('summarises the sightings, false positives and expirations of a MISP event', async () => {
    const client = world.users.e1.client
    expect(await summaryOf(client, SEEN)).toEqual({
      count: 1,
      reports: 1,
      firstSeen: '2019-02-27T07:52:30.000Z',
      lastSeen: '2019-02-27T07:52:30.000Z',
      falsePositives: 0,
      expirations: 0,
      sightedBy: [MISP_ORG],
    })
    expect(await summaryOf(client, FALSE_POSITIVE)).toMatchObject({
      count: 0,
      reports: 0,
      falsePositives: 1,
      expirations: 0,
      firstSeen: null,
      sightedBy: [],
    })
    expect(await summaryOf(client, EXPIRED)).toMatchObject({ count: 0, falsePositives: 1, expirations: 1 })
    // The SCO of the sighted attribute was not sighted itself (MISP sighted the indicator).
    expect(await summaryOf(client, SEEN_SCO)).toMatchObject({ count: 0, reports: 0 })

    const list = await client.get<{
      items: { id: string; kind: string; object: { type: string } }[]
      total: number
    }>(`/api/v1/intel/objects/${EXPIRED}/sightings`)
    expect(list.status, list.text).toBe(200)
    expect(list.body.total).toBe(2)
    expect(list.body.items.map((i) => [i.id, i.kind, i.object.type]).sort()).toEqual([
      ['note--5c7641d5-58bc-4d20-9a84-05f10a00020f', 'expiration', 'note'],
      ['opinion--5c7641db-a9a0-49b0-b536-05f10a00020f', 'false-positive', 'opinion'],
    ])
    // Nobody outside the event's audience learns of its sightings; public readers see nothing.
    const anonymous = await server.client().get(`/api/v1/intel/objects/${SEEN}/sightings`)
    expect(anonymous.status).toBe(404)
  })

  it('counts the sightings of observables through the observed-data MISP sights', async () => {
    // misp_observables_test.json: attributes are not to_ids, so MISP sights their observed-data.
    const res = await world.users.b1.client.post<{ rejected: number }>(
      '/api/v1/intel/import?tlp=amber&audience=org',
      corpusEvent('misp-core/stixtest/misp_observables_test.json'),
    )
    expect(res.status, res.text.slice(0, 300)).toBe(200)
    const sco = 'ipv4-addr--5ac4db18-62f0-4f12-906d-01ef0a00020f'
    expect(await summaryOf(world.users.b1.client, sco)).toMatchObject({ count: 1, reports: 1 })
    expect(
      await summaryOf(world.users.b1.client, 'observed-data--5ac4db18-62f0-4f12-906d-01ef0a00020f'),
    ).toMatchObject({
      count: 1,
    })
    const hits = hitsOf(await world.users.b1.client.get('/api/v1/intel/correlate?value=1.2.3.4&limit=500'))
    expect(hits.find((h) => h.id === sco)?.sightings).toEqual({ count: 1, falsePositives: 0 })
  })

  it('shows sighting counts and false positives in single and bulk correlation', async () => {
    const client = world.users.d1.client
    const one = hitsOf(await client.get('/api/v1/intel/correlate?value=ooiasjdnqjwbeasdasd.com'))
    expect(one.find((h) => h.id === SEEN)?.sightings).toEqual({ count: 1, falsePositives: 0 })
    expect(one.find((h) => h.id === SEEN_SCO)?.sightings).toEqual({ count: 0, falsePositives: 0 })
    const bulk = await client.post<{ results: { value: string; hits: CorrelationHit[] }[] }>(
      '/api/v1/intel/correlate',
      {
        values: ['eqowiesajenqweasd.com', 'diqjwhebseqhbasdh.com', 'ooiasjdnqjwbeasdasd.com', 'none.example'],
      },
    )
    const byValue = new Map(bulk.body.results.map((r) => [r.value, r.hits]))
    expect(byValue.get('eqowiesajenqweasd.com')?.find((h) => h.id === FALSE_POSITIVE)?.sightings).toEqual({
      count: 0,
      falsePositives: 1,
    })
    expect(
      byValue.get('diqjwhebseqhbasdh.com')?.find((h) => h.id === EXPIRED)?.sightings.falsePositives,
    ).toBe(1)
    expect(byValue.get('ooiasjdnqjwbeasdasd.com')?.find((h) => h.id === SEEN)?.sightings.count).toBe(1)
    expect(byValue.get('none.example')).toEqual([])
  })

  it('records sightings of a value for the caller only by default; others do not count them', async () => {
    const c1 = world.users.c1.client
    const seenAt = '2026-11-20T08:00:00.000Z'
    const recorded = await record(c1, {
      value: 'OOIASJDNQJWBEASDASD.com',
      count: 5,
      source: 'mail gateway',
      seenAt,
    })
    // Both objects carrying the value: the indicator directly, the SCO through an observed-data of C.
    expect(recorded.targets.map((t) => t.id).sort()).toEqual([SEEN_SCO, SEEN].sort())
    expect(recorded.objectIds.filter((id) => id.startsWith('sighting--'))).toHaveLength(2)
    expect(recorded.objectIds.filter((id) => id.startsWith('observed-data--'))).toHaveLength(1)
    expect(recorded.import.created).toBe(4) // two sightings, one observed-data, C's identity

    const mine = await summaryOf(c1, SEEN)
    expect(mine).toMatchObject({
      count: 6,
      reports: 2,
      lastSeen: seenAt,
      firstSeen: '2019-02-27T07:52:30.000Z',
    })
    const ownIdentity = `identity--${world.orgs.C}`
    expect(mine.sightedBy.map((s) => s.id).sort()).toEqual([MISP_ORG.id, ownIdentity].sort())
    expect(mine.sightedBy.find((s) => s.id === ownIdentity)?.name).toEqual(expect.any(String))
    expect(await summaryOf(c1, SEEN_SCO)).toMatchObject({ count: 5, reports: 1, firstSeen: seenAt })
    // The sighting is C's own (TLP:AMBER, organisation only): D and A still see one sighting.
    expect(await summaryOf(world.users.d1.client, SEEN)).toMatchObject({
      count: 1,
      reports: 1,
      sightedBy: [MISP_ORG],
    })
    expect(await summaryOf(world.users.a1.client, SEEN_SCO)).toMatchObject({ count: 0 })
    const asC = hitsOf(await c1.get('/api/v1/intel/correlate?value=ooiasjdnqjwbeasdasd.com'))
    const asD = hitsOf(
      await world.users.d1.client.get('/api/v1/intel/correlate?value=ooiasjdnqjwbeasdasd.com'),
    )
    expect(asC.find((h) => h.id === SEEN)?.sightings.count).toBe(6)
    expect(asD.find((h) => h.id === SEEN)?.sightings.count).toBe(1)
    const list = await world.users.d1.client.get<{ items: { id: string }[]; total: number }>(
      `/api/v1/intel/objects/${SEEN}/sightings`,
    )
    expect(list.body.items.map((i) => i.id)).toEqual(['sighting--5c7641bf-a4e8-4d5d-a653-03240a00020f'])

    // The stored sighting is STIX as the MISP mapping writes it, labelled as asked, and audited.
    const sightingId = recorded.objectIds.find((id) => id.startsWith('sighting--')) ?? ''
    const stored = await c1.get<{
      object: Record<string, unknown>
      label: { tlp: string; audience: string }
    }>(`/api/v1/intel/objects/${sightingId}`)
    expect(stored.body.label).toMatchObject({ tlp: 'amber', audience: 'org' })
    expect(stored.body.object).toMatchObject({
      type: 'sighting',
      count: 5,
      first_seen: seenAt,
      description: 'mail gateway',
      where_sighted_refs: [ownIdentity],
    })
    const audit = await server.store.db
      .selectFrom('audit_log')
      .selectAll()
      .where('target_id', '=', recorded.import.importId)
      .execute()
    expect(audit.map((a) => a.action)).toEqual(['intel.imported'])
  })

  it('names among who sighted an object no identity the reader may not see', async () => {
    const a1 = world.users.a1.client
    const at = '2026-11-21T08:00:00.000Z'
    const secretSensor = {
      type: 'identity',
      spec_version: '2.1',
      id: `identity--${randomUUID()}`,
      created: at,
      modified: at,
      name: 'Sensor in a victim network',
      identity_class: 'system',
    }
    const target = {
      type: 'indicator',
      spec_version: '2.1',
      id: `indicator--${randomUUID()}`,
      created: at,
      modified: at,
      pattern: "[domain-name:value = 'sighted-by.example']",
      pattern_type: 'stix',
      valid_from: at,
    }
    const sighting = {
      type: 'sighting',
      spec_version: '2.1',
      id: `sighting--${randomUUID()}`,
      created: at,
      modified: at,
      sighting_of_ref: target.id,
      where_sighted_refs: [secretSensor.id],
      count: 2,
    }
    expect((await a1.post('/api/v1/intel/import?tlp=amber&audience=org', [secretSensor])).status).toBe(200)
    expect(
      (await a1.post('/api/v1/intel/import?tlp=green&audience=community', [target, sighting])).status,
    ).toBe(200)
    expect((await summaryOf(a1, target.id)).sightedBy.map((s) => s.id)).toEqual([secretSensor.id])
    const other = await summaryOf(world.users.b1.client, target.id)
    expect(other.count).toBe(2)
    expect(other.sightedBy).toEqual([])
  })

  it('records false positives and expirations of an object under the label asked for', async () => {
    const b1 = world.users.b1.client
    const before = await summaryOf(world.users.e1.client, SEEN)
    const fp = await record(b1, {
      objectId: SEEN,
      type: 'false-positive',
      source: 'sinkhole',
      label: { tlp: 'green', audience: 'community' },
    })
    expect(fp.objectIds).toHaveLength(1)
    expect(fp.objectIds[0]).toMatch(/^opinion--/)
    const opinion = await world.users.e1.client.get<{ object: Record<string, unknown> }>(
      `/api/v1/intel/objects/${fp.objectIds[0] ?? ''}`,
    )
    expect(opinion.body.object).toMatchObject({
      opinion: 'strongly-disagree',
      object_refs: [SEEN],
      x_misp_sighting_type: '1',
      x_misp_source: 'sinkhole',
    })
    const expiry = await record(b1, {
      objectId: SEEN,
      type: 'expiration',
      label: { tlp: 'green', audience: 'community' },
    })
    expect(expiry.objectIds[0]).toMatch(/^note--/)
    // Seen by everyone in the community, and counted for them; never by the public.
    expect(await summaryOf(world.users.e1.client, SEEN)).toMatchObject({
      count: before.count,
      falsePositives: before.falsePositives + 1,
      expirations: before.expirations + 1,
    })
    const hits = hitsOf(
      await world.users.e1.client.get('/api/v1/intel/correlate?value=ooiasjdnqjwbeasdasd.com'),
    )
    expect(hits.find((h) => h.id === SEEN)?.sightings.falsePositives).toBe(before.falsePositives + 1)
    const kinds = await world.users.e1.client.get<{ items: { id: string; kind: string }[] }>(
      `/api/v1/intel/objects/${SEEN}/sightings`,
    )
    expect(kinds.body.items.find((i) => i.id === fp.objectIds[0])?.kind).toBe('false-positive')
    expect(kinds.body.items.find((i) => i.id === expiry.objectIds[0])?.kind).toBe('expiration')
  })

  it('refuses bad sighting requests with the field named, and hides what the caller may not see', async () => {
    const client = world.users.a1.client
    const bad = async (body: Record<string, unknown>, status = 400) => {
      const res = await client.post('/api/v1/intel/sightings', body)
      expect(res.status, `${JSON.stringify(body)}: ${res.text}`).toBe(status)
      return res
    }
    expect(errorCode(await bad({ type: 'sighting' }))).toBe('validation_failed')
    expect(errorCode(await bad({ objectId: SEEN, value: 'ooiasjdnqjwbeasdasd.com' }))).toBe(
      'validation_failed',
    )
    expect(errorCode(await bad({ objectId: SEEN, type: 'false-positive', count: 3 }))).toBe(
      'validation_failed',
    )
    expect(errorCode(await bad({ objectId: SEEN, type: 'seen' }))).toBe('validation_failed')
    expect(errorCode(await bad({ objectId: SEEN, seenAt: '2999-01-01T00:00:00Z' }))).toBe('validation_failed')
    expect(errorCode(await bad({ value: 'not an observable' }))).toBe('validation_failed')
    expect(errorCode(await bad({ value: 'nowhere.example.org' }, 404))).toBe('not_found')
    expect(errorCode(await bad({ objectId: SEEN, label: { tlp: 'amber', audience: 'public' } }))).toBe(
      'validation_failed',
    )
    // B's observables event is organisation only: A cannot sight it, and learns nothing about it.
    const hidden = 'indicator--5ac4db18-62f0-4f12-906d-01ef0a00020f'
    const invisible = await bad({ objectId: hidden }, 404)
    const missingId = `indicator--${randomUUID()}`
    const missing = await bad({ objectId: missingId }, 404)
    expect(invisible.text.split(hidden).join('<id>')).toBe(missing.text.split(missingId).join('<id>'))
    expect(errorCode(await bad({ value: '1.2.3.4' }, 404))).toBe('not_found')
    const anonymous = await server.client().post('/api/v1/intel/sightings', { objectId: SEEN })
    expect(anonymous.status).toBe(401)
    const viewer = await server.loginAsNewUser({ role: 'viewer', orgId: world.orgs.A })
    const refused = await viewer.client.post('/api/v1/intel/sightings', { objectId: SEEN })
    expect(refused.status).toBe(403)
    expect(errorCode(refused)).toBe('forbidden')
  })

  it('lists and counts exactly the sightings each principal may see', async () => {
    // A public target; a sighting of it under every kind of label, by two organisations.
    const target = `indicator--${randomUUID()}`
    const imported = await world.users.a1.client.post('/api/v1/intel/import?tlp=clear&audience=public', {
      type: 'indicator',
      spec_version: '2.1',
      id: target,
      created: '2026-01-01T00:00:00.000Z',
      modified: '2026-01-01T00:00:00.000Z',
      pattern: "[domain-name:value = 'sighting-leak.example']",
      pattern_type: 'stix',
      valid_from: '2026-01-01T00:00:00Z',
    })
    expect(imported.status, imported.text).toBe(200)
    const probes: Probe[] = []
    for (const c of labelMatrix(world)) {
      const recorded = await record(world.users[c.owner].client, { objectId: target, label: c.input })
      const label = fullLabel(world, c)
      probes.push({ id: recorded.objectIds[0] ?? '', visibleTo: (p) => canSee(p.viewer, label) })
    }
    await assertExactVisibility(world.principals, probes, {
      list: (client) => client.get(`/api/v1/intel/objects/${target}/sightings?limit=1000`),
      detail: (client, id) => client.get(`/api/v1/intel/objects/${id}`),
      missingId: () => `sighting--${randomUUID()}`,
    })
    for (const principal of world.principals) {
      const expected = probes.filter((p) => p.visibleTo(principal)).length
      const where = `as ${principal.name}`
      const summary = await summaryOf(principal.client, target)
      expect(summary.count, where).toBe(expected)
      expect(summary.reports, where).toBe(expected)
      const hits = hitsOf(await principal.client.get('/api/v1/intel/correlate?value=sighting-leak.example'))
      expect(hits.find((h) => h.id === target)?.sightings.count, where).toBe(expected)
      const paged = await principal.client.get<{ items: unknown[]; total: number }>(
        `/api/v1/intel/objects/${target}/sightings?limit=2&offset=1`,
      )
      expect(paged.body.total, where).toBe(expected)
      expect(paged.body.items.length, where).toBe(Math.max(0, Math.min(2, expected - 1)))
    }
  })

  it('answers the sightings of an object the caller may not see exactly like a missing one', async () => {
    const probes: Probe[] = []
    for (const [i, c] of labelMatrix(world).entries()) {
      const id = `indicator--${randomUUID()}`
      const res = await world.users[c.owner].client.post(
        `/api/v1/intel/import?tlp=${encodeURIComponent(c.input.tlp)}&pap=${c.input.pap ?? 'clear'}&audience=${c.input.audience}${(c.input.sharingGroups ?? []).map((g) => `&group=${g}`).join('')}${(c.input.recipients ?? []).map((r) => `&recipient=${r}`).join('')}`,
        {
          type: 'indicator',
          spec_version: '2.1',
          id,
          created: '2026-02-01T00:00:00.000Z',
          modified: '2026-02-01T00:00:00.000Z',
          pattern: `[ipv4-addr:value = '192.0.2.${200 + i}']`,
          pattern_type: 'stix',
          valid_from: '2026-02-01T00:00:00Z',
        },
      )
      expect(res.status, res.text).toBe(200)
      const label = fullLabel(world, c)
      probes.push({ id, visibleTo: (p) => canSee(p.viewer, label) })
    }
    await assertExactVisibility(world.principals, probes, {
      detail: (client, id) => client.get(`/api/v1/intel/objects/${id}/sightings`),
      missingId: () => `indicator--${randomUUID()}`,
    })
  })
})
