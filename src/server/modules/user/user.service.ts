import { randomUUID } from 'node:crypto'
import {
  CreateUserBody,
  UpdateUserBody,
  type CreateUserInput,
  type Role,
  type UpdateUserInput,
} from '../../../core/account/account.schema.js'
import { Actor } from '../../../core/account/principal.js'
import { badInput, conflict, forbidden, notFound } from '../../errors.js'
import { generateOneTimePassword, hashPassword } from '../../secrets.js'
import type { Db, Trx } from '../../store/store.js'
import { validateInput } from '../../validation.js'
import { recordAudit, type AuditActor } from '../audit/audit.service.js'
import { findOrganisationById } from '../org/org.repository.js'
import { findUserByEmail, findUserById, findUsers, insertUser, updateUserRow } from './user.repository.js'
import type { UserRow } from './user.table.js'

/** A new user and, when none was given, the one-time password to hand over (shown once). */
export interface CreatedUser {
  readonly user: UserRow
  readonly oneTimePassword: string | null
}

/** Options that do not come from API input. */
export interface CreateUserOptions {
  /** Whether the user must change the password at first login (default true: someone else chose it). */
  mustChangePassword?: boolean
}

/**
 * Creates a user in an organisation. Instance admins and CLI operators may add users anywhere; an
 * organisation's admins only to their own organisation.
 */
export async function createUser(
  db: Db,
  actor: Actor,
  input: CreateUserInput,
  options: CreateUserOptions = {},
  now = new Date(),
): Promise<CreatedUser> {
  const valid = validateInput(CreateUserBody, input)
  const oneTimePassword = valid.password === undefined ? generateOneTimePassword() : null
  const passwordHash = await hashPassword(valid.password ?? oneTimePassword ?? '')
  return db.transaction().execute(async (trx) => {
    const org = await findOrganisationById(trx, valid.orgId)
    if (org === undefined || !Actor.managesOrg(actor, org.id)) {
      if (org !== undefined && actor.kind === 'user' && actor.orgId === org.id) {
        throw forbidden('only admins add users')
      }
      throw notFound('organisation', valid.orgId)
    }
    const user = await insertNewUser(
      trx,
      actor,
      {
        email: valid.email,
        name: valid.name,
        role: valid.role,
        orgId: org.id,
        passwordHash,
        mustChangePassword: options.mustChangePassword ?? true,
      },
      now,
    )
    return { user, oneTimePassword }
  })
}

/** Inserts a user and its audit entry inside an open transaction (also used at first start). */
export async function insertNewUser(
  trx: Trx,
  actor: AuditActor,
  input: {
    email: string
    name: string
    role: Role
    orgId: string
    passwordHash: string
    mustChangePassword: boolean
  },
  now: Date,
): Promise<UserRow> {
  const email = input.email.trim().toLowerCase()
  if (await findUserByEmail(trx, email)) {
    throw conflict('email', `a user with e-mail ${email} already exists`)
  }
  const at = now.toISOString()
  const user: UserRow = {
    id: randomUUID(),
    org_id: input.orgId,
    email,
    name: input.name.trim(),
    role: input.role,
    password_hash: input.passwordHash,
    must_change_password: input.mustChangePassword ? 1 : 0,
    disabled: 0,
    created_at: at,
    updated_at: at,
    last_login_at: null,
    password_changed_at: null,
  }
  await insertUser(trx, user)
  await recordAudit(
    trx,
    actor,
    {
      action: 'user.created',
      targetType: 'user',
      targetId: user.id,
      details: { email, role: user.role, orgId: user.org_id },
    },
    now,
  )
  return user
}

/** Users the actor may manage or see: all for instance admins, else the actor's own organisation. */
export async function listUsers(
  db: Db,
  actor: Actor,
  filter: { orgId?: string; limit: number; offset: number },
): Promise<{ rows: UserRow[]; total: number }> {
  if (Actor.managesInstance(actor)) {
    return findUsers(db, filter)
  }
  if (actor.kind === 'user' && filter.orgId !== undefined && filter.orgId !== actor.orgId) {
    return { rows: [], total: 0 }
  }
  return findUsers(db, { ...filter, orgId: actor.kind === 'user' ? actor.orgId : filter.orgId })
}

/** One user the actor may see; 404 otherwise. */
export async function getUser(db: Db, actor: Actor, id: string): Promise<UserRow> {
  const user = await findUserById(db, id)
  if (user === undefined || !canSeeUser(actor, user)) {
    throw notFound('user', id)
  }
  return user
}

/** Changes a user's name, role or disabled flag; admins of the user's organisation or of the instance. */
export async function updateUser(
  db: Db,
  actor: Actor,
  id: string,
  input: UpdateUserInput,
  now = new Date(),
): Promise<UserRow> {
  const valid = validateInput(UpdateUserBody, input)
  return db.transaction().execute(async (trx) => {
    const user = await findUserById(trx, id)
    if (user === undefined || !canSeeUser(actor, user)) {
      throw notFound('user', id)
    }
    if (!Actor.managesOrg(actor, user.org_id)) {
      throw forbidden('only admins change users')
    }
    if (
      actor.kind === 'user' &&
      actor.userId === id &&
      (valid.role !== undefined || valid.disabled === true)
    ) {
      throw badInput(
        valid.role !== undefined ? 'role' : 'disabled',
        'you cannot change your own role or disable yourself',
      )
    }
    const change: Partial<UserRow> = { updated_at: now.toISOString() }
    if (valid.name !== undefined) {
      change.name = valid.name.trim()
    }
    if (valid.role !== undefined) {
      change.role = valid.role
    }
    if (valid.disabled !== undefined) {
      change.disabled = valid.disabled ? 1 : 0
    }
    await updateUserRow(trx, id, change)
    if (valid.disabled === true) {
      await trx.deleteFrom('sessions').where('user_id', '=', id).execute()
    }
    await recordAudit(
      trx,
      actor,
      {
        action: 'user.updated',
        targetType: 'user',
        targetId: id,
        details: {
          changed: Object.keys(valid),
          before: { name: user.name, role: user.role, disabled: user.disabled === 1 },
          after: valid,
        },
      },
      now,
    )
    return { ...user, ...change }
  })
}

/** Finds a user by id or e-mail (for the CLI); 404 when neither matches. */
export async function resolveUser(db: Db, ref: string): Promise<UserRow> {
  const user = ref.includes('@') ? await findUserByEmail(db, ref) : await findUserById(db, ref)
  if (user === undefined) {
    throw notFound('user', ref)
  }
  return user
}

function canSeeUser(actor: Actor, user: UserRow): boolean {
  return Actor.managesInstance(actor) || (actor.kind === 'user' && actor.orgId === user.org_id)
}
