import { describe, expect, it } from 'vitest'
import type { StixObject } from '../../../core/stix/stix.js'
import { indexRowsInTurns, indexRowsOf, INDEX_ROWS_STEP } from './intel.prepare.js'

describe('indexRowsOf: references', () => {
  it('gives one row per property and target, whatever a list repeats', () => {
    const identity = 'identity--6e1b0b3c-2b4c-4b7a-9a3e-1f1f1f1f1f1f'
    const a = 'indicator--0b9a7c1e-6c5e-4f3a-8d2b-2a2a2a2a2a2a'
    const b = 'malware--3c3c3c3c-3c3c-4c3c-8c3c-3c3c3c3c3c3c'
    const report: StixObject = {
      type: 'report',
      id: 'report--5d5d5d5d-5d5d-4d5d-8d5d-5d5d5d5d5d5d',
      created_by_ref: identity,
      object_refs: [a, b, a, identity, b],
      object_marking_refs: [],
      name: 'refs',
    }
    const { refs } = indexRowsOf([report], 'org')
    expect(refs.map((r) => `${r.property} ${r.to_id}`).sort()).toEqual(
      [
        `created_by_ref ${identity}`,
        `object_refs ${a}`,
        `object_refs ${b}`,
        `object_refs ${identity}`,
      ].sort(),
    )
    expect(refs.every((r) => r.from_id === report.id && r.owner_org_id === 'org')).toBe(true)
  })
})

describe('indexRowsInTurns', () => {
  it('gives the rows indexRowsOf gives, letting other work run while it builds many', async () => {
    const members = Array.from(
      { length: INDEX_ROWS_STEP * 2 + 5 },
      (_, i) => `indicator--00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    )
    const report: StixObject = {
      type: 'report',
      id: 'report--5d5d5d5d-5d5d-4d5d-8d5d-5d5d5d5d5d5d',
      object_refs: members,
      name: 'mega',
    }
    const indicator: StixObject = {
      type: 'indicator',
      id: 'indicator--0b9a7c1e-6c5e-4f3a-8d2b-2a2a2a2a2a2a',
      pattern: "[ipv4-addr:value = '198.51.100.1']",
      pattern_type: 'stix',
    }
    let ranDuring = false
    const building = indexRowsInTurns([indicator, report], 'org')
    setImmediate(() => (ranDuring = true))
    const rows = await building
    expect(ranDuring).toBe(true)
    expect(rows).toEqual(indexRowsOf([indicator, report], 'org'))
    expect(rows.refs).toHaveLength(members.length)
    expect(rows.observables.map((o) => o.key)).toEqual(['ipv4:198.51.100.1'])
  })
})
