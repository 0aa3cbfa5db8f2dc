import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { addMonths, instantOf, isTimeZone, offsetAt, wallTimeOf } from './calendar.js'
import { NIS2_REQUIRED, nis2Deadlines, nis2Document, type Nis2Clock, type Nis2Facts } from './nis2.js'

const BRUSSELS = 'Europe/Brussels'
const NEW_YORK = 'America/New_York'
const SYDNEY = 'Australia/Sydney'

function clock(overrides: Partial<Nis2Clock>): Nis2Clock {
  return {
    awareAt: '2026-03-01T08:00:00.000Z',
    trustServiceProvider: false,
    timeZone: BRUSSELS,
    earlyWarningAt: null,
    notificationAt: null,
    progressReportAt: null,
    finalReportAt: null,
    resolvedAt: null,
    intermediateRequests: [],
    ...overrides,
  }
}

function stage(deadlines: ReturnType<typeof nis2Deadlines>, name: string) {
  const found = deadlines.filter((d) => d.stage === name)
  expect(found).toHaveLength(1)
  return found[0]!
}

describe('calendar in a time zone', () => {
  it('knows zones and refuses unknown ones', () => {
    expect(isTimeZone(BRUSSELS)).toBe(true)
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false)
  })

  it('reads offsets on both sides of a daylight-saving change', () => {
    expect(offsetAt(new Date('2026-03-29T00:59:59Z'), BRUSSELS)).toBe(3_600_000)
    expect(offsetAt(new Date('2026-03-29T01:00:00Z'), BRUSSELS)).toBe(7_200_000)
    expect(offsetAt(new Date('2026-07-01T12:00:00Z'), SYDNEY)).toBe(10 * 3_600_000)
    expect(offsetAt(new Date('2026-12-01T12:00:00Z'), SYDNEY)).toBe(11 * 3_600_000)
  })

  it('moves a wall time skipped by spring-forward past the gap, and takes the first of a repeated one', () => {
    const wall = { year: 2026, month: 3, day: 29, hour: 2, minute: 30, second: 0, millisecond: 0 }
    expect(instantOf(wall, BRUSSELS).toISOString()).toBe('2026-03-29T01:30:00.000Z') // 03:30 CEST
    const repeated = { year: 2026, month: 10, day: 25, hour: 2, minute: 30, second: 0, millisecond: 0 }
    expect(instantOf(repeated, BRUSSELS).toISOString()).toBe('2026-10-25T00:30:00.000Z') // 02:30 CEST
    const nyGap = { year: 2026, month: 3, day: 8, hour: 2, minute: 30, second: 0, millisecond: 0 }
    expect(instantOf(nyGap, NEW_YORK).toISOString()).toBe('2026-03-08T07:30:00.000Z') // 03:30 EDT
  })

  it('adds calendar months keeping the local time of day across DST, clamping to the last day', () => {
    // 1 March 01:30 CET + 1 month = 1 April 01:30 CEST (one hour less of elapsed time).
    expect(addMonths(new Date('2026-03-01T00:30:00Z'), 1, BRUSSELS).toISOString()).toBe(
      '2026-03-31T23:30:00.000Z',
    )
    // 31 January → 28 February (2027) and 29 February (2028, leap year).
    expect(addMonths(new Date('2027-01-31T11:00:00Z'), 1, BRUSSELS).toISOString()).toBe(
      '2027-02-28T11:00:00.000Z',
    )
    expect(addMonths(new Date('2028-01-31T11:00:00Z'), 1, BRUSSELS).toISOString()).toBe(
      '2028-02-29T11:00:00.000Z',
    )
    // December → January of the next year.
    expect(addMonths(new Date('2026-12-15T09:00:00Z'), 1, BRUSSELS).toISOString()).toBe(
      '2027-01-15T09:00:00.000Z',
    )
  })

  it('counts the month on the zone’s own calendar: the same instant has different due dates in different zones', () => {
    // 30 January 23:30 UTC is already 31 January in Brussels.
    const instant = new Date('2026-01-30T23:30:00Z')
    expect(addMonths(instant, 1, 'UTC').toISOString()).toBe('2026-02-28T23:30:00.000Z')
    expect(addMonths(instant, 1, BRUSSELS).toISOString()).toBe('2026-02-27T23:30:00.000Z')
  })

  it('keeps wall day and time of day (or the month’s end) for any instant and zone', () => {
    const zones = [BRUSSELS, NEW_YORK, SYDNEY, 'Asia/Kolkata', 'UTC', 'America/St_Johns']
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('2000-01-01T00:00:00Z'),
          max: new Date('2040-01-01T00:00:00Z'),
          noInvalidDate: true,
        }),
        fc.constantFrom(...zones),
        fc.integer({ min: 1, max: 13 }),
        (instant, zone, months) => {
          const start = wallTimeOf(instant, zone)
          const end = wallTimeOf(addMonths(instant, months, zone), zone)
          const index = start.year * 12 + start.month - 1 + months
          expect(end.year * 12 + end.month - 1).toBe(index)
          const last = new Date(Date.UTC(end.year, end.month, 0)).getUTCDate()
          expect(end.day).toBe(Math.min(start.day, last))
          const skipped = end.hour !== start.hour || end.minute !== start.minute
          if (skipped) {
            // Only a wall time removed by a daylight-saving change may move (forward, by the gap).
            const atSameWall = instantOf({ ...end, hour: start.hour, minute: start.minute }, zone)
            expect(wallTimeOf(atSameWall, zone).hour).not.toBe(start.hour)
          }
        },
      ),
      { numRuns: 2000 },
    )
  })
})

