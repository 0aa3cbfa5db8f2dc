import type { UserPrincipal } from '../../../core/account/principal.js'
import type { Config } from '../../config.js'
import { badInput, LiaisonError, unauthenticated } from '../../errors.js'
import { hashPassword, randomToken, sha256Hex, verifyAgainstDummy, verifyPassword } from '../../secrets.js'
import type { Db, Trx } from '../../store/store.js'
import { recordAudit } from '../audit/audit.service.js'
import { findGroupIdsOfOrg } from '../group/group.repository.js'
import { isPeerOrganisation } from '../federation/federation.repository.js'
import type { OrganisationRow } from '../org/org.table.js'
import { findUserByEmail, findUserById, updateUserRow } from '../user/user.repository.js'
import type { UserRow } from '../user/user.table.js'
import {
  deleteSession,
  deleteThrottle,
  deleteUserSessions,
  findSessionWithUser,
  findThrottle,
  insertSession,
  touchSession,
  upsertThrottle,
} from './auth.repository.js'
import { principalOf, type Authenticated } from './principal.js'

/** Length of a throttle window. */
export const THROTTLE_WINDOW_MS = 15 * 60 * 1000

/** Who is trying to log in, and from where. */
export interface LoginAttempt {
  email: string
  password: string
  /** Client address, for the per-address limit and the audit log. */
  address: string
  userAgent: string | null
}

/** A successful login: the session token for the cookie (shown only here) and who logged in. */
export interface LoginResult {
  readonly token: string
  readonly auth: Authenticated
}

/**
 * Checks a password login. Failures count per client address and per account in fixed windows;
 * past the limit the answer is 429 whatever the password. Unknown e-mails take as long as known ones.
 */
export async function login(
  db: Db,
  config: Pick<Config, 'sessionHours' | 'loginMaxPerAccount' | 'loginMaxPerAddress'>,
  attempt: LoginAttempt,
  now = new Date(),
): Promise<LoginResult> {
  const email = attempt.email.trim().toLowerCase()
  const addrKey = `addr:${attempt.address}`
  const acctKey = `acct:${email}`
  await assertNotThrottled(db, addrKey, config.loginMaxPerAddress, now)
  await assertNotThrottled(db, acctKey, config.loginMaxPerAccount, now)

  const user = await findUserByEmail(db, email)
  const ok =
    user === undefined || user.disabled === 1
      ? await verifyAgainstDummy(attempt.password)
      : await verifyPassword(user.password_hash, attempt.password)
  if (!ok || user === undefined) {
    await db.transaction().execute(async (trx) => {
      await countFailure(trx, addrKey, now)
      await countFailure(trx, acctKey, now)
      await recordAudit(
        trx,
        { kind: 'anonymous', address: attempt.address },
        { action: 'auth.login_failed', targetType: 'user', targetId: user?.id ?? null, details: { email } },
        now,
      )
    })
    throw new LiaisonError(401, 'invalid_credentials', 'e-mail or password is wrong')
  }

  const token = randomToken(32)
  const session = {
    id: sha256Hex(token),
    user_id: user.id,
    csrf_token: randomToken(24),
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + config.sessionHours * 3600_000).toISOString(),
    last_seen_at: now.toISOString(),
    client_address: attempt.address,
    user_agent: attempt.userAgent?.slice(0, 300) ?? null,
  }
  const auth = await db.transaction().execute(async (trx) => {
    await deleteThrottle(trx, acctKey)
    await insertSession(trx, session)
    await updateUserRow(trx, user.id, { last_login_at: now.toISOString() })
    const org = await trx
      .selectFrom('organisations')
      .selectAll()
      .where('id', '=', user.org_id)
      .executeTakeFirstOrThrow()
    const principal = await loadPrincipal(trx, user, org, 'session')
    await recordAudit(
      trx,
      principal,
      { action: 'auth.login', targetType: 'user', targetId: user.id, details: { address: attempt.address } },
      now,
    )
    return {
      principal,
      user: { ...user, last_login_at: now.toISOString() },
      org,
      session: { id: session.id, csrfToken: session.csrf_token },
    }
  })
  return { token, auth }
}

