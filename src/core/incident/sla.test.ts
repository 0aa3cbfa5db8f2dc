import { describe, expect, it } from 'vitest'
import { addMinutes, DEFAULT_SLA, slaTimer } from './sla.js'
import { INCIDENT_STATUSES, INCIDENT_TRANSITIONS, isReopen, mayTransition } from './workflow.js'

describe('SLA timers', () => {
  const due = '2026-03-01T10:00:00.000Z'
  it('is due, overdue, met or late', () => {
    expect(slaTimer(due, null, new Date('2026-03-01T09:59:59Z')).state).toBe('due')
    expect(slaTimer(due, null, new Date('2026-03-01T10:00:01Z')).state).toBe('overdue')
    expect(slaTimer(due, '2026-03-01T10:00:00.000Z', new Date('2026-03-09T00:00:00Z')).state).toBe('met')
    expect(slaTimer(due, '2026-03-01T10:00:01.000Z', new Date('2026-03-01T10:00:02Z')).state).toBe('late')
  })
  it('adds minutes and defaults are stricter for higher severities', () => {
    expect(addMinutes('2026-03-01T10:00:00.000Z', 90)).toBe('2026-03-01T11:30:00.000Z')
    expect(DEFAULT_SLA.critical.acknowledgeMinutes).toBeLessThan(DEFAULT_SLA.high.acknowledgeMinutes)
    expect(DEFAULT_SLA.high.resolveMinutes).toBeLessThan(DEFAULT_SLA.medium.resolveMinutes)
  })
})

describe('incident workflow', () => {
  it('allows the forward path and reopen, nothing else', () => {
    const allowed = INCIDENT_STATUSES.flatMap((from) =>
      INCIDENT_STATUSES.filter((to) => mayTransition(from, to)).map((to) => `${from}>${to}`),
    )
    expect(allowed.sort()).toEqual(
      [
        'new>triage',
        'triage>in_progress',
        'triage>closed',
        'in_progress>resolved',
        'resolved>closed',
        'resolved>in_progress',
        'closed>in_progress',
      ].sort(),
    )
    expect(isReopen('closed', 'in_progress')).toBe(true)
    expect(isReopen('triage', 'in_progress')).toBe(false)
    expect(Object.keys(INCIDENT_TRANSITIONS)).toEqual([...INCIDENT_STATUSES])
  })
})
