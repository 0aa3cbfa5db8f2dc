import { createHash } from 'node:crypto'
import { domainToASCII } from 'node:url'
import ipaddr from 'ipaddr.js'

/** Kinds of observable value Liaison indexes and correlates on. */
export const OBSERVABLE_KINDS = [
  'ipv4',
  'ipv6',
  'domain',
  'url',
  'email',
  'md5',
  'sha1',
  'sha256',
  'sha512',
  'asn',
  'mac',
  'filename',
  'mutex',
  'regkey',
  'other',
] as const
/** One of {@link OBSERVABLE_KINDS}. */
export type ObservableKind = (typeof OBSERVABLE_KINDS)[number]

/**
 * A normalised observable: `key` is what equal values share (`ipv4:198.51.100.7`, `domain:xn--…`);
 * IP addresses and networks also carry their range as fixed-width hex, so "which network contains
 * this address" is a range comparison in SQL.
 */
export interface Observable {
  readonly kind: ObservableKind
  readonly key: string
  /** The value as it will be shown (normalised). */
  readonly value: string
  /** First address, fixed-width lower-case hex (8 digits for IPv4, 32 for IPv6); IPs only. */
  readonly rangeStart: string | null
  /** Last address, same format; equal to `rangeStart` for a single address. */
  readonly rangeEnd: string | null
}

/**
 * Most bytes (UTF-8) of a value kept whole in its key. A longer value (a URL with a long query, a
 * long file name) is keyed by its SHA-256 instead, `url#sha256:<hex>`: the `#` keeps such keys apart
 * from every `kind:value` key. Keys are indexed, and PostgreSQL refuses B-tree entries of more than
 * about 2,700 bytes: one long URL made a whole import fail there. So is a value with a NUL character
 * (a mutex or file name), which PostgreSQL cannot hold in text at all. Equal values still share a
 * key, so correlation is unchanged; the value itself is in the object.
 */
export const OBSERVABLE_KEY_MAX_BYTES = 1024

/** The key of a normalised value of a kind: `kind:value`, or `kind#sha256:…` for a long value. */
export function observableKey(kind: ObservableKind, value: string): string {
  return fitsInKey(value) ? `${kind}:${value}` : hashedKey(kind, value)
}

/** True when a text may go into an indexed key as it is: {@link OBSERVABLE_KEY_MAX_BYTES} at most, no NUL. */
export function fitsInKey(text: string): boolean {
  // A UTF-8 character is at most 3 bytes per UTF-16 code unit: short strings need no counting.
  const fits =
    text.length * 3 <= OBSERVABLE_KEY_MAX_BYTES || Buffer.byteLength(text) <= OBSERVABLE_KEY_MAX_BYTES
  return fits && !text.includes('\u0000')
}

/** The key of a text too long to index (or with a NUL): `prefix#sha256:<hex>`. */
export function hashedKey(prefix: string, text: string): string {
  return `${prefix}#sha256:${createHash('sha256').update(text).digest('hex')}`
}

function hexOf(bytes: number[]): string {
  let out = ''
  for (const b of bytes) {
    out += b.toString(16).padStart(2, '0')
  }
  return out
}

/** An IPv4 address in canonical dotted decimal (no leading zeros): the common case, read directly. */
const DOTTED_QUAD = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/

/**
 * `text` as an IPv4 observable when it is an address in canonical dotted decimal; null otherwise
 * (then ipaddr.js decides). The text is then its own canonical form: what ipaddr.js would give, in
 * a tenth of the time (a million indicators spent 0.5 s of an import there).
 */
function dottedQuadObservable(text: string): Observable | null {
  const match = DOTTED_QUAD.exec(text)
  if (match === null) {
    return null
  }
  let hex = ''
  for (let i = 1; i <= 4; i++) {
    const octet = Number(match[i])
    if (octet > 255) {
      return null
    }
    hex += (octet < 16 ? '0' : '') + octet.toString(16)
  }
  return { kind: 'ipv4', key: `ipv4:${text}`, value: text, rangeStart: hex, rangeEnd: hex }
}

/**
 * IPv4 written any way but canonical dotted decimal, alone or as the tail of an IPv6 address, is no
 * observable at all. inet_aton, ipaddr.js and URL parsers read `127.1`, `0x7f.0.0.1` and `010.1.1.1` as
 * addresses, but a leading zero means octal there (`010.1.1.1` is 8.1.1.1), while whoever wrote it in a
 * report most likely padded 10.1.1.1: correlating it with either address would be a guess. Nor is it a
 * domain ({@link normaliseDomain}). URLs are the exception: a URL's host is what a browser connects to,
 * so `http://0x7f.0.0.1/` is read as WHATWG URL parsing reads it (`http://127.0.0.1/`).
 */
