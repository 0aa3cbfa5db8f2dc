import { randomUUID } from 'node:crypto'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deterministicScoId } from '../../src/core/stix/sco-id.js'
import type { StixObject } from '../../src/core/stix/stix.js'
import { toTaxiiTimestamp } from '../../src/core/taxii/taxii.js'
import { authenticateApiKey } from '../../src/server/modules/apikey/apikey.service.js'
import { importerOf } from '../../src/server/modules/intel/intel.service.js'
import { TAXII_STALE_MS, TaxiiIngestQueue } from '../../src/server/modules/taxii/taxii.ingest.js'
import { getCollection, TAXII_API_ROOT } from '../../src/server/modules/taxii/taxii.service.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { indicator } from '../helpers/stix.js'
import { STORE_KINDS } from '../helpers/stores.js'
import { createApiKey, ROOT, taxiiErrorCode, TaxiiClient, type TaxiiStatusBody } from '../helpers/taxii.js'

const silent = pino({ level: 'silent' })

/** An ipv4-addr SCO with its deterministic id: it has neither `modified` nor `created`. */
function ipv4(value: string): StixObject {
  const sco = { type: 'ipv4-addr', spec_version: '2.1', value }
  return { ...sco, id: deterministicScoId(sco) }
}

/**
 * The version a status reports for an object must be the one of its 202, whoever processes it and
 * whenever; an envelope whose items cannot all be named by a STIX id is refused whole (422).
 */
