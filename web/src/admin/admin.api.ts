import { queryOptions } from '@tanstack/react-query'
import type {
  ApiKeyWire,
  AuditEntryWire,
  CreateOrganisationInput,
  OrganisationWire,
  Role,
  UserWire,
} from '../../../src/core/account/account.schema.js'
import { api, type ListWire } from '../lib/api.client.js'

export type { ListWire } from '../lib/api.client.js'
export { organisationsQuery } from '../directory/directory.api.js'

/** Creates an organisation (instance admins only). */
export function createOrganisation(input: CreateOrganisationInput): Promise<OrganisationWire> {
  return api<OrganisationWire>('/api/v1/organisations', { method: 'POST', body: input })
}

/** All users the caller may see. */
export const usersQuery = queryOptions({
  queryKey: ['users'] as const,
  queryFn: ({ signal }) => api<ListWire<UserWire>>('/api/v1/users', { signal }),
})

/** Input of {@link createUser}; without `password` the server generates a one-time password. */
export interface CreateUserRequest {
  email: string
  name: string
  role: Role
  orgId: string
}

/** What `POST /api/v1/users` returns. */
export interface CreatedUserWire {
  user: UserWire
  /** Shown once; null when an initial password was given. */
  oneTimePassword: string | null
}

/** Creates a user. */
export function createUser(input: CreateUserRequest): Promise<CreatedUserWire> {
  return api<CreatedUserWire>('/api/v1/users', { method: 'POST', body: input })
}

/** Changes a user's name, role or disabled flag. */
export function updateUser(
  id: string,
  patch: { name?: string; role?: Role; disabled?: boolean },
): Promise<UserWire> {
  return api<UserWire>(`/api/v1/users/${encodeURIComponent(id)}`, { method: 'PATCH', body: patch })
}

/** The caller's own API keys. */
export const apiKeysQuery = queryOptions({
  queryKey: ['apikeys'] as const,
  queryFn: ({ signal }) => api<{ items: ApiKeyWire[] }>('/api/v1/apikeys', { signal }),
})

/** What `POST /api/v1/apikeys` returns: the key and its token, shown once. */
export interface CreatedApiKeyWire {
  apiKey: ApiKeyWire
  token: string
}

/** Creates an API key for the caller. */
export function createApiKey(input: { name: string; expiresAt?: string }): Promise<CreatedApiKeyWire> {
  return api<CreatedApiKeyWire>('/api/v1/apikeys', { method: 'POST', body: input })
}

/** Revokes one of the caller's API keys. */
export function revokeApiKey(id: string): Promise<ApiKeyWire> {
  return api<ApiKeyWire>(`/api/v1/apikeys/${encodeURIComponent(id)}`, { method: 'DELETE' })
}

/** How many audit entries the audit tab shows. */
export const AUDIT_LIMIT = 50

/** The most recent audit entries, newest first (instance admins only). */
export const auditQuery = queryOptions({
  queryKey: ['audit', AUDIT_LIMIT] as const,
  queryFn: ({ signal }) => api<{ items: AuditEntryWire[] }>(`/api/v1/audit?limit=${AUDIT_LIMIT}`, { signal }),
})

/** Body of the `settings` part of `PATCH /api/v1/organisations/{id}`; `null` days: keep for ever. */
export interface OrganisationSettingsRequest {
  fourEyesRelease?: boolean
  intelRetentionDays?: number | null
}

/** Changes an organisation's intelligence settings (its own admins, instance admins). */
export function updateOrganisationSettings(
  id: string,
  settings: OrganisationSettingsRequest,
): Promise<OrganisationWire> {
  return api<OrganisationWire>(`/api/v1/organisations/${encodeURIComponent(id)}`, {
    method: 'PATCH',
    body: { settings },
  })
}

/** What `GET /api/v1/audit/verify` answers. */
export interface AuditVerificationWire {
  ok: boolean
  entries: number
  headSeq?: number
  headHash?: string
  brokenSeq?: number
  reason?: string
}

/**
 * Checks the whole audit chain (instance admins), with heads recorded elsewhere earlier
 * (`SEQ:HASH`) that must still be in it.
 */
export function verifyAudit(anchors: readonly string[]): Promise<AuditVerificationWire> {
  const params = new URLSearchParams()
  for (const anchor of anchors) {
    params.append('anchor', anchor)
  }
  const query = params.toString()
  return api<AuditVerificationWire>(`/api/v1/audit/verify${query === '' ? '' : `?${query}`}`)
}
