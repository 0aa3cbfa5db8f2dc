import { describe, expect, it } from 'vitest'
import { StoredInstant } from './instant.js'

describe('StoredInstant', () => {
  it('writes microseconds with six digits, and reads them back', () => {
    const micros = Date.parse('2026-11-24T18:00:00.123Z') * 1000 + 456
    expect(StoredInstant.fromMicros(micros)).toBe('2026-11-24T18:00:00.123456Z')
    expect(StoredInstant.toMicros('2026-11-24T18:00:00.123456Z')).toBe(micros)
    expect(StoredInstant.fromDate(new Date('2026-11-24T18:00:00.123Z'))).toBe('2026-11-24T18:00:00.123000Z')
  })

  it('brings any RFC 3339 timestamp to the stored format, rounding as the comparison needs', () => {
    expect(StoredInstant.parse('2026-11-24T19:00:00.5+01:00')).toBe('2026-11-24T18:00:00.500000Z')
    expect(StoredInstant.parse('2026-11-24T18:00:00.1234561Z')).toBe('2026-11-24T18:00:00.123456Z')
    expect(StoredInstant.parse('2026-11-24T18:00:00.1234561Z', 'up')).toBe('2026-11-24T18:00:00.123457Z')
    expect(StoredInstant.parse('2026-11-24T18:00:00.1234560Z', 'up')).toBe('2026-11-24T18:00:00.123456Z')
    expect(StoredInstant.parse('2026-02-30T00:00:00Z')).toBeNull()
    expect(StoredInstant.parse('yesterday')).toBeNull()
  })

  it('normalises millisecond instants stored or handed out before, and sorts them with new ones', () => {
    expect(StoredInstant.normalize('2026-11-24T18:00:00.123Z')).toBe('2026-11-24T18:00:00.123000Z')
    expect(StoredInstant.normalize('2026-11-24T18:00:00.123456Z')).toBe('2026-11-24T18:00:00.123456Z')
    expect(StoredInstant.normalize('not a time')).toBe('not a time')
    expect(StoredInstant.normalize('2026-11-24T18:00:00.123Z') < '2026-11-24T18:00:00.123001Z').toBe(true)
  })
})
