import type { Role } from './account.schema.js'

/** A logged-in person (by session or API key) acting through the API. */
export interface UserPrincipal {
  readonly kind: 'user'
  readonly userId: string
  readonly orgId: string
  readonly role: Role
  /** An admin of the organisation that runs the instance: manages accounts, never bypasses visibility. */
  readonly isInstanceAdmin: boolean
  readonly authMethod: 'session' | 'apikey'
  /** Sharing groups the user's organisation belongs to (loaded with the principal, used by canSee). */
  readonly groupIds: readonly string[]
  /** The user's organisation stands for a federated peer instance (see `canSee`, step 7). */
  readonly peer: boolean
}

/** Someone with shell access to the store, acting through the `liaison` CLI. */
export interface OperatorActor {
  readonly kind: 'cli'
  /** Operating-system user who ran the command, kept in the audit log. */
  readonly osUser: string
}

/** Whoever performs a write: a user through the API, or an operator through the CLI. */
export type Actor = UserPrincipal | OperatorActor

/** Companion helpers for {@link Actor}. */
export const Actor = {
  /** True when the actor may manage every organisation and account (instance admin or CLI operator). */
  managesInstance(actor: Actor): boolean {
    return actor.kind === 'cli' || actor.isInstanceAdmin
  },
  /** True when the actor may manage the members of `orgId`. */
  managesOrg(actor: Actor, orgId: string): boolean {
    if (actor.kind === 'cli' || actor.isInstanceAdmin) {
      return true
    }
    return actor.role === 'admin' && actor.orgId === orgId
  },
}
