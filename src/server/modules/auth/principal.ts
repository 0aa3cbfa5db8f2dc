import { Role } from '../../../core/account/account.schema.js'
import type { UserPrincipal } from '../../../core/account/principal.js'
import type { OrganisationRow } from '../org/org.table.js'
import type { UserRow } from '../user/user.table.js'

/** Builds the principal a request acts as, from its user and organisation rows. */
export function principalOf(
  user: UserRow,
  org: OrganisationRow,
  authMethod: 'session' | 'apikey',
  groupIds: readonly string[],
  peer: boolean,
): UserPrincipal {
  const role = Role.is(user.role) ? user.role : 'viewer'
  return {
    kind: 'user',
    userId: user.id,
    orgId: org.id,
    role,
    isInstanceAdmin: role === 'admin' && org.is_instance_owner === 1,
    authMethod,
    groupIds,
    peer,
  }
}

/** Who a request is, once authenticated: principal plus the rows it came from. */
export interface Authenticated {
  readonly principal: UserPrincipal
  readonly user: UserRow
  readonly org: OrganisationRow
  /** Present when the request came with a session cookie. */
  readonly session: { readonly id: string; readonly csrfToken: string } | null
}