function isCanonicalIpText(address: string): boolean {
  const colon = address.lastIndexOf(':')
  const tail = address.slice(colon + 1)
  if (colon !== -1 && !tail.includes('.')) {
    return true
  }
  return ipaddr.IPv4.isValidFourPartDecimal(tail)
}

function ipObservable(raw: string): Observable | null {
  const text = raw.trim()
  const quad = dottedQuadObservable(text)
  if (quad !== null) {
    return quad
  }
  const slash = text.indexOf('/')
  if (!isCanonicalIpText(slash === -1 ? text : text.slice(0, slash))) {
    return null
  }
  try {
    if (text.includes('/')) {
      const [address, prefix] = ipaddr.parseCIDR(text)
      const bits = address.kind() === 'ipv4' ? 32 : 128
      const bytes = address.toByteArray()
      const start = [...bytes]
      const end = [...bytes]
      for (let bit = prefix; bit < bits; bit++) {
        const byte = Math.floor(bit / 8)
        const mask = 0x80 >> (bit % 8)
        start[byte] = (start[byte] ?? 0) & ~mask
        end[byte] = (end[byte] ?? 0) | mask
      }
      const kind = address.kind() === 'ipv4' ? 'ipv4' : 'ipv6'
      const network = ipaddr.fromByteArray(start).toString()
      const value = prefix === bits ? network : `${network}/${prefix}`
      return { kind, key: `${kind}:${value}`, value, rangeStart: hexOf(start), rangeEnd: hexOf(end) }
    }
    let address = ipaddr.parse(text)
    if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
      address = (address as ipaddr.IPv6).toIPv4Address()
    }
    const kind = address.kind() === 'ipv4' ? 'ipv4' : 'ipv6'
    const value = address.toString()
    const hex = hexOf(address.toByteArray())
    return { kind, key: `${kind}:${value}`, value, rangeStart: hex, rangeEnd: hex }
  } catch {
    return null
  }
}

/** A label URL parsers take for a number (WHATWG "ends in a number"): decimal, or hex after 0x. */
const NUMERIC_LABEL = /^(?:\d+|0x[0-9a-f]*)$/

/**
 * A domain name lower-cased, without trailing dot, in IDNA ASCII form; null when it is not one. A name
 * whose last label is a number (`127.1`, `0x7f.0.0.1`, `010.1.1.1`, `1.2.3.4.5`) is not one: no
 * top-level domain is numeric, and URL parsers and inet_aton read such a name as an IPv4 address.
 */
export function normaliseDomain(raw: string): string | null {
  const trimmed = raw.trim().replace(/\.$/, '')
  if (trimmed === '' || /[\s/@:]/.test(trimmed)) {
    return null
  }
  const ascii = domainToASCII(trimmed.toLowerCase())
  if (ascii === '' || !/^[a-z0-9_](?:[a-z0-9_-]{0,62}\.)*[a-z0-9-]{1,63}$/.test(ascii)) {
    return null
  }
  return NUMERIC_LABEL.test(ascii.slice(ascii.lastIndexOf('.') + 1)) ? null : ascii
}

function urlObservable(raw: string): Observable | null {
  let url: URL
  try {
    url = new URL(raw.trim())
  } catch {
    return null
  }
  if (url.hostname === '') {
    return null
  }
  // WHATWG URL parsing already lower-cases scheme and host, applies IDNA and drops default ports.
  const value = url.href
  return { kind: 'url', key: observableKey('url', value), value, rangeStart: null, rangeEnd: null }
}

function plain(kind: ObservableKind, value: string): Observable {
  return { kind, key: observableKey(kind, value), value, rangeStart: null, rangeEnd: null }
}

const HASH_KINDS: Record<number, ObservableKind> = { 32: 'md5', 40: 'sha1', 64: 'sha256', 128: 'sha512' }

/**
 * Normalises a value of a known kind; null when the value is not valid for it.
 *
 * @example
 * normaliseObservable('domain', 'Bücher.Example.') // { kind: 'domain', key: 'domain:xn--bcher-kva.example', … }
 */
