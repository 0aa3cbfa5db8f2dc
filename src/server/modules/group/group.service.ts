import { randomUUID } from 'node:crypto'
import {
  CreateGroupBody,
  UpdateGroupBody,
  type CreateGroupInput,
  type UpdateGroupInput,
} from '../../../core/trust/group.schema.js'
import type { Actor } from '../../../core/account/principal.js'
import { badInput, conflict, forbidden, notFound } from '../../errors.js'
import type { Db } from '../../store/store.js'
import { validateInput } from '../../validation.js'
import { recordAudit } from '../audit/audit.service.js'
import { findOrganisationById } from '../org/org.repository.js'
import {
  deleteGroupMember,
  findAllGroups,
  findGroupById,
  findGroupMembers,
  findGroupsOfOrg,
  insertGroup,
  insertGroupMember,
  isGroupMember,
  updateGroupRow,
} from './group.repository.js'
import type { SharingGroupRow } from './group.table.js'

/** A group as the caller may see it: members only when its membership is not hidden from them. */
export interface GroupView {
  readonly group: SharingGroupRow
  readonly ownerOrgName: string
  readonly members: { org_id: string; name: string; type: string; country: string | null }[] | null
  readonly memberCount: number | null
  readonly yourOrgIsMember: boolean
  readonly canManage: boolean
}

/** Admins and coordinators of the owner organisation manage a group; so do instance admins and CLI operators. */
export function canManageGroup(actor: Actor, group: Pick<SharingGroupRow, 'owner_org_id'>): boolean {
  if (actor.kind === 'cli' || actor.isInstanceAdmin) {
    return true
  }
  return actor.orgId === group.owner_org_id && (actor.role === 'admin' || actor.role === 'coordinator')
}

/** Builds what the actor may see of a group, or null when the group is invisible to them. */
async function viewGroup(db: Db, actor: Actor, group: SharingGroupRow): Promise<GroupView | null> {
  const isOwner = actor.kind === 'user' && actor.orgId === group.owner_org_id
  const isMember = actor.kind === 'user' && (await isGroupMember(db, group.id, actor.orgId))
  // The group exists for its owner and members only; instance admins are no exception (no bypass).
  if (actor.kind === 'user' && !isOwner && !isMember) {
    return null
  }
  const owner = await findOrganisationById(db, group.owner_org_id)
  const canManage = (isOwner || isMember || actor.kind === 'cli') && canManageGroup(actor, group)
  // Those who manage the group must see whom they manage; other members of a hidden group must not.
  const seesMembers = actor.kind === 'cli' || isOwner || canManage || group.hidden_membership === 0
  const members = seesMembers ? await findGroupMembers(db, group.id) : null
  return {
    group,
    ownerOrgName: owner?.name ?? '',
    members,
    memberCount: members === null ? null : members.length,
    yourOrgIsMember: isMember,
    canManage,
  }
}

/** One group the actor may see; 404 otherwise (also for groups that exist but are not theirs). */
export async function getGroup(db: Db, actor: Actor, id: string): Promise<GroupView> {
  const group = await findGroupById(db, id)
  const view = group === undefined ? null : await viewGroup(db, actor, group)
  if (view === null) {
    throw notFound('group', id)
  }
  return view
}

/** Groups the actor's organisation owns or belongs to (every group for CLI operators). */
export async function listGroups(
  db: Db,
  actor: Actor,
  page: { limit: number; offset: number },
): Promise<{ items: GroupView[]; total: number }> {
  const { rows, total } =
    actor.kind === 'cli' ? await findAllGroups(db, page) : await findGroupsOfOrg(db, actor.orgId, page)
  const items: GroupView[] = []
  for (const row of rows) {
    const view = await viewGroup(db, actor, row)
    if (view !== null) {
      items.push(view)
    }
  }
  return { items, total }
}

/**
 * Creates a sharing group managed by the caller's organisation (instance admins and CLI operators
 * may name another owner). The owner organisation is always a member.
 */
