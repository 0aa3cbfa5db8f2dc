// Plain values and rules only: the web UI may import this file.

/**
 * How the store writes every date-added instant (`stix_objects.added_at`, `stix_deletions.deleted_at`):
 * ISO 8601 UTC with exactly six fractional digits, `2026-11-24T18:00:00.123456Z`. One fixed width, so
 * instants compare as strings (ordering, cursors, filters) on both stores.
 */
export type StoredInstant = string

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/
const STORED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/

/** The millisecond {@link StoredInstant.fromMicros} wrote last, and its text up to the milliseconds. */
let lastMs = Number.NaN
let lastMsText = ''

/** Companion helpers for {@link StoredInstant}. */
export const StoredInstant = {
  /** True when `value` is already in the stored format. */
  is(value: string): boolean {
    return STORED.test(value)
  },
  /**
   * The stored text of an instant given in microseconds since the epoch.
   *
   * @example
   * StoredInstant.fromMicros(1_795_543_200_123_456) // '2026-11-24T18:00:00.123456Z'
   */
  fromMicros(micros: number): StoredInstant {
    const ms = Math.floor(micros / 1000)
    const rest = micros - ms * 1000
    // An import names a million consecutive microseconds: a thousand share each millisecond's text.
    if (ms !== lastMs) {
      lastMs = ms
      lastMsText = new Date(ms).toISOString().slice(0, 23)
    }
    return `${lastMsText}${String(rest).padStart(3, '0')}Z`
  },
  /** Microseconds since the epoch of a stored instant (or of any RFC 3339 timestamp), or null. */
  toMicros(value: string): number | null {
    const match = RFC3339.exec(value)
    if (match === null) {
      return null
    }
    const local = `${match[1] ?? ''}T${match[2] ?? ''}`
    const asUtc = Date.parse(`${local}Z`)
    // Date.parse rolls over (February 30th): such a value is no timestamp.
    if (Number.isNaN(asUtc) || new Date(asUtc).toISOString().slice(0, 19) !== local) {
      return null
    }
    const seconds = Date.parse(`${local}${(match[4] ?? 'Z').toUpperCase()}`)
    return seconds * 1000 + Number((match[3] ?? '').padEnd(6, '0').slice(0, 6))
  },
  /** The stored text of a `Date` (whose precision is the millisecond). */
  fromDate(date: Date): StoredInstant {
    return StoredInstant.fromMicros(date.getTime() * 1000)
  },
  /**
   * An RFC 3339 timestamp (any offset, 0 to 9 fractional digits) in the stored format, to compare
   * with stored instants; null when it is none. Digits past the microsecond are cut (`round: 'down'`,
   * right for `>` and `<=`) or, when not all zero, carried up (`round: 'up'`, right for `>=` and `<`).
   *
   * @example
   * StoredInstant.parse('2026-11-24T19:00:00.5+01:00') // '2026-11-24T18:00:00.500000Z'
   * StoredInstant.parse('2026-11-24T18:00:00.1234561Z', 'up') // '2026-11-24T18:00:00.123457Z'
   */
  parse(value: string, round: 'down' | 'up' = 'down'): StoredInstant | null {
    const match = RFC3339.exec(value)
    if (match === null) {
      return null
    }
    const micros = StoredInstant.toMicros(value)
    if (micros === null) {
      return null
    }
    const beyond = (match[3] ?? '').slice(6)
    return StoredInstant.fromMicros(round === 'up' && /[1-9]/.test(beyond) ? micros + 1 : micros)
  },
  /**
   * A stored instant as written before instants had microseconds (`Date#toISOString`, milliseconds),
   * or any other spelling, in the stored format; a value that is no timestamp comes back unchanged.
   */
  normalize(value: string): StoredInstant {
    if (STORED.test(value)) {
      return value
    }
    return StoredInstant.parse(value) ?? value
  },
}