/** Resolves a session cookie's token; null when it is unknown, expired, or its user is disabled. */
export async function authenticateSession(
  db: Db,
  token: string,
  now = new Date(),
): Promise<Authenticated | null> {
  const id = sha256Hex(token)
  const found = await findSessionWithUser(db, id)
  if (found === undefined) {
    return null
  }
  const { session, user, org } = found
  if (session.expires_at <= now.toISOString() || user.disabled === 1) {
    await deleteSession(db, id)
    return null
  }
  // Touch at most once a minute: a write per request would serialise every read on SQLite.
  if (now.getTime() - Date.parse(session.last_seen_at) > 60_000) {
    await touchSession(db, id, now.toISOString())
  }
  return {
    principal: await loadPrincipal(db, user, org, 'session'),
    user,
    org,
    session: { id, csrfToken: session.csrf_token },
  }
}

/**
 * The principal of an authenticated user: its organisation's sharing groups and whether that
 * organisation is a federation peer, looked up at the same time (one round trip to PostgreSQL on
 * every request, not two).
 */
export async function loadPrincipal(
  db: Db | Trx,
  user: UserRow,
  org: OrganisationRow,
  authMethod: 'session' | 'apikey',
): Promise<UserPrincipal> {
  const [groupIds, peer] = await Promise.all([findGroupIdsOfOrg(db, org.id), isPeerOrganisation(db, org.id)])
  return principalOf(user, org, authMethod, groupIds, peer)
}

/** Ends a session. */
export async function logout(db: Db, auth: Authenticated, now = new Date()): Promise<void> {
  const session = auth.session
  if (session === null) {
    return
  }
  await db.transaction().execute(async (trx) => {
    await deleteSession(trx, session.id)
    await recordAudit(
      trx,
      auth.principal,
      { action: 'auth.logout', targetType: 'user', targetId: auth.user.id },
      now,
    )
  })
}

/**
 * Changes the caller's own password after checking the current one; ends the user's other sessions
 * and lifts the must-change flag.
 */
export async function changeOwnPassword(
  db: Db,
  auth: Authenticated,
  input: { currentPassword: string; newPassword: string },
  now = new Date(),
): Promise<Authenticated> {
  const user = await findUserById(db, auth.user.id)
  if (user === undefined) {
    throw unauthenticated()
  }
  if (!(await verifyPassword(user.password_hash, input.currentPassword))) {
    throw badInput('currentPassword', 'is wrong')
  }
  if (input.newPassword === input.currentPassword) {
    throw badInput('newPassword', 'must differ from the current password')
  }
  const localPart = user.email.split('@')[0] ?? ''
  if (localPart.length >= 4 && input.newPassword.toLowerCase().includes(localPart)) {
    throw badInput('newPassword', 'must not contain your e-mail name')
  }
  const hash = await hashPassword(input.newPassword)
  const at = now.toISOString()
  await db.transaction().execute(async (trx) => {
    await updateUserRow(trx, user.id, {
      password_hash: hash,
      must_change_password: 0,
      password_changed_at: at,
      updated_at: at,
    })
    await deleteUserSessions(trx, user.id, auth.session?.id)
    await recordAudit(
      trx,
      auth.principal,
      { action: 'user.password_changed', targetType: 'user', targetId: user.id },
      now,
    )
  })
  const updated = {
    ...user,
    password_hash: hash,
    must_change_password: 0,
    password_changed_at: at,
    updated_at: at,
  }
  return {
    ...auth,
    user: updated,
    principal: principalOf(
      updated,
      auth.org,
      auth.principal.authMethod,
      auth.principal.groupIds,
      auth.principal.peer,
    ),
  }
}

async function assertNotThrottled(db: Db, key: string, max: number, now: Date): Promise<void> {
  const row = await findThrottle(db, key)
  if (row === undefined) {
    return
  }
  const windowEnd = Date.parse(row.window_start) + THROTTLE_WINDOW_MS
  if (row.failures >= max && windowEnd > now.getTime()) {
    const retryAfter = Math.ceil((windowEnd - now.getTime()) / 1000)
    throw new LiaisonError(429, 'too_many_attempts', `too many failed logins; try again in ${retryAfter} s`, {
      retryAfterSeconds: retryAfter,
      scope: key.startsWith('addr:') ? 'address' : 'account',
    })
  }
}

async function countFailure(db: Parameters<typeof findThrottle>[0], key: string, now: Date): Promise<void> {
  const row = await findThrottle(db, key)
  if (row === undefined || Date.parse(row.window_start) + THROTTLE_WINDOW_MS <= now.getTime()) {
    await upsertThrottle(db, key, now.toISOString(), 1)
    return
  }
  await upsertThrottle(db, key, row.window_start, row.failures + 1)
}
