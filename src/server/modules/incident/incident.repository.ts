import type { ExpressionBuilder } from 'kysely'
import type { UserPrincipal } from '../../../core/account/principal.js'
import type { Database } from '../../store/database.js'
import type { Db, Trx } from '../../store/store.js'
import { visibleLabelIds } from '../trust/trust.sql.js'
import type {
  IncidentEventRow,
  IncidentLinkRow,
  IncidentNoteRow,
  IncidentParticipantRow,
  IncidentRow,
  IncidentTaskRow,
} from './incident.table.js'

/** Filters of the incident list. */
export interface IncidentFilter {
  status?: string
  rsitClass?: string
  severity?: string
  assigneeId?: string
  /** Only incidents with an SLA timer past due at this instant (ISO 8601). */
  overdueAt?: string
  /** Only incidents with a NIS2 deadline past due at this instant (ISO 8601). */
  nis2OverdueAt?: string
}

/**
 * The incident visibility rule: its label is visible to the viewer (the one trust rule), or the
 * viewer's organisation is a named participant.
 */
function incidentVisible(db: Db | Trx, viewer: UserPrincipal) {
  return (eb: ExpressionBuilder<Database, 'incidents'>) =>
    eb.or([
      eb('incidents.label_id', 'in', visibleLabelIds(db, viewer)),
      eb.exists(
        eb
          .selectFrom('incident_participants as p')
          .select('p.incident_id')
          .whereRef('p.incident_id', '=', 'incidents.id')
          .where('p.org_id', '=', viewer.orgId),
      ),
    ])
}

function visibleIncidents(db: Db, viewer: UserPrincipal, filter: IncidentFilter) {
  let query = db.selectFrom('incidents').where(incidentVisible(db, viewer))
  if (filter.status !== undefined) {
    query = query.where('incidents.status', '=', filter.status)
  }
  if (filter.rsitClass !== undefined) {
    query = query.where('incidents.rsit_class', '=', filter.rsitClass)
  }
  if (filter.severity !== undefined) {
    query = query.where('incidents.severity', '=', filter.severity)
  }
  if (filter.assigneeId !== undefined) {
    query = query.where('incidents.assignee_id', '=', filter.assigneeId)
  }
  const at = filter.overdueAt
  if (at !== undefined) {
    query = query.where((eb) =>
      eb.or([
        eb.and([eb('incidents.acknowledged_at', 'is', null), eb('incidents.acknowledge_due_at', '<', at)]),
        eb.and([
          eb('incidents.resolved_at', 'is', null),
          eb('incidents.closed_at', 'is', null),
          eb('incidents.resolve_due_at', '<', at),
        ]),
      ]),
    )
  }
  const nis2At = filter.nis2OverdueAt
  if (nis2At !== undefined) {
    // nis2_next_due_at is null unless a deadline is pending (see nis2NextDue).
    query = query.where('incidents.nis2_next_due_at', '<', nis2At)
  }
  return query
}

/**
 * One page of the incidents `viewer` may see, with the total: most recently changed first, or
 * (`order: 'nis2Due'`) the longest overdue NIS2 deadline first.
 */
export async function findVisibleIncidents(
  db: Db,
  viewer: UserPrincipal,
  filter: IncidentFilter & { limit: number; offset: number; order?: 'updated' | 'nis2Due' },
): Promise<{ rows: IncidentRow[]; total: number }> {
  const base = visibleIncidents(db, viewer, filter).selectAll()
  const ordered =
    filter.order === 'nis2Due'
      ? base.orderBy('nis2_next_due_at').orderBy('id')
      : base.orderBy('updated_at', 'desc').orderBy('id')
  const [rows, total] = await Promise.all([
    ordered.limit(filter.limit).offset(filter.offset).execute(),
    countVisibleIncidents(db, viewer, filter),
  ])
  return { rows, total }
}

/** How many incidents `viewer` may see. */
export async function countVisibleIncidents(
  db: Db,
  viewer: UserPrincipal,
  filter: IncidentFilter,
): Promise<number> {
  const row = await visibleIncidents(db, viewer, filter)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** One incident if `viewer` may see it. */
export async function findVisibleIncident(
  db: Db | Trx,
  viewer: UserPrincipal,
  id: string,
): Promise<IncidentRow | undefined> {
  return db
    .selectFrom('incidents')
    .selectAll()
    .where('id', '=', id)
    .where(incidentVisible(db, viewer))
    .executeTakeFirst()
}

/** Inserts an incident. */
export async function insertIncident(trx: Trx, row: IncidentRow): Promise<void> {
  await trx.insertInto('incidents').values(row).execute()
}

/** Changes an incident. */
export async function updateIncidentRow(trx: Trx, id: string, change: Partial<IncidentRow>): Promise<void> {
  await trx.updateTable('incidents').set(change).where('id', '=', id).execute()
}

/** The report ids of each incident. */
export async function findIncidentReportIds(
  db: Db | Trx,
  incidentIds: readonly string[],
): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>()
  if (incidentIds.length === 0) {
    return result
  }
  const rows = await db
    .selectFrom('incident_reports')
    .select(['incident_id', 'report_id'])
    .where('incident_id', 'in', incidentIds)
    .orderBy('added_at')
    .orderBy('report_id')
    .execute()
  for (const row of rows) {
    result.set(row.incident_id, [...(result.get(row.incident_id) ?? []), row.report_id])
  }
  return result
}

