import { randomUUID } from 'node:crypto'
import type { UserPrincipal } from '../../../core/account/principal.js'
import type { Role } from '../../../core/account/account.schema.js'
import type { Static } from 'typebox'
import { IncidentNotifyBody } from '../../../core/constituency/constituency.schema.js'
import {
  CreateIncidentBody,
  CreateLinkBody,
  CreateNoteBody,
  CreateTaskBody,
  IntermediateRequestBody,
  ReportIdsBody,
  SharingBody,
  SlaSettingsSchema,
  UpdateIncidentBody,
  UpdateTaskBody,
  type CreateIncidentInput,
  type CreateLinkInput,
  type CreateNoteInput,
  type CreateTaskInput,
  type IntermediateRequestInput,
  type Nis2Input,
  type ReportIdsInput,
  type SharingInput,
  type SlaSettingsInput,
  type UpdateIncidentInput,
  type UpdateTaskInput,
} from '../../../core/incident/incident.schema.js'
import { isTimeZone } from '../../../core/incident/calendar.js'
import {
  nis2Document,
  type Nis2Document,
  type Nis2Facts,
  type Nis2Stage,
} from '../../../core/incident/nis2.js'
import { isRsitType } from '../../../core/incident/rsit.js'
import { addMinutes, DEFAULT_SLA, type SlaPolicy } from '../../../core/incident/sla.js'
import {
  INCIDENT_TRANSITIONS,
  isReopen,
  mayTransition,
  SEVERITIES,
  type IncidentStatus,
  type Severity,
} from '../../../core/incident/workflow.js'
import { classifyValue, normaliseObservable, type Observable } from '../../../core/intel/observable.js'
import type { SharingLabel, Tlp } from '../../../core/trust/label.js'
import { badInput, conflict, forbidden, LiaisonError, notFound } from '../../errors.js'
import type { Db, Trx } from '../../store/store.js'
import { validateInput } from '../../validation.js'
import { recordAudit } from '../audit/audit.service.js'
import { CONSTITUENCY_READ_ROLES } from '../constituency/constituency.service.js'
import type { NotificationRow } from '../constituency/constituency.table.js'
import { findVisibleObject } from '../intel/intel.query.js'
import {
  listNotificationsForIncident,
  notifyOwners,
  type NotifyContext,
  type NotifyResult,
} from '../notify/notify.service.js'
import {
  findReportObservables,
  findVisibleReport,
  linkReportsToIncident,
} from '../report/report.repository.js'
import { REPORT_READ_ROLES } from '../report/report.service.js'
import { visibleLabelIds } from '../trust/trust.sql.js'
import { ensureLabel, findLabels } from '../trust/label.repository.js'
import { auditLabelChange, labelFromInput } from '../trust/label.service.js'
import {
  appendEvent,
  countVisibleIncidents,
  deleteLinkRow,
  deleteTaskRow,
  findIncidentOfReport,
  findIncidentReportIds,
  findLinks,
  findNis2AnswersOfReports,
  findObservablesOfReports,
  findOrganisationEntity,
  findParticipants,
  findSlaSettings,
  findTask,
  findTasks,
  findVisibleEvents,
  findVisibleIncident,
  findVisibleIncidents,
  findVisibleNotes,
  insertIncident,
  insertLinks,
  insertNote,
  insertTask,
  putReportsInIncident,
  replaceParticipants,
  replaceSlaSettings,
  updateIncidentRow,
  updateTaskRow,
  type IncidentFilter,
} from './incident.repository.js'
import {
  intermediateRequestsOf,
  NIS2_DEFAULT_TIME_ZONE,
  nis2DeadlinesOf,
  nis2NextDue,
} from './incident.nis2.js'
import type {
  IncidentEventRow,
  IncidentLinkRow,
  IncidentNoteRow,
  IncidentRow,
  IncidentTaskRow,
  Nis2IntermediateRequest,
} from './incident.table.js'

/** Roles that triage and work incidents (of their own organisation) and write notes. */
export const INCIDENT_WRITE_ROLES: readonly Role[] = ['admin', 'handler', 'coordinator']

/** Body of `POST /api/v1/incidents/{id}/notify`: the template fields of the mails. */
export type IncidentNotifyInput = Static<typeof IncidentNotifyBody>

/** An incident with its label and the parts only its owner sees (empty for everyone else). */
export interface LabelledIncident {
  readonly row: IncidentRow
  readonly label: SharingLabel
  readonly owned: boolean
  readonly participants: readonly string[]
  readonly reportIds: readonly string[]
}

/** A note with its label. */
export interface LabelledNote {
  readonly row: IncidentNoteRow
  readonly label: SharingLabel
}

/** Where a timeline entry may be seen. */
type EventScope = 'shared' | 'owner' | 'note'

/** The default label of a new incident: the owner organisation only, TLP:AMBER. */
function defaultIncidentLabel(orgId: string): SharingLabel {
  return { ownerOrg: orgId, tlp: 'amber', pap: 'clear', audience: 'org', sharingGroups: [], recipients: [] }
}

function assertWriter(principal: UserPrincipal, what: string): void {
  if (!INCIDENT_WRITE_ROLES.includes(principal.role)) {
    throw forbidden(`${what} is for ${INCIDENT_WRITE_ROLES.join(', ')}; viewers read incidents`)
  }
}

function assertOwner(principal: UserPrincipal, row: IncidentRow, what: string): void {
  assertWriter(principal, what)
  if (row.owner_org_id !== principal.orgId) {
    throw forbidden(`${what} is for the organisation that owns the incident; participants add notes`)
  }
}

async function event(
  trx: Trx,
  principal: UserPrincipal,
  incidentId: string,
  action: string,
  scope: EventScope,
  details: Record<string, unknown>,
  now: Date,
  noteId: string | null = null,
): Promise<void> {
  await appendEvent(trx, {
    id: randomUUID(),
    incident_id: incidentId,
    at: now.toISOString(),
    actor_user_id: principal.userId,
    actor_org_id: principal.orgId,
    action,
    scope,
    note_id: noteId,
    details: JSON.stringify(details),
  })
  await recordAudit(trx, principal, { action, targetType: 'incident', targetId: incidentId, details }, now)
}

async function labelled(
  db: Db | Trx,
  principal: UserPrincipal,
  rows: IncidentRow[],
): Promise<LabelledIncident[]> {
  const ids = rows.map((r) => r.id)
  const [labels, participants, reports] = await Promise.all([
    findLabels(
      db,
      rows.map((r) => r.label_id),
    ),
    findParticipants(db, ids),
    findIncidentReportIds(db, ids),
  ])
  return rows.map((row) => {
    const label = labels.get(row.label_id)
    if (label === undefined) {
      throw new Error(`incident ${row.id} has no label ${row.label_id}`)
    }
    const owned = row.owner_org_id === principal.orgId
    return {
      row,
      label,
      owned,
      participants: owned ? (participants.get(row.id) ?? []) : [],
      reportIds: owned ? (reports.get(row.id) ?? []) : [],
    }
  })
}

