import { CORPUS_DIR } from '../../../test/helpers/corpus.js'
import { createHash, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { MispProblem } from './misp.js'
import { PARSE_STEP, parseMispContent, parseMispContentSteps, parseMispEvent } from './parse.js'

const EVENT_UUID = '5f0b6c2e-6a35-4d8c-9a3d-0c2f8f3e1a01'
const RFC = join(CORPUS_DIR, 'misp', 'misp-rfc', 'misp-core-format', 'raw.md')

const NEWLINES_RE = /\n\s*/g

let counter = 0

/** A valid attribute; `overrides` replace fields (`undefined` removes one). */
function attribute(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter++
  const uuid = `0d3c1e5a-7b2f-4c6d-8e9f-${counter.toString(16).padStart(12, '0')}`
  return {
    uuid,
    type: 'ip-dst',
    category: 'Network activity',
    value: '198.51.100.7',
    to_ids: true,
    comment: '',
    distribution: '5',
    timestamp: '1717171717',
    ...overrides,
  }
}

/** A valid event holding `content`. */
function event(content: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    uuid: EVENT_UUID,
    info: 'Test event',
    date: '2024-05-31',
    threat_level_id: '2',
    analysis: '1',
    distribution: '1',
    published: true,
    timestamp: '1717171717',
    publish_timestamp: '1717171717',
    Orgc: { uuid: '55f6ea5e-2c60-40e5-964f-47a8950d210f', name: 'CIRCL' },
    ...content,
  }
}

function errors(problems: readonly MispProblem[]): MispProblem[] {
  return problems.filter((problem) => problem.severity === 'error')
}

