import { keepPreviousData, queryOptions } from '@tanstack/react-query'
import type { UserWire } from '../../../src/core/account/account.schema.js'
import type { NotificationWire } from '../../../src/core/constituency/constituency.schema.js'
import type {
  CreateIncidentInput,
  CreateLinkInput,
  CreateNoteInput,
  CreateTaskInput,
  EventWire,
  HintWire,
  IncidentWire,
  IntermediateRequestInput,
  LinkWire,
  Nis2DeadlineWire,
  Nis2DocumentWire,
  NoteWire,
  SharingInput,
  SlaSettingsInput,
  TaskWire,
  UpdateIncidentInput,
  UpdateTaskInput,
} from '../../../src/core/incident/incident.schema.js'
import { api, type ListWire } from '../lib/api.client.js'
import type { PersonWire } from '../trust/trust.api.js'
import type { Nis2Stage } from './incident.constants.js'
import type { IncidentFilter } from './incident.search.js'

export type { IncidentFilter }
export type {
  CreateIncidentInput,
  EventWire,
  HintWire,
  IncidentWire,
  LinkWire,
  Nis2DeadlineWire,
  Nis2DocumentWire,
  NoteWire,
  NotificationWire,
  SlaSettingsInput,
  TaskWire,
  UpdateIncidentInput,
}

/** Query key of everything about incidents. */
export const INCIDENTS_KEY = ['incidents'] as const

/** How many incidents a page of the list shows. */
export const INCIDENTS_PAGE_SIZE = 25

function filterParams(filter: IncidentFilter): URLSearchParams {
  const params = new URLSearchParams()
  if (filter.status !== undefined) {
    params.set('status', filter.status)
  }
  if (filter.rsitClass !== undefined) {
    params.set('rsitClass', filter.rsitClass)
  }
  if (filter.severity !== undefined) {
    params.set('severity', filter.severity)
  }
  if (filter.overdue === true) {
    params.set('overdue', 'true')
  }
  if (filter.nis2Overdue === true) {
    params.set('nis2Overdue', 'true')
  }
  return params
}

/** One page of the incidents the caller may see, most recently changed first. */
export function incidentsQuery(filter: IncidentFilter, pageSize = INCIDENTS_PAGE_SIZE) {
  const page = filter.page ?? 1
  const params = filterParams(filter)
  params.set('limit', String(pageSize))
  params.set('offset', String((page - 1) * pageSize))
  return queryOptions({
    queryKey: [...INCIDENTS_KEY, 'list', { ...filter, page }, pageSize],
    queryFn: ({ signal }) =>
      api<ListWire<IncidentWire>>(`/api/v1/incidents?${params.toString()}`, { signal }),
    placeholderData: keepPreviousData,
  })
}

/** Incidents with a NIS2 deadline past due, longest overdue first (for the home page). */
export function nis2OverdueQuery(limit: number) {
  return queryOptions({
    queryKey: [...INCIDENTS_KEY, 'nis2-overdue', limit],
    queryFn: ({ signal }) =>
      api<ListWire<IncidentWire>>(`/api/v1/incidents/nis2/overdue?limit=${limit}`, { signal }),
  })
}

/** One incident. */
export function incidentQuery(id: string) {
  return queryOptions({
    queryKey: [...INCIDENTS_KEY, 'detail', id],
    queryFn: ({ signal }) => api<IncidentWire>(`/api/v1/incidents/${encodeURIComponent(id)}`, { signal }),
  })
}

function base(id: string): string {
  return `/api/v1/incidents/${encodeURIComponent(id)}`
}

/** Creates an incident, made from reports when `reportIds` is given. */
export function createIncident(input: CreateIncidentInput): Promise<IncidentWire> {
  return api<IncidentWire>('/api/v1/incidents', { method: 'POST', body: input })
}

/** Changes an incident: classification, severity, impact, assignee, NIS2 facts or status. */
export function updateIncident(id: string, patch: UpdateIncidentInput): Promise<IncidentWire> {
  return api<IncidentWire>(base(id), { method: 'PATCH', body: patch })
}

