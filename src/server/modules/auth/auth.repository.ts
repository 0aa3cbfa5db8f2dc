import type { Db, Trx } from '../../store/store.js'
import type { OrganisationRow } from '../org/org.table.js'
import { findUserWithOrganisation } from '../user/user.repository.js'
import type { UserRow } from '../user/user.table.js'
import type { SessionRow } from './auth.table.js'

/** Inserts a session. */
export async function insertSession(db: Db | Trx, row: SessionRow): Promise<void> {
  await db.insertInto('sessions').values(row).execute()
}

/** A session with its user and organisation, by the SHA-256 of its token. */
export async function findSessionWithUser(
  db: Db,
  id: string,
): Promise<{ session: SessionRow; user: UserRow; org: OrganisationRow } | undefined> {
  const session = await db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst()
  if (session === undefined) {
    return undefined
  }
  const found = await findUserWithOrganisation(db, session.user_id)
  return found === undefined ? undefined : { session, ...found }
}

/** Marks a session as seen. */
export async function touchSession(db: Db, id: string, at: string): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: at }).where('id', '=', id).execute()
}

/** Deletes one session. */
export async function deleteSession(db: Db | Trx, id: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', id).execute()
}

/** Deletes every session of a user except, optionally, one. */
export async function deleteUserSessions(db: Db | Trx, userId: string, exceptId?: string): Promise<void> {
  let query = db.deleteFrom('sessions').where('user_id', '=', userId)
  if (exceptId !== undefined) {
    query = query.where('id', '!=', exceptId)
  }
  await query.execute()
}

/** Deletes sessions that expired before `at`. */
export async function deleteExpiredSessions(db: Db, at: string): Promise<void> {
  await db.deleteFrom('sessions').where('expires_at', '<', at).execute()
}

/** The failure counter for a throttle key. */
export async function findThrottle(
  db: Db | Trx,
  key: string,
): Promise<{ window_start: string; failures: number } | undefined> {
  return db
    .selectFrom('login_throttle')
    .select(['window_start', 'failures'])
    .where('key', '=', key)
    .executeTakeFirst()
}

/** Sets the failure counter for a throttle key. */
export async function upsertThrottle(
  db: Db | Trx,
  key: string,
  windowStart: string,
  failures: number,
): Promise<void> {
  await db
    .insertInto('login_throttle')
    .values({ key, window_start: windowStart, failures })
    .onConflict((oc) => oc.column('key').doUpdateSet({ window_start: windowStart, failures }))
    .execute()
}

/** Forgets the failures of a throttle key. */
export async function deleteThrottle(db: Db | Trx, key: string): Promise<void> {
  await db.deleteFrom('login_throttle').where('key', '=', key).execute()
}
