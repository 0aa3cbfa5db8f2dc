import { createHash, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { countStixRows } from '../../src/server/modules/intel/intel.repository.js'
import { errorCode, type ApiClient } from '../helpers/http.js'
import { createLeakWorld, type LeakWorld } from '../helpers/leak-harness.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { narrowEvent } from '../helpers/misp.js'
import { STORE_KINDS } from '../helpers/stores.js'
import { CORPUS_DIR } from '../helpers/corpus.js'

const MISP = path.join(CORPUS_DIR, 'misp')

interface MispAttributeJson {
  uuid: string
  type: string
  category: string
  value: string
  to_ids: boolean | string
  Tag?: { name: string }[]
}
interface MispEventJson {
  uuid: string
  info: string
  Orgc?: { uuid: string; name: string }
  Attribute?: MispAttributeJson[]
  Tag?: { name: string }[]
}

function corpusEvent(relative: string): { Event: MispEventJson } {
  return JSON.parse(readFileSync(path.join(MISP, relative), 'utf8')) as { Event: MispEventJson }
}

const EVENTS = [
  'pymisp/57c4445b-c548-4654-af0b-4be3950d210f.json',
  'pymisp/reportlab_testfiles/long_event.json',
  'pymisp/reportlab_testfiles/galaxy_1.json',
  'pymisp/reportlab_testfiles/mainly_objects_1.json',
  'pymisp/reportlab_testfiles/sighting_1.json',
  'misp-core/tests/event.json',
  'misp-core/stixtest/misp_indicators_test.json',
  'eset-malware-ioc/sshdoor/misp-events/abafar.json',
  // PyMISP's own fixtures, built without uuids (MISP gives them one; so does the import).
  'pymisp/mispevent_testfiles/event.json',
  'pymisp/mispevent_testfiles/event_tags.json',
  'pymisp/mispevent_testfiles/attribute.json',
  'pymisp/mispevent_testfiles/proposals.json',
]

describe.each(STORE_KINDS)('MISP in and out (%s)', (kind) => {
  let server: TestServer
  let world: LeakWorld

  beforeAll(async () => {
    server = await startTestServer(kind)
    world = await createLeakWorld(server)
  })
  afterAll(async () => {
    await server.close()
  })

  it('imports real MISP events, in the Event and response envelopes', async () => {
    for (const file of EVENTS) {
      const res = await world.users.a1.client.post<{ created: number; rejected: number }>(
        '/api/v1/intel/import',
        corpusEvent(file),
      )
      expect(res.status, `${file}: ${res.text.slice(0, 400)}`).toBe(200)
      expect(res.body.rejected, file).toBe(0)
    }
    const wrapped = await world.users.b1.client.post<{ created: number }>('/api/v1/intel/import', {
      response: [corpusEvent('pymisp/reportlab_testfiles/sighting_2.json')],
    })
    expect(wrapped.status, wrapped.text.slice(0, 300)).toBe(200)
    expect(wrapped.body.created).toBeGreaterThan(0)
  })

  it('imports restSearch collections of attributes and of objects, as misp-stix maps them', async () => {
    const client = world.users.c1.client
    for (const [file, expected] of [
      [
        'misp-stix/tests/test_attributes_collection_1.json',
        ['observed-data', 'autonomous-system', 'domain-name'],
      ],
      ['misp-stix/tests/test_objects_collection_2.json', ['observed-data', 'ipv4-addr', 'user-account']],
    ] as const) {
      const content: unknown = JSON.parse(readFileSync(path.join(MISP, file), 'utf8'))
      const res = await client.post<{ created: number; rejected: number }>(
        '/api/v1/intel/import?tlp=green&audience=org&source=collection',
        content,
      )
      expect(res.status, `${file}: ${res.text.slice(0, 400)}`).toBe(200)
      expect(res.body.rejected, file).toBe(0)
      expect(res.body.created, file).toBeGreaterThan(3)
      const listed = await client.get<{ items: { object: { type: string } }[] }>(
        '/api/v1/intel/objects?source=collection&limit=100',
      )
      const types = new Set(listed.body.items.map((i) => i.object.type))
      for (const type of expected) {
        expect(types.has(type), `${file}: ${type}`).toBe(true)
      }
      // No container: a collection is its elements alone.
      expect(types.has('grouping') || types.has('report')).toBe(false)
    }
    const hit = await client.get<{ results: { total: number }[] }>('/api/v1/intel/correlate?value=circl.lu')
    expect(hit.body.results[0]?.total).toBeGreaterThan(0)
  })

  it('imports PyMISP’s objects of no event as a collection; refuses MISP documents that are no event, saying what they are', async () => {
    const client = world.users.c1.client
    // PyMISP's fixture writes 'a', 'b' for uuids (its tests compare serialisations): real ones here.
    const text = readFileSync(path.join(MISP, 'pymisp/mispevent_testfiles/event_obj_attr_tag.json'), 'utf8')
    const uuids = new Map<string, string>()
    const withUuids = text.replace(/"([a-z])"/g, (_, letter: string) => {
      const uuid = uuids.get(letter) ?? randomUUID()
      uuids.set(letter, uuid)
      return `"${uuid}"`
    })
    const objectsOnly = JSON.parse(withUuids) as {
      Object: { name: string }[]
    }
    expect(Object.keys(objectsOnly)).toEqual(['Object'])
    const imported = await client.post<{ created: number; rejected: number }>(
      '/api/v1/intel/import?tlp=green&audience=org&source=objects-only',
      objectsOnly,
    )
    expect(imported.status, imported.text.slice(0, 400)).toBe(200)
    expect(imported.body.rejected).toBe(0)
    const listed = await client.get<{ items: { object: { type: string } }[] }>(
      '/api/v1/intel/objects?source=objects-only&limit=100',
    )
    const types = new Set(listed.body.items.map((i) => i.object.type))
    expect(types.has('file'), [...types].join(', ')).toBe(true)
    expect(types.has('report') || types.has('grouping')).toBe(false)

    const before = await countStixRows(server.store.db)
    for (const [file, what] of [
      ['pymisp/mispevent_testfiles/galaxy.json', "not a MISP event but a galaxy ('Tea Matrix')"],
      ['pymisp/sharing_groups.json', 'not a MISP event but a sharing group'],
    ] as const) {
      const content: unknown = JSON.parse(readFileSync(path.join(MISP, file), 'utf8'))
      for (const query of ['', '?skipInvalid=true']) {
        const res = await client.request('POST', `/api/v1/intel/import${query}`, content)
        expect(res.status, `${file}${query}: ${res.text.slice(0, 300)}`).toBe(400)
        expect(errorCode(res)).toBe('validation_failed')
        expect(res.text, file).toContain(what)
      }
    }
    expect(await countStixRows(server.store.db)).toBe(before)
  })

  it('packs a new malware sample (PyMISP: the file itself, encrypt set) as MISP does, once', async () => {
    const client = world.users.c1.client
    // PyMISP's malware.json: value 'bar.exe', the file base64 in data, no MD5 (MISP computes it).
    const content = JSON.parse(
      readFileSync(path.join(MISP, 'pymisp/mispevent_testfiles/malware.json'), 'utf8'),
    ) as { Attribute: { data: string }[] }
    const sample = Buffer.from(content.Attribute[0]?.data ?? '', 'base64')
    const md5 = createHash('md5').update(sample).digest('hex')
    const first = await client.post<{ created: number; unchanged: number; rejected: number }>(
      '/api/v1/intel/import?source=malware-sample',
      content,
    )
    expect(first.status, first.text.slice(0, 400)).toBe(200)
    expect(first.body.rejected).toBe(0)
    const again = await client.post<{ created: number; unchanged: number }>(
      '/api/v1/intel/import?source=malware-sample',
      content,
    )
    expect(again.body.created, 'the same sample packs to the same archive').toBe(0)
    const files = await client.get<{
      items: { object: { name?: string; hashes?: Record<string, string> } }[]
    }>('/api/v1/intel/objects?source=malware-sample&type=file')
    expect(files.body.items.map((i) => i.object)).toEqual([
      expect.objectContaining({ name: 'bar.exe', hashes: { MD5: md5 } }),
    ])
    const exported = await client.get<{
      response: { Event: { Attribute: { type: string; value: string; data?: string }[] } }[]
    }>('/api/v1/intel/export?format=misp&source=malware-sample&include_expired=true')
    const attribute = exported.body.response[0]?.Event.Attribute.find((a) => a.type === 'malware-sample')
    expect(attribute?.value).toBe(`bar.exe|${md5}`)
    // The archive holds the sample under its MD5, as MISP's do (read by the archive's own reader).
    const zip = Buffer.from(attribute?.data ?? '', 'base64')
    expect(zip.subarray(0, 4).toString('hex')).toBe('504b0304')
    expect(zip.includes(Buffer.from(`${md5}.filename.txt`))).toBe(true)
  })

  it('says in warnings what it read other than written: proposals left out, to_ids missing', async () => {
    const client = world.users.c1.client
    type Warned = {
      created: number
      warnings: { total: number; items: { property: string; message: string }[] }
    }
    // PyMISP's proposals.json: one proposal on the event, one on its attribute; to_ids given.
    const proposals = await client.post<Warned>(
      '/api/v1/intel/import?source=proposals',
      corpusEvent('pymisp/mispevent_testfiles/proposals.json'),
    )
    expect(proposals.status, proposals.text.slice(0, 300)).toBe(200)
    expect(proposals.body.created).toBeGreaterThan(0)
    const left = proposals.body.warnings.items.filter((w) => w.property === 'ShadowAttribute')
    expect(left.map((w) => w.message)).toEqual([
      expect.stringMatching(/^Event\[0\] \([0-9a-f-]{36}\): ShadowAttribute: 1 proposal\(s\) not imported/),
      expect.stringMatching(
        /^Event\[0\]\.Attribute\[0\] \([0-9a-f-]{36}\): ShadowAttribute: 1 proposal\(s\) not imported/,
      ),
    ])
    const event = {
      uuid: randomUUID(),
      info: 'warnings',
      date: '2025-01-01',
      published: true,
      timestamp: '1735689600',
      Orgc: { uuid: randomUUID(), name: 'CIRCL' },
      Attribute: [
        { uuid: randomUUID(), type: 'domain', category: 'Network activity', value: 'warned.example' },
      ],
    }
    const missing = await client.post<Warned>('/api/v1/intel/import?source=warnings', { Event: event })
    expect(missing.status, missing.text.slice(0, 300)).toBe(200)
    expect(missing.body.warnings.total).toBe(missing.body.warnings.items.length)
    const toIds = missing.body.warnings.items.find((w) => w.property === 'to_ids')
    expect(toIds?.message).toContain('missing or not a boolean; read as false')
    // Many warnings: all counted, the first 100 listed.
    const many = await client.post<Warned>('/api/v1/intel/import?source=warnings', {
      Event: {
        ...event,
        uuid: randomUUID(),
        Attribute: Array.from({ length: 150 }, (_, i) => ({
          uuid: randomUUID(),
          type: 'domain',
          category: 'Network activity',
          value: `warned-${i}.example`,
        })),
      },
    })
    expect(many.status, many.text.slice(0, 300)).toBe(200)
    expect(many.body.warnings.total).toBeGreaterThanOrEqual(150)
    expect(many.body.warnings.items).toHaveLength(100)
    // STIX content has nothing read other than written.
    const stix = await client.post<Warned>('/api/v1/intel/import', {
      type: 'bundle',
      id: `bundle--${randomUUID()}`,
      objects: [
        { type: 'ipv4-addr', spec_version: '2.1', id: `ipv4-addr--${randomUUID()}`, value: '198.51.100.77' },
      ],
    })
    expect(stix.status, stix.text.slice(0, 300)).toBe(200)
    expect(stix.body.warnings).toEqual({ total: 0, items: [] })
  })

  it('round-trips an event: uuids, attributes and tags come back', async () => {
    const source = corpusEvent('pymisp/57c4445b-c548-4654-af0b-4be3950d210f.json').Event
    const client = world.users.c1.client
    const imported = await client.request('POST', '/api/v1/intel/import?source=roundtrip', { Event: source })
    expect(imported.status, imported.text.slice(0, 300)).toBe(200)
    const exported = await client.get<{ response: { Event: MispEventJson }[] }>(
      '/api/v1/intel/export?format=misp&source=roundtrip&include_expired=true',
    )
    expect(exported.status, exported.text.slice(0, 300)).toBe(200)
    const event = exported.body.response.find((e) => e.Event.uuid === source.uuid)?.Event
    expect(event, 'the event comes back with its uuid').toBeDefined()
    const back = new Map((event?.Attribute ?? []).map((a) => [a.uuid, a]))
    for (const attribute of source.Attribute ?? []) {
      const out = back.get(attribute.uuid)
      expect(out, attribute.uuid).toBeDefined()
      expect(out).toMatchObject({
        type: attribute.type,
        category: attribute.category,
        value: attribute.value,
      })
      expect(String(out?.to_ids)).toBe(String(attribute.to_ids))
    }
    const tags = (event?.Tag ?? []).map((t) => t.name)
    for (const tag of (source.Tag ?? []).map((t) => t.name).filter((t) => !t.startsWith('tlp:'))) {
      expect(tags, tag).toContain(tag)
    }
    // The creating organisation keeps its name, and no second, empty event carries the identities.
    expect(event?.Orgc).toMatchObject({ uuid: source.Orgc?.uuid, name: source.Orgc?.name })
    expect(exported.body.response).toHaveLength(1)
    // The exported event imported again adds nothing and changes nothing but the distribution the
    // export gave the event (its label's audience: the source said none).
    const stored = async () =>
      new Map(
        (await server.store.db.selectFrom('stix_objects').select(['id', 'json']).execute()).map((r) => [
          r.id,
          JSON.parse(r.json) as Record<string, unknown>,
        ]),
      )
    const before = await stored()
    const again = await client.request<{ created: number; updated: number; unchanged: number }>(
      'POST',
      '/api/v1/intel/import?source=roundtrip',
      exported.body.response[0],
    )
    expect(again.status, again.text.slice(0, 300)).toBe(200)
    expect(again.body.created, again.text.slice(0, 300)).toBe(0)
    const after = await stored()
    expect(after.size).toBe(before.size)
    const changed = [...after].filter(([id, json]) => JSON.stringify(json) !== JSON.stringify(before.get(id)))
    expect(changed.map(([id]) => id)).toEqual([`report--${source.uuid}`])
    const { x_misp_distribution: distribution, ...report } = changed[0]?.[1] ?? {}
    expect(distribution).toBe('0')
    expect(report).toEqual(before.get(`report--${source.uuid}`))
  })

  it('exports events and attributes with the TLP and PAP of their label, not the producer’s tags', async () => {
    const owner = world.users.a1
    const attribute = (value: string, tags: string[]) => ({
      uuid: randomUUID(),
      type: 'ip-dst',
      category: 'Network activity',
      value,
      to_ids: true,
      timestamp: '1735689600',
      Tag: tags.map((name) => ({ name })),
    })
    const tagged = attribute('198.51.100.231', ['tlp:white'])
    const plain = attribute('198.51.100.232', [])
    const source = `misp-tlp-${randomUUID().slice(0, 8)}`
    const res = await owner.client.post(
      `/api/v1/intel/import?tlp=red&pap=amber&recipient=${owner.id}&source=${source}`,
      {
        Event: {
          uuid: randomUUID(),
          info: 'Tagged white, labelled red',
          date: '2025-01-01',
          distribution: '3',
          published: true,
          timestamp: '1735689600',
          Tag: [
            { name: 'tlp:white' },
            { name: 'PAP:WHITE' },
            { name: 'rsit:malicious-code="malware-distribution"' },
          ],
          Attribute: [tagged, plain],
        },
      },
    )
    expect(res.status, res.text.slice(0, 300)).toBe(200)
    const exported = await owner.client.get<{
      response: {
        Event: { Tag?: { name: string }[]; Attribute?: { uuid: string; Tag?: { name: string }[] }[] }
      }[]
    }>(`/api/v1/intel/export?format=misp&source=${source}`)
    expect(exported.status, exported.text.slice(0, 300)).toBe(200)
    const event = exported.body.response[0]?.Event
    const tlpTags = (tags: { name: string }[] | undefined) =>
      (tags ?? []).map((t) => t.name).filter((name) => name.toLowerCase().startsWith('tlp:'))
    expect(tlpTags(event?.Tag)).toEqual(['tlp:red'])
    // The label's PAP too (asked for at import: AMBER), not the producer's PAP:WHITE.
    expect((event?.Tag ?? []).map((t) => t.name).filter((name) => name.startsWith('PAP:'))).toEqual([
      'PAP:AMBER',
    ])
    expect((event?.Tag ?? []).map((t) => t.name)).toContain('rsit:malicious-code="malware-distribution"')
    const byUuid = new Map((event?.Attribute ?? []).map((a) => [a.uuid, a]))
    expect(tlpTags(byUuid.get(tagged.uuid)?.Tag)).toEqual(['tlp:red'])
    // An attribute without a TLP of its own takes its event's, as in MISP.
    expect(tlpTags(byUuid.get(plain.uuid)?.Tag)).toEqual([])
  })

  it('refuses a broken event whole, naming the attribute and field; imports the rest with skipInvalid', async () => {
    const event = structuredClone(corpusEvent('pymisp/57c4445b-c548-4654-af0b-4be3950d210f.json').Event)
    const attributes = event.Attribute ?? []
    const broken = attributes[0]
    expect(broken).toBeDefined()
    if (broken === undefined) {
      return
    }
    broken.type = 'ip-dst|port'
    broken.value = '198.51.100.1'
    const before = await countStixRows(server.store.db)
    const strict = await world.users.d1.client.post('/api/v1/intel/import', { Event: event })
    expect(strict.status).toBe(400)
    expect(errorCode(strict)).toBe('validation_failed')
    expect(strict.text).toContain(broken.uuid)
    expect(await countStixRows(server.store.db)).toBe(before)
    const lenient = await world.users.d1.client.request<{ rejected: number; created: number }>(
      'POST',
      '/api/v1/intel/import?skipInvalid=true',
      { Event: event },
    )
    expect(lenient.status, lenient.text.slice(0, 300)).toBe(200)
    expect(lenient.body.rejected).toBeGreaterThan(0)
    expect(lenient.body.created).toBeGreaterThan(0)
  })

  it('takes the event’s TLP tag and distribution as the default label', async () => {
    // tlp:white and distribution "this community" → TLP:CLEAR, community: visible to any organisation.
    const event = structuredClone(
      corpusEvent('pymisp/57c4445b-c548-4654-af0b-4be3950d210f.json').Event,
    ) as MispEventJson & {
      distribution?: string
    }
    event.uuid = '5a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d'
    event.distribution = '1'
    for (const a of event.Attribute ?? []) {
      a.uuid = a.uuid.replace(/^.{8}/, '0badc0de')
    }
    const res = await world.users.b1.client.post('/api/v1/intel/import?source=tlpclear', { Event: event })
    expect(res.status, res.text.slice(0, 300)).toBe(200)
    const seen = await world.users.e1.client.get<{
      items: { label: { tlp: string; audience: string } }[]
      total: number
    }>('/api/v1/intel/objects?source=tlpclear')
    expect(seen.body.total).toBeGreaterThan(0)
    expect(seen.body.items.every((i) => i.label.tlp === 'clear' && i.label.audience === 'community')).toBe(
      true,
    )
  })

  it('keeps an attribute shared narrower than its event with that narrower audience', async () => {
    const event = narrowEvent()
    const res = await world.users.b1.client.post('/api/v1/intel/import', event)
    expect(res.status, res.text.slice(0, 300)).toBe(200)
    const [narrow, inherit] = event.Event.Attribute.map((a) => a.uuid)
    const seen = async (client: ApiClient, id: string) =>
      (await client.get(`/api/v1/intel/objects/${id}`)).status
    for (const type of ['indicator', 'observed-data', 'ipv4-addr']) {
      expect(await seen(world.users.e1.client, `${type}--${inherit}`), type).toBe(200)
      expect(await seen(world.users.e1.client, `${type}--${narrow}`), type).toBe(404)
      expect(await seen(world.users.b1.client, `${type}--${narrow}`), type).toBe(200)
    }
    const label = await world.users.b1.client.get<{ label: { tlp: string; audience: string } }>(
      `/api/v1/intel/objects/indicator--${narrow}`,
    )
    expect(label.body.label).toMatchObject({ tlp: 'clear', audience: 'org' })
    const correlated = await world.users.e1.client.get<{ results: { total: number }[] }>(
      `/api/v1/intel/correlate?value=${event.Event.Attribute[0]?.value ?? ''}`,
    )
    expect(correlated.body.results[0]?.total).toBe(0)
  })

  it('takes the event’s PAP tag as the PAP of the label, unless the import names one', async () => {
    const event = narrowEvent()
    event.Event.Tag = [{ name: 'tlp:white' }, { name: 'PAP:AMBER' }]
    const res = await world.users.b1.client.post('/api/v1/intel/import', event)
    expect(res.status, res.text.slice(0, 300)).toBe(200)
    const inherit = event.Event.Attribute[1]?.uuid ?? ''
    const detail = await world.users.b1.client.get<{ label: { tlp: string; pap: string } }>(
      `/api/v1/intel/objects/indicator--${inherit}`,
    )
    expect(detail.body.label).toMatchObject({ tlp: 'clear', pap: 'amber' })
    const named = narrowEvent()
    named.Event.Tag = [{ name: 'tlp:white' }, { name: 'PAP:AMBER' }]
    expect((await world.users.b1.client.post('/api/v1/intel/import?pap=green', named)).status).toBe(200)
    const asked = await world.users.b1.client.get<{ label: { pap: string } }>(
      `/api/v1/intel/objects/indicator--${named.Event.Attribute[1]?.uuid ?? ''}`,
    )
    expect(asked.body.label.pap).toBe('green')
  })
})