/** The SLA targets of an organisation: its own settings over the defaults. */
export async function getSlaPolicy(db: Db | Trx, orgId: string): Promise<SlaPolicy> {
  const rows = await findSlaSettings(db, orgId)
  const policy: Record<Severity, { acknowledgeMinutes: number; resolveMinutes: number }> = { ...DEFAULT_SLA }
  for (const row of rows) {
    const severity = SEVERITIES.find((s) => s === row.severity)
    if (severity !== undefined) {
      policy[severity] = { acknowledgeMinutes: row.acknowledge_minutes, resolveMinutes: row.resolve_minutes }
    }
  }
  return policy
}

/** Sets the SLA targets of the caller's organisation (its admins and coordinators). */
export async function setSlaPolicy(
  db: Db,
  principal: UserPrincipal,
  input: SlaSettingsInput,
  now = new Date(),
): Promise<SlaPolicy> {
  const valid = validateInput(SlaSettingsSchema, input)
  if (principal.role !== 'admin' && principal.role !== 'coordinator') {
    throw forbidden('SLA settings are changed by admins and coordinators of the organisation')
  }
  for (const severity of SEVERITIES) {
    if (valid[severity].resolveMinutes < valid[severity].acknowledgeMinutes) {
      throw badInput(`${severity}.resolveMinutes`, 'must not be shorter than acknowledgeMinutes')
    }
  }
  await db.transaction().execute(async (trx) => {
    await replaceSlaSettings(
      trx,
      principal.orgId,
      SEVERITIES.map((severity) => ({
        severity,
        acknowledge_minutes: valid[severity].acknowledgeMinutes,
        resolve_minutes: valid[severity].resolveMinutes,
      })),
      now.toISOString(),
    )
    await recordAudit(
      trx,
      principal,
      {
        action: 'incident.sla_changed',
        targetType: 'organisation',
        targetId: principal.orgId,
        details: valid,
      },
      now,
    )
  })
  return valid
}

function dueDates(policy: SlaPolicy, severity: Severity, createdAt: string) {
  return {
    acknowledge_due_at: addMinutes(createdAt, policy[severity].acknowledgeMinutes),
    resolve_due_at: addMinutes(createdAt, policy[severity].resolveMinutes),
  }
}

function checkClassification(rsitClass: string | null, rsitType: string | null): void {
  if (rsitType !== null && rsitClass === null) {
    throw badInput('rsitType', 'needs rsitClass')
  }
  if (rsitClass !== null && rsitType !== null && !isRsitType(rsitClass, rsitType)) {
    throw badInput('rsitType', `${rsitType} is not an RSIT type of class ${rsitClass}`)
  }
}

async function checkAssignee(
  db: Db | Trx,
  orgId: string,
  userId: string | null,
  field: string,
): Promise<void> {
  if (userId === null) {
    return
  }
  const user = await db
    .selectFrom('users')
    .select('id')
    .where('id', '=', userId)
    .where('org_id', '=', orgId)
    .where('disabled', '=', 0)
    .executeTakeFirst()
  if (user === undefined) {
    throw badInput(field, `user ${userId} not found in the owner organisation`)
  }
}

/** Submissions recorded by a time on the incident row. */
const SUBMISSIONS = [
  { field: 'earlyWarningSentAt', column: 'early_warning_sent_at', stage: 'early-warning' },
  { field: 'notificationSentAt', column: 'notification_sent_at', stage: 'notification' },
  { field: 'progressReportSentAt', column: 'progress_report_sent_at', stage: 'progress' },
  { field: 'finalReportSentAt', column: 'final_report_sent_at', stage: 'final' },
] as const

/** How far ahead of the server's clock a client's "now" may be. */
const CLOCK_SKEW_MS = 5 * 60_000

/** What a NIS2 input changes: the columns, the changes in words, and the submissions it records. */
interface Nis2Plan {
  readonly change: Partial<IncidentRow>
  readonly changed: Record<string, { from: unknown; to: unknown }>
  readonly submitted: { stage: Nis2Stage; at: string; requestId?: string }[]
}

function pastInstant(value: string, field: string, now: Date): string {
  const date = new Date(value)
  if (date.getTime() > now.getTime() + CLOCK_SKEW_MS) {
    throw badInput(field, 'must not be in the future')
  }
  return date.toISOString()
}

function flagOf(value: boolean | null): number | null {
  return value === null ? null : value ? 1 : 0
}

function textOf(value: string | null): string | null {
  const text = value?.trim() ?? ''
  return text === '' ? null : text
}

/**
 * Plans the NIS2 part of a create or change on `current`. Submission times are set once: a
 * different time for a stage already submitted is a 409 (submissions are immutable, Art. 23 as
 * kept by the platform), the same time again changes nothing.
 */
function planNis2(current: IncidentRow, input: Nis2Input | undefined, now: Date): Nis2Plan {
  const change: Partial<IncidentRow> = {}
  const changed: Record<string, { from: unknown; to: unknown }> = {}
  const submitted: { stage: Nis2Stage; at: string; requestId?: string }[] = []
  if (input === undefined) {
    return { change, changed, submitted }
  }
  const put = <K extends keyof IncidentRow>(column: K, name: string, value: IncidentRow[K]) => {
    if (current[column] !== value) {
      change[column] = value
      changed[name] = { from: current[column], to: value }
    }
  }
  if (input.significant !== undefined) {
    put('nis2_significant', 'significant', flagOf(input.significant))
  }
  if (input.trustServiceProvider !== undefined) {
    put('trust_service_provider', 'trustServiceProvider', flagOf(input.trustServiceProvider))
  }
  if (input.suspectedMalicious !== undefined) {
    put('nis2_suspected_malicious', 'suspectedMalicious', flagOf(input.suspectedMalicious))
  }
  if (input.crossBorder !== undefined) {
    put('nis2_cross_border', 'crossBorder', flagOf(input.crossBorder))
  }
  if (input.timeZone !== undefined) {
    if (!isTimeZone(input.timeZone)) {
      throw badInput('nis2.timeZone', `${input.timeZone} is not a time zone this server knows (IANA name)`)
    }
    put('nis2_time_zone', 'timeZone', input.timeZone)
  }
  if (input.awareAt !== undefined) {
    put(
      'aware_at',
      'awareAt',
      input.awareAt === null ? null : pastInstant(input.awareAt, 'nis2.awareAt', now),
    )
  }
  if (input.rootCause !== undefined) {
    put('nis2_root_cause', 'rootCause', textOf(input.rootCause))
  }
  if (input.mitigationApplied !== undefined) {
    put('nis2_mitigation_applied', 'mitigationApplied', textOf(input.mitigationApplied))
  }
  if (input.mitigationOngoing !== undefined) {
    put('nis2_mitigation_ongoing', 'mitigationOngoing', textOf(input.mitigationOngoing))
  }
  for (const submission of SUBMISSIONS) {
    const value = input[submission.field]
    if (value === undefined) {
      continue
    }
    const field = `nis2.${submission.field}`
    const at = value === null ? null : pastInstant(value, field, now)
    const before = current[submission.column]
    if (before === at) {
      continue
    }
    if (before !== null || at === null) {
      throw conflict(
        field,
        `the ${submission.stage} was recorded as submitted at ${before ?? ''}; submissions are immutable`,
      )
    }
    change[submission.column] = at
    submitted.push({ stage: submission.stage, at })
  }
  if (input.intermediateReports !== undefined) {
    const requests: Nis2IntermediateRequest[] = intermediateRequestsOf(current)
    for (const [i, item] of input.intermediateReports.entries()) {
      const field = `nis2.intermediateReports.${i}`
      const index = requests.findIndex((r) => r.id === item.id)
      const request = requests[index]
      if (request === undefined) {
        throw badInput(`${field}.id`, `intermediate report request ${item.id} not found`)
      }
      const at = pastInstant(item.submittedAt, `${field}.submittedAt`, now)
      if (request.submittedAt === at) {
        continue
      }
      if (request.submittedAt !== null) {
        throw conflict(
          `${field}.submittedAt`,
          `the intermediate report was recorded as submitted at ${request.submittedAt}; submissions are immutable`,
        )
      }
      requests[index] = { ...request, submittedAt: at }
      submitted.push({ stage: 'intermediate', at, requestId: item.id })
    }
    if (submitted.some((s) => s.stage === 'intermediate')) {
      change.nis2_intermediate_requests = JSON.stringify(requests)
    }
  }
  if (submitted.length > 0) {
    const after = { ...current, ...change }
    if (after.nis2_significant !== 1 || after.aware_at === null) {
      throw conflict(
        'nis2',
        'submissions are recorded for a significant incident with its awareness time: set significant and awareAt',
      )
    }
  }
  return { change, changed, submitted }
}

