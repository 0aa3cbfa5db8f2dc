import { CORPUS_DIR } from '../../../test/helpers/corpus.js'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { stixToMispEvent, toMispJson } from './from-stix.js'
import type { MispEvent, StixObject } from './misp.js'
import { parseMispContent } from './parse.js'
import { mispEventToStix } from './to-stix.js'

const OASIS = join(CORPUS_DIR, 'stix21', 'oasis-examples')
const CREATED = '2024-05-31T16:08:37.000Z'
const ORG = 'identity--9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d'
const GREEN_TLP1 = 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da'
const SHA256 = 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c'

function sdo(type: string, uuid: string, props: Record<string, unknown>): StixObject {
  return { type, spec_version: '2.1', id: `${type}--${uuid}`, created: CREATED, modified: CREATED, ...props }
}

function sco(type: string, uuid: string, props: Record<string, unknown>): StixObject {
  return { type, spec_version: '2.1', id: `${type}--${uuid}`, ...props }
}

/** A bundle from a producer that knows nothing of MISP. */
function foreignBundle(): StixObject[] {
  const indicator = (uuid: string, pattern: string): StixObject =>
    sdo('indicator', uuid, {
      pattern,
      pattern_type: 'stix',
      valid_from: CREATED,
      description: `about ${uuid}`,
    })
  const objects = [
    sdo('identity', '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', {
      name: 'ACME CERT',
      identity_class: 'organization',
    }),
    indicator('11111111-1111-4111-8111-111111111111', "[ipv4-addr:value = '198.51.100.7']"),
    indicator(
      '22222222-2222-4222-8222-222222222222',
      `[file:name = 'a.exe' AND file:hashes.'SHA-256' = '${SHA256}']`,
    ),
    indicator(
      '33333333-3333-4333-8333-333333333333',
      "[domain-name:value = 'a.example' OR domain-name:value = 'b.example']",
    ),
    sdo('indicator', '44444444-4444-4444-8444-444444444444', {
      pattern: 'rule x { condition: true }',
      pattern_type: 'yara',
      valid_from: CREATED,
    }),
    sdo('observed-data', '55555555-5555-4555-8555-555555555555', {
      first_observed: CREATED,
      last_observed: CREATED,
      number_observed: 1,
      object_refs: ['domain-name--66666666-6666-4666-8666-666666666666'],
    }),
    sco('domain-name', '66666666-6666-4666-8666-666666666666', {
      value: 'c2.example',
      resolves_to_refs: ['ipv4-addr--77777777-7777-4777-8777-777777777777'],
    }),
    sco('ipv4-addr', '77777777-7777-4777-8777-777777777777', { value: '203.0.113.9' }),
    sdo('observed-data', '88888888-8888-4888-8888-888888888888', {
      first_observed: CREATED,
      last_observed: CREATED,
      number_observed: 1,
      object_refs: ['file--99999999-9999-4999-8999-999999999999'],
    }),
    sco('file', '99999999-9999-4999-8999-999999999999', {
      name: 'b.dll',
      hashes: { MD5: 'd41d8cd98f00b204e9800998ecf8427e', 'SHA-256': SHA256 },
    }),
    sdo('threat-actor', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', { name: 'Fancy Bear', aliases: ['APT28'] }),
    sdo('relationship', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', {
      relationship_type: 'indicates',
      source_ref: 'indicator--11111111-1111-4111-8111-111111111111',
      target_ref: 'threat-actor--aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
    }),
    sdo('sighting', 'cccccccc-cccc-4ccc-8ccc-cccccccccccc', {
      sighting_of_ref: 'indicator--11111111-1111-4111-8111-111111111111',
      where_sighted_refs: [ORG],
      first_seen: '2024-06-01T00:00:00Z',
      count: 3,
    }),
    sdo('infrastructure', 'dddddddd-dddd-4ddd-8ddd-dddddddddddd', { name: 'Botnet' }),
  ]
  const report = sdo('report', '0f2a3c4d-5e6f-4a1b-8c9d-0e1f2a3b4c5d', {
    name: 'Foreign report',
    published: CREATED,
    report_types: ['threat-report'],
    created_by_ref: ORG,
    labels: ['phishing'],
    object_marking_refs: [GREEN_TLP1],
    object_refs: objects.filter((object) => object.type !== 'identity').map((object) => object.id),
  })
  return [report, ...objects]
}

