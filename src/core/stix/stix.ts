/**
 * STIX 2.1 vocabulary shared by the validator, the SCO id rules and the converters: object families, the
 * identifier and timestamp formats, and the TLP marking definitions Liaison reads and writes.
 */
import { TLP_LEVELS, type Tlp } from '../trust/label.js'

/** The STIX Domain Object types defined by STIX 2.1. */
export const SDO_TYPES = [
  'attack-pattern',
  'campaign',
  'course-of-action',
  'grouping',
  'identity',
  'incident',
  'indicator',
  'infrastructure',
  'intrusion-set',
  'location',
  'malware',
  'malware-analysis',
  'note',
  'observed-data',
  'opinion',
  'report',
  'threat-actor',
  'tool',
  'vulnerability',
] as const
/** One of {@link SDO_TYPES}. */
export type SdoType = (typeof SDO_TYPES)[number]

/** The STIX Relationship Object types. */
export const SRO_TYPES = ['relationship', 'sighting'] as const
/** One of {@link SRO_TYPES}. */
export type SroType = (typeof SRO_TYPES)[number]

/** The STIX Cyber-observable Object types defined by STIX 2.1. */
export const SCO_TYPES = [
  'artifact',
  'autonomous-system',
  'directory',
  'domain-name',
  'email-addr',
  'email-message',
  'file',
  'ipv4-addr',
  'ipv6-addr',
  'mac-addr',
  'mutex',
  'network-traffic',
  'process',
  'software',
  'url',
  'user-account',
  'windows-registry-key',
  'x509-certificate',
] as const
/** One of {@link SCO_TYPES}. */
export type ScoType = (typeof SCO_TYPES)[number]

/** The STIX meta object types. */
export const META_TYPES = ['marking-definition', 'language-content', 'extension-definition'] as const
/** One of {@link META_TYPES}. */
export type MetaType = (typeof META_TYPES)[number]

/** The object types STIX 2.0 defined (SCOs only existed inside `observed-data.objects`). */
export const STIX20_TYPES = [
  'attack-pattern',
  'campaign',
  'course-of-action',
  'identity',
  'indicator',
  'intrusion-set',
  'malware',
  'observed-data',
  'report',
  'threat-actor',
  'tool',
  'vulnerability',
  'relationship',
  'sighting',
  'marking-definition',
] as const

/** The family of a STIX type: `custom` for a type STIX does not define (`x-mitre-tactic`, `event`, …). */
export type StixFamily = 'sdo' | 'sro' | 'sco' | 'meta' | 'bundle' | 'custom'

/**
 * A STIX object as parsed from JSON: the properties every object has, the rest unchecked. `created` and
 * `modified` are the original strings (never `Date`s, which would lose sub-millisecond precision).
 */
export interface StixObject {
  type: string
  id: string
  spec_version?: string
  created?: string
  modified?: string
  [property: string]: unknown
}

const SDO_SET: ReadonlySet<string> = new Set(SDO_TYPES)
const SRO_SET: ReadonlySet<string> = new Set(SRO_TYPES)
const SCO_SET: ReadonlySet<string> = new Set(SCO_TYPES)
const META_SET: ReadonlySet<string> = new Set(META_TYPES)

/** True for a STIX 2.1 SDO type. */
export function isSdo(type: string): type is SdoType {
  return SDO_SET.has(type)
}

/** True for `relationship` and `sighting`. */
export function isSro(type: string): type is SroType {
  return SRO_SET.has(type)
}

/** True for a STIX 2.1 SCO type (custom observable types are not recognised by name). */
export function isSco(type: string): type is ScoType {
  return SCO_SET.has(type)
}

/** True for `marking-definition`, `language-content` and `extension-definition`. */
export function isMeta(type: string): type is MetaType {
  return META_SET.has(type)
}

/** The family of a type name; `custom` for any type STIX 2.1 does not define. */
export function familyOf(type: string): StixFamily {
  if (SDO_SET.has(type)) {
    return 'sdo'
  }
  if (SRO_SET.has(type)) {
    return 'sro'
  }
  if (SCO_SET.has(type)) {
    return 'sco'
  }
  if (META_SET.has(type)) {
    return 'meta'
  }
  return type === 'bundle' ? 'bundle' : 'custom'
}

