import { describe, expect, it } from 'vitest'
import { stixToMispEvent } from '../misp/from-stix.js'
import type { StixObject } from '../misp/misp.js'
import { validateStixContent } from '../stix/validate.js'
import { sightingKindOf, sightingObjects, SIGHTING_TYPES, type SightingRecord } from './sighting.js'

const INDICATOR: StixObject = {
  type: 'indicator',
  spec_version: '2.1',
  id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',
  created: '2026-11-01T00:00:00.000Z',
  modified: '2026-11-01T00:00:00.000Z',
  pattern: "[domain-name:value = 'c2.bad.example']",
  pattern_type: 'stix',
  valid_from: '2026-11-01T00:00:00Z',
}
const SCO = { id: 'ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4', type: 'ipv4-addr' }
const REPORTER = { identityId: 'identity--0b9a1f6e-6f4a-4c4e-9a53-0f3c2b1d4e5f', name: 'CERT-Test' }
const IDENTITY: StixObject = {
  type: 'identity',
  spec_version: '2.1',
  id: REPORTER.identityId,
  created: '2026-01-01T00:00:00.000Z',
  modified: '2026-01-01T00:00:00.000Z',
  name: REPORTER.name,
  identity_class: 'organization',
}

function recordOf(overrides: Partial<SightingRecord> = {}): SightingRecord {
  return {
    type: 'sighting',
    targets: [{ id: INDICATOR.id, type: 'indicator' }],
    reporter: REPORTER,
    source: 'honeypot',
    count: 4,
    seenAt: '2026-11-20T08:00:00.000Z',
    now: '2026-11-24T10:00:00.000Z',
    ...overrides,
  }
}

describe('sightingObjects', () => {
  it('writes valid STIX 2.1 for every type and target kind, and reads back as the same kind', () => {
    for (const type of SIGHTING_TYPES) {
      const objects = sightingObjects(
        recordOf({ type, targets: [{ id: INDICATOR.id, type: 'indicator' }, SCO] }),
      )
      expect(validateStixContent(objects).problems, type).toEqual([])
      const kinds = objects.map((o) => sightingKindOf(o)).filter((k) => k !== null)
      expect(kinds, type).toEqual(type === 'sighting' ? ['sighting', 'sighting'] : [type])
    }
  })

  it('sights an SDO directly and an SCO through an observed-data of the reporter', () => {
    const [direct] = sightingObjects(recordOf())
    expect(direct).toMatchObject({
      type: 'sighting',
      sighting_of_ref: INDICATOR.id,
      count: 4,
      first_seen: '2026-11-20T08:00:00.000Z',
      last_seen: '2026-11-20T08:00:00.000Z',
      where_sighted_refs: [REPORTER.identityId],
      created_by_ref: REPORTER.identityId,
      description: 'honeypot',
    })
    const [observed, sighting] = sightingObjects(recordOf({ targets: [SCO] }))
    expect(observed).toMatchObject({ type: 'observed-data', object_refs: [SCO.id], number_observed: 4 })
    expect(sighting).toMatchObject({ sighting_of_ref: observed?.id, observed_data_refs: [observed?.id] })
  })

  it('writes one report about all targets for false positives and expirations', () => {
    const targets = [{ id: INDICATOR.id, type: 'indicator' }, SCO]
    const [fp] = sightingObjects(recordOf({ type: 'false-positive', targets }))
    expect(fp).toMatchObject({
      type: 'opinion',
      opinion: 'strongly-disagree',
      object_refs: [INDICATOR.id, SCO.id],
    })
    const [note] = sightingObjects(recordOf({ type: 'expiration', targets }))
    expect(note).toMatchObject({
      type: 'note',
      object_refs: [INDICATOR.id, SCO.id],
      x_misp_sighting_type: '2',
    })
    expect(sightingObjects(recordOf({ type: 'expiration' }), () => 'fixed')[0]?.id).toBe('note--fixed')
  })

  it('exports to MISP as sightings of types 0, 1 and 2 of the attribute', () => {
    const objects: StixObject[] = [INDICATOR, IDENTITY]
    for (const type of SIGHTING_TYPES) {
      objects.push(...(sightingObjects(recordOf({ type })) as StixObject[]))
    }
    const { event } = stixToMispEvent(objects)
    const attribute = event.Attribute.find((a) => a.uuid === '8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f')
    expect(attribute?.Sighting.map((s) => [s.type, s.source, s.Organisation?.name]).sort()).toEqual([
      ['0', 'honeypot', 'CERT-Test'],
      ['1', 'honeypot', 'CERT-Test'],
      ['2', 'honeypot', 'CERT-Test'],
    ])
  })
})

describe('sightingKindOf', () => {
  it('follows the MISP mapping: strongly-disagree or type 1 is a false positive, only type-2 notes count', () => {
    expect(sightingKindOf({ type: 'opinion', opinion: 'strongly-disagree' })).toBe('false-positive')
    expect(sightingKindOf({ type: 'opinion', opinion: 'disagree', x_misp_sighting_type: '1' })).toBe(
      'false-positive',
    )
    expect(sightingKindOf({ type: 'opinion', opinion: 'agree' })).toBe('opinion')
    expect(sightingKindOf({ type: 'note' })).toBeNull()
    expect(sightingKindOf({ type: 'indicator' })).toBeNull()
  })
})
