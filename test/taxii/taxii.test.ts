import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { indicator } from '../helpers/stix.js'
import { createGroup } from '../../src/server/modules/group/group.service.js'
import { updateOrganisation } from '../../src/server/modules/org/org.service.js'
import { setCollectionRoles } from '../../src/server/modules/taxii/taxii.service.js'
import { CORPUS_DIR } from '../helpers/corpus.js'
import { TEST_OPERATOR } from '../helpers/factories.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { STORE_KINDS } from '../helpers/stores.js'
import {
  createApiKey,
  ROOT,
  storedItems,
  TAXII,
  taxiiErrorCode,
  TaxiiClient,
  TLP2_DEFINITION_IDS,
  type EnvelopeBody,
  type ManifestBody,
  type TaxiiStatusBody,
} from '../helpers/taxii.js'

const MAX_CONTENT_LENGTH = 4 * 1024 * 1024
const TAXII_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/
const GREEN = 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb'
const AMBER = 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421'
const RED = 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe.each(STORE_KINDS)('TAXII 2.1 server (%s)', (kind) => {
  let server: TestServer
  /** An analyst of organisation A. */
  let analyst: TaxiiClient
  let analystOrg: string
  /** A viewer of organisation A: reads, never writes. */
  let viewer: TaxiiClient
  /** An analyst of organisation B. */
  let other: TaxiiClient

  /** A new sharing group of A (and the given members) with its collection, empty: for isolated tests. */
  async function freshGroupCollection(members: string[] = []): Promise<string> {
    const group = await createGroup(server.store.db, TEST_OPERATOR, {
      name: `G ${randomUUID().slice(0, 8)}`,
      ownerOrgId: analystOrg,
      memberOrgIds: members,
    })
    const res = await analyst.get<{ id: string; alias: string }>(
      `${ROOT}collections/group-${group.group.id}/`,
    )
    expect(res.status, res.text).toBe(200)
    return res.body.id
  }

  beforeAll(async () => {
    server = await startTestServer(kind, { LIAISON_TAXII_MAX_CONTENT_LENGTH: String(MAX_CONTENT_LENGTH) })
    const a = await server.loginAsNewUser({ role: 'analyst' })
    analystOrg = a.orgId
    analyst = new TaxiiClient(server.url, await createApiKey(a.client))
    const v = await server.loginAsNewUser({ role: 'viewer', orgId: a.orgId })
    viewer = new TaxiiClient(server.url, await createApiKey(v.client))
    const b = await server.loginAsNewUser({ role: 'analyst' })
    other = new TaxiiClient(server.url, await createApiKey(b.client), 'bearer')
  })
  afterAll(async () => {
    await server.close()
  })

  describe('discovery and API root', () => {
    it('answers discovery (200) with the API root, in the TAXII media type', async () => {
      const res = await analyst.get<{ title: string; default: string; api_roots: string[] }>('/taxii2/')
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe(TAXII)
      expect(res.body.title).toEqual(expect.any(String))
      expect(res.body.api_roots).toEqual([ROOT])
      expect(res.body.default).toBe(ROOT)
    })

    it('answers the API root (200) with its versions and max_content_length; 404 for another', async () => {
      const res = await analyst.get<{ title: string; versions: string[]; max_content_length: number }>(ROOT)
      expect(res.status).toBe(200)
      expect(res.body.versions).toContain(TAXII)
      expect(res.body.max_content_length).toBe(MAX_CONTENT_LENGTH)
      const missing = await analyst.get('/taxii2/nowhere/')
      expect(missing.status).toBe(404)
      expect(taxiiErrorCode(missing)).toBe('not_found')
      const noRoute = await analyst.get(`${ROOT}no-such-endpoint/`)
      expect(noRoute.status).toBe(404)
      expect(taxiiErrorCode(noRoute)).toBe('not_found')
    })
  })

  describe('authentication', () => {
    it('answers 401 with WWW-Authenticate without credentials, everywhere', async () => {
      const anonymous = new TaxiiClient(server.url, null)
      for (const target of [
        '/taxii2/',
        ROOT,
        `${ROOT}collections/`,
        `${ROOT}collections/community/objects/`,
      ]) {
        const res = await anonymous.get(target)
        expect(res.status, target).toBe(401)
        expect(taxiiErrorCode(res)).toBe('unauthenticated')
        expect(res.headers.get('www-authenticate')).toMatch(/Basic realm=/)
        expect(res.headers.get('www-authenticate')).toMatch(/Bearer/)
      }
      const post = await anonymous.post(`${ROOT}collections/community/objects/`, { objects: [indicator()] })
      expect(post.status).toBe(401)
    })

    it('takes the API key by Basic (any user name) and by Bearer; refuses wrong keys and sessions', async () => {
      expect((await analyst.get('/taxii2/')).status).toBe(200)
      expect((await other.get('/taxii2/')).status).toBe(200)
      const token = analyst.token ?? ''
      const otherName = await analyst.request('GET', '/taxii2/', {
        headers: { authorization: `Basic ${Buffer.from(`someone-else:${token}`).toString('base64')}` },
      })
      expect(otherName.status).toBe(200)
      for (const authorization of [
        `Basic ${Buffer.from('user:lsn_wrong').toString('base64')}`,
        `Basic ${Buffer.from(`${token}:`).toString('base64')}`,
        'Basic !!!',
        'Bearer lsn_wrong',
        'Digest abc',
      ]) {
        const res = await analyst.request('GET', '/taxii2/', { headers: { authorization } })
        expect(res.status, authorization).toBe(401)
        expect(taxiiErrorCode(res)).toBe('unauthenticated')
      }
      // A browser session is not a TAXII credential.
      const session = await server.loginAsNewUser()
      const cookie = session.client.cookie ?? ''
      const res = await new TaxiiClient(server.url, null).request('GET', '/taxii2/', { headers: { cookie } })
      expect(res.status).toBe(401)
      // Basic carries API keys on TAXII only.
      const api = await fetch(`${server.url}/api/v1/me`, {
        headers: { authorization: `Basic ${Buffer.from(`u:${token}`).toString('base64')}` },
      })
      expect(api.status).toBe(401)
    })
  })

  describe('content negotiation', () => {
    it('answers 406 to an Accept it cannot satisfy, and serves TAXII to those it can', async () => {
      for (const accept of [
        'application/json',
        'application/taxii+json;version=2.0',
        'text/html',
        'application/taxii+json;q=0',
      ]) {
        const res = await analyst.request('GET', `${ROOT}collections/`, { headers: { accept } })
        expect(res.status, accept).toBe(406)
        expect(taxiiErrorCode(res)).toBe('not_acceptable')
      }
      for (const accept of [
        TAXII,
        'application/taxii+json',
        'application/taxii+json; version="2.1"',
        'application/json, application/taxii+json;version=2.1;q=0.5',
        '*/*',
        null,
      ]) {
        const res = await analyst.request('GET', `${ROOT}collections/`, { headers: { accept } })
        expect(res.status, String(accept)).toBe(200)
        expect(res.headers.get('content-type')).toBe(TAXII)
      }
    })

    it('answers 415 to a POST body in another media type, 406 to a POST that cannot accept TAXII', async () => {
      const target = `${ROOT}collections/organisation/objects/`
      const envelope = { objects: [indicator()] }
      for (const type of [
        'application/json',
        'text/plain',
        'application/taxii+json;version=2.0',
        'application/stix+json;version=2.0',
      ]) {
        const res = await analyst.request('POST', target, {
          body: envelope,
          headers: { 'content-type': type },
        })
        expect(res.status, type).toBe(415)
        expect(taxiiErrorCode(res)).toBe('unsupported_media_type')
      }
      const missing = await analyst.request('POST', target, {
        body: envelope,
        headers: { 'content-type': null },
      })
      expect(missing.status).toBe(415)
      const notAcceptable = await analyst.request('POST', target, {
        body: envelope,
        headers: { accept: 'application/json' },
      })
      expect(notAcceptable.status).toBe(406)
      const stix = await analyst.request<TaxiiStatusBody>('POST', target, {
        body: { objects: [indicator()] },
        headers: { 'content-type': 'application/stix+json;version=2.1' },
      })
      expect(stix.status, stix.text).toBe(202)
      await analyst.waitForStatus(stix.body.id)
    })
  })

  describe('collections', () => {
    it('lists one collection per audience and one per sharing group of the caller, with flags for the caller', async () => {
      const groupCollection = await freshGroupCollection()
      const res = await analyst.get<{
        collections: {
          id: string
          alias: string
          title: string
          can_read: boolean
          can_write: boolean
          media_types: string[]
        }[]
      }>(`${ROOT}collections/`)
      expect(res.status).toBe(200)
      const aliases = res.body.collections.map((c) => c.alias)
      expect(aliases).toEqual(expect.arrayContaining(['organisation', 'community', 'federation', 'public']))
      expect(res.body.collections.map((c) => c.id)).toContain(groupCollection)
      for (const c of res.body.collections) {
        expect(c.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
        expect(c).toMatchObject({
          can_read: true,
          can_write: true,
          media_types: ['application/stix+json;version=2.1'],
        })
      }
      // Stable order.
      const again = await analyst.get<{ collections: { id: string }[] }>(`${ROOT}collections/`)
      expect(again.body.collections.map((c) => c.id)).toEqual(res.body.collections.map((c) => c.id))
      // Viewers read and do not write; another organisation does not see A's group.
      const viewed = await viewer.get<{ collections: { can_read: boolean; can_write: boolean }[] }>(
        `${ROOT}collections/`,
      )
      expect(viewed.body.collections.every((c) => c.can_read && !c.can_write)).toBe(true)
      const outsider = await other.get<{ collections: { id: string }[] }>(`${ROOT}collections/`)
      expect(outsider.body.collections.map((c) => c.id)).not.toContain(groupCollection)
    })

    it('answers one collection by id or alias; 404 for an unknown one or a group the caller is not in', async () => {
      const groupCollection = await freshGroupCollection()
      const byAlias = await analyst.get<{ id: string; alias: string; title: string }>(
        `${ROOT}collections/community/`,
      )
      expect(byAlias.status).toBe(200)
      expect(byAlias.body.alias).toBe('community')
      const byId = await analyst.get<{ id: string; alias: string }>(`${ROOT}collections/${byAlias.body.id}/`)
      expect(byId.body).toEqual(byAlias.body)
      const group = await analyst.get<{ title: string }>(`${ROOT}collections/${groupCollection}/`)
      expect(group.body.title).toMatch(/^Sharing group G /)
      const unknown = await analyst.get(`${ROOT}collections/${randomUUID()}/`)
      expect(unknown.status).toBe(404)
      const hidden = await other.get(`${ROOT}collections/${groupCollection}/`)
      expect(hidden.status).toBe(404)
      expect(hidden.text.split(groupCollection).join('X')).toBe(unknown.text.replace(/[0-9a-f-]{36}/g, 'X'))
      for (const endpoint of ['manifest/', 'objects/']) {
        expect((await other.get(`${ROOT}collections/${groupCollection}/${endpoint}`)).status).toBe(404)
      }
      const post = await other.post(`${ROOT}collections/${groupCollection}/objects/`, {
        objects: [indicator()],
      })
      expect(post.status).toBe(404)
    })
  })

  describe('adding objects', () => {
    it('answers 202 with a pending status at once, then completes it with one outcome per object', async () => {
      const collection = await freshGroupCollection()
      const good = [indicator(), indicator()]
      const badPattern = indicator({ pattern: "[ipv4-addr:value = '198.51.100.1'" })
      const stix20 = { ...indicator(), spec_version: undefined }
      // Neither modified nor created: its version is the time of acceptance, in every poll.
      const unversioned = { type: 'indicator', spec_version: '2.1', id: `indicator--${randomUUID()}` }
      const envelope = { objects: [good[0], badPattern, unversioned, stix20, good[1], good[0]] }
      const res = await analyst.post(`${ROOT}collections/${collection}/objects/`, envelope)
      expect(res.status, res.text).toBe(202)
      expect(res.headers.get('content-type')).toBe(TAXII)
      expect(res.body).toMatchObject({
        status: 'pending',
        total_count: 6,
        success_count: 0,
        failure_count: 0,
        pending_count: 6,
      })
      expect(res.body.request_timestamp).toMatch(TAXII_TIMESTAMP)
      expect(res.body.pendings?.map((p) => p.id)).toEqual([
        good[0]?.id,
        badPattern.id,
        unversioned.id,
        stix20.id,
        good[1]?.id,
        good[0]?.id,
      ])
      const done = await analyst.waitForStatus(res.body.id)
      expect(done).toMatchObject({
        status: 'complete',
        total_count: 6,
        success_count: 3,
        failure_count: 3,
        pending_count: 0,
      })
      expect(done.pendings).toBeUndefined()
      // A duplicate of an object in the same envelope is a success, not an error.
      expect(done.successes?.map((s) => s.id).sort()).toEqual([good[0]?.id, good[1]?.id, good[0]?.id].sort())
      expect(done.successes?.every((s) => s.version === '2025-01-01T00:00:00.000Z')).toBe(true)
      const failed = new Map(done.failures?.map((f) => [f.id, f.message ?? '']))
      expect(failed.get(badPattern.id)).toMatch(/pattern/)
      expect(failed.get(stix20.id)).toMatch(/spec_version/)
      expect(failed.get(unversioned.id)).toMatch(/created|modified/)
      const unversionedPending = res.body.pendings?.find((p) => p.id === unversioned.id)?.version
      expect(unversionedPending).toMatch(TAXII_TIMESTAMP)
      expect(done.failures?.find((f) => f.id === unversioned.id)?.version).toBe(unversionedPending)
      // Posting the same objects again is not an error either.
      const again = await analyst.postAndWait(collection, good)
      expect(again).toMatchObject({ success_count: 2, failure_count: 0 })
      const read = await analyst.get<EnvelopeBody>(`${ROOT}collections/${collection}/objects/`)
      expect(
        storedItems(read.body.objects)
          .map((o) => o.id)
          .sort(),
      ).toEqual(good.map((o) => o.id).sort())
    })

    it('labels what a POST stores by the collection; an object marked stricter leaves it, and says so', async () => {
      const community = await analyst.postAndWait('community', [indicator({ object_marking_refs: [RED] })])
      expect(community.successes?.[0]?.message).toMatch(/TLP:RED.*not in this collection/)
      const red = community.successes?.[0]?.id ?? ''
      expect((await analyst.get(`${ROOT}collections/community/objects/${red}/`)).status).toBe(404)
      const own = await analyst.get<EnvelopeBody>(`${ROOT}collections/organisation/objects/${red}/`)
      expect(own.body.objects?.[0]?.object_marking_refs).toEqual([RED])
      expect((await other.get(`${ROOT}collections/organisation/objects/${red}/`)).status).toBe(404)

      const shared = indicator()
      await analyst.postAndWait('community', [shared])
      const seen = await other.get<EnvelopeBody>(`${ROOT}collections/community/objects/${shared.id}/`)
      expect(seen.status).toBe(200)
      // The label's TLP leaves with the object.
      expect(seen.body.objects?.[0]?.object_marking_refs).toEqual([GREEN])
      const detail = await other.get<EnvelopeBody>(`${ROOT}collections/organisation/objects/${shared.id}/`)
      expect(detail.status).toBe(404)
      const orgOnly = indicator({ object_marking_refs: [AMBER] })
      await analyst.postAndWait('organisation', [orgOnly])
      expect((await other.get(`${ROOT}collections/organisation/objects/${orgOnly.id}/`)).status).toBe(404)
      expect((await analyst.get(`${ROOT}collections/organisation/objects/${orgOnly.id}/`)).status).toBe(200)
    })

    it('answers 422 to a body that is no envelope or no JSON at all, 413 above max_content_length', async () => {
      const target = `${ROOT}collections/organisation/objects/`
      for (const body of [{}, { objects: [] }, { objects: 'x' }, [indicator()], 'null']) {
        const res = await analyst.request('POST', target, {
          body: typeof body === 'string' ? body : JSON.stringify(body),
        })
        expect(res.status, JSON.stringify(body)).toBe(422)
        expect(taxiiErrorCode(res)).toBe('unprocessable_content')
      }
      // A malformed body is unprocessable content too (TAXII 2.1 §3 keeps 400 for requests and filters).
      const broken = await analyst.request('POST', target, { body: '{"objects": [' })
      expect(broken.status).toBe(422)
      expect(taxiiErrorCode(broken)).toBe('unprocessable_content')
      const big = JSON.stringify({ objects: [indicator({ description: 'x'.repeat(MAX_CONTENT_LENGTH) })] })
      const tooLarge = await analyst.request('POST', target, { body: big })
      expect(tooLarge.status).toBe(413)
      expect(taxiiErrorCode(tooLarge)).toBe('payload_too_large')
      // Just under the limit is accepted.
      const fits = JSON.stringify({
        objects: [indicator({ description: 'x'.repeat(MAX_CONTENT_LENGTH - 2000) })],
      })
      const ok = await analyst.request<TaxiiStatusBody>('POST', target, { body: fits })
      expect(ok.status).toBe(202)
      await analyst.waitForStatus(ok.body.id)
    })

    it('answers 403 to a POST the role may not make (viewers)', async () => {
      const res = await viewer.post(`${ROOT}collections/organisation/objects/`, { objects: [indicator()] })
      expect(res.status).toBe(403)
      expect(taxiiErrorCode(res)).toBe('forbidden')
    })

    it('shows a status to whoever posted it only; 404 for others and unknown ids', async () => {
      const res = await analyst.post(`${ROOT}collections/organisation/objects/`, { objects: [indicator()] })
      const done = await analyst.waitForStatus(res.body.id)
      expect(done.id).toBe(res.body.id)
      const colleague = await viewer.get(`${ROOT}status/${res.body.id}/`)
      expect(colleague.status).toBe(404)
      const unknown = await analyst.get(`${ROOT}status/${randomUUID()}/`)
      expect(unknown.status).toBe(404)
      expect(taxiiErrorCode(unknown)).toBe('not_found')
      expect(colleague.text.split(res.body.id).join('X')).toBe(unknown.text.replace(/[0-9a-f-]{36}/g, 'X'))
    })

    it('holds what a four-eyes organisation shares until a second member releases it', async () => {
      const org = await server.loginAsNewUser({ role: 'analyst' })
      await updateOrganisation(server.store.db, TEST_OPERATOR, org.orgId, {
        settings: { fourEyesRelease: true },
      })
      const client = new TaxiiClient(server.url, await createApiKey(org.client))
      const held = indicator()
      const status = await client.postAndWait('community', [
        held,
        indicator({ pattern: "[ipv4-addr:value = '203.0.113.1'" }),
      ])
      expect(status).toMatchObject({ success_count: 1, failure_count: 1 })
      expect(status.successes?.[0]?.message).toMatch(/four-eyes release/)
      expect((await other.get(`${ROOT}collections/community/objects/${held.id}/`)).status).toBe(404)
      expect((await client.get(`${ROOT}collections/organisation/objects/${held.id}/`)).status).toBe(200)
    })

    it('stores a large POST in the background without blocking other requests', async () => {
      const collection = await freshGroupCollection()
      const objects = Array.from({ length: 8000 }, () => indicator())
      const res = await analyst.post(`${ROOT}collections/${collection}/objects/`, { objects })
      expect(res.status).toBe(202)
      let answeredWhilePending = 0
      let slowest = 0
      for (;;) {
        const t = performance.now()
        const [collections, status] = await Promise.all([
          other.get(`${ROOT}collections/`),
          analyst.get<TaxiiStatusBody>(`${ROOT}status/${res.body.id}/`),
        ])
        slowest = Math.max(slowest, performance.now() - t)
        expect(collections.status).toBe(200)
        if (status.body.status === 'complete') {
          expect(status.body.success_count).toBe(8000)
          break
        }
        answeredWhilePending += 1
        expect(status.body.success_count + status.body.pending_count).toBe(8000)
        await sleep(5)
      }
      expect(answeredWhilePending).toBeGreaterThan(0)
      // Each part is one short transaction: nothing waits for the whole POST.
      expect(slowest).toBeLessThan(2000)
    })
  })

  describe('reading objects and the manifest', () => {
    let collection: string
    let objects: (Record<string, unknown> & { id: string })[]
    let versioned: string
    const v1 = '2025-02-01T00:00:00.000Z'
    const v2 = '2025-03-01T00:00:00.000Z'
    const v3 = '2025-04-01T00:00:00.123Z'

    beforeAll(async () => {
      collection = await freshGroupCollection()
      objects = Array.from({ length: 25 }, () => indicator())
      // In three POSTs, so that they have different dates added.
      await analyst.postAndWait(collection, objects.slice(0, 10))
      await analyst.postAndWait(collection, objects.slice(10, 20))
      versioned = `malware--${randomUUID()}`
      const malware = (modified: string, name: string) => ({
        type: 'malware',
        spec_version: '2.1',
        id: versioned,
        created: v1,
        modified,
        name,
        is_family: true,
      })
      await analyst.postAndWait(collection, [malware(v2, 'second'), malware(v1, 'first')])
      await analyst.postAndWait(collection, [...objects.slice(20), malware(v3, 'third')])
    })

    it('answers objects (200) oldest date added first, with the date headers of the page', async () => {
      const res = await analyst.get<EnvelopeBody>(`${ROOT}collections/${collection}/objects/`)
      expect(res.status).toBe(200)
      expect(res.body.more).toBe(false)
      expect(res.body.next).toBeUndefined()
      const ids = res.body.objects?.map((o) => o.id) ?? []
      // The latest version of each object only (match[version]=last by default), after the five TLP
      // 2.0 marking definitions every collection holds (added before anything).
      expect(ids.length).toBe(5 + 26)
      expect(ids.slice(0, 5)).toEqual(TLP2_DEFINITION_IDS)
      expect(ids.slice(5, 15).sort()).toEqual(
        objects
          .slice(0, 10)
          .map((o) => o.id)
          .sort(),
      )
      expect(res.body.objects?.find((o) => o.id === versioned)?.modified).toBe(v3)
      const manifest = await analyst.get<ManifestBody>(`${ROOT}collections/${collection}/manifest/`)
      const dates = manifest.body.objects?.map((m) => m.date_added) ?? []
      expect(dates).toEqual([...dates].sort())
      expect(res.headers.get('x-taxii-date-added-first')).toBe(dates[0])
      expect(res.headers.get('x-taxii-date-added-last')).toBe(dates[dates.length - 1])
      expect(manifest.headers.get('x-taxii-date-added-first')).toBe(dates[0])
      for (const record of manifest.body.objects ?? []) {
        expect(record.date_added).toMatch(TAXII_TIMESTAMP)
        expect(record.media_type).toBe('application/stix+json;version=2.1')
      }
      expect(manifest.body.objects?.map((m) => m.id)).toEqual(ids)
      expect(manifest.body.objects?.find((m) => m.id === versioned)?.version).toBe(v3)
    })

    it('pages with limit, more and next: every item once, in order, whatever the page size', async () => {
      const all = await analyst.get<ManifestBody>(
        `${ROOT}collections/${collection}/manifest/?match[version]=all`,
      )
      const expected = all.body.objects?.map((m) => `${m.id} ${m.version}`) ?? []
      // 28 versions stored, and the five TLP 2.0 marking definitions.
      expect(expected.length).toBe(33)
      for (const limit of [1, 7, 32, 33]) {
        for (const endpoint of ['objects', 'manifest'] as const) {
          const seen: string[] = []
          let next: string | undefined
          let pages = 0
          do {
            const res = await analyst.get<EnvelopeBody & ManifestBody>(
              `${ROOT}collections/${collection}/${endpoint}/?match[version]=all&limit=${limit}${next === undefined ? '' : `&next=${encodeURIComponent(next)}`}`,
            )
            expect(res.status, res.text).toBe(200)
            const items = res.body.objects ?? []
            expect(items.length).toBeLessThanOrEqual(limit)
            for (const item of items) {
              // An object without `modified` (a marking definition) has its `created` as version.
              seen.push(
                `${item.id} ${String('version' in item && endpoint === 'manifest' ? item.version : (item.modified ?? item.created))}`,
              )
            }
            expect(res.body.more).toBe(res.body.next !== undefined)
            next = res.body.next
            pages += 1
          } while (next !== undefined)
          expect(seen, `${endpoint} limit ${limit}`).toEqual(expected)
          expect(pages).toBe(Math.ceil(33 / limit))
        }
      }
    })

    it('filters by added_after (strictly after; the date-header way of paging)', async () => {
      const manifest = await analyst.get<ManifestBody>(
        `${ROOT}collections/${collection}/manifest/?match[version]=all`,
      )
      const dates = [...new Set(manifest.body.objects?.map((m) => m.date_added))]
      // Every version its own date added (the TLP 2.0 marking definitions first, before anything).
      expect(dates.length).toBe(manifest.body.objects?.length)
      const after = await analyst.get<ManifestBody>(
        `${ROOT}collections/${collection}/manifest/?match[version]=all&added_after=${dates[1] ?? ''}`,
      )
      expect(after.body.objects?.every((m) => m.date_added > (dates[1] ?? ''))).toBe(true)
      expect(after.body.objects?.length).toBe(
        (manifest.body.objects ?? []).filter((m) => m.date_added > (dates[1] ?? '')).length,
      )
      const last = manifest.headers.get('x-taxii-date-added-last') ?? ''
      const none = await analyst.get<EnvelopeBody>(
        `${ROOT}collections/${collection}/objects/?added_after=${last}`,
      )
      expect(none.status).toBe(200)
      expect(none.body).toEqual({ more: false })
      expect(none.headers.get('x-taxii-date-added-first')).toBeNull()
      // Fewer fractional digits are taken too.
      const coarse = await analyst.get<ManifestBody>(
        `${ROOT}collections/${collection}/manifest/?match[version]=all&added_after=2000-01-01T00:00:00Z`,
      )
      expect(coarse.body.objects?.length).toBe(manifest.body.objects?.length)
    })

    it('filters by match[id] and match[type] (OR inside a field, AND across fields)', async () => {
      const two = [objects[3]?.id, objects[21]?.id].join(',')
      const byId = await analyst.get<EnvelopeBody>(
        `${ROOT}collections/${collection}/objects/?match[id]=${two}`,
      )
      expect(byId.body.objects?.map((o) => o.id).sort()).toEqual([objects[3]?.id, objects[21]?.id].sort())
      const byType = await analyst.get<EnvelopeBody>(
        `${ROOT}collections/${collection}/objects/?match[type]=malware`,
      )
      expect(byType.body.objects?.map((o) => o.id)).toEqual([versioned])
      const both = await analyst.get<EnvelopeBody>(
        `${ROOT}collections/${collection}/objects/?match[type]=malware,indicator&match[id]=${versioned},${objects[0]?.id ?? ''}`,
      )
      expect(both.body.objects?.length).toBe(2)
      const neither = await analyst.get<EnvelopeBody>(
        `${ROOT}collections/${collection}/objects/?match[type]=malware&match[id]=${objects[0]?.id ?? ''}`,
      )
      expect(neither.body.objects).toBeUndefined()
      // An unknown (but well-formed) type is no error.
      const unknown = await analyst.get<EnvelopeBody>(
        `${ROOT}collections/${collection}/manifest/?match[type]=x-nothing-here`,
      )
      expect(unknown.status).toBe(200)
      expect(unknown.body).toEqual({ more: false })
    })

    it('filters by match[version]: last (default), first, all, exact timestamps, and lists of them', async () => {
      const versionsOf = async (query: string) => {
        const res = await analyst.get<EnvelopeBody>(
          `${ROOT}collections/${collection}/objects/?match[id]=${versioned}${query}`,
        )
        expect(res.status, res.text).toBe(200)
        return (res.body.objects ?? []).map((o) => o.modified).sort()
      }
      expect(await versionsOf('')).toEqual([v3])
      expect(await versionsOf('&match[version]=last')).toEqual([v3])
      expect(await versionsOf('&match[version]=first')).toEqual([v1])
      expect(await versionsOf('&match[version]=all')).toEqual([v1, v2, v3])
      expect(await versionsOf(`&match[version]=${v2}`)).toEqual([v2])
      expect(await versionsOf(`&match[version]=first,${v2}`)).toEqual([v1, v2])
      expect(await versionsOf('&match[version]=first,last')).toEqual([v1, v3])
      // The same instant at another precision matches too.
      expect(await versionsOf('&match[version]=2025-04-01T00:00:00.123000Z')).toEqual([v3])
      expect(await versionsOf('&match[version]=2025-05-01T00:00:00.000Z')).toEqual([])
    })

    it('filters by match[spec_version]: the store holds STIX 2.1', async () => {
      const all = await analyst.get<ManifestBody>(
        `${ROOT}collections/${collection}/manifest/?match[spec_version]=2.0,2.1`,
      )
      expect(all.body.objects?.length).toBe(5 + 26)
      const none = await analyst.get<ManifestBody>(
        `${ROOT}collections/${collection}/manifest/?match[spec_version]=2.0`,
      )
      expect(none.body).toEqual({ more: false })
    })

    it('answers 400 to malformed filters', async () => {
      for (const query of [
        'added_after=yesterday',
        'added_after=2025-13-01T00:00:00.000000Z',
        'limit=0',
        'limit=-1',
        'limit=ten',
        'next=not-a-cursor!',
        `next=${Buffer.from('[1,2]').toString('base64url')}`,
        'match[id]=indicator',
        'match[type]=Not A Type',
        'match[version]=all,last',
        'match[version]=sometime',
        'match[version]=first,first',
        'match[spec_version]=latest',
        'match[type]=indicator&match[type]=malware',
        'limit=1&limit=2',
      ]) {
        for (const endpoint of ['objects', 'manifest']) {
          const res = await analyst.get(`${ROOT}collections/${collection}/${endpoint}/?${query}`)
          expect(res.status, `${endpoint}?${query}`).toBe(400)
          expect(taxiiErrorCode(res)).toBe('validation_failed')
        }
      }
      expect(
        (await analyst.get(`${ROOT}collections/${collection}/objects/?match[unknown]=x&other=1`)).status,
      ).toBe(200)
    })

    it('answers an object whose custom type makes its id longer than 100 characters, by id and versions', async () => {
      const feed = await freshGroupCollection()
      const type = `x-${'long-custom-type-'.repeat(6)}name`
      const object = {
        type,
        spec_version: '2.1',
        id: `${type}--${randomUUID()}`,
        created: '2025-01-01T00:00:00.000Z',
        modified: '2025-01-01T00:00:00.000Z',
        x_note: 'custom',
      }
      expect(object.id.length).toBeGreaterThan(100)
      await analyst.postAndWait(feed, [object])
      const byId = await analyst.get<EnvelopeBody>(`${ROOT}collections/${feed}/objects/${object.id}/`)
      expect(byId.status, byId.text).toBe(200)
      expect(byId.body.objects?.map((o) => o.id)).toEqual([object.id])
      const versions = await analyst.get(`${ROOT}collections/${feed}/objects/${object.id}/versions/`)
      expect(versions.status).toBe(200)
    })

    it('leaves expired indicators out of objects and manifest, as exports do; by id they are still there', async () => {
      const feed = await freshGroupCollection()
      const expired = indicator({ valid_until: '2025-06-01T00:00:00.000Z' })
      const current = indicator({ valid_until: '2099-01-01T00:00:00.000Z' })
      const timeless = indicator()
      await analyst.postAndWait(feed, [expired, current, timeless])
      const listed = await analyst.get<EnvelopeBody>(`${ROOT}collections/${feed}/objects/`)
      expect(listed.status).toBe(200)
      expect(
        storedItems(listed.body.objects)
          .map((o) => o.id)
          .sort(),
      ).toEqual([current.id, timeless.id].sort())
      const manifest = await analyst.get<ManifestBody>(`${ROOT}collections/${feed}/manifest/`)
      expect(
        storedItems(manifest.body.objects)
          .map((o) => o.id)
          .sort(),
      ).toEqual([current.id, timeless.id].sort())
      const byId = await analyst.get<EnvelopeBody>(`${ROOT}collections/${feed}/objects/${expired.id}/`)
      expect(byId.status).toBe(200)
      expect(byId.body.objects?.map((o) => o.id)).toEqual([expired.id])
    })

    it('answers one object by id (latest version by default, filters as for objects); 404 when absent', async () => {
      const one = await analyst.get<EnvelopeBody>(`${ROOT}collections/${collection}/objects/${versioned}/`)
      expect(one.status).toBe(200)
      expect(one.body.objects?.map((o) => o.modified)).toEqual([v3])
      expect(one.headers.get('x-taxii-date-added-first')).toMatch(TAXII_TIMESTAMP)
      const all = await analyst.get<EnvelopeBody>(
        `${ROOT}collections/${collection}/objects/${versioned}/?match[version]=all&limit=2`,
      )
      expect(all.body.objects?.length).toBe(2)
      expect(all.body.more).toBe(true)
      const rest = await analyst.get<EnvelopeBody>(
        `${ROOT}collections/${collection}/objects/${versioned}/?match[version]=all&limit=2&next=${encodeURIComponent(all.body.next ?? '')}`,
      )
      expect(
        [...(all.body.objects ?? []), ...(rest.body.objects ?? [])].map((o) => o.modified).sort(),
      ).toEqual([v1, v2, v3])
      const noMatch = await analyst.get<EnvelopeBody>(
        `${ROOT}collections/${collection}/objects/${versioned}/?match[version]=2020-01-01T00:00:00.000Z`,
      )
      expect(noMatch.status).toBe(200)
      expect(noMatch.body).toEqual({ more: false })
      const missing = await analyst.get(`${ROOT}collections/${collection}/objects/malware--${randomUUID()}/`)
      expect(missing.status).toBe(404)
      expect(taxiiErrorCode(missing)).toBe('not_found')
      // In another collection it is not there.
      expect((await analyst.get(`${ROOT}collections/community/objects/${versioned}/`)).status).toBe(404)
      expect(
        (await analyst.get(`${ROOT}collections/${collection}/objects/${versioned}/?limit=0`)).status,
      ).toBe(400)
    })

    it('answers the versions of an object (200), oldest date added first, paged; 404 when absent', async () => {
      const res = await analyst.get<{ more: boolean; versions: string[] }>(
        `${ROOT}collections/${collection}/objects/${versioned}/versions/`,
      )
      expect(res.status).toBe(200)
      // v2 and v1 came in one POST (same date added), v3 later.
      expect(res.body.versions.slice(2)).toEqual([v3])
      expect(res.body.versions.slice(0, 2).sort()).toEqual([v1, v2])
      expect(res.body.more).toBe(false)
      expect(res.headers.get('x-taxii-date-added-first')).toMatch(TAXII_TIMESTAMP)
      expect(res.headers.get('x-taxii-date-added-last')).toMatch(TAXII_TIMESTAMP)
      const first = await analyst.get<{ more: boolean; next: string; versions: string[] }>(
        `${ROOT}collections/${collection}/objects/${versioned}/versions/?limit=2`,
      )
      expect(first.body).toMatchObject({ more: true, versions: res.body.versions.slice(0, 2) })
      const second = await analyst.get<{ more: boolean; versions: string[] }>(
        `${ROOT}collections/${collection}/objects/${versioned}/versions/?limit=2&next=${encodeURIComponent(first.body.next)}`,
      )
      expect(second.body).toEqual({ more: false, versions: [v3] })
      const after = await analyst.get<{ versions: string[] }>(
        `${ROOT}collections/${collection}/objects/${versioned}/versions/?added_after=${first.headers.get('x-taxii-date-added-last') ?? ''}`,
      )
      expect(after.body.versions).toEqual([v3])
      const spec = await analyst.get(
        `${ROOT}collections/${collection}/objects/${versioned}/versions/?match[spec_version]=2.0`,
      )
      expect(spec.body).toEqual({ more: false })
      expect(
        (await analyst.get(`${ROOT}collections/${collection}/objects/malware--${randomUUID()}/versions/`))
          .status,
      ).toBe(404)
      expect(
        (await analyst.get(`${ROOT}collections/${collection}/objects/${versioned}/versions/?limit=x`)).status,
      ).toBe(400)
    })
  })

  describe('deleting objects', () => {
    it('deletes the latest version by default, then all; afterwards neither object nor manifest shows it', async () => {
      const collection = await freshGroupCollection()
      const id = `malware--${randomUUID()}`
      const version = (modified: string) => ({
        type: 'malware',
        spec_version: '2.1',
        id,
        created: '2025-01-01T00:00:00.000Z',
        modified,
        name: modified,
        is_family: false,
      })
      await analyst.postAndWait(collection, [
        version('2025-01-01T00:00:00.000Z'),
        version('2025-06-01T00:00:00.000Z'),
      ])
      const target = `${ROOT}collections/${collection}/objects/${id}/`
      const res = await analyst.delete(target)
      expect(res.status, res.text).toBe(200)
      expect(res.text).toBe('')
      expect(res.headers.get('content-type')).toBe(TAXII)
      const left = await analyst.get<EnvelopeBody>(target)
      expect(left.body.objects?.map((o) => o.modified)).toEqual(['2025-01-01T00:00:00.000Z'])
      expect(
        (await analyst.get<EnvelopeBody>(`${target}?match[version]=2025-06-01T00:00:00.000Z`)).body,
      ).toEqual({ more: false })
      // The store's own view follows: the previous version is the latest again.
      const intel = await server.store.db
        .selectFrom('stix_objects')
        .select(['modified', 'is_latest'])
        .where('id', '=', id)
        .execute()
      expect(intel).toEqual([{ modified: '2025-01-01T00:00:00.000Z', is_latest: 1 }])
      expect((await analyst.delete(`${target}?match[version]=all`)).status).toBe(200)
      const gone = await analyst.get(target)
      expect(gone.status).toBe(404)
      const manifest = await analyst.get<ManifestBody>(
        `${ROOT}collections/${collection}/manifest/?match[version]=all`,
      )
      expect(manifest.body.objects?.some((m) => m.id === id) ?? false).toBe(false)
      expect((await analyst.get(`${target}versions/`)).status).toBe(404)
      expect((await analyst.delete(target)).status).toBe(404)
      expect(
        (await analyst.delete(`${ROOT}collections/${collection}/objects/${id}/?match[version]=bad`)).status,
      ).toBe(400)
    })

    it("refuses to delete another organisation's copy (403) and answers 403/404 by the collection's flags", async () => {
      const shared = indicator()
      await other.postAndWait('community', [shared])
      const res = await analyst.delete(`${ROOT}collections/community/objects/${shared.id}/`)
      expect(res.status).toBe(403)
      expect(taxiiErrorCode(res)).toBe('forbidden')
      expect((await other.get(`${ROOT}collections/community/objects/${shared.id}/`)).status).toBe(200)
      // A viewer may read but not write: 403.
      const mine = indicator()
      await analyst.postAndWait('organisation', [mine])
      expect((await viewer.delete(`${ROOT}collections/organisation/objects/${mine.id}/`)).status).toBe(403)

      const collection = await freshGroupCollection()
      const probe = indicator()
      await analyst.postAndWait(collection, [probe])
      const target = `${ROOT}collections/${collection}/objects/${probe.id}/`
      const setRoles = (readRoles: ('analyst' | 'viewer')[], writeRoles: 'analyst'[]) =>
        setCollectionRoles(server.store.db, TEST_OPERATOR, 'liaison', collection, { readRoles, writeRoles })
      await setRoles(['viewer'], [])
      expect((await analyst.delete(target)).status).toBe(404)
      const flags = await analyst.get<{ can_read: boolean; can_write: boolean }>(
        `${ROOT}collections/${collection}/`,
      )
      expect(flags.body).toMatchObject({ can_read: false, can_write: false })
      // Reading a collection the role may not read: 403.
      for (const endpoint of [
        'objects/',
        'manifest/',
        `objects/${probe.id}/`,
        `objects/${probe.id}/versions/`,
      ]) {
        const read = await analyst.get(`${ROOT}collections/${collection}/${endpoint}`)
        expect(read.status, endpoint).toBe(403)
        expect(taxiiErrorCode(read)).toBe('forbidden')
      }
      expect(
        (await analyst.post(`${ROOT}collections/${collection}/objects/`, { objects: [indicator()] })).status,
      ).toBe(403)
      await setRoles(['viewer'], ['analyst'])
      expect((await analyst.delete(target)).status).toBe(403)
      await setRoles(['analyst'], [])
      expect((await analyst.delete(target)).status).toBe(403)
      await setRoles(['analyst'], ['analyst'])
      expect((await analyst.delete(target)).status).toBe(200)
      expect((await analyst.get(target)).status).toBe(404)
    })
  })

  it('serves the OASIS test server content: versions, manifest and per-object outcomes', async () => {
    const data = JSON.parse(
      readFileSync(path.join(CORPUS_DIR, 'stix21', 'taxii21', 'default_data.json'), 'utf8'),
    ) as {
      trustgroup1: {
        collections: { id: string; objects?: { id: string; modified?: string; spec_version?: string }[] }[]
      }
    }
    const source = data.trustgroup1.collections.find((c) => c.id === '91a7b528-80eb-42ed-a74d-c6fbd5a26116')
    const content = source?.objects ?? []
    expect(content.length).toBe(8)
    const collection = await freshGroupCollection()
    const status = await analyst.postAndWait(collection, content)
    // One version of the malware is STIX 2.0 (no spec_version): a TAXII 2.1 POST refuses just that one.
    expect(status).toMatchObject({ total_count: 8, success_count: 7, failure_count: 1 })
    expect(status.failures?.[0]).toMatchObject({
      id: 'malware--c0931cc6-c75e-47e5-9036-78fabc95d4ec',
      version: '2018-02-23T18:30:00.000Z',
    })
    const versions = await analyst.get<{ versions: string[] }>(
      `${ROOT}collections/${collection}/objects/indicator--6770298f-0fd8-471a-ab8c-1c658a46574e/versions/`,
    )
    expect([...versions.body.versions].sort()).toEqual([
      '2016-11-03T12:30:59.000Z',
      '2016-12-25T12:30:59.444Z',
      '2017-01-27T13:49:53.935Z',
    ])
    const manifest = await analyst.get<ManifestBody>(`${ROOT}collections/${collection}/manifest/`)
    expect(
      storedItems(manifest.body.objects)
        .map((m) => m.id)
        .sort(),
    ).toEqual([...new Set(content.map((o) => o.id))].sort())
    // The marking definition has no modified: its version is its created.
    expect(
      storedItems(manifest.body.objects).find((m) => m.id.startsWith('marking-definition--'))?.version,
    ).toBe('2017-01-20T00:00:00.000Z')
    const all = await analyst.get<EnvelopeBody>(
      `${ROOT}collections/${collection}/objects/?match[version]=all`,
    )
    expect(storedItems(all.body.objects).length).toBe(7)
    // The objects come back as they were sent, apart from the TLP marking of their label.
    for (const object of storedItems(all.body.objects)) {
      const sent = content.find((o) => o.id === object.id && o.modified === object.modified)
      const { object_marking_refs: _out, ...rest } = object
      const { object_marking_refs: _in, ...original } = (sent ?? {}) as Record<string, unknown>
      expect(rest).toEqual(original)
    }
  })
})
