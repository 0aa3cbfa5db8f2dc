import { keepPreviousData, queryOptions } from '@tanstack/react-query'
import {
  DIRECTIONS,
  RECEIPT_STATUSES,
  type Direction,
  type ReceiptStatus,
} from '../../../src/core/federation/federation.js'
import type {
  CreatePeerInput,
  PeerCredentials,
  PeerWire,
  PullLabel,
  ReceiptWire,
  SyncSummary,
  UpdatePeerInput,
} from '../../../src/core/federation/federation.schema.js'
import { api, type ListWire } from '../lib/api.client.js'

export type {
  CreatePeerInput,
  PeerCredentials,
  PeerWire,
  PullLabel,
  ReceiptWire,
  SyncSummary,
  UpdatePeerInput,
}

/** Query key of everything federation shows. */
export const FEDERATION_KEY = ['federation'] as const

/** How many receipts a page shows. */
export const RECEIPTS_PAGE_SIZE = 50

/** The federation page's state in its URL: the chosen peer and the receipts' filters and page. */
export interface FederationSearch {
  peer?: string
  status?: ReceiptStatus
  direction?: Direction
  page?: number
}

/** Reads {@link FederationSearch} from the URL's search parameters, dropping what does not fit. */
export function parseFederationSearch(search: Record<string, unknown>): FederationSearch {
  const out: FederationSearch = {}
  if (typeof search.peer === 'string' && /^[0-9a-f-]{36}$/i.test(search.peer)) {
    out.peer = search.peer
  }
  const status = RECEIPT_STATUSES.find((s) => s === search.status)
  if (status !== undefined) {
    out.status = status
  }
  const direction = DIRECTIONS.find((d) => d === search.direction)
  if (direction !== undefined) {
    out.direction = direction
  }
  const page = Number(search.page)
  if (Number.isInteger(page) && page > 1) {
    out.page = page
  }
  return out
}

/** Every peer with its lag, last error and the counts of the receipts the caller may see. */
export const peersQuery = queryOptions({
  queryKey: [...FEDERATION_KEY, 'peers'],
  queryFn: ({ signal }) => api<ListWire<PeerWire>>('/api/v1/federation/peers', { signal }),
  // Lag grows while the page is open.
  refetchInterval: 30_000,
})

/** One page of a peer's receipts, newest first, filtered. */
export function receiptsQuery(peerId: string, search: FederationSearch) {
  const params = new URLSearchParams({
    peerId,
    limit: String(RECEIPTS_PAGE_SIZE),
    offset: String(((search.page ?? 1) - 1) * RECEIPTS_PAGE_SIZE),
  })
  if (search.status !== undefined) {
    params.set('status', search.status)
  }
  if (search.direction !== undefined) {
    params.set('direction', search.direction)
  }
  return queryOptions({
    queryKey: [
      ...FEDERATION_KEY,
      'receipts',
      peerId,
      search.status ?? '',
      search.direction ?? '',
      search.page ?? 1,
    ],
    queryFn: ({ signal }) =>
      api<ListWire<ReceiptWire>>(`/api/v1/federation/receipts?${params.toString()}`, { signal }),
    placeholderData: keepPreviousData,
  })
}

/** How many receipts of one object the object page shows. */
export const OBJECT_RECEIPTS_LIMIT = 100

/** The receipts of one object across every peer (the versions the caller may see), newest first. */
export function objectReceiptsQuery(objectId: string) {
  const params = new URLSearchParams({ objectId, limit: String(OBJECT_RECEIPTS_LIMIT) })
  return queryOptions({
    queryKey: [...FEDERATION_KEY, 'object-receipts', objectId],
    queryFn: ({ signal }) =>
      api<ListWire<ReceiptWire>>(`/api/v1/federation/receipts?${params.toString()}`, { signal }),
  })
}

/** Syncs a peer now (instance admins); answers when the sync is done. */
export function syncPeerNow(peerId: string): Promise<SyncSummary> {
  return api<SyncSummary>(`/api/v1/federation/peers/${encodeURIComponent(peerId)}/sync`, { method: 'POST' })
}

/** A lag in words: `12 s`, `4 min`, `3 h`, `2 d`; `—` when nothing waits. */
export function formatLag(seconds: number | null): string {
  if (seconds === null) {
    return '—'
  }
  if (seconds < 60) {
    return `${Math.round(seconds)} s`
  }
  if (seconds < 3600) {
    return `${Math.round(seconds / 60)} min`
  }
  if (seconds < 2 * 86400) {
    return `${Math.round(seconds / 3600)} h`
  }
  return `${Math.round(seconds / 86400)} d`
}

/** Adds a peer (instance admins); its credentials are sealed by the server and never come back. */
export function createPeer(input: CreatePeerInput): Promise<PeerWire> {
  return api<PeerWire>('/api/v1/federation/peers', { method: 'POST', body: input })
}

/** Changes a peer (instance admins); credentials are replaced only when given. */
export function updatePeer(peerId: string, patch: UpdatePeerInput): Promise<PeerWire> {
  return api<PeerWire>(`/api/v1/federation/peers/${encodeURIComponent(peerId)}`, {
    method: 'PATCH',
    body: patch,
  })
}

/** Removes a peer with its cursors and receipts (instance admins); what it sent stays. */
export function deletePeer(peerId: string): Promise<null> {
  return api<null>(`/api/v1/federation/peers/${encodeURIComponent(peerId)}`, { method: 'DELETE' })
}
