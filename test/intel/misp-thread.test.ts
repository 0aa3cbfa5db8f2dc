// Large MISP content is mapped, checked and prepared on a worker thread while the importing thread
// stores it (importMispOnThread): the result must be the same as the import on one thread
// (importContent below MISP_THREAD_ITEMS), on both stores: the same objects, labels, index rows,
// summary, refusals and warninglist hits.
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LiaisonError } from '../../src/server/errors.js'
import {
  importContent,
  importMispOnThread,
  mispItemsOf,
  MISP_THREAD_ITEMS,
  type Importer,
  type ImportRequest,
} from '../../src/server/modules/intel/intel.service.js'
import { createOrganisation } from '../../src/server/modules/org/org.service.js'
import { importWarninglist } from '../../src/server/modules/warninglist/warninglist.service.js'
import type { Store } from '../../src/server/store/store.js'
import { CORPUS_DIR } from '../helpers/corpus.js'
import { createUserWithPassword } from '../helpers/factories.js'
import { ipDstEvent, mispEvent } from '../helpers/misp.js'
import { indexRowsOf } from '../helpers/stix.js'
import { createStoreLocation, openTestStore, STORE_KINDS, type TestStoreLocation } from '../helpers/stores.js'

const OPERATOR = { kind: 'cli' as const, osUser: 'misp-thread-test' }

function request(overrides: Partial<ImportRequest> = {}): ImportRequest {
  return { format: 'misp', label: {}, skipInvalid: false, source: 'misp-thread-test', ...overrides }
}

function corpus(relative: string): unknown {
  return JSON.parse(readFileSync(path.join(CORPUS_DIR, 'misp', relative), 'utf8')) as unknown
}

/**
 * An event with what the mapping treats apart: attributes sent to IDS or not, composite values, one
 * for the organisation only (a narrower audience), one with a sighting, an object, an event tag.
 */
function mixedEvent(tags: string[] = ['tlp:amber']): { Event: Record<string, unknown> } {
  const attribute = (type: string, value: string, extra: Record<string, unknown> = {}) => ({
    uuid: randomUUID(),
    type,
    category: type === 'url' || type === 'domain' ? 'Network activity' : 'Payload delivery',
    value,
    to_ids: true,
    timestamp: '1735689600',
    distribution: '5',
    ...extra,
  })
  return mispEvent({
    Tag: tags.map((name) => ({ name })),
    Attribute: [
      attribute('domain', 'bad.example.com'),
      attribute('url', 'http://bad.example.com/x', { to_ids: false }),
      attribute('filename|sha256', `evil.exe|${'ab'.repeat(32)}`),
      attribute('ip-dst', '203.0.113.9', { distribution: '0' }),
      attribute('ip-dst|port', '203.0.113.10|8443', {
        Sighting: [{ uuid: randomUUID(), type: '0', date_sighting: '1735689700', source: 'sensor' }],
      }),
    ],
    Object: [
      {
        uuid: randomUUID(),
        name: 'file',
        meta_category: 'file',
        template_uuid: '688c46fb-5edb-40a3-8273-1af7923e2215',
        template_version: '24',
        timestamp: '1735689600',
        distribution: '5',
        Attribute: [
          attribute('filename', 'dropper.dll', { object_relation: 'filename' }),
          attribute('sha256', 'cd'.repeat(32), { object_relation: 'sha256' }),
        ],
      },
    ],
  })
}

/** Every version an organisation holds, with its label's TLP and audience. */
async function holdings(store: Store, orgId: string): Promise<string[]> {
  const rows = await store.db
    .selectFrom('stix_objects as s')
    .innerJoin('labels as l', 'l.id', 's.label_id')
    .select(['s.id', 's.modified', 's.is_latest', 's.name', 'l.tlp', 'l.audience', 's.json'])
    .where('s.owner_org_id', '=', orgId)
    .execute()
  return rows.map((r) => JSON.stringify(Object.values(r))).sort()
}

/** What an import's summary says, its import id aside (each import has its own). */
function outcome(result: Awaited<ReturnType<typeof importContent>>) {
  const { importId: _importId, ...rest } = result
  return rest
}

describe('mispItemsOf', () => {
  it('counts the attributes and objects of every shape of MISP content', () => {
    const event = { Attribute: [{}, {}, {}], Object: [{}, {}] }
    expect(mispItemsOf(event)).toBe(5)
    expect(mispItemsOf({ Event: event })).toBe(5)
    expect(mispItemsOf({ response: [{ Event: event }, { Event: { Attribute: [{}] } }] })).toBe(6)
    expect(mispItemsOf([{ Event: event }, event])).toBe(10)
    // A restSearch collection of attributes.
    expect(mispItemsOf({ response: { Attribute: [{}, {}] } })).toBe(2)
    expect(mispItemsOf({ Event: { info: 'no attributes' } })).toBe(0)
    expect(mispItemsOf(null)).toBe(0)
    expect(mispItemsOf('text')).toBe(0)
    // A mega-event goes to the thread.
    expect(mispItemsOf(ipDstEvent(Array.from({ length: MISP_THREAD_ITEMS }, () => '10.0.0.1')))).toBe(
      MISP_THREAD_ITEMS,
    )
  })
})

