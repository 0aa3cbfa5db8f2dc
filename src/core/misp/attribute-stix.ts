// One MISP attribute value <-> STIX, type by type, following misp-stix's MISP→STIX 2.1 mapping
// (misp-stix/mapping/misp_attributes_to_stix21.json): SCO ids reuse the attribute uuid, patterns compare
// the same properties the SCOs carry. Integer constants are left unquoted (see the README of this folder).

import type { StixObject } from './misp.js'
import { integerComparison, keyStep, readPattern, stringComparison } from './pattern.js'
import { asArray, asString, isRecord } from './util.js'

/** How one attribute value is represented in STIX. */
export type AttributeValueStix =
  /** Observed-data over these SCOs, plus an indicator with `pattern` when the attribute is `to_ids`. */
  | { kind: 'observable'; scos: StixObject[]; pattern: string }
  /** An indicator only (rules, ports, user agents…); without `to_ids` such attributes are custom. */
  | { kind: 'pattern'; pattern: string; patternType: string }
  /** An SDO standing for the attribute (`vulnerability`, `campaign-name`). */
  | { kind: 'sdo'; type: 'vulnerability' | 'campaign'; props: Record<string, unknown> }
  /** No STIX equivalent: an `x-misp-attribute` custom object carries it. */
  | { kind: 'custom' }

/** A value (and attachment payload) read back from STIX. */
export interface ValueFromStix {
  value: string
  data?: string
}

interface Codec {
  toStix(
    value: string,
    uuid: string,
    data: string | undefined,
  ): { scos: StixObject[]; pattern: string } | null
  fromStix(scos: ScoSet): ValueFromStix | null
}

/** SCOs of one observed-data (a handful: a scan beats building a map for each attribute). */
class ScoSet {
  constructor(private readonly list: readonly StixObject[]) {}

  get(ref: unknown): StixObject | undefined {
    return typeof ref === 'string' ? this.list.find((sco) => sco.id === ref) : undefined
  }

  first(type: string): StixObject | undefined {
    return this.list.find((sco) => sco.type === type)
  }
}

/** SHA-224/384 and SHA3 names follow STIX's hyphenated style; SHA-512/t uses `SHA512-t` (`/` is not a key character). */
export const HASH_KEYS: Readonly<Record<string, string>> = {
  md5: 'MD5',
  sha1: 'SHA-1',
  sha224: 'SHA-224',
  sha256: 'SHA-256',
  sha384: 'SHA-384',
  sha512: 'SHA-512',
  'sha512/224': 'SHA512-224',
  'sha512/256': 'SHA512-256',
  'sha3-224': 'SHA3-224',
  'sha3-256': 'SHA3-256',
  'sha3-384': 'SHA3-384',
  'sha3-512': 'SHA3-512',
  ssdeep: 'SSDEEP',
  tlsh: 'TLSH',
  imphash: 'IMPHASH',
  impfuzzy: 'IMPFUZZY',
  authentihash: 'AUTHENTIHASH',
  pehash: 'PEHASH',
  vhash: 'VHASH',
  telfhash: 'TELFHASH',
  cdhash: 'CDHASH',
}

/** Certificate fingerprint types and their `x509-certificate` hash keys. */
export const X509_HASH_KEYS: Readonly<Record<string, string>> = {
  'x509-fingerprint-md5': 'MD5',
  'x509-fingerprint-sha1': 'SHA-1',
  'x509-fingerprint-sha256': 'SHA-256',
}

const SIMPLE_SCOS: Readonly<Record<string, readonly [string, string]>> = {
  domain: ['domain-name', 'value'],
  hostname: ['domain-name', 'value'],
  email: ['email-addr', 'value'],
  link: ['url', 'value'],
  url: ['url', 'value'],
  uri: ['url', 'value'],
  'mac-address': ['mac-addr', 'value'],
  mutex: ['mutex', 'name'],
  regkey: ['windows-registry-key', 'key'],
  filename: ['file', 'name'],
}

