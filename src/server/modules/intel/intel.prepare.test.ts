import { describe, expect, it } from 'vitest'
import type { StixObject } from '../../../core/stix/stix.js'
import { decodePrepared, encodePrepared, prepareVersion } from './intel.prepare.js'

const RED = 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed'

describe('prepared versions sent between threads', () => {
  it('come back as prepared, rows, provenance and nulls included', () => {
    const objects: StixObject[] = [
      {
        type: 'indicator',
        spec_version: '2.1',
        id: 'indicator--0b9a7c1e-6c5e-4f3a-8d2b-2a2a2a2a2a2a',
        created: '2025-01-01T00:00:00.000Z',
        modified: '2025-01-02T00:00:00.000Z',
        name: 'two addresses\u0000',
        pattern: "[ipv4-addr:value = '198.51.100.1'] OR [ipv4-addr:value = '10.0.0.0/8']",
        pattern_type: 'stix',
        valid_from: '2025-01-01T00:00:00Z',
        valid_until: '2026-01-01T00:00:00Z',
        revoked: true,
        object_marking_refs: [RED],
        created_by_ref: 'identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',
        x_liaison_provenance: {
          origin_instance: { id: 'a1b2c3d4-0000-4000-8000-000000000001', name: 'A' },
          origin_org: 'CERT-A',
          hops: [{ id: 'a1b2c3d4-0000-4000-8000-000000000001', name: 'A' }],
        },
      },
      // An SCO: no modified, no created, no name, no TLP, no rows of references.
      {
        type: 'domain-name',
        spec_version: '2.1',
        id: 'domain-name--1d1fc0a2-5c4a-5e4e-9a8f-6c0d1e1e1e1e',
        value: 'Example.COM',
      },
    ]
    const prepared = objects.map((o) => prepareVersion(o, true))
    const back = decodePrepared(encodePrepared(prepared))
    // Rows come back with their object's id and the owner left for the store to fill.
    expect(back).toEqual(prepared.map((p) => ({ ...p, object: null })))
    const [indicator, domain] = back
    expect(indicator?.modified).toBe('2025-01-02T00:00:00.000Z')
    expect(indicator?.tlp).toBe('red')
    expect(indicator?.revoked).toBe(1)
    expect(indicator?.name).toBe('two addresses\uFFFD')
    expect(indicator?.provenance?.originOrg).toBe('CERT-A')
    expect(JSON.parse(indicator?.json ?? '{}')).not.toHaveProperty('x_liaison_provenance')
    expect(indicator?.rows?.observables.map((o) => [o.key, o.network])).toEqual([
      ['ipv4:198.51.100.1', 0],
      ['ipv4:10.0.0.0/8', 1],
    ])
    expect(indicator?.rows?.refs.map((r) => [r.property, r.to_id])).toEqual([
      ['object_marking_refs', RED],
      ['created_by_ref', 'identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f'],
    ])
    expect(domain).toMatchObject({ modified: '', created: null, name: null, tlp: null, provenance: null })
    expect(domain?.rows?.observables.map((o) => o.key)).toEqual(['domain:example.com'])
  })

  it('are prepared with their object on the storing thread, and with their rows for another', () => {
    const object: StixObject = {
      type: 'ipv4-addr',
      id: 'ipv4-addr--5b2b3ae0-0d4f-5c5e-9f54-1a5e0b5e5e5e',
      value: '192.0.2.1',
    }
    expect(prepareVersion(object, false)).toMatchObject({ object, rows: null })
    expect(prepareVersion(object, true)).toMatchObject({ object: null, rows: { refs: [] } })
  })
})
