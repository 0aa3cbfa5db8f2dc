import { readFileSync } from 'node:fs'
import path from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CORPUS_DIR } from '../../../test/helpers/corpus.js'
import { normaliseObservable, observableAt, observablesOfSco } from './observable.js'
import {
  networkKey,
  parseWarninglist,
  probeObservable,
  WarninglistIndex,
  warninglistKinds,
  type ParsedWarninglist,
  type Warninglist,
} from './warninglist.js'

const LISTS = path.join(CORPUS_DIR, 'misp', 'warninglists')
const NAMES = [
  'rfc1918',
  'rfc5735',
  'rfc6761',
  'empty-hashes',
  'sinkholes',
  'url-shortener',
  'multicast',
] as const

function corpusList(name: string): unknown {
  return JSON.parse(readFileSync(path.join(LISTS, name, 'list.json'), 'utf8'))
}

function ok(parsed: ParsedWarninglist): Warninglist {
  if (!parsed.ok) {
    throw new Error(`expected a valid list: ${JSON.stringify(parsed.problems)}`)
  }
  return parsed.warninglist
}

function problemsOf(json: unknown): { field: string; message: string }[] {
  const parsed = parseWarninglist(json)
  if (parsed.ok) {
    throw new Error('expected problems')
  }
  return [...parsed.problems]
}

const corpusIndex = new WarninglistIndex(
  NAMES.map((id) => ({ id, list: ok(parseWarninglist(corpusList(id))) })),
)

function matchedIds(value: string): string[] {
  return corpusIndex
    .matchValue(value)
    .map((m) => m.listId)
    .sort()
}

describe('parseWarninglist on the corpus lists', () => {
  it.each(NAMES)('reads %s with every value indexed', (name) => {
    const json = corpusList(name) as { name: string; version: number; type: string; list: string[] }
    const list = ok(parseWarninglist(json))
    expect(list).toMatchObject({ name: json.name, version: json.version, type: json.type })
    expect(list.listedValues).toBe(json.list.length)
    // Every value gives at least one entry, and every entry points back to a listed value.
    const listed = new Set(json.list.map((v) => v.trim()))
    expect(new Set(list.entries.map((e) => e.value))).toEqual(listed)
  })

  it('indexes networks by range, as the observable index does', () => {
    const list = ok(parseWarninglist(corpusList('rfc1918')))
    expect(list.entries.find((e) => e.value === '172.16.0.0/12')).toMatchObject({
      match: 'net',
      key: 'net:ipv4:172.16.0.0/12',
      kind: 'ipv4',
      prefix: 12,
      rangeStart: 'ac100000',
      rangeEnd: 'ac1fffff',
    })
    const sinkholes = ok(parseWarninglist(corpusList('sinkholes')))
    expect(sinkholes.entries.find((e) => e.value === '104.155.11.149')).toMatchObject({
      key: 'net:ipv4:104.155.11.149',
      prefix: 32,
    })
  })

  it('keys string values by the kinds of their matching attributes', () => {
    const hashes = ok(parseWarninglist(corpusList('empty-hashes')))
    const keys = hashes.entries.map((e) => e.key)
    expect(keys).toContain('md5:d41d8cd98f00b204e9800998ecf8427e')
    expect(keys).toContain('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    // The empty ssdeep hash is no hash Liaison indexes: kept as text for free-text checks.
    expect(keys).toContain('other:3::')
    expect(keys.filter((k) => k.startsWith('filename:'))).toEqual([])
  })
})

describe('parseWarninglist refuses bad lists, naming the field and why', () => {
  const base = {
    name: 'Test list',
    version: 1,
    description: 'test',
    type: 'cidr',
    list: ['10.0.0.0/8'],
    matching_attributes: ['ip-src'],
  }

  it.each([
    [{ ...base, name: undefined }, 'name', /required/],
    [{ ...base, name: '  ' }, 'name', /non-empty/],
    [{ ...base, version: '1' }, 'version', /integer/],
    [{ ...base, version: 1.5 }, 'version', /integer/],
    [{ ...base, description: undefined }, 'description', /required/],
    [{ ...base, type: 'ip' }, 'type', /one of cidr, string, hostname, substring, regex/],
    [{ ...base, type: 'regex', list: ['^a+$'] }, 'type', /regex warninglists are not supported/],
    [{ ...base, list: '10.0.0.0/8' }, 'list', /array/],
    [{ ...base, list: ['10.0.0.0/8', '10.0.0.300/8'] }, 'list[1]', /"10.0.0.300\/8" is not an IP address/],
    [{ ...base, list: [42] }, 'list[0]', /must be a string/],
    [{ ...base, list: [''] }, 'list[0]', /empty/],
    [{ ...base, type: 'hostname', list: ['ok.example', 'not a host'] }, 'list[1]', /not a host name/],
    [{ ...base, matching_attributes: 'ip-src' }, 'matching_attributes', /array/],
    [{ ...base, matching_attributes: ['ip-src', 3] }, 'matching_attributes[1]', /attribute type/],
    [{ ...base, category: 'benign' }, 'category', /false-positive, known/],
    [{ ...base, extra: true }, 'extra', /not a property/],
  ])('%# → %s', (json, field, message) => {
    const [first] = problemsOf(json)
    expect(first?.field).toBe(field)
    expect(first?.message).toMatch(message)
  })

  it('refuses what is not a list object at all', () => {
    for (const json of [null, [], 'text', 42]) {
      expect(problemsOf(json)[0]?.field).toBe('body')
    }
  })

  it('reports every bad value (up to a limit) with the count', () => {
    const parsed = parseWarninglist({ ...base, list: Array.from({ length: 150 }, (_, i) => `bad-${i}`) })
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) {
      expect(parsed.problems).toHaveLength(100)
      expect(parsed.problemCount).toBe(150)
      expect(parsed.problems[99]?.field).toBe('list[99]')
    }
  })
})

