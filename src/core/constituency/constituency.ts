import { getDomain } from 'tldts'
import { classifyValue, normaliseObservable, type Observable } from '../intel/observable.js'

/** Kinds of resource a constituent registers. */
export const RANGE_KINDS = ['netblock', 'asn', 'domain'] as const
/** One of {@link RANGE_KINDS}. */
export type RangeKind = (typeof RANGE_KINDS)[number]

/**
 * A registered resource in indexed form: `key` is the normalised observable key
 * (`ipv4:198.51.100.0/24`, `asn:AS64500`, `domain:example.net`); netblocks also carry their family,
 * prefix length and first/last address as fixed-width hex (as {@link Observable}).
 */
export interface RangeEntry {
  readonly kind: RangeKind
  readonly value: string
  readonly key: string
  readonly family: 'ipv4' | 'ipv6' | null
  readonly prefix: number | null
  readonly rangeStart: string | null
  readonly rangeEnd: string | null
}

/**
 * Parses one netblock (CIDR or single address), ASN (`AS64500` or `64500`) or domain; returns the
 * reason as a string when the value is not one.
 *
 * @example
 * parseRange('netblock', '198.51.100.7/24') // { value: '198.51.100.0/24', prefix: 24, rangeStart: 'c6336400', … }
 */
export function parseRange(kind: RangeKind, raw: string): RangeEntry | string {
  const text = raw.trim()
  switch (kind) {
    case 'netblock': {
      const withPrefix = text.includes('/') ? text : text.includes(':') ? `${text}/128` : `${text}/32`
      const ip = normaliseObservable('ipv4', withPrefix) ?? normaliseObservable('ipv6', withPrefix)
      if (ip === null || ip.rangeStart === null || ip.rangeEnd === null) {
        return `"${text}" is not an IPv4 or IPv6 network (CIDR)`
      }
      const family = ip.kind === 'ipv4' ? 'ipv4' : 'ipv6'
      const bits = family === 'ipv4' ? 32 : 128
      const prefix = text.includes('/') ? Number(text.slice(text.indexOf('/') + 1)) : bits
      const value = ip.value.includes('/') ? ip.value : `${ip.value}/${bits}`
      return {
        kind,
        value,
        key: `${family}:${value}`,
        family,
        prefix,
        rangeStart: ip.rangeStart,
        rangeEnd: ip.rangeEnd,
      }
    }
    case 'asn': {
      const asn = normaliseObservable('asn', text)
      return asn === null ? `"${text}" is not an AS number (AS64500 or 64500)` : plain(kind, asn)
    }
    case 'domain': {
      const domain = normaliseObservable('domain', text)
      return domain === null || !domain.value.includes('.')
        ? `"${text}" is not a domain name`
        : plain(kind, domain)
    }
  }
}

function plain(kind: RangeKind, o: Observable): RangeEntry {
  return { kind, value: o.value, key: o.key, family: null, prefix: null, rangeStart: null, rangeEnd: null }
}

/** What the owner look-up searches for one value: an address, an AS number, or domain keys. */
export type LookupProbe =
  | { readonly kind: 'ip'; readonly family: 'ipv4' | 'ipv6'; readonly hex: string; readonly value: string }
  | {
      readonly kind: 'network'
      readonly family: 'ipv4' | 'ipv6'
      readonly start: string
      readonly end: string
      readonly value: string
    }
  | { readonly kind: 'asn'; readonly key: string; readonly value: string }
  | { readonly kind: 'domain'; readonly keys: readonly string[]; readonly value: string }

/**
 * How an observable value is looked up: an IP (or a URL/host naming one) by address, a network by
 * containment, an ASN by key, a domain (or URL host, or e-mail domain) by itself and its parents down
 * to the registered domain (`a.b.example.co.uk` → `a.b.example.co.uk`, `b.example.co.uk`,
 * `example.co.uk`). Null when the value is nothing an owner can be found for (a hash, a file name).
 */
export function lookupProbe(raw: string): LookupProbe | null {
  const observable = classifyValue(raw)
  if (observable === null) {
    return null
  }
  return probeOf(observable)
}

function probeOf(o: Observable): LookupProbe | null {
  switch (o.kind) {
    case 'ipv4':
    case 'ipv6':
      if (o.rangeStart === null || o.rangeEnd === null) {
        return null
      }
      return o.rangeStart === o.rangeEnd
        ? { kind: 'ip', family: o.kind, hex: o.rangeStart, value: o.value }
        : { kind: 'network', family: o.kind, start: o.rangeStart, end: o.rangeEnd, value: o.value }
    case 'asn':
      return { kind: 'asn', key: o.key, value: o.value }
    case 'domain':
      return { kind: 'domain', keys: domainKeys(o.value), value: o.value }
    case 'url': {
      const host = new URL(o.value).hostname.replace(/^\[|\]$/g, '')
      const inner = classifyValue(host)
      return inner === null ? null : probeOf(inner)
    }
    case 'email': {
      const domain = o.value.slice(o.value.lastIndexOf('@') + 1)
      return { kind: 'domain', keys: domainKeys(domain), value: domain }
    }
    case 'md5':
    case 'sha1':
    case 'sha256':
    case 'sha512':
    case 'mac':
    case 'filename':
    case 'mutex':
    case 'regkey':
    case 'other':
      return null
  }
}

