import type { Selectable } from 'kysely'

/** `api_keys`: machine credentials that act as their user; only the token's SHA-256 is kept. */
export interface ApiKeyTable {
  id: string
  user_id: string
  name: string
  /** First characters of the token, to recognise it in lists. */
  prefix: string
  /** SHA-256 (hex) of the token; unique. */
  token_hash: string
  created_at: string
  last_used_at: string | null
  expires_at: string | null
  revoked_at: string | null
}

/** A row read from `api_keys`. */
export type ApiKeyRow = Selectable<ApiKeyTable>
