/**
 * X-ARF v4 abuse reports (https://xarf.org, schemas/v4/xarf-core.json): recognising, checking and
 * reading one report, and the RSIT class/type it obviously corresponds to. Pure; no I/O.
 */

/** The seven X-ARF v4 categories. */
export const XARF_CATEGORIES = [
  'messaging',
  'connection',
  'content',
  'infrastructure',
  'copyright',
  'vulnerability',
  'reputation',
] as const

/** An X-ARF v4 category. */
export type XarfCategory = (typeof XARF_CATEGORIES)[number]

/** Organisation, contact address and domain, as X-ARF names reporter and sender. */
export interface XarfContact {
  readonly org: string
  readonly contact: string
  readonly domain: string
}

/** One evidence item, its payload decoded. */
export interface XarfEvidence {
  readonly contentType: string
  readonly description: string | null
  readonly payload: Buffer
  /** `algorithm:hex` as given, if any. */
  readonly hash: string | null
}

/** The fields of a valid X-ARF v4 report that intake uses; `json` keeps everything else. */
export interface XarfReport {
  readonly version: string
  readonly reportId: string
  /** When the abuse occurred (ISO 8601, normalised to UTC). */
  readonly timestamp: string
  readonly reporter: XarfContact
  readonly sender: XarfContact
  /** Offending IP address, host or other identifier. */
  readonly sourceIdentifier: string
  readonly sourcePort: number | null
  readonly category: XarfCategory
  readonly type: string
  readonly evidenceSource: string | null
  readonly description: string | null
  readonly confidence: number | null
  readonly tags: readonly string[]
  readonly url: string | null
  readonly destinationIp: string | null
  readonly protocol: string | null
  readonly firstSeen: string | null
  readonly evidence: readonly XarfEvidence[]
  /** The report as received, `_internal` removed. */
  readonly json: Record<string, unknown>
}

/** Result of {@link parseXarf}: the report, or every reason it is not a valid one. */
export type XarfParse =
  | { readonly ok: true; readonly report: XarfReport; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly problems: readonly string[] }

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i
const HASH = /^(md5|sha1|sha256|sha512):[a-f0-9]+$/i
const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/

/** Whether a parsed JSON value claims to be an X-ARF v4 report (has an `xarf_version` of 4.x). */
export function looksLikeXarf(json: unknown): boolean {
  return isRecord(json) && typeof json.xarf_version === 'string' && json.xarf_version.startsWith('4')
}

/**
 * Checks a parsed JSON value against the X-ARF v4 core rules (required fields and their formats, and
 * the fields each category requires) and reads it. Problems name the field.
 *
 * @example
 * const parsed = parseXarf(JSON.parse(text))
 * if (parsed.ok) console.log(parsed.report.category, parsed.report.sourceIdentifier)
 */
export function parseXarf(json: unknown): XarfParse {
  if (!isRecord(json)) {
    return { ok: false, problems: ['report: must be a JSON object'] }
  }
  const problems: string[] = []
  const warnings: string[] = []
  const str = (field: string, required: boolean): string | null => {
    const value = json[field]
    if (value === undefined || value === null) {
      if (required) {
        problems.push(`${field}: required`)
      }
      return null
    }
    if (typeof value !== 'string' || value.trim() === '') {
      problems.push(`${field}: must be a non-empty string`)
      return null
    }
    return value.trim()
  }

  const version = str('xarf_version', true)
  if (version !== null && !/^4\.\d+\.\d+$/.test(version)) {
    problems.push(`xarf_version: must be 4.x.y, got "${version}"`)
  }
  const reportId = str('report_id', true)
  if (reportId !== null && !UUID.test(reportId)) {
    problems.push('report_id: must be a UUID')
  }
  const timestamp = dateTime(str('timestamp', true), 'timestamp', problems)
  const reporter = contact(json.reporter, 'reporter', problems)
  const sender = contact(json.sender, 'sender', problems)
  const sourceIdentifier = str('source_identifier', true)
  const categoryRaw = str('category', true)
  const category = XARF_CATEGORIES.find((c) => c === categoryRaw) ?? null
  if (categoryRaw !== null && category === null) {
    problems.push(`category: must be one of ${XARF_CATEGORIES.join(', ')}`)
  }
  const type = str('type', true)
  const sourcePort = port(json.source_port, 'source_port', problems)
  const url = str('url', category === 'content')
  const destinationIp = str('destination_ip', category === 'connection')
  const protocol = str('protocol', category === 'connection')
  const firstSeen = dateTime(str('first_seen', false), 'first_seen', problems)
  const evidenceSource = str('evidence_source', false)
  const description = str('description', false)
  let confidence: number | null = null
  if (json.confidence !== undefined) {
    if (typeof json.confidence !== 'number' || json.confidence < 0 || json.confidence > 1) {
      problems.push('confidence: must be a number from 0 to 1')
    } else {
      confidence = json.confidence
    }
  }
  const tags: string[] = []
  if (json.tags !== undefined) {
    if (!Array.isArray(json.tags) || !json.tags.every((t) => typeof t === 'string')) {
      problems.push('tags: must be an array of strings')
    } else {
      tags.push(...json.tags.map(String))
    }
  }
  const evidence = evidenceItems(json.evidence, problems, warnings)

  if (
    problems.length > 0 ||
    version === null ||
    reportId === null ||
    timestamp === null ||
    reporter === null ||
    sender === null ||
    sourceIdentifier === null ||
    category === null ||
    type === null
  ) {
    return { ok: false, problems }
  }
  const copy: Record<string, unknown> = { ...json }
  // X-ARF: `_internal` is the sender's own bookkeeping and is never to be passed on.
  delete copy._internal
  return {
    ok: true,
    warnings,
    report: {
      version,
      reportId: reportId.toLowerCase(),
      timestamp,
      reporter,
      sender,
      sourceIdentifier,
      sourcePort,
      category,
      type,
      evidenceSource,
      description,
      confidence,
      tags,
      url,
      destinationIp,
      protocol,
      firstSeen,
      evidence,
      json: copy,
    },
  }
}

