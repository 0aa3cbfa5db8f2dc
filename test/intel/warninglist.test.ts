import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  checkWarninglistValues,
  openWarninglistMatcher,
} from '../../src/server/modules/warninglist/warninglist.service.js'
import { CORPUS_DIR } from '../helpers/corpus.js'
import { errorCode, type ApiClient } from '../helpers/http.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { STORE_KINDS } from '../helpers/stores.js'

const LISTS = [
  'rfc1918',
  'rfc5735',
  'rfc6761',
  'empty-hashes',
  'sinkholes',
  'url-shortener',
  'multicast',
] as const
type ListId = (typeof LISTS)[number]

interface CorpusList {
  name: string
  version: number
  type: string
  description: string
  list: string[]
  matching_attributes: string[]
}

function corpusList(id: ListId): CorpusList {
  return JSON.parse(
    readFileSync(path.join(CORPUS_DIR, 'misp', 'warninglists', id, 'list.json'), 'utf8'),
  ) as CorpusList
}

const NAME: Record<ListId, string> = Object.fromEntries(
  LISTS.map((id) => [id, corpusList(id).name]),
) as Record<ListId, string>

interface Wire {
  id: string
  name: string
  version: number
  type: string
  enabled: boolean
  entryCount: number
  matchingAttributes: string[]
}

interface ImportAnswer {
  warninglist: Wire
  replacedVersion: number | null
}

interface Summary {
  created: number
  rejected: number
  warninglistHits: { total: number; items: { objectId: string; value: string; warninglist: string }[] }
}

interface Correlation {
  results: { value: string; total: number; warninglists: string[] }[]
}

interface Bundle {
  objects: { id: string; type: string }[]
}

const uuid = () => randomUUID()

function indicator(pattern: string, name = 'test indicator') {
  const at = '2026-01-01T00:00:00.000Z'
  return {
    type: 'indicator',
    spec_version: '2.1',
    id: `indicator--${uuid()}`,
    created: at,
    modified: at,
    name,
    pattern,
    pattern_type: 'stix',
    valid_from: at,
  }
}

function sco(type: string, props: Record<string, unknown>) {
  return { type, spec_version: '2.1', id: `${type}--${uuid()}`, ...props }
}

