/**
 * STIX 2.0 → 2.1: the changes that convert mechanically, and a problem for everything that does not
 * (never a silent guess or drop). Validate the result with `validateStixContent` before storing it.
 */
import { canonicalJson, derivedScoId, ID_CONTRIBUTING_PROPERTIES, seededUuidV4 } from './sco-id.js'
import { familyOf, isJsonArray, isJsonObject, type StixObject } from './stix.js'
import type { StixProblem, StixRule } from './validate.js'

/** What {@link upgradeStix20} produced. */
export interface UpgradeResult {
  /**
   * The objects in input order, 2.1 objects unchanged; the SCOs taken out of an `observed-data.objects`
   * dictionary follow their observed-data.
   */
  readonly objects: StixObject[]
  /** What could not be converted (`rule: 'upgrade'`), with the input index of the object concerned. */
  readonly problems: StixProblem[]
  /** Assumptions the conversion made (`rule: 'assumption'`), e.g. `is_family: true` on 2.0 malware. */
  readonly warnings: StixProblem[]
}

/** 2.0 object types whose `labels` were their type vocabulary, and the 2.1 property for it. */
const TYPE_VOCABULARY: Readonly<Record<string, string>> = {
  indicator: 'indicator_types',
  malware: 'malware_types',
  report: 'report_types',
  'threat-actor': 'threat_actor_types',
  tool: 'tool_types',
}

/** 2.0 SCO properties renamed in 2.1. */
const RENAMED_SCO_PROPERTIES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  file: { created: 'ctime', modified: 'mtime', accessed: 'atime' },
  directory: { created: 'ctime', modified: 'mtime', accessed: 'atime' },
  process: { created: 'created_time', binary_ref: 'image_ref' },
  'user-account': { password_last_changed: 'credential_last_changed' },
  'windows-registry-key': { modified: 'modified_time' },
}

/** 2.0 SCO properties 2.1 dropped without a replacement. */
const REMOVED_SCO_PROPERTIES: Readonly<Record<string, readonly string[]>> = {
  file: ['is_encrypted', 'encryption_algorithm', 'decryption_key'],
  process: ['name', 'arguments'],
}

/** 2.0 SCO extension properties 2.1 dropped, by type and extension. */
const REMOVED_EXTENSION_PROPERTIES: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  file: { 'raster-image-ext': ['image_compression_algorithm'] },
  'network-traffic': { 'socket-ext': ['protocol_family'] },
}

interface Report {
  readonly problems: StixProblem[]
  readonly warnings: StixProblem[]
}

function note(
  list: StixProblem[],
  index: number,
  object: StixObject,
  property: string,
  rule: StixRule,
  text: string,
): void {
  list.push({
    index,
    id: object.id,
    type: object.type,
    property,
    rule,
    message: `object ${index} (${object.id}): ${property === '' ? '' : `${property}: `}${text}`,
  })
}

/**
 * Upgrades STIX 2.0 objects to 2.1: `spec_version: "2.1"`; the `labels` of indicator, malware, report,
 * threat-actor and tool copied to their 2.1 `*_types` vocabulary; `pattern_type: "stix"`;
 * `is_family: true` on malware (reported as an assumption); and `observed-data.objects` turned into
 * top-level SCOs with deterministic ids and `object_refs` (2.0 SCO properties renamed in 2.1 are renamed,
 * removed ones are reported). Objects already declaring `spec_version: "2.1"`, and top-level SCOs, are
 * kept as they are. Inputs are never mutated.
 *
 * @example
 * const checked = validateStixContent(bundle)
 * if (checked.specVersion === '2.0') {
 *   const upgraded = upgradeStix20(checked.objects.map((entry) => entry.object))
 *   const recheck = validateStixContent(upgraded.objects, options)
 * }
 */
