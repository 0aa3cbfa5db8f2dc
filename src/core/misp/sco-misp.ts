// STIX content that was not written from MISP (no `misp:type` labels, no `x_misp_attributes`) read as
// MISP: the SCOs of an observed-data become attributes (one attribute, or an object of the matching
// template), a simple indicator pattern becomes one attribute, anything else a `stix2-pattern` attribute.

import { HASH_KEYS, X509_HASH_KEYS } from './attribute-stix.js'
import type { StixObject } from './misp.js'
import { readPattern, type PatternComparison } from './pattern.js'
import { asArray, asString, asStrings, isRecord } from './util.js'

/** One attribute read from SCOs: its type, its role in an object, its value. */
export interface DerivedAttribute {
  type: string
  relation: string
  value: string
  data?: string
}

/** Attributes read from the SCOs of one observed-data, with the object template they fit. */
export interface DerivedObservable {
  template: string
  metaCategory: string
  attributes: DerivedAttribute[]
}

const HASH_TYPES = invert(HASH_KEYS)
const X509_TYPES = invert(X509_HASH_KEYS)
const TEMPLATES: Readonly<Record<string, readonly [string, string]>> = {
  file: ['file', 'file'],
  'domain-name': ['domain-ip', 'network'],
  url: ['url', 'network'],
  'network-traffic': ['network-connection', 'network'],
  'email-message': ['email', 'network'],
  'x509-certificate': ['x509', 'network'],
  'windows-registry-key': ['registry-key', 'file'],
  'autonomous-system': ['asn', 'network'],
  'user-account': ['user-account', 'misc'],
  process: ['process', 'misc'],
  software: ['software', 'misc'],
}

/**
 * The attributes the SCOs of an observed-data hold. SCOs referenced by another SCO of the list (the
 * address a domain resolves to) are read through their referrer.
 */
export function attributesOfScos(
  scos: readonly StixObject[],
  resolve: (id: string) => StixObject | undefined,
): DerivedObservable | null {
  const referenced = new Set<string>()
  for (const sco of scos) {
    for (const [key, value] of Object.entries(sco)) {
      if (key.endsWith('_ref') && typeof value === 'string') {
        referenced.add(value)
      } else if (key.endsWith('_refs')) {
        for (const ref of asStrings(value)) {
          referenced.add(ref)
        }
      }
    }
  }
  const roots = scos.filter((sco) => !referenced.has(sco.id))
  const attributes: DerivedAttribute[] = []
  for (const root of roots.length > 0 ? roots : scos) {
    attributes.push(...attributesOfSco(root, resolve))
  }
  if (attributes.length === 0) {
    return null
  }
  const first = roots[0] ?? scos[0]
  const [template, metaCategory] = (first === undefined ? undefined : TEMPLATES[first.type]) ?? [
    'misc',
    'misc',
  ]
  return { template, metaCategory, attributes }
}

/**
 * One standalone attribute for a few attributes read together: a single one as is, a file name with
 * one hash as `filename|<hash>`, a domain with one address as `domain|ip`, an address with its port as
 * `ip-dst|port`. Null when they need an object.
 */
export function composeAttribute(attributes: readonly DerivedAttribute[]): DerivedAttribute | null {
  const [first, second] = attributes
  if (first === undefined) {
    return null
  }
  if (attributes.length === 1) {
    return first
  }
  if (attributes.length !== 2 || second === undefined) {
    return null
  }
  const byRelation = new Map(attributes.map((attribute) => [attribute.relation, attribute]))
  const filename = byRelation.get('filename')
  const hash = attributes.find((attribute) => HASH_KEYS[attribute.type] !== undefined)
  if (filename !== undefined && hash !== undefined) {
    return { type: `filename|${hash.type}`, relation: 'filename', value: `${filename.value}|${hash.value}` }
  }
  const domain = byRelation.get('domain')
  const ip = byRelation.get('ip')
  if (domain !== undefined && ip !== undefined) {
    return { type: 'domain|ip', relation: 'domain', value: `${domain.value}|${ip.value}` }
  }
  for (const direction of ['src', 'dst'] as const) {
    const address = byRelation.get(`ip-${direction}`)
    const port = byRelation.get(`${direction}-port`)
    if (address !== undefined && port !== undefined) {
      return {
        type: `ip-${direction}|port`,
        relation: `ip-${direction}`,
        value: `${address.value}|${port.value}`,
      }
    }
  }
  return null
}

