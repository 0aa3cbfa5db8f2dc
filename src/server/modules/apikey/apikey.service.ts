import { randomUUID } from 'node:crypto'
import { CreateApiKeyBody, type CreateApiKeyInput } from '../../../core/account/account.schema.js'
import { Actor } from '../../../core/account/principal.js'
import { badInput, conflict, notFound } from '../../errors.js'
import { randomToken, sha256Hex } from '../../secrets.js'
import type { Db } from '../../store/store.js'
import { validateInput } from '../../validation.js'
import { recordAudit } from '../audit/audit.service.js'
import { loadPrincipal } from '../auth/auth.service.js'
import type { Authenticated } from '../auth/principal.js'
import { findUserById } from '../user/user.repository.js'
import type { UserRow } from '../user/user.table.js'
import {
  findApiKeyById,
  findApiKeysOfUser,
  findApiKeyWithUser,
  insertApiKey,
  updateApiKeyRow,
} from './apikey.repository.js'
import type { ApiKeyRow } from './apikey.table.js'

/** Tokens start with this, so secret scanners and people recognise them. */
export const API_KEY_PREFIX = 'lsn_'

/** A new key and its token: the token is shown this once and never stored. */
export interface CreatedApiKey {
  readonly key: ApiKeyRow
  readonly token: string
}

/**
 * Creates an API key that acts as a user: the actor's own by default; admins (of the user's
 * organisation or the instance) and CLI operators may name another user.
 */
export async function createApiKey(
  db: Db,
  actor: Actor,
  input: CreateApiKeyInput,
  now = new Date(),
): Promise<CreatedApiKey> {
  const valid = validateInput(CreateApiKeyBody, input)
  const userId = valid.userId ?? (actor.kind === 'user' ? actor.userId : undefined)
  if (userId === undefined) {
    throw badInput('userId', 'is required')
  }
  const user = await findManagedUser(db, actor, userId)
  if (valid.expiresAt !== undefined && Date.parse(valid.expiresAt) <= now.getTime()) {
    throw badInput('expiresAt', 'must be in the future')
  }
  const token = `${API_KEY_PREFIX}${randomToken(32)}`
  const key: ApiKeyRow = {
    id: randomUUID(),
    user_id: user.id,
    name: valid.name.trim(),
    prefix: token.slice(0, 10),
    token_hash: sha256Hex(token),
    created_at: now.toISOString(),
    last_used_at: null,
    expires_at: valid.expiresAt === undefined ? null : new Date(valid.expiresAt).toISOString(),
    revoked_at: null,
  }
  await db.transaction().execute(async (trx) => {
    await insertApiKey(trx, key)
    await recordAudit(
      trx,
      actor,
      {
        action: 'apikey.created',
        targetType: 'apikey',
        targetId: key.id,
        details: { name: key.name, userId: user.id, prefix: key.prefix, expiresAt: key.expires_at },
      },
      now,
    )
  })
  return { key, token }
}

/** The API keys of a user the actor manages (the actor's own by default). */
export async function listApiKeys(db: Db, actor: Actor, userId?: string): Promise<ApiKeyRow[]> {
  const id = userId ?? (actor.kind === 'user' ? actor.userId : undefined)
  if (id === undefined) {
    throw badInput('userId', 'is required')
  }
  const user = await findManagedUser(db, actor, id)
  return findApiKeysOfUser(db, user.id)
}

/** Revokes a key: the owner, admins managing the owner, or a CLI operator. Revoking twice is a 409. */
export async function revokeApiKey(db: Db, actor: Actor, id: string, now = new Date()): Promise<ApiKeyRow> {
  return db.transaction().execute(async (trx) => {
    const key = await findApiKeyById(trx, id)
    const owner = key === undefined ? undefined : await findUserById(trx, key.user_id)
    if (key === undefined || owner === undefined || !mayManageKeysOf(actor, owner)) {
      throw notFound('apikey', id)
    }
    if (key.revoked_at !== null) {
      throw conflict('id', `API key ${id} is already revoked`)
    }
    const at = now.toISOString()
    await updateApiKeyRow(trx, id, { revoked_at: at })
    await recordAudit(
      trx,
      actor,
      {
        action: 'apikey.revoked',
        targetType: 'apikey',
        targetId: id,
        details: { userId: owner.id, prefix: key.prefix },
      },
      now,
    )
    return { ...key, revoked_at: at }
  })
}

/** Resolves a bearer token; null when unknown, revoked, expired, or its user is disabled. */
export async function authenticateApiKey(
  db: Db,
  token: string,
  now = new Date(),
): Promise<Authenticated | null> {
  if (!token.startsWith(API_KEY_PREFIX)) {
    return null
  }
  const found = await findApiKeyWithUser(db, sha256Hex(token))
  if (found === undefined) {
    return null
  }
  const { key, user, org } = found
  if (key.revoked_at !== null || user.disabled === 1) {
    return null
  }
  if (key.expires_at !== null && key.expires_at <= now.toISOString()) {
    return null
  }
  // Record use at most once a minute, so heavy API clients do not turn every read into a write.
  if (key.last_used_at === null || now.getTime() - Date.parse(key.last_used_at) > 60_000) {
    await updateApiKeyRow(db, key.id, { last_used_at: now.toISOString() })
  }
  return {
    principal: await loadPrincipal(db, user, org, 'apikey'),
    user,
    org,
    session: null,
  }
}

async function findManagedUser(db: Db, actor: Actor, userId: string): Promise<UserRow> {
  const user = await findUserById(db, userId)
  if (user === undefined || !mayManageKeysOf(actor, user)) {
    throw notFound('user', userId)
  }
  return user
}

function mayManageKeysOf(actor: Actor, user: UserRow): boolean {
  if (actor.kind === 'user' && actor.userId === user.id) {
    return true
  }
  return Actor.managesOrg(actor, user.org_id)
}
