// Plain values and rules only (no TypeBox): the web UI imports this file.

/** Statuses of an incident, in workflow order. */
export const INCIDENT_STATUSES = ['new', 'triage', 'in_progress', 'resolved', 'closed'] as const
/** One of {@link INCIDENT_STATUSES}. */
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number]

/** Severities, most urgent first. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const
/** One of {@link SEVERITIES}. */
export type Severity = (typeof SEVERITIES)[number]

/**
 * The allowed status changes. Forward along the workflow; triage may close a report that is no
 * incident (duplicate, false positive); resolved and closed incidents are reopened to `in_progress`.
 */
export const INCIDENT_TRANSITIONS: Readonly<Record<IncidentStatus, readonly IncidentStatus[]>> = {
  new: ['triage'],
  triage: ['in_progress', 'closed'],
  in_progress: ['resolved'],
  resolved: ['closed', 'in_progress'],
  closed: ['in_progress'],
}

/**
 * True when an incident may go from `from` to `to`.
 *
 * @example
 * mayTransition('new', 'resolved') // false: it goes through triage and in progress first
 */
export function mayTransition(from: IncidentStatus, to: IncidentStatus): boolean {
  return INCIDENT_TRANSITIONS[from].includes(to)
}

/** True when going from `from` to `to` reopens the incident. */
export function isReopen(from: IncidentStatus, to: IncidentStatus): boolean {
  return (from === 'resolved' || from === 'closed') && to === 'in_progress'
}
