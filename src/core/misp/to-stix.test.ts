import { describe, expect, it } from 'vitest'
import { stixToMispEvent } from './from-stix.js'
import {
  TLP2_MARKING_IDS,
  type JsonValue,
  type MispAttribute,
  type MispEvent,
  type MispGalaxy,
  type MispObject,
  type StixObject,
} from './misp.js'
import { mispEventToStix, TLP2_EXTENSION_ID } from './to-stix.js'
import { MISP_STIX_NAMESPACE, uuidV5 } from './uuid.js'

const ORG_UUID = '55f6ea5e-2c60-40e5-964f-47a8950d210f'
let counter = 0

function nextUuid(): string {
  counter++
  return `3b8d4a2c-1f6e-4d7a-9b0c-${counter.toString(16).padStart(12, '0')}`
}

/** An attribute (ip-dst, to_ids) with `overrides`. */
function makeAttribute(overrides: Partial<MispAttribute> = {}): MispAttribute {
  return {
    uuid: nextUuid(),
    type: 'ip-dst',
    category: 'Network activity',
    value: '198.51.100.7',
    to_ids: true,
    comment: '',
    timestamp: '1717171717',
    Tag: [],
    Sighting: [],
    Galaxy: [],
    ...overrides,
  }
}

/** A published event with `overrides`. */
function makeEvent(overrides: Partial<MispEvent> = {}): MispEvent {
  return {
    uuid: nextUuid(),
    info: 'Test event',
    date: '2024-05-31',
    threat_level_id: '2',
    analysis: '1',
    distribution: '1',
    published: true,
    timestamp: '1717171717',
    publish_timestamp: '1717171800',
    Orgc: { uuid: ORG_UUID, name: 'CIRCL' },
    Tag: [],
    Attribute: [],
    Object: [],
    Galaxy: [],
    Sighting: [],
    ...overrides,
  }
}

function byId(objects: readonly StixObject[], id: string): StixObject {
  const found = objects.find((object) => object.id === id)
  if (found === undefined) {
    throw new Error(`no ${id}`)
  }
  return found
}

function ofType(objects: readonly StixObject[], type: string): StixObject[] {
  return objects.filter((object) => object.type === type)
}

describe('mispEventToStix: the event', () => {
  it('makes a published event a report and an unpublished one a grouping, both referencing everything', () => {
    const attribute = makeAttribute()
    const published = makeEvent({ Attribute: [attribute] })
    const report = byId(mispEventToStix(published).objects, `report--${published.uuid}`)
    expect(report).toMatchObject({
      name: 'Test event',
      report_types: ['threat-report'],
      published: '2024-05-31T16:10:00.000Z',
      created_by_ref: `identity--${ORG_UUID}`,
      created: '2024-05-31T16:08:37.000Z',
    })
    expect(report.object_refs).toEqual(
      expect.arrayContaining([`indicator--${attribute.uuid}`, `observed-data--${attribute.uuid}`]),
    )
    const draft = makeEvent({ published: false, Attribute: [makeAttribute()] })
    expect(byId(mispEventToStix(draft).objects, `grouping--${draft.uuid}`).context).toBe(
      'suspicious-activity',
    )
  })

  it('gives an empty event a note so that its report still references something', () => {
    const empty = makeEvent()
    const { objects } = mispEventToStix(empty)
    expect(byId(objects, `report--${empty.uuid}`).object_refs).toEqual([`note--${empty.uuid}`])
    expect(stixToMispEvent(objects).event.EventReport).toBeUndefined()
  })

  it('is deterministic', () => {
    const event = makeEvent({ Attribute: [makeAttribute(), makeAttribute({ to_ids: false })] })
    expect(mispEventToStix(event)).toEqual(mispEventToStix(event))
  })
})

