import { createHash, randomUUID } from 'node:crypto'
import { REPORT_LIMITS, ReporterContactSchema } from '../../../core/incident/report.schema.js'
import { rsitHintOfXarf, type XarfReport } from '../../../core/incident/xarf.js'
import type { UserPrincipal } from '../../../core/account/principal.js'
import { forbidden, LiaisonError, notFound } from '../../errors.js'
import type { Db } from '../../store/store.js'
import { validateInput } from '../../validation.js'
import { recordAudit, type AuditActor } from '../audit/audit.service.js'
import type { Mailer, OutgoingMail } from '../notify/mailer.js'
import { findInstanceOrganisation } from '../org/org.repository.js'
import {
  addReportMessage,
  createReport,
  findReportByTrackingId,
  REPORT_READ_ROLES,
  type AttachmentInput,
  type NewReport,
} from '../report/report.service.js'
import { extensionOf, readMail, XARF_IN_BODY, type MailFile, type ReadMail } from './intake-mail.parse.js'
import {
  findEarlierCopy,
  findVisibleRawBytes,
  findVisibleRawMessage,
  findVisibleRawMessages,
  insertRawMessage,
  updateRawMessage,
  type RawMessageFilter,
  type RawMessageMeta,
} from './intake-mail.repository.js'
import type { AckStatus, MailProblem, RawMessageOutcome, RawMessageRow } from './intake-mail.table.js'

/** The SMTP envelope of a received message. */
export interface MailEnvelope {
  /** `MAIL FROM`; '' for the null reverse-path of bounces. */
  readonly from: string
  /** Accepted `RCPT TO` addresses. */
  readonly to: readonly string[]
  /** Address of the SMTP client. */
  readonly remoteAddress: string | null
  /** What the client said in `HELO`/`EHLO`. */
  readonly helo: string | null
}

/** What mail intake needs. */
export interface IntakeContext {
  readonly db: Db
  /** The instance's report address (`LIAISON_REPORT_ADDRESS`), lower case. */
  readonly reportAddress: string
  readonly now: () => Date
  /** The reporter's secret status link for a new report. */
  readonly statusUrl: (trackingId: string, statusToken: string) => string
}

/** What became of a received message, and the acknowledgement to send, if any. */
export interface ReceivedMail {
  readonly rawMessageId: string
  readonly outcome: RawMessageOutcome
  readonly reportId: string | null
  readonly trackingId: string | null
  readonly problems: readonly MailProblem[]
  /** The reply that tells the sender the tracking id; null when nothing is to be sent. */
  readonly ack: OutgoingMail | null
}

/** A copy of a message received within this time is a retransmission (the 250 got lost). */
const DUPLICATE_WINDOW_MS = 7 * 24 * 60 * 60 * 1000

const UNPROCESSED: Filed = {
  outcome: 'unprocessed',
  reportId: null,
  trackingId: null,
  statusToken: null,
  summary: null,
}

const TRACKING_ID_IN_TEXT = /\bLSN-[0-9A-HJKMNP-TV-Z]{8}\b/i
const NO_ADDRESS = 'unknown@sender.invalid'

/**
 * Takes in one message accepted by the SMTP listener. The raw bytes are committed first (with the
 * envelope), so whatever happens next the message is kept; then the message is read, and added to
 * the report whose tracking id its subject names, or made a new report (channel `xarf` for a valid
 * X-ARF v4 report, else `email`) with its text, IOCs and attachments. What could not be read is
 * recorded as problems and flags the message; a message no report can be made of stays stored as
 * `unprocessed`. A byte-identical copy from the same sender within a week (a retransmission after a
 * lost `250`) is kept as a `duplicate` of the first one's report, without a new report or answer.
 * Throws only when the raw message itself, or its outcome, could not be stored.
 */
