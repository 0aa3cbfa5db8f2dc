import { createHash } from 'node:crypto'

/**
 * Namespace misp-stix derives its relationship ids from (UUIDv5 of `"<source> - <type> - <target>"`).
 * Using the same one makes the ids of `based-on` relationships equal to the reference converter's.
 */
export const MISP_STIX_NAMESPACE = '76beed5f-7251-457e-8c2a-b45f7b589d3d'

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const RFC4122_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i
const namespaceBytes = new Map<string, Buffer>()

/** True when `value` has the 8-4-4-4-12 hex shape of a UUID (any version). */
export function isUuid(value: string): boolean {
  return UUID_RE.test(value)
}

/** True when `value` is an RFC 4122 UUID of version 1–5, the form STIX ids require. */
export function isRfc4122Uuid(value: string): boolean {
  return RFC4122_RE.test(value)
}

/**
 * Name-based UUID (version 5, SHA-1) of `name` in `namespace`.
 *
 * @example
 * uuidV5(MISP_STIX_NAMESPACE, 'indicator--91ae… - based-on - observed-data--91ae…')
 */
export function uuidV5(namespace: string, name: string): string {
  let ns = namespaceBytes.get(namespace)
  if (ns === undefined) {
    ns = Buffer.from(namespace.replaceAll('-', ''), 'hex')
    namespaceBytes.set(namespace, ns)
  }
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest()
  hash.writeUInt8((hash.readUInt8(6) & 0x0f) | 0x50, 6)
  hash.writeUInt8((hash.readUInt8(8) & 0x3f) | 0x80, 8)
  const hex = hash.toString('hex', 0, 16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

/** The UUID part of a STIX id (`indicator--<uuid>` → `<uuid>`), or null when it has none. */
export function uuidOfStixId(id: string): string | null {
  const at = id.indexOf('--')
  if (at < 0) {
    return null
  }
  return id.slice(at + 2)
}

/** The type part of a STIX id (`indicator--<uuid>` → `indicator`). */
export function typeOfStixId(id: string): string {
  const at = id.indexOf('--')
  return at < 0 ? id : id.slice(0, at)
}