describe('mispEventToStix: tags, TLP and distribution', () => {
  it.each([
    ['tlp:clear', 'clear'],
    ['tlp:white', 'clear'],
    ['tlp:green', 'green'],
    ['TLP:AMBER', 'amber'],
    ['tlp:amber+strict', 'amber+strict'],
    ['tlp:red', 'red'],
  ] as const)('reads %s as TLP %s and marks the report with the TLP 2.0 definition', (name, tlp) => {
    const event = makeEvent({ Tag: [{ name }] })
    const { objects, tlp: found } = mispEventToStix(event)
    expect(found).toBe(tlp)
    expect(byId(objects, `report--${event.uuid}`).object_marking_refs).toEqual([TLP2_MARKING_IDS[tlp]])
    expect(byId(objects, TLP2_MARKING_IDS[tlp])).toMatchObject({
      type: 'marking-definition',
      name: `TLP:${tlp.toUpperCase()}`,
      extensions: { [TLP2_EXTENSION_ID]: { extension_type: 'property-extension', tlp_2_0: tlp } },
    })
    expect(stixToMispEvent(objects).event.Tag).toEqual([{ name }])
  })

  it('keeps other tags, tlp:ex:chr and tlp:unclear as labels, and takes the strictest TLP', () => {
    const event = makeEvent({
      Tag: [
        { name: 'tlp:green' },
        { name: 'tlp:amber' },
        { name: 'tlp:ex:chr' },
        { name: 'tlp:unclear' },
        { name: 'rsit:malicious-code="c2-server"' },
        { name: 'misp-galaxy:threat-actor="APT28"' },
        { name: 'PAP:AMBER' },
      ],
    })
    const { objects, tlp } = mispEventToStix(event)
    expect(tlp).toBe('amber')
    const report = byId(objects, `report--${event.uuid}`)
    expect(report.labels).toEqual([
      'tlp:ex:chr',
      'tlp:unclear',
      'rsit:malicious-code="c2-server"',
      'misp-galaxy:threat-actor="APT28"',
      'PAP:AMBER',
    ])
    expect(report.object_marking_refs).toEqual([TLP2_MARKING_IDS.green, TLP2_MARKING_IDS.amber])
  })

  it('marks every STIX object of an attribute with its own TLP, without changing the event TLP', () => {
    const attribute = makeAttribute({ Tag: [{ name: 'tlp:red' }, { name: 'osint' }] })
    const { objects, tlp } = mispEventToStix(
      makeEvent({ Attribute: [attribute], Tag: [{ name: 'tlp:amber' }] }),
    )
    expect(tlp).toBe('amber')
    const own = objects.filter(
      (object) => object.id.endsWith(attribute.uuid) || object.type === 'relationship',
    )
    expect(own.map((object) => object.type).sort()).toEqual([
      'indicator',
      'ipv4-addr',
      'network-traffic',
      'observed-data',
      'relationship',
    ])
    for (const object of own) {
      expect(object.object_marking_refs, object.id).toEqual([TLP2_MARKING_IDS.red])
    }
    expect(byId(objects, `indicator--${attribute.uuid}`).labels).toEqual([
      'misp:type="ip-dst"',
      'misp:category="Network activity"',
      'osint',
    ])
  })

  it.each([
    ['0', 'org'],
    ['1', 'community'],
    ['2', 'federation'],
    ['3', 'federation'],
    ['4', 'group'],
  ] as const)('maps distribution %s to the %s audience', (distribution, audience) => {
    expect(mispEventToStix(makeEvent({ distribution })).audience).toBe(audience)
  })

  it('lists the objects whose own distribution is narrower than the event', () => {
    const mine = makeAttribute({ distribution: '0' })
    const inherited = makeAttribute({ distribution: '5' })
    const wider = makeAttribute({ distribution: '3' })
    const { narrowerAudiences } = mispEventToStix(
      makeEvent({ distribution: '1', Attribute: [mine, inherited, wider] }),
    )
    expect(
      Object.keys(narrowerAudiences).every((id) => id.includes(mine.uuid) || id.startsWith('relationship--')),
    ).toBe(true)
    expect(narrowerAudiences[`indicator--${mine.uuid}`]).toBe('org')
    expect(narrowerAudiences[`ipv4-addr--${mine.uuid}`]).toBe('org')
  })

  it('does not export local tags', () => {
    const { objects, problems } = mispEventToStix(makeEvent({ Tag: [{ name: 'internal', local: true }] }))
    expect(objects.some((object) => JSON.stringify(object).includes('internal'))).toBe(false)
    expect(problems).toEqual([expect.objectContaining({ field: 'Tag', severity: 'warning' })])
  })

  it('does not export tags whose definition is not exportable', () => {
    const { objects, problems } = mispEventToStix(
      makeEvent({ Tag: [{ name: 'team:internal-only', exportable: false }, { name: 'shared-tag' }] }),
    )
    const text = JSON.stringify(objects)
    expect(text.includes('team:internal-only')).toBe(false)
    expect(text.includes('shared-tag')).toBe(true)
    expect(problems).toEqual([
      expect.objectContaining({
        field: 'Tag',
        message: expect.stringContaining('non-exportable') as unknown,
      }),
    ])
  })
})