export async function receiveMail(
  ctx: IntakeContext,
  envelope: MailEnvelope,
  raw: Buffer,
): Promise<ReceivedMail> {
  const now = ctx.now()
  const actor: AuditActor =
    envelope.remoteAddress === null
      ? { kind: 'anonymous' }
      : { kind: 'anonymous', address: envelope.remoteAddress }
  const row: RawMessageRow = {
    id: randomUUID(),
    received_at: now.toISOString(),
    envelope_from: envelope.from.toLowerCase(),
    envelope_to: JSON.stringify(envelope.to.map((a) => a.toLowerCase())),
    remote_address: envelope.remoteAddress,
    helo: envelope.helo,
    message_id: null,
    subject: null,
    size: raw.length,
    sha256: createHash('sha256').update(raw).digest('hex'),
    raw,
    problems: '[]',
    flagged: 0,
    outcome: 'unprocessed',
    report_id: null,
    xarf: null,
    rsit_hint: null,
    ack_status: 'none',
    ack_detail: null,
    ack_message_id: null,
    ack_at: null,
  }
  await ctx.db.transaction().execute(async (trx) => {
    await insertRawMessage(trx, row)
    await recordAudit(
      trx,
      actor,
      {
        action: 'mail.received',
        targetType: 'raw_message',
        targetId: row.id,
        details: { envelopeFrom: row.envelope_from, size: row.size, sha256: row.sha256 },
      },
      now,
    )
  })

  const problems: MailProblem[] = []
  let mail: ReadMail | null = null
  let result: Filed = UNPROCESSED
  try {
    mail = await readMail(raw)
    problems.push(...mail.problems)
    const since = new Date(now.getTime() - DUPLICATE_WINDOW_MS).toISOString()
    const earlier = await findEarlierCopy(ctx.db, row, since)
    result =
      earlier === undefined
        ? await fileMail(ctx, envelope, mail, problems, actor, now, row.id)
        : { ...UNPROCESSED, outcome: 'duplicate', reportId: earlier.reportId, trackingId: earlier.trackingId }
  } catch (error) {
    // Kept and flagged: a handler can file it by hand from the raw message.
    problems.push({ code: 'processing_failed', message: `the message could not be filed: ${reason(error)}` })
  }
  const xarf = mail?.xarf?.parse.ok === true ? mail.xarf.parse.report : null
  const ack =
    mail !== null && (result.outcome === 'report' || result.outcome === 'xarf')
      ? ackPlan(ctx, envelope, mail, result)
      : null
  const ackStatus: AckStatus = ack === null ? 'none' : ack.mail === null ? 'suppressed' : 'pending'
  await ctx.db.transaction().execute(async (trx) => {
    await updateRawMessage(trx, row.id, {
      message_id: mail?.messageId?.slice(0, 998) ?? null,
      subject: mail?.subject?.slice(0, 998) ?? null,
      problems: JSON.stringify(problems),
      flagged: problems.length > 0 ? 1 : 0,
      outcome: result.outcome,
      report_id: result.reportId,
      xarf: xarf === null ? null : JSON.stringify(xarf.json),
      rsit_hint: xarf === null ? null : rsitHintOfXarf(xarf.category, xarf.type),
      ack_status: ackStatus,
      ack_detail: ack?.mail === null ? ack.reason : null,
    })
    await recordAudit(
      trx,
      actor,
      {
        action: 'mail.processed',
        targetType: 'raw_message',
        targetId: row.id,
        details: {
          outcome: result.outcome,
          reportId: result.reportId,
          trackingId: result.trackingId,
          problems: problems.map((p) => p.code),
        },
      },
      now,
    )
  })
  return {
    rawMessageId: row.id,
    outcome: result.outcome,
    reportId: result.reportId,
    trackingId: result.trackingId,
    problems,
    ack: ack?.mail ?? null,
  }
}

/**
 * Sends the acknowledgement of a received message through the mailer and records whether it went
 * out (`sent`) or not (`not_sent`, with the reason: no relay configured, relay refused …); audited
 * as `mail.acknowledged`. Never throws.
 */
export async function acknowledgeMail(
  ctx: Pick<IntakeContext, 'db' | 'now'>,
  mailer: Pick<Mailer, 'send'>,
  received: ReceivedMail,
): Promise<AckStatus> {
  if (received.ack === null) {
    return 'none'
  }
  let status: AckStatus
  let detail: string | null = null
  let messageId: string | null = null
  try {
    const sent = await mailer.send(received.ack)
    status = 'sent'
    messageId = sent.messageId
  } catch (error) {
    status = 'not_sent'
    detail = error instanceof Error ? error.message : String(error)
  }
  const now = ctx.now()
  try {
    await ctx.db.transaction().execute(async (trx) => {
      await updateRawMessage(trx, received.rawMessageId, {
        ack_status: status,
        ack_detail: detail,
        ack_message_id: messageId,
        ack_at: now.toISOString(),
      })
      await recordAudit(
        trx,
        { kind: 'system' },
        {
          action: 'mail.acknowledged',
          targetType: 'raw_message',
          targetId: received.rawMessageId,
          details: {
            status,
            trackingId: received.trackingId,
            ...(detail === null ? {} : { reason: detail }),
          },
        },
        now,
      )
    })
  } catch {
    // The store is gone (shutting down): the row keeps `pending`, which is true.
  }
  return status
}