export function normaliseObservable(kind: ObservableKind, raw: string): Observable | null {
  const text = raw.trim()
  switch (kind) {
    case 'ipv4':
    case 'ipv6': {
      const ip = ipObservable(text)
      return ip?.kind === kind ? ip : null
    }
    case 'domain': {
      const domain = normaliseDomain(text)
      return domain === null ? null : plain('domain', domain)
    }
    case 'url':
      return urlObservable(text)
    case 'email': {
      const at = text.lastIndexOf('@')
      if (at < 1) {
        return null
      }
      const domain = normaliseDomain(text.slice(at + 1))
      return domain === null ? null : plain('email', `${text.slice(0, at).toLowerCase()}@${domain}`)
    }
    case 'md5':
    case 'sha1':
    case 'sha256':
    case 'sha512': {
      const hex = text.toLowerCase()
      return /^[0-9a-f]+$/.test(hex) && HASH_KINDS[hex.length] === kind ? plain(kind, hex) : null
    }
    case 'asn': {
      const match = /^(?:as)?\s*(\d{1,10})$/i.exec(text)
      const n = match?.[1] === undefined ? NaN : Number(match[1])
      return Number.isInteger(n) && n >= 0 && n <= 4294967295 ? plain('asn', `AS${n}`) : null
    }
    case 'mac': {
      const hex = text.toLowerCase().replace(/[^0-9a-f]/g, '')
      return hex.length === 12 ? plain('mac', hex.match(/../g)?.join(':') ?? hex) : null
    }
    case 'filename':
    case 'mutex':
    case 'other':
      return text === '' ? null : plain(kind, text)
    case 'regkey':
      return text === '' ? null : plain('regkey', text.toLowerCase())
  }
}

/**
 * Works out what a free-standing value is (an IP, a network, a URL, a hash, an ASN, an e-mail address,
 * a domain) and normalises it; null when it is none of these. Used for correlation look-ups.
 */
export function classifyValue(raw: string): Observable | null {
  const text = raw.trim()
  if (text === '') {
    return null
  }
  const ip = ipObservable(text)
  if (ip !== null) {
    return ip
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    return urlObservable(text)
  }
  if (/^[0-9a-f]+$/i.test(text) && HASH_KINDS[text.length] !== undefined) {
    return normaliseObservable(HASH_KINDS[text.length] ?? 'other', text)
  }
  if (/^as\s*\d+$/i.test(text)) {
    return normaliseObservable('asn', text)
  }
  if (text.includes('@')) {
    return normaliseObservable('email', text)
  }
  if (text.includes('.')) {
    return normaliseObservable('domain', text)
  }
  return null
}

/** The hash algorithms of STIX `hashes` dictionaries Liaison indexes. */
const STIX_HASHES: Record<string, ObservableKind> = {
  md5: 'md5',
  'sha-1': 'sha1',
  sha1: 'sha1',
  'sha-256': 'sha256',
  sha256: 'sha256',
  'sha-512': 'sha512',
  sha512: 'sha512',
}

/**
 * The observable a STIX object path names, for a value found there (an SCO property, or the left
 * side of an equality comparison in an indicator pattern); null for paths Liaison does not index.
 */
export function observableAt(objectType: string, path: string, value: unknown): Observable | null {
  if (typeof value !== 'string' && typeof value !== 'number') {
    return null
  }
  const text = String(value)
  const lowerPath = path.toLowerCase()
  if (lowerPath.startsWith('hashes.')) {
    const kind = STIX_HASHES[lowerPath.slice('hashes.'.length).replace(/'/g, '')]
    return kind === undefined ? null : normaliseObservable(kind, text)
  }
  switch (`${objectType}:${lowerPath}`) {
    case 'ipv4-addr:value':
      return normaliseObservable('ipv4', text)
    case 'ipv6-addr:value':
      return normaliseObservable('ipv6', text)
    case 'domain-name:value':
      return normaliseObservable('domain', text)
    case 'url:value':
      return normaliseObservable('url', text)
    case 'email-addr:value':
    case 'email-message:from_ref.value':
    case 'email-message:sender_ref.value':
    case 'email-message:to_refs[*].value':
      return normaliseObservable('email', text)
    case 'autonomous-system:number':
      return normaliseObservable('asn', text)
    case 'mac-addr:value':
      return normaliseObservable('mac', text)
    case 'file:name':
      return normaliseObservable('filename', text)
    case 'mutex:name':
      return normaliseObservable('mutex', text)
    case 'windows-registry-key:key':
      return normaliseObservable('regkey', text)
    case 'network-traffic:dst_ref.value':
    case 'network-traffic:src_ref.value':
      return classifyValue(text)
    default:
      return null
  }
}

/** Every observable an SCO carries (its value, its hashes, its name). */
export function observablesOfSco(sco: { type: string; [key: string]: unknown }): Observable[] {
  const out: Observable[] = []
  for (const [property, value] of Object.entries(sco)) {
    if (property === 'hashes' && typeof value === 'object' && value !== null) {
      for (const [algorithm, hash] of Object.entries(value)) {
        const found = observableAt(sco.type, `hashes.${algorithm}`, hash)
        if (found !== null) {
          out.push(found)
        }
      }
      continue
    }
    const found = observableAt(sco.type, property, value)
    if (found !== null) {
      out.push(found)
    }
  }
  return out
}
