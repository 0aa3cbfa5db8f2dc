import ipaddr from 'ipaddr.js'
import {
  classifyValue,
  fitsInKey,
  hashedKey,
  normaliseDomain,
  normaliseObservable,
  OBSERVABLE_KINDS,
  type Observable,
  type ObservableKind,
} from './observable.js'

// MISP warninglists (github.com/MISP/misp-warninglists): lists of known-benign values. An entry is
// turned into the same normalised keys as the observable index (observable.ts), so "is this value on
// a list" is a key look-up, whether the value comes from a free-text check or from the index:
//   string     → the observable key(s) of the entry (`ipv4:8.8.8.8`, `md5:d41d…`), exact match;
//   hostname   → `host:<domain>`; a value matches through its host and every parent domain;
//   cidr       → `net:<ip key>` of the network; a value matches through the networks that contain it;
//   substring  → kept as lower-case text and searched in the value (lists of this type are short);
//   regex      → refused: MISP's PCRE patterns cannot be run here without risking catastrophic
//                backtracking on a request path (no RE2), and a list that silently matched nothing
//                would be worse than a clear refusal.

/** The list types of the MISP warninglist format. */
export const WARNINGLIST_TYPES = ['cidr', 'string', 'hostname', 'substring', 'regex'] as const
/** One of {@link WARNINGLIST_TYPES}. */
export type WarninglistType = (typeof WARNINGLIST_TYPES)[number]
/** The types Liaison imports and matches (`regex` is refused, see the module notes). */
export const SUPPORTED_WARNINGLIST_TYPES = ['cidr', 'string', 'hostname', 'substring'] as const
/** One of {@link SUPPORTED_WARNINGLIST_TYPES}. */
export type SupportedWarninglistType = (typeof SUPPORTED_WARNINGLIST_TYPES)[number]
/** Values of the optional `category` of a list. */
export const WARNINGLIST_CATEGORIES = ['false-positive', 'known'] as const
/** One of {@link WARNINGLIST_CATEGORIES}. */
export type WarninglistCategory = (typeof WARNINGLIST_CATEGORIES)[number]

/** How an entry matches: by observable key, by host (and subdomains), by network, by substring. */
export type WarninglistEntryMatch = 'key' | 'host' | 'net' | 'substring'

/** One entry of a list in its indexed form. */
export interface WarninglistEntry {
  /** The entry as the list writes it. */
  readonly value: string
  readonly match: WarninglistEntryMatch
  /** What a look-up key must equal (`ipv4:8.8.8.8`, `host:example.com`, `net:ipv4:10.0.0.0/8`); for `substring`, the lower-case text. */
  readonly key: string
  /** Observable kind of `key` and `net` entries; null otherwise. */
  readonly kind: ObservableKind | null
  /** Prefix length of `net` entries (32 or 128 for a single address); null otherwise. */
  readonly prefix: number | null
  /** First and last address of `net` entries, fixed-width hex as in the observable index. */
  readonly rangeStart: string | null
  readonly rangeEnd: string | null
}

/** A checked warninglist, its entries indexed. */
export interface Warninglist {
  readonly name: string
  readonly version: number
  readonly description: string
  readonly type: SupportedWarninglistType
  readonly category: WarninglistCategory | null
  /** MISP attribute types the list applies to; empty: every type. */
  readonly matchingAttributes: readonly string[]
  /** Distinct entries (an entry may give several keys, e.g. `filename:` and `mutex:`). */
  readonly entries: readonly WarninglistEntry[]
  /** Number of values in `list`. */
  readonly listedValues: number
}

/** What is wrong with a list: the field (`list[3]`, `type`) and why. */
export interface WarninglistProblem {
  readonly field: string
  readonly message: string
}

/** Result of {@link parseWarninglist}. */
export type ParsedWarninglist =
  | { readonly ok: true; readonly warninglist: Warninglist }
  | {
      readonly ok: false
      /** At most {@link MAX_REPORTED_PROBLEMS}, in the order found. */
      readonly problems: readonly WarninglistProblem[]
      /** Every problem found. */
      readonly problemCount: number
    }

