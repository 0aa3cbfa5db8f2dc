// The MISP core format (draft-dulaunoy-misp-core-format) as Liaison reads and writes it. Field names keep
// MISP's own spelling (snake_case, capitalised nested models) so toMispJson is a plain serialisation.

/** A JSON value, as found in galaxy cluster `meta` and other free-form MISP fields. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/**
 * A STIX 2.1 object as this module produces and consumes it: the common properties typed, the rest open.
 * Defined here so the MISP mapping does not depend on the STIX store's own model.
 */
export interface StixObject {
  type: string
  id: string
  spec_version?: string
  created?: string
  modified?: string
  [key: string]: unknown
}

/** TLP 2.0 level of a MISP `tlp:` tag (`tlp:white` reads as `clear`). */
export type MispTlp = 'clear' | 'green' | 'amber' | 'amber+strict' | 'red'

/** Liaison audience a MISP distribution level maps to. */
export type MispAudience = 'org' | 'group' | 'community' | 'federation'

/** A tag (taxonomy machine tag, galaxy tag or free text) on an event, attribute or object. */
export interface MispTag {
  name: string
  colour?: string
  /** Local tags never leave the instance. */
  local?: boolean
  exportable?: boolean
}

/** An organisation as MISP embeds it (`Orgc`, `Org`, a sighting's `Organisation`). */
export interface MispOrg {
  uuid?: string
  name?: string
}

/** A sighting: `0` seen, `1` false positive, `2` expiration. */
export interface MispSighting {
  uuid?: string
  type: '0' | '1' | '2'
  /** Unix seconds. */
  date_sighting: string
  source?: string
  Organisation?: MispOrg
  /** Set on event-level sightings to name the attribute they are about. */
  attribute_uuid?: string
}

/** One galaxy cluster (a threat actor, an ATT&CK technique, a sector…). */
export interface MispGalaxyCluster {
  uuid: string
  type: string
  value: string
  tag_name: string
  description: string
  source?: string
  authors?: string[]
  version?: string
  collection_uuid?: string
  meta: Record<string, JsonValue>
}

/** A galaxy and the clusters of it attached to an event or attribute. */
export interface MispGalaxy {
  uuid: string
  name: string
  type: string
  description: string
  namespace?: string
  GalaxyCluster: MispGalaxyCluster[]
}

/** The core triplet (category, type, value) with its identity, detection flag and context. */
export interface MispAttribute {
  uuid: string
  type: string
  category: string
  /** Composite types hold `a|b`. */
  value: string
  to_ids: boolean
  comment: string
  /** `0`–`5`; absent means MISP's default (`5`, inherit). */
  distribution?: string
  sharing_group_id?: string
  /** Unix seconds. */
  timestamp?: string
  /** ISO 8601 with time zone. */
  first_seen?: string
  last_seen?: string
  /** Role of the attribute inside its object. */
  object_relation?: string
  disable_correlation?: boolean
  deleted?: boolean
  /** Base64 payload of `attachment` and `malware-sample` attributes. */
  data?: string
  Tag: MispTag[]
  Sighting: MispSighting[]
  Galaxy: MispGalaxy[]
}

/** A typed link from an object to an attribute or another object. */
export interface MispObjectReference {
  uuid?: string
  referenced_uuid: string
  relationship_type: string
  comment?: string
  timestamp?: string
}

/** A template-driven group of attributes describing one thing (a file, a domain and its IPs…). */
export interface MispObject {
  uuid: string
  name: string
  'meta-category': string
  description?: string
  template_uuid?: string
  template_version?: string
  distribution?: string
  sharing_group_id?: string
  timestamp?: string
  comment?: string
  first_seen?: string
  last_seen?: string
  deleted?: boolean
  Tag: MispTag[]
  Attribute: MispAttribute[]
  ObjectReference: MispObjectReference[]
}

/** A markdown report attached to an event. */
export interface MispEventReport {
  uuid: string
  name: string
  content: string
  distribution?: string
  timestamp?: string
  deleted?: boolean
}

/** One MISP event with everything it contains. */
export interface MispEvent {
  uuid: string
  info: string
  /** `YYYY-MM-DD`. */
  date: string
  /** `1` high … `4` undefined. */
  threat_level_id?: string
  /** `0` initial, `1` ongoing, `2` complete. */
  analysis?: string
  /** `0`–`4`. */
  distribution?: string
  sharing_group_id?: string
  published: boolean
  /** Unix seconds. */
  timestamp?: string
  publish_timestamp?: string
  extends_uuid?: string
  Orgc?: MispOrg
  Org?: MispOrg
  Tag: MispTag[]
  Attribute: MispAttribute[]
  Object: MispObject[]
  Galaxy: MispGalaxy[]
  EventReport?: MispEventReport[]
  /** Event-level sightings; each names its attribute by `attribute_uuid`. */
  Sighting: MispSighting[]
  /**
   * True when this stands for no event: a restSearch collection of attributes or objects, mapped to
   * their STIX objects alone (no report, grouping or creator), as misp-stix maps one.
   */
  collection?: boolean
}