/**
 * A STIX type name: 3–250 characters, lower-case ASCII letters, digits and single hyphens, starting with
 * a letter and not ending with a hyphen.
 */
export const STIX_TYPE_RE = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/

/** `<type>--<RFC 4122 UUID>` (upper-case hex accepted in the UUID, as the digest allows on input). */
export const STIX_ID_RE =
  /^([a-z][a-z0-9]*(?:-[a-z0-9]+)*)--([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12})$/

/** True when `value` is a well-formed STIX identifier (any type, RFC 4122 UUID). */
export function isStixId(value: unknown): value is string {
  return typeof value === 'string' && STIX_ID_RE.test(value)
}

/** The type and UUID of a STIX identifier, or null when it is not one. */
export function parseStixId(id: string): { type: string; uuid: string } | null {
  const match = STIX_ID_RE.exec(id)
  if (match === null) {
    return null
  }
  return { type: match[1] ?? '', uuid: (match[2] ?? '').toLowerCase() }
}

/** The type of a well-formed STIX identifier, or null when `value` is not one (cheaper than parsing). */
export function stixIdType(value: string): string | null {
  return STIX_ID_RE.test(value) ? value.slice(0, value.indexOf('--')) : null
}

/** The type part of a STIX identifier (`indicator--…` → `indicator`), or null without `--`. */
export function typeOfStixId(id: string): string | null {
  const at = id.indexOf('--')
  return at <= 0 ? null : id.slice(0, at)
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
const TIMESTAMP_FORMAT_ERROR = 'must be a STIX timestamp (RFC 3339 in UTC, e.g. 2024-05-01T09:30:00.000Z)'

// Hand-written rather than a regex with groups: timestamps are the most frequent values in STIX.
function digitsAt(value: string, start: number, count: number): number {
  let result = 0
  for (let i = start; i < start + count; i++) {
    const digit = value.charCodeAt(i) - 48
    if (digit < 0 || digit > 9) {
      return -1
    }
    result = result * 10 + digit
  }
  return result
}

function hasTimestampShape(value: string): boolean {
  const length = value.length
  if (
    length < 20 ||
    value.charCodeAt(4) !== 45 ||
    value.charCodeAt(7) !== 45 ||
    value.charCodeAt(10) !== 84 ||
    value.charCodeAt(13) !== 58 ||
    value.charCodeAt(16) !== 58 ||
    value.charCodeAt(length - 1) !== 90
  ) {
    return false
  }
  if (length === 20) {
    return true
  }
  // A fraction: a dot and at least one digit.
  if (value.charCodeAt(19) !== 46 || length === 21) {
    return false
  }
  for (let i = 20; i < length - 1; i++) {
    const code = value.charCodeAt(i)
    if (code < 48 || code > 57) {
      return false
    }
  }
  return true
}

/** Why `value` is not a STIX timestamp (RFC 3339, UTC, literal `Z`), or null when it is one. */
export function timestampError(value: string): string | null {
  if (!hasTimestampShape(value)) {
    return TIMESTAMP_FORMAT_ERROR
  }
  const year = digitsAt(value, 0, 4)
  const month = digitsAt(value, 5, 2)
  const day = digitsAt(value, 8, 2)
  const hour = digitsAt(value, 11, 2)
  const minute = digitsAt(value, 14, 2)
  const second = digitsAt(value, 17, 2)
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) {
    return TIMESTAMP_FORMAT_ERROR
  }
  if (month < 1 || month > 12) {
    return 'must be a STIX timestamp with a month from 01 to 12'
  }
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  const days = month === 2 && !leap ? 28 : (DAYS_IN_MONTH[month - 1] ?? 31)
  if (day < 1 || day > days) {
    return `must be a STIX timestamp with a day that exists in ${value.slice(0, 7)}`
  }
  // RFC 3339 allows a leap second, which can only be the last second of a UTC day.
  const leapSecond = second === 60 && hour === 23 && minute === 59
  if (hour > 23 || minute > 59 || (second > 59 && !leapSecond)) {
    return 'must be a STIX timestamp with a time of day up to 23:59:59 (23:59:60 for a leap second)'
  }
  return null
}