export function upgradeStix20(objects: readonly StixObject[]): UpgradeResult {
  const report: Report = { problems: [], warnings: [] }
  const out: StixObject[] = []
  const scos = new Map<string, string>()
  for (let index = 0; index < objects.length; index++) {
    const object = objects[index]
    if (object === undefined) {
      continue
    }
    if (object.spec_version === '2.1' || familyOf(object.type) === 'sco') {
      out.push(object)
      continue
    }
    const upgraded = upgradeObject(object, index, report)
    out.push(upgraded)
    if (
      upgraded.type !== 'observed-data' ||
      !isJsonObject(object.objects) ||
      object.object_refs !== undefined
    ) {
      continue
    }
    const expanded = expandObservation(object, object.objects, index, report)
    if (expanded.length === 0) {
      note(report.problems, index, object, 'objects', 'upgrade', 'no object in it could be converted')
      continue
    }
    for (const sco of expanded) {
      addSco(out, scos, sco, object, index, report)
    }
    upgraded.object_refs = [...new Set(expanded.map((sco) => sco.id))]
    delete upgraded.objects
  }
  return { objects: out, problems: report.problems, warnings: report.warnings }
}

function upgradeObject(object: StixObject, index: number, report: Report): StixObject {
  const upgraded: StixObject = { type: object.type, spec_version: '2.1', id: object.id }
  for (const [property, value] of Object.entries(object)) {
    if (property !== 'type' && property !== 'id' && property !== 'spec_version') {
      upgraded[property] = value
    }
  }
  const vocabulary = TYPE_VOCABULARY[object.type]
  if (vocabulary !== undefined && upgraded[vocabulary] === undefined && isJsonArray(object.labels)) {
    upgraded[vocabulary] = [...object.labels]
  }
  if (object.type === 'indicator' && upgraded.pattern_type === undefined) {
    upgraded.pattern_type = 'stix'
  }
  if (object.type === 'malware' && upgraded.is_family === undefined) {
    upgraded.is_family = true
    note(
      report.warnings,
      index,
      object,
      'is_family',
      'assumption',
      'STIX 2.0 malware does not say whether it is a family: set to true',
    )
  }
  if (object.type === 'observed-data' && object.objects !== undefined && !isJsonObject(object.objects)) {
    note(
      report.problems,
      index,
      object,
      'objects',
      'upgrade',
      'is not a dictionary of objects: not converted',
    )
  }
  return upgraded
}

/**
 * The 2.1 SCOs of a 2.0 `observed-data.objects` dictionary. Local references (`"src_ref": "0"`) become
 * ids; an object's id is derived after the ids it references, since references contribute to it.
 */
function expandObservation(
  observation: StixObject,
  dictionary: Readonly<Record<string, unknown>>,
  index: number,
  report: Report,
): StixObject[] {
  const embedded = new Map<string, Record<string, unknown>>()
  for (const [key, value] of Object.entries(dictionary)) {
    if (!isJsonObject(value) || typeof value.type !== 'string') {
      note(
        report.problems,
        index,
        observation,
        `objects.${key}`,
        'upgrade',
        'is not an object with a type: dropped',
      )
      continue
    }
    embedded.set(key, convertSco(value, value.type, `objects.${key}`, observation, index, report))
  }
  const ids = new Map<string, string>()
  const resolving = new Set<string>()
  const reported = new Set<string>()

  const localRef = (ref: unknown, path: string): string | undefined => {
    if (typeof ref === 'string' && embedded.has(ref)) {
      return idFor(ref)
    }
    // Contributing references are rewritten twice (for the id, then for the object): report once.
    if (!reported.has(path)) {
      reported.add(path)
      const text = `refers to ${JSON.stringify(ref)}, which is not an object in objects: dropped`
      note(report.problems, index, observation, path, 'upgrade', text)
    }
    return undefined
  }

  const rewrite = (value: unknown, name: string, path: string): unknown => {
    if (name.endsWith('_ref')) {
      return localRef(value, path)
    }
    if (name.endsWith('_refs') && Array.isArray(value)) {
      const mapped = value.map((ref, i) => localRef(ref, `${path}[${i}]`)).filter((ref) => ref !== undefined)
      return mapped.length === 0 ? undefined : mapped
    }
    if (Array.isArray(value)) {
      return value.map((item, i) => rewrite(item, '', `${path}[${i}]`))
    }
    if (isJsonObject(value)) {
      const result: Record<string, unknown> = {}
      for (const [key, member] of Object.entries(value)) {
        const rewritten = rewrite(member, key, `${path}.${key}`)
        if (rewritten !== undefined) {
          result[key] = rewritten
        }
      }
      return result
    }
    return value
  }

  const idFor = (key: string): string => {
    const known = ids.get(key)
    if (known !== undefined) {
      return known
    }
    const sco = embedded.get(key)
    const type = typeof sco?.type === 'string' ? sco.type : 'x-unknown'
    const seeded = `${type}--${seededUuidV4(`${observation.id}/${key}`)}`
    if (sco === undefined || resolving.has(key)) {
      // A reference cycle through ID-contributing properties: no deterministic id can exist.
      ids.set(key, seeded)
      return seeded
    }
    resolving.add(key)
    const contributing: Record<string, unknown> = { type }
    for (const property of ID_CONTRIBUTING_PROPERTIES[type] ?? []) {
      if (sco[property] !== undefined) {
        contributing[property] = rewrite(sco[property], property, `objects.${key}.${property}`)
      }
    }
    resolving.delete(key)
    const id = ids.get(key) ?? derivedScoId({ ...contributing, type }) ?? seeded
    ids.set(key, id)
    return id
  }

  const result: StixObject[] = []
  for (const [key, sco] of embedded) {
    const id = idFor(key)
    const type = typeof sco.type === 'string' ? sco.type : 'x-unknown'
    const upgraded: StixObject = { type, spec_version: '2.1', id }
    for (const [property, value] of Object.entries(sco)) {
      if (property === 'type' || property === 'id' || property === 'spec_version') {
        continue
      }
      const rewritten = rewrite(value, property, `objects.${key}.${property}`)
      if (rewritten !== undefined) {
        upgraded[property] = rewritten
      }
    }
    result.push(upgraded)
  }
  return result
}