interface Filed {
  outcome: RawMessageOutcome
  reportId: string | null
  trackingId: string | null
  statusToken: string | null
  summary: string | null
}

/** Adds the message to the report its subject names, or makes a new report of it. */
async function fileMail(
  ctx: IntakeContext,
  envelope: MailEnvelope,
  mail: ReadMail,
  problems: MailProblem[],
  actor: AuditActor,
  now: Date,
  rawMessageId: string,
): Promise<Filed> {
  const files = fitAttachments(mail.files, problems)
  const mentioned = TRACKING_ID_IN_TEXT.exec(mail.subject ?? '')?.[0].toUpperCase() ?? null
  if (mentioned !== null) {
    const report = await findReportByTrackingId(ctx.db, mentioned)
    if (report === undefined) {
      problems.push({
        code: 'tracking_id_unknown',
        message: `the subject names ${mentioned}, which is no report here; filed as a new report`,
      })
    } else {
      const sender = mail.from?.address ?? envelope.from.toLowerCase()
      if (sender !== report.reporter_email.toLowerCase()) {
        problems.push({
          code: 'sender_differs',
          message: `added to ${mentioned}, but sent by ${sender || 'an unknown sender'}, not by its reporter`,
        })
      }
      const body = clip(mail.text.trim(), problems)
      try {
        await addReportMessage(
          ctx.db,
          report.id,
          'reporter',
          body === ''
            ? `(e-mail without text${files.length > 0 ? `; ${files.length} attachment(s)` : ''})`
            : body,
          files,
          now,
          actor,
        )
        return {
          outcome: 'reply',
          reportId: report.id,
          trackingId: report.tracking_id,
          statusToken: null,
          summary: null,
        }
      } catch (error) {
        problems.push({
          code: 'report_failed',
          message: `could not be added to ${mentioned}: ${reason(error)}`,
        })
        return { outcome: 'unprocessed', reportId: null, trackingId: null, statusToken: null, summary: null }
      }
    }
  }

  const xarf = mail.xarf?.parse.ok === true ? mail.xarf.parse.report : null
  const input =
    xarf === null
      ? emailReport(envelope, mail, files, problems)
      : xarfReport(xarf, mail.xarf?.source === XARF_IN_BODY, files, problems)
  const channel = xarf === null ? 'email' : 'xarf'
  for (const attempt of [input, bareReport(input, rawMessageId)]) {
    try {
      const { report, statusToken } = await createReport(ctx.db, attempt, channel, now)
      return {
        outcome: channel === 'xarf' ? 'xarf' : 'report',
        reportId: report.id,
        trackingId: report.tracking_id,
        statusToken,
        summary: report.summary,
      }
    } catch (error) {
      problems.push({ code: 'report_failed', message: `the report could not be created: ${reason(error)}` })
    }
  }
  return { outcome: 'unprocessed', reportId: null, trackingId: null, statusToken: null, summary: null }
}

/** A new report of an ordinary mail: subject, text, sender, attachments. */
function emailReport(
  envelope: MailEnvelope,
  mail: ReadMail,
  files: AttachmentInput[],
  problems: MailProblem[],
): NewReport {
  const email = usableAddress(mail.from?.address) ?? usableAddress(envelope.from) ?? NO_ADDRESS
  if (email === NO_ADDRESS) {
    problems.push({
      code: 'sender_unusable',
      message: 'neither From nor the envelope sender is a usable address',
    })
  }
  const summary = oneLine(mail.subject ?? '') || '(e-mail without subject)'
  return {
    reporter: {
      email,
      ...(mail.from === null || mail.from.name === null
        ? {}
        : { name: oneLine(mail.from.name).slice(0, 200) }),
    },
    summary: summary.slice(0, 500),
    description: clip(mail.text.trim(), problems),
    attachments: files,
  }
}

