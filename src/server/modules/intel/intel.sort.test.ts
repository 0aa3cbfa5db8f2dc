import { describe, expect, it } from 'vitest'
import type { StixObject } from '../../../core/stix/stix.js'
import { SORT_RUN, sortInTurns, uniqueVersionsInIdOrder } from './intel.sort.js'

describe('sortInTurns', () => {
  // Keys drawn with repeats, so that stability shows: `seq` is the position before sorting.
  const items = (count: number) =>
    Array.from({ length: count }, (_, seq) => ({ key: `k${(seq * 7919) % 9973}`, seq }))
  const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)

  it('sorts as the engine does, stably, over several runs (odd ones included)', async () => {
    const input = items(SORT_RUN * 4 + 123)
    const sorted = await sortInTurns(input, byKey)
    expect(sorted.map((i) => i.seq)).toEqual([...input].sort(byKey).map((i) => i.seq))
    // Equal keys keep their order.
    const unstable = sorted.findIndex((b, i) => {
      const a = sorted[i - 1]
      return a !== undefined && a.key === b.key && a.seq > b.seq
    })
    expect(unstable).toBe(-1)
    // The input is left as it was.
    expect(input.slice(0, 3).map((i) => i.seq)).toEqual([0, 1, 2])
  })

  it('lets the event loop turn while it sorts a large input', async () => {
    let ranDuringSort = false
    let sorting = true
    setImmediate(() => (ranDuringSort = sorting))
    await sortInTurns(items(SORT_RUN * 3), byKey)
    sorting = false
    expect(ranDuringSort).toBe(true)
  })

  it('sorts small inputs at once', async () => {
    expect(await sortInTurns([3, 1, 2], (a, b) => a - b)).toEqual([1, 2, 3])
    expect(await sortInTurns([], (a: number, b: number) => a - b)).toEqual([])
  })
})

const object = (id: string, modified: string, name: string): StixObject => ({
  type: 'indicator',
  id: `indicator--${id}`,
  modified,
  name,
})

describe('uniqueVersionsInIdOrder', () => {
  it('orders by id, keeps every version of an id and the last occurrence of each (id, modified)', async () => {
    const part = [
      object('c', '2025-01-01T00:00:00.000Z', 'c1'),
      object('a', '2025-01-02T00:00:00.000Z', 'a-new'),
      object('b', '2025-01-01T00:00:00.000Z', 'b1'),
      object('a', '2025-01-01T00:00:00.000Z', 'a-old'),
      object('c', '2025-01-01T00:00:00.000Z', 'c2'),
      object('a', '2025-01-02T00:00:00.000Z', 'a-new again'),
    ]
    expect((await uniqueVersionsInIdOrder(part)).map((o) => o.name)).toEqual([
      'a-new again',
      'a-old',
      'b1',
      'c2',
    ])
    // The part itself is left as it was.
    expect(part.map((o) => o.name)).toEqual(['c1', 'a-new', 'b1', 'a-old', 'c2', 'a-new again'])
  })
})
