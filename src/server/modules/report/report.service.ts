import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { Role } from '../../../core/account/account.schema.js'
import type { UserPrincipal } from '../../../core/account/principal.js'
import {
  CreateReportBody,
  HANDLER_STATUSES,
  REPORT_LIMITS,
  ReportMessageBody,
  type CreateReportInput,
  type MessageSender,
  type ReportChannel,
} from '../../../core/incident/report.schema.js'
import { extractIocs } from '../../../core/intel/ioc.js'
import type { SharingLabel } from '../../../core/trust/label.js'
import { badInput, forbidden, LiaisonError, notFound } from '../../errors.js'
import { randomToken, safeEqual, sha256Hex } from '../../secrets.js'
import type { Db, Trx } from '../../store/store.js'
import { validateInput } from '../../validation.js'
import { recordAudit, type AuditActor } from '../audit/audit.service.js'
import { findInstanceOrganisation } from '../org/org.repository.js'
import { ensureLabel, findLabels } from '../trust/label.repository.js'
import {
  findAttachment,
  findAttachmentMetas,
  findReportMessages,
  findReportObservables,
  findReportRow,
  findReportRowByTrackingId,
  findVisibleReport,
  findVisibleReports,
  insertAttachments,
  insertReport,
  insertReportMessage,
  insertReportObservables,
  trackingIdExists,
  updateReportRow,
  type AttachmentMeta,
  type ReportFilter,
} from './report.repository.js'
import type { AttachmentRow, ReportMessageRow, ReportObservableRow, ReportRow } from './report.table.js'

/** A file sent with a report or a message. */
export interface AttachmentInput {
  /** Name as the sender gave it; folders and control characters are removed. */
  readonly filename: string
  /** As the sender declared it; stored for information only. */
  readonly contentType: string
  readonly content: Buffer
}

/** Who sends a report: a logged-in constituent, an anonymous client (by address), or the system (mail). */
export type ReportSubmitter = UserPrincipal | { kind: 'anonymous'; address?: string } | { kind: 'system' }

/** A report as received on any channel: the form's fields, its files, and who sent it. */
export type NewReport = CreateReportInput & {
  attachments?: readonly AttachmentInput[]
  /** Default: anonymous. A user's report is linked to them and their organisation. */
  submitter?: ReportSubmitter
}

/** A report with its sharing label. */
export interface LabelledReport {
  readonly row: ReportRow
  readonly label: SharingLabel
}

/** A report as handlers see it: label, messages, attachments (no bytes) and IOCs. */
export interface ReportDetails extends LabelledReport {
  readonly messages: readonly ReportMessageRow[]
  readonly attachments: readonly AttachmentMeta[]
  readonly observables: readonly ReportObservableRow[]
}

/** What the reporter's status link shows. */
export interface ReporterView {
  readonly row: ReportRow
  readonly messages: readonly ReportMessageRow[]
  readonly attachments: readonly AttachmentMeta[]
}

/** Roles of the receiving organisation that read reports. */
export const REPORT_READ_ROLES: readonly Role[] = ['admin', 'handler', 'coordinator', 'viewer']
/** Roles of the receiving organisation that triage reports and answer reporters. */
export const REPORT_WRITE_ROLES: readonly Role[] = ['admin', 'handler', 'coordinator']

// Crockford's base32: no I, L, O, U.
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/** A tracking id: `LSN-` and 8 random Crockford base32 characters (40 bits). */
export function newTrackingId(): string {
  let out = 'LSN-'
  for (const byte of randomBytes(8)) {
    // 256 is a multiple of 32: no bias.
    out += CROCKFORD[byte % 32]
  }
  return out
}

/** True when `value` has the shape of a tracking id (upper case). */
export function isTrackingId(value: string): boolean {
  return /^LSN-[0-9A-HJKMNP-TV-Z]{8}$/.test(value)
}

/** The label a new report carries: owned by the instance's organisation, TLP:AMBER, that organisation only. */
export function reportLabel(instanceOrgId: string): SharingLabel {
  return {
    ownerOrg: instanceOrgId,
    tlp: 'amber',
    pap: 'clear',
    audience: 'org',
    sharingGroups: [],
    recipients: [],
  }
}

const CONTROL_CHARACTERS = /\p{Cc}/gu

/** A file name without folders, control characters or leading dots, at most 255 characters. */
export function safeFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? ''
  const clean = base
    .replace(CONTROL_CHARACTERS, '')
    .replace(/^[.\s]+/, '')
    .trim()
    .slice(0, 255)
  return clean === '' ? 'attachment' : clean
}

