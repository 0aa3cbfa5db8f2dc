import { sql } from 'kysely'
import type { Viewer } from '../../../core/trust/label.js'
import type { Db, Trx } from '../../store/store.js'
import { visibleLabelIds } from '../trust/trust.sql.js'
import type { DocumentRow } from './knowledge.table.js'

/** Filters of the document list. */
export interface DocumentFilter {
  /** Words the title contains (case-insensitive). */
  q?: string
  kind?: string
}

function visibleDocuments(db: Db, viewer: Viewer, filter: DocumentFilter) {
  let query = db.selectFrom('documents').where('label_id', 'in', visibleLabelIds(db, viewer))
  if (filter.q !== undefined && filter.q.trim() !== '') {
    const escaped = filter.q
      .trim()
      .toLowerCase()
      .replace(/[\\%_]/g, (c) => `\\${c}`)
    // SQLite's LIKE has no escape character unless one is named; PostgreSQL accepts the same clause.
    query = query.where(sql<boolean>`title_key like ${`%${escaped}%`} escape '\\'`)
  }
  if (filter.kind !== undefined) {
    query = query.where('kind', '=', filter.kind)
  }
  return query
}

/** One page of the documents `viewer` may see, newest first, with the total. */
export async function findVisibleDocuments(
  db: Db,
  viewer: Viewer,
  filter: DocumentFilter & { limit: number; offset: number },
): Promise<{ rows: DocumentRow[]; total: number }> {
  const [rows, count] = await Promise.all([
    visibleDocuments(db, viewer, filter)
      .selectAll()
      .orderBy('updated_at', 'desc')
      .orderBy('id')
      .limit(filter.limit)
      .offset(filter.offset)
      .execute(),
    countVisibleDocuments(db, viewer, filter),
  ])
  return { rows, total: count }
}

/** How many documents `viewer` may see. */
export async function countVisibleDocuments(db: Db, viewer: Viewer, filter: DocumentFilter): Promise<number> {
  const row = await visibleDocuments(db, viewer, filter)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** One document if `viewer` may see it. */
export async function findVisibleDocument(
  db: Db,
  viewer: Viewer,
  id: string,
): Promise<DocumentRow | undefined> {
  return db
    .selectFrom('documents')
    .selectAll()
    .where('id', '=', id)
    .where('label_id', 'in', visibleLabelIds(db, viewer))
    .executeTakeFirst()
}

/** Inserts a document. */
export async function insertDocument(trx: Trx, row: DocumentRow): Promise<void> {
  await trx.insertInto('documents').values(row).execute()
}

/** Changes a document. */
export async function updateDocumentRow(trx: Trx, id: string, change: Partial<DocumentRow>): Promise<void> {
  await trx.updateTable('documents').set(change).where('id', '=', id).execute()
}
