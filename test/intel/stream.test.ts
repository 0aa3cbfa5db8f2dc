// Large STIX files are imported piece by piece (two passes over the file): the result must be the
// same as importing the whole content, on both stores.
import { randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LiaisonError } from '../../src/server/errors.js'
import { importContent, type Importer } from '../../src/server/modules/intel/intel.service.js'
import { importStixFile } from '../../src/server/modules/intel/intel.stream.js'
import { createOrganisation } from '../../src/server/modules/org/org.service.js'
import { importWarninglist } from '../../src/server/modules/warninglist/warninglist.service.js'
import type { Store } from '../../src/server/store/store.js'
import { CORPUS_DIR } from '../helpers/corpus.js'
import { createUserWithPassword } from '../helpers/factories.js'
import { indexRowsOf } from '../helpers/stix.js'
import { createStoreLocation, openTestStore, STORE_KINDS, type TestStoreLocation } from '../helpers/stores.js'

const OPERATOR = { kind: 'cli' as const, osUser: 'stream-test' }
const RED = 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed'

function request(overrides: { skipInvalid?: boolean; tlp?: 'green' | undefined } = {}) {
  return {
    format: 'stix' as const,
    label: overrides.tlp === undefined ? {} : { tlp: overrides.tlp },
    skipInvalid: overrides.skipInvalid ?? false,
    source: 'stream-test',
  }
}

/** Rows an organisation holds: id, modified, latest flag and the TLP of each row's label. */
async function holdings(store: Store, orgId: string): Promise<string[]> {
  const rows = await store.db
    .selectFrom('stix_objects as s')
    .innerJoin('labels as l', 'l.id', 's.label_id')
    .select(['s.id', 's.modified', 's.is_latest', 'l.tlp', 's.json'])
    .where('s.owner_org_id', '=', orgId)
    .execute()
  return rows.map((r) => `${r.id} ${r.modified} ${r.is_latest} ${r.tlp} ${r.json}`).sort()
}

function indicator(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const id = `indicator--${i.toString(16).padStart(8, '0')}-1111-4111-8111-111111111111`
  return {
    type: 'indicator',
    spec_version: '2.1',
    id,
    created: '2025-01-01T00:00:00.000Z',
    modified: '2025-01-01T00:00:00.000Z',
    pattern: `[ipv4-addr:value = '10.1.${(i >> 8) & 255}.${i & 255}']`,
    pattern_type: 'stix',
    valid_from: '2025-01-01T00:00:00Z',
    ...extra,
  }
}