describe('mispEventToStix: attributes', () => {
  it('maps a to_ids attribute to observed-data, SCOs, an indicator and a based-on relationship', () => {
    const attribute = makeAttribute({ type: 'ip-dst|port', value: '198.51.100.7|443', comment: 'C2' })
    const { objects } = mispEventToStix(makeEvent({ Attribute: [attribute] }))
    const indicator = byId(objects, `indicator--${attribute.uuid}`)
    expect(indicator).toMatchObject({
      pattern:
        "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 443]",
      pattern_type: 'stix',
      valid_from: '2024-05-31T16:08:37Z',
      description: 'C2',
      kill_chain_phases: [{ kill_chain_name: 'misp-category', phase_name: 'Network activity' }],
    })
    expect(byId(objects, `network-traffic--${attribute.uuid}`)).toMatchObject({
      dst_ref: `ipv4-addr--${attribute.uuid}`,
      dst_port: 443,
      protocols: ['tcp'],
    })
    const source = `indicator--${attribute.uuid}`
    const target = `observed-data--${attribute.uuid}`
    const relationship = ofType(objects, 'relationship')[0]
    expect(relationship).toMatchObject({
      relationship_type: 'based-on',
      source_ref: source,
      target_ref: target,
    })
    expect(relationship?.id).toBe(
      `relationship--${uuidV5(MISP_STIX_NAMESPACE, `${source} - based-on - ${target}`)}`,
    )
  })

  it('maps an attribute without to_ids to observed-data and SCOs only', () => {
    const attribute = makeAttribute({ type: 'domain', value: 'bad.example', to_ids: false })
    const { objects } = mispEventToStix(makeEvent({ Attribute: [attribute] }))
    expect(ofType(objects, 'indicator')).toEqual([])
    expect(byId(objects, `domain-name--${attribute.uuid}`).value).toBe('bad.example')
  })

  it.each([
    [
      'sha256',
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      "[file:hashes.'SHA-256' = 'e3b0",
    ],
    [
      'filename|md5',
      'a.exe|d41d8cd98f00b204e9800998ecf8427e',
      "[file:name = 'a.exe' AND file:hashes.MD5 = 'd41d",
    ],
    ['url', "http://bad.example/it's", "[url:value = 'http://bad.example/it\\'s']"],
    ['regkey', 'HKLM\\Software\\Run', "[windows-registry-key:key = 'HKLM\\\\Software\\\\Run']"],
    ['AS', 'AS64496', '[autonomous-system:number = 64496]'],
    ['email-src', 'a@bad.example', "[email-message:from_ref.value = 'a@bad.example']"],
  ])('writes the %s pattern', (type, value, start) => {
    const attribute = makeAttribute({ type, value, category: 'Payload delivery' })
    const { objects } = mispEventToStix(makeEvent({ Attribute: [attribute] }))
    expect(String(byId(objects, `indicator--${attribute.uuid}`).pattern).startsWith(start)).toBe(true)
  })

  it('writes rules as indicators of their pattern type, and custom objects for types STIX lacks', () => {
    const rule = makeAttribute({
      type: 'yara',
      category: 'Payload installation',
      value: 'rule a { condition: true }',
    })
    const text = makeAttribute({
      type: 'text',
      category: 'Other',
      value: 'note',
      to_ids: false,
      comment: 'why',
    })
    const { objects } = mispEventToStix(makeEvent({ Attribute: [rule, text] }))
    expect(byId(objects, `indicator--${rule.uuid}`)).toMatchObject({
      pattern: 'rule a { condition: true }',
      pattern_type: 'yara',
    })
    expect(byId(objects, `x-misp-attribute--${text.uuid}`)).toMatchObject({
      x_misp_type: 'text',
      x_misp_value: 'note',
      x_misp_category: 'Other',
      x_misp_comment: 'why',
    })
  })

  it('maps vulnerability and campaign-name attributes to SDOs', () => {
    const cve = makeAttribute({
      type: 'vulnerability',
      category: 'External analysis',
      value: 'CVE-2017-11774',
    })
    const campaign = makeAttribute({
      type: 'campaign-name',
      category: 'Attribution',
      value: 'Op X',
      to_ids: false,
    })
    const { objects } = mispEventToStix(makeEvent({ Attribute: [cve, campaign] }))
    expect(byId(objects, `vulnerability--${cve.uuid}`).external_references).toEqual([
      { source_name: 'cve', external_id: 'CVE-2017-11774' },
    ])
    expect(byId(objects, `campaign--${campaign.uuid}`).name).toBe('Op X')
  })

  it('keeps attachments as artifacts and marks deleted attributes revoked', () => {
    const attachment = makeAttribute({
      type: 'attachment',
      category: 'External analysis',
      value: 'report.txt',
      data: 'aGVsbG8=',
      to_ids: false,
      deleted: true,
    })
    const { objects } = mispEventToStix(makeEvent({ Attribute: [attachment] }))
    expect(byId(objects, `artifact--${attachment.uuid}`).payload_bin).toBe('aGVsbG8=')
    expect(byId(objects, `observed-data--${attachment.uuid}`).revoked).toBe(true)
    expect(stixToMispEvent(objects).event.Attribute[0]).toMatchObject({ data: 'aGVsbG8=', deleted: true })
  })

  it('derives ids for attributes without a usable uuid, and says so', () => {
    const broken = makeAttribute({ uuid: 'a' })
    const { objects, problems } = mispEventToStix(makeEvent({ Attribute: [broken] }))
    expect(problems).toEqual([expect.objectContaining({ path: 'Attribute[0]', uuid: 'a', field: 'uuid' })])
    expect(ofType(objects, 'indicator')[0]?.id).toMatch(/^indicator--[0-9a-f-]{36}$/)
    expect(stixToMispEvent(objects).event.Attribute[0]?.uuid).toBe('a')
  })
})

