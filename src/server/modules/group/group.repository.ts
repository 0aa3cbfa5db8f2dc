import type { Db, Trx } from '../../store/store.js'
import type { SharingGroupRow } from './group.table.js'

/** Ids of the sharing groups an organisation belongs to. */
export async function findGroupIdsOfOrg(db: Db | Trx, orgId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('sharing_group_members')
    .select('group_id')
    .where('org_id', '=', orgId)
    .execute()
  return rows.map((r) => r.group_id)
}

/** Inserts a group. */
export async function insertGroup(db: Trx, row: SharingGroupRow): Promise<void> {
  await db.insertInto('sharing_groups').values(row).execute()
}

/** One group by id. */
export async function findGroupById(db: Db | Trx, id: string): Promise<SharingGroupRow | undefined> {
  return db.selectFrom('sharing_groups').selectAll().where('id', '=', id).executeTakeFirst()
}

/** Groups by id. */
export async function findGroupsByIds(db: Db | Trx, ids: readonly string[]): Promise<SharingGroupRow[]> {
  if (ids.length === 0) {
    return []
  }
  return db.selectFrom('sharing_groups').selectAll().where('id', 'in', ids).execute()
}

/** Groups an organisation owns or belongs to, by name, one page, with the total. */
export async function findGroupsOfOrg(
  db: Db,
  orgId: string,
  page: { limit: number; offset: number },
): Promise<{ rows: SharingGroupRow[]; total: number }> {
  const visible = db
    .selectFrom('sharing_groups')
    .where((eb) =>
      eb.or([
        eb('owner_org_id', '=', orgId),
        eb('id', 'in', eb.selectFrom('sharing_group_members').select('group_id').where('org_id', '=', orgId)),
      ]),
    )
  const [rows, count] = await Promise.all([
    visible.selectAll().orderBy('name').orderBy('id').limit(page.limit).offset(page.offset).execute(),
    visible.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ])
  return { rows, total: Number(count.n) }
}

/** The ids of every sharing group. */
export async function findAllGroupIds(db: Db | Trx): Promise<string[]> {
  const rows = await db.selectFrom('sharing_groups').select('id').execute()
  return rows.map((r) => r.id)
}

/** Every group, by name, one page (CLI operators). */
export async function findAllGroups(
  db: Db,
  page: { limit: number; offset: number },
): Promise<{ rows: SharingGroupRow[]; total: number }> {
  const [rows, count] = await Promise.all([
    db
      .selectFrom('sharing_groups')
      .selectAll()
      .orderBy('name')
      .orderBy('id')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    db
      .selectFrom('sharing_groups')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
  ])
  return { rows, total: Number(count.n) }
}

/** Member organisations of a group, with their directory names, by name. */
export async function findGroupMembers(
  db: Db | Trx,
  groupId: string,
): Promise<{ org_id: string; name: string; type: string; country: string | null }[]> {
  return db
    .selectFrom('sharing_group_members as m')
    .innerJoin('organisations as o', 'o.id', 'm.org_id')
    .select(['m.org_id', 'o.name', 'o.type', 'o.country'])
    .where('m.group_id', '=', groupId)
    .orderBy('o.name_key')
    .execute()
}

/** True when the organisation is a member of the group. */
export async function isGroupMember(db: Db | Trx, groupId: string, orgId: string): Promise<boolean> {
  const row = await db
    .selectFrom('sharing_group_members')
    .select('org_id')
    .where('group_id', '=', groupId)
    .where('org_id', '=', orgId)
    .executeTakeFirst()
  return row !== undefined
}

/** Adds a member organisation. */
export async function insertGroupMember(db: Trx, groupId: string, orgId: string, at: string): Promise<void> {
  await db
    .insertInto('sharing_group_members')
    .values({ group_id: groupId, org_id: orgId, added_at: at })
    .execute()
}

/** Removes a member organisation. */
export async function deleteGroupMember(db: Trx, groupId: string, orgId: string): Promise<void> {
  await db
    .deleteFrom('sharing_group_members')
    .where('group_id', '=', groupId)
    .where('org_id', '=', orgId)
    .execute()
}

/** Changes a group's name, description or hidden flag. */
export async function updateGroupRow(db: Trx, id: string, change: Partial<SharingGroupRow>): Promise<void> {
  await db.updateTable('sharing_groups').set(change).where('id', '=', id).execute()
}
