import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ApiClient } from '../helpers/http.js'
import { createLeakWorld, type LeakWorld } from '../helpers/leak-harness.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { mispEvent } from '../helpers/misp.js'
import { STORE_KINDS } from '../helpers/stores.js'

interface Correlation {
  results: { value: string; kind: string | null; total: number; hits: { id: string; type: string }[] }[]
}

/** A MISP object attribute: not to IDS unless said. */
function attribute(type: string, relation: string, value: string, extra: Record<string, unknown> = {}) {
  return {
    uuid: randomUUID(),
    type,
    object_relation: relation,
    category: 'Network activity',
    value,
    to_ids: false,
    timestamp: '1735689600',
    distribution: '5',
    ...extra,
  }
}

/** A MISP object of a template Liaison maps to no STIX object (it becomes an `x-misp-object`). */
function mispObject(name: string, attributes: ReturnType<typeof attribute>[]) {
  return {
    uuid: randomUUID(),
    name,
    'meta-category': 'network',
    template_uuid: randomUUID(),
    template_version: '1',
    distribution: '5',
    timestamp: '1735689600',
    Attribute: attributes,
  }
}

function eventWith(objects: ReturnType<typeof mispObject>[]) {
  return mispEvent({ Object: objects }, 'Objects of unmapped templates')
}