describe('mispEventToStix: sightings', () => {
  it('maps sightings to sighting, opinion (false positive) and note (expiration) objects', () => {
    const organisation = { uuid: '5c9a1c17-9550-483e-809a-28eab44af9f7', name: 'ORGNAME' }
    const attribute = makeAttribute({
      Sighting: [
        {
          uuid: nextUuid(),
          type: '0',
          date_sighting: '1717171800',
          source: 'honeypot',
          Organisation: organisation,
        },
        { uuid: nextUuid(), type: '1', date_sighting: '1717171900', Organisation: organisation },
        { uuid: nextUuid(), type: '2', date_sighting: '1717172000' },
      ],
    })
    const { objects } = mispEventToStix(makeEvent({ Attribute: [attribute] }))
    const indicator = `indicator--${attribute.uuid}`
    expect(ofType(objects, 'sighting')[0]).toMatchObject({
      sighting_of_ref: indicator,
      where_sighted_refs: [`identity--${organisation.uuid}`],
      count: 1,
      description: 'honeypot',
      first_seen: '2024-05-31T16:10:00.000Z',
    })
    expect(ofType(objects, 'opinion')[0]).toMatchObject({
      opinion: 'strongly-disagree',
      explanation: 'False positive Sighting',
      object_refs: [indicator],
      x_misp_sighting_type: '1',
    })
    expect(ofType(objects, 'note')[0]).toMatchObject({ object_refs: [indicator], x_misp_sighting_type: '2' })
    expect(byId(objects, `identity--${organisation.uuid}`).name).toBe('ORGNAME')
    const back = stixToMispEvent(objects).event.Attribute[0]?.Sighting.map((sighting) => sighting.type)
    expect(back?.sort()).toEqual(['0', '1', '2'])
  })
})

