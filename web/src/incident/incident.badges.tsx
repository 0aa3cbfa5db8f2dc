import { Badge } from '@mantine/core'
import type { IncidentWire, Nis2DeadlineWire } from './incident.api.js'
import {
  DEADLINE_STATUS_COLOURS,
  DEADLINE_STATUS_LABELS,
  INCIDENT_STATUS_COLOURS,
  INCIDENT_STATUS_LABELS,
  SEVERITY_COLOURS,
  SEVERITY_LABELS,
  type IncidentStatus,
  type Severity,
} from './incident.constants.js'

/** An incident's status as a badge. */
export function StatusBadge({ status }: { status: IncidentStatus }) {
  return (
    <Badge
      variant="light"
      color={INCIDENT_STATUS_COLOURS[status]}
      data-testid="incident-status"
      style={{ minWidth: 'max-content' }}
    >
      {INCIDENT_STATUS_LABELS[status]}
    </Badge>
  )
}

/** A severity as a badge. */
export function SeverityBadge({ severity }: { severity: Severity }) {
  return (
    <Badge
      variant="outline"
      color={SEVERITY_COLOURS[severity]}
      data-testid="incident-severity"
      style={{ minWidth: 'max-content' }}
    >
      {SEVERITY_LABELS[severity]}
    </Badge>
  )
}

/** A NIS2 deadline's state as a badge: overdue red, due orange, submitted green. */
export function DeadlineBadge({ deadline }: { deadline: Pick<Nis2DeadlineWire, 'status' | 'late'> }) {
  return (
    <Badge
      variant="filled"
      color={DEADLINE_STATUS_COLOURS[deadline.status]}
      data-status={deadline.status}
      // Never cut to an ellipsis in a narrow table cell: "Overdue" must be read whole.
      style={{ minWidth: 'max-content' }}
    >
      {DEADLINE_STATUS_LABELS[deadline.status]}
      {deadline.late ? ' (late)' : ''}
    </Badge>
  )
}

/** True when an SLA timer of the incident is past due. */
export function slaOverdue(incident: IncidentWire): boolean {
  return incident.sla.acknowledge.state === 'overdue' || incident.sla.resolve.state === 'overdue'
}

/** True when a NIS2 deadline of the incident is past due. */
export function nis2Overdue(incident: IncidentWire): boolean {
  return incident.nis2.deadlines.some((d) => d.status === 'overdue')
}

/** The NIS2 deadline that matters most now: the first overdue one, else the next one due. */
export function nextNis2Deadline(incident: IncidentWire): Nis2DeadlineWire | undefined {
  const pending = incident.nis2.deadlines.filter((d) => d.status === 'overdue' || d.status === 'due')
  return (
    pending.find((d) => d.status === 'overdue') ??
    [...pending].sort((a, b) => (a.dueAt ?? '').localeCompare(b.dueAt ?? ''))[0]
  )
}
