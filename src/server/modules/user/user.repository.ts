import { sql, type SqlBool } from 'kysely'
import type { Db, Trx } from '../../store/store.js'
import { containsText } from '../../store/text.js'
import type { OrganisationRow } from '../org/org.table.js'
import type { NewUserRow, UserRow, UserRowUpdate } from './user.table.js'

/** Inserts a user. */
export async function insertUser(db: Db | Trx, row: NewUserRow): Promise<void> {
  await db.insertInto('users').values(row).execute()
}

/** One user by id. */
export async function findUserById(db: Db | Trx, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
}

/**
 * One user and its organisation, read at the same time (the organisation by the user's row, in a
 * subquery): authenticating every request waits for one round trip to PostgreSQL instead of two.
 */
export async function findUserWithOrganisation(
  db: Db,
  userId: string,
): Promise<{ user: UserRow; org: OrganisationRow } | undefined> {
  const [user, org] = await Promise.all([
    findUserById(db, userId),
    db
      .selectFrom('organisations')
      .selectAll()
      .where('id', '=', db.selectFrom('users').select('org_id').where('id', '=', userId))
      .executeTakeFirst(),
  ])
  // Two reads, not one snapshot: a user moved to another organisation in between is not found.
  return user === undefined || org === undefined || org.id !== user.org_id ? undefined : { user, org }
}

/** One user by e-mail (compared lower-cased). */
export async function findUserByEmail(db: Db | Trx, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email.trim().toLowerCase()).executeTakeFirst()
}

/** Users, optionally of one organisation, by e-mail, one page. */
export async function findUsers(
  db: Db,
  filter: { orgId?: string; limit: number; offset: number },
): Promise<{ rows: UserRow[]; total: number }> {
  let rows = db.selectFrom('users').selectAll().orderBy('email').limit(filter.limit).offset(filter.offset)
  let count = db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n'))
  if (filter.orgId !== undefined) {
    rows = rows.where('org_id', '=', filter.orgId)
    count = count.where('org_id', '=', filter.orgId)
  }
  const [list, total] = await Promise.all([rows.execute(), count.executeTakeFirstOrThrow()])
  return { rows: list, total: Number(total.n) }
}

/** Number of users in the store. */
export async function countUsers(db: Db | Trx): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Applies a change to one user. */
export async function updateUserRow(db: Db | Trx, id: string, change: UserRowUpdate): Promise<void> {
  await db.updateTable('users').set(change).where('id', '=', id).execute()
}

/** Active users whose name or e-mail contains `q` (case-insensitive), with their organisation's name. */
export async function searchPeople(
  db: Db,
  q: string,
  limit: number,
): Promise<{ id: string; name: string; org_id: string; org_name: string }[]> {
  const text = q.trim()
  // E-mail addresses are stored lower-cased.
  const emailPattern = `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
  return db
    .selectFrom('users as u')
    .innerJoin('organisations as o', 'o.id', 'u.org_id')
    .select(['u.id', 'u.name', 'u.org_id', 'o.name as org_name'])
    .where('u.disabled', '=', 0)
    .where((eb) =>
      eb.or([
        containsText(db, sql.ref('u.name'), text),
        sql<SqlBool>`u.email like ${emailPattern} escape '\\'`,
      ]),
    )
    .orderBy('u.name')
    .limit(limit)
    .execute()
}

/** Active users by id, with their organisation's name (to name TLP:RED recipients). */
export async function findPeopleByIds(
  db: Db,
  ids: readonly string[],
): Promise<{ id: string; name: string; org_id: string; org_name: string }[]> {
  if (ids.length === 0) {
    return []
  }
  return db
    .selectFrom('users as u')
    .innerJoin('organisations as o', 'o.id', 'u.org_id')
    .select(['u.id', 'u.name', 'u.org_id', 'o.name as org_name'])
    .where('u.id', 'in', [...ids])
    .where('u.disabled', '=', 0)
    .orderBy('u.name')
    .execute()
}
