import { randomUUID } from 'node:crypto'
import type { StixObject } from '../../src/core/stix/stix.js'

let octet = 0

/**
 * A valid STIX 2.1 indicator with a fresh id and an address of its own (203.0.x.y, counted up per
 * test file); any property may be overridden.
 */
export function indicator(overrides: Record<string, unknown> = {}): StixObject {
  octet += 1
  const at = '2025-01-01T00:00:00.000Z'
  return {
    type: 'indicator',
    spec_version: '2.1',
    id: `indicator--${randomUUID()}`,
    created: at,
    modified: at,
    name: `probe ${octet}`,
    pattern: `[ipv4-addr:value = '203.0.${Math.floor(octet / 250) % 250}.${octet % 250}']`,
    pattern_type: 'stix',
    valid_from: at,
    ...overrides,
  }
}

/**
 * A report naming every one of `ids`, and a relationship from each (`indicates` one malware id): the
 * objects through which a reader could learn of ids it may not see. `relationships[i]` starts at
 * `ids[i]`.
 */
export function namingEvery(
  ids: readonly string[],
  at: string,
): { report: StixObject; relationships: StixObject[] } {
  const target = `malware--${randomUUID()}`
  return {
    report: {
      type: 'report',
      spec_version: '2.1',
      id: `report--${randomUUID()}`,
      created: at,
      modified: at,
      name: 'Every probe',
      published: at,
      object_refs: [...ids],
    },
    relationships: ids.map((id) => ({
      type: 'relationship',
      spec_version: '2.1',
      id: `relationship--${randomUUID()}`,
      created: at,
      modified: at,
      relationship_type: 'indicates',
      source_ref: id,
      target_ref: target,
    })),
  }
}
