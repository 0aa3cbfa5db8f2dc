import type { Severity } from './workflow.js'

/** Minutes to acknowledge and to resolve an incident of one severity. */
export interface SlaTarget {
  readonly acknowledgeMinutes: number
  readonly resolveMinutes: number
}

/** SLA targets of every severity. */
export type SlaPolicy = Readonly<Record<Severity, SlaTarget>>

/** Targets used by an organisation that has not set its own. */
export const DEFAULT_SLA: SlaPolicy = {
  critical: { acknowledgeMinutes: 30, resolveMinutes: 24 * 60 },
  high: { acknowledgeMinutes: 2 * 60, resolveMinutes: 3 * 24 * 60 },
  medium: { acknowledgeMinutes: 8 * 60, resolveMinutes: 7 * 24 * 60 },
  low: { acknowledgeMinutes: 24 * 60, resolveMinutes: 30 * 24 * 60 },
}

/** State of one SLA timer: running (`due`), done in time (`met`), done late (`late`) or `overdue`. */
export type SlaState = 'due' | 'met' | 'late' | 'overdue'

/** One SLA timer: when it is due, when it was done (if it was), and its state at `now`. */
export interface SlaTimer {
  readonly dueAt: string
  readonly doneAt: string | null
  readonly state: SlaState
}

/** The instant `minutes` after `from` (ISO 8601, UTC). */
export function addMinutes(from: string, minutes: number): string {
  return new Date(Date.parse(from) + minutes * 60_000).toISOString()
}

/**
 * The state of a timer due at `dueAt`, done at `doneAt` (null while running), seen at `now`.
 *
 * @example
 * slaTimer('2026-01-01T01:00:00.000Z', null, new Date('2026-01-01T02:00:00Z')).state // 'overdue'
 */
export function slaTimer(dueAt: string, doneAt: string | null, now: Date): SlaTimer {
  if (doneAt !== null) {
    return { dueAt, doneAt, state: Date.parse(doneAt) <= Date.parse(dueAt) ? 'met' : 'late' }
  }
  return { dueAt, doneAt, state: now.getTime() > Date.parse(dueAt) ? 'overdue' : 'due' }
}
