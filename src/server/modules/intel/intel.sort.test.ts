import { describe, expect, it } from 'vitest'
import { SORT_RUN, sortInTurns } from './intel.sort.js'

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