/** NIS2 answers of reports combined: any "yes" wins, then any "no"; unknown without answers. */
function combinedAnswer(values: readonly (number | null)[]): number | null {
  if (values.includes(1)) {
    return 1
  }
  return values.includes(0) ? 0 : null
}

/** The facts a NIS2 submission is made of: the incident, its owner (the entity), its linked observables. */
async function nis2FactsOf(db: Db | Trx, row: IncidentRow): Promise<Nis2Facts> {
  const entity = await findOrganisationEntity(db, row.owner_org_id)
  const links = await findLinks(db, [row.id])
  return {
    reference: row.id,
    title: row.title,
    entity: { name: entity?.name ?? '', sector: entity?.sector ?? null },
    awareAt: row.aware_at ?? '',
    description: textOf(row.description),
    suspectedMalicious: row.nis2_suspected_malicious === null ? null : row.nis2_suspected_malicious === 1,
    crossBorder: row.nis2_cross_border === null ? null : row.nis2_cross_border === 1,
    severity: row.severity,
    impact: textOf(row.impact),
    // Sorted: the same incident makes the same document, whatever order the links were made in.
    indicators: links
      .filter((l) => l.kind === 'observable')
      .map((l) => l.ref)
      .sort(),
    rootCause: row.nis2_root_cause,
    mitigationApplied: row.nis2_mitigation_applied,
    mitigationOngoing: row.nis2_mitigation_ongoing,
    status: row.status,
  }
}

/**
 * Timeline details of recorded submissions: stage, time, due time and lateness, and the submission
 * as generated at that moment (what was known then, and what was missing), kept on the timeline.
 */
async function submissionDetails(
  db: Db | Trx,
  row: IncidentRow,
  submitted: Nis2Plan['submitted'],
  now: Date,
): Promise<Record<string, unknown>[]> {
  if (submitted.length === 0) {
    return []
  }
  const facts = await nis2FactsOf(db, row)
  const deadlines = nis2DeadlinesOf(row, now)
  const requests = intermediateRequestsOf(row)
  return submitted.map((s) => {
    const dueAt =
      s.requestId === undefined
        ? (deadlines.find((d) => d.stage === s.stage)?.dueAt ?? null)
        : (requests.find((r) => r.id === s.requestId)?.dueAt ?? null)
    return {
      stage: s.stage,
      submittedAt: s.at,
      ...(s.requestId === undefined ? {} : { requestId: s.requestId }),
      dueAt,
      late: dueAt !== null && s.at > dueAt,
      document: nis2Document(s.stage, facts, now),
    }
  })
}

/** Reports the caller may triage, none already in an incident other than `into`. */
async function triageableReports(
  db: Db,
  principal: UserPrincipal,
  reportIds: readonly string[],
  into: string | null,
): Promise<void> {
  for (const [i, reportId] of reportIds.entries()) {
    const report = await findVisibleReport(db, principal, reportId)
    if (report === undefined) {
      throw badInput(`reportIds.${i}`, `report ${reportId} not found`)
    }
    const current = await findIncidentOfReport(db, reportId)
    if (current !== undefined && current !== into) {
      throw conflict(`reportIds.${i}`, `report ${reportId} is already in incident ${current}`)
    }
    if (current !== undefined && current === into) {
      throw conflict(`reportIds.${i}`, `report ${reportId} is already in this incident`)
    }
  }
}

async function observableLinksOfReports(
  trx: Trx,
  incidentId: string,
  reportIds: readonly string[],
  userId: string,
  at: string,
): Promise<IncidentLinkRow[]> {
  const rows: IncidentLinkRow[] = (await findObservablesOfReports(trx, reportIds)).map((o) => ({
    id: randomUUID(),
    incident_id: incidentId,
    kind: 'observable',
    ref: o.key,
    observable_kind: o.kind,
    value: o.value,
    created_by: userId,
    created_at: at,
  }))
  return insertLinks(trx, rows)
}

async function attachReports(
  trx: Trx,
  principal: UserPrincipal,
  incidentId: string,
  reportIds: readonly string[],
  action: 'incident.reports_added' | 'incident.reports_moved',
  now: Date,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const at = now.toISOString()
  await putReportsInIncident(trx, incidentId, reportIds, principal.userId, at)
  await linkReportsToIncident(trx, reportIds, incidentId, at)
  const links = await observableLinksOfReports(trx, incidentId, reportIds, principal.userId, at)
  await event(trx, principal, incidentId, action, 'owner', { reportIds, ...extra }, now)
  if (links.length > 0) {
    await event(
      trx,
      principal,
      incidentId,
      'incident.linked',
      'shared',
      { links: links.map((l) => ({ kind: l.kind, ref: l.ref })) },
      now,
    )
  }
}

/**
 * Creates an incident owned by the caller's organisation; with `reportIds` it is made from those
 * reports (which must be visible to the caller and in no incident yet), and their observables are linked.
 */
