import { CORPUS_DIR } from '../../../test/helpers/corpus.js'
// Every MISP event of the shared corpus: parse it, map it to STIX and back, and check that nothing the
// MISP side cares about (uuids, types, categories, values, to_ids, comments, tags…) is lost.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { stixToMispEvent, toMispJson } from './from-stix.js'
import type { MispAttribute, MispEvent, MispGalaxy, MispSighting } from './misp.js'
import { parseMispContent } from './parse.js'
import { mispEventToStix } from './to-stix.js'

const CORPUS = join(CORPUS_DIR, 'misp')
const ROOTS = ['misp-core', 'misp-rfc', 'pymisp', 'eset-malware-ioc', 'misp-stix/tests']

interface CorpusFile {
  file: string
  json: unknown
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) {
    return []
  }
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name)
      return statSync(path).isDirectory() ? walk(path) : [path]
    })
}

function loadCorpus(): CorpusFile[] {
  const files: CorpusFile[] = []
  for (const path of ROOTS.flatMap((root) => walk(join(CORPUS, root)))) {
    const text = readFileSync(path, 'utf8')
    try {
      files.push({ file: relative(CORPUS, path), json: JSON.parse(text) })
    } catch {
      // CSV exports and the RFC's markdown are not JSON; the RFC's examples are tested in parse.test.ts.
    }
  }
  return files
}

function allAttributes(event: MispEvent): { where: string; attribute: MispAttribute }[] {
  return [
    ...event.Attribute.map((attribute, index) => ({ where: `Attribute[${index}]`, attribute })),
    ...event.Object.flatMap((object, objectIndex) =>
      object.Attribute.map((attribute, index) => ({
        where: `Object[${objectIndex}].Attribute[${index}]`,
        attribute,
      })),
    ),
  ]
}

function exportedTags(tags: readonly { name: string; local?: boolean; exportable?: boolean }[]): string[] {
  return tags
    .filter((tag) => tag.local !== true && tag.exportable !== false)
    .map((tag) => tag.name)
    .sort()
}

/**
 * The clusters of some galaxies as a set of `galaxy uuid / value / cluster uuid`; a cluster the source
 * gave no uuid is compared without one (the STIX side had to derive it), and repeats count once.
 */
function clusterKeys(galaxies: readonly MispGalaxy[], source: readonly MispGalaxy[] = galaxies): string[] {
  const withoutUuid = new Set(
    source.flatMap((galaxy) =>
      galaxy.GalaxyCluster.filter((cluster) => cluster.uuid === '').map((cluster) => cluster.value),
    ),
  )
  const keys = galaxies.flatMap((galaxy) =>
    galaxy.GalaxyCluster.map(
      (cluster) => `${galaxy.uuid}/${cluster.value}/${withoutUuid.has(cluster.value) ? '' : cluster.uuid}`,
    ),
  )
  return [...new Set(keys)].sort()
}

/** Type, date, uuid, source and organisation of each sighting, in a comparable order. */
function sightingKeys(sightings: readonly MispSighting[]): string[] {
  return sightings
    .map((sighting) =>
      [
        sighting.type,
        sighting.date_sighting,
        sighting.uuid,
        sighting.source,
        sighting.Organisation?.uuid,
      ].join(' '),
    )
    .sort()
}

