import type { AuditEntryWire } from '../../../core/account/account.schema.js'
import type { AuditLogRow } from './audit.table.js'

const ACTOR_TYPES = ['user', 'cli', 'system', 'anonymous'] as const

/** The only way an audit entry leaves as JSON. */
export function presentAuditEntry(row: AuditLogRow): AuditEntryWire {
  const parsed: unknown = JSON.parse(row.details)
  const actorType = ACTOR_TYPES.find((t) => t === row.actor_type) ?? 'system'
  return {
    seq: row.seq,
    at: row.at,
    actorType,
    actorUserId: row.actor_user_id,
    actorOrgId: row.actor_org_id,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    details: typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {},
    hash: row.hash,
    prevHash: row.prev_hash,
  }
}