describe('NIS2 Article 23 deadlines', () => {
  it('gives 24 h, 72 h and one month after the notification, counted across a DST change', () => {
    // Aware on Saturday 28 March 2026 11:00 CET; clocks go forward that night.
    const deadlines = nis2Deadlines(
      clock({ awareAt: '2026-03-28T10:00:00Z' }),
      new Date('2026-03-28T12:00:00Z'),
    )
    const early = stage(deadlines, 'early-warning')
    expect(early.dueAt).toBe('2026-03-29T10:00:00.000Z') // 24 elapsed hours: 12:00 CEST on the wall
    expect(early.status).toBe('due')
    expect(stage(deadlines, 'notification').dueAt).toBe('2026-03-31T10:00:00.000Z')
    // No notification yet: the final report is counted from the notification's due time.
    const final = stage(deadlines, 'final')
    expect(final.dueAt).toBe('2026-04-30T10:00:00.000Z')
    expect(final.basis).toMatch(/due time/)
  })

  it('shortens the notification to 24 h for trust service providers', () => {
    const deadlines = nis2Deadlines(clock({ trustServiceProvider: true }), new Date('2026-03-01T09:00:00Z'))
    expect(stage(deadlines, 'notification').dueAt).toBe('2026-03-02T08:00:00.000Z')
  })

  it('marks due, met (in time or late) and overdue', () => {
    const now = new Date('2026-03-03T09:00:00Z')
    const deadlines = nis2Deadlines(
      clock({ earlyWarningAt: '2026-03-02T09:00:00Z' }), // 25 h after awareness: late
      now,
    )
    const early = stage(deadlines, 'early-warning')
    expect(early.status).toBe('met')
    expect(early.late).toBe(true)
    expect(stage(deadlines, 'notification').status).toBe('due')
    const later = nis2Deadlines(
      clock({ earlyWarningAt: '2026-03-01T20:00:00Z' }),
      new Date('2026-03-04T08:00:01Z'),
    )
    expect(stage(later, 'early-warning').late).toBe(false)
    expect(stage(later, 'notification').status).toBe('overdue')
  })

  it('counts the final report from the actual notification, on the wall clock of the zone', () => {
    const deadlines = nis2Deadlines(
      clock({ awareAt: '2026-09-24T22:00:00Z', notificationAt: '2026-09-25T00:30:00Z' }), // 02:30 CEST
      new Date('2026-09-26T00:00:00Z'),
    )
    // 25 October 02:30 happens twice in Brussels: the first (CEST) counts.
    expect(stage(deadlines, 'final').dueAt).toBe('2026-10-25T00:30:00.000Z')
    const ny = nis2Deadlines(
      clock({ awareAt: '2026-02-07T12:00:00Z', notificationAt: '2026-02-08T07:30:00Z', timeZone: NEW_YORK }),
      new Date('2026-02-09T00:00:00Z'),
    )
    // 8 March 02:30 does not exist in New York (spring forward): 03:30 EDT.
    expect(stage(ny, 'final').dueAt).toBe('2026-03-08T07:30:00.000Z')
  })

  it('asks for a progress report when the incident is still ongoing at the final date, then the final one month after it is handled', () => {
    const base = { notificationAt: '2026-03-03T08:00:00Z', earlyWarningAt: '2026-03-01T10:00:00Z' }
    const ongoing = nis2Deadlines(clock(base), new Date('2026-04-10T00:00:00Z'))
    const progress = stage(ongoing, 'progress')
    expect(progress.dueAt).toBe('2026-04-03T07:00:00.000Z') // 09:00 CET → 09:00 CEST
    expect(progress.status).toBe('overdue')
    const final = stage(ongoing, 'final')
    expect(final.dueAt).toBeNull()
    expect(final.status).toBe('waiting')
    const handled = nis2Deadlines(
      clock({ ...base, progressReportAt: '2026-04-02T10:00:00Z', resolvedAt: '2026-04-20T12:00:00Z' }),
      new Date('2026-04-21T00:00:00Z'),
    )
    expect(stage(handled, 'progress').status).toBe('met')
    expect(stage(handled, 'final').dueAt).toBe('2026-05-20T12:00:00.000Z')
    // Handled before the final date: no progress report at all.
    const quick = nis2Deadlines(
      clock({ ...base, resolvedAt: '2026-03-20T00:00:00Z' }),
      new Date('2026-05-01T00:00:00Z'),
    )
    expect(quick.some((d) => d.stage === 'progress')).toBe(false)
    expect(stage(quick, 'final').status).toBe('overdue')
  })

  it('lists intermediate reports asked for, each with its own due date', () => {
    const deadlines = nis2Deadlines(
      clock({
        intermediateRequests: [
          {
            requestedAt: '2026-03-05T08:00:00Z',
            dueAt: '2026-03-06T08:00:00Z',
            submittedAt: '2026-03-06T07:00:00Z',
          },
          { requestedAt: '2026-03-10T08:00:00Z', dueAt: '2026-03-11T08:00:00Z', submittedAt: null },
        ],
      }),
      new Date('2026-03-12T00:00:00Z'),
    )
    const intermediate = deadlines.filter((d) => d.stage === 'intermediate')
    expect(intermediate.map((d) => d.status)).toEqual(['met', 'overdue'])
  })

  it('refuses a clock with a time that is not an instant', () => {
    expect(() => nis2Deadlines(clock({ awareAt: 'yesterday' }), new Date())).toThrow(/not an instant/)
  })
})