export async function createIncident(
  db: Db,
  principal: UserPrincipal,
  input: CreateIncidentInput,
  now = new Date(),
): Promise<LabelledIncident> {
  const valid = validateInput(CreateIncidentBody, input)
  assertWriter(principal, 'creating incidents')
  const label =
    valid.label === undefined
      ? defaultIncidentLabel(principal.orgId)
      : await labelFromInput(db, principal, valid.label)
  checkClassification(valid.rsitClass ?? null, valid.rsitType ?? null)
  await checkAssignee(db, principal.orgId, valid.assigneeId ?? null, 'assigneeId')
  const reportIds = valid.reportIds ?? []
  await triageableReports(db, principal, reportIds, null)
  const at = now.toISOString()
  const severity = valid.severity ?? 'medium'
  const policy = await getSlaPolicy(db, principal.orgId)
  const answers = await findNis2AnswersOfReports(db, reportIds)
  const row: IncidentRow = {
    id: randomUUID(),
    title: valid.title.trim(),
    description: valid.description ?? '',
    status: 'new',
    severity,
    impact: valid.impact ?? '',
    rsit_class: valid.rsitClass ?? null,
    rsit_type: valid.rsitType ?? null,
    assignee_id: valid.assigneeId ?? null,
    label_id: '',
    owner_org_id: principal.orgId,
    acknowledged_at: null,
    resolved_at: null,
    closed_at: null,
    ...dueDates(policy, severity, at),
    nis2_significant: null,
    trust_service_provider: null,
    nis2_time_zone: NIS2_DEFAULT_TIME_ZONE,
    aware_at: null,
    early_warning_sent_at: null,
    notification_sent_at: null,
    progress_report_sent_at: null,
    final_report_sent_at: null,
    nis2_intermediate_requests: '[]',
    // Prefilled from the reporters' answers to the form's NIS2 questions; the input overrides them.
    nis2_suspected_malicious: combinedAnswer(answers.map((a) => a.nis2_suspected_malicious)),
    nis2_cross_border: combinedAnswer(answers.map((a) => a.nis2_cross_border)),
    nis2_root_cause: null,
    nis2_mitigation_applied: null,
    nis2_mitigation_ongoing: null,
    nis2_next_due_at: null,
    created_by: principal.userId,
    created_at: at,
    updated_at: at,
  }
  const prefilled = {
    suspectedMalicious: row.nis2_suspected_malicious === null ? null : row.nis2_suspected_malicious === 1,
    crossBorder: row.nis2_cross_border === null ? null : row.nis2_cross_border === 1,
  }
  const plan = planNis2(row, valid.nis2, now)
  Object.assign(row, plan.change)
  row.nis2_next_due_at = nis2NextDue(row)
  await db.transaction().execute(async (trx) => {
    row.label_id = await ensureLabel(trx, label, now)
    await insertIncident(trx, row)
    await event(
      trx,
      principal,
      row.id,
      'incident.created',
      'shared',
      {
        title: row.title,
        severity,
        rsitClass: row.rsit_class,
        rsitType: row.rsit_type,
        ...(reportIds.length > 0 ? { nis2FromReports: prefilled } : {}),
      },
      now,
    )
    if (reportIds.length > 0) {
      await attachReports(trx, principal, row.id, reportIds, 'incident.reports_added', now)
    }
    if (Object.keys(plan.changed).length > 0) {
      await event(trx, principal, row.id, 'incident.nis2_changed', 'shared', { changed: plan.changed }, now)
    }
    // Read inside the transaction: the documents list the observables the reports brought.
    for (const detail of await submissionDetails(trx, row, plan.submitted, now)) {
      await event(trx, principal, row.id, 'incident.nis2_submitted', 'shared', detail, now)
    }
  })
  return { row, label, owned: true, participants: [], reportIds }
}

/** The incidents the caller may see (owned, labelled for them, or shared with their organisation). */
export async function listIncidents(
  db: Db,
  principal: UserPrincipal,
  filter: IncidentFilter & { limit: number; offset: number },
): Promise<{ items: LabelledIncident[]; total: number }> {
  const { rows, total } = await findVisibleIncidents(db, principal, filter)
  return { items: await labelled(db, principal, rows), total }
}

/** How many incidents the caller may see. */
export async function countIncidents(
  db: Db,
  principal: UserPrincipal,
  filter: IncidentFilter,
): Promise<number> {
  return countVisibleIncidents(db, principal, filter)
}

async function visibleIncident(db: Db | Trx, principal: UserPrincipal, id: string): Promise<IncidentRow> {
  const row = await findVisibleIncident(db, principal, id)
  if (row === undefined) {
    throw notFound('incident', id)
  }
  return row
}

/** One incident the caller may see; 404 when it is missing or not visible (the two look the same). */
export async function getIncident(db: Db, principal: UserPrincipal, id: string): Promise<LabelledIncident> {
  const [incident] = await labelled(db, principal, [await visibleIncident(db, principal, id)])
  if (incident === undefined) {
    throw notFound('incident', id)
  }
  return incident
}

/**
 * Changes an incident (owner organisation's handlers): classification, severity (SLA deadlines
 * follow), impact, assignee, NIS2 fields, and status along {@link INCIDENT_TRANSITIONS}.
 */
export async function updateIncident(
  db: Db,
  principal: UserPrincipal,
  id: string,
  input: UpdateIncidentInput,
  now = new Date(),
): Promise<LabelledIncident> {
  const valid = validateInput(UpdateIncidentBody, input)
  const current = await visibleIncident(db, principal, id)
  assertOwner(principal, current, 'changing an incident')
  const at = now.toISOString()
  const plan = planNis2(current, valid.nis2, now)
  const change: Partial<IncidentRow> = { ...plan.change }
  const changed: Record<string, { from: unknown; to: unknown }> = {}
  const set = <K extends keyof IncidentRow>(key: K, name: string, value: IncidentRow[K]) => {
    if (current[key] !== value) {
      change[key] = value
      changed[name] = { from: current[key], to: value }
    }
  }
  if (valid.title !== undefined) {
    set('title', 'title', valid.title.trim())
  }
  if (valid.description !== undefined) {
    set('description', 'description', valid.description)
  }
  if (valid.impact !== undefined) {
    set('impact', 'impact', valid.impact)
  }
  if (valid.rsitClass !== undefined || valid.rsitType !== undefined) {
    const rsitClass = valid.rsitClass === undefined ? current.rsit_class : valid.rsitClass
    // A new class without a type clears the old type (it belonged to the old class).
    const rsitType =
      valid.rsitType === undefined
        ? valid.rsitClass === undefined
          ? current.rsit_type
          : null
        : valid.rsitType
    checkClassification(rsitClass, rsitType)
    set('rsit_class', 'rsitClass', rsitClass)
    set('rsit_type', 'rsitType', rsitType)
  }
  if (valid.assigneeId !== undefined) {
    await checkAssignee(db, current.owner_org_id, valid.assigneeId, 'assigneeId')
    set('assignee_id', 'assigneeId', valid.assigneeId)
  }
  if (valid.severity !== undefined && valid.severity !== current.severity) {
    const policy = await getSlaPolicy(db, current.owner_org_id)
    set('severity', 'severity', valid.severity)
    Object.assign(change, dueDates(policy, valid.severity, current.created_at))
  }
  let reopened = false
  const from = current.status as IncidentStatus
  if (valid.status !== undefined && valid.status !== from) {
    const to = valid.status
    if (!mayTransition(from, to)) {
      const allowed = INCIDENT_TRANSITIONS[from]
      throw new LiaisonError(
        409,
        'conflict',
        `status: an incident goes from ${from} to ${allowed.join(' or ')}, not to ${to}`,
        { field: 'status', from, to, allowed: [...allowed] },
      )
    }
    set('status', 'status', to)
    if (current.acknowledged_at === null) {
      change.acknowledged_at = at
    }
    if (to === 'resolved') {
      change.resolved_at = at
    }
    if (to === 'closed') {
      change.closed_at = at
    }
    reopened = isReopen(from, to)
    if (reopened) {
      change.resolved_at = null
      change.closed_at = null
    }
  }
  if (
    Object.keys(changed).length === 0 &&
    Object.keys(plan.changed).length === 0 &&
    plan.submitted.length === 0
  ) {
    return getIncident(db, principal, id)
  }
  change.updated_at = at
  const after: IncidentRow = { ...current, ...change }
  // The NIS2 clock follows facts, submissions and the status (an incident handled ends it).
  change.nis2_next_due_at = nis2NextDue(after)
  const submissions = await submissionDetails(db, after, plan.submitted, now)
  await db.transaction().execute(async (trx) => {
    await updateIncidentRow(trx, id, change)
    const { status, ...fields } = changed
    if (status !== undefined) {
      await event(
        trx,
        principal,
        id,
        reopened ? 'incident.reopened' : 'incident.status_changed',
        'shared',
        { from: status.from, to: status.to },
        now,
      )
    }
    if (Object.keys(fields).length > 0) {
      await event(trx, principal, id, 'incident.updated', 'shared', { changed: fields }, now)
    }
    if (Object.keys(plan.changed).length > 0) {
      await event(trx, principal, id, 'incident.nis2_changed', 'shared', { changed: plan.changed }, now)
    }
    for (const detail of submissions) {
      await event(trx, principal, id, 'incident.nis2_submitted', 'shared', detail, now)
    }
  })
  return getIncident(db, principal, id)
}