/** A new report of a valid X-ARF v4 report: its structured fields, its evidence as attachments. */
function xarfReport(
  xarf: XarfReport,
  inBody: boolean,
  files: AttachmentInput[],
  problems: MailProblem[],
): NewReport {
  const rsit = rsitHintOfXarf(xarf.category, xarf.type)
  const source =
    xarf.sourcePort === null ? xarf.sourceIdentifier : `${xarf.sourceIdentifier} port ${xarf.sourcePort}`
  // The text holds what the report says about the abuse, not who reported it: its IOCs are
  // indexed for duplicate hints and owner look-up, and the reporter's own addresses and domains
  // would point at the wrong party. The reporter is in the report's contact fields, the whole
  // report in the JSON attachment.
  const onBehalf =
    xarf.sender.org !== xarf.reporter.org ? [`Sent on behalf of the reporter by: ${xarf.sender.org}`] : []
  const lines = [
    `X-ARF ${xarf.version} abuse report ${xarf.reportId}`,
    `Category/type: ${xarf.category}/${xarf.type}`,
    `RSIT (suggested): ${rsit ?? 'none obvious; classify by hand'}`,
    `Source: ${source}`,
    `Occurred: ${xarf.timestamp}${xarf.firstSeen === null ? '' : ` (first seen ${xarf.firstSeen})`}`,
    ...(xarf.url === null ? [] : [`URL: ${xarf.url}`]),
    ...(xarf.destinationIp === null
      ? []
      : [`Target: ${xarf.destinationIp}${xarf.protocol === null ? '' : ` (${xarf.protocol})`}`]),
    ...(xarf.evidenceSource === null ? [] : [`Evidence source: ${xarf.evidenceSource}`]),
    ...(xarf.confidence === null ? [] : [`Confidence: ${xarf.confidence}`]),
    ...(xarf.tags.length === 0 ? [] : [`Tags: ${xarf.tags.join(', ')}`]),
    `Reported by: ${xarf.reporter.org}`,
    ...onBehalf,
    ...(xarf.description === null ? [] : ['', xarf.description]),
  ]
  // An X-ARF report sent as the body is kept as a file too; an attached one is among `files`.
  const json: AttachmentInput[] = inBody
    ? [
        {
          filename: 'xarf-report.json',
          contentType: 'application/json',
          content: Buffer.from(JSON.stringify(xarf.json, null, 2)),
        },
      ]
    : []
  const evidence: AttachmentInput[] = xarf.evidence.map((item, index) => ({
    filename: `xarf-evidence-${index + 1}${extensionOf(item.contentType)}`,
    contentType: item.contentType,
    content: item.payload,
  }))
  return {
    reporter: {
      email: usableAddress(xarf.reporter.contact) ?? NO_ADDRESS,
      organisation: xarf.reporter.org.slice(0, 300),
    },
    summary: `X-ARF ${xarf.category}/${xarf.type}: ${oneLine(xarf.sourceIdentifier)}`.slice(0, 500),
    occurredAt: xarf.timestamp,
    affectedSystems: source.slice(0, 5000),
    description: clip(lines.join('\n'), problems),
    attachments: fitAttachments([...files, ...json, ...evidence], problems),
  }
}

/** What is left when the full report is refused: the subject and a pointer to the kept message. */
function bareReport(input: NewReport, rawMessageId: string): NewReport {
  return {
    reporter: { email: input.reporter.email },
    summary: input.summary,
    description: `The message could not be filed in full; it is kept as received (raw message ${rawMessageId}).`,
  }
}

/** The acknowledgement to send for a new report, or why none is sent. */
function ackPlan(
  ctx: IntakeContext,
  envelope: MailEnvelope,
  mail: ReadMail,
  filed: Filed,
): { mail: OutgoingMail | null; reason: string } | null {
  if (filed.trackingId === null || filed.statusToken === null) {
    return null
  }
  const to = envelope.from.toLowerCase()
  const suppressed = (reason: string) => ({ mail: null, reason })
  if (to === '') {
    return suppressed('null envelope sender (a bounce or notification)')
  }
  if (mail.automatic !== null) {
    return suppressed(`sent automatically (${mail.automatic})`)
  }
  if (to === ctx.reportAddress || /^(mailer-daemon|postmaster|no-?reply)@/i.test(to)) {
    return suppressed(`the sender ${to} does not take replies`)
  }
  const link = ctx.statusUrl(filed.trackingId, filed.statusToken)
  const text = [
    `Your report has been received and has the tracking id ${filed.trackingId}.`,
    '',
    'Please keep the tracking id in the subject when you write to us about this report (replying to',
    'this mail does that): your message is then added to your report.',
    '',
    'You can follow your report, and write to us, on its status page. Keep this link to yourself:',
    'anyone who has it can read your report.',
    '',
    link,
    '',
    'This is an automatic reply.',
  ].join('\n')
  const references = [...mail.references, ...(mail.messageId === null ? [] : [mail.messageId])]
  return {
    reason: '',
    mail: {
      to,
      subject: `[${filed.trackingId}] Report received: ${oneLine(filed.summary ?? '')}`.slice(0, 250),
      text,
      ...(mail.messageId === null ? {} : { inReplyTo: mail.messageId }),
      ...(references.length === 0 ? {} : { references }),
    },
  }
}

