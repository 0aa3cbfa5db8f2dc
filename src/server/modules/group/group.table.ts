import type { Selectable } from 'kysely'

/** `sharing_groups`: trust circles of organisations, managed by an owner organisation. */
export interface SharingGroupTable {
  id: string
  name: string
  description: string | null
  owner_org_id: string
  /** 1: members see the group but not who else is in it. */
  hidden_membership: number
  created_at: string
  updated_at: string
}

/** A row read from `sharing_groups`. */
export type SharingGroupRow = Selectable<SharingGroupTable>

/** `sharing_group_members`: which organisations belong to which group. */
export interface SharingGroupMemberTable {
  group_id: string
  org_id: string
  added_at: string
}
