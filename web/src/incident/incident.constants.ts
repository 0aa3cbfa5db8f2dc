// Display names and colours for the incident vocabularies; the vocabularies and rules come from core
// files without TypeBox, so the browser bundle stays small. `Record<…>` makes tsc fail when core gains
// a value.
import { NIS2_STAGES, type DeadlineStatus, type Nis2Stage } from '../../../src/core/incident/nis2.js'
import { findRsitClass, RSIT_CLASSES } from '../../../src/core/incident/rsit.js'
import {
  INCIDENT_STATUSES,
  INCIDENT_TRANSITIONS,
  SEVERITIES,
  type IncidentStatus,
  type Severity,
} from '../../../src/core/incident/workflow.js'

import type { IncidentTab } from './incident.search.js'

export { findRsitClass, INCIDENT_STATUSES, INCIDENT_TRANSITIONS, NIS2_STAGES, RSIT_CLASSES, SEVERITIES }
export type { DeadlineStatus, IncidentStatus, Nis2Stage, Severity }
export {
  INCIDENT_TABS,
  INCIDENT_WRITE_ROLES,
  isIncidentStatus,
  isNis2Stage,
  isSeverity,
  type IncidentTab,
} from './incident.search.js'

/** Display names of the incident statuses, in workflow order. */
export const INCIDENT_STATUS_LABELS: Record<IncidentStatus, string> = {
  new: 'New',
  triage: 'Triage',
  in_progress: 'In progress',
  resolved: 'Resolved',
  closed: 'Closed',
}

/** Badge colours of the statuses. */
export const INCIDENT_STATUS_COLOURS: Record<IncidentStatus, string> = {
  new: 'blue',
  triage: 'violet',
  in_progress: 'orange',
  resolved: 'teal',
  closed: 'gray',
}

/** What the button that moves an incident to a status says. */
export function transitionLabel(from: IncidentStatus, to: IncidentStatus): string {
  if ((from === 'resolved' || from === 'closed') && to === 'in_progress') {
    return 'Reopen'
  }
  switch (to) {
    case 'new':
      return 'Back to new'
    case 'triage':
      return 'Start triage'
    case 'in_progress':
      return 'Start handling'
    case 'resolved':
      return 'Mark resolved'
    case 'closed':
      return from === 'triage' ? 'Close (no incident)' : 'Close'
  }
}

/** Display names of the severities, most urgent first. */
export const SEVERITY_LABELS: Record<Severity, string> = {
  critical: 'Critical',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
}

/** Badge colours of the severities. */
export const SEVERITY_COLOURS: Record<Severity, string> = {
  critical: 'red.9',
  high: 'orange.9',
  medium: 'yellow.9',
  low: 'gray.7',
}

/** True when `value` is an RSIT class. */
export function isRsitClass(value: unknown): value is string {
  return typeof value === 'string' && findRsitClass(value) !== undefined
}

/** A classification in words: `Malicious Code / C2 Server`, or the raw values when they are unknown. */
export function rsitText(rsitClass: string | null, rsitType: string | null): string {
  if (rsitClass === null) {
    return 'Not classified'
  }
  const cls = findRsitClass(rsitClass)
  const className = cls?.name ?? rsitClass
  if (rsitType === null) {
    return className
  }
  const typeName = cls?.types.find((t) => t.value === rsitType)?.name ?? rsitType
  return `${className} / ${typeName}`
}

/** Names of the NIS2 Article 23 submissions. */
export const NIS2_STAGE_LABELS: Record<Nis2Stage, string> = {
  'early-warning': 'Early warning',
  notification: 'Incident notification',
  intermediate: 'Intermediate report',
  progress: 'Progress report',
  final: 'Final report',
}

/** The incident field that records when a stage was submitted (intermediate reports are per request). */
export const NIS2_SUBMISSION_FIELDS = {
  'early-warning': 'earlyWarningSentAt',
  notification: 'notificationSentAt',
  progress: 'progressReportSentAt',
  final: 'finalReportSentAt',
} as const satisfies Record<Exclude<Nis2Stage, 'intermediate'>, string>

/** Names of where a NIS2 deadline stands. */
export const DEADLINE_STATUS_LABELS: Record<DeadlineStatus, string> = {
  due: 'Due',
  met: 'Submitted',
  overdue: 'Overdue',
  waiting: 'Not yet known',
}

