import { describe, expect, it } from 'vitest'
import { isDeterministicScoId } from '../stix/sco-id.js'
import { validateStixContent } from '../stix/validate.js'
import { extractIocs } from './ioc.js'

/** UUIDv5 in a STIX id: version nibble 5, RFC 4122 variant. */
const SCO_ID_V5 = /^[a-z][a-z0-9-]*--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('extractIocs', () => {
  it('finds defanged and plain IOCs in a report, once each, normalised', () => {
    const text = `Phishing wave: mails from billing[at]invoice-portal[.]net linked to
      hxxps://Invoice-Portal[.]net/login.php ; payload beacons to 198.51.100[.]7 and 198.51.100.7
      over 2001:db8::7, dropper MD5 D41D8CD98F00B204E9800998ECF8427E, hosted in AS64496.`
    const keys = extractIocs(text).map((i) => i.observable.key)
    expect(keys).toContain('url:https://invoice-portal.net/login.php')
    expect(keys).toContain('ipv4:198.51.100.7')
    expect(keys).toContain('ipv6:2001:db8::7')
    expect(keys).toContain('md5:d41d8cd98f00b204e9800998ecf8427e')
    expect(keys).toContain('email:billing@invoice-portal.net')
    expect(keys).toContain('domain:invoice-portal.net')
    expect(keys.filter((k) => k === 'ipv4:198.51.100.7')).toHaveLength(1)
  })

  it('turns each IOC into the matching SCO', () => {
    const [ip] = extractIocs('contact 203.0.113.5 now')
    expect(ip?.sco).toEqual({
      type: 'ipv4-addr',
      spec_version: '2.1',
      id: expect.stringMatching(/^ipv4-addr--/) as string,
      value: '203.0.113.5',
    })
    const [hash] = extractIocs('sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    expect(hash?.sco).toMatchObject({ type: 'file', hashes: { 'SHA-256': expect.any(String) as string } })
  })

  it('reads defanged schemes in any case, leaves sentence punctuation out of URLs, keeps networks whole', () => {
    const keys = (text: string) => extractIocs(text).map((i) => i.observable.key)
    expect(keys('See hXXp://bad.com/x.')).toContain('url:http://bad.com/x')
    expect(keys('HXXPS[:]//UP.com/A')).toContain('url:https://up.com/A')
    expect(keys('the link (https://bad.com/path).')).toContain('url:https://bad.com/path')
    expect(keys('go to https://bad.com/path, then')).toContain('url:https://bad.com/path')
    expect(keys('a wiki link https://en.wikipedia.org/wiki/Foo_(bar) here')).toContain(
      'url:https://en.wikipedia.org/wiki/Foo_(bar)',
    )
    // An address or network at the end of a sentence keeps its full stop out.
    expect(keys('The sender was 192.0.2.44.')).toEqual(['ipv4:192.0.2.44'])
    expect(keys('Block 10.0.0.0/8.')).toEqual(['ipv4:10.0.0.0/8'])
    const cidr = extractIocs('scanning from 203.0.113[.]0/24 and 198.51.100.9')
    expect(cidr.map((i) => i.observable.key).sort()).toEqual(['ipv4:198.51.100.9', 'ipv4:203.0.113.0/24'])
    expect(cidr.find((i) => i.observable.key === 'ipv4:203.0.113.0/24')?.sco).toMatchObject({
      type: 'ipv4-addr',
      value: '203.0.113.0/24',
    })
    // IPv6 networks stay networks too; an address written alone stays an address.
    const six = extractIocs('routes 2001:db8::/32 and host 2001:db8::5 announced')
    expect(six.map((i) => i.observable.key).sort()).toEqual(['ipv6:2001:db8::/32', 'ipv6:2001:db8::5'])
    expect(six.find((i) => i.observable.key === 'ipv6:2001:db8::/32')?.sco).toMatchObject({
      type: 'ipv6-addr',
      value: '2001:db8::/32',
    })
    // An internationalised name is not cut into a wrong ASCII one.
    expect(keys('Bestellung bei bücher.de')).not.toContain('domain:cher.de')
    expect(keys('xn--bcher-kva.de')).toContain('domain:xn--bcher-kva.de')
  })

  it('extracts IPv4 in inet_aton spellings neither as addresses nor as domains', () => {
    const found = extractIocs(
      'beacons to 010.1.1.1, 0x7f.0.0.1, 0177.0.0.1 and 127.1; scans 010.1.1.0/24, 10.1.1.01 and ' +
        '::ffff:010.1.1.1; host 1.2.3.4.5 also 010[.]1[.]1[.]1, next to 198.51.100.7',
    )
    expect(found.map((i) => i.observable.key)).toEqual(['ipv4:198.51.100.7'])
  })

  it('finds nothing in text without IOCs', () => {
    expect(extractIocs('The meeting is at ten. Bring coffee.')).toEqual([])
  })

  it('gives each SCO the STIX 2.1 deterministic id of the spec test vectors', () => {
    const byValue = new Map(
      extractIocs('seen 198.51.100.3, example.com and alice@example.org').map((i) => [
        i.observable.value,
        i.sco.id,
      ]),
    )
    // stix21.md section 6.2 test vectors.
    expect(byValue.get('198.51.100.3')).toBe('ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4')
    expect(byValue.get('example.com')).toBe('domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7')
    expect(byValue.get('alice@example.org')).toBe('email-addr--4e768f86-4140-5e47-8df8-acaf2b0eec02')
  })

  it('gives the same value the same id whatever its form, and other values other ids', () => {
    const plain = extractIocs(
      'C2 198.51.100.7 at https://bad.example/gate.php hash D41D8CD98F00B204E9800998ECF8427E',
    )
    const defanged = extractIocs(
      'C2 198.51.100[.]7 at hxxps://bad[.]example/gate.php hash d41d8cd98f00b204e9800998ecf8427e',
    )
    const ids = (list: typeof plain) => new Map(list.map((i) => [i.observable.key, i.sco.id]))
    expect(ids(defanged)).toEqual(ids(plain))
    expect(ids(plain).get('ipv4:198.51.100.7')).toBeDefined()
    expect(ids(plain).get('md5:d41d8cd98f00b204e9800998ecf8427e')).toMatch(/^file--/)
    const all = plain.map((i) => i.sco.id)
    expect(new Set(all).size).toBe(all.length)
  })

  it('makes spec-conformant SCOs: UUIDv5 ids that the validator and the id rule accept', () => {
    const text = `mail billing[at]invoice-portal[.]net, hxxps://invoice-portal[.]net/a, 2001:db8::7,
      198.51.100.9, AS64496, 00:1A:2B:3C:4D:5E, e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855,
      da39a3ee5e6b4b0d3255bfef95601890afd80709`
    const found = extractIocs(text)
    expect(new Set(found.map((i) => i.sco.type)).size).toBeGreaterThanOrEqual(6)
    for (const { sco } of found) {
      expect(sco.id, sco.type).toMatch(SCO_ID_V5)
      expect(sco.id.startsWith(`${sco.type}--`)).toBe(true)
      expect(isDeterministicScoId(sco), sco.id).toBe(true)
    }
    const checked = validateStixContent(found.map((i) => i.sco))
    expect(checked.problems).toEqual([])
  })
})
