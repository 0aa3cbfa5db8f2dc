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
