// A large MISP event takes seconds to map to STIX, check and store: the import does it in steps,
// reporting progress and letting the rest of the process (a server's other requests) run between them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importContent, type Importer } from '../../src/server/modules/intel/intel.service.js'
import { createOrganisation } from '../../src/server/modules/org/org.service.js'
import type { Store } from '../../src/server/store/store.js'
import { ipDstEvent } from '../helpers/misp.js'
import { createStoreLocation, openTestStore, STORE_KINDS, type TestStoreLocation } from '../helpers/stores.js'

const OPERATOR = { kind: 'cli' as const, osUser: 'misp-steps-test' }
const ATTRIBUTES = 5001

describe.each(STORE_KINDS)('a large MISP event is mapped and checked in steps (%s)', (kind) => {
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
    const stored: number[] = []
    let otherTaskRanAt: number | null = null
    const summary = await importContent(
      store.db,
      importer,
      ipDstEvent(Array.from({ length: ATTRIBUTES }, (_, i) => `10.10.${i >> 8}.${i & 0xff}`)),
      {
        format: 'misp',
        label: { tlp: 'green', audience: 'community' },
        skipInvalid: false,
        source: 'misp-steps-test',
        onProgress: (done) => {
          if (stored.length === 0) {
            // On SQLite every statement completes at once: without a turn of the event loop between
            // parts, this would wait for the whole import (as would a server's other requests).
            setImmediate(() => (otherTaskRanAt = stored.at(-1) ?? null))
          }
          stored.push(done)
        },
      },
    )
    expect(stored.length).toBeGreaterThan(2)
    expect(stored.at(-1)).toBe(summary.created)
    expect(otherTaskRanAt).not.toBeNull()
    expect(otherTaskRanAt).toBeLessThan(summary.created)
  })
})