/** Merges reports into an incident. */
export function mergeReports(id: string, reportIds: string[]): Promise<IncidentWire> {
  return api<IncidentWire>(`${base(id)}/reports`, { method: 'POST', body: { reportIds } })
}

/** Moves some of the incident's reports to a new incident (titled `title`, or "… (split)"), which it answers. */
export function splitIncident(id: string, reportIds: string[], title?: string): Promise<IncidentWire> {
  return api<IncidentWire>(`${base(id)}/split`, {
    method: 'POST',
    body: title === undefined ? { reportIds } : { reportIds, title },
  })
}

/** The caller's organisation's SLA targets per severity (the defaults unless set). */
export const slaPolicyQuery = queryOptions({
  queryKey: [...INCIDENTS_KEY, 'sla'],
  queryFn: ({ signal }) => api<SlaSettingsInput>('/api/v1/incidents/sla', { signal }),
})

/** Sets the SLA targets of the caller's organisation (admins and coordinators). */
export function setSlaPolicy(input: SlaSettingsInput): Promise<SlaSettingsInput> {
  return api<SlaSettingsInput>('/api/v1/incidents/sla', { method: 'PUT', body: input })
}

/** Formats of the incident export. */
export type IncidentExportFormat = 'stix' | 'csv'

/** The address that downloads every incident matching `filter` (all pages) as a STIX 2.1 bundle or CSV. */
export function incidentsExportUrl(filter: IncidentFilter, format: IncidentExportFormat): string {
  const params = filterParams(filter)
  params.set('format', format)
  return `/api/v1/incidents/export?${params.toString()}`
}

/** Sets the incident's label and the organisations named as participants. */
export function shareIncident(id: string, input: SharingInput): Promise<IncidentWire> {
  return api<IncidentWire>(`${base(id)}/sharing`, { method: 'PUT', body: input })
}

/** The incident's tasks (its owner's; empty for other organisations). */
export function tasksQuery(id: string) {
  return queryOptions({
    queryKey: [...INCIDENTS_KEY, 'detail', id, 'tasks'],
    queryFn: ({ signal }) => api<ListWire<TaskWire>>(`${base(id)}/tasks`, { signal }),
  })
}

/** Adds a task. */
export function createTask(id: string, input: CreateTaskInput): Promise<TaskWire> {
  return api<TaskWire>(`${base(id)}/tasks`, { method: 'POST', body: input })
}

/** Changes a task. */
export function updateTask(id: string, taskId: string, patch: UpdateTaskInput): Promise<TaskWire> {
  return api<TaskWire>(`${base(id)}/tasks/${encodeURIComponent(taskId)}`, { method: 'PATCH', body: patch })
}

/** Deletes a task. */
export function deleteTask(id: string, taskId: string): Promise<null> {
  return api<null>(`${base(id)}/tasks/${encodeURIComponent(taskId)}`, { method: 'DELETE' })
}

/** The notes the caller may see. */
export function notesQuery(id: string) {
  return queryOptions({
    queryKey: [...INCIDENTS_KEY, 'detail', id, 'notes'],
    queryFn: ({ signal }) => api<ListWire<NoteWire>>(`${base(id)}/notes`, { signal }),
  })
}

/** Adds a note under its own label. */
export function addNote(id: string, input: CreateNoteInput): Promise<NoteWire> {
  return api<NoteWire>(`${base(id)}/notes`, { method: 'POST', body: input })
}

/** The timeline as the caller may see it. */
export function timelineQuery(id: string) {
  return queryOptions({
    queryKey: [...INCIDENTS_KEY, 'detail', id, 'timeline'],
    queryFn: ({ signal }) => api<ListWire<EventWire>>(`${base(id)}/timeline`, { signal }),
  })
}

/** Linked observables and intelligence objects. */
export function linksQuery(id: string) {
  return queryOptions({
    queryKey: [...INCIDENTS_KEY, 'detail', id, 'links'],
    queryFn: ({ signal }) => api<ListWire<LinkWire>>(`${base(id)}/links`, { signal }),
  })
}

/** Links an observable (by value) or an intelligence object (by STIX id). */
export function addLink(id: string, input: CreateLinkInput): Promise<LinkWire> {
  return api<LinkWire>(`${base(id)}/links`, { method: 'POST', body: input })
}