/** The attribute a foreign indicator pattern stands for (`stix2-pattern` when it is not a simple one). */
export function attributeOfPattern(pattern: string): DerivedAttribute {
  const read = readPattern(pattern)
  if (read !== null && read.simple) {
    const attributes: DerivedAttribute[] = []
    for (const comparison of read.comparisons) {
      const attribute = attributeOfComparison(comparison)
      if (attribute === undefined) {
        return { type: 'stix2-pattern', relation: 'pattern', value: pattern }
      }
      if (attribute !== null) {
        attributes.push(attribute)
      }
    }
    const composed = composeAttribute(attributes)
    if (composed !== null) {
      return composed
    }
  }
  return { type: 'stix2-pattern', relation: 'pattern', value: pattern }
}

/** The attribute of one comparison; null for comparisons that only qualify another (`dst_ref.type`). */
function attributeOfComparison(comparison: PatternComparison): DerivedAttribute | null | undefined {
  const value = String(comparison.value)
  const path = comparison.path
  const colon = path.indexOf(':')
  const root = path.slice(0, colon)
  const property = path.slice(colon + 1)
  if (property.endsWith('_ref.type')) {
    return null
  }
  if (property.startsWith('hashes.')) {
    const key = property.slice('hashes.'.length)
    const types = root === 'x509-certificate' ? X509_TYPES : root === 'file' ? HASH_TYPES : undefined
    const type = types === undefined ? undefined : (types[key] ?? types[key.toUpperCase()])
    return type === undefined ? undefined : { type, relation: type, value }
  }
  switch (`${root}:${property}`) {
    case 'ipv4-addr:value':
    case 'ipv6-addr:value':
    case 'network-traffic:dst_ref.value':
    case 'domain-name:resolves_to_refs[*].value':
      return { type: 'ip-dst', relation: root === 'domain-name' ? 'ip' : 'ip-dst', value }
    case 'network-traffic:src_ref.value':
      return { type: 'ip-src', relation: 'ip-src', value }
    case 'network-traffic:dst_port':
      return { type: 'port', relation: 'dst-port', value }
    case 'network-traffic:src_port':
      return { type: 'port', relation: 'src-port', value }
    case 'domain-name:value':
      return { type: 'domain', relation: 'domain', value }
    case 'url:value':
      return { type: 'url', relation: 'url', value }
    case 'email-addr:value':
      return { type: 'email', relation: 'email', value }
    case 'email-message:from_ref.value':
      return { type: 'email-src', relation: 'from', value }
    case 'email-message:to_refs[*].value':
      return { type: 'email-dst', relation: 'to', value }
    case 'email-message:subject':
      return { type: 'email-subject', relation: 'subject', value }
    case 'file:name':
      return { type: 'filename', relation: 'filename', value }
    case 'file:size':
      return { type: 'size-in-bytes', relation: 'size-in-bytes', value }
    case 'mutex:name':
      return { type: 'mutex', relation: 'name', value }
    case 'windows-registry-key:key':
      return { type: 'regkey', relation: 'key', value }
    case 'autonomous-system:number':
      return { type: 'AS', relation: 'asn', value }
    case 'mac-addr:value':
      return { type: 'mac-address', relation: 'mac-address', value }
    default:
      return undefined
  }
}