/** Rule attributes and the indicator `pattern_type` they become. */
export const RULE_PATTERN_TYPES: Readonly<Record<string, string>> = {
  yara: 'yara',
  sigma: 'sigma',
  snort: 'snort',
  suricata: 'suricata',
  'stix2-pattern': 'stix',
}

const USER_AGENT_PATH = "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'"
const HTTP_METHOD_PATH = "network-traffic:extensions.'http-request-ext'.request_method"
const CVE_RE = /^CVE-\d{4}-\d{4,}$/i
const NON_DIGITS_RE = /\D/g
const PORT_RE = /^\d{1,5}$/
const INTEGER_RE = /^\d{1,15}$/

const URL_SCHEME_RE = /^[a-z][a-z0-9+.-]*:\S*$/i
const MAC48_RE = /^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i
const DASHES_RE = /-/g

/**
 * What an SCO value must be (STIX 2.1): a URL has a scheme, a MAC address is lower-case MAC-48 with
 * colons. Returns the value to store (normalised) or null when it cannot be one.
 */
const SCO_VALUE_CHECKS: Readonly<Record<string, (value: string) => string | null>> = {
  url: (value) => (URL_SCHEME_RE.test(value) ? value : null),
  'mac-addr': (value) => (MAC48_RE.test(value) ? value.toLowerCase().replace(DASHES_RE, ':') : null),
}

const codecs = new Map<string, Codec | null>()

/**
 * How the attribute `type` with `value` becomes STIX; SCO ids are `<sco type>--<uuid>`.
 *
 * @example
 * mapAttributeValue('ip-dst', '198.51.100.7', uuid, undefined, true)
 * // { kind: 'observable', scos: [network-traffic, ipv4-addr],
 * //   pattern: "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '198.51.100.7']" }
 */
export function mapAttributeValue(
  type: string,
  value: string,
  uuid: string,
  data: string | undefined,
  toIds: boolean,
): AttributeValueStix {
  const codec = codecFor(type)
  if (codec !== null) {
    const stix = codec.toStix(value, uuid, data)
    if (stix === null) {
      return { kind: 'custom' }
    }
    if (stix.scos.length === 0) {
      // The value cannot be a valid SCO (a URL without a scheme): an indicator can still match it.
      return toIds ? { kind: 'pattern', pattern: stix.pattern, patternType: 'stix' } : { kind: 'custom' }
    }
    return { kind: 'observable', ...stix }
  }
  const ruleType = RULE_PATTERN_TYPES[type]
  if (ruleType !== undefined) {
    return toIds ? { kind: 'pattern', pattern: value, patternType: ruleType } : { kind: 'custom' }
  }
  const pattern = patternOnly(type, value)
  if (pattern !== null) {
    return toIds ? { kind: 'pattern', pattern, patternType: 'stix' } : { kind: 'custom' }
  }
  if (type === 'vulnerability') {
    const props: Record<string, unknown> = { name: value }
    if (CVE_RE.test(value)) {
      props.external_references = [{ source_name: 'cve', external_id: value }]
    }
    return { kind: 'sdo', type: 'vulnerability', props }
  }
  if (type === 'campaign-name') {
    return { kind: 'sdo', type: 'campaign', props: { name: value } }
  }
  return { kind: 'custom' }
}

/** The attribute value the SCOs of an observed-data hold for `type`, or null when they hold none. */
export function valueFromObservable(type: string, scos: readonly StixObject[]): ValueFromStix | null {
  const codec = codecFor(type)
  return codec === null ? null : codec.fromStix(new ScoSet(scos))
}

/** The attribute value an indicator of `type` holds (rules: the rule text; others: the last constant). */
export function valueFromPattern(type: string, pattern: string, patternType: string): string | null {
  if (RULE_PATTERN_TYPES[type] !== undefined || patternType !== 'stix') {
    // misp-stix writes rules inside [ ]; a rule itself never starts with '['.
    if (patternType !== 'stix' && pattern.startsWith('[') && pattern.endsWith(']')) {
      return pattern.slice(1, -1)
    }
    return pattern
  }
  const read = readPattern(pattern)
  const last = read?.comparisons.at(-1)
  return last === undefined ? null : String(last.value)
}