describe('parseMispContent envelopes', () => {
  it('reads a bare event, an Event wrapper, a response list and arrays of those', () => {
    const one = event({ Attribute: [attribute()] })
    expect(parseMispContent(one).events).toHaveLength(1)
    expect(parseMispContent({ Event: one }).events).toHaveLength(1)
    expect(parseMispContent({ response: [{ Event: one }, { Event: event() }] }).events).toHaveLength(2)
    const broken = event({ Attribute: [attribute({ type: 'nonsense' })] })
    const mixed = parseMispContent([{ Event: one }, one, { response: [{ Event: broken }] }])
    expect(mixed.events).toHaveLength(3)
    expect(errors(mixed.problems)).toEqual([
      expect.objectContaining({ path: 'Event[2].Attribute[0]', field: 'type' }),
    ])
  })

  it('reads restSearch collections of attributes or objects as elements of no event', () => {
    const raw = { response: { Attribute: [attribute(), attribute()] } }
    const attributes = parseMispContent(raw)
    expect(errors(attributes.problems)).toEqual([])
    expect(attributes.events).toHaveLength(1)
    expect(attributes.events[0]).toMatchObject({ collection: true, Tag: [], Object: [] })
    expect(attributes.events[0]?.Attribute).toHaveLength(2)
    // The same content is the same collection (its uuid comes from the content).
    expect(parseMispContent(raw).events[0]?.uuid).toBe(attributes.events[0]?.uuid)
    const objects = parseMispContent({
      response: [{ Object: { name: 'domain-ip', uuid: randomUUID(), Attribute: [attribute()] } }],
    })
    expect(errors(objects.problems)).toEqual([])
    expect(objects.events[0]?.Object).toHaveLength(1)
    const empty = parseMispContent({ response: { Attribute: [] } })
    expect(empty.problems[0]).toMatchObject({ severity: 'error', path: '$.response', field: 'Attribute' })
  })

  it('names what is not an event', () => {
    expect(parseMispContent(42).problems[0]?.message).toContain('not a MISP event')
    expect(parseMispContent([{ Feed: { name: 'x' } }]).problems[0]?.path).toBe('$[0]')
    expect(parseMispEvent('nope').event).toBeNull()
  })

  it('reads numbers and booleans the way MISP writes them, as strings', () => {
    const { events, problems } = parseMispContent({
      Event: event({
        distribution: 3,
        timestamp: 1717171717,
        published: 'true',
        Attribute: [
          attribute({ to_ids: '1', timestamp: 1717171718, distribution: 0, value: 443, type: 'port' }),
        ],
      }),
    })
    expect(errors(problems)).toEqual([])
    const parsed = events[0]
    expect(parsed?.distribution).toBe('3')
    expect(parsed?.timestamp).toBe('1717171717')
    expect(parsed?.published).toBe(true)
    expect(parsed?.Attribute[0]).toMatchObject({
      to_ids: true,
      timestamp: '1717171718',
      distribution: '0',
      value: '443',
    })
  })

  it('keeps tags, galaxies, sightings, objects and references, and EventTag wrappers', () => {
    const { events, problems } = parseMispContent({
      Event: event({
        EventTag: [{ Tag: { name: 'tlp:green', colour: '#33ff00' } }],
        Tag: [{ name: 'rsit:malicious-code="c2-server"' }],
        Attribute: [
          attribute({
            Tag: [{ name: 'tlp:amber' }],
            Sighting: [
              { uuid: '5d7a49a7-8f8c-42a1-8f7b-72e9a964451a', type: '1', date_sighting: '1717171800' },
            ],
          }),
        ],
        Object: [
          {
            uuid: '7a1d0c11-2f4b-4d2e-9c1a-5b6f7e8d9c0b',
            name: 'domain-ip',
            'meta-category': 'network',
            template_uuid: '43b3b146-77eb-4931-b4cc-b66c60f28734',
            template_version: '9',
            Attribute: [attribute({ object_relation: 'ip' })],
            ObjectReference: [{ referenced_uuid: EVENT_UUID, relationship_type: 'related-to' }],
          },
        ],
        Galaxy: [
          {
            uuid: '698774c7-8022-42c4-917f-8d6e4f06ada3',
            name: 'Threat Actor',
            type: 'threat-actor',
            description: 'Threat actors',
            GalaxyCluster: [
              {
                uuid: '7cdff317-a673-4474-84ec-4f1754947823',
                value: 'Sofacy',
                meta: { synonyms: ['APT28'] },
              },
            ],
          },
        ],
      }),
    })
    expect(errors(problems)).toEqual([])
    const parsed = events[0]
    expect(parsed?.Tag.map((tag) => tag.name)).toEqual(['rsit:malicious-code="c2-server"', 'tlp:green'])
    expect(parsed?.Attribute[0]?.Sighting[0]?.type).toBe('1')
    expect(parsed?.Object[0]?.ObjectReference[0]?.relationship_type).toBe('related-to')
    expect(parsed?.Galaxy[0]?.GalaxyCluster[0]).toMatchObject({
      value: 'Sofacy',
      tag_name: 'misp-galaxy:threat-actor="Sofacy"',
      meta: { synonyms: ['APT28'] },
    })
  })
})