/** Adds reports to an incident (merge); reports already in another incident are refused (use split). */
export async function mergeReportsInto(
  db: Db,
  principal: UserPrincipal,
  incidentId: string,
  input: ReportIdsInput,
  now = new Date(),
): Promise<LabelledIncident> {
  const valid = validateInput(ReportIdsBody, input)
  const current = await visibleIncident(db, principal, incidentId)
  assertOwner(principal, current, 'merging reports')
  await triageableReports(db, principal, valid.reportIds, incidentId)
  // Unknown NIS2 facts are filled from the merged reports' answers; known ones stay as the handlers set them.
  const answers = await findNis2AnswersOfReports(db, valid.reportIds)
  const change: Partial<IncidentRow> = { updated_at: now.toISOString() }
  const changed: Record<string, { from: null; to: boolean }> = {}
  const suspected = combinedAnswer(answers.map((a) => a.nis2_suspected_malicious))
  if (current.nis2_suspected_malicious === null && suspected !== null) {
    change.nis2_suspected_malicious = suspected
    changed.suspectedMalicious = { from: null, to: suspected === 1 }
  }
  const crossBorder = combinedAnswer(answers.map((a) => a.nis2_cross_border))
  if (current.nis2_cross_border === null && crossBorder !== null) {
    change.nis2_cross_border = crossBorder
    changed.crossBorder = { from: null, to: crossBorder === 1 }
  }
  await db.transaction().execute(async (trx) => {
    await attachReports(trx, principal, incidentId, valid.reportIds, 'incident.reports_added', now)
    await updateIncidentRow(trx, incidentId, change)
    if (Object.keys(changed).length > 0) {
      await event(
        trx,
        principal,
        incidentId,
        'incident.nis2_changed',
        'shared',
        { changed, fromReports: valid.reportIds },
        now,
      )
    }
  })
  return getIncident(db, principal, incidentId)
}

/** Moves reports of an incident to a new incident (same label, severity and classification). */
export async function splitIncident(
  db: Db,
  principal: UserPrincipal,
  incidentId: string,
  input: ReportIdsInput,
  now = new Date(),
): Promise<LabelledIncident> {
  const valid = validateInput(ReportIdsBody, input)
  const source = await visibleIncident(db, principal, incidentId)
  assertOwner(principal, source, 'splitting an incident')
  const inSource = (await findIncidentReportIds(db, [incidentId])).get(incidentId) ?? []
  for (const [i, reportId] of valid.reportIds.entries()) {
    if (!inSource.includes(reportId)) {
      throw badInput(`reportIds.${i}`, `report ${reportId} is not in incident ${incidentId}`)
    }
  }
  const at = now.toISOString()
  const row: IncidentRow = {
    ...source,
    id: randomUUID(),
    title: valid.title?.trim() ?? `${source.title} (split)`,
    status: 'new',
    assignee_id: null,
    acknowledged_at: null,
    resolved_at: null,
    closed_at: null,
    ...dueDates(await getSlaPolicy(db, source.owner_org_id), source.severity as Severity, at),
    // The new incident keeps the facts and the awareness time; whether it is significant, and what
    // was submitted for it, are its own (the submissions were the source's).
    nis2_significant: null,
    early_warning_sent_at: null,
    notification_sent_at: null,
    progress_report_sent_at: null,
    final_report_sent_at: null,
    nis2_intermediate_requests: '[]',
    nis2_next_due_at: null,
    created_by: principal.userId,
    created_at: at,
    updated_at: at,
  }
  await db.transaction().execute(async (trx) => {
    await insertIncident(trx, row)
    await event(
      trx,
      principal,
      row.id,
      'incident.created',
      'shared',
      { title: row.title, severity: row.severity, splitFrom: incidentId },
      now,
    )
    await attachReports(trx, principal, row.id, valid.reportIds, 'incident.reports_moved', now, {
      from: incidentId,
    })
    await event(
      trx,
      principal,
      incidentId,
      'incident.split',
      'owner',
      { reportIds: valid.reportIds, to: row.id },
      now,
    )
    await updateIncidentRow(trx, incidentId, { updated_at: at })
  })
  return getIncident(db, principal, row.id)
}

/**
 * Shares an incident: its label (audience group or community, as every label) and the organisations
 * named as participants. A downgrade of the label needs a reason. Owner organisation only.
 */
export async function shareIncident(
  db: Db,
  principal: UserPrincipal,
  id: string,
  input: SharingInput,
  now = new Date(),
): Promise<LabelledIncident> {
  const valid = validateInput(SharingBody, input)
  const current = await visibleIncident(db, principal, id)
  assertOwner(principal, current, 'sharing an incident')
  const label = await labelFromInput(db, principal, valid.label)
  const participants = valid.participants.filter((orgId) => orgId !== current.owner_org_id)
  if (participants.length > 0) {
    const orgs = await db.selectFrom('organisations').select('id').where('id', 'in', participants).execute()
    const missing = participants.findIndex((orgId) => !orgs.some((o) => o.id === orgId))
    if (missing >= 0) {
      throw badInput(`participants.${missing}`, `organisation ${participants[missing] ?? ''} not found`)
    }
  }
  const [before] = await labelled(db, principal, [current])
  const at = now.toISOString()
  await db.transaction().execute(async (trx) => {
    const added = participants.filter((p) => !(before?.participants ?? []).includes(p))
    // Naming a new participant lets more people see the incident, like a label downgrade: it needs a reason.
    if (added.length > 0 && (valid.reason ?? '').trim() === '') {
      throw badInput('reason', 'naming new participants lets more people see the incident; give a reason')
    }
    if (before !== undefined) {
      await auditLabelChange(trx, principal, { type: 'incident', id }, before.label, label, valid.reason, now)
    }
    const labelId = await ensureLabel(trx, label, now)
    await updateIncidentRow(trx, id, { label_id: labelId, updated_at: at })
    await replaceParticipants(
      trx,
      id,
      participants.map((org_id) => ({ incident_id: id, org_id, added_by: principal.userId, added_at: at })),
    )
    await event(trx, principal, id, 'incident.shared', 'owner', { label, participants }, now)
  })
  return getIncident(db, principal, id)
}

