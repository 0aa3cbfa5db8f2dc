// TAXII 2.1 (OASIS Standard, 10 June 2021) as plain values and pure rules: media types and content
// negotiation, TAXII timestamps, the URL filters, and the paging cursor. No I/O.

import { StoredInstant } from '../intel/instant.js'
import { isStixId, isStixTimestamp, STIX_TYPE_RE } from '../stix/stix.js'

/** Media type of every TAXII 2.1 resource and envelope, requests and answers. */
export const TAXII_MEDIA_TYPE = 'application/taxii+json;version=2.1'
/** Media type of STIX 2.1 content: a collection's `media_types`, a manifest record's `media_type`. */
export const STIX_MEDIA_TYPE = 'application/stix+json;version=2.1'

/** One media range of an `Accept` header, or the media type of a `Content-Type` header. */
export interface MediaRange {
  readonly type: string
  readonly subtype: string
  /** Parameters, names lower-cased, quotes removed (`q` left out). */
  readonly params: Readonly<Record<string, string>>
  /** Quality, 0 to 1 (1 when absent). */
  readonly q: number
}

/** Companion helpers for {@link MediaRange}. */
export const MediaRange = {
  /**
   * The media ranges of an `Accept` (or `Content-Type`) header, in order; unreadable ones are left out.
   *
   * @example
   * MediaRange.parseAll('application/taxii+json;version=2.1, *\/*;q=0.1')
   * // [{ type: 'application', subtype: 'taxii+json', params: { version: '2.1' }, q: 1 }, { type: '*', … q: 0.1 }]
   */
  parseAll(header: string): MediaRange[] {
    const out: MediaRange[] = []
    for (const part of splitOutsideQuotes(header, ',')) {
      const [essence = '', ...rawParams] = splitOutsideQuotes(part, ';')
      const match = /^\s*([!#$%&'*+.^_`|~0-9a-z-]+)\/([!#$%&'*+.^_`|~0-9a-z-]+)\s*$/i.exec(essence)
      if (match === null) {
        continue
      }
      const params: Record<string, string> = {}
      let q = 1
      for (const raw of rawParams) {
        const eq = raw.indexOf('=')
        if (eq < 0) {
          continue
        }
        const name = raw.slice(0, eq).trim().toLowerCase()
        let value = raw.slice(eq + 1).trim()
        if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
          value = value.slice(1, -1).replace(/\\(.)/g, '$1')
        }
        if (name === 'q') {
          const parsed = Number(value)
          q = Number.isFinite(parsed) ? Math.min(1, Math.max(0, parsed)) : 0
        } else {
          params[name] = value
        }
      }
      out.push({
        type: (match[1] ?? '').toLowerCase(),
        subtype: (match[2] ?? '').toLowerCase(),
        params,
        q,
      })
    }
    return out
  },
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = []
  let current = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? ''
    if (c === '"' && text[i - 1] !== '\\') {
      quoted = !quoted
    }
    if (c === separator && !quoted) {
      parts.push(current)
      current = ''
    } else {
      current += c
    }
  }
  parts.push(current)
  return parts
}

/**
 * True when an `Accept` header lets the server answer with {@link TAXII_MEDIA_TYPE}:
 * `application/taxii+json` without a version or with `version=2.1`, `application/*` or `*\/*`, with a
 * quality above 0. A missing header accepts anything (RFC 9110); a header naming only other types, or
 * another TAXII version, is a 406.
 */
export function acceptsTaxii(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') {
    return true
  }
  // The TAXII type's quality is that of the most specific range matching it (RFC 9110 §12.5.1):
  // `application/taxii+json;q=0, */*` refuses it, however broad the rest.
  let best: { specificity: number; q: number } | null = null
  for (const range of MediaRange.parseAll(accept)) {
    const specificity =
      range.type === '*' && range.subtype === '*'
        ? 0
        : range.type !== 'application'
          ? -1
          : range.subtype === '*'
            ? 1
            : range.subtype === 'taxii+json' && versionIs21(range)
              ? range.params.version === undefined
                ? 2
                : 3
              : -1
    if (specificity >= 0 && (best === null || specificity > best.specificity)) {
      best = { specificity, q: range.q }
    } else if (best !== null && specificity === best.specificity) {
      best = { specificity, q: Math.max(best.q, range.q) }
    }
  }
  return best !== null && best.q > 0
}

