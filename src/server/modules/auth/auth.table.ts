import type { Selectable } from 'kysely'

/** `sessions`: browser sessions; the cookie holds a random token, the row only its SHA-256. */
export interface SessionTable {
  /** SHA-256 (hex) of the session token. */
  id: string
  user_id: string
  /** Sent back as `X-CSRF-Token` on unsafe requests. */
  csrf_token: string
  created_at: string
  expires_at: string
  last_seen_at: string
  client_address: string | null
  user_agent: string | null
}

/** A row read from `sessions`. */
export type SessionRow = Selectable<SessionTable>

/** `login_throttle`: failed-login counters per client address and per account, in fixed windows. */
export interface LoginThrottleTable {
  /** `addr:<ip>` or `acct:<email>`. */
  key: string
  window_start: string
  failures: number
}