/** The incident a report is in, if any. */
export async function findIncidentOfReport(db: Db | Trx, reportId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('incident_reports')
    .select('incident_id')
    .where('report_id', '=', reportId)
    .executeTakeFirst()
  return row?.incident_id
}

/** Puts reports into an incident (moving them when they were in another). */
export async function putReportsInIncident(
  trx: Trx,
  incidentId: string,
  reportIds: readonly string[],
  addedBy: string,
  at: string,
): Promise<void> {
  if (reportIds.length === 0) {
    return
  }
  await trx.deleteFrom('incident_reports').where('report_id', 'in', reportIds).execute()
  await trx
    .insertInto('incident_reports')
    .values(
      reportIds.map((report_id) => ({ report_id, incident_id: incidentId, added_by: addedBy, added_at: at })),
    )
    .execute()
}

/** The participants of each incident. */
export async function findParticipants(
  db: Db | Trx,
  incidentIds: readonly string[],
): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>()
  if (incidentIds.length === 0) {
    return result
  }
  const rows = await db
    .selectFrom('incident_participants')
    .select(['incident_id', 'org_id'])
    .where('incident_id', 'in', incidentIds)
    .orderBy('org_id')
    .execute()
  for (const row of rows) {
    result.set(row.incident_id, [...(result.get(row.incident_id) ?? []), row.org_id])
  }
  return result
}

/** Replaces an incident's participants. */
export async function replaceParticipants(
  trx: Trx,
  incidentId: string,
  rows: readonly IncidentParticipantRow[],
): Promise<void> {
  await trx.deleteFrom('incident_participants').where('incident_id', '=', incidentId).execute()
  if (rows.length > 0) {
    await trx
      .insertInto('incident_participants')
      .values([...rows])
      .execute()
  }
}

/** An incident's tasks, by due date (those without one last). */
export async function findTasks(db: Db, incidentId: string): Promise<IncidentTaskRow[]> {
  const rows = await db
    .selectFrom('incident_tasks')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  return rows.sort((a, b) => (a.due_at ?? '\uffff').localeCompare(b.due_at ?? '\uffff'))
}

/** One task of an incident. */
export async function findTask(
  db: Db | Trx,
  incidentId: string,
  taskId: string,
): Promise<IncidentTaskRow | undefined> {
  return db
    .selectFrom('incident_tasks')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .where('id', '=', taskId)
    .executeTakeFirst()
}

/** Inserts a task. */
export async function insertTask(trx: Trx, row: IncidentTaskRow): Promise<void> {
  await trx.insertInto('incident_tasks').values(row).execute()
}

/** Changes a task. */
export async function updateTaskRow(trx: Trx, id: string, change: Partial<IncidentTaskRow>): Promise<void> {
  await trx.updateTable('incident_tasks').set(change).where('id', '=', id).execute()
}

/** Deletes a task. */
export async function deleteTaskRow(trx: Trx, id: string): Promise<void> {
  await trx.deleteFrom('incident_tasks').where('id', '=', id).execute()
}

/** Ids of the notes of an incident `viewer` may see: labelled for them, or shared with the incident. */
function visibleNoteIds(db: Db | Trx, viewer: UserPrincipal, incidentId: string) {
  return db
    .selectFrom('incident_notes')
    .select('incident_notes.id')
    .where('incident_notes.incident_id', '=', incidentId)
    .where((eb) =>
      eb.or([
        eb('incident_notes.shared', '=', 1),
        eb('incident_notes.label_id', 'in', visibleLabelIds(db, viewer)),
      ]),
    )
}

/** The notes of an incident `viewer` may see, oldest first (the caller checked the incident). */
export async function findVisibleNotes(
  db: Db,
  viewer: UserPrincipal,
  incidentId: string,
): Promise<IncidentNoteRow[]> {
  return db
    .selectFrom('incident_notes')
    .selectAll()
    .where('id', 'in', visibleNoteIds(db, viewer, incidentId))
    .orderBy('created_at')
    .orderBy('id')
    .execute()
}

/** Inserts a note. */
export async function insertNote(trx: Trx, row: IncidentNoteRow): Promise<void> {
  await trx.insertInto('incident_notes').values(row).execute()
}