/** Longest list accepted (MISP's largest lists hold about a million values). */
export const MAX_WARNINGLIST_VALUES = 2_000_000
/** Longest value accepted in a list. */
export const MAX_WARNINGLIST_VALUE_LENGTH = 2048
/** Problems reported at most; the count says how many there were. */
export const MAX_REPORTED_PROBLEMS = 100

const KNOWN_PROPERTIES = new Set([
  'name',
  'version',
  'description',
  'type',
  'list',
  'matching_attributes',
  'category',
])

/** Kinds a free-standing text can always be (the index keeps them as written). */
const TEXT_KINDS: readonly ObservableKind[] = ['filename', 'mutex', 'regkey', 'other']

const HASH_ATTRIBUTES: Record<string, ObservableKind> = {
  md5: 'md5',
  sha1: 'sha1',
  sha256: 'sha256',
  sha512: 'sha512',
  'x509-fingerprint-md5': 'md5',
  'x509-fingerprint-sha1': 'sha1',
  'x509-fingerprint-sha256': 'sha256',
}

/** The observable kinds one MISP attribute type stands for (none for types Liaison does not index). */
function kindsOfAttribute(type: string): readonly ObservableKind[] {
  const lower = type.toLowerCase()
  const hash = HASH_ATTRIBUTES[lower]
  if (hash !== undefined) {
    return [hash]
  }
  if (lower.startsWith('filename|')) {
    // A warninglist of hashes names `filename|md5` to reach the hash half of the composite.
    return kindsOfAttribute(lower.slice('filename|'.length))
  }
  switch (lower) {
    case 'ip-src':
    case 'ip-dst':
    case 'ip-src|port':
    case 'ip-dst|port':
      return ['ipv4', 'ipv6']
    case 'domain|ip':
      return ['domain', 'ipv4', 'ipv6']
    case 'hostname':
    case 'domain':
    case 'hostname|port':
      return ['domain']
    case 'url':
    case 'uri':
    case 'link':
      return ['url']
    case 'email':
    case 'email-src':
    case 'email-dst':
    case 'target-email':
    case 'email-reply-to':
    case 'whois-registrant-email':
    case 'dns-soa-email':
      return ['email']
    case 'as':
      return ['asn']
    case 'mac-address':
    case 'mac-eui-64':
      return ['mac']
    case 'filename':
      return ['filename']
    case 'mutex':
      return ['mutex']
    case 'regkey':
    case 'regkey|value':
      return ['regkey']
    default:
      return []
  }
}

/**
 * The observable kinds a list applies to, from its `matching_attributes`; null when it names none
 * (MISP: "matched against any type of attributes"); `['other']` when it names only types Liaison
 * does not index (then only free-text checks meet it).
 *
 * @example
 * warninglistKinds(['ip-src', 'domain|ip']) // ['ipv4', 'ipv6', 'domain']
 */
export function warninglistKinds(matchingAttributes: readonly string[]): readonly ObservableKind[] | null {
  if (matchingAttributes.length === 0) {
    return null
  }
  const kinds = new Set<ObservableKind>()
  for (const attribute of matchingAttributes) {
    for (const kind of kindsOfAttribute(attribute)) {
      kinds.add(kind)
    }
  }
  // Types Liaison does not index (ssdeep, user-agent, …) are still met by free-text checks.
  return kinds.size === 0 ? ['other'] : OBSERVABLE_KINDS.filter((k) => kinds.has(k))
}

/** True when a list of these kinds (null: any) applies to an observable of `kind`. */
export function warninglistAppliesTo(kinds: readonly ObservableKind[] | null, kind: string): boolean {
  return kinds === null || kinds.some((k) => k === kind)
}

/**
 * Every way a free-standing value can be read: what {@link classifyValue} makes of it (IP, network,
 * URL, hash, ASN, e-mail address, domain), and the text kinds the index keeps as written (file name,
 * mutex, registry key, other). Used for checks and correlation look-ups, which do not know the kind.
 */
export function interpretValue(raw: string): Observable[] {
  const out: Observable[] = []
  const seen = new Set<string>()
  const add = (o: Observable | null) => {
    if (o !== null && !seen.has(o.key)) {
      seen.add(o.key)
      out.push(o)
    }
  }
  add(classifyValue(raw))
  for (const kind of TEXT_KINDS) {
    add(normaliseObservable(kind, raw))
  }
  return out
}

