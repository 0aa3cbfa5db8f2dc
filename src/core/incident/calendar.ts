/**
 * Calendar arithmetic in a named time zone (IANA, e.g. `Europe/Brussels`), with Intl only: legal
 * deadlines such as "one month after" are counted on the wall clock of the place the law applies,
 * while "24 hours" are counted in elapsed time.
 */

/** A wall-clock time in some zone. Months are 1–12. */
export interface WallTime {
  readonly year: number
  readonly month: number
  readonly day: number
  readonly hour: number
  readonly minute: number
  readonly second: number
  readonly millisecond: number
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone)
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formatters.set(timeZone, formatter)
  }
  return formatter
}

/** True when `timeZone` is an IANA zone name this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatterOf(timeZone)
    return true
  } catch {
    return false
  }
}

/** The wall-clock time of an instant in a zone. */
export function wallTimeOf(instant: Date, timeZone: string): WallTime {
  const parts: Record<string, number> = {}
  for (const part of formatterOf(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') {
      parts[part.type] = Number(part.value)
    }
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
    millisecond: instant.getUTCMilliseconds(),
  }
}

function wallAsUtc(wall: WallTime): number {
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second, wall.millisecond)
}

/** Offset of the zone from UTC at an instant, in milliseconds (east positive). */
export function offsetAt(instant: Date, timeZone: string): number {
  const wall = wallTimeOf(instant, timeZone)
  return wallAsUtc(wall) - instant.getTime()
}

/**
 * The instant a wall-clock time names in a zone. A time skipped by a daylight-saving change
 * (spring forward) moves forward by the gap; a time that occurs twice (fall back) is its first
 * occurrence.
 */
export function instantOf(wall: WallTime, timeZone: string): Date {
  const naive = wallAsUtc(wall)
  // The offset is one of the offsets around the naive instant; try the earlier one first so an
  // ambiguous time resolves to its first occurrence.
  const before = offsetAt(new Date(naive - 86_400_000), timeZone)
  const after = offsetAt(new Date(naive + 86_400_000), timeZone)
  for (const offset of before >= after ? [before, after] : [after, before]) {
    const candidate = new Date(naive - offset)
    if (wallAsUtc(wallTimeOf(candidate, timeZone)) === naive) {
      return candidate
    }
  }
  // Skipped (spring forward): the same distance past the change as the wall time is past it.
  return new Date(naive - Math.min(before, after))
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate()
}

/**
 * `months` calendar months after an instant, on the zone's wall clock: same day and time of day,
 * or the month's last day when it has no such day (31 January + 1 month = 28/29 February).
 */
export function addMonths(instant: Date, months: number, timeZone: string): Date {
  const wall = wallTimeOf(instant, timeZone)
  const index = wall.year * 12 + (wall.month - 1) + months
  const year = Math.floor(index / 12)
  const month = (index % 12) + 1
  return instantOf({ ...wall, year, month, day: Math.min(wall.day, daysInMonth(year, month)) }, timeZone)
}

/** An instant plus elapsed hours (time zones and daylight saving do not change elapsed time). */
export function addHours(instant: Date, hours: number): Date {
  return new Date(instant.getTime() + hours * 3_600_000)
}