describe('stixToMispEvent on STIX not written from MISP', () => {
  const { event, problems } = stixToMispEvent(foreignBundle(), { audience: 'community' })
  const attribute = (uuid: string) => event.Attribute.find((item) => item.uuid === uuid)

  it('rebuilds the event header from the report', () => {
    expect(event).toMatchObject({
      uuid: '0f2a3c4d-5e6f-4a1b-8c9d-0e1f2a3b4c5d',
      info: 'Foreign report',
      date: '2024-05-31',
      published: true,
      timestamp: '1717171717',
      publish_timestamp: '1717171717',
      distribution: '1',
      Orgc: { uuid: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', name: 'ACME CERT' },
    })
    expect(event.Tag.map((tag) => tag.name)).toEqual([
      'phishing',
      'tlp:green',
      'misp-galaxy:stix-2.1-threat-actor="Fancy Bear"',
    ])
  })

  it('turns simple patterns into attributes and anything else into stix2-pattern', () => {
    expect(attribute('11111111-1111-4111-8111-111111111111')).toMatchObject({
      type: 'ip-dst',
      category: 'Network activity',
      value: '198.51.100.7',
      to_ids: true,
      comment: 'about 11111111-1111-4111-8111-111111111111',
    })
    expect(attribute('22222222-2222-4222-8222-222222222222')).toMatchObject({
      type: 'filename|sha256',
      value: `a.exe|${SHA256}`,
    })
    expect(attribute('33333333-3333-4333-8333-333333333333')).toMatchObject({
      type: 'stix2-pattern',
      value: "[domain-name:value = 'a.example' OR domain-name:value = 'b.example']",
    })
    expect(attribute('44444444-4444-4444-8444-444444444444')).toMatchObject({ type: 'yara', to_ids: true })
  })

  it('turns SCOs into one attribute when they fit one, else into an object', () => {
    expect(attribute('55555555-5555-4555-8555-555555555555')).toMatchObject({
      type: 'domain|ip',
      value: 'c2.example|203.0.113.9',
      to_ids: false,
    })
    const file = event.Object.find((object) => object.uuid === '88888888-8888-4888-8888-888888888888')
    expect(file?.name).toBe('file')
    expect(file?.Attribute.map((item) => [item.object_relation, item.value])).toEqual([
      ['filename', 'b.dll'],
      ['md5', 'd41d8cd98f00b204e9800998ecf8427e'],
      ['sha256', SHA256],
    ])
  })

  it('turns SDOs into galaxies, links into attribute galaxies, sightings into sightings', () => {
    expect(event.Galaxy[0]).toMatchObject({
      name: 'STIX 2.1 Threat Actor',
      type: 'stix-2.1-threat-actor',
      GalaxyCluster: [
        { uuid: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', value: 'Fancy Bear', meta: { synonyms: ['APT28'] } },
      ],
    })
    const ip = attribute('11111111-1111-4111-8111-111111111111')
    expect(ip?.Galaxy[0]?.GalaxyCluster[0]?.value).toBe('Fancy Bear')
    expect(ip?.Sighting).toEqual([
      expect.objectContaining({
        type: '0',
        date_sighting: '1717200000',
        Organisation: { uuid: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', name: 'ACME CERT' },
      }),
    ])
  })

  it('names what it leaves out', () => {
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          path: 'infrastructure--dddddddd-dddd-4ddd-8ddd-dddddddddddd',
          field: 'type',
        }),
      ]),
    )
  })
})

describe('stixToMispEvent options', () => {
  it('without a report, makes one deterministic event of everything', () => {
    const objects = foreignBundle().slice(1)
    const first = stixToMispEvent(objects, { info: 'Loose objects' }).event
    expect(first.info).toBe('Loose objects')
    expect(first.Attribute.length).toBeGreaterThan(4)
    expect(stixToMispEvent(objects, { info: 'Loose objects' }).event.uuid).toBe(first.uuid)
    expect(stixToMispEvent(objects, { eventUuid: '1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d' }).event.uuid).toBe(
      '1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
    )
  })

  it('picks the report asked for, and says when there are several', () => {
    const other = sdo('grouping', '2f3e4d5c-6b7a-4a1b-8c9d-0e1f2a3b4c5d', {
      name: 'Other',
      context: 'unspecified',
      object_refs: ['indicator--11111111-1111-4111-8111-111111111111'],
    })
    const objects = [...foreignBundle(), other]
    const chosen = stixToMispEvent(objects, { reportId: other.id })
    expect(chosen.event.info).toBe('Other')
    expect(chosen.event.published).toBe(false)
    expect(chosen.event.Attribute).toHaveLength(1)
    const first = stixToMispEvent(objects)
    expect(first.event.info).toBe('Foreign report')
    expect(first.problems).toContainEqual(expect.objectContaining({ field: 'reportId', severity: 'warning' }))
  })

  it('sets the distribution from the audience but keeps an equivalent MISP level', () => {
    const event: MispEvent = {
      ...parseMispContent({
        uuid: '4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b',
        info: 'x',
        date: '2024-01-01',
        distribution: '3',
      }).events[0]!,
    }
    const objects = mispEventToStix(event).objects
    expect(stixToMispEvent(objects, { audience: 'federation' }).event.distribution).toBe('3')
    expect(stixToMispEvent(objects, { audience: 'org' }).event.distribution).toBe('0')
    expect(stixToMispEvent(objects, { audience: 'public' }).event.distribution).toBe('3')
    expect(stixToMispEvent(objects, { tlp: 'amber' }).event.Tag).toEqual([{ name: 'tlp:amber' }])
  })
})

