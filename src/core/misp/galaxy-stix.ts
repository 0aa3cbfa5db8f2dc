// Galaxy clusters <-> STIX SDOs after misp-stix's misp_galaxies_to_stix21.json: the SDO id reuses the
// cluster uuid, the name drops the ` - T1134` style suffix, synonyms become aliases, `kill_chain` entries
// kill chain phases, `external_id`/`refs` external references. The untouched cluster (value, tag name,
// meta, galaxy) rides along in `x_misp_*` properties so the way back is exact.

import type { JsonValue, MispGalaxy, MispGalaxyCluster, StixObject } from './misp.js'
import { asArray, asString, asStrings, isRecord } from './util.js'
import { MISP_STIX_NAMESPACE, uuidV5, uuidOfStixId } from './uuid.js'

/** STIX types a galaxy cluster can become. */
export const CLUSTER_SDO_TYPES: ReadonlySet<string> = new Set([
  'attack-pattern',
  'campaign',
  'course-of-action',
  'identity',
  'intrusion-set',
  'location',
  'malware',
  'threat-actor',
  'tool',
  'vulnerability',
  'x-misp-galaxy-cluster',
])

const MALWARE_GALAXIES: ReadonlySet<string> = new Set([
  'android',
  'backdoor',
  'banker',
  'botnet',
  'exploit-kit',
  'malpedia',
  'ransomware',
  'rat',
  'stealer',
  'tds',
])

const ALIASED_TYPES: ReadonlySet<string> = new Set([
  'attack-pattern',
  'campaign',
  'intrusion-set',
  'malware',
  'threat-actor',
  'tool',
])

const KILL_CHAIN_TYPES: ReadonlySet<string> = new Set(['attack-pattern', 'malware', 'tool'])
const REGION_NUMBER_RE = /^\d+\s*-\s*/
const NON_SLUG_RE = /[^a-z0-9]+/g
const EDGE_DASHES_RE = /^-+|-+$/g
const GALAXY_LABEL_RE = /^misp:galaxy-(name|type)="(.*)"$/

/** The STIX type a cluster of galaxy `type` becomes. */
export function sdoTypeOfGalaxy(type: string): string {
  if (type.includes('attack-pattern')) {
    return 'attack-pattern'
  }
  if (type.includes('course-of-action')) {
    return 'course-of-action'
  }
  if (type.includes('intrusion-set')) {
    return 'intrusion-set'
  }
  if (type.includes('threat-actor') || type === 'microsoft-activity-group') {
    return 'threat-actor'
  }
  if (type.includes('malware') || MALWARE_GALAXIES.has(type)) {
    return 'malware'
  }
  if (type.includes('tool')) {
    return 'tool'
  }
  if (type.includes('vulnerability')) {
    return 'vulnerability'
  }
  if (type.includes('campaign')) {
    return 'campaign'
  }
  if (type === 'country' || type === 'region' || type.includes('location')) {
    return 'location'
  }
  if (type === 'sector') {
    return 'identity'
  }
  return 'x-misp-galaxy-cluster'
}

/** Common properties every cluster SDO gets from its context (timestamps, creator, markings). */
export interface ClusterContext {
  created: string
  created_by_ref?: string
}

/**
 * The SDO of one cluster, with id `<type>--<cluster uuid>`.
 *
 * @example
 * clusterToStix(galaxy, galaxy.GalaxyCluster[0], cluster.uuid, { created })
 * // { type: 'attack-pattern', name: 'Access Token Manipulation', external_references: [...], … }
 */