describe('NIS2 Article 23 documents', () => {
  const facts: Nis2Facts = {
    reference: 'INC-2026-0001',
    title: 'Ransomware at a hospital',
    entity: { name: 'General Hospital', sector: 'health' },
    awareAt: '2026-03-01T08:00:00Z',
    description: 'Encrypted file servers',
    suspectedMalicious: true,
    crossBorder: false,
    severity: 'high',
    impact: null,
    indicators: ['198.51.100.7'],
    rootCause: null,
    mitigationApplied: null,
    mitigationOngoing: null,
    status: 'in-progress',
  }

  it('carries the fields each stage requires and names the missing ones', () => {
    const early = nis2Document('early-warning', facts, new Date('2026-03-01T10:00:00Z'))
    expect(early.fields).toMatchObject({ suspectedMalicious: true, crossBorder: false })
    expect(early.missing).toEqual([])
    const notification = nis2Document('notification', facts, new Date('2026-03-02T10:00:00Z'))
    expect(notification.fields).toHaveProperty('indicators', ['198.51.100.7'])
    expect(notification.missing).toEqual(['impact'])
    const final = nis2Document('final', facts, new Date('2026-04-01T10:00:00Z'))
    expect(final.missing).toEqual(['impact', 'rootCause', 'mitigationApplied'])
    for (const required of NIS2_REQUIRED.final) {
      expect(final.fields).toHaveProperty(required)
    }
  })

  it('treats an unknown yes/no as missing (null), but a "no" as an answer', () => {
    const unknown = nis2Document('early-warning', { ...facts, crossBorder: null }, new Date())
    expect(unknown.missing).toEqual(['crossBorder'])
  })
})