export async function createGroup(
  db: Db,
  actor: Actor,
  input: CreateGroupInput,
  now = new Date(),
): Promise<GroupView> {
  const valid = validateInput(CreateGroupBody, input)
  let ownerOrgId: string
  if (valid.ownerOrgId !== undefined) {
    if (actor.kind === 'user' && !actor.isInstanceAdmin && valid.ownerOrgId !== actor.orgId) {
      throw forbidden('only instance admins create groups for another organisation')
    }
    ownerOrgId = valid.ownerOrgId
  } else if (actor.kind === 'user') {
    ownerOrgId = actor.orgId
  } else {
    throw badInput('ownerOrgId', 'is required')
  }
  if (!canManageGroup(actor, { owner_org_id: ownerOrgId })) {
    throw forbidden('only admins and coordinators create sharing groups')
  }
  const members = [...new Set([ownerOrgId, ...(valid.memberOrgIds ?? [])])]
  const at = now.toISOString()
  const group: SharingGroupRow = {
    id: randomUUID(),
    name: valid.name.trim(),
    description: valid.description?.trim() || null,
    owner_org_id: ownerOrgId,
    hidden_membership: valid.hiddenMembership === true ? 1 : 0,
    created_at: at,
    updated_at: at,
  }
  await db.transaction().execute(async (trx) => {
    for (const orgId of members) {
      if ((await findOrganisationById(trx, orgId)) === undefined) {
        throw badInput(
          orgId === ownerOrgId ? 'ownerOrgId' : 'memberOrgIds',
          `organisation ${orgId} not found`,
        )
      }
    }
    await insertGroup(trx, group)
    for (const orgId of members) {
      await insertGroupMember(trx, group.id, orgId, at)
    }
    await recordAudit(
      trx,
      actor,
      {
        action: 'group.created',
        targetType: 'group',
        targetId: group.id,
        details: { name: group.name, ownerOrgId, hiddenMembership: group.hidden_membership === 1, members },
      },
      now,
    )
  })
  return getGroup(db, actor, group.id)
}

async function managedGroup(db: Db, actor: Actor, id: string): Promise<SharingGroupRow> {
  const view = await getGroup(db, actor, id)
  if (!view.canManage) {
    throw forbidden('only admins and coordinators of the owner organisation manage this group')
  }
  return view.group
}

/** Renames a group, changes its description, or hides / shows its membership. */
export async function updateGroup(
  db: Db,
  actor: Actor,
  id: string,
  input: UpdateGroupInput,
  now = new Date(),
): Promise<GroupView> {
  const valid = validateInput(UpdateGroupBody, input)
  const group = await managedGroup(db, actor, id)
  const change: Partial<SharingGroupRow> = { updated_at: now.toISOString() }
  if (valid.name !== undefined) {
    change.name = valid.name.trim()
  }
  if (valid.description !== undefined) {
    change.description = valid.description === null ? null : valid.description.trim() || null
  }
  if (valid.hiddenMembership !== undefined) {
    change.hidden_membership = valid.hiddenMembership ? 1 : 0
  }
  await db.transaction().execute(async (trx) => {
    await updateGroupRow(trx, id, change)
    await recordAudit(
      trx,
      actor,
      {
        action: 'group.updated',
        targetType: 'group',
        targetId: id,
        details: {
          before: {
            name: group.name,
            description: group.description,
            hiddenMembership: group.hidden_membership === 1,
          },
          after: valid,
        },
      },
      now,
    )
  })
  return getGroup(db, actor, id)
}

/** Adds an organisation to a group. */
export async function addGroupMember(
  db: Db,
  actor: Actor,
  id: string,
  orgId: string,
  now = new Date(),
): Promise<GroupView> {
  await managedGroup(db, actor, id)
  await db.transaction().execute(async (trx) => {
    if ((await findOrganisationById(trx, orgId)) === undefined) {
      throw badInput('orgId', `organisation ${orgId} not found`)
    }
    if (await isGroupMember(trx, id, orgId)) {
      throw conflict('orgId', `organisation ${orgId} is already a member`)
    }
    await insertGroupMember(trx, id, orgId, now.toISOString())
    await recordAudit(
      trx,
      actor,
      { action: 'group.member_added', targetType: 'group', targetId: id, details: { orgId } },
      now,
    )
  })
  return getGroup(db, actor, id)
}

/** Removes an organisation from a group; the owner organisation stays. */
export async function removeGroupMember(
  db: Db,
  actor: Actor,
  id: string,
  orgId: string,
  now = new Date(),
): Promise<GroupView> {
  const group = await managedGroup(db, actor, id)
  if (orgId === group.owner_org_id) {
    throw badInput('orgId', 'the owner organisation cannot leave its own group')
  }
  await db.transaction().execute(async (trx) => {
    if (!(await isGroupMember(trx, id, orgId))) {
      throw notFound('member', orgId)
    }
    await deleteGroupMember(trx, id, orgId)
    await recordAudit(
      trx,
      actor,
      { action: 'group.member_removed', targetType: 'group', targetId: id, details: { orgId } },
      now,
    )
  })
  // An actor who removed their own organisation no longer sees the group: answer with what is left.
  return getGroup(db, actor, id)
}

/** Finds a group by id or name (for the CLI); 404 when neither matches. */
export async function resolveGroup(db: Db, ref: string): Promise<SharingGroupRow> {
  const byId = /^[0-9a-f-]{36}$/i.test(ref) ? await findGroupById(db, ref) : undefined
  const row =
    byId ??
    (await db
      .selectFrom('sharing_groups')
      .selectAll()
      .where((eb) => eb(eb.fn('lower', ['name']), '=', ref.trim().toLowerCase()))
      .executeTakeFirst())
  if (row === undefined) {
    throw notFound('group', ref)
  }
  return row
}
