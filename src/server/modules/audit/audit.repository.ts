import type { Db, Trx } from '../../store/store.js'
import type { AuditLogRow } from './audit.table.js'

/** Locks the chain head for this transaction and returns the next sequence number and the previous hash. */
export async function claimNextAuditSeq(trx: Trx): Promise<{ seq: number; prevHash: string }> {
  // The UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite) before we read the head,
  // so concurrent writers append one after the other and the chain never forks.
  const head = await trx
    .updateTable('audit_head')
    .set((eb) => ({ seq: eb('seq', '+', 1) }))
    .where('id', '=', 1)
    .returning(['seq', 'hash'])
    .executeTakeFirstOrThrow()
  return { seq: Number(head.seq), prevHash: head.hash }
}

/** Inserts an entry and moves the head to it. */
export async function insertAuditEntry(trx: Trx, row: AuditLogRow): Promise<void> {
  await trx.insertInto('audit_log').values(row).execute()
  await trx.updateTable('audit_head').set({ hash: row.hash }).where('id', '=', 1).execute()
}

/** Entries with `seq` greater than `afterSeq`, oldest first. */
export async function findAuditEntriesAfter(db: Db, afterSeq: number, limit: number): Promise<AuditLogRow[]> {
  const rows = await db
    .selectFrom('audit_log')
    .selectAll()
    .where('seq', '>', afterSeq)
    .orderBy('seq', 'asc')
    .limit(limit)
    .execute()
  return rows.map(normaliseSeq)
}

/** The newest entries, newest first, optionally before a sequence number. */
export async function findRecentAuditEntries(
  db: Db,
  limit: number,
  beforeSeq?: number,
): Promise<AuditLogRow[]> {
  let query = db.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').limit(limit)
  if (beforeSeq !== undefined) {
    query = query.where('seq', '<', beforeSeq)
  }
  return (await query.execute()).map(normaliseSeq)
}

/** The chain head: last sequence number and hash. */
export async function findAuditHead(db: Db): Promise<{ seq: number; hash: string }> {
  const head = await db
    .selectFrom('audit_head')
    .select(['seq', 'hash'])
    .where('id', '=', 1)
    .executeTakeFirstOrThrow()
  return { seq: Number(head.seq), hash: head.hash }
}

function normaliseSeq(row: AuditLogRow): AuditLogRow {
  return { ...row, seq: Number(row.seq) }
}