/**
 * True when a request body's `Content-Type` is one a TAXII 2.1 POST may carry: the TAXII media type
 * (an envelope), or the STIX 2.1 media type, each without a version or with `version=2.1`.
 */
export function isTaxiiContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) {
    return false
  }
  const [range] = MediaRange.parseAll(contentType)
  if (range === undefined || range.type !== 'application') {
    return false
  }
  return (range.subtype === 'taxii+json' || range.subtype === 'stix+json') && versionIs21(range)
}

function versionIs21(range: MediaRange): boolean {
  const version = range.params.version
  return version === undefined || version === '2.1'
}

/**
 * A stored instant (six fractional digits, see `StoredInstant`) as a TAXII timestamp, which has
 * exactly microsecond precision: the digits are kept, never cut (a client pages by them). Other
 * precisions are padded or cut to six.
 *
 * @example
 * toTaxiiTimestamp('2026-11-24T18:00:00.123456Z') // '2026-11-24T18:00:00.123456Z'
 * toTaxiiTimestamp('2026-11-24T18:00:00.123Z') // '2026-11-24T18:00:00.123000Z'
 */
export function toTaxiiTimestamp(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(iso)
  if (match === null) {
    return iso
  }
  return `${match[1] ?? ''}.${(match[2] ?? '').padEnd(6, '0').slice(0, 6)}Z`
}

/**
 * A client's timestamp (`added_after`) as a stored instant (six fractional digits, see
 * `StoredInstant`), truncated to the microsecond: stored instants have microsecond precision, so
 * "strictly after" the truncated value keeps exactly the instants strictly after the original. Null
 * when it is no RFC 3339 UTC timestamp.
 *
 * @example
 * parseTaxiiTimestamp('2026-11-24T18:00:00.123456789Z') // '2026-11-24T18:00:00.123456Z'
 * parseTaxiiTimestamp('2026-11-24T18:00:00.5Z') // '2026-11-24T18:00:00.500000Z'
 */
export function parseTaxiiTimestamp(value: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/.exec(value)
  if (match === null) {
    return null
  }
  const [, year, month, day, hour, minute, second] = match.map(Number)
  const fraction = (match[7] ?? '').padEnd(6, '0').slice(0, 6)
  const ms = Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 0, hour ?? 0, minute ?? 0, second ?? 0)
  const date = new Date(ms)
  // Date.UTC rolls over (month 13, day 32): such a value is no timestamp.
  if (
    Number.isNaN(ms) ||
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() + 1 !== month ||
    date.getUTCDate() !== day ||
    date.getUTCHours() !== hour ||
    date.getUTCMinutes() !== minute ||
    date.getUTCSeconds() !== second
  ) {
    return null
  }
  return `${value.slice(0, 19)}.${fraction}Z`
}

/**
 * Every spelling of one instant at 0 to 9 fractional digits (STIX keeps the original `modified`
 * string, whose precision varies by producer), so an exact version match is a string match.
 *
 * @example
 * equivalentTimestamps('2024-01-01T00:00:00.5Z')
 * // ['2024-01-01T00:00:00.5Z', '2024-01-01T00:00:00.50Z', … '2024-01-01T00:00:00.500000000Z']
 */
export function equivalentTimestamps(value: string): string[] {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(value)
  if (match === null) {
    return [value]
  }
  const seconds = match[1] ?? ''
  const digits = (match[2] ?? '').replace(/0+$/, '')
  const out: string[] = []
  if (digits === '') {
    out.push(`${seconds}Z`)
  }
  for (let width = Math.max(1, digits.length); width <= 9; width++) {
    out.push(`${seconds}.${digits.padEnd(width, '0')}Z`)
  }
  if (!out.includes(value)) {
    out.push(value)
  }
  return out
}