/** True when the type maps to observed-data (and an indicator when `to_ids`). */
export function isObservableType(type: string): boolean {
  return codecFor(type) !== null
}

function patternOnly(type: string, value: string): string | null {
  switch (type) {
    case 'port':
      return PORT_RE.test(value) ? `[${integerComparison('network-traffic:dst_port', Number(value))}]` : null
    case 'size-in-bytes':
      return INTEGER_RE.test(value) ? `[${integerComparison('file:size', Number(value))}]` : null
    case 'user-agent':
      return `[${stringComparison(USER_AGENT_PATH, value)}]`
    case 'http-method':
      return `[${stringComparison(HTTP_METHOD_PATH, value)}]`
    default:
      return null
  }
}

function codecFor(type: string): Codec | null {
  const cached = codecs.get(type)
  if (cached !== undefined) {
    return cached
  }
  const codec = buildCodec(type)
  codecs.set(type, codec)
  return codec
}

function buildCodec(type: string): Codec | null {
  const simple = SIMPLE_SCOS[type]
  if (simple !== undefined) {
    return simpleCodec(simple[0], simple[1], SCO_VALUE_CHECKS[simple[0]])
  }
  const hashKey = HASH_KEYS[type]
  if (hashKey !== undefined) {
    return hashCodec('file', hashKey)
  }
  const x509Key = X509_HASH_KEYS[type]
  if (x509Key !== undefined) {
    return hashCodec('x509-certificate', x509Key)
  }
  if (type.startsWith('filename|')) {
    const key = HASH_KEYS[type.slice('filename|'.length)]
    return key === undefined ? null : filenameHashCodec(key)
  }
  switch (type) {
    case 'AS':
      return asCodec
    case 'ip-src':
      return ipCodec('src', false)
    case 'ip-dst':
      return ipCodec('dst', false)
    case 'ip-src|port':
      return ipCodec('src', true)
    case 'ip-dst|port':
      return ipCodec('dst', true)
    case 'domain|ip':
      return domainIpCodec
    case 'hostname|port':
      return hostnamePortCodec
    case 'email-src':
      return emailAddressCodec('from_ref')
    case 'email-dst':
      return emailAddressCodec('to_refs')
    case 'email-subject':
      return emailPropertyCodec('subject')
    case 'email-body':
      return emailPropertyCodec('body')
    case 'email-message-id':
      return emailPropertyCodec('message_id')
    case 'email-header':
      return emailHeaderCodec
    case 'email-reply-to':
      return emailHeaderFieldCodec('Reply-To')
    case 'email-x-mailer':
      return emailHeaderFieldCodec('X-Mailer')
    case 'email-attachment':
      return emailAttachmentCodec
    case 'github-username':
      return githubCodec
    case 'attachment':
      return attachmentCodec
    case 'malware-sample':
      return malwareSampleCodec
    case 'regkey|value':
      return regkeyValueCodec
    default:
      return null
  }
}

function sco(type: string, uuid: string, props: Record<string, unknown>): StixObject {
  return { type, spec_version: '2.1', id: `${type}--${uuid}`, ...props }
}

function ipTypeOf(value: string): string {
  return value.includes(':') ? 'ipv6-addr' : 'ipv4-addr'
}

function splitFirst(value: string): [string, string] | null {
  const bar = value.indexOf('|')
  if (bar <= 0 || bar === value.length - 1) {
    return null
  }
  return [value.slice(0, bar), value.slice(bar + 1)]
}

function parsePort(value: string): number | null {
  if (!PORT_RE.test(value)) {
    return null
  }
  const port = Number(value)
  return port <= 65535 ? port : null
}

function stringOf(object: StixObject | undefined, key: string): string | undefined {
  return asString(object?.[key])
}

function recordOf(object: StixObject | undefined, key: string): Record<string, unknown> | undefined {
  const value = object?.[key]
  return isRecord(value) ? value : undefined
}

function firstOf(object: StixObject | undefined, key: string): unknown {
  return asArray(object?.[key])[0]
}