/** Removes a link. */
export function removeLink(id: string, linkId: string): Promise<null> {
  return api<null>(`${base(id)}/links/${encodeURIComponent(linkId)}`, { method: 'DELETE' })
}

/** Possible duplicates of a report. */
export function hintsQuery(reportId: string) {
  return queryOptions({
    queryKey: [...INCIDENTS_KEY, 'hints', reportId],
    queryFn: ({ signal }) =>
      api<ListWire<HintWire>>(`/api/v1/reports/${encodeURIComponent(reportId)}/hints`, { signal }),
    staleTime: 30_000,
  })
}

/** The NIS2 Article 23 submission of a stage, generated from the incident as it stands. */
export function nis2DocumentQuery(id: string, stage: Nis2Stage) {
  return queryOptions({
    queryKey: [...INCIDENTS_KEY, 'detail', id, 'nis2', stage],
    queryFn: ({ signal }) =>
      api<Nis2DocumentWire>(`${base(id)}/nis2/${encodeURIComponent(stage)}`, { signal }),
    retry: false,
  })
}

/** Records that the authority asked for an intermediate report. */
export function requestIntermediateReport(
  id: string,
  input: IntermediateRequestInput,
): Promise<IncidentWire> {
  return api<IncidentWire>(`${base(id)}/nis2/intermediate`, { method: 'POST', body: input })
}

/** The template fields of an owner notification (`IncidentNotifyBody`); all optional. */
export interface IncidentNotifyRequest {
  subject?: string
  message?: string
  reference?: string
  rsitClass?: string
  tlp?: 'TLP:CLEAR' | 'TLP:GREEN' | 'TLP:AMBER' | 'TLP:AMBER+STRICT' | 'TLP:RED'
}

/** What a notification run did (`NotifyResultSchema`). */
export interface NotifyResultWire {
  notifications: NotificationWire[]
  /** Observables no constituent owns. */
  unmatched: string[]
  /** Values that cannot have an owner (hashes, names). */
  ignored: string[]
}

/** Notifies the owners of the incident's observables: one mail per owner. */
export function notifyOwners(id: string, input: IncidentNotifyRequest): Promise<NotifyResultWire> {
  return api<NotifyResultWire>(`${base(id)}/notify`, { method: 'POST', body: input })
}

/** Notifications sent for the incident, newest first. */
export function incidentNotificationsQuery(id: string) {
  return queryOptions({
    queryKey: [...INCIDENTS_KEY, 'detail', id, 'notifications'],
    queryFn: ({ signal }) =>
      api<ListWire<NotificationWire>>(`${base(id)}/notifications?limit=100`, { signal }),
  })
}

/** People named by id (for the timeline and notes), at most 500 at once. */
export function peopleByIdsQuery(ids: readonly string[]) {
  const unique = [...new Set(ids)].sort().slice(0, 500)
  const params = new URLSearchParams()
  for (const id of unique) {
    params.append('ids', id)
  }
  return queryOptions({
    queryKey: ['people', 'by-ids', unique],
    queryFn: ({ signal }) => api<{ items: PersonWire[] }>(`/api/v1/people?${params.toString()}`, { signal }),
    enabled: unique.length > 0,
    staleTime: 5 * 60_000,
  })
}

/** The members of the caller's organisation (the people an incident may be assigned to). */
export function orgUsersQuery(orgId: string) {
  return queryOptions({
    queryKey: ['users', 'org', orgId],
    queryFn: ({ signal }) =>
      api<ListWire<UserWire>>(`/api/v1/users?orgId=${encodeURIComponent(orgId)}&limit=500`, { signal }),
    staleTime: 60_000,
  })
}

/** A `datetime-local` input's value (local wall time, minutes) for an ISO instant; '' for none. */
export function toLocalInput(iso: string | null): string {
  if (iso === null) {
    return ''
  }
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) {
    return ''
  }
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`
}

/** The ISO instant of a `datetime-local` input's value (read in the browser's zone); null when empty or bad. */
export function fromLocalInput(value: string): string | null {
  if (value.trim() === '') {
    return null
  }
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? null : date.toISOString()
}
