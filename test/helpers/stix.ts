import { randomUUID } from 'node:crypto'
import type { StixObject } from '../../src/core/stix/stix.js'
import type { Store } from '../../src/server/store/store.js'

let octet = 0

/** A STIX bundle of `objects`, with a fresh id. */
export function bundleOf(objects: readonly unknown[]): { type: 'bundle'; id: string; objects: unknown[] } {
  return { type: 'bundle', id: `bundle--${randomUUID()}`, objects: [...objects] }
}

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

/**
 * The OASIS TLP 2.0 marking definitions as stix21.md §9.4 gives them, by level: written out here,
 * not taken from the code under test.
 */
export const OASIS_TLP2 = {
  clear: oasisTlp2('TLP:CLEAR', '94868c89-83c2-464b-929b-a1a8aa3c8487', 'clear'),
  green: oasisTlp2('TLP:GREEN', 'bab4a63c-aed9-4cf5-a766-dfca5abac2bb', 'green'),
  amber: oasisTlp2('TLP:AMBER', '55d920b0-5e8b-4f79-9ee9-91f868d9b421', 'amber'),
  'amber+strict': oasisTlp2('TLP:AMBER+STRICT', '939a9414-2ddd-4d32-a0cd-375ea402b003', 'amber+strict'),
  red: oasisTlp2('TLP:RED', 'e828b379-4e03-4974-9ac4-e53a884c97c1', 'red'),
} as const

function oasisTlp2(name: string, uuid: string, value: string): StixObject {
  return {
    type: 'marking-definition',
    spec_version: '2.1',
    id: `marking-definition--${uuid}`,
    created: '2022-10-01T00:00:00.000Z',
    name,
    extensions: {
      'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d': {
        extension_type: 'property-extension',
        tlp_2_0: value,
      },
    },
  }
}

/**
 * An organisation's observable and reference rows, the owner left out, sorted: to compare what two
 * ways of importing the same content built (on a worker thread or on the importing one).
 */
export async function indexRowsOf(store: Store, orgId: string): Promise<string[]> {
  const observables = await store.db
    .selectFrom('observables')
    .select(['object_id', 'kind', 'key', 'range_start', 'range_end', 'network', 'origin'])
    .where('owner_org_id', '=', orgId)
    .execute()
  const refs = await store.db
    .selectFrom('stix_refs')
    .select(['from_id', 'property', 'to_id'])
    .where('owner_org_id', '=', orgId)
    .execute()
  return [...observables, ...refs].map((r) => JSON.stringify(Object.values(r))).sort()
}
