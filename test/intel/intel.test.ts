import { randomUUID } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  markingDefinitionForTlp,
  OPENCTI_TLP_AMBER_STRICT_ID,
  TLP2_MARKING_IDS,
} from '../../src/core/stix/stix.js'
import { indicator, namingEvery } from '../helpers/stix.js'
import { canSee } from '../../src/core/trust/label.js'
import { countStixRows } from '../../src/server/modules/intel/intel.repository.js'
import { errorCode, type ApiClient } from '../helpers/http.js'
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
import { CORPUS_DIR } from '../helpers/corpus.js'

const CORPUS = CORPUS_DIR
const STIX = path.join(CORPUS, 'stix21')

function corpusJson(relative: string): unknown {
  return JSON.parse(readFileSync(path.join(STIX, relative), 'utf8'))
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name)
    return statSync(full).isDirectory() ? walk(full) : name.endsWith('.json') ? [full] : []
  })
}

/** Files the corpus README lists as breaking STIX 2.1 (plus TAXII server content, which is not STIX). */
const BROKEN = [
  'attack/index.json',
  'attack/sample_3.3.0_stix-detection-strategy.json',
  'python-stix2/sco-examples-bundle.json',
]

interface Summary {
  created: number
  updated: number
  unchanged: number
  rejected: number
  problems: { index: number; id: string | null; property: string; message: string }[]
}

async function importJson(
  client: ApiClient,
  content: unknown,
  query = '',
): Promise<{ status: number; body: Summary; text: string }> {
  const res = await client.request<Summary>('POST', `/api/v1/intel/import${query}`, content)
  return { status: res.status, body: res.body, text: res.text }
}

/** Every related object of `id` one way, read through `GET /intel/objects/{id}/related` `limit` at a time. */
async function relatedPages(
  client: ApiClient,
  id: string,
  direction: 'out' | 'in',
  limit: number,
): Promise<{ id: string; property: string; name: string | null }[]> {
  type Related = { id: string; property: string; name: string | null }
  const all: Related[] = []
  let after: string | null = null
  for (let page = 0; page < 10_000; page++) {
    const query: URLSearchParams = new URLSearchParams({
      direction,
      limit: String(limit),
      ...(after === null ? {} : { after }),
    })
    const res: { status: number; text: string; body: { items: Related[]; next: string | null } } =
      await client.get(`/api/v1/intel/objects/${id}/related?${query.toString()}`)
    expect(res.status, res.text).toBe(200)
    expect(res.body.items.length).toBeLessThanOrEqual(limit)
    all.push(...res.body.items)
    after = res.body.next
    if (after === null) {
      return all
    }
  }
  throw new Error('related pages never ended')
}

