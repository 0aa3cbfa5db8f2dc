import type { Db, Trx } from '../../store/store.js'
import type { OrganisationRow } from '../org/org.table.js'
import { findUserWithOrganisation } from '../user/user.repository.js'
import type { UserRow } from '../user/user.table.js'
import type { ApiKeyRow } from './apikey.table.js'

/** Inserts an API key. */
export async function insertApiKey(db: Db | Trx, row: ApiKeyRow): Promise<void> {
  await db.insertInto('api_keys').values(row).execute()
}

/** One API key by id. */
export async function findApiKeyById(db: Db | Trx, id: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst()
}

/** An API key with its user and organisation, by the SHA-256 of its token. */
export async function findApiKeyWithUser(
  db: Db,
  tokenHash: string,
): Promise<{ key: ApiKeyRow; user: UserRow; org: OrganisationRow } | undefined> {
  const key = await db
    .selectFrom('api_keys')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst()
  if (key === undefined) {
    return undefined
  }
  const found = await findUserWithOrganisation(db, key.user_id)
  return found === undefined ? undefined : { key, ...found }
}

/** A user's API keys, newest first. */
export async function findApiKeysOfUser(db: Db, userId: string): Promise<ApiKeyRow[]> {
  return db
    .selectFrom('api_keys')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .execute()
}

/** Sets fields of one API key. */
export async function updateApiKeyRow(db: Db | Trx, id: string, change: Partial<ApiKeyRow>): Promise<void> {
  await db.updateTable('api_keys').set(change).where('id', '=', id).execute()
}
