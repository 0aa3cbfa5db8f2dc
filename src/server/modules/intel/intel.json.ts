import { randomUUID } from 'node:crypto'
import { setImmediate as turn } from 'node:timers/promises'

/** Items of a list serialised between two turns of the event loop. */
export const JSON_LIST_STEP = 50_000

/** True when `object` has a list longer than {@link JSON_LIST_STEP} (a MISP mega-event's report). */
export function hasHugeList(object: Record<string, unknown>): boolean {
  for (const key in object) {
    const value = object[key]
    if (Array.isArray(value) && value.length > JSON_LIST_STEP) {
      return true
    }
  }
  return false
}

/**
 * `JSON.stringify(object)`, letting the event loop turn while its long lists are serialised, part by
 * part. A 300,000-attribute MISP event's report names 1.5 M objects: 79 MB of JSON, a second and more
 * in one go, during which a server answers nothing. Same text as `JSON.stringify` (each long list of
 * the top level is written in parts of {@link JSON_LIST_STEP} and put in place of a marker).
 */
export async function stringifyInTurns(object: Record<string, unknown>): Promise<string> {
  if (!hasHugeList(object)) {
    return JSON.stringify(object)
  }
  const marker = `\u0000${randomUUID()}`
  const lists = new Map<string, unknown[]>()
  const shell: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(object)) {
    if (Array.isArray(value) && value.length > JSON_LIST_STEP) {
      const slot = `${marker}:${lists.size}`
      lists.set(slot, value)
      shell[key] = slot
    } else {
      shell[key] = value
    }
  }
  let text = JSON.stringify(shell)
  for (const [slot, items] of lists) {
    const parts: string[] = []
    for (let i = 0; i < items.length; i += JSON_LIST_STEP) {
      // Each part as a list of its own, without its brackets.
      parts.push(JSON.stringify(items.slice(i, i + JSON_LIST_STEP)).slice(1, -1))
      await turn()
    }
    const list = `[${parts.join(',')}]`
    text = text.replace(JSON.stringify(slot), () => list)
  }
  return text
}