describe.each(STORE_KINDS)('MISP content prepared on a worker thread (%s)', (kind) => {
  let location: TestStoreLocation
  let store: Store

  async function importer(): Promise<Importer> {
    const org = await createOrganisation(store.db, OPERATOR, {
      name: `Thread ${randomUUID().slice(0, 8)}`,
      type: 'national-csirt',
    })
    const { user } = await createUserWithPassword(store, { orgId: org.id })
    return { actor: OPERATOR, orgId: org.id, groupIds: [], userId: user.id }
  }

  beforeAll(async () => {
    location = await createStoreLocation(kind)
    store = await openTestStore(location)
  })
  afterAll(async () => {
    await store.close()
    await location.drop()
  })

  it.each([
    ['a corpus event with objects and galaxies', () => corpus('eset-malware-ioc/windigo/ebury.misp.json')],
    [
      'a corpus event of indicators',
      () => corpus('eset-malware-ioc/dukes/misp-dukes-operation-ghost-event.json'),
    ],
    ['an event with a narrower attribute, a sighting and a TLP tag', () => mixedEvent()],
  ])('stores %s exactly as the import on one thread does', async (_name, content) => {
    const event = content()
    const here = await importer()
    const there = await importer()
    const a = await importContent(store.db, here, event, request())
    const b = await importMispOnThread(store.db, there, event, request())
    expect(a.created).toBeGreaterThan(0)
    expect(outcome(b)).toEqual(outcome(a))
    expect(await holdings(store, there.orgId)).toEqual(await holdings(store, here.orgId))
    expect(await indexRowsOf(store, there.orgId)).toEqual(await indexRowsOf(store, here.orgId))
    // Again: nothing new, as on one thread.
    const again = await importMispOnThread(store.db, there, event, request())
    expect([again.created, again.updated, again.unchanged]).toEqual([0, 0, a.created])
  })

  it('reports mapping, checking and storing as it goes', async () => {
    const mapped: number[] = []
    const checked: number[] = []
    const stored: number[] = []
    const event = ipDstEvent(Array.from({ length: 3000 }, (_, i) => `10.7.${i >> 8}.${i & 0xff}`))
    const result = await importMispOnThread(
      store.db,
      await importer(),
      event,
      request({
        label: { tlp: 'green', audience: 'community' },
        onMap: (done) => mapped.push(done),
        onCheck: (done) => checked.push(done),
        onProgress: (done) => stored.push(done),
      }),
    )
    // Five objects an attribute sent to IDS, and the event's report.
    expect(result.created).toBe(15_001)
    expect(mapped.at(-1)).toBe(3000)
    expect(checked.at(-1)).toBe(15_001)
    expect(stored.length).toBeGreaterThanOrEqual(4)
    expect(stored).toEqual([...stored].sort((x, y) => x - y))
    expect(stored.at(-1)).toBe(15_001)
  })

  it.each([
    ['MISP', { type: 'ip-dst', value: 'not an address' }, /not an address/],
    // Read as MISP, an e-mail attribute of any text; its STIX e-mail address is checked there.
    ['STIX once mapped', { type: 'email-src', value: 'not-an-email' }, /maps to invalid STIX.*not-an-email/],
  ])(
    'refuses content broken as %s with the same problems, and stores nothing; with skipInvalid stores the rest',
    async (_kind, broken, message) => {
      const event = mixedEvent()
      const attributes = event.Event.Attribute as Record<string, unknown>[]
      attributes.push({ ...attributes[0], uuid: randomUUID(), ...broken })
      const here = await importer()
      const there = await importer()
      const oneThread = await importContent(store.db, here, event, request()).catch((e: unknown) => e)
      const onWorker = await importMispOnThread(store.db, there, event, request()).catch((e: unknown) => e)
      expect(oneThread).toBeInstanceOf(LiaisonError)
      expect(onWorker).toBeInstanceOf(LiaisonError)
      expect((onWorker as LiaisonError).message).toBe((oneThread as LiaisonError).message)
      expect((onWorker as LiaisonError).message).toMatch(message)
      expect((onWorker as LiaisonError).details).toEqual((oneThread as LiaisonError).details)
      expect(await holdings(store, there.orgId)).toEqual([])
      expect(await indexRowsOf(store, there.orgId)).toEqual([])

      const a = await importContent(store.db, here, event, request({ skipInvalid: true }))
      const b = await importMispOnThread(store.db, there, event, request({ skipInvalid: true }))
      expect(b.rejected).toBe(1)
      expect(outcome(b)).toEqual(outcome(a))
      expect(await holdings(store, there.orgId)).toEqual(await holdings(store, here.orgId))
    },
  )

  it('refuses TLP:RED content with nobody to name, as on one thread, and stores nothing', async () => {
    const event = mixedEvent(['tlp:red'])
    const nobody = { ...(await importer()), userId: '' }
    const oneThread = await importContent(store.db, nobody, event, request()).catch((e: unknown) => e)
    const onWorker = await importMispOnThread(store.db, nobody, event, request()).catch((e: unknown) => e)
    expect(oneThread).toBeInstanceOf(LiaisonError)
    expect((onWorker as LiaisonError).message).toBe((oneThread as LiaisonError).message)
    expect(await holdings(store, nobody.orgId)).toEqual([])
  })

  it('flags the same warninglist hits (the last test: it enables a list)', async () => {
    await importWarninglist(
      store.db,
      OPERATOR,
      JSON.parse(
        readFileSync(path.join(CORPUS_DIR, 'misp/warninglists/rfc1918/list.json'), 'utf8'),
      ) as unknown,
    )
    // Private addresses, every one on the list; one documentation address, on none.
    const event = ipDstEvent([...Array.from({ length: 300 }, (_, i) => `10.8.1.${i & 0xff}`), '198.51.100.7'])
    const a = await importContent(store.db, await importer(), event, request())
    const b = await importMispOnThread(store.db, await importer(), event, request())
    expect(a.warninglistHits.total).toBeGreaterThanOrEqual(300)
    expect(b.warninglistHits).toEqual(a.warninglistHits)
  })
})
