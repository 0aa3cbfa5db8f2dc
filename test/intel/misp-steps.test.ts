// A large MISP event takes seconds to map to STIX, check and store: the import does it in steps,
// reporting progress and letting the rest of the process (a server's other requests) run between them.
// So does a TAXII part of 2,000 objects, stored 500 at a time: other requests (reads run on their own
// connection) wait for a batch, not for the whole part, and the part still commits once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { storeStixObjects } from '../../src/server/modules/intel/intel.import.js'
import {
  importContent,
  importContext,
  importLabel,
  type Importer,
  type ImportRequest,
} from '../../src/server/modules/intel/intel.service.js'
import { createOrganisation } from '../../src/server/modules/org/org.service.js'
import { TAXII_INGEST_PART, TAXII_STORE_BATCH } from '../../src/server/modules/taxii/taxii.ingest.js'
import type { Store } from '../../src/server/store/store.js'
import { ipDstEvent } from '../helpers/misp.js'
import { indicator } from '../helpers/stix.js'
import { createStoreLocation, openTestStore, STORE_KINDS, type TestStoreLocation } from '../helpers/stores.js'

const OPERATOR = { kind: 'cli' as const, osUser: 'misp-steps-test' }
const ATTRIBUTES = 5001

/**
 * An import's progress callback that records each count, and the count stored when a task queued
 * at the first report got to run: on SQLite every statement completes at once, so without a turn of
 * the event loop between parts that task (like a server's other requests) waits for the whole import.
 */
function progressProbe(): {
  stored: number[]
  onProgress: (done: number) => void
  otherTaskRanAt: () => number | null
} {
  const stored: number[] = []
  let ranAt: number | null = null
  return {
    stored,
    onProgress: (done) => {
      if (stored.length === 0) {
        setImmediate(() => (ranAt = stored.at(-1) ?? null))
      }
      stored.push(done)
    },
    otherTaskRanAt: () => ranAt,
  }
}

describe.each(STORE_KINDS)('large imports are mapped, checked and stored in steps (%s)', (kind) => {
  let location: TestStoreLocation
  let store: Store
  let importer: Importer

  beforeAll(async () => {
    location = await createStoreLocation(kind)
    store = await openTestStore(location)
    const org = await createOrganisation(store.db, OPERATOR, { name: 'CERT Steps', type: 'national-csirt' })
    importer = { actor: OPERATOR, orgId: org.id, groupIds: [], userId: '' }
  })
  afterAll(async () => {
    await store.close()
    await location.drop()
  })

  it('reports mapping and checking as they go, and lets other work run before the mapping ends', async () => {
    const mapped: [number, number][] = []
    const checked: [number, number][] = []
    // Set by a task queued at the first progress report: how far the mapping was when it ran.
    let otherTaskRanAt: number | null = null
    const summary = await importContent(
      store.db,
      importer,
      ipDstEvent(
        Array.from({ length: ATTRIBUTES }, (_, i) => `10.9.${i >> 8}.${i & 0xff}`),
        { toIds: (i) => i % 2 === 0 },
      ),
      {
        format: 'misp',
        label: { tlp: 'green', audience: 'community' },
        skipInvalid: false,
        source: 'misp-steps-test',
        onMap: (done, total) => {
          if (mapped.length === 0) {
            setImmediate(() => (otherTaskRanAt = mapped.at(-1)?.[0] ?? null))
          }
          mapped.push([done, total])
        },
        onCheck: (done, total) => checked.push([done, total]),
      },
    )
    expect(otherTaskRanAt).not.toBeNull()
    expect(otherTaskRanAt).toBeLessThan(ATTRIBUTES)
    // Mapping: every 2,000 attributes, then all of them.
    expect(mapped).toEqual([
      [2000, ATTRIBUTES],
      [4000, ATTRIBUTES],
      [ATTRIBUTES, ATTRIBUTES],
    ])
    // Checking: every 5,000 mapped objects, rising to all of them, which are then stored.
    const objects = summary.created
    expect(checked.length).toBe(Math.ceil(objects / 5000))
    expect(checked.every(([, total]) => total === objects)).toBe(true)
    expect(checked.map(([done]) => done)).toEqual([...checked.map(([done]) => done)].sort((a, b) => a - b))
    expect(checked.at(-1)).toEqual([objects, objects])
    // The event, its report, and per attribute an observed-data with its SCO, plus an indicator and
    // its relationship for those sent to IDS.
    expect(objects).toBeGreaterThan(ATTRIBUTES * 3)
  })

  it('lets other work run between the parts it stores, inside the one transaction', async () => {
    const probe = progressProbe()
    const summary = await importContent(
      store.db,
      importer,
      ipDstEvent(Array.from({ length: ATTRIBUTES }, (_, i) => `10.10.${i >> 8}.${i & 0xff}`)),
      {
        format: 'misp',
        label: { tlp: 'green', audience: 'community' },
        skipInvalid: false,
        source: 'misp-steps-test',
        onProgress: probe.onProgress,
      },
    )
    expect(probe.stored.length).toBeGreaterThan(2)
    expect(probe.stored.at(-1)).toBe(summary.created)
    expect(probe.otherTaskRanAt()).not.toBeNull()
    expect(probe.otherTaskRanAt()).toBeLessThan(summary.created)
  })

  it('stores a TAXII part batch by batch, letting other work run between, and commits it once', async () => {
    const objects = Array.from({ length: TAXII_INGEST_PART }, () => indicator())
    const probe = progressProbe()
    const request: ImportRequest = {
      format: 'stix',
      label: { tlp: 'green', audience: 'community' },
      skipInvalid: false,
      source: 'misp-steps-test',
      onProgress: probe.onProgress,
    }
    const { label } = await importLabel(store.db, importer, request, {
      contentTlp: null,
      audienceHint: null,
      anyRed: false,
    })
    const summary = await storeStixObjects(
      store.db,
      { ...importContext(importer, request, 'stix', label), batchSize: TAXII_STORE_BATCH },
      objects,
      { problems: [], upgradedFrom20: false },
    )
    expect(summary.created).toBe(objects.length)
    expect(probe.stored.slice(0, -1)).toEqual(
      Array.from({ length: objects.length / TAXII_STORE_BATCH - 1 }, (_, i) => (i + 1) * TAXII_STORE_BATCH),
    )
    expect(probe.otherTaskRanAt()).toBe(TAXII_STORE_BATCH)
    // One transaction: one import, every version added at an instant of its own.
    const rows = await store.db
      .selectFrom('stix_objects')
      .select(['import_id', 'added_at'])
      .where(
        'id',
        'in',
        objects.slice(0, 500).map((o) => o.id),
      )
      .execute()
    expect(new Set(rows.map((r) => r.import_id)).size).toBe(1)
    expect(new Set(rows.map((r) => r.added_at)).size).toBe(rows.length)
  })
})
