import type { Viewer } from '../../../core/trust/label.js'
import type { Db, Trx } from '../../store/store.js'
import { visibleLabelIds } from '../trust/trust.sql.js'
import type { AttachmentRow, ReportMessageRow, ReportObservableRow, ReportRow } from './report.table.js'

/** An attachment without its bytes. */
export type AttachmentMeta = Omit<AttachmentRow, 'content'>

const ATTACHMENT_META = [
  'id',
  'report_id',
  'message_id',
  'filename',
  'content_type',
  'size',
  'sha256',
  'created_at',
] as const

/** Filters of the triage queue. */
export interface ReportFilter {
  status?: string
}

function visibleReports(db: Db, viewer: Viewer, filter: ReportFilter) {
  let query = db.selectFrom('reports').where('label_id', 'in', visibleLabelIds(db, viewer))
  if (filter.status !== undefined) {
    query = query.where('status', '=', filter.status)
  }
  return query
}

/** One page of the reports `viewer` may see, newest first, with the total and attachment counts. */
export async function findVisibleReports(
  db: Db,
  viewer: Viewer,
  filter: ReportFilter & { limit: number; offset: number },
): Promise<{ rows: (ReportRow & { attachment_count: number })[]; total: number }> {
  const [rows, count] = await Promise.all([
    visibleReports(db, viewer, filter)
      .selectAll('reports')
      .select((eb) =>
        eb
          .selectFrom('attachments')
          .select((e) => e.fn.countAll<number>().as('n'))
          .whereRef('attachments.report_id', '=', 'reports.id')
          .as('attachment_count'),
      )
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(filter.limit)
      .offset(filter.offset)
      .execute(),
    visibleReports(db, viewer, filter)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
  ])
  return {
    rows: rows.map((r) => ({ ...r, attachment_count: Number(r.attachment_count ?? 0) })),
    total: Number(count.n),
  }
}

/** One report if `viewer` may see it. */
export async function findVisibleReport(db: Db, viewer: Viewer, id: string): Promise<ReportRow | undefined> {
  return db
    .selectFrom('reports')
    .selectAll()
    .where('id', '=', id)
    .where('label_id', 'in', visibleLabelIds(db, viewer))
    .executeTakeFirst()
}

/** A report by tracking id, whoever asks: callers check the reporter's token or the caller's rights. */
export async function findReportRowByTrackingId(
  db: Db | Trx,
  trackingId: string,
): Promise<ReportRow | undefined> {
  return db.selectFrom('reports').selectAll().where('tracking_id', '=', trackingId).executeTakeFirst()
}

/** A report by id, whoever asks: for writers that checked access already. */
export async function findReportRow(db: Db | Trx, id: string): Promise<ReportRow | undefined> {
  return db.selectFrom('reports').selectAll().where('id', '=', id).executeTakeFirst()
}

/** True when a tracking id is taken. */
export async function trackingIdExists(trx: Trx, trackingId: string): Promise<boolean> {
  const row = await trx
    .selectFrom('reports')
    .select('id')
    .where('tracking_id', '=', trackingId)
    .executeTakeFirst()
  return row !== undefined
}

/** The messages of a report, oldest first. */
export async function findReportMessages(db: Db, reportId: string): Promise<ReportMessageRow[]> {
  return db
    .selectFrom('report_messages')
    .selectAll()
    .where('report_id', '=', reportId)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
}

/** The attachments of a report (without their bytes), oldest first. */
export async function findAttachmentMetas(db: Db, reportId: string): Promise<AttachmentMeta[]> {
  return db
    .selectFrom('attachments')
    .select([...ATTACHMENT_META])
    .where('report_id', '=', reportId)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
}

/** One attachment of a report, bytes included. */
export async function findAttachment(
  db: Db,
  reportId: string,
  attachmentId: string,
): Promise<AttachmentRow | undefined> {
  return db
    .selectFrom('attachments')
    .selectAll()
    .where('report_id', '=', reportId)
    .where('id', '=', attachmentId)
    .executeTakeFirst()
}

/** The IOCs found in a report's text. */
export async function findReportObservables(db: Db, reportId: string): Promise<ReportObservableRow[]> {
  return db
    .selectFrom('report_observables')
    .selectAll()
    .where('report_id', '=', reportId)
    .orderBy('key')
    .execute()
}

/** Inserts a report. */
export async function insertReport(trx: Trx, row: ReportRow): Promise<void> {
  await trx.insertInto('reports').values(row).execute()
}

/** Changes a report. */
export async function updateReportRow(trx: Trx, id: string, change: Partial<ReportRow>): Promise<void> {
  await trx.updateTable('reports').set(change).where('id', '=', id).execute()
}

/** Inserts a message. */
export async function insertReportMessage(trx: Trx, row: ReportMessageRow): Promise<void> {
  await trx.insertInto('report_messages').values(row).execute()
}

/** Inserts attachments, bytes included. */
export async function insertAttachments(trx: Trx, rows: readonly AttachmentRow[]): Promise<void> {
  for (const row of rows) {
    // One row per statement: a statement of several large blobs would be as large as all of them.
    await trx.insertInto('attachments').values(row).execute()
  }
}

/** Inserts observables; one already recorded for the report is kept as it is. */
export async function insertReportObservables(trx: Trx, rows: readonly ReportObservableRow[]): Promise<void> {
  // 500 rows of 4 values stay far below either store's limit of bound parameters.
  for (let start = 0; start < rows.length; start += 500) {
    await trx
      .insertInto('report_observables')
      .values(rows.slice(start, start + 500))
      .onConflict((oc) => oc.columns(['report_id', 'key']).doNothing())
      .execute()
  }
}

/**
 * Marks reports as part of an incident (`status` `linked`, `incident_id`), inside the incident
 * module's own audited transaction: the one way a report becomes linked.
 */
export async function linkReportsToIncident(
  trx: Trx,
  reportIds: readonly string[],
  incidentId: string,
  at: string,
): Promise<void> {
  if (reportIds.length === 0) {
    return
  }
  await trx
    .updateTable('reports')
    .set({ status: 'linked', incident_id: incidentId, updated_at: at })
    .where('id', 'in', [...reportIds])
    .execute()
}
