import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGroup } from '../../src/server/modules/group/group.service.js'
import { TEST_OPERATOR } from '../helpers/factories.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { indicator } from '../helpers/stix.js'
import { STORE_KINDS } from '../helpers/stores.js'
import { createApiKey, ROOT, TaxiiClient, type ManifestBody } from '../helpers/taxii.js'

/**
 * A standard TAXII client pages the manifest and the objects of a collection by `added_after` alone:
 * each request asks for what was added after the previous page's `X-TAXII-Date-Added-Last`. That
 * only works when no two versions share a date added: every version must come exactly once.
 */
describe.each(STORE_KINDS)('TAXII paging by added_after alone (%s)', (kind) => {
  let server: TestServer
  let analyst: TaxiiClient
  let collection: string

  beforeAll(async () => {
    server = await startTestServer(kind)
    const a = await server.loginAsNewUser({ role: 'analyst' })
    analyst = new TaxiiClient(server.url, await createApiKey(a.client))
    const group = await createGroup(server.store.db, TEST_OPERATOR, {
      name: `P ${randomUUID().slice(0, 8)}`,
      ownerOrgId: a.orgId,
      memberOrgIds: [],
    })
    collection = `group-${group.group.id}`
    // One POST of five objects (one transaction), then a second version of two of them.
    const first = Array.from({ length: 5 }, () => indicator())
    expect((await analyst.postAndWait(collection, first)).success_count).toBe(5)
    const newer = first
      .slice(0, 2)
      .map((o) => ({ ...o, modified: '2027-01-01T00:00:00.000Z', name: 'second version' }))
    expect((await analyst.postAndWait(collection, newer)).success_count).toBe(2)
  })
  afterAll(async () => {
    await server.close()
  })

  /** Pages one endpoint with `limit=2`, each request after the previous page's Date-Added-Last. */
  async function pageByDateAdded(endpoint: 'manifest' | 'objects', query: string): Promise<string[]> {
    const seen: string[] = []
    let addedAfter: string | null = null
    for (let guard = 0; guard < 50; guard++) {
      const after: string = addedAfter === null ? '' : `&added_after=${encodeURIComponent(addedAfter)}`
      const page = await analyst.get<{
        objects?: { id: string; version?: string; modified?: string; created?: string }[]
      }>(`${ROOT}collections/${collection}/${endpoint}/?limit=2&${query}${after}`)
      expect(page.status, page.text).toBe(200)
      const items = page.body.objects ?? []
      if (items.length === 0) {
        return seen
      }
      seen.push(
        ...items.map(
          (o) => `${o.id}@${(endpoint === 'manifest' ? o.version : (o.modified ?? o.created)) ?? ''}`,
        ),
      )
      const last: string | null = page.headers.get('x-taxii-date-added-last')
      expect(last).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/)
      addedAfter = last
    }
    throw new Error('paging did not end')
  }

  it('gives each version of one POST its own date added, increasing, in microseconds', async () => {
    const manifest = await analyst.get<ManifestBody>(
      `${ROOT}collections/${collection}/manifest/?match[version]=all`,
    )
    const dates = (manifest.body.objects ?? []).map((m) => m.date_added)
    // Five TLP 2.0 definitions, five first versions, two second versions.
    expect(dates).toHaveLength(12)
    expect(new Set(dates).size).toBe(12)
    expect([...dates].sort()).toEqual(dates)
    expect(manifest.headers.get('x-taxii-date-added-first')).toBe(dates[0])
    expect(manifest.headers.get('x-taxii-date-added-last')).toBe(dates[11])
    // The headers and records carry the real microseconds, not a millisecond padded with zeros.
    expect(dates.slice(5).some((d) => !d.endsWith('000Z'))).toBe(true)
  })

  it('visits every version of the manifest and of the objects exactly once, in order', async () => {
    for (const query of ['match[version]=all', 'match[version]=last', '']) {
      const manifest = await analyst.get<ManifestBody>(`${ROOT}collections/${collection}/manifest/?${query}`)
      const expected = (manifest.body.objects ?? []).map((m) => `${m.id}@${m.version}`)
      expect(expected.length).toBeGreaterThan(5)
      expect(await pageByDateAdded('manifest', query), `manifest ${query}`).toEqual(expected)
      expect(await pageByDateAdded('objects', query), `objects ${query}`).toEqual(expected)
    }
  })

  it('pages the versions of an object by added_after alone too', async () => {
    const manifest = await analyst.get<ManifestBody>(
      `${ROOT}collections/${collection}/manifest/?match[version]=all&match[type]=indicator`,
    )
    const id = manifest.body.objects?.find((m) => m.version === '2027-01-01T00:00:00.000Z')?.id ?? ''
    const seen: string[] = []
    let addedAfter = '2026-01-01T00:00:00.000000Z'
    for (let guard = 0; guard < 10; guard++) {
      const page = await analyst.get<{ versions?: string[] }>(
        `${ROOT}collections/${collection}/objects/${id}/versions/?limit=1&added_after=${addedAfter}`,
      )
      expect(page.status, page.text).toBe(200)
      if ((page.body.versions ?? []).length === 0) {
        break
      }
      seen.push(...(page.body.versions ?? []))
      addedAfter = page.headers.get('x-taxii-date-added-last') ?? ''
    }
    expect(seen).toHaveLength(2)
    expect(seen[1]).toBe('2027-01-01T00:00:00.000Z')
  })
})
