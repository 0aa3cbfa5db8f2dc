import { keepPreviousData, queryOptions } from '@tanstack/react-query'
import type { DocumentWire } from '../../../src/core/knowledge/knowledge.schema.js'
import { api, type ListWire } from '../lib/api.client.js'
import type { LabelInput } from '../trust/label.constants.js'

/** One of the kinds of document in the repository. */
export type DocumentKind = DocumentWire['kind']

/** Display names of the document kinds; `Record<…>` makes tsc fail when core gains a kind. */
export const DOCUMENT_KIND_LABELS: Record<DocumentKind, string> = {
  tool: 'Tool',
  methodology: 'Methodology',
  form: 'Form',
  procedure: 'Procedure',
  other: 'Other',
}

/** True when `value` is a known document kind. */
export function isDocumentKind(value: unknown): value is DocumentKind {
  return typeof value === 'string' && Object.hasOwn(DOCUMENT_KIND_LABELS, value)
}

/** Document kinds as select options. */
export const DOCUMENT_KIND_OPTIONS = Object.entries(DOCUMENT_KIND_LABELS).map(([value, label]) => ({
  value,
  label,
}))

/** Query key of everything about documents; invalidate it after any change to one. */
export const DOCUMENTS_KEY = ['documents'] as const

/** How many documents a page of the list shows. */
export const DOCUMENTS_PAGE_SIZE = 20

/** What the document list is filtered by. */
export interface DocumentFilter {
  /** Words the title contains. */
  q?: string
  kind?: DocumentKind
  /** 1-based page number. */
  page?: number
}

/** One page of the documents the caller may see, newest first, with the total. */
export function documentsQuery({ q, kind, page = 1 }: DocumentFilter) {
  const params = new URLSearchParams()
  if (q !== undefined && q !== '') {
    params.set('q', q)
  }
  if (kind !== undefined) {
    params.set('kind', kind)
  }
  params.set('limit', String(DOCUMENTS_PAGE_SIZE))
  params.set('offset', String((page - 1) * DOCUMENTS_PAGE_SIZE))
  return queryOptions({
    queryKey: [...DOCUMENTS_KEY, 'list', { q: q ?? '', kind: kind ?? null, page }] as const,
    queryFn: ({ signal }) =>
      api<ListWire<DocumentWire>>(`/api/v1/knowledge/documents?${params.toString()}`, { signal }),
    // Typing in the search box should not blank the table between answers.
    placeholderData: keepPreviousData,
  })
}

/** One document; 404 when it is missing or the caller may not see it (the two look the same). */
export function documentQuery(id: string) {
  return queryOptions({
    queryKey: [...DOCUMENTS_KEY, id] as const,
    queryFn: ({ signal }) =>
      api<DocumentWire>(`/api/v1/knowledge/documents/${encodeURIComponent(id)}`, { signal }),
  })
}

/** Body of `POST /api/v1/knowledge/documents`. */
export interface CreateDocumentRequest {
  title: string
  kind: DocumentKind
  /** Plain text or Markdown, shown as written. */
  body: string
  label: LabelInput
}

/** Creates a document under a sharing label owned by the caller's organisation. */
export function createDocument(input: CreateDocumentRequest): Promise<DocumentWire> {
  return api<DocumentWire>('/api/v1/knowledge/documents', { method: 'POST', body: input })
}

/** Changes a document's title, kind or body (its owner organisation, not viewers). */
export function updateDocument(
  id: string,
  patch: { title?: string; kind?: DocumentKind; body?: string },
): Promise<DocumentWire> {
  return api<DocumentWire>(`/api/v1/knowledge/documents/${encodeURIComponent(id)}`, {
    method: 'PATCH',
    body: patch,
  })
}

/** Changes a document's sharing label; a downgrade needs a reason, which the audit log keeps. */
export function changeDocumentLabel(
  id: string,
  input: { label: LabelInput; reason?: string },
): Promise<DocumentWire> {
  return api<DocumentWire>(`/api/v1/knowledge/documents/${encodeURIComponent(id)}/label`, {
    method: 'PUT',
    body: input,
  })
}
