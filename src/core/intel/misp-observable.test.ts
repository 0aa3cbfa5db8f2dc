import { describe, expect, it } from 'vitest'
import { observablesOfMispAttribute, observablesOfMispObject } from './misp-observable.js'

const keys = (type: string, value: string) => observablesOfMispAttribute(type, value).map((o) => o.key)

describe('observablesOfMispAttribute', () => {
  it('reads a mapped type as a standalone attribute of it is indexed', () => {
    expect(keys('ip-dst|port', '198.51.100.7|443')).toEqual(['ipv4:198.51.100.7'])
    expect(keys('filename|sha256', `evil.exe|${'A'.repeat(64)}`)).toEqual([
      `sha256:${'a'.repeat(64)}`,
      'filename:evil.exe',
    ])
    expect(keys('hostname', 'C2.Example.')).toEqual(['domain:c2.example'])
    expect(keys('AS', '64496')).toEqual(['asn:AS64496'])
    // The type tells the kind: a file name is not a domain, a fuzzy hash is not an MD5.
    expect(keys('filename', 'invoice.pdf')).toEqual(['filename:invoice.pdf'])
    expect(keys('imphash', 'f'.repeat(32))).toEqual([])
    // A value that does not fit its type gives nothing.
    expect(keys('url', 'no-scheme.example/path')).toEqual([])
  })

  it('classifies the values of other types, and skips those MISP does not correlate', () => {
    expect(keys('whois-registrant-email', 'Owner@Registrant.Example')).toEqual([
      'email:owner@registrant.example',
    ])
    expect(keys('text', 'rdata.example')).toEqual(['domain:rdata.example'])
    expect(keys('text', 'a sentence, not a value')).toEqual([])
    expect(keys('float', '3.14')).toEqual([])
    expect(keys('counter', '10.0.0.1')).toEqual([])
  })
})

describe('observablesOfMispObject', () => {
  it('reads every attribute, to_ids or not, but deleted ones and those not to correlate', () => {
    const object = {
      type: 'x-misp-object',
      x_misp_name: 'http-request',
      x_misp_attributes: [
        { type: 'url', object_relation: 'url', value: 'https://c2.example/gate.php', to_ids: false },
        { type: 'ip-dst', object_relation: 'ip-dst', value: '203.0.113.5', to_ids: true },
        { type: 'hostname', object_relation: 'host', value: 'old.example', to_ids: false, deleted: true },
        { type: 'md5', object_relation: 'md5', value: 'd'.repeat(32), disable_correlation: true },
        { type: 'text', object_relation: 'method', value: 42 },
        'not an attribute',
      ],
    }
    expect(observablesOfMispObject(object, 'correlation').map((o) => o.key)).toEqual([
      'url:https://c2.example/gate.php',
      'ipv4:203.0.113.5',
    ])
    // Warninglists judge every value, correlated or not (deleted ones are gone either way).
    expect(observablesOfMispObject(object, 'matching').map((o) => o.key)).toEqual([
      'url:https://c2.example/gate.php',
      'ipv4:203.0.113.5',
      `md5:${'d'.repeat(32)}`,
    ])
    expect(observablesOfMispObject({ type: 'x-misp-object' }, 'correlation')).toEqual([])
  })
})
