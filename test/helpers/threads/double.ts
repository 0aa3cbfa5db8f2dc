/** Doubles a number (a module the thread below imports the way our sources import one another). */
export function double(n: number): number {
  return n * 2
}

/** A TypeScript-only construct, dropped when compiled. */
export interface Doubled {
  readonly doubled: number
  readonly from: 'typescript' | 'javascript'
}