/** Raises a 413 naming the limit when files are too many or too large. */
export function assertAttachmentLimits(files: readonly { size: number }[], field = 'attachments'): void {
  if (files.length > REPORT_LIMITS.files) {
    throw new LiaisonError(
      413,
      'payload_too_large',
      `${field}: at most ${REPORT_LIMITS.files} files may be attached`,
      { field, limit: 'files', max: REPORT_LIMITS.files },
    )
  }
  let total = 0
  for (const file of files) {
    if (file.size > REPORT_LIMITS.fileBytes) {
      throw fileTooLarge(field)
    }
    total += file.size
  }
  if (total > REPORT_LIMITS.totalBytes) {
    throw totalTooLarge(field)
  }
}

/** 413: one file is larger than {@link REPORT_LIMITS}.fileBytes. */
export function fileTooLarge(field = 'attachments'): LiaisonError {
  return new LiaisonError(
    413,
    'payload_too_large',
    `${field}: a file may hold at most ${REPORT_LIMITS.fileBytes / 1024 / 1024} MiB`,
    { field, limit: 'fileBytes', max: REPORT_LIMITS.fileBytes },
  )
}

/** 413: all files together are larger than {@link REPORT_LIMITS}.totalBytes. */
export function totalTooLarge(field = 'attachments'): LiaisonError {
  return new LiaisonError(
    413,
    'payload_too_large',
    `${field}: all files together may hold at most ${REPORT_LIMITS.totalBytes / 1024 / 1024} MiB`,
    { field, limit: 'totalBytes', max: REPORT_LIMITS.totalBytes },
  )
}

function attachmentRows(
  reportId: string,
  messageId: string | null,
  files: readonly AttachmentInput[],
  at: string,
): AttachmentRow[] {
  return files.map((file) => ({
    id: randomUUID(),
    report_id: reportId,
    message_id: messageId,
    filename: safeFilename(file.filename),
    content_type:
      file.contentType.replace(CONTROL_CHARACTERS, '').slice(0, 200) || 'application/octet-stream',
    size: file.content.length,
    sha256: createHash('sha256').update(file.content).digest('hex'),
    content: file.content,
    created_at: at,
  }))
}

function observableRows(
  reportId: string,
  texts: readonly (string | null | undefined)[],
): ReportObservableRow[] {
  const text = texts.filter((t): t is string => typeof t === 'string' && t !== '').join('\n')
  return extractIocs(text).map(({ observable }) => ({
    report_id: reportId,
    kind: observable.kind,
    key: observable.key,
    value: observable.value,
  }))
}

function boolColumn(value: boolean | undefined): number | null {
  return value === undefined ? null : value ? 1 : 0
}

function describeFiles(rows: readonly AttachmentRow[]) {
  return rows.map((r) => ({ id: r.id, filename: r.filename, size: r.size, sha256: r.sha256 }))
}

/**
 * Records a report received on any channel, with its attachments (hashed, bytes in the store) and
 * the IOCs of its text, in one audited transaction. The report goes to the instance's own
 * organisation under {@link reportLabel}. Returns the report and the reporter's secret status token,
 * which is stored only as a hash: show it once.
 *
 * @example
 * const { report, statusToken } = await createReport(db, { reporter: { email }, summary }, 'email', now)
 */
export async function createReport(
  db: Db,
  input: NewReport,
  channel: ReportChannel,
  now = new Date(),
): Promise<{ report: ReportRow; statusToken: string }> {
  const { attachments = [], submitter = { kind: 'anonymous' }, ...fields } = input
  const valid = validateInput(CreateReportBody, fields)
  if (valid.summary.trim() === '') {
    throw badInput('summary', 'must not be blank')
  }
  assertAttachmentLimits(attachments.map((a) => ({ size: a.content.length })))
  const at = now.toISOString()
  const statusToken = randomToken(32)
  const user = submitter.kind === 'user' ? submitter : null
  const row: ReportRow = {
    id: randomUUID(),
    tracking_id: '',
    token_hash: sha256Hex(statusToken),
    channel,
    status: 'new',
    label_id: '',
    summary: valid.summary.trim(),
    occurred_at: valid.occurredAt ?? null,
    affected_systems: valid.affectedSystems ?? null,
    description: valid.description ?? '',
    reporter_name: valid.reporter.name ?? null,
    reporter_email: valid.reporter.email,
    reporter_phone: valid.reporter.phone ?? null,
    reporter_organisation: valid.reporter.organisation ?? null,
    reporter_user_id: user?.userId ?? null,
    reporter_org_id: user?.orgId ?? null,
    source_address: submitter.kind === 'anonymous' ? (submitter.address ?? null) : null,
    nis2_entity_type: valid.nis2?.entityType ?? null,
    nis2_suspected_malicious: boolColumn(valid.nis2?.suspectedMalicious),
    nis2_cross_border: boolColumn(valid.nis2?.crossBorderImpact),
    incident_id: null,
    created_at: at,
    updated_at: at,
  }
  const files = attachmentRows(row.id, null, attachments, at)
  const observables = observableRows(row.id, [row.summary, row.affected_systems, row.description])
  await db.transaction().execute(async (trx) => {
    const instance = await findInstanceOrganisation(trx)
    if (instance === undefined) {
      throw new Error('the instance organisation is missing: run `liaison serve` once to create it')
    }
    row.label_id = await ensureLabel(trx, reportLabel(instance.id), now)
    row.tracking_id = await uniqueTrackingId(trx)
    await insertReport(trx, row)
    await insertAttachments(trx, files)
    await insertReportObservables(trx, observables)
    await recordAudit(
      trx,
      submitter,
      {
        action: 'report.received',
        targetType: 'report',
        targetId: row.id,
        details: {
          trackingId: row.tracking_id,
          channel,
          attachments: describeFiles(files),
          observables: observables.length,
        },
      },
      now,
    )
  })
  return { report: row, statusToken }
}