describe('parseMispContent validation', () => {
  const check = (bad: Record<string, unknown>): { problems: MispProblem[]; uuid: unknown } => {
    const item = attribute(bad)
    const { problems } = parseMispContent({ Event: event({ Attribute: [attribute(), item] }) })
    return { problems: errors(problems), uuid: item.uuid }
  }

  it.each([
    ['a port-less ip-dst|port', { type: 'ip-dst|port', value: '198.51.100.7' }, 'needs two parts'],
    [
      'a three-part filename|sha256',
      { type: 'filename|sha256', value: `a.exe|b|${'0'.repeat(64)}` },
      'exactly 2 parts',
    ],
    ['an empty part in domain|ip', { type: 'domain|ip', value: 'example.com|' }, 'empty part'],
    ['a 31-digit md5', { type: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427' }, 'has 32 hex digits'],
    ['a non-hex sha256', { type: 'sha256', value: 'z'.repeat(64) }, 'not hexadecimal'],
    ['a short hash in filename|sha1', { type: 'filename|sha1', value: 'a.exe|abc' }, 'second part'],
    ['a malware-sample with a bad md5', { type: 'malware-sample', value: 'a.zip|1234' }, 'has 32 hex digits'],
    ['a port out of range', { type: 'ip-src|port', value: '198.51.100.7|70000' }, 'not a port number'],
  ])('reports %s on the value, naming the attribute', (_name, bad, message) => {
    const { problems, uuid } = check(bad)
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatchObject({ path: 'Event[0].Attribute[1]', uuid, field: 'value' })
    expect(problems[0]?.message).toContain(message)
  })

  it('packs a new malware sample (encrypt set) only from base64, and leaves an existing one as it is', () => {
    const sample = { type: 'malware-sample', category: 'Payload delivery', value: 'a.exe', encrypt: true }
    const bad = check({ ...sample, data: 'not base64!' })
    expect(bad.problems).toEqual([expect.objectContaining({ uuid: bad.uuid, field: 'data' })])
    // Without its file there is nothing to hash: the value stays one part, and says so.
    expect(check(sample).problems).toEqual([expect.objectContaining({ field: 'value' })])
    const packed = parseMispContent({
      Event: event({ Attribute: [attribute({ ...sample, data: 'ewp9Cg==' })] }),
    })
    expect(errors(packed.problems)).toEqual([])
    const md5 = createHash('md5').update(Buffer.from('ewp9Cg==', 'base64')).digest('hex')
    expect(packed.events[0]?.Attribute[0]?.value).toBe(`a.exe|${md5}`)
    expect(packed.events[0]?.Attribute[0]?.data?.startsWith('UEsDB')).toBe(true)
    // An existing sample (name|md5, its archive in data) is kept as sent, encrypt or not.
    const existing = parseMispContent({
      Event: event({
        Attribute: [attribute({ ...sample, value: `a.exe|${'0'.repeat(32)}`, data: 'UEsDBA==' })],
      }),
    })
    expect(existing.events[0]?.Attribute[0]).toMatchObject({
      value: `a.exe|${'0'.repeat(32)}`,
      data: 'UEsDBA==',
    })
  })

  it('accepts regkey|value data holding a bar', () => {
    expect(
      check({ type: 'regkey|value', category: 'Persistence mechanism', value: 'HKLM\\Run|a|b' }).problems,
    ).toEqual([])
  })

  it('reports a bad uuid, an unknown type, an unknown category, bad timestamps and distributions', () => {
    expect(check({ uuid: 'not-a-uuid' }).problems[0]).toMatchObject({ field: 'uuid', uuid: 'not-a-uuid' })
    // A missing uuid is given one from the content (a warning, as MISP gives one), the same each time.
    expect(check({ uuid: undefined }).problems).toEqual([])
    const content = { Event: event({ Attribute: [attribute(), attribute({ uuid: undefined })] }) }
    const first = parseMispContent(content)
    const given = first.events[0]?.Attribute[1]?.uuid ?? ''
    expect(given).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(first.problems.find((p) => p.field === 'uuid')).toMatchObject({
      severity: 'warning',
      message: `missing; given ${given}, derived from the content`,
    })
    expect(parseMispContent(content).events[0]?.Attribute[1]?.uuid).toBe(given)
    expect(check({ type: 'ip-address' }).problems[0]).toMatchObject({
      field: 'type',
      message: "unknown attribute type 'ip-address'",
    })
    expect(check({ category: 'Network' }).problems[0]?.field).toBe('category')
    expect(check({ timestamp: 'yesterday' }).problems[0]?.field).toBe('timestamp')
    expect(check({ timestamp: -5 }).problems[0]?.field).toBe('timestamp')
    expect(check({ distribution: '7' }).problems[0]?.field).toBe('distribution')
    expect(check({ value: '' }).problems[0]?.field).toBe('value')
  })

  it('warns when a type is not listed under its category, and when to_ids is missing', () => {
    const item = attribute({
      type: 'md5',
      category: 'Person',
      value: 'd41d8cd98f00b204e9800998ecf8427e',
      to_ids: undefined,
    })
    const { problems } = parseMispContent(event({ Attribute: [item] }))
    expect(errors(problems)).toEqual([])
    expect(problems.map((problem) => problem.field).sort()).toEqual(['category', 'to_ids'])
  })

  it('checks the event itself and its objects', () => {
    const { problems } = parseMispContent({
      Event: event({
        uuid: 'x',
        date: '31/05/2024',
        distribution: '5',
        info: undefined,
        Object: [
          {
            uuid: '7a1d0c11-2f4b-4d2e-9c1a-5b6f7e8d9c0b',
            'meta-category': 'file',
            Attribute: [attribute({ type: 'filename', category: 'Payload delivery', value: 'a.exe' })],
          },
        ],
      }),
    })
    const found = problems.map((problem) => `${problem.severity} ${problem.path} ${problem.field}`)
    expect(found).toEqual(
      expect.arrayContaining([
        'error Event[0] uuid',
        'error Event[0] info',
        'error Event[0] date',
        'error Event[0] distribution',
        'error Event[0].Object[0] name',
        'warning Event[0].Object[0] template_uuid',
        'warning Event[0].Object[0].Attribute[0] object_relation',
      ]),
    )
  })

  it('reports a uuid used twice in one event', () => {
    const first = attribute()
    const { problems } = parseMispContent(event({ Attribute: [first, { ...first }] }))
    expect(errors(problems)).toEqual([
      expect.objectContaining({ path: 'Event[0].Attribute[1]', field: 'uuid', uuid: first.uuid }),
    ])
  })

  it('drops sightings it cannot read, naming them', () => {
    const { events, problems } = parseMispContent(
      event({ Attribute: [attribute({ Sighting: [{ type: '7', date_sighting: '1' }, { type: '0' }] })] }),
    )
    expect(events[0]?.Attribute[0]?.Sighting).toEqual([])
    expect(errors(problems).map((problem) => `${problem.path} ${problem.field}`)).toEqual([
      'Event[0].Attribute[0].Sighting[0] type',
      'Event[0].Attribute[0].Sighting[1] date_sighting',
    ])
  })
})

describe('the examples of the MISP core format draft', () => {
  it('parses its Attribute, Tag, Sighting and Galaxy examples without errors', () => {
    const text = readFileSync(RFC, 'utf8')
    const blocks = [...text.matchAll(/~~~~~?\n([\s\S]*?)~~~~~?/g)].map((match) => match[1] ?? '')
    const fragments: Record<string, unknown>[] = []
    for (const block of blocks) {
      try {
        // The draft wraps long strings over several lines; joining the lines makes them JSON again.
        const parsed: unknown = JSON.parse(`{${block.replace(NEWLINES_RE, ' ')}}`)
        if (typeof parsed === 'object' && parsed !== null) {
          fragments.push(parsed as Record<string, unknown>)
        }
      } catch {
        // Not a fragment of an event (the JSON schema, the manifest, the analyst-data examples).
      }
    }
    const content: Record<string, unknown> = {}
    for (const fragment of fragments) {
      if ('Attribute' in fragment) {
        content.Attribute = [fragment.Attribute]
      }
      for (const key of ['Tag', 'Sighting', 'Galaxy']) {
        if (key in fragment) {
          content[key] = fragment[key]
        }
      }
    }
    expect(Object.keys(content).sort()).toEqual(['Attribute', 'Galaxy', 'Sighting', 'Tag'])
    const sightings = content.Sighting
    delete content.Sighting
    const attributes = content.Attribute as Record<string, unknown>[]
    attributes[0] = { ...attributes[0], Sighting: sightings }
    const { events, problems } = parseMispContent({ Event: event(content) })
    expect(errors(problems)).toEqual([])
    expect(events[0]?.Attribute[0]?.Sighting.length).toBeGreaterThan(0)
    expect(events[0]?.Galaxy[0]?.GalaxyCluster.length).toBeGreaterThan(0)
  })
})

describe('parseMispContentSteps', () => {
  it('reads in steps of attributes and objects, across events, to what parseMispContent reads', () => {
    const many = (n: number) => Array.from({ length: n }, () => attribute())
    const content = {
      response: [
        { Event: event({ Attribute: many(PARSE_STEP + 10) }) },
        { Event: event({ Attribute: [...many(PARSE_STEP - 5), attribute({ value: undefined })] }) },
      ],
    }
    const steps = parseMispContentSteps(content)
    const yielded: number[] = []
    let step = steps.next()
    while (step.done !== true) {
      yielded.push(step.value)
      step = steps.next()
    }
    expect(yielded).toEqual([PARSE_STEP, 2 * PARSE_STEP])
    expect(step.value).toEqual(parseMispContent(content))
    expect(errors(step.value.problems).map((p) => p.field)).toEqual(['value'])
  })
})
