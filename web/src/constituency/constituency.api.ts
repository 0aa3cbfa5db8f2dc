import { queryOptions } from '@tanstack/react-query'
import type { Role } from '../../../src/core/account/account.js'
import type { MeWire } from '../../../src/core/account/account.schema.js'
import type {
  ConstituentWire,
  CreateConstituentInput,
  NotificationWire,
  UpdateConstituentInput,
} from '../../../src/core/constituency/constituency.schema.js'
import { api, type ListWire } from '../lib/api.client.js'

export type { ConstituentWire, NotificationWire }

/** Roles of the instance organisation that read the register (others get 403 from the server). */
export const CONSTITUENCY_READ_ROLES: readonly Role[] = ['admin', 'handler', 'coordinator', 'viewer']
/** Roles that change the register. */
export const CONSTITUENCY_WRITE_ROLES: readonly Role[] = ['admin', 'handler']

/** True when the caller may open the register: a reading role in the instance's own organisation. */
export function canReadConstituency(me: MeWire): boolean {
  return me.organisation.isInstanceOwner && CONSTITUENCY_READ_ROLES.includes(me.user.role)
}

/** True when the caller may change the register. */
export function canWriteConstituency(me: MeWire): boolean {
  return me.organisation.isInstanceOwner && CONSTITUENCY_WRITE_ROLES.includes(me.user.role)
}

/** Query key of everything about the constituency register. */
export const CONSTITUENCY_KEY = ['constituency'] as const

/** Constituents per page of the register. */
export const CONSTITUENTS_PAGE_SIZE = 50

/** One page of the register, filtered by a part of the name. */
export function constituentsQuery(q: string, page: number) {
  const params = new URLSearchParams({
    limit: String(CONSTITUENTS_PAGE_SIZE),
    offset: String((page - 1) * CONSTITUENTS_PAGE_SIZE),
  })
  if (q.trim() !== '') {
    params.set('q', q.trim())
  }
  return queryOptions({
    queryKey: [...CONSTITUENCY_KEY, 'list', q.trim(), page],
    queryFn: ({ signal }) =>
      api<ListWire<ConstituentWire>>(`/api/v1/constituency/constituents?${params.toString()}`, { signal }),
  })
}

/** The latest notifications. */
export const notificationsQuery = queryOptions({
  queryKey: [...CONSTITUENCY_KEY, 'notifications'],
  queryFn: ({ signal }) =>
    api<ListWire<NotificationWire>>('/api/v1/constituency/notifications?limit=50', { signal }),
})

/** Adds a constituent. */
export function createConstituent(input: CreateConstituentInput): Promise<ConstituentWire> {
  return api<ConstituentWire>('/api/v1/constituency/constituents', { method: 'POST', body: input })
}

/** Changes a constituent (range lists given replace that kind). */
export function updateConstituent(id: string, input: UpdateConstituentInput): Promise<ConstituentWire> {
  return api<ConstituentWire>(`/api/v1/constituency/constituents/${id}`, { method: 'PATCH', body: input })
}

/** Deletes a constituent. */
export function deleteConstituent(id: string): Promise<ConstituentWire> {
  return api<ConstituentWire>(`/api/v1/constituency/constituents/${id}`, { method: 'DELETE' })
}

/** What a CSV import did. */
export interface CsvImportWire {
  created: number
  updated: number
  constituents: { line: number; id: string; name: string; action: 'created' | 'updated' }[]
}

/** Imports a constituency CSV (all rows or none). */
export function importConstituencyCsv(csv: string): Promise<CsvImportWire> {
  return api<CsvImportWire>('/api/v1/constituency/import', { method: 'POST', body: { csv } })
}

/** Owners of one value. */
export interface LookupWire {
  value: string
  normalised: string | null
  owners: { constituentId: string; name: string; abuseEmails: string[]; kind: string; matched: string }[]
}

/** Looks up the owner of a value (and the AS it was seen in, for IPs outside every netblock). */
export function lookupOwner(value: string, asn: string): Promise<LookupWire> {
  const params = new URLSearchParams({ value: value.trim() })
  if (asn.trim() !== '') {
    params.set('asn', asn.trim())
  }
  return api<LookupWire>(`/api/v1/constituency/lookup?${params.toString()}`)
}

/** Splits a text field of values (spaces, commas, semicolons, new lines) into a list. */
export function splitValues(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((v) => v.trim())
    .filter((v) => v !== '')
}