/** Every difference between an event and its STIX round trip, as readable lines. */
function differences(original: MispEvent, back: MispEvent): string[] {
  const out: string[] = []
  const same = (where: string, field: string, a: unknown, b: unknown): void => {
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      out.push(`${where}.${field}: ${JSON.stringify(a)} -> ${JSON.stringify(b)}`)
    }
  }
  if (original.uuid !== '') {
    same('Event', 'uuid', original.uuid, back.uuid)
  }
  for (const field of [
    'info',
    'date',
    'published',
    'threat_level_id',
    'analysis',
    'distribution',
    'timestamp',
  ] as const) {
    same('Event', field, original[field], back[field])
  }
  same('Event', 'Orgc.uuid', original.Orgc?.uuid, back.Orgc?.uuid)
  same('Event', 'Tag', exportedTags(original.Tag), exportedTags(back.Tag))
  same('Event', 'Object.length', original.Object.length, back.Object.length)
  original.Object.forEach((object, index) => {
    const other = back.Object[index]
    if (object.uuid !== '') {
      same(`Object[${index}]`, 'uuid', object.uuid, other?.uuid)
    }
    same(`Object[${index}]`, 'name', object.name, other?.name)
    same(`Object[${index}]`, 'meta-category', object['meta-category'], other?.['meta-category'])
    same(`Object[${index}]`, 'template_uuid', object.template_uuid, other?.template_uuid)
    same(
      `Object[${index}]`,
      'ObjectReference',
      object.ObjectReference.map((reference) => [reference.referenced_uuid, reference.relationship_type]),
      other?.ObjectReference.map((reference) => [reference.referenced_uuid, reference.relationship_type]),
    )
  })
  const before = allAttributes(original)
  const after = allAttributes(back)
  same('Event', 'attributes', before.length, after.length)
  before.forEach(({ where, attribute }, index) => {
    const other = after[index]?.attribute
    if (attribute.uuid !== '') {
      same(where, 'uuid', attribute.uuid, other?.uuid)
    }
    for (const field of [
      'type',
      'category',
      'value',
      'to_ids',
      'comment',
      'object_relation',
      'distribution',
      'timestamp',
      'first_seen',
      'last_seen',
      'data',
      'deleted',
    ] as const) {
      same(where, field, attribute[field], other?.[field])
    }
    same(where, 'Tag', exportedTags(attribute.Tag), exportedTags(other?.Tag ?? []))
    same(where, 'Sighting', sightingKeys(attribute.Sighting), sightingKeys(other?.Sighting ?? []))
    same(where, 'Galaxy', clusterKeys(attribute.Galaxy), clusterKeys(other?.Galaxy ?? [], attribute.Galaxy))
  })
  same('Event', 'Galaxy', clusterKeys(original.Galaxy), clusterKeys(back.Galaxy, original.Galaxy))
  return out
}

/**
 * Paths where the whole-event JSON of an event and of its round trip differ, leaving out what the STIX
 * side does not carry by design: tag colours and flags, the local owner `Org`, galaxy details (compared
 * in {@link differences}), and uuids the source did not have.
 */
function jsonDifferences(original: MispEvent, back: MispEvent): string[] {
  const out: string[] = []
  const walk = (a: unknown, b: unknown, path: string): void => {
    if (JSON.stringify(a) === JSON.stringify(b)) {
      return
    }
    if (path.endsWith('.uuid') && a === '') {
      return
    }
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      a.forEach((item, index) => walk(item, b[index], `${path}[${index}]`))
      return
    }
    if (isPlain(a) && isPlain(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
        walk(a[key], b[key], `${path}.${key}`)
      }
      return
    }
    out.push(`${path}: ${JSON.stringify(a)} -> ${JSON.stringify(b)}`)
  }
  walk(comparable(original), comparable(back), 'Event')
  return out
}