/** Attachments within the report limits, in order; what does not fit stays in the raw message. */
function fitAttachments(files: readonly MailFile[], problems: MailProblem[]): AttachmentInput[] {
  const kept: AttachmentInput[] = []
  let total = 0
  const left: string[] = []
  for (const file of files) {
    const size = file.content.length
    if (
      kept.length >= REPORT_LIMITS.files ||
      size > REPORT_LIMITS.fileBytes ||
      total + size > REPORT_LIMITS.totalBytes
    ) {
      left.push(file.filename)
      continue
    }
    total += size
    kept.push({ filename: file.filename, contentType: file.contentType, content: file.content })
  }
  if (left.length > 0) {
    problems.push({
      code: 'attachments_left_out',
      message: `over the report limits, kept only in the raw message: ${left.join(', ')}`,
    })
  }
  return kept
}

function clip(text: string, problems: MailProblem[]): string {
  if (text.length <= REPORT_LIMITS.textChars) {
    return text
  }
  problems.push({
    code: 'text_truncated',
    message: `the text was cut to ${REPORT_LIMITS.textChars} characters; the raw message holds all of it`,
  })
  return text.slice(0, REPORT_LIMITS.textChars)
}

function usableAddress(address: string | undefined): string | null {
  if (address === undefined || address === '') {
    return null
  }
  try {
    return validateInput(ReporterContactSchema, { email: address.toLowerCase() }).email
  } catch {
    return null
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}

function reason(error: unknown): string {
  if (error instanceof LiaisonError || error instanceof Error) {
    return error.message
  }
  return String(error)
}

/**
 * Received mail is the receiving organisation's: its admins, handlers, coordinators and viewers
 * read it; anyone else gets a 403 naming who may (mail of a report is further limited to those who
 * may see the report).
 */
async function assertMailReader(db: Db, principal: UserPrincipal): Promise<void> {
  const instance = await findInstanceOrganisation(db)
  if (
    instance === undefined ||
    principal.orgId !== instance.id ||
    !REPORT_READ_ROLES.includes(principal.role)
  ) {
    throw forbidden(`received mail is for ${REPORT_READ_ROLES.join(', ')} of the receiving organisation`)
  }
}

/** Received mail the caller may see, newest first, one page, with the total. */
export async function listRawMessages(
  db: Db,
  principal: UserPrincipal,
  filter: RawMessageFilter & { limit: number; offset: number },
): Promise<{ items: RawMessageMeta[]; total: number }> {
  await assertMailReader(db, principal)
  const { rows, total } = await findVisibleRawMessages(db, principal, filter)
  return { items: rows, total }
}

/** One received mail (no bytes); 404 when missing or not visible. */
export async function getRawMessage(db: Db, principal: UserPrincipal, id: string): Promise<RawMessageMeta> {
  await assertMailReader(db, principal)
  const row = await findVisibleRawMessage(db, principal, id)
  if (row === undefined) {
    throw notFound('mail', id)
  }
  return row
}

/** The bytes of one received mail, exactly as received; 404 when missing or not visible. */
export async function getRawMessageBytes(
  db: Db,
  principal: UserPrincipal,
  id: string,
): Promise<{ id: string; raw: Buffer; sha256: string }> {
  await assertMailReader(db, principal)
  const row = await findVisibleRawBytes(db, principal, id)
  if (row === undefined) {
    throw notFound('mail', id)
  }
  return { id: row.id, raw: Buffer.from(row.raw), sha256: row.sha256 }
}
