import { Role } from '../../../core/account/account.js'
import { Actor } from '../../../core/account/principal.js'
import type { CollectionRolesInput } from '../../../core/taxii/taxii.admin.schema.js'
import { Audience } from '../../../core/trust/label.js'
import { badInput, forbidden, notFound } from '../../errors.js'
import type { Db } from '../../store/store.js'
import { findAllGroupIds, findGroupsByIds } from '../group/group.repository.js'
import { findAllCollectionsOfRoot, type CollectionRolesRow } from './taxii.admin.repository.js'
import { findCollectionByIdOrAlias } from './taxii.repository.js'
import { ensureGroupCollections, setCollectionRoles } from './taxii.service.js'

/** A TAXII collection with the roles that may read and write it, as instance admins manage it. */
export interface CollectionRoles {
  readonly id: string
  readonly alias: string
  /** Its title; a sharing group's collection is named after the group. */
  readonly title: string
  readonly audience: Audience
  /** For `group` collections: the sharing group. */
  readonly sharingGroupId: string | null
  readonly readRoles: readonly Role[]
  readonly writeRoles: readonly Role[]
}

function assertManagesCollections(actor: Actor): void {
  if (!Actor.managesInstance(actor)) {
    throw forbidden('only instance admins set who may read and write TAXII collections')
  }
}

function storedRoles(json: string): Role[] {
  const parsed: unknown = JSON.parse(json)
  return Array.isArray(parsed) ? parsed.filter((r) => Role.is(r)) : []
}

async function toCollectionRoles(db: Db, rows: readonly CollectionRolesRow[]): Promise<CollectionRoles[]> {
  const groupIds = rows.flatMap((r) => (r.sharing_group_id === null ? [] : [r.sharing_group_id]))
  const names = new Map((await findGroupsByIds(db, groupIds)).map((g) => [g.id, g.name]))
  return rows.map((row) => {
    if (!Audience.is(row.audience)) {
      throw new Error(`TAXII collection ${row.id} holds an unknown audience`)
    }
    const group = row.sharing_group_id
    return {
      id: row.id,
      alias: row.alias,
      title: row.title ?? `Sharing group ${group === null ? '' : (names.get(group) ?? group)}`,
      audience: row.audience,
      sharingGroupId: group,
      readRoles: storedRoles(row.read_roles),
      writeRoles: storedRoles(row.write_roles),
    }
  })
}

/**
 * Every collection of an API root with the roles that may read and write it, for instance admins and
 * CLI operators: the audience collections, and the collection of every sharing group (made here for
 * a group none of whose members has used TAXII yet), whether or not the admin's organisation is in
 * the group.
 */
export async function listCollectionRoles(
  db: Db,
  actor: Actor,
  apiRoot: string,
  now = new Date(),
): Promise<CollectionRoles[]> {
  assertManagesCollections(actor)
  await ensureGroupCollections(db, apiRoot, await findAllGroupIds(db), now)
  return toCollectionRoles(db, await findAllCollectionsOfRoot(db, apiRoot))
}

/** The roles of a list, or a 400 naming the field and the first name that is no role. */
function rolesOf(field: 'readRoles' | 'writeRoles', names: readonly string[]): Role[] {
  const roles: Role[] = []
  for (const name of names) {
    if (!Role.is(name)) {
      throw badInput(field, `unknown role ${name}`)
    }
    roles.push(name)
  }
  return roles
}

/**
 * Replaces the roles that may read and write a collection (by id or alias), checked in this order:
 * instance admin or CLI operator (403), the collection exists (404), every name is a role (400 naming
 * `readRoles` or `writeRoles`). Written and audited by `setCollectionRoles`
 * (`taxii.collection_roles_changed`); answers the collection as it now is.
 */
export async function changeCollectionRoles(
  db: Db,
  actor: Actor,
  apiRoot: string,
  idOrAlias: string,
  input: CollectionRolesInput,
  now = new Date(),
): Promise<CollectionRoles> {
  assertManagesCollections(actor)
  await ensureGroupCollections(db, apiRoot, await findAllGroupIds(db), now)
  const row = await findCollectionByIdOrAlias(db, apiRoot, idOrAlias)
  if (row === undefined) {
    throw notFound('collection', idOrAlias)
  }
  const roles = {
    readRoles: rolesOf('readRoles', input.readRoles),
    writeRoles: rolesOf('writeRoles', input.writeRoles),
  }
  await setCollectionRoles(db, actor, apiRoot, row.id, roles, now)
  const after = await findCollectionByIdOrAlias(db, apiRoot, row.id)
  const [changed] = await toCollectionRoles(db, after === undefined ? [] : [after])
  if (changed === undefined) {
    throw notFound('collection', idOrAlias)
  }
  return changed
}