describe.each(STORE_KINDS)('threat intelligence store (%s)', (kind) => {
  let server: TestServer
  let world: LeakWorld

  beforeAll(async () => {
    server = await startTestServer(kind)
    world = await createLeakWorld(server)
  })
  afterAll(async () => {
    await server.close()
  })

  it('imports every valid STIX file of the corpus, and rejects every broken one whole', async () => {
    const client = world.users.a1.client
    const files = walk(STIX).filter((f) => !f.includes(`${path.sep}taxii21${path.sep}`))
    let imported = 0
    for (const file of files) {
      const relative = path.relative(STIX, file)
      const broken =
        relative.startsWith(`invalid${path.sep}`) || BROKEN.includes(relative.split(path.sep).join('/'))
      let content: unknown
      try {
        content = JSON.parse(readFileSync(file, 'utf8'))
      } catch {
        // Files that are not JSON at all (invalid/) are refused by the HTTP layer: send the raw text.
        const res = await client.request('POST', '/api/v1/intel/import', readFileSync(file, 'utf8'))
        expect(res.status, relative).toBe(400)
        continue
      }
      const before = await countStixRows(server.store.db)
      const res = await importJson(client, content)
      if (broken) {
        expect(res.status, `${relative}: ${res.text.slice(0, 300)}`).toBe(400)
        expect(await countStixRows(server.store.db), relative).toBe(before)
        continue
      }
      expect(res.status, `${relative}: ${res.text.slice(0, 500)}`).toBe(200)
      expect(res.body.rejected, relative).toBe(0)
      imported += 1
    }
    expect(imported).toBeGreaterThan(40)
  })

  it('names object and property when refusing, and imports the valid part with skipInvalid', async () => {
    const client = world.users.b1.client
    const content = corpusJson('attack/sample_3.3.0_stix-detection-strategy.json')
    const strict = await importJson(client, content)
    expect(strict.status).toBe(400)
    const message = (
      strict.body as unknown as {
        error: { message: string; details: { problems: { id: string; property: string }[] } }
      }
    ).error
    expect(message.details.problems.length).toBeGreaterThan(0)
    expect(message.details.problems[0]?.id).toMatch(/--/)
    expect(message.details.problems[0]?.property).not.toBe('')

    const lenient = await importJson(client, content, '?skipInvalid=true')
    expect(lenient.status, lenient.text.slice(0, 300)).toBe(200)
    expect(lenient.body.rejected).toBeGreaterThan(0)
    expect(lenient.body.problems.every((p) => p.message.length > 0)).toBe(true)
  })

  it('keeps every version; the latest wins, whatever the order of arrival', async () => {
    const client = world.users.a1.client
    const base = {
      type: 'malware',
      spec_version: '2.1',
      id: 'malware--0f3c8b50-2c4a-4f8a-9f34-3c2f0f0c1a11',
      created: '2024-01-01T00:00:00.000Z',
      name: 'v1',
      is_family: true,
    }
    const v1 = { ...base, modified: '2024-01-01T00:00:00.000Z' }
    const v2 = { ...base, modified: '2024-02-01T00:00:00.000Z', name: 'v2' }
    const v15 = { ...base, modified: '2024-01-15T00:00:00.000Z', name: 'v1.5' }
    expect(
      (
        await importJson(client, {
          type: 'bundle',
          id: 'bundle--6f0f6b2a-1d5e-4a4c-9a34-1c9b0e3f2a10',
          objects: [v1],
        })
      ).body.created,
    ).toBe(1)
    expect((await importJson(client, v2)).body.updated).toBe(1)
    expect((await importJson(client, v15)).body.updated).toBe(1)
    expect((await importJson(client, v2)).body.unchanged).toBe(1)
    const detail = await client.get<{ object: { name: string }; versions: { modified: string }[] }>(
      `/api/v1/intel/objects/${base.id}`,
    )
    expect(detail.body.object.name).toBe('v2')
    expect(detail.body.versions.map((v) => v.modified)).toEqual([v2.modified, v15.modified, v1.modified])
  })

  it('tightens a held version to a stricter marking its content gains, never loosens it', async () => {
    const owner = world.users.a1
    const other = world.users.b1
    const object = {
      type: 'indicator',
      spec_version: '2.1',
      id: 'indicator--5e1f3a20-8d1b-4c55-9a1e-6c2b7d9e0f31',
      created: '2024-03-01T00:00:00.000Z',
      modified: '2024-03-01T00:00:00.000Z',
      pattern: "[ipv4-addr:value = '198.51.100.201']",
      pattern_type: 'stix',
      valid_from: '2024-03-01T00:00:00.000Z',
    }
    const seenByOther = async () => (await other.client.get(`/api/v1/intel/objects/${object.id}`)).status
    expect((await importJson(owner.client, [object], '?tlp=clear&audience=community')).body.created).toBe(1)
    expect(await seenByOther()).toBe(200)
    // The same version again, now marked TLP:RED by its producer: no longer for the community.
    const red = { ...object, object_marking_refs: [TLP2_MARKING_IDS.red] }
    const again = await importJson(owner.client, [red], '?tlp=clear&audience=community')
    expect(again.status, again.text).toBe(200)
    expect(again.body.updated).toBe(1)
    expect(await seenByOther()).toBe(404)
    const detail = await owner.client.get<{ label: { tlp: string; audience: string } }>(
      `/api/v1/intel/objects/${object.id}`,
    )
    expect(detail.body.label).toMatchObject({ tlp: 'red', audience: 'org' })
    // The marking dropped again: the label stays red (loosening is a person's audited decision).
    expect((await importJson(owner.client, [object], '?tlp=clear&audience=community')).body.updated).toBe(1)
    expect(await seenByOther()).toBe(404)
  })

  it('labels an object as strictly as a TLP marking on any part of it (granular markings)', async () => {
    const marked = indicator({
      description: 'Seen in a victim network we may not name',
      granular_markings: [{ marking_ref: TLP2_MARKING_IDS.red, selectors: ['description'] }],
    })
    const res = await importJson(world.users.a1.client, [marked], '?tlp=green&audience=community')
    expect(res.status, res.text).toBe(200)
    const detail = await world.users.a1.client.get<{ label: { tlp: string; audience: string } }>(
      `/api/v1/intel/objects/${marked.id}`,
    )
    expect(detail.body.label).toMatchObject({ tlp: 'red', audience: 'org' })
    expect((await world.users.b1.client.get(`/api/v1/intel/objects/${marked.id}`)).status).toBe(404)
  })

  it('takes OpenCTI’s TLP:AMBER+STRICT marking for what it is', async () => {
    // As OpenCTI exports it: its own marking definition, and the object marked with it.
    const marking = {
      type: 'marking-definition',
      spec_version: '2.1',
      id: OPENCTI_TLP_AMBER_STRICT_ID,
      created: '2022-10-01T00:00:00.000Z',
      definition_type: 'statement',
      definition: { statement: 'custom' },
      name: 'TLP:AMBER+STRICT',
      x_opencti_definition_type: 'TLP',
      x_opencti_definition: 'TLP:AMBER+STRICT',
    }
    const marked = indicator({ object_marking_refs: [OPENCTI_TLP_AMBER_STRICT_ID] })
    const res = await importJson(world.users.a1.client, [marking, marked], '?tlp=green&audience=community')
    expect(res.status, res.text).toBe(200)
    const detail = await world.users.a1.client.get<{ label: { tlp: string; audience: string } }>(
      `/api/v1/intel/objects/${marked.id}`,
    )
    expect(detail.body.label).toMatchObject({ tlp: 'amber+strict', audience: 'org' })
    expect((await world.users.b1.client.get(`/api/v1/intel/objects/${marked.id}`)).status).toBe(404)
    // It leaves with the TLP 2.0 marking of its label, OpenCTI's id replaced.
    const exported = await world.users.a1.client.get<{
      objects: { id: string; object_marking_refs?: string[] }[]
    }>(
      `/api/v1/intel/export?format=stix&type=indicator&added_after=${encodeURIComponent(new Date(Date.now() - 60_000).toISOString())}`,
    )
    expect(exported.body.objects.find((o) => o.id === marked.id)?.object_marking_refs).toEqual([
      TLP2_MARKING_IDS['amber+strict'],
    ])
  })

  it('exports a version several organisations hold once, as the copy with the strictest marking the export holds', async () => {
    const shared = indicator()
    const tag = randomUUID().slice(0, 8)
    for (const [owner, tlp] of [
      ['a1', 'clear'],
      ['b1', 'green'],
    ] as const) {
      const res = await importJson(
        world.users[owner].client,
        [shared],
        `?tlp=${tlp}&audience=community&source=copies-${owner}-${tag}`,
      )
      expect(res.status, res.text).toBe(200)
    }
    const reader = world.users.c1.client
    const since = encodeURIComponent(new Date(Date.now() - 60_000).toISOString())
    const bundle = await reader.get<{ objects: { id: string; object_marking_refs?: string[] }[] }>(
      `/api/v1/intel/export?format=stix&type=indicator&added_after=${since}`,
    )
    expect(bundle.body.objects.filter((o) => o.id === shared.id)).toEqual([
      expect.objectContaining({ object_marking_refs: [TLP2_MARKING_IDS.green] }),
    ])
    const misp = await reader.get(`/api/v1/intel/export?format=misp&type=indicator&added_after=${since}`)
    expect(misp.text.split(shared.id.slice('indicator--'.length)).length - 1).toBe(1)
    // An export of one source holds that source's copy: the other copy stands for nothing there.
    const one = await reader.get<{ objects: { id: string; object_marking_refs?: string[] }[] }>(
      `/api/v1/intel/export?format=stix&source=copies-a1-${tag}`,
    )
    expect(one.body.objects.filter((o) => o.id === shared.id)).toEqual([
      expect.objectContaining({ object_marking_refs: [TLP2_MARKING_IDS.clear] }),
    ])
    // CSV lists each copy with its owner.
    const csv = await reader.get(`/api/v1/intel/export?format=csv&type=indicator&added_after=${since}`)
    expect(csv.text.split(shared.id).length - 1).toBe(2)
  })

  it('correlates values across what the caller may see, with CIDR containment', async () => {
    const client = world.users.a1.client
    const res = await importJson(
      client,
      [
        {
          type: 'ipv4-addr',
          spec_version: '2.1',
          id: 'ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd',
          value: '198.51.100.0/24',
        },
        {
          type: 'indicator',
          spec_version: '2.1',
          id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',
          created: '2024-03-01T00:00:00.000Z',
          modified: '2024-03-01T00:00:00.000Z',
          name: 'C2',
          pattern: "[domain-name:value = 'c2.bad.example'] OR [ipv4-addr:value = '203.0.113.77']",
          pattern_type: 'stix',
          valid_from: '2024-03-01T00:00:00Z',
        },
      ],
      '?tlp=green&audience=community',
    )
    expect(res.status, res.text).toBe(200)
    const one = await world.users.e1.client.get<{ results: { total: number; hits: { id: string }[] }[] }>(
      '/api/v1/intel/correlate?value=198.51.100.9',
    )
    expect(one.body.results[0]?.hits.map((h) => h.id)).toContain(
      'ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd',
    )
    const bulk = await world.users.e1.client.post<{ results: { value: string; total: number }[] }>(
      '/api/v1/intel/correlate',
      {
        values: ['C2.Bad.Example', '203.0.113.77', 'nothing.example.net', '198.51.100.9', '2001:db8::1'],
      },
    )
    // 198.51.100.9 is inside the stored /24: bulk correlation finds containing networks too.
    expect(bulk.body.results.map((r) => r.total)).toEqual([1, 1, 0, 1, 0])
    // Values pasted defanged from a report find what the live ones do, and are answered as asked.
    const defanged = await world.users.e1.client.post<{ results: { value: string; total: number }[] }>(
      '/api/v1/intel/correlate',
      { values: ['C2[.]Bad[.]Example', '203.0.113[.]77', '198.51.100[.]9'] },
    )
    expect(defanged.body.results.map((r) => [r.value, r.total])).toEqual([
      ['C2[.]Bad[.]Example', 1],
      ['203.0.113[.]77', 1],
      ['198.51.100[.]9', 1],
    ])
    const single = await world.users.e1.client.get<{ results: { total: number }[] }>(
      `/api/v1/intel/correlate?value=${encodeURIComponent('203.0.113[.]77')}`,
    )
    expect(single.body.results[0]?.total).toBe(1)
    const anonymous = await server
      .client()
      .get<{ results: { total: number }[] }>('/api/v1/intel/correlate?value=203.0.113.77')
    expect(anonymous.body.results[0]?.total).toBe(0)
  })

  it('lists with each correlation hit only the reports the caller may see', async () => {
    const indicatorId = `indicator--${randomUUID()}`
    const shared = `report--${randomUUID()}`
    const ownOnly = `report--${randomUUID()}`
    const created = '2025-02-01T00:00:00.000Z'
    const report = (id: string, name: string) => ({
      type: 'report',
      spec_version: '2.1',
      id,
      created,
      modified: created,
      name,
      published: created,
      object_refs: [indicatorId],
    })
    const indicator = {
      type: 'indicator',
      spec_version: '2.1',
      id: indicatorId,
      created,
      modified: created,
      pattern: "[domain-name:value = 'reportprobe.example']",
      pattern_type: 'stix',
      valid_from: created,
    }
    // A shares the indicator and one report with the community, and keeps the other report to itself.
    const community = await importJson(
      world.users.a1.client,
      [indicator, report(shared, 'shared report')],
      '?tlp=green&audience=community',
    )
    expect(community.status, community.text).toBe(200)
    const own = await importJson(
      world.users.a1.client,
      [report(ownOnly, 'own report')],
      '?tlp=amber&audience=org',
    )
    expect(own.status, own.text).toBe(200)
    type Result = { results: { hits: { id: string; reports: string[] }[] }[] }
    const reportsSeenBy = async (client: ApiClient) => {
      const single = await client.get<Result>('/api/v1/intel/correlate?value=reportprobe.example')
      const bulk = await client.post<Result>('/api/v1/intel/correlate', { values: ['reportprobe.example'] })
      const of = (body: Result) =>
        [...(body.results[0]?.hits.find((h) => h.id === indicatorId)?.reports ?? [])].sort()
      expect(of(bulk.body)).toEqual(of(single.body))
      return of(single.body)
    }
    expect(await reportsSeenBy(world.users.a2.client)).toEqual([shared, ownOnly].sort())
    expect(await reportsSeenBy(world.users.e1.client)).toEqual([shared])
  })

  it('caps fan-out per value in bulk correlation, with the same hits and totals as single look-ups', async () => {
    // 14 indicators share one value (12 visible to the community, 2 kept in the own organisation);
    // another value is in 3 objects.
    const tag = randomUUID().slice(0, 8)
    const indicator = (i: number, value: string) => ({
      type: 'indicator',
      spec_version: '2.1',
      id: `indicator--${randomUUID()}`,
      created: `2024-04-01T00:00:${String(i).padStart(2, '0')}.000Z`,
      modified: `2024-04-01T00:00:${String(i).padStart(2, '0')}.000Z`,
      pattern: `[domain-name:value = '${value}']`,
      pattern_type: 'stix',
      valid_from: '2024-04-01T00:00:00Z',
    })
    const common = `fanout-${tag}.example`
    const rare = `rare-${tag}.example`
    const community = [...Array.from({ length: 12 }, (_, i) => indicator(i, common)), indicator(20, rare)]
    const own = [indicator(30, common), indicator(31, common), indicator(32, rare), indicator(33, rare)]
    for (const [objects, query] of [
      [community, '?tlp=green&audience=community'],
      [own, '?tlp=amber&audience=org'],
    ] as const) {
      const res = await importJson(
        world.users.c1.client,
        { type: 'bundle', id: `bundle--${randomUUID()}`, objects },
        query,
      )
      expect(res.status, res.text.slice(0, 300)).toBe(200)
    }
    type Result = { value: string; total: number; hits: { id: string }[] }
    for (const [user, commonTotal, rareTotal] of [
      ['c1', 14, 3],
      ['d1', 12, 1],
    ] as const) {
      const client = world.users[user].client
      const bulk = await client.post<{ results: Result[] }>('/api/v1/intel/correlate', {
        values: [common, rare, `none-${tag}.example`],
        limit: 10,
      })
      expect(bulk.status, bulk.text).toBe(200)
      expect(
        bulk.body.results.map((r) => r.total),
        user,
      ).toEqual([commonTotal, rareTotal, 0])
      expect(bulk.body.results[0]?.hits).toHaveLength(10)
      for (const result of bulk.body.results.slice(0, 2)) {
        const single = await client.get<{ results: Result[] }>(
          `/api/v1/intel/correlate?value=${result.value}&limit=10`,
        )
        expect(single.body.results[0]?.total, `${user} ${result.value}`).toBe(result.total)
        expect(single.body.results[0]?.hits.map((h) => h.id)).toEqual(result.hits.map((h) => h.id))
      }
    }
  })

  it('round-trips STIX: export keeps ids, versions and content, with TLP 2.0 markings', async () => {
    const client = world.users.c1.client
    const apt1 = corpusJson('oasis-examples/threat-reports/apt1.json') as {
      objects: { id: string; modified?: string }[]
    }
    const imported = await importJson(client, apt1, '?tlp=amber&audience=org&source=apt1')
    expect(imported.status, imported.text.slice(0, 300)).toBe(200)
    const exported = await client.get<{
      objects: { id: string; type: string; modified?: string; object_marking_refs?: string[] }[]
    }>('/api/v1/intel/export?format=stix&source=apt1&include_expired=true')
    expect(exported.status).toBe(200)
    const byId = new Map(exported.body.objects.map((o) => [o.id, o]))
    for (const object of apt1.objects) {
      const out = byId.get(object.id)
      expect(out, object.id).toBeDefined()
      expect(out?.modified).toBe(object.modified)
    }
    const markings = exported.body.objects.filter((o) => o.type === 'marking-definition').map((o) => o.id)
    expect(markings).toContain('marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421')
    expect(
      exported.body.objects
        .filter((o) => o.type !== 'marking-definition')
        .every((o) => o.object_marking_refs?.includes(markings[0] ?? '')),
    ).toBe(true)
    // Every version, on asking: a bundle holding two versions of an object comes back with both.
    const first = indicator({ name: 'first version' })
    const second = { ...first, modified: '2025-06-01T00:00:00.000Z', name: 'second version' }
    const versioned = await importJson(client, [first, second], '?tlp=amber&audience=org&source=versions')
    expect(versioned.status, versioned.text).toBe(200)
    const latest = await client.get<{ objects: { id: string; modified?: string }[] }>(
      '/api/v1/intel/export?format=stix&source=versions',
    )
    expect(latest.body.objects.filter((o) => o.id === first.id).map((o) => o.modified)).toEqual([
      second.modified,
    ])
    const every = await client.get<{ objects: { id: string; modified?: string; name?: string }[] }>(
      '/api/v1/intel/export?format=stix&source=versions&versions=all',
    )
    expect(
      every.body.objects
        .filter((o) => o.id === first.id)
        .map((o) => [o.modified, o.name])
        .sort(),
    ).toEqual([
      [first.modified, 'first version'],
      [second.modified, 'second version'],
    ])
    const csv = await client.get('/api/v1/intel/export?format=csv&source=versions&versions=all')
    expect(csv.text.split(first.id).length - 1).toBe(2)
    const misp = await client.get('/api/v1/intel/export?format=misp&source=versions&versions=all')
    expect(misp.status).toBe(400)
    expect(errorCode(misp)).toBe('validation_failed')
    // A TLP 2.0 marking definition imported with the content is written once, not beside its twin.
    const marked = await importJson(
      client,
      [markingDefinitionForTlp('amber'), { ...indicator(), object_marking_refs: [TLP2_MARKING_IDS.amber] }],
      '?tlp=amber&audience=org&source=held-marking',
    )
    expect(marked.status, marked.text).toBe(200)
    const once = await client.get<{ objects: { id: string }[] }>(
      '/api/v1/intel/export?format=stix&source=held-marking',
    )
    const ids = once.body.objects.map((o) => o.id)
    expect(ids.filter((id) => id === TLP2_MARKING_IDS.amber)).toHaveLength(1)
    expect(new Set(ids).size).toBe(ids.length)
    // Another organisation's user sees none of it: amber, organisation only.
    const outsider = await world.users.d1.client.get<{ objects: { id: string }[] }>(
      '/api/v1/intel/export?format=stix&source=apt1',
    )
    expect(outsider.body.objects.some((o) => byId.has(o.id) && apt1.objects.some((a) => a.id === o.id))).toBe(
      false,
    )
  })

  it('round-trips ATT&CK: x-mitre-* objects and properties come back exactly as imported', async () => {
    const client = world.users.c1.client
    const attack = corpusJson('attack/ics-attack-18.1.json') as { objects: Record<string, unknown>[] }
    const custom = attack.objects.filter((o) => String(o.type).startsWith('x-mitre-'))
    expect(custom.length).toBeGreaterThan(0)
    const imported = await importJson(client, attack, '?tlp=green&audience=org&source=ics-attack')
    expect(imported.status, imported.text.slice(0, 300)).toBe(200)
    const exported = await client.get<{ objects: Record<string, unknown>[] }>(
      '/api/v1/intel/export?format=stix&source=ics-attack&include_expired=true',
    )
    expect(exported.status).toBe(200)
    const byKey = new Map(exported.body.objects.map((o) => [`${String(o.id)} ${String(o.modified)}`, o]))
    for (const object of attack.objects) {
      const out = byKey.get(`${String(object.id)} ${String(object.modified)}`)
      expect(out, String(object.id)).toBeDefined()
      const { object_marking_refs: outRefs, ...outRest } = out ?? {}
      const { object_marking_refs: inRefs, ...inRest } = object
      expect(outRest, String(object.id)).toEqual(inRest)
      // The export adds the TLP marking of the stored label and keeps the object's own markings.
      for (const ref of (inRefs as string[] | undefined) ?? []) {
        expect(outRefs as string[], String(object.id)).toContain(ref)
      }
    }
  })

  it('shows exactly what canSee allows in search, details, counts, correlation and exports', async () => {
    const probes: Probe[] = []
    for (const [i, c] of labelMatrix(world).entries()) {
      const id = `indicator--${(i + 1).toString(16).padStart(8, '0')}-7a1b-4c2d-8e3f-${'a'.repeat(12)}`
      const res = await importJson(
        world.users[c.owner].client,
        {
          type: 'indicator',
          spec_version: '2.1',
          id,
          created: '2024-05-01T00:00:00.000Z',
          modified: '2024-05-01T00:00:00.000Z',
          name: `Leak probe ${i}`,
          pattern: `[ipv4-addr:value = '192.0.2.${i + 1}'] OR [domain-name:value = 'leakprobe.example']`,
          pattern_type: 'stix',
          valid_from: '2024-05-01T00:00:00Z',
        },
        `?tlp=${encodeURIComponent(c.input.tlp)}&pap=${c.input.pap ?? 'clear'}&audience=${c.input.audience}${(c.input.sharingGroups ?? []).map((g) => `&group=${g}`).join('')}${(c.input.recipients ?? []).map((r) => `&recipient=${r}`).join('')}&source=leakprobe`,
      )
      expect(res.status, res.text).toBe(200)
      const label = fullLabel(world, c)
      probes.push({ id, visibleTo: (p) => canSee(p.viewer, label) })
    }
    const ids = (body: unknown) =>
      ((body as { items: { object: { id: string } }[] }).items ?? []).map((i) => i.object.id)
    await assertExactVisibility(world.principals, probes, {
      list: (client) => client.get('/api/v1/intel/objects?source=leakprobe&limit=1000'),
      search: (client) => client.get('/api/v1/intel/objects?value=leakprobe.example&limit=1000'),
      detail: (client, id) => client.get(`/api/v1/intel/objects/${id}`),
      idsOf: ids,
      missingId: () => `indicator--${randomUUID()}`,
    })
    // A name to search for is some text: an empty one is a 400 naming the parameter.
    const empty = await world.users.a1.client.get('/api/v1/intel/objects?name=')
    expect(empty.status, empty.text).toBe(400)
    expect(empty.text).toContain('name')
    for (const principal of world.principals) {
      const expected = probes
        .filter((p) => p.visibleTo(principal))
        .map((p) => p.id)
        .sort()
      const correlation = await principal.client.get<{
        results: { total: number; hits: { id: string }[] }[]
      }>('/api/v1/intel/correlate?value=leakprobe.example&limit=500')
      expect(
        correlation.body.results[0]?.hits.map((h) => h.id).sort(),
        `correlate as ${principal.name}`,
      ).toEqual(expected)
      expect(correlation.body.results[0]?.total).toBe(expected.length)
      const byName = await principal.client.get('/api/v1/intel/objects?name=LEAK%20PROBE&limit=1000')
      expect(byName.status, byName.text.slice(0, 200)).toBe(200)
      expect(ids(byName.body).sort(), `search by name as ${principal.name}`).toEqual(expected)
      const exported = await principal.client.get<{ objects: { id: string; type: string }[] }>(
        '/api/v1/intel/export?format=stix&source=leakprobe',
      )
      const exportedIds = exported.body.objects
        .filter((o) => o.type === 'indicator')
        .map((o) => o.id)
        .sort()
      expect(exportedIds, `export as ${principal.name}`).toEqual(expected)
      const csv = await principal.client.get('/api/v1/intel/export?format=csv&source=leakprobe')
      expect(csv.text.trim().split('\r\n').length - 1, `csv as ${principal.name}`).toBe(expected.length)
      // Bulk correlation, and the MISP export (attributes keep the objects' uuids): the same set.
      const bulk = await principal.client.post<{ results: { total: number; hits: { id: string }[] }[] }>(
        '/api/v1/intel/correlate',
        { values: ['leakprobe.example', '192.0.2.1'] },
      )
      expect(bulk.status, bulk.text).toBe(200)
      // At most `limit` (10) hits per value, all of them visible, and the total of all visible.
      const bulkHits = bulk.body.results[0]?.hits.map((h) => h.id) ?? []
      expect(bulkHits, `bulk correlate as ${principal.name}`).toHaveLength(Math.min(10, expected.length))
      expect(
        bulkHits.filter((id) => !expected.includes(id)),
        `bulk correlate as ${principal.name}`,
      ).toEqual([])
      expect(bulk.body.results[0]?.total).toBe(expected.length)
      const misp = await principal.client.get('/api/v1/intel/export?format=misp&source=leakprobe')
      expect(misp.status, misp.text.slice(0, 200)).toBe(200)
      for (const probe of probes) {
        expect(
          misp.text.includes(probe.id.slice('indicator--'.length)),
          `misp export as ${principal.name}`,
        ).toBe(probe.visibleTo(principal))
      }
    }

    // A public report naming every probe, and a public relationship from each: what a reader may not
    // see is not named to them either, on any read path.
    const { report, relationships } = namingEvery(
      probes.map((p) => p.id),
      '2024-05-02T00:00:00.000Z',
    )
    const reportId = report.id
    const named = await importJson(
      world.users.a1.client,
      [report, ...relationships],
      '?tlp=clear&audience=public&source=leakprobe-named',
    )
    expect(named.status, named.text).toBe(200)
    for (const principal of world.principals) {
      const visible = probes.filter((p) => p.visibleTo(principal)).map((p) => p.id)
      const hidden = probes.filter((p) => !p.visibleTo(principal)).map((p) => p.id)
      const detail = await principal.client.get<{
        object: { object_refs?: string[] }
        related: { id: string }[]
      }>(`/api/v1/intel/objects/${reportId}`)
      expect(detail.status, detail.text).toBe(200)
      expect([...(detail.body.object.object_refs ?? [])].sort(), `report as ${principal.name}`).toEqual(
        [...visible].sort(),
      )
      expect(
        detail.body.related.filter((r) => hidden.includes(r.id)),
        `related as ${principal.name}`,
      ).toEqual([])
      // Paged a few at a time, the report names exactly what the reader may see; a relationship
      // from a probe names the report's neighbours only when the reader may see the probe.
      const paged = await relatedPages(principal.client, reportId, 'out', 2)
      expect(paged.map((r) => r.id).sort(), `related pages as ${principal.name}`).toEqual([...visible].sort())
      const cut = await principal.client.get<{
        object: { object_refs?: string[] }
        truncatedLists: { property: string; shown: number }[]
      }>(`/api/v1/intel/objects/${reportId}?maxListItems=2`)
      expect(cut.status, cut.text).toBe(200)
      const shown = cut.body.object.object_refs ?? []
      expect(shown.length).toBeLessThanOrEqual(2)
      expect(shown.filter((id) => hidden.includes(id))).toEqual([])
      expect(cut.body.truncatedLists).toEqual([{ property: 'object_refs', shown: shown.length }])
      const listed = await principal.client.get('/api/v1/intel/objects?source=leakprobe-named&limit=1000')
      const bundle = await principal.client.get<{ objects: { id: string; object_refs?: string[] }[] }>(
        '/api/v1/intel/export?format=stix&source=leakprobe-named',
      )
      // In an export, a relationship whose source the reader may not see is left out (STIX needs one).
      expect(
        bundle.body.objects
          .filter((o) => o.id.startsWith('relationship--'))
          .map((o) => o.id)
          .sort(),
        `relationships exported to ${principal.name}`,
      ).toEqual(
        relationships
          .filter((r) => visible.includes(String(r.source_ref)))
          .map((r) => r.id)
          .sort(),
      )
      expect(bundle.body.objects.find((o) => o.id === reportId)?.object_refs?.sort()).toEqual(
        [...visible].sort(),
      )
      for (const text of [detail.text, listed.text, bundle.text]) {
        for (const id of hidden) {
          expect(text.includes(id), `${id} shown to ${principal.name}`).toBe(false)
        }
      }
    }
  })

  it('pages the objects a large report names, and cuts its lists for the object page on request', async () => {
    const members = Array.from({ length: 450 }, () => indicator())
    const { report } = namingEvery(
      members.map((m) => m.id),
      '2024-06-01T00:00:00.000Z',
    )
    const imported = await importJson(
      world.users.a1.client,
      [...members, report],
      '?tlp=green&audience=community',
    )
    expect(imported.status, imported.text).toBe(200)
    const reader = world.users.b1.client
    const detail = await reader.get<{
      object: { object_refs: string[] }
      related: { direction: string; id: string }[]
      relatedNext: { out: string | null; in: string | null }
      truncatedLists: unknown[]
    }>(`/api/v1/intel/objects/${report.id}`)
    expect(detail.status, detail.text).toBe(200)
    // Whole without maxListItems (what API clients get); the first 200 related, and where the rest start.
    expect(detail.body.object.object_refs).toHaveLength(450)
    expect(detail.body.truncatedLists).toEqual([])
    expect(detail.body.related.filter((r) => r.direction === 'out')).toHaveLength(200)
    expect(detail.body.relatedNext.in).toBeNull()
    const expected = members.map((m) => m.id).sort()
    expect(detail.body.related.map((r) => r.id)).toEqual(expected.slice(0, 200))
    const rest = await reader.get<{
      items: { id: string; property: string; name: string }[]
      next: string | null
    }>(
      `/api/v1/intel/objects/${report.id}/related?direction=out&limit=1000&after=${detail.body.relatedNext.out ?? ''}`,
    )
    expect(rest.status, rest.text).toBe(200)
    expect(rest.body.next).toBeNull()
    expect(rest.body.items.map((r) => r.id)).toEqual(expected.slice(200))
    expect(rest.body.items[0]?.property).toBe('object_refs')
    expect(rest.body.items[0]?.name).toMatch(/^probe /)
    // Every page, 7 at a time, each member once; and from a member, the report names it.
    const paged = await relatedPages(reader, report.id, 'out', 7)
    expect(paged.map((r) => r.id)).toEqual(expected)
    const back = await relatedPages(reader, members[0]?.id ?? '', 'in', 5)
    expect(back).toEqual([
      { direction: 'in', property: 'object_refs', id: report.id, type: 'report', name: 'Every probe' },
    ])
    // A report the importer's organisation keeps to itself names the same member: its own users see
    // it among the objects naming the member; another organisation's reader never does.
    const { report: own } = namingEvery([members[0]?.id ?? ''], '2024-06-02T00:00:00.000Z')
    const kept = await importJson(world.users.a1.client, [own], '?tlp=amber&audience=org')
    expect(kept.status, kept.text).toBe(200)
    expect((await relatedPages(reader, members[0]?.id ?? '', 'in', 5)).map((r) => r.id)).toEqual([report.id])
    expect(
      (await relatedPages(world.users.a2.client, members[0]?.id ?? '', 'in', 1)).map((r) => r.id).sort(),
    ).toEqual([report.id, own.id].sort())
    const hidden = await reader.request('GET', `/api/v1/intel/objects/${own.id}/related?direction=out`)
    expect(hidden.status).toBe(404)

    const cut = await reader.get<{
      object: { object_refs: string[]; name: string }
      truncatedLists: { property: string; shown: number }[]
    }>(`/api/v1/intel/objects/${report.id}?maxListItems=100`)
    expect(cut.status, cut.text).toBe(200)
    expect(cut.body.object.object_refs).toEqual((report.object_refs as string[]).slice(0, 100))
    expect(cut.body.object.name).toBe('Every probe')
    expect(cut.body.truncatedLists).toEqual([{ property: 'object_refs', shown: 100 }])

    // A cursor the API never gave is refused, naming the parameter; an unseen object is a 404.
    const bad = await reader.request(
      'GET',
      `/api/v1/intel/objects/${report.id}/related?direction=out&after=bm9wZQ`,
    )
    expect(bad.status, bad.text).toBe(400)
    expect(bad.text).toContain('after')
    // So are a missing or unknown direction, a limit out of bounds and maxListItems below 1.
    for (const [query, field] of [
      ['', 'direction'],
      ['?direction=sideways', 'direction'],
      ['?direction=out&limit=0', 'limit'],
    ] as const) {
      const refused = await reader.request('GET', `/api/v1/intel/objects/${report.id}/related${query}`)
      expect(refused.status, `${query}: ${refused.text}`).toBe(400)
      expect(refused.text, query).toContain(field)
    }
    const zero = await reader.request('GET', `/api/v1/intel/objects/${report.id}?maxListItems=0`)
    expect(zero.status, zero.text).toBe(400)
    expect(zero.text).toContain('maxListItems')
    const missing = await reader.request(
      'GET',
      `/api/v1/intel/objects/report--${randomUUID()}/related?direction=in`,
    )
    expect(missing.status).toBe(404)
  })

  it('lets viewers read intelligence but not import it, and changes nothing when refusing', async () => {
    const viewer = await server.loginAsNewUser({ role: 'viewer' })
    const before = await countStixRows(server.store.db)
    const bundle = {
      type: 'bundle',
      id: 'bundle--6d6c1f4e-8a4e-4a39-9c38-2b0e0d3f5a11',
      objects: [
        {
          type: 'ipv4-addr',
          spec_version: '2.1',
          id: 'ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd',
          value: '198.51.100.3',
        },
      ],
    }
    const refused = await viewer.client.request('POST', '/api/v1/intel/import', bundle)
    expect(refused.status).toBe(403)
    expect(errorCode(refused)).toBe('forbidden')
    const extract = await viewer.client.request('POST', '/api/v1/intel/extract', {
      text: 'seen 198.51.100.3',
      store: true,
    })
    expect(extract.status).toBe(403)
    expect(await countStixRows(server.store.db)).toBe(before)
    const search = await viewer.client.request('GET', '/api/v1/intel/objects')
    expect(search.status).toBe(200)
    const analyst = await server.loginAsNewUser({ role: 'analyst', orgId: viewer.orgId })
    expect((await importJson(analyst.client, bundle)).status).toBe(200)
  })

  it('extracts IOCs from free text', async () => {
    const res = await world.users.a1.client.post<{ items: { kind: string; value: string }[] }>(
      '/api/v1/intel/extract',
      {
        text: 'Beacon to 198.51.100[.]23 via hxxp://dropper[.]net/x',
      },
    )
    expect(res.body.items.map((i) => i.value)).toEqual(
      expect.arrayContaining(['198.51.100.23', 'http://dropper.net/x']),
    )
    expect(errorCode(await world.users.a1.client.post('/api/v1/intel/extract', { text: 5 }))).toBe(
      'validation_failed',
    )
  })

  it('gives extracted observables their deterministic ids and stores them on request', async () => {
    const text = 'Beacon to 198.51.100[.]3 and example[.]com, report to alice[at]example[.]org'
    type Extracted = {
      items: { value: string; sco: { id: string; type: string } }[]
      import: { importId: string; created: number; unchanged: number; rejected: number } | null
    }
    const plain = await world.users.b1.client.post<Extracted>('/api/v1/intel/extract', { text })
    expect(plain.status, plain.text).toBe(200)
    expect(plain.body.import).toBeNull()
    // stix21.md section 6.2 test vectors.
    expect(Object.fromEntries(plain.body.items.map((i) => [i.value, i.sco.id]))).toMatchObject({
      '198.51.100.3': 'ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4',
      'example.com': 'domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7',
      'alice@example.org': 'email-addr--4e768f86-4140-5e47-8df8-acaf2b0eec02',
    })
    // Extracting alone stores nothing: nobody correlates the value yet.
    const before = await world.users.d1.client.get<{ results: { hits: { id: string }[] }[] }>(
      '/api/v1/intel/correlate?value=198.51.100.3',
    )
    expect(before.body.results[0]?.hits.map((h) => h.id)).not.toContain(
      'ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4',
    )

    const stored = await world.users.b1.client.post<Extracted>('/api/v1/intel/extract', {
      text,
      store: true,
      label: { tlp: 'green', audience: 'community' },
      source: 'mail-intake',
    })
    expect(stored.status, stored.text).toBe(200)
    expect(stored.body.import).toMatchObject({ created: plain.body.items.length, rejected: 0 })
    const after = await world.users.d1.client.get<{ results: { hits: { id: string }[] }[] }>(
      '/api/v1/intel/correlate?value=198.51.100.3',
    )
    expect(after.body.results[0]?.hits.map((h) => h.id)).toContain(
      'ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4',
    )
    const object = await world.users.d1.client.get<{
      label: { tlp: string; audience: string }
      source: string
    }>('/api/v1/intel/objects/domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7')
    expect(object.body).toMatchObject({
      source: 'mail-intake',
      label: { tlp: 'green', audience: 'community' },
    })
    // The same text again: the same ids, nothing new.
    const again = await world.users.b1.client.post<Extracted>('/api/v1/intel/extract', { text, store: true })
    expect(again.body.import).toMatchObject({ created: 0, unchanged: plain.body.items.length })
    // By default the stored observables are the organisation's own (TLP:AMBER): C's copy stays with C.
    const own = await world.users.c1.client.post<Extracted>('/api/v1/intel/extract', {
      text: 'only here: 203.0.113.254',
      store: true,
    })
    expect(own.body.import).toMatchObject({ created: 1 })
    const hidden = await world.users.d1.client.get<{ results: { total: number }[] }>(
      '/api/v1/intel/correlate?value=203.0.113.254',
    )
    expect(hidden.body.results[0]?.total).toBe(0)
    // Nothing found: nothing to store.
    const empty = await world.users.b1.client.post<Extracted>('/api/v1/intel/extract', {
      text: 'no indicators here',
      store: true,
    })
    expect(empty.body).toEqual({ items: [], import: null })
    expect(
      errorCode(
        await world.users.b1.client.post('/api/v1/intel/extract', {
          text,
          store: true,
          label: { tlp: 'amber', audience: 'public' },
        }),
      ),
    ).toBe('validation_failed')
    const anonymous = await server.client().post('/api/v1/intel/extract', { text, store: true })
    expect(anonymous.status).toBe(401)
  })
})