describe.each(STORE_KINDS)('streaming import of large STIX files (%s)', (kind) => {
  let location: TestStoreLocation
  let store: Store
  let dir: string
  const importers: Importer[] = []

  async function importer(): Promise<Importer> {
    const org = await createOrganisation(store.db, OPERATOR, {
      name: `Stream ${randomUUID().slice(0, 8)}`,
      type: 'national-csirt',
    })
    const { user } = await createUserWithPassword(store, { orgId: org.id })
    const made = { actor: OPERATOR, orgId: org.id, groupIds: [], userId: user.id }
    importers.push(made)
    return made
  }

  function file(content: unknown, raw?: string): string {
    const name = path.join(dir, `${randomUUID()}.json`)
    writeFileSync(name, raw ?? JSON.stringify(content, null, 1))
    return name
  }

  beforeAll(async () => {
    location = await createStoreLocation(kind)
    store = await openTestStore(location)
    dir = mkdtempSync(path.join(tmpdir(), 'liaison-stream-'))
  })
  afterAll(async () => {
    await store.close()
    await location.drop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('stores exactly what a whole import stores, across parts, with the strictest marking applied to all', async () => {
    // 12,001 objects: three parts; the one TLP:RED object comes last, so the label is only known at the end.
    const objects = Array.from({ length: 12_000 }, (_, i) => indicator(i))
    objects.push(indicator(99_999, { object_marking_refs: [RED] }))
    // One object again in a later part, changed: the last occurrence wins as in a whole import.
    objects.push(indicator(3, { name: 'second occurrence' }))
    const bundle = { type: 'bundle', id: `bundle--${randomUUID()}`, objects }
    const whole = await importer()
    const streamed = await importer()
    const a = await importContent(store.db, whole, bundle, request())
    const b = await importStixFile(store.db, streamed, file(bundle), request())
    expect(b).not.toBeNull()
    expect(b?.rejected).toBe(0)
    expect((b?.created ?? 0) + (b?.updated ?? 0)).toBe(a.created + a.updated + 1)
    const wholeRows = (await holdings(store, whole.orgId)).map((r) => r.replace(/ red /, ' X '))
    const streamedRows = (await holdings(store, streamed.orgId)).map((r) => r.replace(/ red /, ' X '))
    expect(streamedRows).toEqual(wholeRows)
    expect(streamedRows.every((r) => r.includes(' X '))).toBe(true)
    expect(streamedRows.find((r) => r.includes('second occurrence'))).toBeDefined()
    const index = await indexRowsOf(store, streamed.orgId)
    // One observable an object, and the TLP:RED marking the last one references.
    expect(index).toHaveLength(12_002)
    expect(index).toEqual(await indexRowsOf(store, whole.orgId))
  })

  it('with a TLP given, stores in one pass what a whole import stores, the file read once', async () => {
    const objects = Array.from({ length: 12_000 }, (_, i) => indicator(400_000 + i))
    objects.push(indicator(499_999, { object_marking_refs: [RED] }))
    objects.push(indicator(400_003, { name: 'second occurrence' }))
    const bundle = { type: 'bundle', id: `bundle--${randomUUID()}`, objects }
    const whole = await importer()
    const streamed = await importer()
    const a = await importContent(store.db, whole, bundle, request({ tlp: 'green' }))
    const checked: number[] = []
    const progress: [number, number][] = []
    const b = await importStixFile(store.db, streamed, file(bundle), {
      ...request({ tlp: 'green' }),
      onCheck: (done) => checked.push(done),
      onProgress: (done, total) => progress.push([done, total]),
    })
    expect(checked).toEqual([])
    // Every object read, the repeated one too (as a whole import counts its progress).
    expect(progress.at(-1)).toEqual([12_002, 12_002])
    expect((b?.created ?? 0) + (b?.updated ?? 0)).toBe(a.created + a.updated + 1)
    expect(await holdings(store, streamed.orgId)).toEqual(
      (await holdings(store, whole.orgId)).map((r) => r.replace(whole.orgId, streamed.orgId)),
    )
    // The one TLP:RED object is red, the rest green, as in the whole import.
    expect((await holdings(store, streamed.orgId)).filter((r) => r.includes(' red ')).length).toBe(1)
    expect(await indexRowsOf(store, streamed.orgId)).toEqual(await indexRowsOf(store, whole.orgId))
  })

  it('refuses TLP:RED content with nobody to name in one pass too, and stores nothing', async () => {
    const objects = Array.from({ length: 6000 }, (_, i) => indicator(500_000 + i))
    objects.push(indicator(599_999, { object_marking_refs: [RED] }))
    const bundle = { type: 'bundle', id: `bundle--${randomUUID()}`, objects }
    const nobody = { ...(await importer()), userId: '' }
    const wholeError = await importContent(store.db, nobody, bundle, request({ tlp: 'green' })).catch(
      (e: unknown) => e,
    )
    const streamError = await importStixFile(store.db, nobody, file(bundle), request({ tlp: 'green' })).catch(
      (e: unknown) => e,
    )
    expect(wholeError).toBeInstanceOf(LiaisonError)
    expect((streamError as LiaisonError).message).toBe((wholeError as LiaisonError).message)
    expect(await holdings(store, nobody.orgId)).toEqual([])
    expect(await indexRowsOf(store, nobody.orgId)).toEqual([])
  })

  it('reports progress batch by batch, also for content imported whole', async () => {
    const objects = Array.from({ length: 12_001 }, (_, i) => indicator(200_000 + i))
    const bundle = { type: 'bundle', id: `bundle--${randomUUID()}`, objects }
    const whole: [number, number][] = []
    const streamed: [number, number][] = []
    await importContent(store.db, await importer(), bundle, {
      ...request(),
      onProgress: (done, total) => whole.push([done, total]),
    })
    await importStixFile(store.db, await importer(), file(bundle), {
      ...request(),
      onProgress: (done, total) => streamed.push([done, total]),
    })
    for (const reports of [whole, streamed]) {
      // Batches of 5,000: three reports, rising, the last one all of it.
      expect(reports.length).toBeGreaterThanOrEqual(3)
      expect(reports.every(([, total]) => total === 12_001)).toBe(true)
      expect(reports.map(([done]) => done)).toEqual([...reports.map(([done]) => done)].sort((a, b) => a - b))
      expect(reports.at(-1)).toEqual([12_001, 12_001])
    }
  })

  it('imports a corpus report the same way, and refuses a broken corpus file whole with every problem', async () => {
    const apt1 = JSON.parse(
      readFileSync(path.join(CORPUS_DIR, 'stix21/oasis-examples/threat-reports/apt1.json'), 'utf8'),
    ) as unknown
    const whole = await importer()
    const streamed = await importer()
    await importContent(store.db, whole, apt1, request({ tlp: 'green' }))
    await importStixFile(store.db, streamed, file(apt1), request({ tlp: 'green' }))
    expect(await holdings(store, streamed.orgId)).toEqual(await holdings(store, whole.orgId))
    const index = await indexRowsOf(store, streamed.orgId)
    expect(index.filter((r) => r.includes('_ref')).length).toBeGreaterThan(10)
    expect(index).toEqual(await indexRowsOf(store, whole.orgId))
  })

  it('refuses a file that changes between its check and its storing, and stores nothing of it', async () => {
    // The second pass reads the file again (on the worker thread): rewritten once checked, with half
    // the objects, it would have stored half; the import fails whole after storing some of its parts.
    const objects = Array.from({ length: 12_000 }, (_, i) => indicator(300_000 + i))
    const name = file({ type: 'bundle', id: `bundle--${randomUUID()}`, objects })
    const size = statSync(name).size
    const someone = await importer()
    const error = await importStixFile(store.db, someone, name, {
      ...request(),
      onCheck: (bytes) => {
        if (bytes === size) {
          writeFileSync(name, JSON.stringify({ type: 'bundle', objects: objects.slice(0, 6000) }))
        }
      },
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LiaisonError)
    expect((error as LiaisonError).message).toMatch(
      /the file changed while it was imported: checked with 12000 objects, it now holds 6000 objects/,
    )
    expect(await holdings(store, someone.orgId)).toEqual([])
    expect(await indexRowsOf(store, someone.orgId)).toEqual([])
  })

  it.each([
    ['two passes', undefined],
    ['one pass', 'green' as const],
  ])(
    'refuses a broken bundle whole with the same problems as a whole import, or stores its valid part (%s)',
    async (_, tlp) => {
      // Problems in two different parts: a broken pattern, and modified before created.
      const objects = Array.from({ length: 6000 }, (_, i) => indicator(i))
      objects[10] = indicator(10, { pattern: "[ipv4-addr:value = '10.0.0.1'" })
      objects[5500] = indicator(5500, { modified: '2024-01-01T00:00:00.000Z' })
      const broken = { type: 'bundle', id: `bundle--${randomUUID()}`, objects }
      const brokenFile = file(broken)
      const someone = await importer()
      const wholeError = await importContent(store.db, someone, broken, request({ tlp })).catch(
        (e: unknown) => e,
      )
      const streamError = await importStixFile(store.db, someone, brokenFile, request({ tlp })).catch(
        (e: unknown) => e,
      )
      expect(wholeError).toBeInstanceOf(LiaisonError)
      expect(streamError).toBeInstanceOf(LiaisonError)
      expect((streamError as LiaisonError).details).toEqual((wholeError as LiaisonError).details)
      expect((streamError as LiaisonError).message).toBe((wholeError as LiaisonError).message)
      expect(await holdings(store, someone.orgId)).toEqual([])
      // --skip-invalid: the valid part, the same rejections.
      const lenientWhole = await importContent(store.db, someone, broken, request({ skipInvalid: true, tlp }))
      const other = await importer()
      const lenientStream = await importStixFile(
        store.db,
        other,
        brokenFile,
        request({ skipInvalid: true, tlp }),
      )
      expect(lenientStream?.rejected).toBe(2)
      expect(lenientStream?.rejected).toBe(lenientWhole.rejected)
      expect(lenientStream?.created).toBe(lenientWhole.created)
      expect(lenientStream?.problems).toEqual(lenientWhole.problems)
      expect(await holdings(store, other.orgId)).toEqual(await holdings(store, someone.orgId))
    },
  )

  it.each([
    ['two passes', undefined],
    ['one pass', 'green' as const],
  ])(
    'leaves STIX 2.0, lists, single objects and MISP to the whole import, and names broken JSON (%s)',
    async (_, tlp) => {
      const someone = await importer()
      const stix20 = {
        type: 'bundle',
        id: `bundle--${randomUUID()}`,
        spec_version: '2.0',
        objects: [
          { type: 'identity', id: `identity--${randomUUID()}`, name: 'x', identity_class: 'organization' },
        ],
      }
      expect(await importStixFile(store.db, someone, file(stix20), request({ tlp }))).toBeNull()
      expect(await importStixFile(store.db, someone, file([indicator(1)]), request({ tlp }))).toBeNull()
      expect(
        await importStixFile(store.db, someone, file({ Event: { info: 'misp' } }), request({ tlp })),
      ).toBeNull()
      const truncated = file(
        null,
        JSON.stringify({ type: 'bundle', objects: [indicator(1), indicator(2)] }).slice(0, -20),
      )
      const error = await importStixFile(store.db, someone, truncated, request({ tlp })).catch(
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(LiaisonError)
      expect((error as LiaisonError).message).toMatch(/not a readable STIX bundle: .*at character/)
      expect(await holdings(store, someone.orgId)).toEqual([])
    },
  )

  it('flags the same warninglist hits in one pass, in two and whole (the last test: it enables a list)', async () => {
    await importWarninglist(
      store.db,
      OPERATOR,
      JSON.parse(
        readFileSync(path.join(CORPUS_DIR, 'misp/warninglists/rfc1918/list.json'), 'utf8'),
      ) as unknown,
    )
    // Private addresses, every one on the list; one public address, on none.
    const objects = Array.from({ length: 6000 }, (_, i) => indicator(600_000 + i))
    objects.push(indicator(699_999, { pattern: "[ipv4-addr:value = '198.51.100.7']" }))
    const bundle = { type: 'bundle', id: `bundle--${randomUUID()}`, objects }
    const name = file(bundle)
    const whole = await importContent(store.db, await importer(), bundle, request({ tlp: 'green' }))
    const twoPasses = await importStixFile(store.db, await importer(), name, request())
    const onePass = await importStixFile(store.db, await importer(), name, request({ tlp: 'green' }))
    expect(whole.warninglistHits.total).toBe(6000)
    expect(twoPasses?.warninglistHits).toEqual(whole.warninglistHits)
    expect(onePass?.warninglistHits).toEqual(whole.warninglistHits)
  })
})
