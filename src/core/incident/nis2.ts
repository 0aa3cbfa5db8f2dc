import { addHours, addMonths } from './calendar.js'

/**
 * NIS2 (Directive (EU) 2022/2555) Article 23 reporting: the deadlines of a significant incident and
 * the content each submission must have. Hours are elapsed time from awareness; "one month" is a
 * calendar month on the wall clock of `timeZone` (the competent CSIRT's zone), so it keeps the time of
 * day across daylight-saving changes and ends on the month's last day when the day does not exist.
 */

/** The submissions of Article 23(4), in order. */
export const NIS2_STAGES = ['early-warning', 'notification', 'intermediate', 'progress', 'final'] as const
/** One of {@link NIS2_STAGES}. */
export type Nis2Stage = (typeof NIS2_STAGES)[number]

/** Where a deadline stands at a given instant. */
export type DeadlineStatus = 'due' | 'met' | 'overdue' | 'waiting'

/** What the clock needs of an incident; times are ISO 8601 instants. */
export interface Nis2Clock {
  /** When the entity became aware of the significant incident: every clock starts here. */
  readonly awareAt: string
  /** Trust service providers notify within 24 h instead of 72 h (Art. 23(4)(b)). */
  readonly trustServiceProvider: boolean
  /** IANA zone in which "one month" is counted. */
  readonly timeZone: string
  readonly earlyWarningAt: string | null
  readonly notificationAt: string | null
  readonly progressReportAt: string | null
  readonly finalReportAt: string | null
  /** When the incident was handled (resolved); null while it is ongoing. */
  readonly resolvedAt: string | null
  /** Intermediate reports the CSIRT or authority asked for (Art. 23(4)(c)), each with its own due date. */
  readonly intermediateRequests: readonly {
    readonly requestedAt: string
    readonly dueAt: string
    readonly submittedAt: string | null
  }[]
}

/** One deadline of the clock. */
export interface Nis2Deadline {
  readonly stage: Nis2Stage
  /** Null while the deadline cannot be known yet (a final report after a progress report, before the end). */
  readonly dueAt: string | null
  readonly submittedAt: string | null
  readonly status: DeadlineStatus
  /** Submitted after its due time. */
  readonly late: boolean
  /** Where the due time comes from, in words. */
  readonly basis: string
}

function iso(date: Date): string {
  return date.toISOString()
}

function at(value: string): Date {
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) {
    throw new RangeError(`not an instant: "${value}"`)
  }
  return date
}

function deadline(
  stage: Nis2Stage,
  due: Date | null,
  submitted: string | null,
  now: Date,
  basis: string,
): Nis2Deadline {
  const submittedAt = submitted === null ? null : at(submitted)
  let status: DeadlineStatus
  if (submittedAt !== null) {
    status = 'met'
  } else if (due === null) {
    status = 'waiting'
  } else {
    status = now.getTime() > due.getTime() ? 'overdue' : 'due'
  }
  return {
    stage,
    dueAt: due === null ? null : iso(due),
    submittedAt: submittedAt === null ? null : iso(submittedAt),
    status,
    late: submittedAt !== null && due !== null && submittedAt.getTime() > due.getTime(),
    basis,
  }
}

/**
 * The deadlines of a significant incident at instant `now`: early warning (24 h), incident
 * notification (72 h, or 24 h for trust service providers), intermediate reports on request, and
 * the final report one month after the notification — or, when the incident is still ongoing then,
 * a progress report at that date and the final report one month after the incident is handled.
 */
