import { describe, expect, it } from 'vitest'
import type { StixObject } from '../../../core/stix/stix.js'
import { uniqueVersionsInIdOrder } from './intel.import.js'

const object = (id: string, modified: string, name: string): StixObject => ({
  type: 'indicator',
  id: `indicator--${id}`,
  modified,
  name,
})

describe('uniqueVersionsInIdOrder', () => {
  it('orders by id, keeps every version of an id and the last occurrence of each (id, modified)', () => {
    const part = [
      object('c', '2025-01-01T00:00:00.000Z', 'c1'),
      object('a', '2025-01-02T00:00:00.000Z', 'a-new'),
      object('b', '2025-01-01T00:00:00.000Z', 'b1'),
      object('a', '2025-01-01T00:00:00.000Z', 'a-old'),
      object('c', '2025-01-01T00:00:00.000Z', 'c2'),
      object('a', '2025-01-02T00:00:00.000Z', 'a-new again'),
    ]
    expect(uniqueVersionsInIdOrder(part).map((o) => o.name)).toEqual(['a-new again', 'a-old', 'b1', 'c2'])
    // The part itself is left as it was.
    expect(part.map((o) => o.name)).toEqual(['c1', 'a-new', 'b1', 'a-old', 'c2', 'a-new again'])
  })
})