describe.each(STORE_KINDS)('MISP warninglists (%s)', (kind) => {
  let server: TestServer
  let admin: ApiClient
  let analyst: ApiClient
  const ids = new Map<ListId, string>()

  /** Imports (or re-imports) a corpus list as the instance admin and makes sure it is enabled. */
  async function ensureList(id: ListId): Promise<string> {
    const res = await admin.post<ImportAnswer>('/api/v1/intel/warninglists', corpusList(id))
    expect([200, 201], res.text).toContain(res.status)
    const wire = res.body.warninglist
    if (!wire.enabled) {
      const enabled = await admin.patch(`/api/v1/intel/warninglists/${wire.id}`, { enabled: true })
      expect(enabled.status, enabled.text).toBe(200)
    }
    ids.set(id, wire.id)
    return wire.id
  }

  async function check(value: string): Promise<string[]> {
    const res = await analyst.get<{ value: string; matches: { name: string; entry: string }[] }>(
      `/api/v1/intel/warninglists/check?value=${encodeURIComponent(value)}`,
    )
    expect(res.status, res.text).toBe(200)
    return res.body.matches.map((m) => m.name)
  }

  async function listed(): Promise<Wire[]> {
    const res = await analyst.get<{ items: Wire[] }>('/api/v1/intel/warninglists')
    expect(res.status, res.text).toBe(200)
    return res.body.items
  }

  async function auditActions(targetId: string): Promise<string[]> {
    const res = await admin.get<{ items: { action: string; targetId: string | null }[] }>(
      '/api/v1/audit?limit=500',
    )
    expect(res.status, res.text).toBe(200)
    return res.body.items
      .filter((e) => e.targetId === targetId)
      .map((e) => e.action)
      .reverse()
  }

  beforeAll(async () => {
    server = await startTestServer(kind)
    admin = (await server.loginAsNewUser({ role: 'admin', orgId: server.admin.orgId })).client
    analyst = (await server.loginAsNewUser({ role: 'analyst' })).client
  })
  afterAll(async () => {
    await server.close()
  })

  it('imports every corpus list; anyone logged in lists them; a list of the same name is replaced', async () => {
    for (const id of LISTS) {
      await ensureList(id)
    }
    const items = await listed()
    for (const id of LISTS) {
      const json = corpusList(id)
      const wire = items.find((w) => w.id === ids.get(id))
      expect(wire, id).toMatchObject({
        name: json.name,
        version: json.version,
        type: json.type,
        enabled: true,
      })
      expect(wire?.matchingAttributes).toEqual(json.matching_attributes)
    }
    // One entry per network, per host name; the empty-hash list indexes each hash under its kind.
    expect(items.find((w) => w.id === ids.get('rfc1918'))?.entryCount).toBe(3)
    expect(items.find((w) => w.id === ids.get('url-shortener'))?.entryCount).toBe(
      corpusList('url-shortener').list.length,
    )

    // Re-import under the same name (another case): same id, new version and entries, atomically.
    const original = corpusList('rfc1918')
    const trimmed = {
      ...original,
      name: original.name.toUpperCase(),
      version: 6,
      list: ['10.0.0.0/8', '172.16.0.0/12'],
    }
    const replaced = await admin.post<ImportAnswer>('/api/v1/intel/warninglists', trimmed)
    expect(replaced.status, replaced.text).toBe(200)
    expect(replaced.body).toMatchObject({
      replacedVersion: original.version,
      warninglist: { id: ids.get('rfc1918'), version: 6, entryCount: 2 },
    })
    expect(await check('192.168.4.4')).toEqual([NAME.rfc5735])
    expect(await check('10.4.4.4')).toEqual([trimmed.name, NAME.rfc5735].sort())
    await ensureList('rfc1918')
    expect(await check('192.168.4.4')).toEqual([NAME.rfc1918, NAME.rfc5735].sort())
    expect(await auditActions(ids.get('rfc1918') ?? '')).toEqual([
      'warninglist.imported',
      'warninglist.replaced',
      'warninglist.replaced',
    ])
  })

  it('lets only instance admins write: 403 for every other role, 401 without login', async () => {
    const id = await ensureList('multicast')
    const before = await listed()
    const others: [string, ApiClient][] = []
    for (const role of ['analyst', 'handler', 'viewer', 'coordinator', 'liaison'] as const) {
      others.push([
        `${role} of the instance organisation`,
        (await server.loginAsNewUser({ role, orgId: server.admin.orgId })).client,
      ])
    }
    others.push(['admin of another organisation', (await server.loginAsNewUser({ role: 'admin' })).client])
    for (const [who, client] of others) {
      const created = await client.post('/api/v1/intel/warninglists', {
        ...corpusList('rfc1918'),
        name: `by ${who}`,
      })
      expect(created.status, who).toBe(403)
      expect(errorCode(created), who).toBe('forbidden')
      // A bad list from a non-admin is refused for the role first: nothing about the list is checked.
      expect((await client.post('/api/v1/intel/warninglists', { type: 'regex' })).status, who).toBe(403)
      expect((await client.patch(`/api/v1/intel/warninglists/${id}`, { enabled: false })).status, who).toBe(
        403,
      )
      expect((await client.delete(`/api/v1/intel/warninglists/${id}`)).status, who).toBe(403)
      expect((await client.get('/api/v1/intel/warninglists')).status, who).toBe(200)
      expect((await client.get('/api/v1/intel/warninglists/check?value=224.0.0.1')).status, who).toBe(200)
    }
    const anonymous = server.client()
    expect((await anonymous.get('/api/v1/intel/warninglists')).status).toBe(401)
    expect((await anonymous.get('/api/v1/intel/warninglists/check?value=10.0.0.1')).status).toBe(401)
    expect((await anonymous.post('/api/v1/intel/warninglists', corpusList('rfc1918'))).status).toBe(401)
    expect(await listed()).toEqual(before)
    expect(await check('224.0.0.1')).toContain(NAME.multicast)
  })

  it('refuses a bad list with a 400 naming the field, and changes nothing', async () => {
    const id = await ensureList('rfc1918')
    const before = await listed()
    const auditBefore = await auditActions(id)
    const original = corpusList('rfc1918')
    const cases: [unknown, string, RegExp][] = [
      [
        { ...original, version: 99, list: ['10.0.0.0/8', 'not-an-ip'] },
        'list[1]',
        /not an IP address or CIDR network/,
      ],
      [
        { ...original, version: 99, type: 'regex', list: ['^10\\.'] },
        'type',
        /regex warninglists are not supported/,
      ],
      [{ ...original, version: 'six' }, 'version', /integer/],
      [{ ...original, name: undefined }, 'name', /required/],
      [{ ...original, matching_attributes: ['ip-src', 7] }, 'matching_attributes[1]', /attribute type/],
      [{ ...original, colour: 'red' }, 'colour', /not a property/],
      [[original], 'body', /MISP warninglist/],
    ]
    for (const [body, field, message] of cases) {
      const res = await admin.post<{ error: { message: string; details: { field: string } } }>(
        '/api/v1/intel/warninglists',
        body,
      )
      expect(res.status, `${field}: ${res.text}`).toBe(400)
      expect(errorCode(res)).toBe('validation_failed')
      expect(res.body.error.details.field).toBe(field)
      expect(res.body.error.message.startsWith(`${field}: `), res.body.error.message).toBe(true)
      expect(res.body.error.message).toMatch(message)
    }
    expect(await listed()).toEqual(before)
    expect(await auditActions(id)).toEqual(auditBefore)
    expect(await check('192.168.1.1')).toContain(NAME.rfc1918)
  })

  it('checks values against the enabled lists only; disabling and deleting are audited', async () => {
    for (const id of LISTS) {
      await ensureList(id)
    }
    expect(await check('10.1.2.3')).toEqual([NAME.rfc1918, NAME.rfc5735].sort())
    expect(await check('239.255.255.250')).toEqual([NAME.multicast, NAME.rfc5735].sort())
    expect(await check('143.215.130.77')).toEqual([NAME.sinkholes])
    expect(await check('example.com')).toEqual([NAME.rfc6761])
    expect(await check('www.example.com')).toEqual([])
    expect(await check('https://x.Bit.ly/abc')).toEqual([NAME['url-shortener']])
    expect(await check('D41D8CD98F00B204E9800998ECF8427E')).toEqual([NAME['empty-hashes']])
    expect(await check('45.77.1.2')).toEqual([])

    const rfc1918 = ids.get('rfc1918') ?? ''
    const disabled = await admin.patch<Wire>(`/api/v1/intel/warninglists/${rfc1918}`, { enabled: false })
    expect(disabled.status, disabled.text).toBe(200)
    expect(disabled.body.enabled).toBe(false)
    expect(await check('10.1.2.3')).toEqual([NAME.rfc5735])
    const enabled = await admin.patch<Wire>(`/api/v1/intel/warninglists/${rfc1918}`, { enabled: true })
    expect(enabled.body.enabled).toBe(true)
    expect(await check('10.1.2.3')).toEqual([NAME.rfc1918, NAME.rfc5735].sort())

    const extra = await admin.post<ImportAnswer>('/api/v1/intel/warninglists', {
      name: `Temporary ${uuid()}`,
      version: 1,
      description: 'deleted below',
      type: 'string',
      list: ['temporary-value-1.example'],
    })
    expect(extra.status, extra.text).toBe(201)
    const extraId = extra.body.warninglist.id
    expect(await check('temporary-value-1.example')).toEqual([extra.body.warninglist.name])
    const deleted = await admin.delete(`/api/v1/intel/warninglists/${extraId}`)
    expect(deleted.status, deleted.text).toBe(200)
    expect(await check('temporary-value-1.example')).toEqual([])
    expect((await admin.delete(`/api/v1/intel/warninglists/${extraId}`)).status).toBe(404)
    expect((await admin.patch(`/api/v1/intel/warninglists/${extraId}`, { enabled: true })).status).toBe(404)
    expect((await listed()).map((w) => w.id)).not.toContain(extraId)

    const actions = await auditActions(rfc1918)
    expect(actions.slice(-2)).toEqual(['warninglist.disabled', 'warninglist.enabled'])
    expect(await auditActions(extraId)).toEqual(['warninglist.imported', 'warninglist.deleted'])
  })

  it('flags imported values that are on enabled lists, STIX and MISP, capped with the total', async () => {
    for (const id of LISTS) {
      await ensureList(id)
    }
    const flagged = indicator(
      "[ipv4-addr:value = '10.20.30.40'] OR [domain-name:value = 'c2.evil-corp.test']",
    )
    const clean = indicator("[ipv4-addr:value = '45.77.1.2']")
    const url = sco('url', { value: 'https://bit.ly/3xYzAbc' })
    const file = sco('file', { name: 'empty.bin', hashes: { MD5: 'd41d8cd98f00b204e9800998ecf8427e' } })
    const res = await analyst.post<Summary>('/api/v1/intel/import', [flagged, clean, url, file])
    expect(res.status, res.text).toBe(200)
    const hits = res.body.warninglistHits
    expect(hits.total).toBe(4)
    expect(hits.items.map((h) => `${h.objectId} ${h.value} ${h.warninglist}`).sort()).toEqual(
      [
        `${flagged.id} 10.20.30.40 ${NAME.rfc1918}`,
        `${flagged.id} 10.20.30.40 ${NAME.rfc5735}`,
        `${url.id} https://bit.ly/3xYzAbc ${NAME['url-shortener']}`,
        `${file.id} d41d8cd98f00b204e9800998ecf8427e ${NAME['empty-hashes']}`,
      ].sort(),
    )

    const misp = await analyst.post<Summary>('/api/v1/intel/import', {
      Event: {
        uuid: uuid(),
        info: 'warninglist test',
        date: '2026-01-01',
        threat_level_id: '2',
        analysis: '0',
        distribution: '0',
        Attribute: [
          { uuid: uuid(), type: 'ip-dst', category: 'Network activity', value: '192.168.7.7', to_ids: true },
          {
            uuid: uuid(),
            type: 'domain',
            category: 'Network activity',
            value: 'c2.evil-corp.test',
            to_ids: true,
          },
        ],
      },
    })
    expect(misp.status, misp.text).toBe(200)
    expect(new Set(misp.body.warninglistHits.items.map((h) => `${h.value} ${h.warninglist}`))).toEqual(
      new Set([`192.168.7.7 ${NAME.rfc1918}`, `192.168.7.7 ${NAME.rfc5735}`]),
    )

    const many = Array.from({ length: 600 }, (_, i) =>
      sco('ipv4-addr', { value: `10.99.${Math.floor(i / 250)}.${i % 250}` }),
    )
    const capped = await analyst.post<Summary>('/api/v1/intel/import', many)
    expect(capped.status, capped.text.slice(0, 300)).toBe(200)
    expect(capped.body.warninglistHits.total).toBe(1200)
    expect(capped.body.warninglistHits.items).toHaveLength(1000)

    // Nothing enabled, nothing flagged.
    const disabled: string[] = []
    for (const w of await listed()) {
      if (w.enabled) {
        await admin.patch(`/api/v1/intel/warninglists/${w.id}`, { enabled: false })
        disabled.push(w.id)
      }
    }
    const none = await analyst.post<Summary>('/api/v1/intel/import', [
      indicator("[ipv4-addr:value = '10.20.30.41']"),
    ])
    expect(none.body.warninglistHits).toEqual({ total: 0, items: [] })
    for (const id of disabled) {
      await admin.patch(`/api/v1/intel/warninglists/${id}`, { enabled: true })
    }
  })

  it('says in correlation which enabled lists each value is on', async () => {
    for (const id of LISTS) {
      await ensureList(id)
    }
    const shared = indicator("[ipv4-addr:value = '10.55.55.55']")
    const imported = await analyst.post('/api/v1/intel/import?tlp=green&audience=community', [shared])
    expect(imported.status, imported.text).toBe(200)
    const one = await analyst.get<Correlation>('/api/v1/intel/correlate?value=10.55.55.55')
    expect(one.status, one.text).toBe(200)
    expect(one.body.results[0]).toMatchObject({ total: 1, warninglists: [NAME.rfc1918, NAME.rfc5735].sort() })
    const many = await analyst.post<Correlation>('/api/v1/intel/correlate', {
      values: ['10.55.55.55', '45.77.1.2', 'sub.bit.ly', '3::', '10.0.0.0/16'],
    })
    expect(many.status, many.text).toBe(200)
    expect(many.body.results.map((r) => r.warninglists)).toEqual([
      [NAME.rfc1918, NAME.rfc5735].sort(),
      [],
      [NAME['url-shortener']],
      [NAME['empty-hashes']],
      [NAME.rfc1918, NAME.rfc5735].sort(),
    ])
    expect(many.body.results[0]?.total).toBe(1)
    await admin.patch(`/api/v1/intel/warninglists/${ids.get('rfc1918') ?? ''}`, { enabled: false })
    const after = await analyst.get<Correlation>('/api/v1/intel/correlate?value=10.55.55.55')
    expect(after.body.results[0]?.warninglists).toEqual([NAME.rfc5735])
    await ensureList('rfc1918')
  })

  it('leaves out of exports for blocking what is on enabled lists', async () => {
    for (const id of LISTS) {
      await ensureList(id)
    }
    const source = `wl-export-${uuid()}`
    const privateIp = indicator("[ipv4-addr:value = '172.16.5.5']", 'private')
    const mixed = indicator(
      "[domain-name:value = 'c2.evil-corp.test'] OR [domain-name:value = 't.co']",
      'mixed',
    )
    const bad = indicator("[ipv4-addr:value = '45.77.1.2']", 'bad')
    const shortener = sco('domain-name', { value: 'tinyurl.com' })
    const badDomain = sco('domain-name', { value: 'c2.evil-corp.test' })
    const malware = {
      type: 'malware',
      spec_version: '2.1',
      id: `malware--${uuid()}`,
      created: '2026-01-01T00:00:00.000Z',
      modified: '2026-01-01T00:00:00.000Z',
      name: 'Evil',
      is_family: true,
    }
    const res = await analyst.post(`/api/v1/intel/import?source=${source}`, [
      privateIp,
      mixed,
      bad,
      shortener,
      badDomain,
      malware,
    ])
    expect(res.status, res.text).toBe(200)
    const exported = async (query: string) => {
      const out = await analyst.get<Bundle>(`/api/v1/intel/export?format=stix&source=${source}${query}`)
      expect(out.status, out.text.slice(0, 300)).toBe(200)
      return out.body.objects
        .filter((o) => o.type !== 'marking-definition')
        .map((o) => o.id)
        .sort()
    }
    const all = [privateIp.id, mixed.id, bad.id, shortener.id, badDomain.id, malware.id].sort()
    expect(await exported('')).toEqual(all)
    expect(await exported('&forBlocking=false')).toEqual(all)
    expect(await exported('&forBlocking=true')).toEqual([bad.id, badDomain.id, malware.id].sort())
    const csv = await analyst.get(`/api/v1/intel/export?format=csv&source=${source}&forBlocking=true`)
    expect(csv.status).toBe(200)
    expect(csv.text).toContain(bad.id)
    expect(csv.text).not.toContain(privateIp.id)
    expect(csv.text).not.toContain(shortener.id)

    // Revoked by its producer (a deleted MISP attribute): never exported for blocking; other exports
    // carry it, and the CSV says it is revoked.
    const revoked = { ...bad, modified: '2026-02-01T00:00:00.000Z', revoked: true }
    expect((await analyst.post(`/api/v1/intel/import?source=${source}`, [revoked])).status).toBe(200)
    expect(await exported('&forBlocking=true')).toEqual([badDomain.id, malware.id].sort())
    expect(await exported('')).toContain(bad.id)
    const all2 = await analyst.get(`/api/v1/intel/export?format=csv&source=${source}`)
    const [header = '', ...rows] = all2.text.trim().split('\r\n')
    const revokedAt = header.split(',').indexOf('revoked')
    expect(revokedAt).toBeGreaterThan(0)
    const cellsOf = (id: string) => rows.find((r) => r.startsWith(`${id},`))?.split(',') ?? []
    expect(cellsOf(bad.id)[revokedAt]).toBe('true')
    expect(cellsOf(malware.id)[revokedAt]).toBe('false')

    // A listed value whose MISP correlation is disabled is still kept out of exports for blocking
    // (disabling correlation makes a value quiet, not blockable).
    const quiet = sco('domain-name', { value: 'bit.ly', x_misp_disable_correlation: true })
    expect((await analyst.post(`/api/v1/intel/import?source=${source}`, [quiet])).status).toBe(200)
    expect(await exported('')).toContain(quiet.id)
    expect(await exported('&forBlocking=true')).not.toContain(quiet.id)

    // A disabled list no longer keeps its values out.
    await admin.patch(`/api/v1/intel/warninglists/${ids.get('url-shortener') ?? ''}`, { enabled: false })
    expect(await exported('&forBlocking=true')).toEqual(
      [badDomain.id, mixed.id, shortener.id, quiet.id, malware.id].sort(),
    )
    await ensureList('url-shortener')
  })

  it('matches the same in memory and by key in the store', async () => {
    for (const id of LISTS) {
      await ensureList(id)
    }
    const values = [
      '10.1.2.3',
      '192.168.0.0/24',
      '10.0.0.0/7',
      '::ffff:172.20.0.1',
      '224.0.0.251',
      '104.155.11.149',
      '104.155.11.150',
      'example.org',
      'a.b.bit.ly',
      'https://goo.gl/x',
      'mail@bit.ly',
      'da39a3ee5e6b4b0d3255bfef95601890afd80709',
      '3::',
      '45.77.1.2',
      'nothing at all',
    ]
    const inMemory = await checkWarninglistValues(server.store.db, values)
    const inStore = await checkWarninglistValues(server.store.db, values, { memoryLimit: 0 })
    expect(inStore).toEqual(inMemory)
    expect(inMemory.filter((hits) => hits.length > 0)).toHaveLength(10)
    const matcher = await openWarninglistMatcher(server.store.db, { memoryLimit: 0 })
    expect(matcher.isEmpty).toBe(false)
  })
})