/** The incident's tasks (its owner's work items); other organisations see none. */
export async function listTasks(
  db: Db,
  principal: UserPrincipal,
  incidentId: string,
): Promise<IncidentTaskRow[]> {
  const incident = await visibleIncident(db, principal, incidentId)
  if (incident.owner_org_id !== principal.orgId) {
    return []
  }
  return findTasks(db, incidentId)
}

/** Adds a task to an incident (owner organisation's handlers). */
export async function createTask(
  db: Db,
  principal: UserPrincipal,
  incidentId: string,
  input: CreateTaskInput,
  now = new Date(),
): Promise<IncidentTaskRow> {
  const valid = validateInput(CreateTaskBody, input)
  const incident = await visibleIncident(db, principal, incidentId)
  assertOwner(principal, incident, 'adding tasks')
  await checkAssignee(db, incident.owner_org_id, valid.assigneeId ?? null, 'assigneeId')
  const at = now.toISOString()
  const row: IncidentTaskRow = {
    id: randomUUID(),
    incident_id: incidentId,
    title: valid.title.trim(),
    due_at: valid.dueAt === undefined || valid.dueAt === null ? null : new Date(valid.dueAt).toISOString(),
    done_at: null,
    assignee_id: valid.assigneeId ?? null,
    created_by: principal.userId,
    created_at: at,
    updated_at: at,
  }
  await db.transaction().execute(async (trx) => {
    await insertTask(trx, row)
    await event(
      trx,
      principal,
      incidentId,
      'incident.task_added',
      'owner',
      { taskId: row.id, title: row.title, dueAt: row.due_at },
      now,
    )
  })
  return row
}

async function ownedTask(
  db: Db,
  principal: UserPrincipal,
  incidentId: string,
  taskId: string,
  what: string,
): Promise<IncidentTaskRow> {
  const incident = await visibleIncident(db, principal, incidentId)
  // Other organisations do not see tasks: for them a task is "not found", like a missing one.
  const task = incident.owner_org_id === principal.orgId ? await findTask(db, incidentId, taskId) : undefined
  if (task === undefined) {
    throw notFound('task', taskId)
  }
  assertOwner(principal, incident, what)
  return task
}

/** Changes a task: title, due date, assignee, done. */
export async function updateTask(
  db: Db,
  principal: UserPrincipal,
  incidentId: string,
  taskId: string,
  input: UpdateTaskInput,
  now = new Date(),
): Promise<IncidentTaskRow> {
  const valid = validateInput(UpdateTaskBody, input)
  const task = await ownedTask(db, principal, incidentId, taskId, 'changing tasks')
  const at = now.toISOString()
  const change: Partial<IncidentTaskRow> = { updated_at: at }
  if (valid.title !== undefined) {
    change.title = valid.title.trim()
  }
  if (valid.dueAt !== undefined) {
    change.due_at = valid.dueAt === null ? null : new Date(valid.dueAt).toISOString()
  }
  if (valid.assigneeId !== undefined) {
    const incident = await visibleIncident(db, principal, incidentId)
    await checkAssignee(db, incident.owner_org_id, valid.assigneeId, 'assigneeId')
    change.assignee_id = valid.assigneeId
  }
  if (valid.done !== undefined) {
    change.done_at = valid.done ? (task.done_at ?? at) : null
  }
  await db.transaction().execute(async (trx) => {
    await updateTaskRow(trx, taskId, change)
    await event(
      trx,
      principal,
      incidentId,
      valid.done === true && task.done_at === null ? 'incident.task_done' : 'incident.task_changed',
      'owner',
      { taskId, changed: Object.keys(valid) },
      now,
    )
  })
  return { ...task, ...change }
}

/** Deletes a task. */
export async function deleteTask(
  db: Db,
  principal: UserPrincipal,
  incidentId: string,
  taskId: string,
  now = new Date(),
): Promise<void> {
  const task = await ownedTask(db, principal, incidentId, taskId, 'deleting tasks')
  await db.transaction().execute(async (trx) => {
    await deleteTaskRow(trx, taskId)
    await event(
      trx,
      principal,
      incidentId,
      'incident.task_deleted',
      'owner',
      { taskId, title: task.title },
      now,
    )
  })
}

async function notesWithLabels(db: Db | Trx, rows: IncidentNoteRow[]): Promise<LabelledNote[]> {
  const labels = await findLabels(
    db,
    rows.map((r) => r.label_id),
  )
  return rows.map((row) => {
    const label = labels.get(row.label_id)
    if (label === undefined) {
      throw new Error(`note ${row.id} has no label ${row.label_id}`)
    }
    return { row, label }
  })
}

/** The notes of an incident the caller may see: those their label shows them, and the shared ones. */
export async function listNotes(
  db: Db,
  principal: UserPrincipal,
  incidentId: string,
): Promise<LabelledNote[]> {
  await visibleIncident(db, principal, incidentId)
  return notesWithLabels(db, await findVisibleNotes(db, principal, incidentId))
}

/**
 * Adds a note under its own label (owned by the author's organisation). The owner's handlers and
 * those of participant organisations write notes; a note with audience org stays private to its
 * organisation unless `shared`.
 */
export async function addNote(
  db: Db,
  principal: UserPrincipal,
  incidentId: string,
  input: CreateNoteInput,
  now = new Date(),
): Promise<LabelledNote> {
  const valid = validateInput(CreateNoteBody, input)
  await visibleIncident(db, principal, incidentId)
  assertWriter(principal, 'writing notes')
  const label = await labelFromInput(db, principal, valid.label)
  if (valid.shared === true && label.tlp === 'red') {
    // Sharing with everyone who sees the incident would pass over the named recipients.
    throw badInput(
      'shared',
      'a TLP:RED note is for its named recipients only; it cannot be shared with the incident',
    )
  }
  const row: IncidentNoteRow = {
    id: randomUUID(),
    incident_id: incidentId,
    body: valid.body,
    label_id: '',
    shared: valid.shared === true ? 1 : 0,
    author_user_id: principal.userId,
    author_org_id: principal.orgId,
    created_at: now.toISOString(),
  }
  await db.transaction().execute(async (trx) => {
    row.label_id = await ensureLabel(trx, label, now)
    await insertNote(trx, row)
    await event(
      trx,
      principal,
      incidentId,
      'incident.note_added',
      'note',
      { noteId: row.id, shared: row.shared === 1, tlp: label.tlp },
      now,
      row.id,
    )
  })
  return { row, label }
}

/** The timeline of an incident as the caller may see it. */
export async function listEvents(
  db: Db,
  principal: UserPrincipal,
  incidentId: string,
): Promise<IncidentEventRow[]> {
  const incident = await visibleIncident(db, principal, incidentId)
  return findVisibleEvents(db, principal, incident)
}

/** The observables and objects linked to an incident. */
export async function listLinks(
  db: Db,
  principal: UserPrincipal,
  incidentId: string,
): Promise<IncidentLinkRow[]> {
  await visibleIncident(db, principal, incidentId)
  return findLinks(db, [incidentId])
}

function observableOf(input: NonNullable<CreateLinkInput['observable']>): Observable {
  const observable =
    input.kind === undefined ? classifyValue(input.value) : normaliseObservable(input.kind, input.value)
  if (observable === null) {
    throw badInput(
      'observable.value',
      input.kind === undefined ? 'not a recognised observable' : `not a valid ${input.kind}`,
    )
  }
  return observable
}