describe('mispEventToStix: galaxies', () => {
  function galaxy(
    type: string,
    name: string,
    value: string,
    meta: MispGalaxy['GalaxyCluster'][number]['meta'],
  ): MispGalaxy {
    return {
      uuid: nextUuid(),
      name,
      type,
      description: `${name} galaxy`,
      GalaxyCluster: [
        {
          uuid: nextUuid(),
          type,
          value,
          tag_name: `misp-galaxy:${type}="${value}"`,
          description: `${value}.`,
          meta,
        },
      ],
    }
  }

  const clusterCases: [string, string, string, Record<string, JsonValue>, string, Record<string, unknown>][] =
    [
      [
        'threat-actor',
        'Threat Actor',
        'APT28',
        { synonyms: ['Sofacy'] },
        'threat-actor',
        { aliases: ['Sofacy'] },
      ],
      [
        'mitre-attack-pattern',
        'Attack Pattern',
        'Access Token Manipulation - T1134',
        { external_id: 'T1134', kill_chain: ['mitre-attack:defense-evasion'] },
        'attack-pattern',
        {
          name: 'Access Token Manipulation',
          kill_chain_phases: [{ kill_chain_name: 'mitre-attack', phase_name: 'defense-evasion' }],
          external_references: [{ source_name: 'mitre-attack', external_id: 'T1134' }],
        },
      ],
      [
        'mitre-malware',
        'Malware',
        'BISCUIT - S0017',
        { external_id: 'S0017' },
        'malware',
        { is_family: true },
      ],
      ['mitre-intrusion-set', 'Intrusion Set', 'APT16', {}, 'intrusion-set', {}],
      ['mitre-tool', 'Tool', 'cmd', {}, 'tool', {}],
      ['mitre-course-of-action', 'Course of Action', 'Block', {}, 'course-of-action', {}],
      ['sector', 'Sector', 'Finance', {}, 'identity', { identity_class: 'class' }],
      ['country', 'Country', 'sweden', { ISO: 'SE' }, 'location', { country: 'SE' }],
      [
        'tea-matrix',
        'Tea Matrix',
        'Milk in tea',
        {},
        'x-misp-galaxy-cluster',
        { x_misp_value: 'Milk in tea' },
      ],
    ]

  it.each(clusterCases)('maps a %s cluster to %s', (type, name, value, meta, sdoType, expected) => {
    const item = galaxy(type, name, value, meta)
    const event = makeEvent({ Galaxy: [item] })
    const { objects } = mispEventToStix(event)
    const cluster = item.GalaxyCluster[0]
    const sdo = byId(objects, `${sdoType}--${cluster?.uuid ?? ''}`)
    expect(sdo).toMatchObject({
      labels: [`misp:galaxy-name="${name}"`, `misp:galaxy-type="${type}"`],
      ...expected,
    })
    const back = stixToMispEvent(objects).event.Galaxy[0]
    expect(back?.uuid).toBe(item.uuid)
    expect(back?.GalaxyCluster[0]).toMatchObject({ uuid: cluster?.uuid, value, meta })
  })

  it('links an attribute to its galaxy clusters with an indicates relationship', () => {
    const actor = galaxy('threat-actor', 'Threat Actor', 'APT28', {})
    const attribute = makeAttribute({ Galaxy: [actor] })
    const { objects } = mispEventToStix(makeEvent({ Attribute: [attribute] }))
    const target = `threat-actor--${actor.GalaxyCluster[0]?.uuid ?? ''}`
    expect(ofType(objects, 'relationship')).toContainEqual(
      expect.objectContaining({
        relationship_type: 'indicates',
        source_ref: `indicator--${attribute.uuid}`,
        target_ref: target,
      }),
    )
    const back = stixToMispEvent(objects).event
    expect(back.Attribute[0]?.Galaxy[0]?.GalaxyCluster[0]?.value).toBe('APT28')
    expect(back.Galaxy).toEqual([])
  })
})

