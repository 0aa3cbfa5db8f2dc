import { simpleParser, type AddressObject, type HeaderValue, type ParsedMail } from 'mailparser'
import { looksLikeXarf, parseXarf, type XarfParse } from '../../../core/incident/xarf.js'
import type { MailProblem } from './intake-mail.table.js'

/** A file found in a message. */
export interface MailFile {
  readonly filename: string
  readonly contentType: string
  readonly content: Buffer
}

/** What intake reads from one received message; whatever could not be read is in `problems`. */
export interface ReadMail {
  readonly messageId: string | null
  readonly subject: string | null
  /** Address and display name of `From`, if there is a readable one. */
  readonly from: { readonly address: string; readonly name: string | null } | null
  readonly date: string | null
  /** The text body (HTML turned into text when there is no plain part); '' when there is none. */
  readonly text: string
  readonly files: readonly MailFile[]
  /** `In-Reply-To` and `References` message ids, for threading the acknowledgement. */
  readonly references: readonly string[]
  /** The message says it was sent automatically (RFC 3834 `Auto-Submitted`, `Precedence`, lists …). */
  readonly automatic: string | null
  /** An X-ARF v4 report in the body or an attachment: valid or not. */
  readonly xarf: { readonly source: string; readonly parse: XarfParse } | null
  readonly problems: readonly MailProblem[]
}

/** `source` of an X-ARF report found in the text body rather than in an attachment. */
export const XARF_IN_BODY = 'the message body'

/** Upper bound of the text kept from an unreadable message (it stays whole in the raw message). */
const MAX_FALLBACK_TEXT = 100_000

/**
 * Parses a received message as leniently as possible: multipart, attachments, transfer encodings
 * and charsets through mailparser; then looks for what mailparser forgives silently (unterminated
 * multiparts, missing boundaries, unknown charsets, no `From`) and names it as a problem. Never
 * throws: a message that cannot be parsed at all comes back as its bytes read as text, flagged.
 */
export async function readMail(raw: Buffer): Promise<ReadMail> {
  const problems: MailProblem[] = structuralProblems(raw)
  let parsed: ParsedMail
  try {
    parsed = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true })
  } catch (error) {
    problems.push({
      code: 'mime_unparseable',
      message: `the message could not be parsed as MIME: ${(error as Error).message}`,
    })
    return {
      messageId: null,
      subject: null,
      from: null,
      date: null,
      text: printable(raw.toString('utf8')).slice(0, MAX_FALLBACK_TEXT),
      files: [],
      references: [],
      automatic: null,
      xarf: null,
      problems,
    }
  }

  const from = firstAddress(parsed.from)
  if (from === null) {
    problems.push({ code: 'from_missing', message: 'no readable From address' })
  }
  const text = printable(
    parsed.text !== undefined && parsed.text.trim() !== ''
      ? parsed.text
      : typeof parsed.html === 'string'
        ? htmlToText(parsed.html)
        : '',
  )
  const files = parsed.attachments.map((attachment, index) => ({
    filename: attachment.filename ?? `attachment-${index + 1}${extensionOf(attachment.contentType)}`,
    contentType: attachment.contentType,
    content: attachment.content,
  }))
  const references = [
    ...(parsed.inReplyTo === undefined ? [] : [parsed.inReplyTo]),
    ...(parsed.references === undefined
      ? []
      : typeof parsed.references === 'string'
        ? [parsed.references]
        : parsed.references),
  ]
  const xarf = findXarf(parsed, text, files)
  if (xarf !== null && !xarf.parse.ok) {
    problems.push({
      code: 'xarf_invalid',
      message: `X-ARF report in ${xarf.source} is not valid X-ARF v4: ${xarf.parse.problems.join('; ')}`,
    })
  }
  return {
    messageId: parsed.messageId ?? null,
    subject: parsed.subject === undefined ? null : printable(parsed.subject),
    from,
    date: parsed.date === undefined || Number.isNaN(parsed.date.getTime()) ? null : parsed.date.toISOString(),
    text,
    files,
    references,
    automatic: automaticReason(parsed),
    xarf,
    problems,
  }
}

/**
 * Why a message must not be answered (RFC 3834: auto-replies, bounces, list traffic), or null. The
 * null envelope sender of bounces is checked by the caller.
 */
function automaticReason(parsed: ParsedMail): string | null {
  const autoSubmitted = headerText(parsed.headers.get('auto-submitted'))
  if (autoSubmitted !== null && autoSubmitted.toLowerCase() !== 'no') {
    return `Auto-Submitted: ${autoSubmitted}`
  }
  const precedence = headerText(parsed.headers.get('precedence'))
  if (precedence !== null && ['bulk', 'junk', 'list', 'auto_reply'].includes(precedence.toLowerCase())) {
    return `Precedence: ${precedence}`
  }
  if (parsed.headers.has('x-autoreply') || parsed.headers.has('x-autorespond')) {
    return 'X-Autoreply'
  }
  if (parsed.headers.has('list-id') || parsed.headers.has('list-post')) {
    return 'mailing list'
  }
  const contentType = headerText(parsed.headers.get('content-type'))
  if (contentType !== null && /multipart\/report/i.test(contentType)) {
    return 'delivery or disposition report'
  }
  return null
}

