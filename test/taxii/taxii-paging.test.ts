import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Viewer } from '../../src/core/trust/label.js'
import {
  pageVersionsInScope,
  type ScopedPageFilter,
  type ScopedVersionRow,
  type VersionSelection,
} from '../../src/server/modules/intel/intel.query.js'
import { importContent } from '../../src/server/modules/intel/intel.service.js'
import { createOrganisation } from '../../src/server/modules/org/org.service.js'
import type { Store } from '../../src/server/store/store.js'
import { createStoreLocation, openTestStore, STORE_KINDS, type TestStoreLocation } from '../helpers/stores.js'

/**
 * Paging through a collection where most rows are older versions that the default selection (the
 * latest version) leaves out, so that a page's first candidates are used up by hidden rows: every
 * page size must give each expected row once, in order (PostgreSQL reads candidates in rounds).
 */
describe.each(STORE_KINDS)('TAXII paging over many versions (%s)', (kind) => {
  let location: TestStoreLocation
  let store: Store
  let viewer: Viewer
  const scope = { audience: 'community' as const, sharingGroupId: null }
  /** Every stored version, in the order TAXII lists them: date added, id, owner, modified. */
  let all: ScopedVersionRow[] = []

  beforeAll(async () => {
    location = await createStoreLocation(kind)
    store = await openTestStore(location)
    const operator = { kind: 'cli' as const, osUser: 'paging' }
    const org = await createOrganisation(store.db, operator, { name: 'Paging CSIRT', type: 'national-csirt' })
    const userId = randomUUID()
    viewer = { kind: 'user', userId, orgId: org.id, groupIds: [], peer: false }
    const importer = { actor: operator, orgId: org.id, groupIds: [], userId }
    const ids = Array.from({ length: 7 }, () => `indicator--${randomUUID()}`)
    // Four rounds: each round adds a newer version of every object (one import, one date added).
    for (let round = 0; round < 4; round++) {
      const modified = `2025-01-0${round + 1}T00:00:00.000Z`
      await importContent(
        store.db,
        importer,
        {
          type: 'bundle',
          id: `bundle--${randomUUID()}`,
          objects: ids.map((id, i) => ({
            type: 'indicator',
            spec_version: '2.1',
            id,
            created: '2025-01-01T00:00:00.000Z',
            modified,
            name: `paging ${i} round ${round}`,
            pattern: `[ipv4-addr:value = '192.0.2.${i}']`,
            pattern_type: 'stix',
            valid_from: '2025-01-01T00:00:00.000Z',
          })),
        },
        {
          format: 'stix',
          label: { tlp: 'green', audience: 'community' },
          skipInvalid: false,
          source: 'paging',
        },
        new Date(Date.parse('2026-01-01T00:00:00.000Z') + round * 1000),
      )
    }
    all = await readAll({ all: true }, 1000)
    expect(all).toHaveLength(28)
  })
  afterAll(async () => {
    await store.close()
    await location.drop()
  })

  async function readAll(versions: VersionSelection, pageSize: number): Promise<ScopedVersionRow[]> {
    const out: ScopedVersionRow[] = []
    let after: ScopedPageFilter['after']
    for (let guard = 0; guard < 100; guard++) {
      const rows = await pageVersionsInScope(store.db, viewer, scope, {
        versions,
        limit: pageSize + 1,
        withJson: false,
        ...(after === undefined ? {} : { after }),
      })
      const page = rows.slice(0, pageSize)
      out.push(...page)
      const last = page[page.length - 1]
      if (rows.length <= pageSize || last === undefined) {
        return out
      }
      after = { addedAt: last.added_at, id: last.id, ownerOrgId: last.owner_org_id, modified: last.modified }
    }
    throw new Error('paging did not end')
  }

  const keyOf = (r: ScopedVersionRow) => `${r.id}@${r.modified}`

  it('lists the latest versions once each, in order, whatever the page size', async () => {
    const latest = all.filter((r) => r.modified === '2025-01-04T00:00:00.000Z').map(keyOf)
    expect(latest).toHaveLength(7)
    for (const pageSize of [1, 2, 3, 5, 7, 50]) {
      const read = await readAll(
        { all: false, first: false, last: true, modified: [], addedAt: [] },
        pageSize,
      )
      expect(read.map(keyOf), `page size ${pageSize}`).toEqual(latest)
    }
  })

  it('lists the first versions, and every version, the same way', async () => {
    const first = all.filter((r) => r.modified === '2025-01-01T00:00:00.000Z').map(keyOf)
    for (const pageSize of [1, 4, 50]) {
      const read = await readAll(
        { all: false, first: true, last: false, modified: [], addedAt: [] },
        pageSize,
      )
      expect(read.map(keyOf), `page size ${pageSize}`).toEqual(first)
      expect((await readAll({ all: true }, pageSize)).map(keyOf)).toEqual(all.map(keyOf))
    }
  })
})
