// A 300,000-attribute event both ways. The bounds are loose on purpose (shared CI machines); what they
// catch is an accidental O(n²), which at this size takes minutes, not seconds.

import { describe, expect, it } from 'vitest'
import { stixToMispEvent } from './from-stix.js'
import { parseMispContent } from './parse.js'
import { mispEventToStix } from './to-stix.js'

const SIZE = 300_000
const KINDS: readonly [string, string, (index: number) => string][] = [
  ['ip-dst', 'Network activity', (index) => `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`],
  ['domain', 'Network activity', (index) => `host${index}.example`],
  ['sha256', 'Payload delivery', (index) => index.toString(16).padStart(64, '0')],
  ['url', 'Network activity', (index) => `http://bad${index}.example/x`],
  ['filename|md5', 'Payload delivery', (index) => `f${index}.exe|${index.toString(16).padStart(32, '0')}`],
  [
    'ip-dst|port',
    'Network activity',
    (index) => `192.0.${(index >> 8) & 255}.${index & 255}|${index % 65535}`,
  ],
  ['text', 'Other', (index) => `note ${index}`],
]

function bigEvent(): unknown {
  const attributes = Array.from({ length: SIZE }, (_, index) => {
    const [type, category, value] = KINDS[index % KINDS.length] ?? ['text', 'Other', String]
    return {
      uuid: `5a1b2c3d-4e5f-4a6b-8c7d-${index.toString(16).padStart(12, '0')}`,
      type,
      category,
      value: value(index),
      to_ids: index % 2 === 0,
      comment: '',
      timestamp: String(1_700_000_000 + (index % 1000)),
      distribution: '5',
      Tag: index % 10 === 0 ? [{ name: 'tlp:amber' }] : [],
    }
  })
  return {
    Event: {
      uuid: '5a1b2c3d-4e5f-4a6b-8c7d-ffffffffffff',
      info: 'Large event',
      date: '2024-01-01',
      published: true,
      timestamp: '1700000000',
      distribution: '1',
      Orgc: { uuid: '55f6ea5e-2c60-40e5-964f-47a8950d210f', name: 'CIRCL' },
      Attribute: attributes,
    },
  }
}

describe('a 300,000-attribute event', () => {
  it('parses, maps to STIX and back in seconds', () => {
    const raw = bigEvent()
    let start = performance.now()
    const { events } = parseMispContent(raw)
    const parseMs = performance.now() - start
    const event = events[0]
    expect(event?.Attribute).toHaveLength(SIZE)
    if (event === undefined) {
      return
    }
    start = performance.now()
    const { objects } = mispEventToStix(event)
    const toStixMs = performance.now() - start
    start = performance.now()
    const back = stixToMispEvent(objects).event
    const backMs = performance.now() - start
    console.log(
      `${SIZE} attributes -> ${objects.length} STIX objects: parse ${parseMs.toFixed(0)} ms, ` +
        `to STIX ${toStixMs.toFixed(0)} ms, back ${backMs.toFixed(0)} ms`,
    )
    expect(back.Attribute).toHaveLength(SIZE)
    const last = event.Attribute[SIZE - 1]
    expect(back.Attribute[SIZE - 1]).toMatchObject({ uuid: last?.uuid, type: last?.type, value: last?.value })
    expect(parseMs).toBeLessThan(10_000)
    expect(toStixMs).toBeLessThan(20_000)
    expect(backMs).toBeLessThan(30_000)
  }, 120_000)
})
