/**
 * Deterministic SCO identifiers (STIX 2.1 section 2.9): UUIDv5 in the SCO namespace over the RFC 8785
 * (JCS) canonical JSON of the type's ID-contributing properties, so that the same observable gets the same
 * id at every producer.
 */
import { createHash, randomUUID } from 'node:crypto'
import { isJsonObject } from './stix.js'

/** The namespace of deterministic SCO ids. SDOs, SROs and meta objects must never use it. */
export const SCO_ID_NAMESPACE = '00abedb4-aa42-466c-9c01-fed23315a9b7'

/**
 * The ID-contributing properties of each STIX 2.1 SCO type, in the order of the spec tables. `process`
 * has none: its ids are always UUIDv4.
 */
export const ID_CONTRIBUTING_PROPERTIES: Readonly<Record<string, readonly string[]>> = {
  artifact: ['hashes', 'payload_bin'],
  'autonomous-system': ['number'],
  directory: ['path'],
  'domain-name': ['value'],
  'email-addr': ['value'],
  'email-message': ['from_ref', 'subject', 'body'],
  file: ['hashes', 'name', 'extensions', 'parent_directory_ref'],
  'ipv4-addr': ['value'],
  'ipv6-addr': ['value'],
  'mac-addr': ['value'],
  mutex: ['name'],
  'network-traffic': [
    'start',
    'end',
    'src_ref',
    'dst_ref',
    'src_port',
    'dst_port',
    'protocols',
    'extensions',
  ],
  process: [],
  software: ['name', 'cpe', 'swid', 'vendor', 'version'],
  url: ['value'],
  'user-account': ['account_type', 'user_id', 'account_login'],
  'windows-registry-key': ['key', 'values'],
  'x509-certificate': ['hashes', 'serial_number'],
}

/** The hash kept for the id when `hashes` has several, most preferred first (then any other one). */
export const HASH_PREFERENCE = ['MD5', 'SHA-1', 'SHA-256', 'SHA-512'] as const

/** An SCO, or the properties of one still without an id. */
export interface ScoInput {
  readonly type: string
  readonly [property: string]: unknown
}

/**
 * RFC 8785 JSON Canonicalization Scheme: keys sorted by UTF-16 code units, no whitespace, ECMAScript
 * number and string serialisation (which `JSON.stringify` implements for primitives). Properties whose
 * value is `undefined` are left out, as in JSON.
 *
 * @example
 * canonicalJson({ value: '198.51.100.3', b: [1, 2.5e-7] }) // '{"b":[1,2.5e-7],"value":"198.51.100.3"}'
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    const items: string[] = []
    for (const item of value) {
      items.push(item === undefined ? 'null' : canonicalJson(item))
    }
    return `[${items.join(',')}]`
  }
  if (isJsonObject(value)) {
    const members: string[] = []
    // The default sort compares UTF-16 code units, which is exactly what RFC 8785 asks for.
    for (const key of Object.keys(value).sort()) {
      const member = value[key]
      if (member !== undefined) {
        members.push(`${JSON.stringify(key)}:${canonicalJson(member)}`)
      }
    }
    return `{${members.join(',')}}`
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new RangeError('RFC 8785 cannot represent NaN or Infinity')
  }
  return JSON.stringify(value) ?? 'null'
}

const namespaceBytes = new Map<string, Buffer>()

/**
 * Name-based UUID, version 5 (SHA-1, RFC 4122 section 4.3), of `name` (UTF-8) in `namespace`.
 *
 * @example
 * uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org') // '886313e1-3b8a-5372-9b90-0c9aee199e5d'
 */
export function uuidV5(namespace: string, name: string): string {
  let ns = namespaceBytes.get(namespace)
  if (ns === undefined) {
    ns = Buffer.from(namespace.replaceAll('-', ''), 'hex')
    namespaceBytes.set(namespace, ns)
  }
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest()
  return formatUuid(hash, 0x50)
}

/**
 * A version-4-shaped UUID derived from `seed` (SHA-256), for objects that must carry a UUIDv4 but should
 * get the same id when the same input is converted twice (idempotent re-imports).
 */
export function seededUuidV4(seed: string): string {
  return formatUuid(createHash('sha256').update(seed, 'utf8').digest(), 0x40)
}

function formatUuid(bytes: Buffer, version: number): string {
  bytes.writeUInt8((bytes.readUInt8(6) & 0x0f) | version, 6)
  bytes.writeUInt8((bytes.readUInt8(8) & 0x3f) | 0x80, 8)
  const hex = bytes.toString('hex', 0, 16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

/** The single `hashes` entry that contributes to the id: MD5, else SHA-1, SHA-256, SHA-512, else the first. */
function contributingHash(hashes: Record<string, unknown>): Record<string, unknown> | null {
  for (const name of HASH_PREFERENCE) {
    if (name in hashes) {
      return { [name]: hashes[name] }
    }
  }
  const first = Object.keys(hashes)[0]
  return first === undefined ? null : { [first]: hashes[first] }
}

/**
 * The canonical JSON the deterministic id of `sco` is computed from (its present ID-contributing
 * properties), or null when it has none: process objects, custom types, or no contributing property set.
 *
 * @example
 * scoIdName({ type: 'ipv4-addr', value: '198.51.100.3' }) // '{"value":"198.51.100.3"}'
 */
export function scoIdName(sco: ScoInput): string | null {
  const properties = ID_CONTRIBUTING_PROPERTIES[sco.type]
  if (properties === undefined) {
    return null
  }
  const contributing: Record<string, unknown> = {}
  let present = false
  for (const property of properties) {
    const value = sco[property]
    if (value === undefined) {
      continue
    }
    if (property === 'hashes' && isJsonObject(value)) {
      const hash = contributingHash(value)
      if (hash === null) {
        continue
      }
      contributing[property] = hash
    } else {
      contributing[property] = value
    }
    present = true
  }
  return present ? canonicalJson(contributing) : null
}

/**
 * The deterministic id of an SCO (`<type>--UUIDv5(SCO namespace, JCS of the ID-contributing
 * properties)`), or null when there is nothing to derive it from: process objects, custom types, or no
 * contributing property present.
 *
 * @example
 * derivedScoId({ type: 'domain-name', value: 'example.com' })
 * // 'domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7'
 */
export function derivedScoId(sco: ScoInput): string | null {
  const name = scoIdName(sco)
  return name === null ? null : `${sco.type}--${uuidV5(SCO_ID_NAMESPACE, name)}`
}

/**
 * The id STIX 2.1 prescribes for an SCO: the {@link derivedScoId}, or a random UUIDv4 when there is
 * nothing to derive it from, as the spec requires.
 *
 * @example
 * deterministicScoId({ type: 'ipv4-addr', value: '198.51.100.3' })
 * // 'ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4'
 */
export function deterministicScoId(sco: ScoInput): string {
  return derivedScoId(sco) ?? `${sco.type}--${randomUUID()}`
}

/**
 * True when the SCO's `id` is the deterministic one for its contributing properties (compared
 * case-insensitively); false when it differs or cannot be derived (process, custom types, nothing present).
 */
export function isDeterministicScoId(sco: ScoInput): boolean {
  const derived = derivedScoId(sco)
  return derived !== null && typeof sco.id === 'string' && sco.id.toLowerCase() === derived
}