function attributesOfSco(
  sco: StixObject,
  resolve: (id: string) => StixObject | undefined,
): DerivedAttribute[] {
  const out: DerivedAttribute[] = []
  const add = (type: string, relation: string, value: unknown): void => {
    if (typeof value === 'string' && value !== '') {
      out.push({ type, relation, value })
    } else if (typeof value === 'number') {
      out.push({ type, relation, value: String(value) })
    }
  }
  const valueOf = (ref: unknown): string | undefined =>
    typeof ref === 'string' ? asString(resolve(ref)?.value) : undefined
  switch (sco.type) {
    case 'ipv4-addr':
    case 'ipv6-addr':
      add('ip-dst', 'ip', sco.value)
      break
    case 'domain-name':
      add('domain', 'domain', sco.value)
      for (const ref of asStrings(sco.resolves_to_refs)) {
        add('ip-dst', 'ip', valueOf(ref))
      }
      break
    case 'url':
      add('url', 'url', sco.value)
      break
    case 'email-addr':
      add('email', 'email', sco.value)
      break
    case 'mac-addr':
      add('mac-address', 'mac-address', sco.value)
      break
    case 'mutex':
      add('mutex', 'name', sco.name)
      break
    case 'autonomous-system':
      add('AS', 'asn', sco.number)
      add('text', 'description', sco.name)
      break
    case 'windows-registry-key': {
      add('regkey', 'key', sco.key)
      const value = asArray(sco.values)[0]
      if (isRecord(value)) {
        add('text', 'name', value.name)
        add('text', 'data', value.data)
        add('text', 'data-type', value.data_type)
      }
      break
    }
    case 'x509-certificate':
      addHashes(sco, X509_TYPES, add)
      add('text', 'issuer', sco.issuer)
      add('text', 'subject', sco.subject)
      add('text', 'serial-number', sco.serial_number)
      break
    case 'file': {
      add('filename', 'filename', sco.name)
      addHashes(sco, HASH_TYPES, add)
      add('size-in-bytes', 'size-in-bytes', sco.size)
      const directory =
        typeof sco.parent_directory_ref === 'string' ? resolve(sco.parent_directory_ref) : undefined
      add('text', 'path', directory?.path)
      break
    }
    case 'network-traffic':
      for (const direction of ['src', 'dst'] as const) {
        const target =
          typeof sco[`${direction}_ref`] === 'string' ? resolve(String(sco[`${direction}_ref`])) : undefined
        if (target?.type === 'domain-name') {
          add('hostname', `hostname-${direction}`, target.value)
        } else {
          add(`ip-${direction}`, `ip-${direction}`, target?.value)
        }
      }
      add('port', 'src-port', sco.src_port)
      add('port', 'dst-port', sco.dst_port)
      break
    case 'email-message':
      add('email-src', 'from', valueOf(sco.from_ref))
      for (const [key, relation] of [
        ['to_refs', 'to'],
        ['cc_refs', 'cc'],
        ['bcc_refs', 'bcc'],
      ] as const) {
        for (const ref of asStrings(sco[key])) {
          add('email-dst', relation, valueOf(ref))
        }
      }
      add('email-subject', 'subject', sco.subject)
      add('email-message-id', 'message-id', sco.message_id)
      add('email-body', 'email-body', sco.body)
      break
    case 'user-account':
      add(sco.account_type === 'github' ? 'github-username' : 'text', 'username', sco.account_login)
      add('text', 'user-id', sco.user_id)
      break
    case 'process':
      add('text', 'command-line', sco.command_line)
      add('text', 'pid', sco.pid)
      break
    case 'software':
      add('text', 'name', sco.name)
      add('text', 'version', sco.version)
      break
    case 'directory':
      add('text', 'path', sco.path)
      break
    default:
      break
  }
  return out
}

function addHashes(
  sco: StixObject,
  types: Readonly<Record<string, string>>,
  add: (type: string, relation: string, value: unknown) => void,
): void {
  const hashes = sco.hashes
  if (!isRecord(hashes)) {
    return
  }
  for (const [key, value] of Object.entries(hashes)) {
    const type = types[key] ?? types[key.toUpperCase()]
    if (type !== undefined) {
      add(type, type, value)
    }
  }
}

function invert(record: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(record)) {
    out[value] ??= key
  }
  return out
}
