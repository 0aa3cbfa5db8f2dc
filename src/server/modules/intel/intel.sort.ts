import { setImmediate as turn } from 'node:timers/promises'

/** Items the engine sorts, or a merge moves, between two turns of the event loop (~50 ms). */
export const SORT_RUN = 50_000

/**
 * A stable sort of `items` into a new array, letting the event loop turn every {@link SORT_RUN}
 * items: runs of that many sorted by the engine, then merged two by two. The objects of a MISP
 * mega-event (1.5 M) or its report's references sort in 2–4 s, during which a server sorting them
 * in one go answers nothing; in turns it costs about the same.
 */
export async function sortInTurns<T>(items: readonly T[], compare: (a: T, b: T) => number): Promise<T[]> {
  if (items.length <= SORT_RUN) {
    return [...items].sort(compare)
  }
  let runs: T[][] = []
  for (let i = 0; i < items.length; i += SORT_RUN) {
    runs.push(items.slice(i, i + SORT_RUN).sort(compare))
    await turn()
  }
  while (runs.length > 1) {
    const merged: T[][] = []
    for (let i = 0; i < runs.length; i += 2) {
      const left = runs[i] as T[]
      const right = runs[i + 1]
      merged.push(right === undefined ? left : await mergeInTurns(left, right, compare))
    }
    runs = merged
  }
  return runs[0] ?? []
}

/** Two sorted runs as one; on ties the left run's item first (so the sort stays stable). */
async function mergeInTurns<T>(left: T[], right: T[], compare: (a: T, b: T) => number): Promise<T[]> {
  const out = new Array<T>(left.length + right.length)
  let i = 0
  let j = 0
  let k = 0
  while (i < left.length && j < right.length) {
    const a = left[i] as T
    const b = right[j] as T
    if (compare(b, a) < 0) {
      out[k] = b
      j += 1
    } else {
      out[k] = a
      i += 1
    }
    k += 1
    if (k % SORT_RUN === 0) {
      await turn()
    }
  }
  while (i < left.length) {
    out[k++] = left[i++] as T
  }
  while (j < right.length) {
    out[k++] = right[j++] as T
  }
  return out
}

/** Orders strings by their UTF-16 code units (as `<` does): for sorting rows into index order. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * The objects of a part in id order, one per (id, modified): a part repeating an object keeps its last
 * occurrence (a later part repeating it replaces the stored content). In id order because every index
 * of object versions, references and observables of an object begins with its id: sorted rows walk
 * those B-trees page by page instead of jumping to a random page per row (measured: a
 * 150,000-attribute MISP event, 750,000 objects, 52 s → 37 s).
 */
export async function uniqueVersionsInIdOrder<T extends { readonly id: string; readonly modified?: unknown }>(
  part: readonly T[],
): Promise<T[]> {
  // A stable sort: the occurrences of one id stay in their order.
  const sorted = await sortInTurns(part, (a, b) => compareText(a.id, b.id))
  const out: T[] = []
  for (let i = 0; i < sorted.length;) {
    let end = i + 1
    while (end < sorted.length && sorted[end]?.id === sorted[i]?.id) {
      end += 1
    }
    if (end === i + 1) {
      out.push(sorted[i] as T)
    } else {
      // Versions of one id: the last occurrence of each `modified`, in order of first occurrence.
      const byModified = new Map<unknown, T>()
      for (let k = i; k < end; k++) {
        const object = sorted[k] as T
        byModified.set(typeof object.modified === 'string' ? object.modified : '', object)
      }
      out.push(...byModified.values())
    }
    i = end
  }
  return out
}