/** An entry that is not a network. */
function entry(
  value: string,
  match: WarninglistEntryMatch,
  key: string,
  kind: ObservableKind | null = null,
): WarninglistEntry {
  return { value, match, key, kind, prefix: null, rangeStart: null, rangeEnd: null }
}

function isIp(o: Observable | null): boolean {
  return o !== null && (o.kind === 'ipv4' || o.kind === 'ipv6')
}

/** The `key` entries of a `string` list value: one per kind it is valid for. */
function stringEntries(value: string, kinds: readonly ObservableKind[] | null): WarninglistEntry[] {
  let observables: Observable[]
  if (kinds === null) {
    observables = interpretValue(value)
  } else {
    const ip = isIp(classifyValue(value))
    observables = []
    for (const kind of kinds) {
      // An address is not also a domain name, whatever the domain syntax allows.
      const o = kind === 'domain' && ip ? null : normaliseObservable(kind, value)
      if (o !== null) {
        observables.push(o)
      }
    }
    if (observables.length === 0) {
      // A value of a kind Liaison does not index (ssdeep, sha224, …): still found by a free-text check.
      const other = normaliseObservable('other', value)
      observables = other === null ? [] : [other]
    }
  }
  return observables.map((o) => entry(value, 'key', o.key, o.kind))
}

function prefixOf(o: { readonly kind: string; readonly key: string }): number {
  const slash = o.key.lastIndexOf('/')
  return slash < 0 ? (o.kind === 'ipv4' ? 32 : 128) : Number(o.key.slice(slash + 1))
}

function netEntry(value: string, o: Observable): WarninglistEntry {
  return {
    value,
    match: 'net',
    key: `net:${o.key}`,
    kind: o.kind,
    prefix: prefixOf(o),
    rangeStart: o.rangeStart,
    rangeEnd: o.rangeEnd,
  }
}