/**
 * The RSIT 1.3 `class/type` an X-ARF category and type obviously correspond to, or null when the
 * correspondence is not obvious (a handler classifies those). X-ARF types are compared with `-` and
 * `_` treated alike.
 *
 * @example
 * rsitHintOfXarf('connection', 'port_scan') // 'information-gathering/scanner'
 */
export function rsitHintOfXarf(category: string, type: string): string | null {
  const key = `${category}/${type.toLowerCase().replaceAll('-', '_')}`
  return RSIT_HINTS[key] ?? null
}

const RSIT_HINTS: Readonly<Record<string, string>> = {
  'messaging/spam': 'abusive-content/spam',
  'messaging/bulk_messaging': 'abusive-content/spam',
  'connection/ddos': 'availability/ddos',
  'connection/port_scan': 'information-gathering/scanner',
  'connection/vulnerability_scan': 'information-gathering/scanner',
  'connection/vuln_scanning': 'information-gathering/scanner',
  'connection/reconnaissance': 'information-gathering/scanner',
  'connection/login_attack': 'intrusion-attempts/brute-force',
  'connection/auth_failure': 'intrusion-attempts/brute-force',
  'connection/sql_injection': 'intrusion-attempts/exploit',
  'connection/infected_host': 'malicious-code/infected-system',
  'connection/bot': 'malicious-code/infected-system',
  'connection/ddos_amplification': 'vulnerable/ddos-amplifier',
  'content/phishing': 'fraud/phishing',
  'content/malware': 'malicious-code/malware-distribution',
  'content/csam': 'abusive-content/violence',
  'content/csem': 'abusive-content/violence',
  'content/exposed_data': 'information-content-security/data-leak',
  'content/remote_compromise': 'intrusions/system-compromise',
  'infrastructure/botnet': 'malicious-code/c2-server',
  'infrastructure/compromised_server': 'intrusions/system-compromise',
  'copyright/copyright': 'fraud/copyright',
  'copyright/cyberlocker': 'fraud/copyright',
  'copyright/link_site': 'fraud/copyright',
  'copyright/p2p': 'fraud/copyright',
  'copyright/ugc_platform': 'fraud/copyright',
  'copyright/usenet': 'fraud/copyright',
  'vulnerability/cve': 'vulnerable/vulnerable-system',
  'vulnerability/misconfiguration': 'vulnerable/vulnerable-system',
  'vulnerability/open_service': 'vulnerable/potentially-unwanted-accessible',
  'vulnerability/open': 'vulnerable/potentially-unwanted-accessible',
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function dateTime(value: string | null, field: string, problems: string[]): string | null {
  if (value === null) {
    return null
  }
  const at = new Date(value)
  if (!DATE_TIME.test(value) || Number.isNaN(at.getTime())) {
    problems.push(`${field}: must be an ISO 8601 date-time with a time zone`)
    return null
  }
  return at.toISOString()
}

function port(value: unknown, field: string, problems: string[]): number | null {
  if (value === undefined || value === null) {
    return null
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    problems.push(`${field}: must be an integer from 1 to 65535`)
    return null
  }
  return value
}

function contact(value: unknown, field: string, problems: string[]): XarfContact | null {
  if (value === undefined) {
    problems.push(`${field}: required`)
    return null
  }
  if (!isRecord(value)) {
    problems.push(`${field}: must be an object with org, contact and domain`)
    return null
  }
  const before = problems.length
  const { org, contact: address, domain } = value
  if (typeof org !== 'string' || org.trim() === '' || org.length > 200) {
    problems.push(`${field}.org: must be 1 to 200 characters`)
  }
  if (typeof address !== 'string' || !EMAIL.test(address)) {
    problems.push(`${field}.contact: must be an e-mail address`)
  }
  if (typeof domain !== 'string' || !HOSTNAME.test(domain)) {
    problems.push(`${field}.domain: must be a host name`)
  }
  if (
    problems.length > before ||
    typeof org !== 'string' ||
    typeof address !== 'string' ||
    typeof domain !== 'string'
  ) {
    return null
  }
  return { org: org.trim(), contact: address.toLowerCase(), domain: domain.toLowerCase() }
}

function evidenceItems(value: unknown, problems: string[], warnings: string[]): XarfEvidence[] {
  if (value === undefined) {
    return []
  }
  if (!Array.isArray(value) || value.length > 50) {
    problems.push('evidence: must be an array of at most 50 items')
    return []
  }
  const out: XarfEvidence[] = []
  value.forEach((item: unknown, index) => {
    const field = `evidence[${index}]`
    if (!isRecord(item) || typeof item.content_type !== 'string' || typeof item.payload !== 'string') {
      problems.push(`${field}: must be an object with content_type and payload`)
      return
    }
    if (!BASE64.test(item.payload)) {
      problems.push(`${field}.payload: must be base64`)
      return
    }
    const hash = typeof item.hash === 'string' ? item.hash : null
    if (hash !== null && !HASH.test(hash)) {
      warnings.push(`${field}.hash: not algorithm:hex`)
    }
    out.push({
      contentType: item.content_type,
      description: typeof item.description === 'string' ? item.description : null,
      payload: Buffer.from(item.payload, 'base64'),
      hash,
    })
  })
  return out
}