function joined(first: unknown, second: unknown): ValueFromStix | null {
  if ((typeof first !== 'string' && typeof first !== 'number') || first === '') {
    return null
  }
  if ((typeof second !== 'string' && typeof second !== 'number') || second === '') {
    return null
  }
  return { value: `${first}|${second}` }
}

function simpleCodec(scoType: string, prop: string, check?: (value: string) => string | null): Codec {
  return {
    toStix: (value, uuid) => {
      const valid = check === undefined ? value : check(value)
      const compared = valid ?? value
      return {
        scos: valid === null ? [] : [sco(scoType, uuid, { [prop]: valid })],
        pattern: `[${stringComparison(`${scoType}:${prop}`, compared)}]`,
      }
    },
    fromStix: (scos) => {
      const value = stringOf(scos.first(scoType), prop)
      return value === undefined ? null : { value }
    },
  }
}

function hashCodec(scoType: string, key: string): Codec {
  return {
    toStix: (value, uuid) => ({
      scos: [sco(scoType, uuid, { hashes: { [key]: value } })],
      pattern: `[${stringComparison(`${scoType}:hashes${keyStep(key)}`, value)}]`,
    }),
    fromStix: (scos) => {
      const value = recordOf(scos.first(scoType), 'hashes')?.[key]
      return typeof value === 'string' ? { value } : null
    },
  }
}

function filenameHashCodec(key: string): Codec {
  return {
    toStix: (value, uuid) => {
      const parts = splitFirst(value)
      if (parts === null) {
        return null
      }
      const [name, hash] = parts
      return {
        scos: [sco('file', uuid, { hashes: { [key]: hash }, name })],
        pattern: `[${stringComparison('file:name', name)} AND ${stringComparison(`file:hashes${keyStep(key)}`, hash)}]`,
      }
    },
    fromStix: (scos) => {
      const file = scos.first('file')
      return joined(stringOf(file, 'name'), recordOf(file, 'hashes')?.[key])
    },
  }
}

const asCodec: Codec = {
  toStix: (value, uuid) => {
    const digits = value.replace(NON_DIGITS_RE, '')
    if (digits === '' || digits.length > 10) {
      return null
    }
    const number = Number(digits)
    return {
      scos: [sco('autonomous-system', uuid, { number })],
      pattern: `[${integerComparison('autonomous-system:number', number)}]`,
    }
  },
  fromStix: (scos) => {
    const number = scos.first('autonomous-system')?.number
    return typeof number === 'number' ? { value: String(number) } : null
  },
}

function ipCodec(direction: 'src' | 'dst', withPort: boolean): Codec {
  const refKey = `${direction}_ref`
  const portKey = `${direction}_port`
  return {
    toStix: (value, uuid) => {
      let address = value
      let port: number | null = null
      if (withPort) {
        const parts = splitFirst(value)
        port = parts === null ? null : parsePort(parts[1])
        if (parts === null || port === null) {
          return null
        }
        address = parts[0]
      }
      const ipType = ipTypeOf(address)
      const traffic: Record<string, unknown> = { [refKey]: `${ipType}--${uuid}` }
      let pattern =
        `${stringComparison(`network-traffic:${refKey}.type`, ipType)} AND ` +
        stringComparison(`network-traffic:${refKey}.value`, address)
      if (port !== null) {
        traffic[portKey] = port
        pattern += ` AND ${integerComparison(`network-traffic:${portKey}`, port)}`
      }
      traffic.protocols = ['tcp']
      return {
        scos: [sco('network-traffic', uuid, traffic), sco(ipType, uuid, { value: address })],
        pattern: `[${pattern}]`,
      }
    },
    fromStix: (scos) => {
      const traffic = scos.first('network-traffic')
      const address = stringOf(scos.get(traffic?.[refKey]), 'value')
      if (!withPort) {
        return address === undefined ? null : { value: address }
      }
      return joined(address, traffic?.[portKey])
    },
  }
}

