// A transaction that stores many objects lets the event loop turn between batches of them: a TAXII
// part of 2,000 objects is stored 500 at a time, so a server's other requests (reads run on their
// own connection) wait for a batch, not for the whole part, and the part still commits once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { storeStixObjects } from '../../src/server/modules/intel/intel.import.js'
import {
  importContext,
  importLabel,
  type Importer,
  type ImportRequest,
} from '../../src/server/modules/intel/intel.service.js'
import { createOrganisation } from '../../src/server/modules/org/org.service.js'
import { TAXII_INGEST_PART, TAXII_STORE_BATCH } from '../../src/server/modules/taxii/taxii.ingest.js'
import type { Store } from '../../src/server/store/store.js'
import { indicator } from '../helpers/stix.js'
import { createStoreLocation, openTestStore, STORE_KINDS, type TestStoreLocation } from '../helpers/stores.js'

const OPERATOR = { kind: 'cli' as const, osUser: 'store-batches-test' }

describe.each(STORE_KINDS)('storing in batches inside one transaction (%s)', (kind) => {
  let location: TestStoreLocation
  let store: Store
  let importer: Importer

  beforeAll(async () => {
    location = await createStoreLocation(kind)
    store = await openTestStore(location)
    const org = await createOrganisation(store.db, OPERATOR, { name: 'CERT Batches', type: 'national-csirt' })
    importer = { actor: OPERATOR, orgId: org.id, groupIds: [], userId: '' }
  })
  afterAll(async () => {
    await store.close()
    await location.drop()
  })

  it('stores a TAXII part batch by batch, letting other work run between, and commits it once', async () => {
    const objects = Array.from({ length: TAXII_INGEST_PART }, () => indicator())
    const stored: number[] = []
    let otherTaskRanAt: number | null = null
    const request: ImportRequest = {
      format: 'stix',
      label: { tlp: 'green', audience: 'community' },
      skipInvalid: false,
      source: 'store-batches-test',
      onProgress: (done) => {
        if (stored.length === 0) {
          setImmediate(() => (otherTaskRanAt = stored.at(-1) ?? null))
        }
        stored.push(done)
      },
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
    expect(stored.slice(0, -1)).toEqual(
      Array.from({ length: objects.length / TAXII_STORE_BATCH - 1 }, (_, i) => (i + 1) * TAXII_STORE_BATCH),
    )
    expect(otherTaskRanAt).toBe(TAXII_STORE_BATCH)
    // One transaction: one import, every version added at its one instant.
    const rows = await store.db
      .selectFrom('stix_objects')
      .select(['import_id', 'added_at'])
      .where(
        'id',
        'in',
        objects.slice(0, 500).map((o) => o.id),
      )
      .execute()
    expect(new Set(rows.map((r) => `${r.import_id} ${r.added_at}`)).size).toBe(1)
  })
})