/** The domain and its parents down to the registered domain, as look-up keys, most specific first. */
export function domainKeys(domain: string): string[] {
  const registered = getDomain(domain, { allowPrivateDomains: false }) ?? domain
  const labels = domain.split('.')
  const keys: string[] = []
  for (let i = 0; i < labels.length; i++) {
    const candidate = labels.slice(i).join('.')
    keys.push(`domain:${candidate}`)
    if (candidate === registered) {
      break
    }
  }
  return keys
}

/** One row of a constituency CSV, checked. */
export interface ConstituentCsvRow {
  /** 1-based line of the row in the file (the header is line 1). */
  readonly line: number
  readonly name: string
  readonly abuseEmails: string[]
  readonly netblocks: string[]
  readonly asns: string[]
  readonly domains: string[]
  /** As written; resolved relative to the CSV file by the CLI. */
  readonly pgpKeyFile: string | null
}

/** A problem with one cell of a constituency CSV. */
export interface CsvProblem {
  readonly row: number
  readonly column: string
  readonly message: string
}

/** Columns of a constituency CSV (`name` and `abuse_email` required; the rest optional). */
export const CSV_COLUMNS = ['name', 'abuse_email', 'netblocks', 'asns', 'domains', 'pgp_key_file'] as const

const EMAIL = /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/

/** Splits a multi-valued cell: values separated by spaces, commas, semicolons or `|`. */
export function splitCell(cell: string): string[] {
  return cell
    .split(/[\s,;|]+/)
    .map((v) => v.trim())
    .filter((v) => v !== '')
}

/**
 * Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF) into rows of cells, with the line
 * each row starts on.
 */
export function parseCsv(text: string): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = []
  let cells: string[] = []
  let cell = ''
  let quoted = false
  let line = 1
  let rowLine = 1
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0
  for (; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"'
          i++
        } else {
          quoted = false
        }
      } else {
        if (c === '\n') {
          line++
        }
        cell += c
      }
      continue
    }
    if (c === '"' && cell.trim() === '') {
      quoted = true
      cell = ''
    } else if (c === ',') {
      cells.push(cell)
      cell = ''
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') {
        i++
      }
      cells.push(cell)
      if (cells.some((v) => v.trim() !== '')) {
        rows.push({ line: rowLine, cells })
      }
      cells = []
      cell = ''
      line++
      rowLine = line
    } else {
      cell += c
    }
  }
  cells.push(cell)
  if (cells.some((v) => v.trim() !== '')) {
    rows.push({ line: rowLine, cells })
  }
  return rows
}

/**
 * Reads a constituency CSV: a header row naming the columns ({@link CSV_COLUMNS}, any order), then
 * one constituent per row. Every cell is checked; the answer lists every problem with its row (line
 * in the file) and column, so an import can be refused whole.
 */