/** The indexed entries of one list value, or the reason it cannot be one. */
function entriesOf(
  type: SupportedWarninglistType,
  listed: string,
  kinds: readonly ObservableKind[] | null,
): WarninglistEntry[] | string {
  const text = listed.trim()
  const value = text
  if (text === '') {
    return 'must not be empty'
  }
  switch (type) {
    case 'cidr': {
      const o = classifyValue(text)
      if (o === null || !isIp(o)) {
        return `"${text}" is not an IP address or CIDR network`
      }
      return [netEntry(value, o)]
    }
    case 'hostname': {
      const o = classifyValue(text)
      if (isIp(o) && o !== null) {
        return [entry(value, 'key', o.key, o.kind)]
      }
      // MISP lists sometimes write a domain and its subdomains as ".example.com" or "*.example.com".
      const domain = normaliseDomain(text.replace(/^\*?\./, ''))
      if (domain === null) {
        return `"${text}" is not a host name`
      }
      return [entry(value, 'host', `host:${domain}`)]
    }
    case 'substring': {
      // Found inside values, never looked up by key; but the key is indexed, and PostgreSQL refuses
      // B-tree entries over ~2,700 bytes: a long entry is keyed by its hash (the text is in `value`).
      const needle = text.toLowerCase()
      return [entry(value, 'substring', fitsInKey(needle) ? needle : hashedKey('substring', needle))]
    }
    case 'string': {
      const entries = stringEntries(text, kinds)
      return entries.length === 0 ? `"${text}" gives no value to match` : entries
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Reads and checks a MISP warninglist (`list.json`): the required `name`, `version`, `description`,
 * `type` and `list`, the optional `matching_attributes` and `category`, no other property; every
 * value of the list must be valid for the type (an IP or network for `cidr`, a host name for
 * `hostname`). Each problem names the field and why. `regex` lists are refused (see the module notes).
 *
 * @example
 * const parsed = parseWarninglist(JSON.parse(text))
 * if (!parsed.ok) console.log(parsed.problems[0]) // { field: 'list[3]', message: '"10.0.0.300/8" is not an IP address or CIDR network' }
 */
export function parseWarninglist(json: unknown): ParsedWarninglist {
  const problems: WarninglistProblem[] = []
  let problemCount = 0
  const problem = (field: string, message: string) => {
    problemCount += 1
    if (problems.length < MAX_REPORTED_PROBLEMS) {
      problems.push({ field, message })
    }
  }
  if (!isRecord(json)) {
    problem(
      'body',
      'must be a MISP warninglist (a JSON object with name, version, description, type and list)',
    )
    return { ok: false, problems, problemCount }
  }
  for (const property of Object.keys(json)) {
    if (!KNOWN_PROPERTIES.has(property)) {
      problem(property, 'is not a property of the MISP warninglist format')
    }
  }
  const name = typeof json.name === 'string' ? json.name.trim() : ''
  if (json.name === undefined) {
    problem('name', 'is required')
  } else if (typeof json.name !== 'string' || name === '') {
    problem('name', 'must be a non-empty string')
  } else if (name.length > 500) {
    problem('name', 'must be at most 500 characters')
  }
  const version = json.version
  if (version === undefined) {
    problem('version', 'is required')
  } else if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) {
    problem('version', 'must be a non-negative integer')
  }
  if (json.description === undefined) {
    problem('description', 'is required')
  } else if (typeof json.description !== 'string') {
    problem('description', 'must be a string')
  } else if (json.description.length > 20_000) {
    problem('description', 'must be at most 20000 characters')
  }
  let type: SupportedWarninglistType | null = null
  if (json.type === undefined) {
    problem('type', 'is required')
  } else if (json.type === 'regex') {
    problem(
      'type',
      'regex warninglists are not supported: their PCRE patterns cannot be matched safely here (catastrophic backtracking); use a cidr, string, hostname or substring list',
    )
  } else if (
    typeof json.type === 'string' &&
    (SUPPORTED_WARNINGLIST_TYPES as readonly string[]).includes(json.type)
  ) {
    type = json.type as SupportedWarninglistType
  } else {
    problem('type', `must be one of ${WARNINGLIST_TYPES.join(', ')}`)
  }
  let category: WarninglistCategory | null = null
  if (json.category !== undefined) {
    if (
      typeof json.category === 'string' &&
      (WARNINGLIST_CATEGORIES as readonly string[]).includes(json.category)
    ) {
      category = json.category as WarninglistCategory
    } else {
      problem('category', `must be one of ${WARNINGLIST_CATEGORIES.join(', ')}`)
    }
  }
  const matchingAttributes: string[] = []
  if (json.matching_attributes !== undefined) {
    if (!Array.isArray(json.matching_attributes)) {
      problem('matching_attributes', 'must be an array of MISP attribute types')
    } else {
      json.matching_attributes.forEach((attribute: unknown, i) => {
        if (typeof attribute !== 'string' || attribute.trim() === '' || attribute.length > 100) {
          problem(`matching_attributes[${i}]`, 'must be a MISP attribute type (a non-empty string)')
        } else if (!matchingAttributes.includes(attribute.trim())) {
          matchingAttributes.push(attribute.trim())
        }
      })
    }
  }
  const entries: WarninglistEntry[] = []
  let listedValues = 0
  if (json.list === undefined) {
    problem('list', 'is required')
  } else if (!Array.isArray(json.list)) {
    problem('list', 'must be an array of strings')
  } else if (json.list.length > MAX_WARNINGLIST_VALUES) {
    problem('list', `must hold at most ${MAX_WARNINGLIST_VALUES} values (has ${json.list.length})`)
  } else {
    listedValues = json.list.length
    const kinds = warninglistKinds(matchingAttributes)
    const seen = new Set<string>()
    json.list.forEach((value: unknown, i) => {
      if (typeof value !== 'string') {
        problem(`list[${i}]`, 'must be a string')
        return
      }
      if (value.length > MAX_WARNINGLIST_VALUE_LENGTH) {
        problem(`list[${i}]`, `must be at most ${MAX_WARNINGLIST_VALUE_LENGTH} characters`)
        return
      }
      if (type === null) {
        return
      }
      const found = entriesOf(type, value, kinds)
      if (typeof found === 'string') {
        problem(`list[${i}]`, found)
        return
      }
      for (const entry of found) {
        const id = `${entry.match}\u0000${entry.key}`
        if (!seen.has(id)) {
          seen.add(id)
          entries.push(entry)
        }
      }
    })
  }
  if (
    problemCount > 0 ||
    type === null ||
    typeof version !== 'number' ||
    typeof json.description !== 'string'
  ) {
    return { ok: false, problems, problemCount: Math.max(problemCount, 1) }
  }
  return {
    ok: true,
    warninglist: {
      name,
      version,
      description: json.description,
      type,
      category,
      matchingAttributes,
      entries,
      listedValues,
    },
  }
}

/** Prefix lengths present among the `net` entries of some lists, per IP kind (look-ups try only these). */
export interface NetworkPrefixes {
  readonly ipv4: readonly number[]
  readonly ipv6: readonly number[]
}

/** Every prefix length: what a look-up tries when it does not know which lists exist. */
export const ALL_NETWORK_PREFIXES: NetworkPrefixes = {
  ipv4: Array.from({ length: 33 }, (_, i) => i),
  ipv6: Array.from({ length: 129 }, (_, i) => i),
}

/** An observable to look up (rows hold the kind as text). */
export type ObservableLike = Pick<Observable, 'key' | 'value' | 'rangeStart' | 'rangeEnd'> & {
  readonly kind: string
}

/** What one observable is looked up by: keys to find among the entries, and text for substrings. */
export interface WarninglistProbe {
  readonly kind: string
  /** Its own key, `host:` keys of its host and parent domains, `net:` keys of the networks holding it. */
  readonly keys: readonly string[]
  /** The value, lower-case, for `substring` entries. */
  readonly text: string
}

function bytesOfHex(hex: string): number[] {
  const out: number[] = []
  for (let i = 0; i + 1 < hex.length; i += 2) {
    out.push(Number.parseInt(hex.slice(i, i + 2), 16))
  }
  return out
}

/**
 * The observable key of the network of `prefix` bits that holds the address `startHex` (fixed-width
 * hex, as `rangeStart`): the same key {@link normaliseObservable} gives that network.
 */
export function networkKey(kind: 'ipv4' | 'ipv6', startHex: string, prefix: number): string {
  const bytes = bytesOfHex(startHex)
  const bits = kind === 'ipv4' ? 32 : 128
  for (let bit = prefix; bit < bits; bit++) {
    const byte = Math.floor(bit / 8)
    bytes[byte] = (bytes[byte] ?? 0) & ~(0x80 >> (bit % 8))
  }
  const address = kind === 'ipv4' ? bytes.join('.') : ipaddr.fromByteArray(bytes).toString()
  return prefix === bits ? `${kind}:${address}` : `${kind}:${address}/${prefix}`
}

function hostOf(o: ObservableLike, value: string): string | null {
  switch (o.kind) {
    case 'domain':
      return value
    case 'email':
      return value.slice(value.lastIndexOf('@') + 1)
    case 'url': {
      let host: string
      try {
        host = new URL(value).hostname
      } catch {
        return null
      }
      // A URL on an IP address has no host name to look up.
      return host.startsWith('[') || /^[0-9.]+$/.test(host) ? null : normaliseDomain(host)
    }
    default:
      return null
  }
}

/**
 * The look-up of one observable: its key, the `host:` keys of its host name and every parent domain
 * (domains, URLs, e-mail addresses), the `net:` keys of the networks of the given prefix lengths that
 * contain it (IP addresses and networks), and its text.
 *
 * @example
 * probeObservable(normaliseObservable('ipv4', '10.1.2.3')!, { ipv4: [8, 32], ipv6: [] }).keys
 * // ['ipv4:10.1.2.3', 'net:ipv4:10.0.0.0/8', 'net:ipv4:10.1.2.3']
 */
export function probeObservable(
  o: ObservableLike,
  prefixes: NetworkPrefixes = ALL_NETWORK_PREFIXES,
): WarninglistProbe {
  const value = o.value
  const keys = [o.key]
  const host = hostOf(o, value)
  if (host !== null) {
    const labels = host.split('.')
    for (let i = 0; i < labels.length; i++) {
      keys.push(`host:${labels.slice(i).join('.')}`)
    }
  }
  if ((o.kind === 'ipv4' || o.kind === 'ipv6') && o.rangeStart !== null) {
    const own = prefixOf(o)
    for (const prefix of prefixes[o.kind]) {
      if (prefix <= own) {
        keys.push(`net:${networkKey(o.kind, o.rangeStart, prefix)}`)
      }
    }
  }
  return { kind: o.kind, keys, text: value.toLowerCase() }
}

/** A list as a matcher sees it: id, name and the kinds it applies to (null: any). */
export interface MatchableList {
  readonly id: string
  readonly name: string
  readonly kinds: readonly ObservableKind[] | null
}

/** An entry found under a look-up key. */
export interface KeyedEntry {
  readonly listId: string
  readonly match: WarninglistEntryMatch
  readonly value: string
}

/** What a `substring` entry looks for in values: its text, lower-case (its key may be a hash). */
export function substringNeedle(value: string): string {
  return value.toLowerCase()
}

/** A `substring` entry. */
export interface SubstringEntry {
  readonly listId: string
  /** Lower-case text to find. */
  readonly needle: string
  readonly value: string
}

/** One list that matched, and the entry of it that did. */
export interface WarninglistMatch {
  readonly listId: string
  readonly name: string
  /** The entry as the list writes it. */
  readonly entry: string
}

/**
 * The lists a probe matches, given the entries found under its keys and the substring entries; one
 * match per list (the first entry found). `key` and `net` entries carry their kind in the key;
 * `host` and `substring` entries apply only to the kinds of their list's `matching_attributes`.
 */
export function resolveProbe(
  probe: WarninglistProbe,
  entriesByKey: ReadonlyMap<string, readonly KeyedEntry[]>,
  substrings: readonly SubstringEntry[],
  lists: ReadonlyMap<string, MatchableList>,
): WarninglistMatch[] {
  const out = new Map<string, WarninglistMatch>()
  const take = (listId: string, value: string, kindChecked: boolean) => {
    const list = lists.get(listId)
    if (list === undefined || out.has(listId)) {
      return
    }
    if (kindChecked && !warninglistAppliesTo(list.kinds, probe.kind)) {
      return
    }
    out.set(listId, { listId, name: list.name, entry: value })
  }
  for (const key of probe.keys) {
    for (const entry of entriesByKey.get(key) ?? []) {
      take(entry.listId, entry.value, entry.match === 'host')
    }
  }
  for (const entry of substrings) {
    if (probe.text.includes(entry.needle)) {
      take(entry.listId, entry.value, true)
    }
  }
  return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/**
 * Several lists held in memory, for matching without a store (tests, small sets).
 *
 * @example
 * const index = new WarninglistIndex([{ id: 'rfc1918', list: parsed.warninglist }])
 * index.matchValue('10.1.2.3') // [{ listId: 'rfc1918', name: 'List of RFC 1918 CIDR blocks', entry: '10.0.0.0/8' }]
 */
export class WarninglistIndex {
  readonly prefixes: NetworkPrefixes
  private readonly byKey = new Map<string, KeyedEntry[]>()
  private readonly substrings: SubstringEntry[] = []
  private readonly lists = new Map<string, MatchableList>()

  constructor(lists: readonly { id: string; list: Warninglist }[]) {
    const v4 = new Set<number>()
    const v6 = new Set<number>()
    for (const { id, list } of lists) {
      this.lists.set(id, { id, name: list.name, kinds: warninglistKinds(list.matchingAttributes) })
      for (const entry of list.entries) {
        if (entry.match === 'substring') {
          this.substrings.push({ listId: id, needle: substringNeedle(entry.value), value: entry.value })
          continue
        }
        if (entry.match === 'net' && entry.prefix !== null) {
          ;(entry.kind === 'ipv4' ? v4 : v6).add(entry.prefix)
        }
        const found = this.byKey.get(entry.key) ?? []
        found.push({ listId: id, match: entry.match, value: entry.value })
        this.byKey.set(entry.key, found)
      }
    }
    const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b)
    this.prefixes = { ipv4: sorted(v4), ipv6: sorted(v6) }
  }

  /** The lists an observable (as the index keeps it) matches. */
  matchObservable(o: ObservableLike): WarninglistMatch[] {
    return resolveProbe(probeObservable(o, this.prefixes), this.byKey, this.substrings, this.lists)
  }

  /** The lists a free-standing value matches, under any reading of it ({@link interpretValue}). */
  matchValue(raw: string): WarninglistMatch[] {
    const out = new Map<string, WarninglistMatch>()
    for (const o of interpretValue(raw)) {
      for (const m of this.matchObservable(o)) {
        if (!out.has(m.listId)) {
          out.set(m.listId, m)
        }
      }
    }
    return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }
}