describe('matching the corpus lists', () => {
  it('cidr: addresses and networks inside the blocks, not around them', () => {
    expect(matchedIds('10.1.2.3')).toEqual(['rfc1918', 'rfc5735'])
    expect(matchedIds('192.168.10.0/24')).toEqual(['rfc1918', 'rfc5735'])
    expect(matchedIds('::ffff:172.20.0.1')).toEqual(['rfc1918', 'rfc5735'])
    expect(matchedIds('172.32.0.1')).toEqual([])
    expect(matchedIds('10.0.0.0/7')).toEqual([])
    expect(matchedIds('239.255.255.250')).toEqual(['multicast', 'rfc5735'])
    expect(matchedIds('255.255.255.255')).toEqual(['rfc5735'])
    expect(matchedIds('8.8.8.8')).toEqual([])
  })

  it('cidr: single addresses of a list match themselves only', () => {
    expect(matchedIds('104.155.11.149')).toEqual(['sinkholes'])
    expect(matchedIds('104.155.11.150')).toEqual([])
    expect(matchedIds('143.215.130.77')).toEqual(['sinkholes'])
  })

  it('names the entry that matched', () => {
    expect(corpusIndex.matchValue('172.20.1.1').find((m) => m.listId === 'rfc1918')?.entry).toBe(
      '172.16.0.0/12',
    )
  })

  it('string: exact values after normalisation (case, trailing dot), no subdomains', () => {
    expect(matchedIds('example.com')).toEqual(['rfc6761'])
    expect(matchedIds('EXAMPLE.com.')).toEqual(['rfc6761'])
    expect(matchedIds('www.example.com')).toEqual([])
    expect(matchedIds('16.172.in-addr.arpa')).toEqual(['rfc6761'])
  })

  it('hostname: the domain, its subdomains, and URLs on them; not look-alikes', () => {
    expect(matchedIds('bit.ly')).toEqual(['url-shortener'])
    expect(matchedIds('x.y.Bit.Ly')).toEqual(['url-shortener'])
    expect(matchedIds('https://bit.ly/3abcDEF')).toEqual(['url-shortener'])
    expect(matchedIds('notbit.ly')).toEqual([])
    expect(matchedIds('bit.ly.evil.example')).toEqual([])
    // E-mail is not among the list's matching attributes.
    expect(matchedIds('someone@bit.ly')).toEqual([])
  })

  it('string hashes: any case; the empty ssdeep hash as text', () => {
    expect(matchedIds('D41D8CD98F00B204E9800998ECF8427E')).toEqual(['empty-hashes'])
    expect(matchedIds('da39a3ee5e6b4b0d3255bfef95601890afd80709')).toEqual(['empty-hashes'])
    expect(matchedIds('3::')).toEqual(['empty-hashes'])
    expect(matchedIds('d41d8cd98f00b204e9800998ecf8427f')).toEqual([])
  })

  it('matches observables as the index keeps them (SCOs, pattern comparisons)', () => {
    const url = observableAt('url', 'value', 'HTTPS://Sub.Bit.ly/x')
    const ip = observableAt('network-traffic', 'dst_ref.value', '192.168.1.1')
    const file = observablesOfSco({
      type: 'file',
      name: 'empty.txt',
      hashes: { 'SHA-256': 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855' },
    })
    expect(url && corpusIndex.matchObservable(url).map((m) => m.listId)).toEqual(['url-shortener'])
    expect(ip && corpusIndex.matchObservable(ip).map((m) => m.listId)).toEqual(['rfc1918', 'rfc5735'])
    expect(file.flatMap((o) => corpusIndex.matchObservable(o).map((m) => m.listId))).toEqual(['empty-hashes'])
  })
})

describe('lists of other shapes', () => {
  it('a list without matching attributes applies to every kind', () => {
    const list = ok(
      parseWarninglist({ name: 'files', version: 1, description: '', type: 'string', list: ['Evil.exe'] }),
    )
    const index = new WarninglistIndex([{ id: 'files', list }])
    const name = observableAt('file', 'name', 'Evil.exe')
    expect(name && index.matchObservable(name).length).toBe(1)
    expect(index.matchValue('Evil.exe')).toHaveLength(1)
  })

  it('substring lists match inside values, for their kinds only', () => {
    const list = ok(
      parseWarninglist({
        name: 'cdn',
        version: 1,
        description: '',
        type: 'substring',
        list: ['.CloudFront.net'],
        matching_attributes: ['hostname', 'url'],
      }),
    )
    const index = new WarninglistIndex([{ id: 'cdn', list }])
    expect(index.matchValue('d111111abcdef8.cloudfront.net')).toHaveLength(1)
    expect(index.matchValue('https://d1.cloudfront.net/app.js')).toHaveLength(1)
    expect(index.matchValue('cloudfront.net')).toHaveLength(0)
    expect(index.matchValue('x@d1.cloudfront.net')).toHaveLength(0)
  })

  it('hostname lists take ".domain" and "*.domain" as the domain', () => {
    const list = ok(
      parseWarninglist({
        name: 'h',
        version: 1,
        description: '',
        type: 'hostname',
        list: ['.example.org', '*.example.net'],
      }),
    )
    const index = new WarninglistIndex([{ id: 'h', list }])
    expect(index.matchValue('a.example.org')).toHaveLength(1)
    expect(index.matchValue('example.net')).toHaveLength(1)
  })

  it('IPv6 networks', () => {
    const list = ok(
      parseWarninglist({ name: 'v6', version: 1, description: '', type: 'cidr', list: ['2001:DB8::/32'] }),
    )
    const index = new WarninglistIndex([{ id: 'v6', list }])
    expect(index.matchValue('2001:db8:0:1::5')).toHaveLength(1)
    expect(index.matchValue('2001:db9::1')).toHaveLength(0)
    expect(index.prefixes).toEqual({ ipv4: [], ipv6: [32] })
  })

  it('maps MISP attribute types to observable kinds', () => {
    expect(warninglistKinds([])).toBeNull()
    expect(warninglistKinds(['ip-src', 'domain|ip'])).toEqual(['ipv4', 'ipv6', 'domain'])
    expect(warninglistKinds(['filename|sha256', 'url'])).toEqual(['url', 'sha256'])
    expect(warninglistKinds(['ssdeep'])).toEqual(['other'])
  })
})

describe('network keys', () => {
  it('are the keys normaliseObservable gives the same network (IPv4)', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), (address, prefix) => {
        const o = normaliseObservable('ipv4', address)
        expect(o).not.toBeNull()
        const expected = normaliseObservable('ipv4', `${address}/${prefix}`)?.key
        expect(networkKey('ipv4', o?.rangeStart ?? '', prefix)).toBe(expected)
      }),
      { numRuns: 2000 },
    )
  })

  it('are the keys normaliseObservable gives the same network (IPv6)', () => {
    fc.assert(
      fc.property(fc.ipV6(), fc.integer({ min: 0, max: 128 }), (address, prefix) => {
        const o = normaliseObservable('ipv6', address)
        fc.pre(o !== null)
        const expected = normaliseObservable('ipv6', `${address}/${prefix}`)?.key
        expect(networkKey('ipv6', o?.rangeStart ?? '', prefix)).toBe(expected)
      }),
      { numRuns: 2000 },
    )
  })

  it('are looked up for the given prefix lengths only', () => {
    const o = normaliseObservable('ipv4', '10.1.2.3')
    expect(o && probeObservable(o, { ipv4: [8, 32], ipv6: [] }).keys).toEqual([
      'ipv4:10.1.2.3',
      'net:ipv4:10.0.0.0/8',
      'net:ipv4:10.1.2.3',
    ])
    const net = normaliseObservable('ipv4', '10.1.0.0/16')
    expect(net && probeObservable(net, { ipv4: [8, 24], ipv6: [] }).keys).toEqual([
      'ipv4:10.1.0.0/16',
      'net:ipv4:10.0.0.0/8',
    ])
  })
})
