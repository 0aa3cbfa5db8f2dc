import { queryOptions, type QueryClient } from '@tanstack/react-query'
import type { MeWire } from '../../../src/core/account/account.schema.js'
import { api, setCsrfToken } from '../lib/api.client.js'

/** Query key of the caller (`GET /api/v1/me`). */
export const ME_KEY = ['me'] as const

/** The caller as `GET /api/v1/me` describes them; also refreshes the CSRF token. */
export const meQuery = queryOptions({
  queryKey: ME_KEY,
  queryFn: async ({ signal }) => {
    const me = await api<MeWire>('/api/v1/me', { signal })
    setCsrfToken(me.csrfToken)
    return me
  },
  // The caller changes only through this app (login, password change), which writes the cache itself.
  staleTime: Infinity,
})

/** Stores a fresh `Me` answer (login, password change) in the cache and keeps its CSRF token. */
export function rememberMe(queryClient: QueryClient, me: MeWire): void {
  setCsrfToken(me.csrfToken)
  queryClient.setQueryData(ME_KEY, me)
}

/** Forgets everything learnt during the session (after logout or when the session has expired). */
export function forgetSession(queryClient: QueryClient): void {
  setCsrfToken(null)
  queryClient.clear()
}

/** Signs in with e-mail and password (`POST /api/v1/auth/login`). */
export function login(input: { email: string; password: string }): Promise<MeWire> {
  return api<MeWire>('/api/v1/auth/login', { method: 'POST', body: input })
}

/** Ends the session (`POST /api/v1/auth/logout`). */
export async function logout(): Promise<void> {
  await api<null>('/api/v1/auth/logout', { method: 'POST' })
}

/** Changes the caller's password (`POST /api/v1/auth/password`). */
export function changePassword(input: { currentPassword: string; newPassword: string }): Promise<MeWire> {
  return api<MeWire>('/api/v1/auth/password', { method: 'POST', body: input })
}
