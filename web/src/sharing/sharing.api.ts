import { queryOptions } from '@tanstack/react-query'
import type { CreateGroupInput, GroupWire, UpdateGroupInput } from '../../../src/core/trust/group.schema.js'
import { api, type ListWire } from '../lib/api.client.js'

/** Query key of everything about sharing groups; invalidate it after any change to a group. */
export const GROUPS_KEY = ['groups'] as const

/** The sharing groups the caller's organisation owns or belongs to. */
export const groupsQuery = queryOptions({
  queryKey: GROUPS_KEY,
  queryFn: ({ signal }) => api<ListWire<GroupWire>>('/api/v1/groups?limit=500', { signal }),
})

/** One sharing group; 404 when the caller's organisation is neither its owner nor a member. */
export function groupQuery(id: string) {
  return queryOptions({
    queryKey: [...GROUPS_KEY, id] as const,
    queryFn: ({ signal }) => api<GroupWire>(`/api/v1/groups/${encodeURIComponent(id)}`, { signal }),
  })
}

/** Creates a sharing group owned by the caller's organisation (admins and coordinators). */
export function createGroup(input: CreateGroupInput): Promise<GroupWire> {
  return api<GroupWire>('/api/v1/groups', { method: 'POST', body: input })
}

/** Renames a group, changes its description, or hides or shows its membership. */
export function updateGroup(id: string, patch: UpdateGroupInput): Promise<GroupWire> {
  return api<GroupWire>(`/api/v1/groups/${encodeURIComponent(id)}`, { method: 'PATCH', body: patch })
}

/** Adds a member organisation to a group. */
export function addGroupMember(id: string, orgId: string): Promise<GroupWire> {
  return api<GroupWire>(`/api/v1/groups/${encodeURIComponent(id)}/members`, {
    method: 'POST',
    body: { orgId },
  })
}

/** Removes a member organisation from a group. */
export function removeGroupMember(id: string, orgId: string): Promise<GroupWire> {
  return api<GroupWire>(`/api/v1/groups/${encodeURIComponent(id)}/members/${encodeURIComponent(orgId)}`, {
    method: 'DELETE',
  })
}