function isPlain(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function comparable(event: MispEvent): Record<string, unknown> {
  const json: Record<string, unknown> = toMispJson(event).Event
  const tidyTags = (holder: Record<string, unknown>): void => {
    if (Array.isArray(holder.Tag)) {
      const tags: unknown[] = holder.Tag
      holder.Tag = tags
        .filter((tag) => !(isPlain(tag) && (tag.local === true || tag.exportable === false)))
        .map((tag) => (isPlain(tag) ? String(tag.name) : String(tag)))
        .sort()
    }
    delete holder.Galaxy
  }
  tidyTags(json)
  delete json.Org
  if (Array.isArray(json.EventReport) && json.EventReport.length === 0) {
    delete json.EventReport
  }
  const objects = Array.isArray(json.Object) ? json.Object.filter(isPlain) : []
  for (const holder of [json, ...objects]) {
    for (const attribute of Array.isArray(holder.Attribute) ? holder.Attribute.filter(isPlain) : []) {
      tidyTags(attribute)
    }
  }
  for (const object of objects) {
    tidyTags(object)
  }
  return json
}

describe('MISP corpus', () => {
  const corpus = loadCorpus()
  const parsed = corpus.map(({ file, json }) => ({ file, ...parseMispContent(json) }))
  // restSearch collections (attributes or objects of no event) are checked against misp-stix's
  // reference bundles in reference.test.ts: they have no event to rebuild.
  const eventFiles = parsed.filter(
    (entry) => entry.events.length > 0 && entry.events.every((event) => event.collection !== true),
  )

  it('parses every event file of the corpus', () => {
    const rows = eventFiles.map(({ file, events, problems }) => ({
      file,
      events: events.length,
      attributes: events.reduce((sum, event) => sum + event.Attribute.length, 0),
      objects: events.reduce((sum, event) => sum + event.Object.length, 0),
      objectAttributes: events.reduce(
        (sum, event) => sum + event.Object.reduce((inner, object) => inner + object.Attribute.length, 0),
        0,
      ),
      errors: problems.filter((problem) => problem.severity === 'error').length,
      warnings: problems.filter((problem) => problem.severity === 'warning').length,
    }))
    const skipped = parsed.filter((entry) => !eventFiles.includes(entry)).map((entry) => entry.file)
    console.table(rows)
    console.log(`not MISP events (detected by content): ${skipped.join(', ')}`)
    const totals = rows.reduce(
      (sum, row) => ({
        events: sum.events + row.events,
        attributes: sum.attributes + row.attributes,
        objects: sum.objects + row.objects,
        objectAttributes: sum.objectAttributes + row.objectAttributes,
      }),
      { events: 0, attributes: 0, objects: 0, objectAttributes: 0 },
    )
    console.log(`corpus totals: ${JSON.stringify(totals)}`)
    expect(eventFiles.length).toBeGreaterThanOrEqual(30)
    expect(totals.attributes + totals.objectAttributes).toBeGreaterThan(1800)
    // Every file that holds events parses without an error, except the PyMISP fixtures that write
    // placeholder uuids on purpose (objects built client-side, uuids "a"/"b"): their only errors.
    for (const { file, problems } of eventFiles) {
      const errors = problems.filter((problem) => problem.severity === 'error')
      if (errors.length > 0) {
        expect(file.startsWith('pymisp/mispevent_testfiles/'), file).toBe(true)
        expect(
          errors.filter((error) => error.field !== 'uuid').map((error) => `${error.path}: ${error.message}`),
          file,
        ).toEqual([])
      }
    }
  })

  it('keeps every uuid, type, category, value, to_ids, comment and tag through MISP -> STIX -> MISP', () => {
    const failures: string[] = []
    let events = 0
    let attributes = 0
    let stixObjects = 0
    for (const { file, events: fileEvents } of eventFiles) {
      for (const event of fileEvents) {
        const stix = mispEventToStix(event)
        const back = stixToMispEvent(stix.objects)
        events++
        attributes += allAttributes(event).length
        stixObjects += stix.objects.length
        for (const line of differences(event, back.event)) {
          failures.push(`${file} ${event.uuid}: ${line}`)
        }
      }
    }
    console.log(`round trip: ${events} events, ${attributes} attributes, ${stixObjects} STIX objects`)
    expect(failures).toEqual([])
  })

  it('rebuilds the whole event, but for tag colours, the local owner and uuids the source lacked', () => {
    const failures: string[] = []
    for (const { file, events } of eventFiles) {
      for (const event of events) {
        const back = stixToMispEvent(mispEventToStix(event).objects).event
        for (const line of jsonDifferences(event, back)) {
          failures.push(`${file} ${event.uuid}: ${line}`)
        }
      }
    }
    expect(failures).toEqual([])
  })

  it('writes STIX ids from the MISP uuids, and objects that are all in the report', () => {
    for (const { events } of eventFiles) {
      for (const event of events) {
        const { objects } = mispEventToStix(event)
        const report = objects.find((object) => object.type === 'report' || object.type === 'grouping')
        expect(report?.id).toBe(`${event.published ? 'report' : 'grouping'}--${report?.id.split('--')[1]}`)
        const ids = objects.map((object) => object.id)
        expect(new Set(ids).size).toBe(ids.length)
        const refs = new Set(report?.object_refs as string[])
        for (const object of objects) {
          const outside = ['identity', 'marking-definition', 'report', 'grouping'].includes(object.type)
          expect(outside || refs.has(object.id), object.id).toBe(true)
        }
        for (const attribute of event.Attribute.filter((item) => item.to_ids && item.uuid !== '')) {
          const derived = ids.filter((id) => id.endsWith(`--${attribute.uuid}`))
          expect(derived.length, `${attribute.type} ${attribute.uuid}`).toBeGreaterThan(0)
        }
      }
    }
  })
})