/** True when `value` is a STIX timestamp. */
export function isStixTimestamp(value: unknown): value is string {
  return typeof value === 'string' && timestampError(value) === null
}

/** Number of fractional-second digits of a timestamp string (`…:00.123456Z` → 6). */
export function timestampPrecision(value: string): number {
  const dot = value.lastIndexOf('.')
  return dot < 0 ? 0 : value.length - dot - 2
}

/**
 * Compares two STIX timestamps at full precision (negative, zero, positive), without `Date`:
 * `2024-01-01T00:00:00Z` equals `2024-01-01T00:00:00.000Z`, and microseconds count.
 *
 * @example
 * compareStixTimestamps('2024-01-01T00:00:00.0001Z', '2024-01-01T00:00:00.000Z') // 1
 */
export function compareStixTimestamps(a: string, b: string): number {
  const secondsA = a.slice(0, 19)
  const secondsB = b.slice(0, 19)
  if (secondsA !== secondsB) {
    return secondsA < secondsB ? -1 : 1
  }
  const fractionA = fractionDigits(a)
  const fractionB = fractionDigits(b)
  const width = Math.max(fractionA.length, fractionB.length)
  const paddedA = fractionA.padEnd(width, '0')
  const paddedB = fractionB.padEnd(width, '0')
  if (paddedA === paddedB) {
    return 0
  }
  return paddedA < paddedB ? -1 : 1
}

function fractionDigits(timestamp: string): string {
  const dot = timestamp.indexOf('.', 19)
  return dot < 0 ? '' : timestamp.slice(dot + 1, timestamp.length - 1)
}

/** The TLP 1.0 marking definitions predefined by STIX 2.1 (section 7.2.1.4), by TLP 1.0 colour. */
export const TLP1_MARKING_IDS = {
  white: 'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9',
  green: 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da',
  amber: 'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82',
  red: 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed',
} as const

/** `created` of every TLP 1.0 marking definition. */
export const TLP1_CREATED = '2017-01-20T00:00:00.000Z'

/** The OASIS TLP 2.0 marking definitions, by Liaison TLP level. */
export const TLP2_MARKING_IDS: Readonly<Record<Tlp, string>> = {
  clear: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487',
  green: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb',
  amber: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421',
  'amber+strict': 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
  red: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1',
}

/** The property extension the TLP 2.0 marking definitions use. */
export const TLP2_EXTENSION_ID = 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d'

/** `created` of every TLP 2.0 marking definition. */
export const TLP2_CREATED = '2022-10-01T00:00:00.000Z'

const TLP2_NAMES: Readonly<Record<Tlp, string>> = {
  clear: 'TLP:CLEAR',
  green: 'TLP:GREEN',
  amber: 'TLP:AMBER',
  'amber+strict': 'TLP:AMBER+STRICT',
  red: 'TLP:RED',
}

/** A TLP 1.0 colour. */
export type Tlp1Colour = keyof typeof TLP1_MARKING_IDS

const TLP1_COLOUR_BY_ID: ReadonlyMap<string, Tlp1Colour> = new Map<string, Tlp1Colour>([
  [TLP1_MARKING_IDS.white, 'white'],
  [TLP1_MARKING_IDS.green, 'green'],
  [TLP1_MARKING_IDS.amber, 'amber'],
  [TLP1_MARKING_IDS.red, 'red'],
])

/**
 * TLP:AMBER+STRICT as OpenCTI marks it (and pycti and the connectors built on it): OpenCTI keeps the
 * TLP 1.0 ids for the four colours 1.0 has and fixed this id for the one it lacks. Content from
 * OpenCTI marked so is AMBER+STRICT here too (unrecognised, it took the looser import label).
 */
export const OPENCTI_TLP_AMBER_STRICT_ID = 'marking-definition--826578e1-40ad-459f-bc73-ede076f81f37'

const TLP2_BY_ID: ReadonlyMap<string, Tlp> = new Map<string, Tlp>([
  [TLP2_MARKING_IDS.clear, 'clear'],
  [TLP2_MARKING_IDS.green, 'green'],
  [TLP2_MARKING_IDS.amber, 'amber'],
  [TLP2_MARKING_IDS['amber+strict'], 'amber+strict'],
  [TLP2_MARKING_IDS.red, 'red'],
])

