import { createHash } from 'node:crypto'
import ipaddr from 'ipaddr.js'
import { describe, expect, it } from 'vitest'
import {
  classifyValue,
  normaliseObservable,
  OBSERVABLE_KEY_MAX_BYTES,
  observableAt,
  observableKey,
  observablesOfSco,
} from './observable.js'

describe('normaliseObservable', () => {
  it('normalises IPv4 addresses and networks with their ranges', () => {
    expect(normaliseObservable('ipv4', ' 198.51.100.7 ')).toEqual({
      kind: 'ipv4',
      key: 'ipv4:198.51.100.7',
      value: '198.51.100.7',
      rangeStart: 'c6336407',
      rangeEnd: 'c6336407',
    })
    expect(normaliseObservable('ipv4', '10.1.2.3/8')).toMatchObject({
      key: 'ipv4:10.0.0.0/8',
      rangeStart: '0a000000',
      rangeEnd: '0affffff',
    })
    expect(normaliseObservable('ipv4', '192.0.2.1/32')?.key).toBe('ipv4:192.0.2.1')
    expect(normaliseObservable('ipv4', '10.1')).toBeNull()
    expect(normaliseObservable('ipv4', '300.1.1.1')).toBeNull()
    expect(normaliseObservable('ipv4', '2001:db8::1')).toBeNull()
  })

  it('normalises IPv6 to its compact form, with 128-bit ranges', () => {
    const one = normaliseObservable('ipv6', '2001:0DB8:0000:0000:0000:0000:0000:0001')
    expect(one?.key).toBe('ipv6:2001:db8::1')
    expect(one?.rangeStart).toBe('20010db8000000000000000000000001')
    const net = normaliseObservable('ipv6', '2001:db8::/32')
    expect(net).toMatchObject({
      rangeStart: '20010db8000000000000000000000000',
      rangeEnd: '20010db8ffffffffffffffffffffffff',
    })
    expect(classifyValue('::ffff:192.0.2.5')?.key).toBe('ipv4:192.0.2.5')
  })

  it('lower-cases domains and writes international ones in IDNA', () => {
    expect(normaliseObservable('domain', 'Evil.Example.COM.')?.key).toBe('domain:evil.example.com')
    expect(normaliseObservable('domain', 'bücher.example')?.key).toBe('domain:xn--bcher-kva.example')
    expect(normaliseObservable('domain', 'not a domain')).toBeNull()
    expect(normaliseObservable('email', 'Alice@Bücher.Example')?.key).toBe(
      'email:alice@xn--bcher-kva.example',
    )
  })

  it('normalises URLs, hashes, ASNs and MAC addresses', () => {
    expect(normaliseObservable('url', 'HTTP://Evil.Example:80/Path?q=1')?.value).toBe(
      'http://evil.example/Path?q=1',
    )
    expect(
      normaliseObservable('sha256', 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855')
        ?.value,
    ).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    expect(normaliseObservable('md5', 'abc')).toBeNull()
    expect(normaliseObservable('asn', 'as64496')?.key).toBe('asn:AS64496')
    expect(normaliseObservable('mac', '00-1A-2B-3C-4D-5E')?.value).toBe('00:1a:2b:3c:4d:5e')
  })
})

describe('classifyValue', () => {
  it.each([
    ['203.0.113.9', 'ipv4:203.0.113.9'],
    ['203.0.113.0/24', 'ipv4:203.0.113.0/24'],
    ['https://Example.org/x', 'url:https://example.org/x'],
    ['d41d8cd98f00b204e9800998ecf8427e', 'md5:d41d8cd98f00b204e9800998ecf8427e'],
    ['AS 3320', 'asn:AS3320'],
    ['mail@Example.org', 'email:mail@example.org'],
    ['WWW.Example.org', 'domain:www.example.org'],
  ])('%s → %s', (value, key) => {
    expect(classifyValue(value)?.key).toBe(key)
  })

  it('gives up on what is not an observable', () => {
    expect(classifyValue('hello')).toBeNull()
    expect(classifyValue('')).toBeNull()
  })
})

describe('observables of STIX objects and patterns', () => {
  it('indexes pattern paths, incl. quoted hash names', () => {
    expect(observableAt('file', "hashes.'SHA-256'", 'AA'.repeat(32))?.kind).toBe('sha256')
    expect(observableAt('network-traffic', 'dst_ref.value', '198.51.100.1')?.kind).toBe('ipv4')
    expect(observableAt('process', 'pid', 4)).toBeNull()
  })

  it('takes every observable of an SCO', () => {
    const keys = observablesOfSco({
      type: 'file',
      id: 'file--x',
      name: 'evil.exe',
      hashes: {
        MD5: 'd41d8cd98f00b204e9800998ecf8427e',
        'SHA-256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      },
    }).map((o) => o.key)
    expect(keys.sort()).toEqual([
      'filename:evil.exe',
      'md5:d41d8cd98f00b204e9800998ecf8427e',
      'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    ])
  })
})

describe('IPv4 addresses in dotted decimal', () => {
  it('reads them as ipaddr.js does', () => {
    const octets = [0, 1, 9, 10, 15, 16, 99, 100, 127, 128, 199, 200, 254, 255]
    const values: string[] = []
    for (const a of octets) {
      for (const b of [0, 16, 255]) {
        values.push(`${a}.${b}.${octets[(a + b) % octets.length] ?? 0}.${a === 0 ? 255 : 1}`)
      }
    }
    for (let i = 0; i < 500; i++) {
      values.push(Array.from({ length: 4 }, (_, k) => (i * 7919 + k * 104729) % 256).join('.'))
    }
    for (const value of values) {
      const bytes = ipaddr.parse(value).toByteArray()
      const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('')
      expect(normaliseObservable('ipv4', ` ${value} `), value).toEqual({
        kind: 'ipv4',
        key: `ipv4:${ipaddr.parse(value).toString()}`,
        value: ipaddr.parse(value).toString(),
        rangeStart: hex,
        rangeEnd: hex,
      })
    }
  })

  it('leaves other spellings to the full parser, which refuses what indicators never mean', () => {
    for (const value of [
      '010.1.1.1',
      '1.2.3.256',
      '256.1.1.1',
      '1.2.3',
      '0x7f.0.0.1',
      '1.2.3.4.5',
      '1..2.3',
    ]) {
      expect(normaliseObservable('ipv4', value), value).toBeNull()
    }
    expect(classifyValue('::ffff:192.0.2.5')?.key).toBe('ipv4:192.0.2.5')
  })

  it('takes IPv4 in inet_aton spellings for no observable at all, never for a domain', () => {
    // 010 is octal to inet_aton (8.1.1.1) but most likely 10 padded to whoever wrote it: no guess.
    for (const value of [
      '010.1.1.1',
      '10.1.1.01',
      '0x7f.0.0.1',
      '0177.0.0.1',
      '127.1',
      '1.2.3.4.5',
      '010.1.1.0/24',
      '0x0a.0.0.0/8',
      '127.1/8',
      '::ffff:010.1.1.1',
    ]) {
      expect(classifyValue(value), value).toBeNull()
      expect(normaliseObservable('domain', value), value).toBeNull()
      expect(normaliseObservable('ipv4', value), value).toBeNull()
      expect(normaliseObservable('ipv6', value), value).toBeNull()
    }
    // Nor, as the value of a STIX domain-name or an e-mail address, anything whose last label is a number.
    expect(observableAt('domain-name', 'value', '198.51.100.7')).toBeNull()
    expect(observableAt('domain-name', 'value', 'host.0x1f')).toBeNull()
    expect(observableAt('email-addr', 'value', 'root@127.1')).toBeNull()
    expect(observableAt('domain-name', 'value', '7.example')?.key).toBe('domain:7.example')
    expect(observableAt('domain-name', 'value', 'example.0xy')?.key).toBe('domain:example.0xy')
    // A URL's host is what a browser connects to: read as WHATWG URL parsing reads it.
    expect(classifyValue('http://0x7f.0.0.1/gate')?.key).toBe('url:http://127.0.0.1/gate')
    expect(classifyValue('198.51.100.0/24')?.key).toBe('ipv4:198.51.100.0/24')
  })
})

describe('observableKey', () => {
  it('keeps values up to 1,024 bytes whole and keys longer ones by their SHA-256, counting UTF-8 bytes', () => {
    const fits = 'a'.repeat(OBSERVABLE_KEY_MAX_BYTES)
    expect(observableKey('filename', fits)).toBe(`filename:${fits}`)
    // 342 characters of two bytes each: short in characters, too long in bytes.
    const wide = 'é'.repeat(Math.floor(OBSERVABLE_KEY_MAX_BYTES / 2) + 1)
    expect(observableKey('filename', wide)).toBe(
      `filename#sha256:${createHash('sha256').update(wide).digest('hex')}`,
    )
    expect(observableKey('filename', `${fits}a`)).toMatch(/^filename#sha256:[0-9a-f]{64}$/)
    // Equal values share the key; the kind stays apart.
    const url = `https://example.com/?q=${'x'.repeat(2000)}`
    expect(normaliseObservable('url', url)?.key).toBe(classifyValue(url)?.key)
    expect(normaliseObservable('url', url)?.value).toBe(url)
    expect(observableKey('mutex', `${fits}a`)).not.toBe(observableKey('filename', `${fits}a`))
  })
})