const domainIpCodec: Codec = {
  toStix: (value, uuid) => {
    const parts = splitFirst(value)
    if (parts === null) {
      return null
    }
    const [domain, address] = parts
    const ipType = ipTypeOf(address)
    return {
      scos: [
        sco('domain-name', uuid, { value: domain, resolves_to_refs: [`${ipType}--${uuid}`] }),
        sco(ipType, uuid, { value: address }),
      ],
      pattern:
        `[${stringComparison('domain-name:value', domain)} AND ` +
        `${stringComparison('domain-name:resolves_to_refs[*].value', address)}]`,
    }
  },
  fromStix: (scos) => {
    const domain = scos.first('domain-name')
    return joined(stringOf(domain, 'value'), stringOf(scos.get(firstOf(domain, 'resolves_to_refs')), 'value'))
  },
}

const hostnamePortCodec: Codec = {
  toStix: (value, uuid) => {
    const parts = splitFirst(value)
    const port = parts === null ? null : parsePort(parts[1])
    if (parts === null || port === null) {
      return null
    }
    return {
      scos: [
        sco('domain-name', uuid, { value: parts[0] }),
        sco('network-traffic', uuid, { dst_ref: `domain-name--${uuid}`, dst_port: port, protocols: ['tcp'] }),
      ],
      pattern: `[${stringComparison('domain-name:value', parts[0])} AND ${integerComparison('network-traffic:dst_port', port)}]`,
    }
  },
  fromStix: (scos) =>
    joined(stringOf(scos.first('domain-name'), 'value'), scos.first('network-traffic')?.dst_port),
}

function emailAddressCodec(field: 'from_ref' | 'to_refs'): Codec {
  const path = field === 'from_ref' ? 'email-message:from_ref.value' : 'email-message:to_refs[*].value'
  return {
    toStix: (value, uuid) => {
      const addressId = `email-addr--${uuid}`
      return {
        scos: [
          sco('email-message', uuid, {
            is_multipart: false,
            [field]: field === 'from_ref' ? addressId : [addressId],
          }),
          sco('email-addr', uuid, { value }),
        ],
        pattern: `[${stringComparison(path, value)}]`,
      }
    },
    fromStix: (scos) => {
      const message = scos.first('email-message')
      const ref = field === 'from_ref' ? message?.from_ref : firstOf(message, 'to_refs')
      const value = stringOf(scos.get(ref), 'value')
      return value === undefined ? null : { value }
    },
  }
}

function emailPropertyCodec(prop: string): Codec {
  return {
    toStix: (value, uuid) => ({
      scos: [sco('email-message', uuid, { is_multipart: false, [prop]: value })],
      pattern: `[${stringComparison(`email-message:${prop}`, value)}]`,
    }),
    fromStix: (scos) => {
      const value = stringOf(scos.first('email-message'), prop)
      return value === undefined ? null : { value }
    },
  }
}

const emailHeaderCodec: Codec = {
  toStix: (value, uuid) => ({
    scos: [sco('email-message', uuid, { is_multipart: false, received_lines: [value] })],
    pattern: `[${stringComparison('email-message:received_lines[*]', value)}]`,
  }),
  fromStix: (scos) => {
    const value = firstOf(scos.first('email-message'), 'received_lines')
    return typeof value === 'string' ? { value } : null
  },
}

function emailHeaderFieldCodec(header: string): Codec {
  return {
    toStix: (value, uuid) => ({
      scos: [
        sco('email-message', uuid, { is_multipart: false, additional_header_fields: { [header]: value } }),
      ],
      pattern: `[${stringComparison(`email-message:additional_header_fields${keyStep(header)}`, value)}]`,
    }),
    fromStix: (scos) => {
      const value = recordOf(scos.first('email-message'), 'additional_header_fields')?.[header]
      return typeof value === 'string' ? { value } : null
    },
  }
}

const emailAttachmentCodec: Codec = {
  toStix: (value, uuid) => ({
    scos: [
      sco('email-message', uuid, {
        is_multipart: true,
        body_multipart: [
          { body_raw_ref: `file--${uuid}`, content_disposition: `attachment; filename='${value}'` },
        ],
      }),
      sco('file', uuid, { name: value }),
    ],
    pattern: `[${stringComparison('email-message:body_multipart[*].body_raw_ref.name', value)}]`,
  }),
  fromStix: (scos) => {
    const part = firstOf(scos.first('email-message'), 'body_multipart')
    const ref = isRecord(part) ? part.body_raw_ref : undefined
    const value = stringOf(scos.get(ref) ?? scos.first('file'), 'name')
    return value === undefined ? null : { value }
  },
}