/**
 * The Liaison TLP level a marking-definition id stands for (TLP 1.0 or 2.0, or OpenCTI's fixed
 * AMBER+STRICT id), or null when the id is not a TLP marking. TLP is recognised by id only, never by
 * name.
 *
 * @example
 * tlpOfMarkingRef('marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9') // 'clear' (TLP 1.0 WHITE)
 */
export function tlpOfMarkingRef(id: string): Tlp | null {
  const lower = id.toLowerCase()
  const colour = TLP1_COLOUR_BY_ID.get(lower)
  if (colour !== undefined) {
    // TLP 1.0 WHITE is TLP 2.0 CLEAR; TLP 1.0 AMBER is AMBER, never AMBER+STRICT.
    return colour === 'white' ? 'clear' : colour
  }
  return TLP2_BY_ID.get(lower) ?? (lower === OPENCTI_TLP_AMBER_STRICT_ID ? 'amber+strict' : null)
}

/** The TLP 1.0 colour of a TLP 1.0 marking-definition id, or null. */
export function tlp1ColourOfMarkingRef(id: string): Tlp1Colour | null {
  return TLP1_COLOUR_BY_ID.get(id) ?? null
}

/** The TLP level of a TLP 2.0 marking-definition id, or null (TLP 1.0 ids give null). */
export function tlp2OfMarkingRef(id: string): Tlp | null {
  return TLP2_BY_ID.get(id) ?? null
}

/**
 * The exact OASIS TLP 2.0 marking-definition object for a TLP level, to include in exported bundles
 * (consumers do not know TLP 2.0 definitions unless they travel with the content). A fresh copy per call.
 *
 * @example
 * bundle.objects.push(markingDefinitionForTlp('amber+strict'))
 */
export function markingDefinitionForTlp(tlp: Tlp): StixObject {
  return {
    type: 'marking-definition',
    spec_version: '2.1',
    id: TLP2_MARKING_IDS[tlp],
    created: TLP2_CREATED,
    name: TLP2_NAMES[tlp],
    extensions: {
      [TLP2_EXTENSION_ID]: {
        extension_type: 'property-extension',
        tlp_2_0: tlp,
      },
    },
  }
}

/**
 * The OASIS TLP 2.0 marking definitions that some objects reference (in `object_marking_refs` or a
 * granular marking's `marking_ref`) and do not hold themselves, in TLP order: what must travel with
 * them, since STIX 2.1 predefines the TLP 1.0 definitions only (stix21.md §9.4). Fresh copies.
 *
 * @example
 * const objects = [{ type: 'indicator', id, object_marking_refs: [TLP2_MARKING_IDS.green], … }]
 * envelope.objects = [...tlp2DefinitionsFor(objects), ...objects] // TLP:GREEN's definition first
 */
export function tlp2DefinitionsFor(objects: readonly StixObject[]): StixObject[] {
  const referenced = new Set<Tlp>()
  const held = new Set<string>()
  const consider = (ref: unknown): void => {
    const tlp = typeof ref === 'string' ? tlp2OfMarkingRef(ref) : null
    if (tlp !== null) {
      referenced.add(tlp)
    }
  }
  for (const object of objects) {
    held.add(object.id)
    if (Array.isArray(object.object_marking_refs)) {
      object.object_marking_refs.forEach(consider)
    }
    if (Array.isArray(object.granular_markings)) {
      for (const marking of object.granular_markings) {
        if (isJsonObject(marking)) {
          consider(marking.marking_ref)
        }
      }
    }
  }
  return TLP_LEVELS.filter((tlp) => referenced.has(tlp) && !held.has(TLP2_MARKING_IDS[tlp])).map(
    markingDefinitionForTlp,
  )
}

/** True when `value` is a JSON array (typed as `unknown` items, unlike `Array.isArray`). */
export function isJsonArray(value: unknown): value is readonly unknown[] {
  return Array.isArray(value)
}

/** True when `value` is a JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
