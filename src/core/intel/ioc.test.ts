import { describe, expect, it } from 'vitest'
import { extractIocs } from './ioc.js'

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
    expect(ip?.sco).toEqual({ type: 'ipv4-addr', spec_version: '2.1', value: '203.0.113.5' })
    const [hash] = extractIocs('sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    expect(hash?.sco).toMatchObject({ type: 'file', hashes: { 'SHA-256': expect.any(String) as string } })
  })

  it('finds nothing in text without IOCs', () => {
    expect(extractIocs('The meeting is at ten. Bring coffee.')).toEqual([])
  })
})