/** An X-ARF v4 report in an attachment (JSON) or in the text body, the first one found. */
function findXarf(
  parsed: ParsedMail,
  text: string,
  files: readonly MailFile[],
): { source: string; parse: XarfParse } | null {
  const declared = parsed.headers.has('x-xarf')
  for (const file of files) {
    const isJson = /json/i.test(file.contentType) || /\.json$/i.test(file.filename)
    if (!isJson && !declared) {
      continue
    }
    const json = jsonOf(file.content.toString('utf8'))
    if (json !== undefined && looksLikeXarf(json)) {
      return { source: `attachment "${file.filename}"`, parse: parseXarf(json) }
    }
  }
  const json = jsonOf(text)
  if (json !== undefined && (declared || looksLikeXarf(json))) {
    return { source: XARF_IN_BODY, parse: parseXarf(json) }
  }
  if (declared) {
    return {
      source: 'the message',
      parse: { ok: false, problems: ['the X-XARF header is set but no X-ARF v4 JSON was found'] },
    }
  }
  return null
}

function jsonOf(text: string): unknown {
  const trimmed = text.trim()
  if (!trimmed.startsWith('{')) {
    return undefined
  }
  try {
    return JSON.parse(trimmed) as unknown
  } catch {
    return undefined
  }
}

function firstAddress(value: AddressObject | AddressObject[] | undefined): ReadMail['from'] {
  const objects = value === undefined ? [] : Array.isArray(value) ? value : [value]
  for (const object of objects) {
    for (const entry of object.value) {
      if (entry.address !== undefined && /^[^\s@]+@[^\s@]+$/.test(entry.address)) {
        return {
          address: entry.address.toLowerCase(),
          name: entry.name === '' ? null : printable(entry.name),
        }
      }
    }
  }
  return null
}

function headerText(value: HeaderValue | undefined): string | null {
  if (value === undefined) {
    return null
  }
  if (typeof value === 'string') {
    return value.trim()
  }
  if (typeof value === 'object' && 'value' in value && typeof value.value === 'string') {
    return value.value.trim()
  }
  return null
}

/**
 * The readable text of an HTML body (mailparser leaves `text` empty when a message has only HTML):
 * tags, head, scripts and styles removed, the common entities decoded. Only ever shown as text.
 */
function htmlToText(html: string): string {
  const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' }
  // Bounded, so the lazy patterns below stay cheap on hostile input.
  return html
    .slice(0, 2_000_000)
    .replace(/<(head|script|style)\b[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<br\s*\/?>|<\/(p|div|li|tr|h[1-6])\s*>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
      if (name.startsWith('#x') || name.startsWith('#X')) {
        return String.fromCodePoint(Number.parseInt(name.slice(2), 16) % 0x110000)
      }
      if (name.startsWith('#')) {
        return String.fromCodePoint(Number.parseInt(name.slice(1), 10) % 0x110000)
      }
      return entities[name.toLowerCase()] ?? whole
    })
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}

/** Text without control characters other than tab and line breaks (NUL, escape sequences …). */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')
}

/**
 * What mailparser reads past without a word: multiparts whose closing delimiter never comes, a
 * multipart without boundary, charsets no decoder knows, NUL bytes, a header block that never ends.
 */
function structuralProblems(raw: Buffer): MailProblem[] {
  const problems: MailProblem[] = []
  // Latin-1 maps every byte to one character, so offsets and delimiters survive any encoding.
  const text = raw.toString('latin1')
  const unfolded = text.replace(/\r?\n[ \t]+/g, ' ')
  if (!/\r?\n\r?\n/.test(text) && raw.length > 0 && !/^[\x21-\x39\x3b-\x7e]+:/.test(text)) {
    problems.push({ code: 'headers_missing', message: 'the message does not start with a header' })
  }
  if (raw.includes(0)) {
    problems.push({ code: 'nul_bytes', message: 'the message contains NUL bytes' })
  }
  const contentTypes = unfolded.matchAll(/^content-type:[ \t]*([^\r\n]*)/gim)
  const seenCharsets = new Set<string>()
  for (const [, value = ''] of contentTypes) {
    if (/^\s*multipart\//i.test(value)) {
      const boundary = /boundary\s*=\s*(?:"([^"]*)"|([^;\s]+))/i.exec(value)
      const name = boundary?.[1] ?? boundary?.[2]
      if (name === undefined || name === '') {
        problems.push({
          code: 'multipart_no_boundary',
          message: `multipart without a boundary: ${value.trim()}`,
        })
      } else if (!text.includes(`--${name}--`)) {
        problems.push({
          code: 'multipart_unterminated',
          message: `the multipart with boundary "${name}" is never closed; its last part may be cut off`,
        })
      }
    }
    const charset = /charset\s*=\s*(?:"([^"]*)"|([^;\s]+))/i.exec(value)
    const label = (charset?.[1] ?? charset?.[2] ?? '').trim().toLowerCase()
    if (label !== '' && !seenCharsets.has(label)) {
      seenCharsets.add(label)
      if (!knownCharset(label)) {
        problems.push({
          code: 'charset_unknown',
          message: `unknown charset "${label}": that text may be garbled`,
        })
      }
    }
  }
  return problems
}

function knownCharset(label: string): boolean {
  try {
    new TextDecoder(label)
    return true
  } catch {
    // mailparser also decodes what iconv-lite knows that WHATWG does not (a few legacy names).
    return ['utf-7', 'utf7', 'us-ascii', 'ascii', 'cp437', 'cp850', 'iso-8859-11'].includes(label)
  }
}

/** A file name extension for a MIME type (`.bin` when unknown); active types get a harmless one. */
export function extensionOf(contentType: string): string {
  const known: Record<string, string> = {
    'text/plain': '.txt',
    'text/html': '.html.txt',
    'text/csv': '.csv',
    'application/json': '.json',
    'message/rfc822': '.eml',
    'image/png': '.png',
    'image/jpeg': '.jpg',
    'image/gif': '.gif',
    'application/pdf': '.pdf',
    'application/zip': '.zip',
  }
  return known[contentType.toLowerCase().split(';')[0]?.trim() ?? ''] ?? '.bin'
}
