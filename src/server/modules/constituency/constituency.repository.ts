import type { Db, Trx } from '../../store/store.js'
import type { ConstituentRangeRow, ConstituentRow, NotificationRow } from './constituency.table.js'

/** Rows per multi-row INSERT (10 columns): well under both stores' parameter limits. */
const INSERT_CHUNK = 400
/** Ids or keys per `in` list. */
const KEY_CHUNK = 500

/** A range row with the owner's name and addresses, as look-ups return it. */
export interface OwnedRange extends ConstituentRangeRow {
  readonly constituent_name: string
  readonly abuse_emails: string
}

/** One constituent by id. */
export async function findConstituentById(db: Db | Trx, id: string): Promise<ConstituentRow | undefined> {
  return db.selectFrom('constituents').selectAll().where('id', '=', id).executeTakeFirst()
}

/** One constituent by its lower-cased name. */
export async function findConstituentByNameKey(
  db: Db | Trx,
  nameKey: string,
): Promise<ConstituentRow | undefined> {
  return db.selectFrom('constituents').selectAll().where('name_key', '=', nameKey).executeTakeFirst()
}

/** Constituents by name, one page; `q` filters by a part of the name. */
export async function findConstituents(
  db: Db,
  page: { q?: string; limit: number; offset: number },
): Promise<{ rows: ConstituentRow[]; total: number }> {
  let query = db.selectFrom('constituents')
  if (page.q !== undefined && page.q.trim() !== '') {
    // % and _ are dropped rather than escaped: LIKE escapes differ between the two stores.
    const pattern = `%${page.q.trim().toLowerCase().replace(/[%_]/g, '')}%`
    query = query.where((eb) => eb('name_key', 'like', pattern))
  }
  const rows = await query.selectAll().orderBy('name_key').limit(page.limit).offset(page.offset).execute()
  const { total } = await query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow()
  return { rows, total: Number(total) }
}

/** Several constituents by id. */
export async function findConstituentsByIds(db: Db | Trx, ids: readonly string[]): Promise<ConstituentRow[]> {
  const out: ConstituentRow[] = []
  for (let i = 0; i < ids.length; i += KEY_CHUNK) {
    const chunk = ids.slice(i, i + KEY_CHUNK)
    out.push(...(await db.selectFrom('constituents').selectAll().where('id', 'in', chunk).execute()))
  }
  return out
}

/** The ranges of some constituents, by kind and value. */
export async function findRangesOf(db: Db | Trx, ids: readonly string[]): Promise<ConstituentRangeRow[]> {
  const out: ConstituentRangeRow[] = []
  for (let i = 0; i < ids.length; i += KEY_CHUNK) {
    const chunk = ids.slice(i, i + KEY_CHUNK)
    if (chunk.length === 0) {
      continue
    }
    out.push(
      ...(await db
        .selectFrom('constituent_ranges')
        .selectAll()
        .where('constituent_id', 'in', chunk)
        .orderBy('kind')
        .orderBy('family')
        .orderBy('range_start')
        .orderBy('key')
        .execute()),
    )
  }
  return out
}

/** Inserts a constituent row. */
export async function insertConstituent(trx: Trx, row: ConstituentRow): Promise<void> {
  await trx.insertInto('constituents').values(row).execute()
}

/** Changes a constituent row. */
export async function updateConstituentRow(
  trx: Trx,
  id: string,
  change: Partial<ConstituentRow>,
): Promise<void> {
  await trx.updateTable('constituents').set(change).where('id', '=', id).execute()
}

/** Deletes a constituent and its ranges (its notifications stay, without the link). */
export async function deleteConstituentRow(trx: Trx, id: string): Promise<void> {
  await trx.deleteFrom('constituent_ranges').where('constituent_id', '=', id).execute()
  await trx
    .updateTable('notifications')
    .set({ constituent_id: null })
    .where('constituent_id', '=', id)
    .execute()
  await trx.deleteFrom('constituents').where('id', '=', id).execute()
}

/** Inserts range rows. */
export async function insertRanges(trx: Trx, rows: readonly ConstituentRangeRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    await trx
      .insertInto('constituent_ranges')
      .values(rows.slice(i, i + INSERT_CHUNK))
      .execute()
  }
}

/** Deletes a constituent's ranges of some kinds. */
export async function deleteRangesOf(
  trx: Trx,
  constituentId: string,
  kinds: readonly string[],
): Promise<void> {
  if (kinds.length === 0) {
    return
  }
  await trx
    .deleteFrom('constituent_ranges')
    .where('constituent_id', '=', constituentId)
    .where('kind', 'in', kinds)
    .execute()
}

/** One range of a constituent. */
export async function findRange(
  db: Db | Trx,
  constituentId: string,
  rangeId: string,
): Promise<ConstituentRangeRow | undefined> {
  return db
    .selectFrom('constituent_ranges')
    .selectAll()
    .where('id', '=', rangeId)
    .where('constituent_id', '=', constituentId)
    .executeTakeFirst()
}

/** Deletes one range. */
export async function deleteRangeRow(trx: Trx, rangeId: string): Promise<void> {
  await trx.deleteFrom('constituent_ranges').where('id', '=', rangeId).execute()
}

function owned(db: Db | Trx) {
  return db
    .selectFrom('constituent_ranges as r')
    .innerJoin('constituents as c', 'c.id', 'r.constituent_id')
    .selectAll('r')
    .select(['c.name as constituent_name', 'c.abuse_emails as abuse_emails'])
}

/**
 * Netblocks that contain the whole range `start`..`end` of a family (a single address when the two
 * are equal), most specific (longest prefix) first. Fixed-width hex compares like the numbers.
 */
export async function findNetblocksContaining(
  db: Db | Trx,
  family: string,
  start: string,
  end: string,
): Promise<OwnedRange[]> {
  return owned(db)
    .where('r.kind', '=', 'netblock')
    .where('r.family', '=', family)
    .where('r.range_start', '<=', start)
    .where('r.range_end', '>=', end)
    .orderBy('r.prefix', 'desc')
    .orderBy('c.name_key')
    .execute()
}

/** Ranges registered under any of some keys (ASNs, domains). */
export async function findRangesByKeys(db: Db | Trx, keys: readonly string[]): Promise<OwnedRange[]> {
  if (keys.length === 0) {
    return []
  }
  return owned(db).where('r.key', 'in', keys).orderBy('c.name_key').execute()
}

/** Inserts a notification row. */
export async function insertNotification(trx: Trx, row: NotificationRow): Promise<void> {
  await trx.insertInto('notifications').values(row).execute()
}

/** Notifications, newest first, one page; optionally of one incident or one constituent. */
export async function findNotifications(
  db: Db,
  filter: { incidentId?: string; constituentId?: string; limit: number; offset: number },
): Promise<{ rows: NotificationRow[]; total: number }> {
  let query = db.selectFrom('notifications')
  if (filter.incidentId !== undefined) {
    query = query.where('incident_id', '=', filter.incidentId)
  }
  if (filter.constituentId !== undefined) {
    query = query.where('constituent_id', '=', filter.constituentId)
  }
  const rows = await query
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(filter.limit)
    .offset(filter.offset)
    .execute()
  const { total } = await query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow()
  return { rows, total: Number(total) }
}