export function clusterToStix(
  galaxy: MispGalaxy,
  cluster: MispGalaxyCluster,
  uuid: string,
  context: ClusterContext,
): StixObject {
  let type = sdoTypeOfGalaxy(galaxy.type || cluster.type)
  const meta = cluster.meta
  const props: Record<string, unknown> = {}
  const externalId = firstString(meta.external_id)
  let name = cluster.value
  if (externalId !== undefined && name.endsWith(` - ${externalId}`)) {
    name = name.slice(0, -(externalId.length + 3))
  }
  if (type === 'location') {
    const place = locationOf(galaxy, cluster)
    if (place === null) {
      type = 'x-misp-galaxy-cluster'
    } else {
      Object.assign(props, place)
    }
  }
  if (type === 'identity') {
    props.identity_class = 'class'
  }
  if (type === 'malware') {
    props.is_family = typeof meta.is_family === 'boolean' ? meta.is_family : true
  }
  if (ALIASED_TYPES.has(type)) {
    const aliases = asStrings(meta.synonyms)
    if (aliases.length > 0) {
      props.aliases = aliases
    }
  }
  if (KILL_CHAIN_TYPES.has(type)) {
    const phases = killChainPhases(meta.kill_chain)
    if (phases.length > 0) {
      props.kill_chain_phases = phases
    }
  }
  const references = externalReferences(galaxy.type || cluster.type, type, cluster, externalId)
  if (references.length > 0) {
    props.external_references = references
  }
  const sdo: StixObject = {
    type,
    spec_version: '2.1',
    id: `${type}--${uuid}`,
    created: context.created,
    modified: context.created,
  }
  if (context.created_by_ref !== undefined) {
    sdo.created_by_ref = context.created_by_ref
  }
  sdo.name = name
  const description = cluster.description || galaxy.description
  if (description !== '') {
    sdo.description = description
  }
  Object.assign(sdo, props)
  sdo.labels = [`misp:galaxy-name="${galaxy.name}"`, `misp:galaxy-type="${galaxy.type || cluster.type}"`]
  if (type === 'x-misp-galaxy-cluster') {
    sdo.x_misp_name = galaxy.name
    sdo.x_misp_type = galaxy.type || cluster.type
    sdo.x_misp_value = cluster.value
    sdo.x_misp_description = cluster.description
  }
  sdo.x_misp_galaxy_uuid = galaxy.uuid
  sdo.x_misp_galaxy_description = galaxy.description
  if (galaxy.namespace !== undefined) {
    sdo.x_misp_galaxy_namespace = galaxy.namespace
  }
  sdo.x_misp_cluster_value = cluster.value
  sdo.x_misp_cluster_type = cluster.type
  sdo.x_misp_cluster_description = cluster.description
  sdo.x_misp_tag_name = cluster.tag_name
  if (Object.keys(meta).length > 0) {
    sdo.x_misp_meta = meta
  }
  for (const key of ['source', 'version', 'collection_uuid'] as const) {
    const value = cluster[key]
    if (value !== undefined) {
      sdo[`x_misp_${key}`] = value
    }
  }
  if (cluster.authors !== undefined) {
    sdo.x_misp_authors = cluster.authors
  }
  return sdo
}

/** True when a STIX object stands for a galaxy cluster (written by this module, misp-stix, or any SDO of a cluster type). */
export function isClusterSdo(object: StixObject): boolean {
  if (!CLUSTER_SDO_TYPES.has(object.type)) {
    return false
  }
  if ('x_misp_cluster_value' in object || object.type === 'x-misp-galaxy-cluster') {
    return true
  }
  return asStrings(object.labels).some((label) => label.startsWith('misp:galaxy-'))
}

/** The galaxy (holding this one cluster) an SDO stands for; works for foreign SDOs too (`stix-2.1-<type>`). */
export function clusterFromStix(sdo: StixObject): MispGalaxy {
  const labels = galaxyLabels(sdo)
  const galaxyType = labels.type ?? asString(sdo.x_misp_type) ?? `stix-2.1-${sdo.type}`
  const name = asString(sdo.name) ?? asString(sdo.x_misp_value) ?? sdo.id
  const value = asString(sdo.x_misp_cluster_value) ?? asString(sdo.x_misp_value) ?? name
  const clusterType = asString(sdo.x_misp_cluster_type) ?? galaxyType
  const galaxyName = labels.name ?? asString(sdo.x_misp_name) ?? `STIX 2.1 ${titleOf(sdo.type)}`
  const cluster: MispGalaxyCluster = {
    uuid: asString(sdo.x_misp_cluster_uuid) ?? uuidOfStixId(sdo.id) ?? sdo.id,
    type: clusterType,
    value,
    tag_name: asString(sdo.x_misp_tag_name) ?? `misp-galaxy:${clusterType}="${value}"`,
    description:
      asString(sdo.x_misp_cluster_description) ??
      asString(sdo.x_misp_description) ??
      asString(sdo.description) ??
      '',
    meta: isRecord(sdo.x_misp_meta) ? jsonRecord(sdo.x_misp_meta) : metaOf(sdo),
  }
  for (const key of ['source', 'version', 'collection_uuid'] as const) {
    const found = asString(sdo[`x_misp_${key}`])
    if (found !== undefined) {
      cluster[key] = found
    }
  }
  if (Array.isArray(sdo.x_misp_authors)) {
    cluster.authors = asStrings(sdo.x_misp_authors)
  }
  const galaxy: MispGalaxy = {
    uuid: asString(sdo.x_misp_galaxy_uuid) ?? uuidV5(MISP_STIX_NAMESPACE, `galaxy - ${galaxyType}`),
    name: galaxyName,
    type: galaxyType,
    description: asString(sdo.x_misp_galaxy_description) ?? '',
    GalaxyCluster: [cluster],
  }
  const namespace = asString(sdo.x_misp_galaxy_namespace)
  if (namespace !== undefined) {
    galaxy.namespace = namespace
  }
  return galaxy
}

/** True when the cluster was written from STIX that carried no MISP tag name (so the event needs its tag). */
export function needsGalaxyTag(sdo: StixObject): boolean {
  return !('x_misp_tag_name' in sdo)
}