/** A 2.0 embedded SCO with the 2.1 property names; removed properties are reported and left out. */
function convertSco(
  sco: Readonly<Record<string, unknown>>,
  type: string,
  path: string,
  observation: StixObject,
  index: number,
  report: Report,
): Record<string, unknown> {
  const renamed = RENAMED_SCO_PROPERTIES[type] ?? {}
  const removed = REMOVED_SCO_PROPERTIES[type] ?? []
  const result: Record<string, unknown> = {}
  for (const [property, value] of Object.entries(sco)) {
    if (removed.includes(property)) {
      note(
        report.problems,
        index,
        observation,
        `${path}.${property}`,
        'upgrade',
        `has no STIX 2.1 equivalent on ${type}: dropped`,
      )
      continue
    }
    result[renamed[property] ?? property] = value
  }
  const removedInExtensions = REMOVED_EXTENSION_PROPERTIES[type]
  const extensions = result.extensions
  if (removedInExtensions === undefined || !isJsonObject(extensions)) {
    return result
  }
  const converted: Record<string, unknown> = {}
  for (const [name, extension] of Object.entries(extensions)) {
    const dropped = removedInExtensions[name] ?? []
    if (!isJsonObject(extension) || dropped.length === 0) {
      converted[name] = extension
      continue
    }
    const kept: Record<string, unknown> = {}
    for (const [property, value] of Object.entries(extension)) {
      if (dropped.includes(property)) {
        const at = `${path}.extensions.${name}.${property}`
        note(report.problems, index, observation, at, 'upgrade', `has no STIX 2.1 equivalent: dropped`)
      } else {
        kept[property] = value
      }
    }
    converted[name] = kept
  }
  result.extensions = converted
  return result
}

/** Appends an SCO once per id; the same id with different content is kept and reported. */
function addSco(
  out: StixObject[],
  seen: Map<string, string>,
  sco: StixObject,
  observation: StixObject,
  index: number,
  report: Report,
): void {
  const canonical = canonicalJson(sco)
  const previous = seen.get(sco.id)
  if (previous === canonical) {
    return
  }
  if (previous !== undefined) {
    const text = `${sco.id} differs from an SCO with the same id from another observation: both kept`
    note(report.warnings, index, observation, 'objects', 'assumption', text)
  } else {
    seen.set(sco.id, canonical)
  }
  out.push(sco)
}
