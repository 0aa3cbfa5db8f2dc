import type { Viewer } from '../../../core/trust/label.js'
import type { Db, Trx } from '../../store/store.js'
import { visibleLabelIds } from '../trust/trust.sql.js'
import type { RawMessageOutcome, RawMessageRow } from './intake-mail.table.js'

/** A received message without its bytes. */
export type RawMessageMeta = Omit<RawMessageRow, 'raw'>

/** Filters of the received-mail list. */
export interface RawMessageFilter {
  flagged?: boolean
  outcome?: RawMessageOutcome
  reportId?: string
}

const META_COLUMNS = [
  'raw_messages.id',
  'raw_messages.received_at',
  'raw_messages.envelope_from',
  'raw_messages.envelope_to',
  'raw_messages.remote_address',
  'raw_messages.helo',
  'raw_messages.message_id',
  'raw_messages.subject',
  'raw_messages.size',
  'raw_messages.sha256',
  'raw_messages.problems',
  'raw_messages.flagged',
  'raw_messages.outcome',
  'raw_messages.report_id',
  'raw_messages.xarf',
  'raw_messages.rsit_hint',
  'raw_messages.ack_status',
  'raw_messages.ack_detail',
  'raw_messages.ack_message_id',
  'raw_messages.ack_at',
] as const

/** Inserts a received message. */
export async function insertRawMessage(trx: Trx, row: RawMessageRow): Promise<void> {
  await trx.insertInto('raw_messages').values(row).execute()
}

/** Changes a received message's outcome, problems or acknowledgement. */
export async function updateRawMessage(
  trx: Trx,
  id: string,
  change: Partial<Omit<RawMessageRow, 'id' | 'raw'>>,
): Promise<void> {
  await trx.updateTable('raw_messages').set(change).where('id', '=', id).execute()
}

/**
 * Received messages `viewer` may see: those of a report whose label the visibility rule lets them
 * see, and those that became no report (callers allow these to the instance organisation only).
 */
function visibleRawMessages(db: Db | Trx, viewer: Viewer, filter: RawMessageFilter) {
  let query = db
    .selectFrom('raw_messages')
    .leftJoin('reports', 'reports.id', 'raw_messages.report_id')
    .where((eb) =>
      eb.or([
        eb('raw_messages.report_id', 'is', null),
        eb('reports.label_id', 'in', visibleLabelIds(db, viewer)),
      ]),
    )
  if (filter.flagged !== undefined) {
    query = query.where('raw_messages.flagged', '=', filter.flagged ? 1 : 0)
  }
  if (filter.outcome !== undefined) {
    query = query.where('raw_messages.outcome', '=', filter.outcome)
  }
  if (filter.reportId !== undefined) {
    query = query.where('raw_messages.report_id', '=', filter.reportId)
  }
  return query
}

/** One page of the received messages `viewer` may see, newest first, with the total. */
export async function findVisibleRawMessages(
  db: Db,
  viewer: Viewer,
  filter: RawMessageFilter & { limit: number; offset: number },
): Promise<{ rows: RawMessageMeta[]; total: number }> {
  const [rows, count] = await Promise.all([
    visibleRawMessages(db, viewer, filter)
      .select(META_COLUMNS)
      .orderBy('raw_messages.received_at', 'desc')
      .orderBy('raw_messages.id')
      .limit(filter.limit)
      .offset(filter.offset)
      .execute(),
    visibleRawMessages(db, viewer, filter)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
  ])
  return { rows, total: Number(count.n) }
}

/** One received message `viewer` may see, without its bytes. */
export async function findVisibleRawMessage(
  db: Db,
  viewer: Viewer,
  id: string,
): Promise<RawMessageMeta | undefined> {
  return visibleRawMessages(db, viewer, {})
    .select(META_COLUMNS)
    .where('raw_messages.id', '=', id)
    .executeTakeFirst()
}

/** The bytes of one received message `viewer` may see. */
export async function findVisibleRawBytes(
  db: Db,
  viewer: Viewer,
  id: string,
): Promise<Pick<RawMessageRow, 'id' | 'raw' | 'sha256'> | undefined> {
  return visibleRawMessages(db, viewer, {})
    .select(['raw_messages.id', 'raw_messages.raw', 'raw_messages.sha256'])
    .where('raw_messages.id', '=', id)
    .executeTakeFirst()
}

/**
 * The report of an earlier copy of a message (same bytes, same envelope sender, received since
 * `since`) that was filed, if any.
 */
export async function findEarlierCopy(
  db: Db | Trx,
  message: Pick<RawMessageRow, 'id' | 'sha256' | 'envelope_from'>,
  since: string,
): Promise<{ reportId: string; trackingId: string } | undefined> {
  const row = await db
    .selectFrom('raw_messages')
    .innerJoin('reports', 'reports.id', 'raw_messages.report_id')
    .select(['reports.id as reportId', 'reports.tracking_id as trackingId'])
    .where('raw_messages.received_at', '>=', since)
    .where('raw_messages.sha256', '=', message.sha256)
    .where('raw_messages.envelope_from', '=', message.envelope_from)
    .where('raw_messages.id', '!=', message.id)
    .orderBy('raw_messages.received_at')
    .limit(1)
    .executeTakeFirst()
  return row
}
