import { queryOptions } from '@tanstack/react-query'
import type { OrganisationWire, OrgType } from '../../../src/core/account/account.schema.js'
import { api, type ListWire } from '../lib/api.client.js'

/** The most organisations the directory asks for at once (the server's page limit). */
export const DIRECTORY_LIMIT = 500

/** The organisation directory: every organisation's public profile, and the caller's own private one. */
export const organisationsQuery = queryOptions({
  queryKey: ['organisations'] as const,
  queryFn: ({ signal }) =>
    api<ListWire<OrganisationWire>>(`/api/v1/organisations?limit=${DIRECTORY_LIMIT}`, { signal }),
})

/** One organisation of the directory. */
export function organisationQuery(id: string) {
  return queryOptions({
    queryKey: ['organisations', id] as const,
    queryFn: ({ signal }) =>
      api<OrganisationWire>(`/api/v1/organisations/${encodeURIComponent(id)}`, { signal }),
  })
}

/**
 * Body of `PATCH /api/v1/organisations/{id}`; `null` clears a field. Name, type, country and sector are
 * for instance admins only; the organisation's own admins change the rest.
 */
export interface UpdateOrganisationRequest {
  name?: string
  type?: OrgType
  country?: string | null
  sector?: string | null
  description?: string | null
  /** `http://` or `https://` address. */
  website?: string | null
  /** E-mail address for security reports. */
  securityContact?: string | null
  /** ASCII-armoured OpenPGP public key block. */
  pgpKey?: string | null
  /** Seen only by the organisation's own members. */
  private?: { notes?: string | null; internalContact?: string | null }
}

/** Changes an organisation's profile. */
export function updateOrganisation(id: string, patch: UpdateOrganisationRequest): Promise<OrganisationWire> {
  return api<OrganisationWire>(`/api/v1/organisations/${encodeURIComponent(id)}`, {
    method: 'PATCH',
    body: patch,
  })
}
