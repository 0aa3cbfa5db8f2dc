import { createHash } from 'node:crypto'
import type { Actor } from '../../../core/account/principal.js'
import type { Db, Trx } from '../../store/store.js'
import {
  claimNextAuditSeq,
  findAuditEntriesAfter,
  findAuditHead,
  findRecentAuditEntries,
  insertAuditEntry,
} from './audit.repository.js'
import type { AuditLogRow } from './audit.table.js'

/** Hash that stands before the first entry. */
export const GENESIS_HASH = '0'.repeat(64)

/** What a write records about itself. */
export interface AuditEvent {
  /** Verb in `thing.verb` form, e.g. `user.created`. */
  action: string
  /** Kind of record touched, e.g. `user`. */
  targetType: string
  /** Id of the record touched, if any. */
  targetId: string | null
  /** What changed; never secrets. */
  details?: Record<string, unknown>
}

/** Who wrote, as the audit log keeps it. */
export type AuditActor = Actor | { kind: 'system' } | { kind: 'anonymous'; address?: string }

/**
 * Appends one entry to the audit chain inside the writer's own transaction, so the write and its
 * record commit or fail together.
 */
export async function recordAudit(
  trx: Trx,
  actor: AuditActor,
  event: AuditEvent,
  now: Date,
): Promise<number> {
  const { seq, prevHash } = await claimNextAuditSeq(trx)
  const details = { ...(event.details ?? {}) }
  let actorUserId: string | null = null
  let actorOrgId: string | null = null
  switch (actor.kind) {
    case 'user':
      actorUserId = actor.userId
      actorOrgId = actor.orgId
      details.via = actor.authMethod
      break
    case 'cli':
      details.osUser = actor.osUser
      break
    case 'anonymous':
      if (actor.address !== undefined) {
        details.address = actor.address
      }
      break
    case 'system':
      break
  }
  const row: Omit<AuditLogRow, 'hash'> = {
    seq,
    at: now.toISOString(),
    actor_type: actor.kind,
    actor_user_id: actorUserId,
    actor_org_id: actorOrgId,
    action: event.action,
    target_type: event.targetType,
    target_id: event.targetId,
    details: JSON.stringify(details),
    prev_hash: prevHash,
  }
  await insertAuditEntry(trx, { ...row, hash: hashAuditEntry(row) })
  return seq
}

/** SHA-256 (hex) over an entry's fields, in a fixed order, including the previous hash. */
export function hashAuditEntry(row: Omit<AuditLogRow, 'hash'>): string {
  const canonical = JSON.stringify([
    row.seq,
    row.at,
    row.actor_type,
    row.actor_user_id,
    row.actor_org_id,
    row.action,
    row.target_type,
    row.target_id,
    row.details,
    row.prev_hash,
  ])
  return createHash('sha256').update(canonical).digest('hex')
}

/** Outcome of {@link verifyAuditChain}. */
export type AuditVerification =
  | { ok: true; entries: number; headSeq: number; headHash: string }
  | { ok: false; entries: number; brokenSeq: number; reason: string }

/**
 * An entry of the chain as recorded outside the store (`SEQ:HASH`, as `liaison audit verify`
 * prints the head): a chain rewritten whole, every hash recomputed, no longer holds it.
 */
export interface AuditAnchor {
  readonly seq: number
  readonly hash: string
}

/** Reads `SEQ:HASH`; null when it is not one. */
export function parseAuditAnchor(text: string): AuditAnchor | null {
  const match = /^(\d+):([0-9a-f]{64})$/.exec(text.trim().toLowerCase())
  return match === null ? null : { seq: Number(match[1]), hash: match[2] ?? '' }
}

/**
 * Walks the whole chain in order, recomputing every hash; names the first entry that does not fit.
 * Reads in pages so memory stays flat on a long log. With `anchors` (entries recorded elsewhere,
 * e.g. heads printed by earlier runs), each must still be in the chain with its hash: the hash
 * chain alone cannot show a log rewritten whole by someone holding the store.
 */
export async function verifyAuditChain(
  db: Db,
  onProgress?: (checked: number, total: number) => void,
  anchors: readonly AuditAnchor[] = [],
): Promise<AuditVerification> {
  const anchored = new Map(anchors.map((a) => [a.seq, a.hash]))
  const head = await findAuditHead(db)
  let expectedSeq = 1
  let prevHash = GENESIS_HASH
  let checked = 0
  const pageSize = 5000
  for (;;) {
    const page = await findAuditEntriesAfter(db, expectedSeq - 1, pageSize)
    for (const row of page) {
      if (row.seq !== expectedSeq) {
        return {
          ok: false,
          entries: checked,
          brokenSeq: expectedSeq,
          reason: `entry ${expectedSeq} is missing`,
        }
      }
      if (row.prev_hash !== prevHash) {
        return {
          ok: false,
          entries: checked,
          brokenSeq: row.seq,
          reason: `entry ${row.seq} does not point to the hash of entry ${row.seq - 1}`,
        }
      }
      const { hash, ...rest } = row
      if (hashAuditEntry(rest) !== hash) {
        return {
          ok: false,
          entries: checked,
          brokenSeq: row.seq,
          reason: `entry ${row.seq} was altered (hash mismatch)`,
        }
      }
      const anchor = anchored.get(row.seq)
      if (anchor !== undefined && anchor !== hash) {
        return {
          ok: false,
          entries: checked,
          brokenSeq: row.seq,
          reason: `entry ${row.seq} is not the one recorded outside the store (hash ${anchor}): the log was rewritten`,
        }
      }
      prevHash = hash
      expectedSeq += 1
      checked += 1
    }
    onProgress?.(checked, head.seq)
    if (page.length < pageSize) {
      break
    }
  }
  const beyond = anchors.find((a) => a.seq > checked)
  if (beyond !== undefined) {
    return {
      ok: false,
      entries: checked,
      brokenSeq: checked + 1,
      reason: `the log ends at entry ${checked}, before entry ${beyond.seq} recorded outside the store: entries were removed`,
    }
  }
  if (checked !== head.seq || prevHash !== head.hash) {
    return {
      ok: false,
      entries: checked,
      brokenSeq: checked + 1,
      reason: `the log ends at entry ${checked} but its head records entry ${head.seq}: entries were removed`,
    }
  }
  return { ok: true, entries: checked, headSeq: head.seq, headHash: head.hash }
}

/** Newest audit entries for the admin view. */
export async function listRecentAudit(db: Db, limit: number, beforeSeq?: number): Promise<AuditLogRow[]> {
  return findRecentAuditEntries(db, limit, beforeSeq)
}
