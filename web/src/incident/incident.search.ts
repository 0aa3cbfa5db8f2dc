// What the router needs of incidents: small on purpose (no RSIT vocabulary), since the router is in
// the first bundle every page loads.
import type { Role } from '../../../src/core/account/account.js'
import { NIS2_STAGES, type Nis2Stage } from '../../../src/core/incident/nis2.js'
import {
  INCIDENT_STATUSES,
  SEVERITIES,
  type IncidentStatus,
  type Severity,
} from '../../../src/core/incident/workflow.js'

/** Roles that triage and work incidents of their own organisation, and write notes (as the server checks). */
export const INCIDENT_WRITE_ROLES: readonly Role[] = ['admin', 'handler', 'coordinator']

/** True when `value` is an incident status. */
export function isIncidentStatus(value: unknown): value is IncidentStatus {
  return INCIDENT_STATUSES.some((status) => status === value)
}

/** True when `value` is a severity. */
export function isSeverity(value: unknown): value is Severity {
  return SEVERITIES.some((severity) => severity === value)
}

/** True when `value` is a NIS2 stage. */
export function isNis2Stage(value: unknown): value is Nis2Stage {
  return NIS2_STAGES.some((stage) => stage === value)
}

/** The incident list's filters as they appear in its search parameters. */
export interface IncidentFilter {
  status?: IncidentStatus
  /** An RSIT class; the list page ignores one that is not in the vocabulary. */
  rsitClass?: string
  severity?: Severity
  /** Only incidents with an SLA timer past due. */
  overdue?: boolean
  /** Only incidents with a NIS2 deadline past due. */
  nis2Overdue?: boolean
  page?: number
}

function isTrue(value: unknown): boolean {
  return value === true || value === 'true'
}

/** Reads the list's filters from search parameters, dropping anything malformed. */
export function parseIncidentFilter(search: Record<string, unknown>): IncidentFilter {
  const filter: IncidentFilter = {}
  if (isIncidentStatus(search.status)) {
    filter.status = search.status
  }
  if (typeof search.rsitClass === 'string' && /^[a-z0-9-]{1,100}$/.test(search.rsitClass)) {
    filter.rsitClass = search.rsitClass
  }
  if (isSeverity(search.severity)) {
    filter.severity = search.severity
  }
  if (isTrue(search.overdue)) {
    filter.overdue = true
  }
  if (isTrue(search.nis2Overdue)) {
    filter.nis2Overdue = true
  }
  const page = Number(search.page)
  if (Number.isInteger(page) && page > 1) {
    filter.page = page
  }
  return filter
}

/** The tabs of an incident page, as they appear in its `?tab=` search parameter. */
export const INCIDENT_TABS = [
  'overview',
  'tasks',
  'notes',
  'observables',
  'nis2',
  'notifications',
  'sharing',
  'timeline',
] as const

/** One of {@link INCIDENT_TABS}. */
export type IncidentTab = (typeof INCIDENT_TABS)[number]
