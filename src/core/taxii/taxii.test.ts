import { describe, expect, it } from 'vitest'
import {
  acceptsTaxii,
  equivalentTimestamps,
  isTaxiiContentType,
  MediaRange,
  parseTaxiiFilter,
  parseTaxiiTimestamp,
  TaxiiCursor,
  toTaxiiTimestamp,
} from './taxii.js'

describe('TAXII media types', () => {
  it('reads media ranges with parameters, quoted values and qualities', () => {
    expect(MediaRange.parseAll('Application/TAXII+json; Version="2.1", */*;q=0.2, bad')).toEqual([
      { type: 'application', subtype: 'taxii+json', params: { version: '2.1' }, q: 1 },
      { type: '*', subtype: '*', params: {}, q: 0.2 },
    ])
  })

  it('accepts what can be answered in TAXII 2.1, and nothing else', () => {
    for (const accept of [
      undefined,
      '',
      'application/taxii+json;version=2.1',
      'application/taxii+json',
      'application/*',
      '*/*',
      'text/html, application/taxii+json;version=2.1;q=0.1',
      // The most specific range decides: this one allows what the broader one refused.
      'application/*;q=0, application/taxii+json;version=2.1',
    ]) {
      expect(acceptsTaxii(accept), String(accept)).toBe(true)
    }
    for (const accept of [
      'application/json',
      'application/taxii+json;version=2.0',
      'application/stix+json;version=2.1',
      'application/taxii+json;q=0',
      'text/*',
      // Refused explicitly, whatever broader range follows (RFC 9110: the most specific wins).
      'application/taxii+json;q=0, */*',
      'application/taxii+json;version=2.1;q=0, application/*',
    ]) {
      expect(acceptsTaxii(accept), accept).toBe(false)
    }
  })

  it('takes TAXII and STIX 2.1 bodies only', () => {
    expect(isTaxiiContentType('application/taxii+json;version=2.1')).toBe(true)
    expect(isTaxiiContentType('application/taxii+json; charset=utf-8')).toBe(true)
    expect(isTaxiiContentType('application/stix+json;version=2.1')).toBe(true)
    expect(isTaxiiContentType('application/stix+json;version=2.0')).toBe(false)
    expect(isTaxiiContentType('application/json')).toBe(false)
    expect(isTaxiiContentType(undefined)).toBe(false)
  })
})

describe('TAXII timestamps', () => {
  it('writes stored instants with exactly microseconds', () => {
    expect(toTaxiiTimestamp('2026-11-24T18:00:00.123Z')).toBe('2026-11-24T18:00:00.123000Z')
    expect(toTaxiiTimestamp('2026-11-24T18:00:00.123456Z')).toBe('2026-11-24T18:00:00.123456Z')
    expect(toTaxiiTimestamp('2026-11-24T18:00:00Z')).toBe('2026-11-24T18:00:00.000000Z')
  })

  it('reads client timestamps down to the millisecond, refusing impossible dates', () => {
    expect(parseTaxiiTimestamp('2026-11-24T18:00:00.123456Z')).toBe('2026-11-24T18:00:00.123456Z')
    expect(parseTaxiiTimestamp('2026-11-24T18:00:00.123456789Z')).toBe('2026-11-24T18:00:00.123456Z')
    expect(parseTaxiiTimestamp('2026-11-24T18:00:00Z')).toBe('2026-11-24T18:00:00.000000Z')
    expect(parseTaxiiTimestamp('2026-02-30T00:00:00Z')).toBeNull()
    expect(parseTaxiiTimestamp('2026-11-24T18:00:00+01:00')).toBeNull()
    expect(parseTaxiiTimestamp('yesterday')).toBeNull()
  })

  it('spells one instant every way a producer may have written it', () => {
    const all = equivalentTimestamps('2024-01-01T00:00:00.500000Z')
    expect(all).toContain('2024-01-01T00:00:00.5Z')
    expect(all).toContain('2024-01-01T00:00:00.500Z')
    expect(all).toContain('2024-01-01T00:00:00.500000Z')
    expect(all).not.toContain('2024-01-01T00:00:00Z')
    expect(equivalentTimestamps('2024-01-01T00:00:00Z')).toContain('2024-01-01T00:00:00.000Z')
  })
})

describe('TAXII filters', () => {
  it('round-trips the cursor and refuses foreign ones', () => {
    const cursor = {
      addedAt: '2026-11-24T18:00:00.123456Z',
      id: 'indicator--x',
      ownerOrgId: 'o',
      modified: '',
    }
    expect(TaxiiCursor.decode(TaxiiCursor.encode(cursor))).toEqual(cursor)
    // A cursor given out when instants had milliseconds reads in today's format.
    const old = { ...cursor, addedAt: '2026-11-24T18:00:00.123Z' }
    expect(TaxiiCursor.decode(TaxiiCursor.encode(old))).toEqual({
      ...cursor,
      addedAt: '2026-11-24T18:00:00.123000Z',
    })
    expect(TaxiiCursor.decode('abc')).toBeNull()
    expect(TaxiiCursor.decode('a b')).toBeNull()
  })

  it('reads each filter an endpoint takes, with last as the default version', () => {
    const parsed = parseTaxiiFilter(
      {
        added_after: '2026-11-24T18:00:00.000000Z',
        limit: '50',
        'match[type]': 'indicator,malware',
        'match[id]': 'indicator--6770298f-0fd8-471a-ab8c-1c658a46574e',
        'match[spec_version]': '2.1',
        other: 'ignored',
      },
      'objects',
    )
    expect(parsed).toEqual({
      ok: true,
      filter: {
        addedAfter: '2026-11-24T18:00:00.000000Z',
        limit: 50,
        next: null,
        ids: ['indicator--6770298f-0fd8-471a-ab8c-1c658a46574e'],
        types: ['indicator', 'malware'],
        versions: { all: false, first: false, last: true, at: [] },
        specVersions: ['2.1'],
      },
    })
    // The versions endpoint takes no match[type]: it is ignored, not refused.
    const versions = parseTaxiiFilter({ 'match[type]': 'Not A Type' }, 'versions')
    expect(versions.ok).toBe(true)
  })

  it('names the malformed parameter', () => {
    const problem = (query: Record<string, unknown>) => {
      const parsed = parseTaxiiFilter(query, 'objects')
      return parsed.ok ? null : parsed.problem.parameter
    }
    expect(problem({ limit: '0' })).toBe('limit')
    expect(problem({ limit: '-5' })).toBe('limit')
    expect(problem({ limit: '1e3' })).toBe('limit')
    // A limit larger than any page is a limit still: the server gives at most its own page size.
    const huge = parseTaxiiFilter({ limit: '100000000000000000000' }, 'objects')
    expect(huge.ok && huge.filter.limit).toBe(Number.MAX_SAFE_INTEGER)
    expect(problem({ 'match[version]': 'all,first' })).toBe('match[version]')
    expect(problem({ 'match[version]': 'first,first' })).toBe('match[version]')
    expect(problem({ 'match[type]': ['indicator', 'malware'] })).toBe('match[type]')
    expect(
      problem({ next: TaxiiCursor.encode({ addedAt: 'a', id: 'b', ownerOrgId: 'c', modified: '' }) }),
    ).toBeNull()
  })
})