/**
 * Links an observable (normalised as the intelligence index does, so equal values share a key) or
 * an intelligence object the caller may see.
 */
export async function linkToIncident(
  db: Db,
  principal: UserPrincipal,
  incidentId: string,
  input: CreateLinkInput,
  now = new Date(),
): Promise<IncidentLinkRow> {
  const valid = validateInput(CreateLinkBody, input)
  const incident = await visibleIncident(db, principal, incidentId)
  assertOwner(principal, incident, 'linking')
  const at = now.toISOString()
  let row: IncidentLinkRow
  if (valid.observable !== undefined) {
    const o = observableOf(valid.observable)
    row = {
      id: randomUUID(),
      incident_id: incidentId,
      kind: 'observable',
      ref: o.key,
      observable_kind: o.kind,
      value: o.value,
      created_by: principal.userId,
      created_at: at,
    }
  } else {
    const objectId = valid.objectId ?? ''
    const object = await findVisibleObject(db, principal, objectId)
    if (object === undefined) {
      throw badInput('objectId', `object ${objectId} not found`)
    }
    row = {
      id: randomUUID(),
      incident_id: incidentId,
      kind: 'object',
      ref: objectId,
      observable_kind: null,
      value: object.type,
      created_by: principal.userId,
      created_at: at,
    }
  }
  const existing = (await findLinks(db, [incidentId])).find((l) => l.kind === row.kind && l.ref === row.ref)
  if (existing !== undefined) {
    return existing
  }
  await db.transaction().execute(async (trx) => {
    await insertLinks(trx, [row])
    await event(
      trx,
      principal,
      incidentId,
      'incident.linked',
      'shared',
      { links: [{ kind: row.kind, ref: row.ref }] },
      now,
    )
  })
  return row
}

/** Removes a link. */
export async function unlinkFromIncident(
  db: Db,
  principal: UserPrincipal,
  incidentId: string,
  linkId: string,
  now = new Date(),
): Promise<void> {
  const incident = await visibleIncident(db, principal, incidentId)
  assertOwner(principal, incident, 'unlinking')
  await db.transaction().execute(async (trx) => {
    const row = await deleteLinkRow(trx, incidentId, linkId)
    if (row === undefined) {
      throw notFound('link', linkId)
    }
    await event(
      trx,
      principal,
      incidentId,
      'incident.unlinked',
      'shared',
      { kind: row.kind, ref: row.ref },
      now,
    )
  })
}

/** A possible duplicate of a report, and why. */
export interface DuplicateHint {
  readonly reportId: string
  readonly trackingId: string
  readonly incidentId: string | null
  readonly reasons: ('observable' | 'reporter')[]
  readonly sharedObservables: string[]
}

/** At most this many hints per report: the strongest first. */
const MAX_HINTS = 100
/** Observable keys (and reports) looked up per statement for duplicate hints. */
const HINT_KEY_CHUNK = 500

/**
 * Reports that may be about the same incident as `reportId`: they share an observable (by key) or
 * come from the same reporter address. Only reports the caller may see, and the incident of each
 * only when the caller may see that too. Readers of reports (admins, handlers, coordinators, viewers).
 */
export async function duplicateHints(
  db: Db,
  principal: UserPrincipal,
  reportId: string,
): Promise<DuplicateHint[]> {
  if (!REPORT_READ_ROLES.includes(principal.role)) {
    throw forbidden(`duplicate hints are for ${REPORT_READ_ROLES.join(', ')}, who read reports`)
  }
  const report = await findVisibleReport(db, principal, reportId)
  if (report === undefined) {
    throw notFound('report', reportId)
  }
  const keys = (await findReportObservables(db, reportId)).map((o) => o.key)
  const visible = visibleLabelIds(db, principal)
  // By chunks of keys: a report gathers the observables of all its messages, more than the bound
  // parameters either store takes in one statement.
  const byObservable: { id: string; key: string }[] = []
  for (let start = 0; start < keys.length; start += HINT_KEY_CHUNK) {
    byObservable.push(
      ...(await db
        .selectFrom('report_observables as o')
        .innerJoin('reports as r', 'r.id', 'o.report_id')
        .select(['r.id', 'o.key'])
        .where('o.key', 'in', keys.slice(start, start + HINT_KEY_CHUNK))
        .where('r.id', '!=', reportId)
        .where('r.label_id', 'in', visible)
        .execute()),
    )
  }
  const email = report.reporter_email.trim().toLowerCase()
  const byReporter =
    email === ''
      ? []
      : await db
          .selectFrom('reports')
          .select('id')
          .where('id', '!=', reportId)
          .where('label_id', 'in', visible)
          .where((eb) => eb(eb.fn('lower', ['reporter_email']), '=', email))
          .orderBy('created_at', 'desc')
          .limit(MAX_HINTS)
          .execute()
  const shared = new Map<string, Set<string>>()
  for (const row of byObservable) {
    shared.set(row.id, (shared.get(row.id) ?? new Set()).add(row.key))
  }
  const sameReporter = new Set(byReporter.map((r) => r.id))
  const ids = [...new Set([...shared.keys(), ...sameReporter])]
  if (ids.length === 0) {
    return []
  }
  const others: { id: string; tracking_id: string; incident_id: string | null }[] = []
  for (let start = 0; start < ids.length; start += HINT_KEY_CHUNK) {
    others.push(
      ...(await db
        .selectFrom('reports')
        .select(['id', 'tracking_id', 'incident_id'])
        .where('id', 'in', ids.slice(start, start + HINT_KEY_CHUNK))
        .execute()),
    )
  }
  const incidentIds = [...new Set(others.flatMap((o) => (o.incident_id === null ? [] : [o.incident_id])))]
  const seenIncidents = new Set<string>()
  for (const incidentId of incidentIds) {
    if ((await findVisibleIncident(db, principal, incidentId)) !== undefined) {
      seenIncidents.add(incidentId)
    }
  }
  const hints: DuplicateHint[] = others.map((other) => {
    const sharedKeys = [...(shared.get(other.id) ?? [])].sort()
    const reasons: ('observable' | 'reporter')[] = []
    if (sharedKeys.length > 0) {
      reasons.push('observable')
    }
    if (sameReporter.has(other.id)) {
      reasons.push('reporter')
    }
    return {
      reportId: other.id,
      trackingId: other.tracking_id,
      incidentId:
        other.incident_id !== null && seenIncidents.has(other.incident_id) ? other.incident_id : null,
      reasons,
      sharedObservables: sharedKeys,
    }
  })
  return hints
    .sort(
      (a, b) =>
        b.sharedObservables.length - a.sharedObservables.length ||
        b.reasons.length - a.reasons.length ||
        a.reportId.localeCompare(b.reportId),
    )
    .slice(0, MAX_HINTS)
}

/** Every incident the caller may see (for the export), in pages of 500. */
export async function* visibleIncidentPages(
  db: Db,
  principal: UserPrincipal,
  filter: IncidentFilter,
): AsyncGenerator<LabelledIncident[]> {
  for (let offset = 0; ; offset += 500) {
    const { rows } = await findVisibleIncidents(db, principal, { ...filter, limit: 500, offset })
    if (rows.length === 0) {
      return
    }
    yield await labelled(db, principal, rows)
    if (rows.length < 500) {
      return
    }
  }
}