describe.each(STORE_KINDS)('correlation on the attributes of unmapped MISP objects (%s)', (kind) => {
  let server: TestServer
  let world: LeakWorld

  beforeAll(async () => {
    server = await startTestServer(kind)
    world = await createLeakWorld(server)
  })
  afterAll(async () => {
    await server.close()
  })

  async function importEvent(client: ApiClient, event: unknown, query: string): Promise<void> {
    const res = await client.post<{ rejected: number }>(`/api/v1/intel/import${query}`, event)
    expect(res.status, res.text.slice(0, 400)).toBe(200)
    expect(res.body.rejected).toBe(0)
  }

  async function hitIds(client: ApiClient, value: string): Promise<string[]> {
    const res = await client.get<Correlation>(`/api/v1/intel/correlate?value=${encodeURIComponent(value)}`)
    expect(res.status, res.text.slice(0, 300)).toBe(200)
    return res.body.results[0]?.hits.map((h) => h.id) ?? []
  }

  it('finds hashes, URLs, hosts, addresses and e-mail addresses held only in such an object', async () => {
    const tag = randomUUID().slice(0, 8)
    const sha256 = randomUUID().replace(/-/g, '').repeat(2)
    const request = mispObject('http-request', [
      attribute('url', 'url', `https://gate-${tag}.example/panel/p.php`),
      attribute('hostname', 'host', `gate-${tag}.example`),
      attribute('ip-dst', 'ip-dst', '203.0.113.99', { to_ids: true }),
      attribute('user-agent', 'user-agent', 'Mozilla/5.0 (compatible)'),
      attribute('hostname', 'referer', `withdrawn-${tag}.example`, { deleted: true }),
    ])
    const pe = mispObject('pe', [
      attribute('sha256', 'sha256', sha256.toUpperCase()),
      attribute('filename', 'original-filename', `dropper-${tag}.exe`),
      attribute('text', 'file-version', '1.0.0.2', { disable_correlation: true }),
    ])
    const whois = mispObject('whois', [
      attribute('whois-registrant-email', 'registrant-email', `Owner-${tag}@Registrant.Example`),
      attribute('text', 'registrar', 'Example Registrar, Inc.'),
    ])
    await importEvent(world.users.a1.client, eventWith([request, pe, whois]), '?tlp=green&audience=community')

    const client = world.users.e1.client
    const requestId = `x-misp-object--${request.uuid}`
    expect(await hitIds(client, `https://gate-${tag}.example/panel/p.php`)).toEqual([requestId])
    expect(await hitIds(client, `GATE-${tag}.example`)).toEqual([requestId])
    // A to_ids attribute also has an indicator of its own: both carry the value.
    const address = await hitIds(client, '203.0.113.99')
    expect(address).toContain(requestId)
    expect(address.some((id) => id.startsWith('indicator--'))).toBe(true)
    expect(await hitIds(client, sha256)).toEqual([`x-misp-object--${pe.uuid}`])
    expect(await hitIds(client, `owner-${tag}@registrant.example`)).toEqual([`x-misp-object--${whois.uuid}`])
    // MISP correlates neither deleted attributes nor those with correlation disabled.
    expect(await hitIds(client, `withdrawn-${tag}.example`)).toEqual([])
    expect(await hitIds(client, '1.0.0.2')).toEqual([])

    const bulk = await client.post<Correlation>('/api/v1/intel/correlate', {
      values: [sha256, `gate-${tag}.example`, `nothing-${tag}.example`],
    })
    expect(bulk.body.results.map((r) => [r.kind, r.total])).toEqual([
      ['sha256', 1],
      ['domain', 1],
      ['domain', 0],
    ])
    // The search by value reads the same index.
    const found = await client.get<{ items: { object: { id: string } }[] }>(
      `/api/v1/intel/objects?value=${sha256}`,
    )
    expect(found.body.items.map((i) => i.object.id)).toEqual([`x-misp-object--${pe.uuid}`])
  })

  it('finds the value of a lone attribute whose type has no STIX mapping, unless its correlation is disabled', async () => {
    const lone = (value: string, extra: Record<string, unknown> = {}) => ({
      ...attribute('whois-registrant-email', '', value, extra),
      category: 'Attribution',
    })
    const found = `registrant-${randomUUID().slice(0, 8)}@lone.example`
    const quiet = `registrant-${randomUUID().slice(0, 8)}@lone.example`
    const event = eventWith([])
    const withAttributes = {
      Event: { ...event.Event, Attribute: [lone(found), lone(quiet, { disable_correlation: true })] },
    }
    await importEvent(world.users.a1.client, withAttributes, '?tlp=green&audience=community')
    const hits = await world.users.a1.client.get<Correlation>(
      `/api/v1/intel/correlate?value=${encodeURIComponent(found)}`,
    )
    expect(hits.body.results[0]?.hits.map((h) => h.type)).toEqual(['x-misp-attribute'])
    expect(await hitIds(world.users.a1.client, quiet)).toEqual([])
  })

  it('leaves out of correlation the observables of an attribute whose correlation is disabled, as MISP does', async () => {
    const octet = () => Math.floor(Math.random() * 250) + 1
    const loud = `198.18.${octet()}.${octet()}`
    const quiet = `198.19.${octet()}.${octet()}`
    const event = eventWith([])
    const address = (value: string, extra: Record<string, unknown> = {}) => ({
      ...attribute('ip-dst', '', value, extra),
    })
    await importEvent(
      world.users.a1.client,
      {
        Event: { ...event.Event, Attribute: [address(loud), address(quiet, { disable_correlation: true })] },
      },
      '?tlp=green&audience=community',
    )
    expect(await hitIds(world.users.a1.client, loud)).toHaveLength(1)
    expect(await hitIds(world.users.a1.client, quiet)).toEqual([])
  })

  it('finds them only for those who may see the object', async () => {
    const value = `hidden-${randomUUID().slice(0, 8)}.example`
    const object = mispObject('http-request', [attribute('hostname', 'host', value)])
    await importEvent(world.users.b1.client, eventWith([object]), '?tlp=amber&audience=org')
    expect(await hitIds(world.users.b1.client, value)).toEqual([`x-misp-object--${object.uuid}`])
    for (const principal of world.principals.filter((p) => p.name !== 'b1')) {
      const res = await principal.client.get<Correlation>(`/api/v1/intel/correlate?value=${value}`)
      expect(res.body.results[0]?.total, principal.name).toBe(0)
    }
  })
})