async function uniqueTrackingId(trx: Trx): Promise<string> {
  // 2^40 ids: a clash is rare; a few tries make a failure practically impossible.
  for (let attempt = 0; attempt < 8; attempt++) {
    const id = newTrackingId()
    if (!(await trackingIdExists(trx, id))) {
      return id
    }
  }
  throw new Error('no free tracking id after 8 tries')
}

/**
 * Adds a message (with attachments) to a report, from the reporter or from a handler, and indexes
 * the IOCs of a reporter's text; audited as `report.message_added`. Callers check who may write:
 * the reporter's token, or the handler's role and visibility. `actor` defaults to an anonymous
 * reporter or the system.
 */
export async function addReportMessage(
  db: Db,
  reportId: string,
  from: MessageSender,
  body: string,
  attachments: readonly AttachmentInput[],
  now = new Date(),
  actor: AuditActor = from === 'reporter' ? { kind: 'anonymous' } : { kind: 'system' },
): Promise<{ message: ReportMessageRow; attachments: AttachmentRow[] }> {
  const valid = validateInput(ReportMessageBody, { body })
  if (valid.body.trim() === '' && attachments.length === 0) {
    throw badInput('body', 'must not be blank')
  }
  assertAttachmentLimits(attachments.map((a) => ({ size: a.content.length })))
  const at = now.toISOString()
  const message: ReportMessageRow = {
    id: randomUUID(),
    report_id: reportId,
    sender: from,
    author_user_id: actor.kind === 'user' ? actor.userId : null,
    body: valid.body,
    created_at: at,
  }
  const files = attachmentRows(reportId, message.id, attachments, at)
  const observables = from === 'reporter' ? observableRows(reportId, [valid.body]) : []
  await db.transaction().execute(async (trx) => {
    const report = await findReportRow(trx, reportId)
    if (report === undefined) {
      throw notFound('report', reportId)
    }
    await insertReportMessage(trx, message)
    await insertAttachments(trx, files)
    await insertReportObservables(trx, observables)
    await updateReportRow(trx, reportId, { updated_at: at })
    await recordAudit(
      trx,
      actor,
      {
        action: 'report.message_added',
        targetType: 'report',
        targetId: reportId,
        details: {
          trackingId: report.tracking_id,
          from,
          messageId: message.id,
          attachments: describeFiles(files),
        },
      },
      now,
    )
  })
  return { message, attachments: files }
}

/** A report by its tracking id, or undefined. No access check: callers check the token or the caller. */
export async function findReportByTrackingId(db: Db, trackingId: string): Promise<ReportRow | undefined> {
  return findReportRowByTrackingId(db, trackingId.trim().toUpperCase())
}

// Compared against when the tracking id is unknown, so both cases cost the same.
const NO_TOKEN_HASH = sha256Hex('no report has this token')

/**
 * The report a reporter's tracking id and token open, or a 404 that looks the same whether the id
 * is unknown or the token wrong. Hashes are compared in constant time.
 */
export async function reportForToken(
  db: Db,
  trackingId: string,
  token: string | undefined,
): Promise<ReportRow> {
  const row = isTrackingId(trackingId) ? await findReportByTrackingId(db, trackingId) : undefined
  const sent = sha256Hex(token ?? '')
  const matches = safeEqual(sent, row?.token_hash ?? NO_TOKEN_HASH)
  if (row === undefined || !matches || token === undefined || token === '') {
    throw notFound('report', trackingId)
  }
  return row
}

