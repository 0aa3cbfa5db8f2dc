import { randomUUID } from 'node:crypto'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  AUDIENCES,
  canSee,
  PAP_LEVELS,
  TLP_ALLOWED_FOR_AUDIENCE,
  type SharingLabel,
  type Viewer,
} from '../../src/core/trust/label.js'
import { ensureLabel, labelId } from '../../src/server/modules/trust/label.repository.js'
import { visibleLabelIds } from '../../src/server/modules/trust/trust.sql.js'
import type { Store } from '../../src/server/store/store.js'
import { createStoreLocation, openTestStore, STORE_KINDS, type TestStoreLocation } from '../helpers/stores.js'

// Small pools make collisions (same owner, shared groups, named recipients) frequent.
const ORGS = Array.from({ length: 5 }, () => randomUUID())
const GROUPS = Array.from({ length: 4 }, () => randomUUID())
const USERS = Array.from({ length: 8 }, () => randomUUID())

const labelArb: fc.Arbitrary<SharingLabel> = fc
  .record({
    ownerOrg: fc.constantFrom(...ORGS),
    audience: fc.constantFrom(...AUDIENCES),
    pap: fc.constantFrom(...PAP_LEVELS),
    tlpPick: fc.nat(),
    groups: fc.uniqueArray(fc.constantFrom(...GROUPS), { minLength: 1 }),
    recipients: fc.uniqueArray(fc.constantFrom(...USERS), { minLength: 1 }),
  })
  .map(({ ownerOrg, audience, pap, tlpPick, groups, recipients }) => {
    const allowed = TLP_ALLOWED_FOR_AUDIENCE[audience]
    const tlp = allowed[tlpPick % allowed.length] ?? 'clear'
    return {
      ownerOrg,
      tlp,
      pap,
      audience,
      sharingGroups: audience === 'group' ? groups : [],
      recipients: tlp === 'red' ? recipients : [],
    }
  })

const viewerArb: fc.Arbitrary<Viewer> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<Viewer>({ kind: 'anonymous' }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('user' as const),
      userId: fc.constantFrom(...USERS),
      orgId: fc.constantFrom(...ORGS),
      groupIds: fc.uniqueArray(fc.constantFrom(...GROUPS)),
      peer: fc.boolean(),
    }),
  },
)

describe.each(STORE_KINDS)('canSee and its SQL twin agree (%s)', (kind) => {
  let location: TestStoreLocation
  let store: Store

  beforeAll(async () => {
    location = await createStoreLocation(kind)
    store = await openTestStore(location)
  })
  afterAll(async () => {
    await store.close()
    await location.drop()
  })

  it('on thousands of random principals and labels', async () => {
    let compared = 0
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(labelArb, { minLength: 20, maxLength: 60, selector: labelId }),
        fc.array(viewerArb, { minLength: 6, maxLength: 20 }),
        async (labels, viewers) => {
          const ids = await store.db.transaction().execute(async (trx) => {
            const out: string[] = []
            for (const label of labels) {
              out.push(await ensureLabel(trx, label, new Date()))
            }
            return out
          })
          for (const viewer of viewers) {
            const rows = await store.db
              .selectFrom('labels')
              .select('id')
              .where('id', 'in', ids)
              .where('id', 'in', visibleLabelIds(store.db, viewer))
              .execute()
            const bySql = new Set(rows.map((r) => r.id))
            for (const [i, label] of labels.entries()) {
              const id = ids[i] ?? ''
              expect(bySql.has(id), JSON.stringify({ viewer, label })).toBe(canSee(viewer, label))
              compared += 1
            }
          }
        },
      ),
      { numRuns: kind === 'sqlite' ? 150 : 80 },
    )
    expect(compared).toBeGreaterThan(10_000)
  })
})