/** The position after the last item of a page: (date added, STIX id, owner organisation, version). */
export interface TaxiiCursor {
  readonly addedAt: string
  readonly id: string
  readonly ownerOrgId: string
  /** The stored `modified` ('' for objects without one). */
  readonly modified: string
}

/** Companion helpers for {@link TaxiiCursor}: the opaque `next` value of an envelope. */
export const TaxiiCursor = {
  /** The opaque text of a cursor (base64url of a JSON list). */
  encode(cursor: TaxiiCursor): string {
    const parts = [cursor.addedAt, cursor.id, cursor.ownerOrgId, cursor.modified]
    return Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url')
  },
  /** The cursor a `next` value holds, or null when it is not one of ours. */
  decode(text: string): TaxiiCursor | null {
    if (!/^[A-Za-z0-9_-]{1,2000}$/.test(text)) {
      return null
    }
    let value: unknown
    try {
      value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'))
    } catch {
      return null
    }
    if (
      !Array.isArray(value) ||
      value.length !== 4 ||
      !value.every((v): v is string => typeof v === 'string' && v.length <= 300)
    ) {
      return null
    }
    const [addedAt, id, ownerOrgId, modified] = value as [string, string, string, string]
    // A cursor given out before instants had microseconds holds a millisecond one.
    return { addedAt: StoredInstant.normalize(addedAt), id, ownerOrgId, modified }
  },
}

/** What `match[version]` asks for: every version, or the union of first, last and exact versions. */
export type VersionMatch =
  | { readonly all: true }
  | {
      readonly all: false
      readonly first: boolean
      readonly last: boolean
      /** Exact versions as given (STIX timestamps), each compared at full precision. */
      readonly at: readonly string[]
    }

/** The URL filters of one TAXII request, checked. */
export interface TaxiiFilter {
  /** `added_after` as a stored instant (see {@link parseTaxiiTimestamp}); null when absent. */
  readonly addedAfter: string | null
  /** `limit`; null when absent (the server picks). */
  readonly limit: number | null
  /** `next`; null when absent. */
  readonly next: TaxiiCursor | null
  /** `match[id]`; null when absent. */
  readonly ids: readonly string[] | null
  /** `match[type]`; null when absent. */
  readonly types: readonly string[] | null
  /** `match[version]`; `last` when absent. */
  readonly versions: VersionMatch
  /** `match[spec_version]`; null when absent (the latest spec version of each object). */
  readonly specVersions: readonly string[] | null
}

/** The filters each endpoint takes (others are ignored, as the standard allows). */
export type TaxiiFilterSet = 'objects' | 'object' | 'delete' | 'versions'

const FILTERS_OF: Readonly<Record<TaxiiFilterSet, readonly string[]>> = {
  objects: [
    'added_after',
    'limit',
    'next',
    'match[id]',
    'match[type]',
    'match[version]',
    'match[spec_version]',
  ],
  object: ['added_after', 'limit', 'next', 'match[version]', 'match[spec_version]'],
  delete: ['match[version]', 'match[spec_version]'],
  versions: ['added_after', 'limit', 'next', 'match[spec_version]'],
}

/** A malformed filter: the parameter and why (answered as a 400). */
export interface TaxiiFilterProblem {
  readonly parameter: string
  readonly message: string
}

/**
 * Reads and checks the URL filters an endpoint takes. Each parameter may appear once; lists are
 * comma-separated without duplicates; `match[version]=all` stands alone.
 *
 * @example
 * parseTaxiiFilter({ 'match[type]': 'indicator,malware', limit: '50' }, 'objects')
 * // { ok: true, filter: { types: ['indicator', 'malware'], limit: 50, versions: { all: false, last: true, … }, … } }
 */
