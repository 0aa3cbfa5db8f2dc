import { randomUUID } from 'node:crypto'
import type { UserPrincipal } from '../../../core/account/principal.js'
import type { Role } from '../../../core/account/account.schema.js'
import {
  CreateIncidentBody,
  CreateLinkBody,
  CreateNoteBody,
  CreateTaskBody,
  ReportIdsBody,
  SharingBody,
  SlaSettingsSchema,
  UpdateIncidentBody,
  UpdateTaskBody,
  type CreateIncidentInput,
  type CreateLinkInput,
  type CreateNoteInput,
  type CreateTaskInput,
  type ReportIdsInput,
  type SharingInput,
  type SlaSettingsInput,
  type UpdateIncidentInput,
  type UpdateTaskInput,
} from '../../../core/incident/incident.schema.js'
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
import type { SharingLabel } from '../../../core/trust/label.js'
import { badInput, conflict, forbidden, LiaisonError, notFound } from '../../errors.js'
import type { Db, Trx } from '../../store/store.js'
import { validateInput } from '../../validation.js'
import { recordAudit } from '../audit/audit.service.js'
import { findVisibleObject } from '../intel/intel.query.js'
import { findReportObservables, findVisibleReport, updateReportRow } from '../report/report.repository.js'
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
  findObservablesOfReports,
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
import type {
  IncidentEventRow,
  IncidentLinkRow,
  IncidentNoteRow,
  IncidentRow,
  IncidentTaskRow,
} from './incident.table.js'

/** Roles that triage and work incidents (of their own organisation) and write notes. */
export const INCIDENT_WRITE_ROLES: readonly Role[] = ['admin', 'handler', 'coordinator']

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

function nis2Change(nis2: UpdateIncidentInput['nis2']): Partial<IncidentRow> {
  const change: Partial<IncidentRow> = {}
  if (nis2 === undefined) {
    return change
  }
  const flag = (v: boolean | null) => (v === null ? null : v ? 1 : 0)
  if (nis2.significant !== undefined) {
    change.nis2_significant = flag(nis2.significant)
  }
  if (nis2.trustServiceProvider !== undefined) {
    change.trust_service_provider = flag(nis2.trustServiceProvider)
  }
  const instant = (v: string | null) => (v === null ? null : new Date(v).toISOString())
  if (nis2.awareAt !== undefined) {
    change.aware_at = instant(nis2.awareAt)
  }
  if (nis2.earlyWarningSentAt !== undefined) {
    change.early_warning_sent_at = instant(nis2.earlyWarningSentAt)
  }
  if (nis2.notificationSentAt !== undefined) {
    change.notification_sent_at = instant(nis2.notificationSentAt)
  }
  if (nis2.finalReportSentAt !== undefined) {
    change.final_report_sent_at = instant(nis2.finalReportSentAt)
  }
  return change
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
  for (const reportId of reportIds) {
    await updateReportRow(trx, reportId, { incident_id: incidentId, updated_at: at })
  }
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
    aware_at: null,
    early_warning_sent_at: null,
    notification_sent_at: null,
    final_report_sent_at: null,
    ...nis2Change(valid.nis2),
    created_by: principal.userId,
    created_at: at,
    updated_at: at,
  }
  await db.transaction().execute(async (trx) => {
    row.label_id = await ensureLabel(trx, label, now)
    await insertIncident(trx, row)
    await event(
      trx,
      principal,
      row.id,
      'incident.created',
      'shared',
      { title: row.title, severity, rsitClass: row.rsit_class, rsitType: row.rsit_type },
      now,
    )
    if (reportIds.length > 0) {
      await attachReports(trx, principal, row.id, reportIds, 'incident.reports_added', now)
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
  const change: Partial<IncidentRow> = { ...nis2Change(valid.nis2) }
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
  const nis2Changed = valid.nis2 === undefined ? [] : Object.keys(valid.nis2)
  if (Object.keys(changed).length === 0 && nis2Changed.length === 0) {
    return getIncident(db, principal, id)
  }
  change.updated_at = at
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
    if (Object.keys(fields).length > 0 || nis2Changed.length > 0) {
      await event(
        trx,
        principal,
        id,
        'incident.updated',
        'shared',
        { changed: fields, ...(nis2Changed.length > 0 ? { nis2: valid.nis2 } : {}) },
        now,
      )
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
  await db.transaction().execute(async (trx) => {
    await attachReports(trx, principal, incidentId, valid.reportIds, 'incident.reports_added', now)
    await updateIncidentRow(trx, incidentId, { updated_at: now.toISOString() })
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

/**
 * Reports that may be about the same incident as `reportId`: they share an observable (by key) or
 * come from the same reporter address. Only reports the caller may see.
 */
export async function duplicateHints(
  db: Db,
  principal: UserPrincipal,
  reportId: string,
): Promise<DuplicateHint[]> {
  assertWriter(principal, 'triage')
  const report = await findVisibleReport(db, principal, reportId)
  if (report === undefined) {
    throw notFound('report', reportId)
  }
  const keys = (await findReportObservables(db, reportId)).map((o) => o.key)
  const byObservable =
    keys.length === 0
      ? []
      : await db
          .selectFrom('report_observables as o')
          .innerJoin('reports as r', 'r.id', 'o.report_id')
          .select(['r.id', 'o.key'])
          .where('o.key', 'in', keys)
          .where('r.id', '!=', reportId)
          .execute()
  const email = report.reporter_email.trim().toLowerCase()
  const byReporter = await db
    .selectFrom('reports')
    .select('id')
    .where('id', '!=', reportId)
    .where((eb) => eb(eb.fn('lower', ['reporter_email']), '=', email))
    .execute()
  const ids = [...new Set([...byObservable.map((r) => r.id), ...byReporter.map((r) => r.id)])]
  const hints: DuplicateHint[] = []
  for (const id of ids) {
    const other = await findVisibleReport(db, principal, id)
    if (other === undefined) {
      continue
    }
    const shared = [...new Set(byObservable.filter((r) => r.id === id).map((r) => r.key))].sort()
    const reasons: ('observable' | 'reporter')[] = []
    if (shared.length > 0) {
      reasons.push('observable')
    }
    if (byReporter.some((r) => r.id === id)) {
      reasons.push('reporter')
    }
    hints.push({
      reportId: id,
      trackingId: other.tracking_id,
      incidentId: (await findIncidentOfReport(db, id)) ?? null,
      reasons,
      sharedObservables: shared,
    })
  }
  return hints.sort(
    (a, b) => b.sharedObservables.length - a.sharedObservables.length || a.reportId.localeCompare(b.reportId),
  )
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
