import type { Selectable } from 'kysely'

/** `audit_log`: append-only, hash-chained record of every write. */
export interface AuditLogTable {
  /** 1, 2, 3, … without gaps. */
  seq: number
  at: string
  actor_type: string
  actor_user_id: string | null
  actor_org_id: string | null
  action: string
  target_type: string
  target_id: string | null
  /** JSON object, hashed exactly as stored. */
  details: string
  /** `hash` of the entry before (64 zeros for the first). */
  prev_hash: string
  /** SHA-256 (hex) over this entry's fields and `prev_hash`. */
  hash: string
}

/** A row read from `audit_log`. */
export type AuditLogRow = Selectable<AuditLogTable>

/** `audit_head`: one row holding the last sequence number and hash; appenders lock it to stay in order. */
export interface AuditHeadTable {
  id: number
  seq: number
  hash: string
}