export function parseTaxiiFilter(
  query: Readonly<Record<string, unknown>>,
  set: TaxiiFilterSet,
): { ok: true; filter: TaxiiFilter } | { ok: false; problem: TaxiiFilterProblem } {
  const allowed = FILTERS_OF[set]
  const single: Record<string, string> = {}
  for (const name of allowed) {
    const value = query[name]
    if (value === undefined) {
      continue
    }
    if (typeof value !== 'string') {
      return fail(name, 'may appear only once')
    }
    single[name] = value
  }
  let addedAfter: string | null = null
  if (single.added_after !== undefined) {
    addedAfter = parseTaxiiTimestamp(single.added_after)
    if (addedAfter === null) {
      return fail('added_after', 'must be a timestamp such as 2026-11-24T18:00:00.000000Z')
    }
  }
  let limit: number | null = null
  if (single.limit !== undefined) {
    if (!/^[1-9][0-9]*$/.test(single.limit)) {
      return fail('limit', 'must be a positive integer')
    }
    // Any positive integer is a limit (the server gives at most its own page size): a larger one
    // than JavaScript counts exactly is as good as the largest it does.
    limit = Math.min(Number(single.limit), Number.MAX_SAFE_INTEGER)
  }
  let next: TaxiiCursor | null = null
  if (single.next !== undefined) {
    next = TaxiiCursor.decode(single.next)
    if (next === null) {
      return fail('next', 'is not a value this server gave out')
    }
  }
  const ids = list(single['match[id]'])
  if (ids !== null) {
    const bad = ids.find((id) => !isStixId(id))
    if (bad !== undefined) {
      return fail('match[id]', `${JSON.stringify(bad)} is not a STIX id`)
    }
  }
  const types = list(single['match[type]'])
  if (types !== null) {
    const bad = types.find((type) => !STIX_TYPE_RE.test(type) || type.length < 3 || type.length > 250)
    if (bad !== undefined) {
      return fail('match[type]', `${JSON.stringify(bad)} is not a STIX type name`)
    }
  }
  let versions: VersionMatch = { all: false, first: false, last: true, at: [] }
  const versionList = list(single['match[version]'])
  if (versionList !== null) {
    if (versionList.includes('all')) {
      if (versionList.length > 1) {
        return fail('match[version]', '"all" must stand alone')
      }
      versions = { all: true }
    } else {
      const at: string[] = []
      for (const value of versionList) {
        if (value !== 'first' && value !== 'last' && !isStixTimestamp(value)) {
          return fail('match[version]', `${JSON.stringify(value)} is not first, last, all or a timestamp`)
        }
        if (value !== 'first' && value !== 'last') {
          at.push(value)
        }
      }
      versions = { all: false, first: versionList.includes('first'), last: versionList.includes('last'), at }
    }
  }
  const specVersions = list(single['match[spec_version]'])
  if (specVersions !== null) {
    const bad = specVersions.find((v) => !/^[0-9]+\.[0-9]+$/.test(v))
    if (bad !== undefined) {
      return fail('match[spec_version]', `${JSON.stringify(bad)} is not a STIX version such as 2.1`)
    }
  }
  for (const [name, values] of [
    ['match[id]', ids],
    ['match[type]', types],
    ['match[version]', versionList],
    ['match[spec_version]', specVersions],
  ] as const) {
    if (values !== null && new Set(values).size !== values.length) {
      return fail(name, 'lists a value twice')
    }
  }
  return { ok: true, filter: { addedAfter, limit, next, ids, types, versions, specVersions } }
}

function fail(parameter: string, message: string): { ok: false; problem: TaxiiFilterProblem } {
  return { ok: false, problem: { parameter, message } }
}

function list(value: string | undefined): string[] | null {
  if (value === undefined) {
    return null
  }
  return value.split(',')
}

/** The reason phrase of an HTTP status, the `title` of a TAXII error. */
export function httpStatusTitle(status: number): string {
  const titles: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    405: 'Method Not Allowed',
    406: 'Not Acceptable',
    409: 'Conflict',
    413: 'Payload Too Large',
    415: 'Unsupported Media Type',
    422: 'Unprocessable Content',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    503: 'Service Unavailable',
  }
  return titles[status] ?? (status >= 500 ? 'Server Error' : 'Client Error')
}