/**
 * Something wrong or lost in MISP content or its mapping. `path` and `uuid` name the element
 * (`Event[0].Attribute[3]`, `Object[2].Attribute[0]`, or a STIX id on the way back), `field` the property.
 */
export interface MispProblem {
  /** `error`: the element breaks a MUST of the format or cannot be mapped; `warning`: it is kept. */
  severity: 'error' | 'warning'
  path: string
  uuid: string | null
  field: string
  message: string
}

/** Builds a {@link MispProblem}. */
export function mispProblem(
  severity: MispProblem['severity'],
  path: string,
  uuid: string | null | undefined,
  field: string,
  message: string,
): MispProblem {
  return { severity, path, uuid: uuid === undefined || uuid === '' ? null : uuid, field, message }
}

/** MISP distribution levels and the Liaison audience of each (`5` inherits the event's). */
export const DISTRIBUTION_AUDIENCE: Readonly<Record<string, MispAudience>> = {
  '0': 'org',
  '1': 'community',
  '2': 'federation',
  '3': 'federation',
  '4': 'group',
}

/** Audiences narrowest first, to pick the stricter of two. */
export const AUDIENCE_ORDER: readonly MispAudience[] = ['org', 'group', 'community', 'federation']

/** TLP 2.0 marking-definition ids (stix21.md §9.4). */
export const TLP2_MARKING_IDS: Readonly<Record<MispTlp, string>> = {
  clear: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487',
  green: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb',
  amber: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421',
  'amber+strict': 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
  red: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1',
}

/** TLP 1.0 marking-definition ids fixed by the STIX 2.1 text, read as their TLP 2.0 equivalents. */
export const TLP1_MARKING_IDS: Readonly<Record<string, MispTlp>> = {
  'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9': 'clear',
  'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da': 'green',
  'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82': 'amber',
  'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed': 'red',
}

/** TLP levels least to most restrictive. */
export const TLP_ORDER: readonly MispTlp[] = ['clear', 'green', 'amber', 'amber+strict', 'red']

/** The stricter of two TLP levels (null counts as no marking). */
export function stricterTlp(a: MispTlp | null, b: MispTlp | null): MispTlp | null {
  if (a === null) {
    return b
  }
  if (b === null) {
    return a
  }
  return TLP_ORDER.indexOf(a) >= TLP_ORDER.indexOf(b) ? a : b
}

/** The narrower of two audiences (null counts as unknown). */
export function narrowerAudience(a: MispAudience | null, b: MispAudience | null): MispAudience | null {
  if (a === null) {
    return b
  }
  if (b === null) {
    return a
  }
  return AUDIENCE_ORDER.indexOf(a) <= AUDIENCE_ORDER.indexOf(b) ? a : b
}

const TLP_TAG_LEVELS: Readonly<Record<string, MispTlp>> = {
  white: 'clear',
  clear: 'clear',
  green: 'green',
  amber: 'amber',
  'amber+strict': 'amber+strict',
  red: 'red',
}

/**
 * The TLP level a tag sets, or null when it is no TLP level (`tlp:ex:chr`, `tlp:unclear`, other tags).
 * Matching is case-insensitive because `TLP:GREEN` is common in the wild.
 *
 * @example
 * tlpOfTag('tlp:white') // 'clear'
 * tlpOfTag('tlp:ex:chr') // null
 */
export function tlpOfTag(name: string): MispTlp | null {
  if (name.length < 7 || name.slice(0, 4).toLowerCase() !== 'tlp:') {
    return null
  }
  return TLP_TAG_LEVELS[name.slice(4).trim().toLowerCase()] ?? null
}

/**
 * The PAP level a tag of MISP's PAP taxonomy sets (`PAP:RED`, `PAP:WHITE` as clear), or null for any
 * other tag. Case-insensitive, as {@link tlpOfTag}.
 *
 * @example
 * papOfTag('PAP:AMBER') // 'amber'
 */
export function papOfTag(name: string): 'clear' | 'green' | 'amber' | 'red' | null {
  if (name.length < 7 || name.slice(0, 4).toLowerCase() !== 'pap:') {
    return null
  }
  const level = name.slice(4).trim().toLowerCase()
  return level === 'white' || level === 'clear'
    ? 'clear'
    : level === 'green' || level === 'amber' || level === 'red'
      ? level
      : null
}