/** Badge colours of the deadline states: overdue red, due orange, met green (dark shades: white text stays legible). */
export const DEADLINE_STATUS_COLOURS: Record<DeadlineStatus, string> = {
  due: 'orange.9',
  met: 'green.9',
  overdue: 'red.8',
  waiting: 'gray.7',
}

/** Where an SLA timer stands (`SlaState` in src/core/incident/sla.ts). */
export type SlaState = 'due' | 'met' | 'late' | 'overdue'

/** Names of the SLA timer states. */
export const SLA_STATE_LABELS: Record<SlaState, string> = {
  due: 'Running',
  met: 'Met',
  late: 'Met late',
  overdue: 'Overdue',
}

/** Badge colours of the SLA timer states. */
export const SLA_STATE_COLOURS: Record<SlaState, string> = {
  due: 'blue.8',
  met: 'green.9',
  late: 'orange.9',
  overdue: 'red.8',
}

/** Names of the NIS2 document fields (`Nis2Facts` in src/core/incident/nis2.ts), as Article 23 words them. */
export const NIS2_FIELD_LABELS: Readonly<Record<string, string>> = {
  reference: 'Reference',
  title: 'Title',
  entity: 'Entity',
  awareAt: 'Aware since',
  description: 'Description of the incident',
  suspectedMalicious: 'Suspected to be caused by unlawful or malicious acts',
  crossBorder: 'Could have a cross-border impact',
  severity: 'Severity',
  impact: 'Impact',
  indicators: 'Indicators of compromise',
  rootCause: 'Type of threat or root cause',
  mitigationApplied: 'Mitigation measures applied',
  mitigationOngoing: 'Mitigation measures ongoing',
  status: 'Status of the handling',
}

/** Names of the timeline actions (`incident.*` events of src/server/modules/incident/incident.service.ts). */
export const EVENT_LABELS: Readonly<Record<string, string>> = {
  'incident.created': 'Created the incident',
  'incident.updated': 'Changed the incident',
  'incident.status_changed': 'Changed the status',
  'incident.reopened': 'Reopened the incident',
  'incident.reports_added': 'Added reports',
  'incident.reports_moved': 'Moved reports here',
  'incident.split': 'Split reports off to a new incident',
  'incident.linked': 'Linked observables or objects',
  'incident.unlinked': 'Removed a link',
  'incident.shared': 'Changed the sharing',
  'incident.note_added': 'Added a note',
  'incident.task_added': 'Added a task',
  'incident.task_changed': 'Changed a task',
  'incident.task_done': 'Completed a task',
  'incident.task_deleted': 'Deleted a task',
  'incident.nis2_changed': 'Changed NIS2 facts',
  'incident.nis2_submitted': 'Recorded a NIS2 submission',
  'incident.nis2_intermediate_requested': 'Recorded a request for an intermediate report',
  'incident.notified': 'Notified owners',
  'incident.sla_changed': 'Changed the SLA',
}

/** RSIT classes as select options, with an empty "choose" entry first. */
export const RSIT_CLASS_OPTIONS = [
  { value: '', label: 'Not classified' },
  ...RSIT_CLASSES.map((c) => ({ value: c.value, label: c.name })),
]

/** The types of an RSIT class as select options, with an empty entry first. */
export function rsitTypeOptions(rsitClass: string): { value: string; label: string }[] {
  const cls = findRsitClass(rsitClass)
  return [
    { value: '', label: cls === undefined ? 'Choose a class first' : 'No type yet' },
    ...(cls?.types ?? []).map((t) => ({ value: t.value, label: t.name })),
  ]
}

/** Severities as select options. */
export const SEVERITY_OPTIONS = SEVERITIES.map((s) => ({ value: s, label: SEVERITY_LABELS[s] }))

/** Statuses as select options. */
export const STATUS_OPTIONS = INCIDENT_STATUSES.map((s) => ({ value: s, label: INCIDENT_STATUS_LABELS[s] }))

/** Names of the incident page's tabs. */
export const INCIDENT_TAB_LABELS: Record<IncidentTab, string> = {
  overview: 'Overview',
  tasks: 'Tasks',
  notes: 'Notes',
  observables: 'Observables',
  nis2: 'NIS2',
  notifications: 'Notifications',
  sharing: 'Sharing',
  timeline: 'Timeline',
}