const githubCodec: Codec = {
  toStix: (value, uuid) => ({
    scos: [sco('user-account', uuid, { account_login: value, account_type: 'github' })],
    pattern:
      `[${stringComparison('user-account:account_type', 'github')} AND ` +
      `${stringComparison('user-account:account_login', value)}]`,
  }),
  fromStix: (scos) => {
    const value = stringOf(scos.first('user-account'), 'account_login')
    return value === undefined ? null : { value }
  },
}

const attachmentCodec: Codec = {
  toStix: (value, uuid, data) => {
    if (data === undefined) {
      return {
        scos: [sco('file', uuid, { name: value })],
        pattern: `[${stringComparison('file:name', value)}]`,
      }
    }
    return {
      scos: [
        sco('file', uuid, { name: value, content_ref: `artifact--${uuid}` }),
        sco('artifact', uuid, { payload_bin: data }),
      ],
      pattern: `[${stringComparison('file:name', value)} AND ${stringComparison('file:content_ref.payload_bin', data)}]`,
    }
  },
  fromStix: (scos) => withPayload(stringOf(scos.first('file'), 'name'), scos),
}

const malwareSampleCodec: Codec = {
  toStix: (value, uuid, data) => {
    const parts = splitFirst(value)
    if (parts === null) {
      return null
    }
    const [name, md5] = parts
    const nameAndHash = `${stringComparison('file:name', name)} AND ${stringComparison('file:hashes.MD5', md5)}`
    if (data === undefined) {
      return { scos: [sco('file', uuid, { hashes: { MD5: md5 }, name })], pattern: `[${nameAndHash}]` }
    }
    return {
      scos: [
        sco('file', uuid, { hashes: { MD5: md5 }, name, content_ref: `artifact--${uuid}` }),
        sco('artifact', uuid, {
          mime_type: 'application/zip',
          payload_bin: data,
          encryption_algorithm: 'mime-type-indicated',
          decryption_key: 'infected',
        }),
      ],
      pattern:
        `[${stringComparison('file:content_ref.payload_bin', data)} AND ${nameAndHash} AND ` +
        `${stringComparison('file:content_ref.mime_type', 'application/zip')} AND ` +
        `${stringComparison('file:content_ref.encryption_algorithm', 'mime-type-indicated')} AND ` +
        `${stringComparison('file:content_ref.decryption_key', 'infected')}]`,
    }
  },
  fromStix: (scos) => {
    const file = scos.first('file')
    const md5 = recordOf(file, 'hashes')?.MD5
    const name = stringOf(file, 'name')
    if (typeof md5 !== 'string' || name === undefined) {
      return null
    }
    return withPayload(`${name}|${md5}`, scos)
  },
}

const regkeyValueCodec: Codec = {
  toStix: (value, uuid) => {
    const parts = splitFirst(value)
    if (parts === null) {
      return null
    }
    const [key, data] = parts
    return {
      scos: [sco('windows-registry-key', uuid, { key, values: [{ data }] })],
      pattern:
        `[${stringComparison('windows-registry-key:key', key)} AND ` +
        `${stringComparison('windows-registry-key:values[*].data', data)}]`,
    }
  },
  fromStix: (scos) => {
    const registry = scos.first('windows-registry-key')
    const first = firstOf(registry, 'values')
    const data = isRecord(first) ? first.data : undefined
    return joined(stringOf(registry, 'key'), data)
  },
}

function withPayload(value: string | undefined, scos: ScoSet): ValueFromStix | null {
  if (value === undefined) {
    return null
  }
  const payload = stringOf(scos.get(scos.first('file')?.content_ref), 'payload_bin')
  return payload === undefined ? { value } : { value, data: payload }
}
