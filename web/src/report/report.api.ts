import { keepPreviousData, queryOptions } from '@tanstack/react-query'
import type {
  CreateReportInput,
  ReportStatusWire,
  ReportSummaryWire,
  ReportWire,
} from '../../../src/core/incident/report.schema.js'
import { api, ApiError, getCsrfToken, type ListWire } from '../lib/api.client.js'

/** Where a report stands. */
export type ReportStatus = ReportWire['status']

/** Display names of the report statuses; `Record<…>` makes tsc fail when core gains one. */
export const REPORT_STATUS_LABELS: Record<ReportStatus, string> = {
  new: 'New',
  triaged: 'Triaged',
  closed: 'Closed',
  linked: 'Part of an incident',
}

/** True when `value` is a report status. */
export function isReportStatus(value: unknown): value is ReportStatus {
  return typeof value === 'string' && Object.hasOwn(REPORT_STATUS_LABELS, value)
}

/** Size limits the server applies (see REPORT_LIMITS in core); checked here too, for a quick answer. */
export const MAX_FILES = 10
/** Bytes of one attachment. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024
/** Bytes of all attachments together. */
export const MAX_TOTAL_BYTES = 25 * 1024 * 1024

/** Query key of everything about reports. */
export const REPORTS_KEY = ['reports'] as const

/** How many reports a page of the queue shows. */
export const REPORTS_PAGE_SIZE = 25

/** The tracking id and the secret status link of a submitted report. */
export interface ReportReceipt {
  trackingId: string
  statusUrl: string
}

/** A problem with the files picked, before anything is sent; null when they may be sent. */
export function filesProblem(files: readonly File[]): string | null {
  if (files.length > MAX_FILES) {
    return `Attach at most ${MAX_FILES} files.`
  }
  const big = files.find((f) => f.size > MAX_FILE_BYTES)
  if (big !== undefined) {
    return `${big.name} is larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB.`
  }
  if (files.reduce((sum, f) => sum + f.size, 0) > MAX_TOTAL_BYTES) {
    return `All files together may hold at most ${MAX_TOTAL_BYTES / 1024 / 1024} MiB.`
  }
  return null
}

/**
 * A request with headers of its own (the reporter's token) or a multipart form (the browser sets its
 * boundary); unsafe ones carry the CSRF token of a session, if any.
 */
async function send<T>(
  path: string,
  options: { form?: FormData; headers?: Record<string, string>; signal?: AbortSignal },
): Promise<T> {
  const h = new Headers({ Accept: 'application/json', ...options.headers })
  const csrf = getCsrfToken()
  if (options.form !== undefined && csrf !== null) {
    h.set('X-CSRF-Token', csrf)
  }
  let response: Response
  try {
    response = await fetch(path, {
      method: options.form === undefined ? 'GET' : 'POST',
      body: options.form,
      headers: h,
      credentials: 'same-origin',
      signal: options.signal,
    })
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') {
      throw error
    }
    throw new ApiError(
      0,
      'network_error',
      'The server could not be reached. Check your connection and retry.',
    )
  }
  const text = await response.text()
  let payload: unknown = null
  try {
    payload = text === '' ? null : JSON.parse(text)
  } catch {
    payload = null
  }
  if (!response.ok) {
    const error = (
      payload as { error?: { code?: string; message?: string; details?: Record<string, unknown> } }
    )?.error
    throw new ApiError(
      response.status,
      error?.code ?? 'http_error',
      error?.message ?? `The server answered ${response.status} ${response.statusText}.`,
      error?.details ?? null,
    )
  }
  return payload as T
}

function appendFiles(form: FormData, files: readonly File[]): void {
  for (const file of files) {
    form.append('attachments', file, file.name)
  }
}

/** Submits a report with its files (`POST /api/v1/reports`, multipart). */
export function submitReport(input: {
  report: CreateReportInput
  files: readonly File[]
}): Promise<ReportReceipt> {
  const form = new FormData()
  form.append('report', JSON.stringify(input.report))
  appendFiles(form, input.files)
  return send<ReportReceipt>('/api/v1/reports', { form })
}

/** The reporter's view of their report, opened by the status token. */
export function reportStatusQuery(trackingId: string, token: string) {
  return queryOptions({
    queryKey: [...REPORTS_KEY, 'status', trackingId, token],
    // The token goes in a header, not the address: addresses end up in logs.
    queryFn: ({ signal }) =>
      send<ReportStatusWire>(`/api/v1/reports/status/${encodeURIComponent(trackingId)}`, {
        headers: { 'X-Report-Token': token },
        signal,
      }),
    retry: false,
  })
}

/** The reporter adds information and files to their report. */
export function addReporterMessage(input: {
  trackingId: string
  token: string
  body: string
  files: readonly File[]
}): Promise<ReportStatusWire> {
  const form = new FormData()
  form.append('body', input.body)
  appendFiles(form, input.files)
  return send<ReportStatusWire>(`/api/v1/reports/status/${encodeURIComponent(input.trackingId)}/messages`, {
    form,
    headers: { 'X-Report-Token': input.token },
  })
}

/** One page of the triage queue, newest first. */
export function reportsQuery({ status, page = 1 }: { status?: ReportStatus; page?: number }) {
  const params = new URLSearchParams()
  if (status !== undefined) {
    params.set('status', status)
  }
  params.set('limit', String(REPORTS_PAGE_SIZE))
  params.set('offset', String((page - 1) * REPORTS_PAGE_SIZE))
  return queryOptions({
    queryKey: [...REPORTS_KEY, 'list', status ?? null, page],
    queryFn: ({ signal }) =>
      api<ListWire<ReportSummaryWire>>(`/api/v1/reports?${params.toString()}`, { signal }),
    placeholderData: keepPreviousData,
  })
}

/** One report as handlers see it. */
export function reportQuery(id: string) {
  return queryOptions({
    queryKey: [...REPORTS_KEY, 'detail', id],
    queryFn: ({ signal }) => api<ReportWire>(`/api/v1/reports/${encodeURIComponent(id)}`, { signal }),
  })
}

/** Sets a report's status. */
export function setReportStatus(input: {
  id: string
  status: 'new' | 'triaged' | 'closed'
}): Promise<ReportWire> {
  return api<ReportWire>(`/api/v1/reports/${encodeURIComponent(input.id)}`, {
    method: 'PATCH',
    body: { status: input.status },
  })
}

/** A handler's answer to the reporter. */
export function replyToReporter(input: { id: string; body: string }): Promise<ReportWire> {
  return api<ReportWire>(`/api/v1/reports/${encodeURIComponent(input.id)}/messages`, {
    method: 'POST',
    body: { body: input.body },
  })
}

/** The download address of an attachment (served as a file, never shown inline). */
export function attachmentUrl(reportId: string, attachmentId: string): string {
  return `/api/v1/reports/${encodeURIComponent(reportId)}/attachments/${encodeURIComponent(attachmentId)}`
}

/** Roles that read the triage queue (the server decides; this only hides what would answer 403). */
export const REPORT_READ_ROLES: readonly string[] = ['admin', 'handler', 'coordinator', 'viewer']
