import { nis2Deadlines, type Nis2Clock, type Nis2Deadline } from '../../../core/incident/nis2.js'
import type { IncidentRow, Nis2IntermediateRequest } from './incident.table.js'

/**
 * The zone in which an incident's "one month" is counted unless it names another
 * (`nis2.timeZone`): the instance-wide default, the zone of the Brussels-based EU institutions and
 * of most Member States' CSIRTs. Change it per incident to the competent CSIRT's zone.
 */
export const NIS2_DEFAULT_TIME_ZONE = 'Europe/Brussels'

/** An instant after every deadline: at it, every pending deadline with a due time is overdue. */
const END_OF_TIME = new Date(8.64e15)

/** The intermediate report requests recorded on an incident, oldest first. */
export function intermediateRequestsOf(
  row: Pick<IncidentRow, 'nis2_intermediate_requests'>,
): Nis2IntermediateRequest[] {
  return JSON.parse(row.nis2_intermediate_requests) as Nis2IntermediateRequest[]
}

/** The NIS2 clock of an incident, or null when it runs no clock (not significant, or no awareness time). */
export function nis2ClockOf(row: IncidentRow): Nis2Clock | null {
  if (row.nis2_significant !== 1 || row.aware_at === null) {
    return null
  }
  return {
    awareAt: row.aware_at,
    trustServiceProvider: row.trust_service_provider === 1,
    timeZone: row.nis2_time_zone,
    earlyWarningAt: row.early_warning_sent_at,
    notificationAt: row.notification_sent_at,
    progressReportAt: row.progress_report_sent_at,
    finalReportAt: row.final_report_sent_at,
    // Closing straight from triage (no incident after all) also ends the incident.
    resolvedAt: row.resolved_at ?? row.closed_at,
    intermediateRequests: intermediateRequestsOf(row),
  }
}

/** The NIS2 deadlines of an incident at `now`; empty when it runs no clock. */
export function nis2DeadlinesOf(row: IncidentRow, now: Date): Nis2Deadline[] {
  const clock = nis2ClockOf(row)
  return clock === null ? [] : nis2Deadlines(clock, now)
}

/**
 * The earliest due time among the incident's deadlines not yet met, i.e. the instant from which it
 * has an overdue NIS2 deadline unless something is submitted first (null: none pending). Stored as
 * `nis2_next_due_at` on every write so the overdue list is one indexed comparison.
 *
 * Evaluated as of the end of time: then every pending deadline with a due time is overdue and the
 * clock has taken the branch it takes after the final report's date (a progress report while the
 * incident is ongoing), whose first due time is the same instant as the final report's before it.
 */
export function nis2NextDue(row: IncidentRow): string | null {
  let next: string | null = null
  for (const deadline of nis2DeadlinesOf(row, END_OF_TIME)) {
    if (
      deadline.status === 'overdue' &&
      deadline.dueAt !== null &&
      (next === null || deadline.dueAt < next)
    ) {
      next = deadline.dueAt
    }
  }
  return next
}