describe('mispEventToStix: objects', () => {
  function fileObject(): MispObject {
    const entry = (relation: string, type: string, value: string, toIds: boolean): MispAttribute =>
      makeAttribute({ object_relation: relation, type, value, to_ids: toIds, category: 'Payload delivery' })
    return {
      uuid: nextUuid(),
      name: 'file',
      'meta-category': 'file',
      template_uuid: '688c46fb-5edb-40a3-8273-1af7923e2215',
      template_version: '24',
      Tag: [],
      Attribute: [
        entry('filename', 'filename', 'dropper.exe', true),
        entry('sha256', 'sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', true),
        entry('size-in-bytes', 'size-in-bytes', '1024', false),
        entry('state', 'text', 'Malicious', false),
      ],
      ObjectReference: [],
    }
  }

  it('maps a file object to one file SCO and an indicator over its to_ids attributes', () => {
    const object = fileObject()
    const { objects } = mispEventToStix(makeEvent({ Object: [object] }))
    expect(byId(objects, `file--${object.uuid}`)).toMatchObject({
      name: 'dropper.exe',
      hashes: { 'SHA-256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
      size: 1024,
      x_misp_state: 'Malicious',
    })
    expect(byId(objects, `indicator--${object.uuid}`).pattern).toBe(
      "[file:name = 'dropper.exe' AND file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']",
    )
    expect(byId(objects, `observed-data--${object.uuid}`).labels).toEqual([
      'misp:name="file"',
      'misp:meta-category="file"',
    ])
  })

  it('keeps unmapped templates as x-misp-object and references as relationships', () => {
    const file = fileObject()
    const custom: MispObject = {
      uuid: nextUuid(),
      name: 'av-signature',
      'meta-category': 'misc',
      Tag: [],
      Attribute: [
        makeAttribute({
          object_relation: 'signature',
          type: 'text',
          category: 'Antivirus detection',
          value: 'Trojan.X',
          to_ids: false,
        }),
      ],
      ObjectReference: [{ uuid: nextUuid(), referenced_uuid: file.uuid, relationship_type: 'Detected As' }],
    }
    const { objects } = mispEventToStix(makeEvent({ Object: [file, custom] }))
    expect(byId(objects, `x-misp-object--${custom.uuid}`)).toMatchObject({
      x_misp_name: 'av-signature',
      x_misp_meta_category: 'misc',
    })
    const reference = custom.ObjectReference[0]
    expect(byId(objects, `relationship--${reference?.uuid ?? ''}`)).toMatchObject({
      relationship_type: 'detected-as',
      source_ref: `x-misp-object--${custom.uuid}`,
      target_ref: `observed-data--${file.uuid}`,
      x_misp_relationship_type: 'Detected As',
    })
    const back = stixToMispEvent(objects).event.Object[1]?.ObjectReference[0]
    expect(back).toMatchObject({ referenced_uuid: file.uuid, relationship_type: 'Detected As' })
  })
  it('still gives the to_ids attributes of an unmapped object indicators, tied to the object', () => {
    const md5 = makeAttribute({
      object_relation: 'md5',
      type: 'md5',
      category: 'Payload delivery',
      value: 'd41d8cd98f00b204e9800998ecf8427e',
    })
    const section: MispObject = {
      uuid: nextUuid(),
      name: 'pe-section',
      'meta-category': 'file',
      Tag: [],
      Attribute: [
        md5,
        makeAttribute({ object_relation: 'name', type: 'text', category: 'Other', value: '.text' }),
      ],
      ObjectReference: [],
    }
    const { objects } = mispEventToStix(makeEvent({ Object: [section] }))
    expect(byId(objects, `indicator--${md5.uuid}`)).toMatchObject({
      pattern: "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
      x_misp_object_ref: `x-misp-object--${section.uuid}`,
    })
    const back = stixToMispEvent(objects).event
    expect(back.Attribute).toEqual([])
    expect(back.Object[0]?.Attribute.map((attribute) => attribute.uuid)).toEqual(
      section.Attribute.map((attribute) => attribute.uuid),
    )
  })
})