describe('toMispJson', () => {
  it('wraps the event as MISP expects and leaves absent fields out', () => {
    const { event } = stixToMispEvent(foreignBundle())
    const json = toMispJson(event)
    expect(Object.keys(json)).toEqual(['Event'])
    expect(json.Event.uuid).toBe(event.uuid)
    expect(JSON.stringify(json)).not.toContain('undefined')
    const reparsed = parseMispContent(json)
    expect(reparsed.events[0]?.Attribute).toEqual(event.Attribute)
    expect(reparsed.problems.filter((problem) => problem.severity === 'error')).toEqual([])
  })
})

describe('flags MISP states on every attribute and object', () => {
  it('writes deleted and disable_correlation false where nothing set them, true where the STIX says so', () => {
    const revoked = sdo('indicator', '12121212-1212-4212-8212-121212121212', {
      pattern: "[ipv4-addr:value = '192.0.2.77']",
      pattern_type: 'stix',
      valid_from: CREATED,
      revoked: true,
    })
    const { event } = stixToMispEvent([...foreignBundle(), revoked])
    const json = toMispJson(event).Event as {
      Attribute: { value: string; deleted: unknown; disable_correlation: unknown }[]
      Object?: { deleted: unknown; Attribute: { deleted: unknown; disable_correlation: unknown }[] }[]
    }
    expect(json.Attribute.length).toBeGreaterThan(3)
    for (const attribute of json.Attribute) {
      expect(attribute.deleted, attribute.value).toBe(attribute.value === '192.0.2.77')
      expect(attribute.disable_correlation, attribute.value).toBe(false)
    }
    expect(json.Object?.length ?? 0).toBeGreaterThan(0)
    for (const object of json.Object ?? []) {
      expect(object.deleted).toBe(false)
      for (const attribute of object.Attribute) {
        expect([attribute.deleted, attribute.disable_correlation]).toEqual([false, false])
      }
    }
  })
})

describe('the OASIS threat reports', () => {
  function bundle(name: string): StixObject[] {
    const parsed = JSON.parse(readFileSync(join(OASIS, 'threat-reports', name), 'utf8')) as {
      objects: StixObject[]
    }
    return parsed.objects
  }

  it('reads APT1 into attributes, galaxies and their links', () => {
    const { event } = stixToMispEvent(bundle('apt1.json'))
    const types = event.Attribute.map((attribute) => attribute.type)
    expect(types.filter((type) => type === 'ip-dst')).toHaveLength(4)
    expect(types.filter((type) => type === 'domain')).toHaveLength(3)
    expect(types.filter((type) => type === 'md5')).toHaveLength(3)
    expect(types.filter((type) => type === 'stix2-pattern')).toHaveLength(2)
    const galaxyTypes = event.Galaxy.map((galaxy) => galaxy.type).sort()
    expect(galaxyTypes).toEqual([
      'stix-2.1-attack-pattern',
      'stix-2.1-intrusion-set',
      'stix-2.1-malware',
      'stix-2.1-threat-actor',
      'stix-2.1-tool',
    ])
    expect(event.Attribute.some((attribute) => attribute.Galaxy.length > 0)).toBe(true)
  })

  it('reads Poison Ivy, keeping OR patterns whole and vulnerabilities as attributes', () => {
    const { event } = stixToMispEvent(bundle('poisonivy.json'))
    expect(event.Attribute.filter((attribute) => attribute.type === 'vulnerability')).toHaveLength(6)
    const patterns = event.Attribute.filter((attribute) => attribute.type === 'stix2-pattern')
    expect(patterns.every((attribute) => attribute.value.includes(' OR '))).toBe(true)
  })
})