function galaxyLabels(sdo: StixObject): { name?: string; type?: string } {
  const found: { name?: string; type?: string } = {}
  for (const label of asStrings(sdo.labels)) {
    const match = GALAXY_LABEL_RE.exec(label)
    if (match?.[1] === 'name' && match[2] !== undefined) {
      found.name = match[2]
    } else if (match?.[1] === 'type' && match[2] !== undefined) {
      found.type = match[2]
    }
  }
  return found
}

function titleOf(type: string): string {
  return type
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ')
}

function firstString(value: JsonValue | undefined): string | undefined {
  if (typeof value === 'string') {
    return value
  }
  if (Array.isArray(value)) {
    const first = value[0]
    return typeof first === 'string' ? first : undefined
  }
  return undefined
}

function killChainPhases(value: JsonValue | undefined): { kill_chain_name: string; phase_name: string }[] {
  const phases: { kill_chain_name: string; phase_name: string }[] = []
  for (const entry of asStrings(value)) {
    const colon = entry.indexOf(':')
    if (colon > 0 && colon < entry.length - 1) {
      phases.push({ kill_chain_name: entry.slice(0, colon), phase_name: entry.slice(colon + 1) })
    }
  }
  return phases
}

function externalReferences(
  galaxyType: string,
  sdoType: string,
  cluster: MispGalaxyCluster,
  externalId: string | undefined,
): Record<string, string>[] {
  const references: Record<string, string>[] = []
  const cves = new Set<string>()
  if (externalId !== undefined) {
    const upper = externalId.toUpperCase()
    if (upper.startsWith('CVE-')) {
      cves.add(externalId)
    } else {
      const source = upper.startsWith('CAPEC-')
        ? 'capec'
        : galaxyType.startsWith('mitre-')
          ? 'mitre-attack'
          : galaxyType
      references.push({ source_name: source, external_id: externalId })
    }
  }
  if (sdoType === 'vulnerability') {
    for (const alias of [cluster.value, ...asStrings(cluster.meta.aliases)]) {
      if (alias.toUpperCase().startsWith('CVE-')) {
        cves.add(alias)
      }
    }
  }
  for (const cve of cves) {
    references.push({ source_name: 'cve', external_id: cve })
  }
  for (const url of asStrings(cluster.meta.refs)) {
    references.push({ source_name: 'url', url })
  }
  return references
}

function locationOf(galaxy: MispGalaxy, cluster: MispGalaxyCluster): Record<string, string> | null {
  const meta = cluster.meta
  const country = firstString(meta.country) ?? firstString(meta.ISO)
  if (country !== undefined && country.length === 2) {
    const place: Record<string, string> = { country }
    const area = firstString(meta.administrative_area)
    if (area !== undefined) {
      place.administrative_area = area
    }
    return place
  }
  const region = firstString(meta.region)
  if (region !== undefined) {
    return { region }
  }
  if (galaxy.type === 'region' || galaxy.type.includes('region')) {
    const slug = cluster.value
      .replace(REGION_NUMBER_RE, '')
      .toLowerCase()
      .replace(NON_SLUG_RE, '-')
      .replace(EDGE_DASHES_RE, '')
    return slug === '' ? null : { region: slug }
  }
  return null
}

function metaOf(sdo: StixObject): Record<string, JsonValue> {
  const meta: Record<string, JsonValue> = {}
  const aliases = asStrings(sdo.aliases)
  if (aliases.length > 0) {
    meta.synonyms = aliases
  }
  const phases: string[] = []
  for (const phase of asArray(sdo.kill_chain_phases)) {
    if (
      isRecord(phase) &&
      typeof phase.kill_chain_name === 'string' &&
      typeof phase.phase_name === 'string'
    ) {
      phases.push(`${phase.kill_chain_name}:${phase.phase_name}`)
    }
  }
  if (phases.length > 0) {
    meta.kill_chain = phases
  }
  const refs: string[] = []
  for (const reference of asArray(sdo.external_references)) {
    if (!isRecord(reference)) {
      continue
    }
    if (typeof reference.external_id === 'string' && meta.external_id === undefined) {
      meta.external_id = reference.external_id
    }
    if (typeof reference.url === 'string') {
      refs.push(reference.url)
    }
  }
  if (refs.length > 0) {
    meta.refs = refs
  }
  return meta
}

function jsonRecord(value: Record<string, unknown>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {}
  for (const [key, entry] of Object.entries(value)) {
    out[key] = toJson(entry)
  }
  return out
}

function toJson(value: unknown): JsonValue {
  if (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'boolean'
  ) {
    return value
  }
  if (Array.isArray(value)) {
    return value.map(toJson)
  }
  if (isRecord(value)) {
    return jsonRecord(value)
  }
  return null
}
