import { queryOptions } from '@tanstack/react-query'
import { api } from '../lib/api.client.js'

/** What `GET /api/v1/health` returns. */
export interface HealthWire {
  /** `degraded` (with HTTP 503) when the store does not answer. */
  status: 'ok' | 'degraded'
  version: string
  store: 'sqlite' | 'postgres'
  instanceName: string
}

/** The instance's health, version and name (public endpoint). */
export const healthQuery = queryOptions({
  queryKey: ['health'] as const,
  queryFn: ({ signal }) => api<HealthWire>('/api/v1/health', { signal, acceptStatuses: [503] }),
  staleTime: 5 * 60_000,
})