/** The incidents the caller may see with a NIS2 deadline past due at `now`, longest overdue first. */
export async function listNis2Overdue(
  db: Db,
  principal: UserPrincipal,
  page: { limit: number; offset: number },
  now: Date,
): Promise<{ items: LabelledIncident[]; total: number }> {
  const { rows, total } = await findVisibleIncidents(db, principal, {
    nis2OverdueAt: now.toISOString(),
    order: 'nis2Due',
    ...page,
  })
  return { items: await labelled(db, principal, rows), total }
}

function assertNis2Clock(row: IncidentRow): void {
  if (row.nis2_significant !== 1 || row.aware_at === null) {
    throw conflict(
      'nis2',
      'NIS2 reporting applies to an incident marked significant with its awareness time: set nis2.significant and nis2.awareAt first',
    )
  }
}

/**
 * Records that the CSIRT or competent authority asked for an intermediate report (Art. 23(4)(c)),
 * due at `dueAt`; it joins the incident's NIS2 deadlines. Owner organisation's handlers.
 */
export async function requestIntermediateReport(
  db: Db,
  principal: UserPrincipal,
  incidentId: string,
  input: IntermediateRequestInput,
  now = new Date(),
): Promise<LabelledIncident> {
  const valid = validateInput(IntermediateRequestBody, input)
  const current = await visibleIncident(db, principal, incidentId)
  assertOwner(principal, current, 'recording NIS2 requests')
  assertNis2Clock(current)
  const requestedAt =
    valid.requestedAt === undefined ? now.toISOString() : pastInstant(valid.requestedAt, 'requestedAt', now)
  const dueAt = new Date(valid.dueAt).toISOString()
  if (dueAt <= requestedAt) {
    throw badInput('dueAt', 'must be after requestedAt')
  }
  const requests = intermediateRequestsOf(current)
  if (requests.length >= 100) {
    throw conflict('dueAt', 'the incident has 100 intermediate report requests already')
  }
  const request: Nis2IntermediateRequest = {
    id: randomUUID(),
    requestedAt,
    dueAt,
    submittedAt: null,
    note: valid.note?.trim() ?? null,
    recordedBy: principal.userId,
  }
  const change: Partial<IncidentRow> = {
    nis2_intermediate_requests: JSON.stringify([...requests, request]),
    updated_at: now.toISOString(),
  }
  change.nis2_next_due_at = nis2NextDue({ ...current, ...change })
  await db.transaction().execute(async (trx) => {
    await updateIncidentRow(trx, incidentId, change)
    await event(
      trx,
      principal,
      incidentId,
      'incident.nis2_intermediate_requested',
      'shared',
      { requestId: request.id, requestedAt, dueAt, note: request.note },
      now,
    )
  })
  return getIncident(db, principal, incidentId)
}

/** A NIS2 submission generated from an incident, with the TLP of the incident to head it. */
export interface LabelledNis2Document {
  readonly document: Nis2Document
  readonly tlp: Tlp
}

/**
 * The NIS2 submission of `stage` generated from the incident as it stands (the fields Article 23
 * asks for, indicators from its linked observables, and what is still missing). Whoever may see the
 * incident may read it: it holds nothing the incident, its NIS2 fields and links do not show them.
 */
export async function getNis2Document(
  db: Db,
  principal: UserPrincipal,
  incidentId: string,
  stage: Nis2Stage,
  now = new Date(),
): Promise<LabelledNis2Document> {
  const row = await visibleIncident(db, principal, incidentId)
  assertNis2Clock(row)
  const [incident] = await labelled(db, principal, [row])
  if (incident === undefined) {
    throw notFound('incident', incidentId)
  }
  return { document: nis2Document(stage, await nis2FactsOf(db, row), now), tlp: incident.label.tlp }
}

/**
 * Notifies the owners of the incident's observables (those linked to it and those of its reports)
 * through the constituency register: one mail per owner naming only its own values
 * (`notifyOwners`), recorded with the incident's id; the run goes on the timeline as
 * `incident.notified` with what each owner was told. Handlers, admins and coordinators of the
 * owner organisation, which must be the instance's own (the register is its working data).
 */
export async function notifyIncidentOwners(
  db: Db,
  principal: UserPrincipal,
  incidentId: string,
  input: IncidentNotifyInput,
  context: NotifyContext,
): Promise<NotifyResult> {
  const valid = validateInput(IncidentNotifyBody, input)
  const incident = await visibleIncident(db, principal, incidentId)
  assertOwner(principal, incident, 'notifying owners')
  const reportIds = (await findIncidentReportIds(db, [incidentId])).get(incidentId) ?? []
  const links = await findLinks(db, [incidentId])
  const fromReports = await findObservablesOfReports(db, reportIds)
  const values = [
    ...new Set([
      ...links.filter((l) => l.kind === 'observable').map((l) => l.value),
      ...fromReports.map((o) => o.value),
    ]),
  ]
  if (values.length === 0) {
    throw conflict(
      'observables',
      'the incident and its reports have no observables: there is nobody to notify',
    )
  }
  if (values.length > 10_000) {
    throw conflict(
      'observables',
      `the incident has ${values.length} observables; at most 10000 are notified at once`,
    )
  }
  const rsitClass =
    valid.rsitClass ??
    (incident.rsit_class === null
      ? undefined
      : incident.rsit_type === null
        ? incident.rsit_class
        : `${incident.rsit_class}/${incident.rsit_type}`)
  const result = await notifyOwners(
    db,
    principal,
    { ...valid, ...(rsitClass === undefined ? {} : { rsitClass }), observables: values, incidentId },
    context,
  )
  const owners = result.notifications.map((n: NotificationRow) => ({
    notificationId: n.id,
    constituentId: n.constituent_id,
    constituent: n.constituent_name,
    observables: (JSON.parse(n.observables) as unknown[]).length,
    status: n.status,
  }))
  const now = context.now()
  await db.transaction().execute(async (trx) => {
    await event(
      trx,
      principal,
      incidentId,
      'incident.notified',
      'owner',
      {
        owners,
        sent: owners.filter((o) => o.status === 'sent').length,
        failed: owners.filter((o) => o.status === 'failed').length,
        unmatched: result.unmatched.length,
        ignored: result.ignored.length,
      },
      now,
    )
    await updateIncidentRow(trx, incidentId, { updated_at: now.toISOString() })
  })
  return result
}

/**
 * What was sent to owners for an incident, newest first. Readers of the owner organisation (admins,
 * handlers, coordinators, viewers); other organisations that see the incident get an empty list.
 */
export async function listIncidentNotifications(
  db: Db,
  principal: UserPrincipal,
  incidentId: string,
  page: { limit: number; offset: number },
): Promise<{ rows: NotificationRow[]; total: number }> {
  const incident = await visibleIncident(db, principal, incidentId)
  if (incident.owner_org_id !== principal.orgId) {
    return { rows: [], total: 0 }
  }
  if (!CONSTITUENCY_READ_ROLES.includes(principal.role)) {
    throw forbidden(`notifications are read by ${CONSTITUENCY_READ_ROLES.join(', ')}`)
  }
  return listNotificationsForIncident(db, incidentId, page)
}