export function parseConstituencyCsv(text: string): { rows: ConstituentCsvRow[]; problems: CsvProblem[] } {
  const problems: CsvProblem[] = []
  const table = parseCsv(text)
  const header = table[0]
  if (header === undefined) {
    return {
      rows: [],
      problems: [{ row: 1, column: 'name', message: 'the file is empty; a header row is needed' }],
    }
  }
  const columns = header.cells.map((c) => c.trim().toLowerCase())
  for (const [index, column] of columns.entries()) {
    if (!(CSV_COLUMNS as readonly string[]).includes(column)) {
      problems.push({
        row: header.line,
        column: column === '' ? `#${index + 1}` : column,
        message: `unknown column; the columns are ${CSV_COLUMNS.join(', ')}`,
      })
    }
  }
  for (const required of ['name', 'abuse_email']) {
    if (!columns.includes(required)) {
      problems.push({ row: header.line, column: required, message: 'required column is missing' })
    }
  }
  if (problems.length > 0) {
    return { rows: [], problems }
  }
  const at = (cells: string[], column: string): string => {
    const index = columns.indexOf(column)
    return index < 0 ? '' : (cells[index] ?? '').trim()
  }
  const rows: ConstituentCsvRow[] = []
  const seen = new Map<string, number>()
  for (const { line, cells } of table.slice(1)) {
    if (cells.length > columns.length) {
      problems.push({
        row: line,
        column: '-',
        message: `${cells.length} cells, but the header names ${columns.length}`,
      })
      continue
    }
    const name = at(cells, 'name')
    if (name === '') {
      problems.push({ row: line, column: 'name', message: 'is empty' })
    } else if (name.length > 200) {
      problems.push({ row: line, column: 'name', message: 'longer than 200 characters' })
    } else {
      const earlier = seen.get(name.toLowerCase())
      if (earlier !== undefined) {
        problems.push({ row: line, column: 'name', message: `"${name}" is already on row ${earlier}` })
      }
      seen.set(name.toLowerCase(), line)
    }
    const abuseEmails = splitCell(at(cells, 'abuse_email'))
    if (abuseEmails.length === 0) {
      problems.push({ row: line, column: 'abuse_email', message: 'is empty' })
    }
    for (const email of abuseEmails) {
      if (!EMAIL.test(email)) {
        problems.push({ row: line, column: 'abuse_email', message: `"${email}" is not an e-mail address` })
      }
    }
    const lists: Record<'netblocks' | 'asns' | 'domains', string[]> = { netblocks: [], asns: [], domains: [] }
    const kinds = { netblocks: 'netblock', asns: 'asn', domains: 'domain' } as const
    for (const column of ['netblocks', 'asns', 'domains'] as const) {
      for (const value of splitCell(at(cells, column))) {
        const parsed = parseRange(kinds[column], value)
        if (typeof parsed === 'string') {
          problems.push({ row: line, column, message: parsed })
        } else {
          lists[column].push(parsed.value)
        }
      }
    }
    const keyFile = at(cells, 'pgp_key_file')
    rows.push({
      line,
      name,
      abuseEmails: abuseEmails.map((e) => e.toLowerCase()),
      ...lists,
      pgpKeyFile: keyFile === '' ? null : keyFile,
    })
  }
  if (rows.length === 0 && problems.length === 0) {
    problems.push({ row: header.line + 1, column: 'name', message: 'no constituents after the header row' })
  }
  return { rows, problems }
}

/** The fields a notification mail is rendered from. */
export interface NotificationTemplateInput {
  readonly instanceName: string
  readonly reportAddress: string
  readonly constituentName: string
  /** Incident reference (tracking id or id), if the notification is about an incident. */
  readonly reference: string | null
  /** RSIT class / type (`malicious-code/infected-system`), if given. */
  readonly rsitClass: string | null
  /** Free text of the handler; a default text when null. */
  readonly message: string | null
  /** TLP of the notification (`TLP:AMBER` by default). */
  readonly tlp: string
  /** This owner's observables only, with what matched them. */
  readonly observables: readonly { value: string; matched: string }[]
}

/**
 * Renders the plain-text notification for one owner. Only `observables` (this owner's) appear; the
 * caller never passes another owner's data.
 */
export function renderNotification(input: NotificationTemplateInput): string {
  const lines: string[] = [`Dear ${input.constituentName},`, '']
  lines.push(
    input.message ??
      `${input.instanceName} has information about systems in your network or under your domains that appear to be involved in a security incident. Please investigate and take action where needed.`,
  )
  lines.push('')
  if (input.reference !== null) {
    lines.push(`Incident reference: ${input.reference}`)
  }
  if (input.rsitClass !== null) {
    lines.push(`Classification (RSIT): ${input.rsitClass}`)
  }
  if (input.reference !== null || input.rsitClass !== null) {
    lines.push('')
  }
  lines.push(`Affected resources in your constituency (${input.observables.length}):`, '')
  const width = Math.max(...input.observables.map((o) => o.value.length), 0)
  for (const o of input.observables) {
    lines.push(`  ${o.value.padEnd(width)}  (${o.matched})`)
  }
  lines.push('')
  lines.push(`${input.tlp}: ${TLP_TEXT[input.tlp] ?? 'see https://www.first.org/tlp/'}`)
  lines.push('')
  lines.push(
    `Please keep the reference in the subject when you reply to ${input.reportAddress}.`,
    '',
    '-- ',
    input.instanceName,
    input.reportAddress,
    '',
  )
  return lines.join('\n')
}

/** TLP 2.0 levels a notification may carry, and the line that explains each. */
export const TLP_TEXT: Record<string, string> = {
  'TLP:CLEAR': 'may be shared without restriction.',
  'TLP:GREEN': 'may be shared within your community, not publicly.',
  'TLP:AMBER':
    'limited disclosure: share within your organisation and its clients only, on a need-to-know basis.',
  'TLP:AMBER+STRICT': 'limited disclosure: share within your organisation only, on a need-to-know basis.',
  'TLP:RED': 'for the named recipients only; do not share further.',
}
