import { describe, expect, it } from 'vitest'
import { markingDefinitionForTlp, tlp2DefinitionsFor, type StixObject } from './stix.js'

const AT = '2025-01-01T00:00:00.000Z'
const TLP2_GREEN = 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb'
const TLP2_AMBER_STRICT = 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003'
const TLP2_RED = 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1'
const TLP1_WHITE = 'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9'
const OWN_MARKING = 'marking-definition--55555555-5555-4555-8555-555555555555'

function indicator(uuid: string, markings: Record<string, unknown>): StixObject {
  return {
    type: 'indicator',
    spec_version: '2.1',
    id: `indicator--${uuid}`,
    created: AT,
    modified: AT,
    pattern: "[ipv4-addr:value = '192.0.2.1']",
    pattern_type: 'stix',
    valid_from: AT,
    ...markings,
  }
}

describe('the TLP 2.0 marking definitions that travel with content', () => {
  it('are those named by object or granular markings, once each, in TLP order', () => {
    const objects = [
      indicator('11111111-1111-4111-8111-111111111111', {
        object_marking_refs: [TLP2_RED, OWN_MARKING, TLP1_WHITE],
      }),
      indicator('22222222-2222-4222-8222-222222222222', {
        object_marking_refs: [TLP2_GREEN],
        granular_markings: [{ marking_ref: TLP2_AMBER_STRICT, selectors: ['pattern'] }],
      }),
      indicator('33333333-3333-4333-8333-333333333333', { object_marking_refs: [TLP2_GREEN] }),
    ]
    expect(tlp2DefinitionsFor(objects).map((d) => d.id)).toEqual([TLP2_GREEN, TLP2_AMBER_STRICT, TLP2_RED])
    expect(tlp2DefinitionsFor(objects)[0]).toEqual(markingDefinitionForTlp('green'))
  })

  it('leave out a definition the objects hold themselves, and TLP 1.0 ones (STIX predefines them)', () => {
    const marked = indicator('44444444-4444-4444-8444-444444444444', {
      object_marking_refs: [TLP2_GREEN, TLP1_WHITE],
    })
    expect(tlp2DefinitionsFor([markingDefinitionForTlp('green'), marked])).toEqual([])
    expect(tlp2DefinitionsFor([indicator('55555555-5555-4555-8555-555555555555', {})])).toEqual([])
  })
})