/** Appends a timeline entry at the next position. */
export async function appendEvent(trx: Trx, row: Omit<IncidentEventRow, 'position'>): Promise<void> {
  // A no-op update takes the incident's row lock (PostgreSQL; SQLite has one writer anyway), so two
  // concurrent writers cannot both read the same last position.
  await trx
    .updateTable('incidents')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('id', '=', row.incident_id)
    .execute()
  const last = await trx
    .selectFrom('incident_events')
    .select((eb) => eb.fn.max('position').as('p'))
    .where('incident_id', '=', row.incident_id)
    .executeTakeFirst()
  await trx
    .insertInto('incident_events')
    .values({ ...row, position: Number(last?.p ?? 0) + 1 })
    .execute()
}

/**
 * The timeline of an incident as `viewer` may see it: shared entries, the owner's entries when the
 * viewer's organisation owns it, and note entries of visible notes.
 */
export async function findVisibleEvents(
  db: Db,
  viewer: UserPrincipal,
  incident: IncidentRow,
): Promise<IncidentEventRow[]> {
  const owner = incident.owner_org_id === viewer.orgId
  return db
    .selectFrom('incident_events')
    .selectAll()
    .where('incident_id', '=', incident.id)
    .where((eb) =>
      eb.or([
        eb('scope', '=', 'shared'),
        ...(owner ? [eb('scope', '=', 'owner')] : []),
        eb.and([eb('scope', '=', 'note'), eb('note_id', 'in', visibleNoteIds(db, viewer, incident.id))]),
      ]),
    )
    .orderBy('position')
    .execute()
}

/** An incident's links, oldest first. */
export async function findLinks(db: Db | Trx, incidentIds: readonly string[]): Promise<IncidentLinkRow[]> {
  if (incidentIds.length === 0) {
    return []
  }
  return db
    .selectFrom('incident_links')
    .selectAll()
    .where('incident_id', 'in', incidentIds)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
}

/** Inserts links, leaving out those already there. */
export async function insertLinks(trx: Trx, rows: readonly IncidentLinkRow[]): Promise<IncidentLinkRow[]> {
  const inserted: IncidentLinkRow[] = []
  for (const row of rows) {
    const existing = await trx
      .selectFrom('incident_links')
      .select('id')
      .where('incident_id', '=', row.incident_id)
      .where('kind', '=', row.kind)
      .where('ref', '=', row.ref)
      .executeTakeFirst()
    if (existing === undefined) {
      await trx.insertInto('incident_links').values(row).execute()
      inserted.push(row)
    }
  }
  return inserted
}

/** Deletes a link of an incident; false when there was none. */
export async function deleteLinkRow(
  trx: Trx,
  incidentId: string,
  linkId: string,
): Promise<IncidentLinkRow | undefined> {
  const row = await trx
    .selectFrom('incident_links')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .where('id', '=', linkId)
    .executeTakeFirst()
  if (row !== undefined) {
    await trx.deleteFrom('incident_links').where('id', '=', linkId).execute()
  }
  return row
}

/** An organisation's SLA rows. */
export async function findSlaSettings(
  db: Db | Trx,
  orgId: string,
): Promise<{ severity: string; acknowledge_minutes: number; resolve_minutes: number }[]> {
  return db
    .selectFrom('incident_sla_settings')
    .select(['severity', 'acknowledge_minutes', 'resolve_minutes'])
    .where('org_id', '=', orgId)
    .execute()
}

/** Replaces an organisation's SLA rows. */
export async function replaceSlaSettings(
  trx: Trx,
  orgId: string,
  rows: readonly { severity: string; acknowledge_minutes: number; resolve_minutes: number }[],
  at: string,
): Promise<void> {
  await trx.deleteFrom('incident_sla_settings').where('org_id', '=', orgId).execute()
  await trx
    .insertInto('incident_sla_settings')
    .values(rows.map((r) => ({ ...r, org_id: orgId, updated_at: at })))
    .execute()
}

/** The observables found in reports (the report module's `report_observables`), by report. */
export async function findObservablesOfReports(
  db: Db | Trx,
  reportIds: readonly string[],
): Promise<{ report_id: string; kind: string; key: string; value: string }[]> {
  if (reportIds.length === 0) {
    return []
  }
  return db
    .selectFrom('report_observables')
    .selectAll()
    .where('report_id', 'in', reportIds)
    .orderBy('report_id')
    .orderBy('key')
    .execute()
}

/** The NIS2 answers of reports (the report module's `reports` columns): 0 / 1 / null each. */
export async function findNis2AnswersOfReports(
  db: Db | Trx,
  reportIds: readonly string[],
): Promise<{ nis2_suspected_malicious: number | null; nis2_cross_border: number | null }[]> {
  if (reportIds.length === 0) {
    return []
  }
  return db
    .selectFrom('reports')
    .select(['nis2_suspected_malicious', 'nis2_cross_border'])
    .where('id', 'in', [...reportIds])
    .execute()
}

/** Name and sector of an organisation (the entity a NIS2 submission is about). */
export async function findOrganisationEntity(
  db: Db | Trx,
  orgId: string,
): Promise<{ name: string; sector: string | null } | undefined> {
  return db.selectFrom('organisations').select(['name', 'sector']).where('id', '=', orgId).executeTakeFirst()
}
