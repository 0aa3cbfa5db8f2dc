import type { ApiKeyWire } from '../../../core/account/account.schema.js'
import type { ApiKeyRow } from './apikey.table.js'

/** The only way an API key leaves as JSON; the token hash never does. */
export function presentApiKey(row: ApiKeyRow): ApiKeyWire {
  return {
    id: row.id,
    name: row.name,
    userId: row.user_id,
    prefix: row.prefix,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  }
}
