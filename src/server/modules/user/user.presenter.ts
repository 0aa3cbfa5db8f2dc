import { Role, type UserWire } from '../../../core/account/account.schema.js'
import type { UserRow } from './user.table.js'

/** The only way a user leaves as JSON; the password hash never does. */
export function presentUser(row: UserRow): UserWire {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: Role.is(row.role) ? row.role : 'viewer',
    orgId: row.org_id,
    mustChangePassword: row.must_change_password === 1,
    disabled: row.disabled === 1,
    createdAt: row.created_at,
    lastLoginAt: row.last_login_at,
  }
}
