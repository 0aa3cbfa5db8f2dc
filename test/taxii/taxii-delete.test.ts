import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { indicator } from '../helpers/stix.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { STORE_KINDS } from '../helpers/stores.js'
import { createApiKey, ROOT, TaxiiClient, type EnvelopeBody } from '../helpers/taxii.js'
import type { ApiClient } from '../helpers/http.js'

describe.each(STORE_KINDS)('TAXII DELETE and bodies the standard names (%s)', (kind) => {
  let server: TestServer
  let analyst: TaxiiClient
  let api: ApiClient

  beforeAll(async () => {
    server = await startTestServer(kind)
    const a = await server.loginAsNewUser({ role: 'analyst' })
    api = a.client
    analyst = new TaxiiClient(server.url, await createApiKey(a.client))
  })
  afterAll(async () => {
    await server.close()
  })

  it('deletes the latest version of an indicator: the one before becomes latest, and its observables and references are indexed again', async () => {
    // The older version names another value and an identity: after the delete, the index is its.
    const older = indicator({
      modified: '2025-01-01T00:00:00.000Z',
      pattern: "[ipv4-addr:value = '198.51.100.71']",
      created_by_ref: 'identity--0d7b1a0a-6f9e-4d7e-9c1e-6f4b7c3e2a10',
    })
    const newer = {
      ...older,
      modified: '2025-06-01T00:00:00.000Z',
      pattern: "[ipv4-addr:value = '198.51.100.72']",
    }
    const status = await analyst.postAndWait('organisation', [older, newer])
    expect(status.success_count, JSON.stringify(status)).toBe(2)
    const target = `${ROOT}collections/organisation/objects/${older.id}/`
    const res = await analyst.delete(target)
    expect(res.status, res.text).toBe(200)
    const left = await analyst.get<EnvelopeBody>(target)
    expect(left.body.objects?.map((o) => o.modified)).toEqual(['2025-01-01T00:00:00.000Z'])
    const correlate = async (value: string) =>
      (
        await api.get<{ results: { hits: { id: string }[] }[] }>(
          `/api/v1/intel/correlate?value=${encodeURIComponent(value)}`,
        )
      ).body.results[0]?.hits.map((h) => h.id)
    expect(await correlate('198.51.100.71')).toEqual([older.id])
    expect(await correlate('198.51.100.72')).toEqual([])
    const refs = await server.store.db
      .selectFrom('stix_refs')
      .select(['to_id', 'property'])
      .where('from_id', '=', older.id)
      .execute()
    expect(refs).toEqual([{ to_id: older.created_by_ref, property: 'created_by_ref' }])
  })

  it('ignores a Content-Type on a DELETE (no body), and answers a POST body that is not JSON with 422', async () => {
    const probe = indicator()
    await analyst.postAndWait('organisation', [probe])
    const target = `${ROOT}collections/organisation/objects/${probe.id}/`
    for (const contentType of ['application/taxii+json;version=2.1', 'text/plain']) {
      const kept = indicator()
      await analyst.postAndWait('organisation', [kept])
      const res = await analyst.request('DELETE', `${ROOT}collections/organisation/objects/${kept.id}/`, {
        headers: { 'content-type': contentType },
      })
      expect(res.status, `${contentType}: ${res.text}`).toBe(200)
    }
    const objects = `${ROOT}collections/organisation/objects/`
    for (const body of ['{"objects": [', '']) {
      const res = await analyst.request<{ description: string; http_status: string }>('POST', objects, {
        body,
        headers: { 'content-type': 'application/taxii+json;version=2.1' },
      })
      expect(res.status, `${JSON.stringify(body)}: ${res.text}`).toBe(422)
      expect(res.body.http_status).toBe('422')
      expect(res.body.description).toMatch(body === '' ? /empty/ : /not JSON/)
    }
    // Nothing was stored or deleted by them.
    expect((await analyst.get(target)).status).toBe(200)
  })
})
