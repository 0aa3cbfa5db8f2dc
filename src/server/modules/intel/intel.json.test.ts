import { describe, expect, it } from 'vitest'
import { hasHugeList, JSON_LIST_STEP, stringifyInTurns } from './intel.json.js'

describe('stringifyInTurns', () => {
  it('gives the text JSON.stringify gives, long lists included', async () => {
    const long = Array.from({ length: JSON_LIST_STEP * 2 + 7 }, (_, i) => `indicator--${i}`)
    const object = {
      type: 'report',
      id: 'report--1',
      object_refs: long,
      name: 'a "quoted" name\n$& $1',
      labels: ['x'],
      other_refs: [...long].reverse(),
      nested: { list: long.slice(0, 3), n: 1, empty: [] },
      odd: [null, 1.5, true, { a: [1] }],
    }
    expect(hasHugeList(object)).toBe(true)
    expect(await stringifyInTurns(object)).toBe(JSON.stringify(object))
    const small = { type: 'indicator', list: long.slice(0, 10) }
    expect(hasHugeList(small)).toBe(false)
    expect(await stringifyInTurns(small)).toBe(JSON.stringify(small))
  })

  it('lets other work run while it writes a long list', async () => {
    const object = { object_refs: Array.from({ length: JSON_LIST_STEP * 4 }, (_, i) => `x--${i}`) }
    let ranDuring = false
    const writing = stringifyInTurns(object)
    setImmediate(() => (ranDuring = true))
    const text = await writing
    expect(ranDuring).toBe(true)
    expect(text.length).toBe(JSON.stringify(object).length)
  })
})