export function nis2Deadlines(clock: Nis2Clock, now: Date): Nis2Deadline[] {
  const aware = at(clock.awareAt)
  const out: Nis2Deadline[] = [
    deadline('early-warning', addHours(aware, 24), clock.earlyWarningAt, now, '24 h after awareness'),
  ]
  const notificationHours = clock.trustServiceProvider ? 24 : 72
  const notificationDue = addHours(aware, notificationHours)
  out.push(
    deadline(
      'notification',
      notificationDue,
      clock.notificationAt,
      now,
      `${notificationHours} h after awareness${clock.trustServiceProvider ? ' (trust service provider)' : ''}`,
    ),
  )
  for (const request of clock.intermediateRequests) {
    out.push(
      deadline(
        'intermediate',
        at(request.dueAt),
        request.submittedAt,
        now,
        `requested ${iso(at(request.requestedAt))}`,
      ),
    )
  }
  const notified = clock.notificationAt === null ? null : at(clock.notificationAt)
  const finalDue = addMonths(notified ?? notificationDue, 1, clock.timeZone)
  const finalBasis =
    notified === null
      ? 'one month after the notification (counted from its due time until it is sent)'
      : 'one month after the notification'
  const finalAt = clock.finalReportAt === null ? null : at(clock.finalReportAt)
  const resolved = clock.resolvedAt === null ? null : at(clock.resolvedAt)
  const finalInTime = finalAt !== null && finalAt.getTime() <= finalDue.getTime()
  const handledInTime = resolved !== null && resolved.getTime() <= finalDue.getTime()
  const stillRunning = resolved === null && now.getTime() <= finalDue.getTime()
  if (finalInTime || handledInTime || stillRunning) {
    out.push(deadline('final', finalDue, clock.finalReportAt, now, finalBasis))
    return out
  }
  // Ongoing at the final report's date: a progress report then, the final report one month after
  // the incident has been handled (Art. 23(4)(e)).
  out.push(
    deadline('progress', finalDue, clock.progressReportAt, now, `${finalBasis}, the incident still ongoing`),
  )
  out.push(
    deadline(
      'final',
      resolved === null ? null : addMonths(resolved, 1, clock.timeZone),
      clock.finalReportAt,
      now,
      resolved === null
        ? 'one month after the incident is handled'
        : 'one month after the incident was handled',
    ),
  )
  return out
}

/** The facts of an incident that Article 23 submissions are made of. */
export interface Nis2Facts {
  readonly reference: string
  readonly title: string
  readonly entity: { readonly name: string; readonly sector: string | null }
  readonly awareAt: string
  readonly description: string | null
  readonly suspectedMalicious: boolean | null
  readonly crossBorder: boolean | null
  readonly severity: string | null
  readonly impact: string | null
  readonly indicators: readonly string[]
  /** Type of threat or root cause. */
  readonly rootCause: string | null
  readonly mitigationApplied: string | null
  readonly mitigationOngoing: string | null
  readonly status: string
}

/** A generated submission: the fields Article 23 asks for at that stage, and which are missing. */
export interface Nis2Document {
  readonly stage: Nis2Stage
  readonly generatedAt: string
  readonly reference: string
  readonly title: string
  readonly entity: Nis2Facts['entity']
  readonly awareAt: string
  readonly fields: Readonly<Record<string, unknown>>
  /** Required fields without a value: the submission is incomplete until they are filled. */
  readonly missing: readonly string[]
}

/** What each stage must contain (Art. 23(4)), as fields of {@link Nis2Facts}. */
export const NIS2_REQUIRED: Readonly<Record<Nis2Stage, readonly (keyof Nis2Facts)[]>> = {
  'early-warning': ['suspectedMalicious', 'crossBorder'],
  notification: ['suspectedMalicious', 'crossBorder', 'severity', 'impact'],
  intermediate: ['status', 'description'],
  progress: ['status', 'description'],
  final: ['description', 'severity', 'impact', 'rootCause', 'mitigationApplied', 'crossBorder'],
}

/** Fields shown at each stage: the required ones and those the stage may carry ("where available"). */
const NIS2_FIELDS: Readonly<Record<Nis2Stage, readonly (keyof Nis2Facts)[]>> = {
  'early-warning': ['suspectedMalicious', 'crossBorder', 'description'],
  notification: ['suspectedMalicious', 'crossBorder', 'severity', 'impact', 'indicators', 'description'],
  intermediate: ['status', 'description', 'severity', 'impact'],
  progress: ['status', 'description', 'severity', 'impact', 'mitigationApplied', 'mitigationOngoing'],
  final: [
    'description',
    'severity',
    'impact',
    'rootCause',
    'mitigationApplied',
    'mitigationOngoing',
    'crossBorder',
    'indicators',
  ],
}

function isMissing(value: unknown): boolean {
  return value === null || value === undefined || (typeof value === 'string' && value.trim() === '')
}

/** Builds the submission of a stage from an incident's facts. */
export function nis2Document(stage: Nis2Stage, facts: Nis2Facts, now: Date): Nis2Document {
  const fields: Record<string, unknown> = {}
  for (const field of NIS2_FIELDS[stage]) {
    fields[field] = facts[field]
  }
  return {
    stage,
    generatedAt: now.toISOString(),
    reference: facts.reference,
    title: facts.title,
    entity: facts.entity,
    awareAt: facts.awareAt,
    fields,
    missing: NIS2_REQUIRED[stage].filter((field) => isMissing(facts[field])),
  }
}
