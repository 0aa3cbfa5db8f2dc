import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { CORPUS_DIR } from '../../../test/helpers/corpus.js'
import { looksLikeXarf, parseXarf, rsitHintOfXarf } from './xarf.js'

const XARF_DIR = path.join(CORPUS_DIR, 'other', 'xarf', 'v4')

function sample(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(XARF_DIR, name), 'utf8')) as Record<string, unknown>
}

describe('X-ARF v4', () => {
  it('reads every sample of the specification', () => {
    const files = readdirSync(XARF_DIR).filter((f) => f.endsWith('.json'))
    expect(files.length).toBe(32)
    for (const file of files) {
      const json = sample(file)
      expect(looksLikeXarf(json), file).toBe(true)
      const parsed = parseXarf(json)
      expect(parsed.ok ? [] : parsed.problems, file).toEqual([])
    }
  })

  it('reads the fields intake uses and decodes the evidence', () => {
    const parsed = parseXarf(sample('connection-ddos.json'))
    if (!parsed.ok) {
      throw new Error(parsed.problems.join('; '))
    }
    expect(parsed.report).toMatchObject({
      category: 'connection',
      type: 'ddos',
      sourceIdentifier: '192.0.2.155',
      destinationIp: '203.0.113.100',
      protocol: 'tcp',
      timestamp: '2025-01-11T09:21:23.000Z',
      firstSeen: '2025-01-11T08:45:00.000Z',
      reporter: { org: 'DDoS Protection Service', contact: 'ddos@ddos-monitor.example' },
    })
    expect(parsed.report.evidence[0]?.payload.toString('utf8')).toBe(
      'DDoS attack detected: 250K pps, 1.2Gbps, 45 minutes',
    )
  })

  it('names every missing or malformed field', () => {
    const json = sample('content-phishing.json')
    delete json.url
    delete json.sender
    json.report_id = 'not-a-uuid'
    json.timestamp = 'yesterday'
    json.category = 'weather'
    const parsed = parseXarf(json)
    expect(parsed.ok).toBe(false)
    if (parsed.ok) {
      return
    }
    expect(parsed.problems).toEqual(
      expect.arrayContaining([
        'report_id: must be a UUID',
        'timestamp: must be an ISO 8601 date-time with a time zone',
        'sender: required',
        expect.stringMatching(/^category: must be one of/),
      ]),
    )
    const content = sample('content-phishing.json')
    delete content.url
    const withoutUrl = parseXarf(content)
    expect(withoutUrl.ok ? [] : withoutUrl.problems).toEqual(['url: required'])
    expect(parseXarf([1, 2])).toEqual({ ok: false, problems: ['report: must be a JSON object'] })
    expect(looksLikeXarf({ Version: '3' })).toBe(false)
  })

  it('leaves out _internal', () => {
    const json = { ...sample('messaging-spam.json'), _internal: { ticket: 'X-1' } }
    const parsed = parseXarf(json)
    expect(parsed.ok && '_internal' in parsed.report.json).toBe(false)
  })

  it('hints the obvious RSIT class/type only', () => {
    expect(rsitHintOfXarf('connection', 'port_scan')).toBe('information-gathering/scanner')
    expect(rsitHintOfXarf('connection', 'port-scan')).toBe('information-gathering/scanner')
    expect(rsitHintOfXarf('content', 'phishing')).toBe('fraud/phishing')
    expect(rsitHintOfXarf('messaging', 'spam')).toBe('abusive-content/spam')
    expect(rsitHintOfXarf('reputation', 'blocklist')).toBeNull()
    expect(rsitHintOfXarf('content', 'fraud')).toBeNull()
  })
})