describe.each(STORE_KINDS)('TAXII status details (%s)', (kind) => {
  let server: TestServer
  /** Calls of the server's clock: each call is at least a millisecond after the one before. */
  let ticks = 0

  /** A new analyst in a new organisation, with an API key. */
  async function createPoster(): Promise<{
    client: TaxiiClient
    token: string
    orgId: string
    userId: string
  }> {
    const poster = await server.loginAsNewUser({ role: 'analyst' })
    const token = await createApiKey(poster.client)
    return { client: new TaxiiClient(server.url, token), token, orgId: poster.orgId, userId: poster.userId }
  }

  beforeAll(async () => {
    // Acceptance and processing never share a millisecond: a version taken from the processing
    // time instead of the acceptance time always shows.
    server = await startTestServer(kind, {}, { now: () => new Date(Date.now() + ++ticks) })
  })
  afterAll(async () => {
    await server.close()
  })

  it('reports an SCO with the version of its 202 once it has succeeded or failed', async () => {
    const { client } = await createPoster()
    const good = ipv4('198.51.100.7')
    const bad = { type: 'ipv4-addr', spec_version: '2.1', id: `ipv4-addr--${randomUUID()}`, value: 'x' }
    const res = await client.post(`${ROOT}collections/organisation/objects/`, { objects: [good, bad] })
    expect(res.status, res.text).toBe(202)
    const accepted = new Map(res.body.pendings?.map((p) => [p.id, p.version]))
    expect(accepted.get(good.id)).toBe(res.body.request_timestamp)
    expect(accepted.get(bad.id)).toBe(res.body.request_timestamp)
    const done = await client.waitForStatus(res.body.id)
    expect(done).toMatchObject({ status: 'complete', success_count: 1, failure_count: 1, pending_count: 0 })
    expect(done.successes).toEqual([{ id: good.id, version: accepted.get(good.id) }])
    expect(done.failures?.map((f) => ({ id: f.id, version: f.version }))).toEqual([
      { id: bad.id, version: accepted.get(bad.id) },
    ])
  })

  it('keeps an SCO’s version from its acceptance when another process takes the POST over', async () => {
    const poster = await createPoster()
    const auth = await authenticateApiKey(server.store.db, poster.token)
    if (auth === null) {
      throw new Error('the test API key does not authenticate')
    }
    const principal = auth.principal
    const good = ipv4('198.51.100.8')
    const bad = { type: 'ipv4-addr', spec_version: '2.1', id: `ipv4-addr--${randomUUID()}`, value: 'x' }
    // A process that accepts the POST and stops before storing any of it.
    const acceptedAt = new Date(Date.now() - 5_000)
    const stopped = new TaxiiIngestQueue(server.store.db, () => acceptedAt, silent, { paused: true })
    // A process whose clock is past the lease of the first: it takes the work over.
    const taker = new TaxiiIngestQueue(
      server.store.db,
      () => new Date(Date.now() + TAXII_STALE_MS + 60_000),
      silent,
    )
    try {
      const accepted = await stopped.accept(
        principal,
        importerOf(principal),
        await getCollection(server.store.db, principal, TAXII_API_ROOT, 'organisation'),
        [good, bad],
        TAXII_API_ROOT,
      )
      const version = toTaxiiTimestamp(acceptedAt.toISOString())
      const pending = await poster.client.get<TaxiiStatusBody>(`${ROOT}status/${accepted.row.id}/`)
      expect(pending.status, pending.text).toBe(200)
      expect(pending.body).toMatchObject({ status: 'pending', pending_count: 2 })
      expect(pending.body.pendings).toEqual([
        { id: good.id, version },
        { id: bad.id, version },
      ])

      expect(await taker.resume()).toContain(accepted.row.id)
      const done = await poster.client.waitForStatus(accepted.row.id)
      expect(done).toMatchObject({ success_count: 1, failure_count: 1, pending_count: 0 })
      expect(done.successes).toEqual([{ id: good.id, version }])
      expect(done.failures?.map((f) => ({ id: f.id, version: f.version }))).toEqual([{ id: bad.id, version }])
    } finally {
      await taker.close()
      await stopped.close()
    }
  })

  it('refuses (422) an envelope with an item that is no object or has no STIX id, naming it, and stores nothing', async () => {
    const poster = await createPoster()
    const target = `${ROOT}collections/organisation/objects/`
    const good = indicator()
    const noId = { type: 'ipv4-addr', spec_version: '2.1', value: '198.51.100.9' }
    const payloadsBefore = await server.store.db
      .selectFrom('taxii_status_payloads')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    const cases: { objects: unknown[]; index: number; reason: string; says: RegExp }[] = [
      { objects: [good, noId], index: 1, reason: 'no_id', says: /no "id"/ },
      { objects: [good, indicator(), 42], index: 2, reason: 'not_an_object', says: /not a JSON object/ },
      { objects: [null, good], index: 0, reason: 'not_an_object', says: /not a JSON object/ },
      { objects: [[good]], index: 0, reason: 'not_an_object', says: /not a JSON object/ },
      {
        objects: [good, { ...indicator(), id: 7 }],
        index: 1,
        reason: 'malformed_id',
        says: /STIX identifier/,
      },
      {
        objects: [{ ...indicator(), id: 'indicator--1234' }, good],
        index: 0,
        reason: 'malformed_id',
        says: /STIX identifier/,
      },
      {
        objects: [good, 'x', { type: 'indicator' }],
        index: 1,
        reason: 'not_an_object',
        says: /not a JSON object/,
      },
    ]
    for (const { objects, index, reason, says } of cases) {
      const res = await poster.client.post<Record<string, unknown>>(target, { objects })
      expect(res.status, res.text).toBe(422)
      expect(taxiiErrorCode(res)).toBe('unprocessable_content')
      expect(res.body.description, res.text).toMatch(new RegExp(`^objects\\[${index}\\]: `))
      expect(res.body.description, res.text).toMatch(says)
      expect(res.body.details, res.text).toEqual({ field: `objects[${index}]`, index, reason })
    }

    const statuses = await server.store.db
      .selectFrom('taxii_statuses')
      .select('id')
      .where('user_id', '=', poster.userId)
      .execute()
    expect(statuses).toEqual([])
    const payloadsAfter = await server.store.db
      .selectFrom('taxii_status_payloads')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    expect(Number(payloadsAfter.n)).toBe(Number(payloadsBefore.n))
    const stored = await server.store.db
      .selectFrom('stix_objects')
      .select('id')
      .where((eb) => eb.or([eb('owner_org_id', '=', poster.orgId), eb('id', '=', good.id)]))
      .execute()
    expect(stored).toEqual([])
  })
})