/** What the reporter's status link shows: their report's status, the messages and the files. */
export async function reporterView(
  db: Db,
  trackingId: string,
  token: string | undefined,
): Promise<ReporterView> {
  const row = await reportForToken(db, trackingId, token)
  const [messages, attachments] = await Promise.all([
    findReportMessages(db, row.id),
    findAttachmentMetas(db, row.id),
  ])
  return { row, messages, attachments }
}

/** Adds the reporter's message (authorised by the token) to their report. */
export async function addReporterMessage(
  db: Db,
  trackingId: string,
  token: string | undefined,
  body: string,
  attachments: readonly AttachmentInput[],
  now = new Date(),
  actor: AuditActor = { kind: 'anonymous' },
): Promise<ReporterView> {
  const row = await reportForToken(db, trackingId, token)
  await addReportMessage(db, row.id, 'reporter', body, attachments, now, actor)
  return reporterView(db, trackingId, token)
}

function assertRole(principal: UserPrincipal, roles: readonly Role[], what: string): void {
  if (!roles.includes(principal.role)) {
    throw forbidden(`${what} is for ${roles.join(', ')} of the receiving organisation`)
  }
}

/** The triage queue: reports the caller may see, newest first, one page, with the total. */
export async function listReports(
  db: Db,
  principal: UserPrincipal,
  filter: ReportFilter & { limit: number; offset: number },
): Promise<{ items: (ReportRow & { attachment_count: number })[]; total: number }> {
  assertRole(principal, REPORT_READ_ROLES, 'reading reports')
  const { rows, total } = await findVisibleReports(db, principal, filter)
  return { items: rows, total }
}

async function visibleReport(db: Db, principal: UserPrincipal, id: string): Promise<LabelledReport> {
  const row = await findVisibleReport(db, principal, id)
  const label = row === undefined ? undefined : (await findLabels(db, [row.label_id])).get(row.label_id)
  if (row === undefined || label === undefined) {
    throw notFound('report', id)
  }
  return { row, label }
}

/** One report with its messages, attachments and IOCs; 404 when missing or not visible. */
export async function getReport(db: Db, principal: UserPrincipal, id: string): Promise<ReportDetails> {
  assertRole(principal, REPORT_READ_ROLES, 'reading reports')
  const report = await visibleReport(db, principal, id)
  const [messages, attachments, observables] = await Promise.all([
    findReportMessages(db, id),
    findAttachmentMetas(db, id),
    findReportObservables(db, id),
  ])
  return { ...report, messages, attachments, observables }
}

/** One attachment of a report the caller may see, bytes included; 404 when either is missing or hidden. */
export async function getReportAttachment(
  db: Db,
  principal: UserPrincipal,
  reportId: string,
  attachmentId: string,
): Promise<AttachmentRow> {
  assertRole(principal, REPORT_READ_ROLES, 'reading reports')
  await visibleReport(db, principal, reportId)
  const attachment = await findAttachment(db, reportId, attachmentId)
  if (attachment === undefined) {
    throw notFound('attachment', attachmentId)
  }
  return attachment
}

/** Sets a report's status by hand (`new`, `triaged`, `closed`); audited as `report.status_changed`. */
export async function changeReportStatus(
  db: Db,
  principal: UserPrincipal,
  id: string,
  status: (typeof HANDLER_STATUSES)[number],
  now = new Date(),
): Promise<ReportDetails> {
  assertRole(principal, REPORT_WRITE_ROLES, 'triaging reports')
  const report = await visibleReport(db, principal, id)
  if (!(HANDLER_STATUSES as readonly string[]).includes(status)) {
    throw badInput('status', `must be one of ${HANDLER_STATUSES.join(', ')}`)
  }
  if (report.row.status === 'linked') {
    throw new LiaisonError(409, 'conflict', 'status: the report is part of an incident; handle it there', {
      field: 'status',
    })
  }
  if (report.row.status !== status) {
    await db.transaction().execute(async (trx) => {
      await updateReportRow(trx, id, { status, updated_at: now.toISOString() })
      await recordAudit(
        trx,
        principal,
        {
          action: 'report.status_changed',
          targetType: 'report',
          targetId: id,
          details: { trackingId: report.row.tracking_id, from: report.row.status, to: status },
        },
        now,
      )
    })
  }
  return getReport(db, principal, id)
}

/** A handler's answer to the reporter, shown on the status page. */
export async function replyToReport(
  db: Db,
  principal: UserPrincipal,
  id: string,
  body: string,
  attachments: readonly AttachmentInput[],
  now = new Date(),
): Promise<ReportDetails> {
  assertRole(principal, REPORT_WRITE_ROLES, 'answering reporters')
  await visibleReport(db, principal, id)
  await addReportMessage(db, id, 'handler', body, attachments, now, principal)
  return getReport(db, principal, id)
}
