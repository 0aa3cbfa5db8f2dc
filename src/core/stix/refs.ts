// References to objects a reader may not see.
//
// A container (report, grouping, note, opinion, observed-data), a relationship or a sighting can be
// visible to an organisation that may not see every object it names: a MISP event shared with the
// community whose attribute is for its organisation only, a TLP:RED indicator in a TLP:GREEN report.
// The ids of those objects are not for that reader either: an SCO's id is a UUIDv5 of its value
// (an IPv4 address is found again from its id by trying the 2^32 of them), and a report listing an
// id says that something is held. So every read that shows an object to someone removes the
// references to what they may not see (as MISP leaves the attributes out of an event, and OpenCTI a
// container's members, for a reader without access); an object that no longer stands without them
// (a report with no member left, a relationship without its target) is left out where a valid STIX
// object is owed (exports, TAXII, federation).

import { tlpOfMarkingRef, type StixObject } from './stix.js'
import { validateStixContent } from './validate.js'

/**
 * The ids the JSON text of object `ownId` refers to, added to `into`: the values of its `…_ref` and
 * `…_refs` properties at any depth, but its own id and the standard TLP marking definitions (the same
 * everywhere, never a secret). The text is as `JSON.stringify` wrote it (no white space); it is
 * scanned, not parsed: an export reads every object it writes this way (2 µs an object by regular
 * expression, a fraction of that so).
 */
export function addReferencedIds(json: string, ownId: string, into: Set<string>): void {
  const add = (id: string): void => {
    if (
      id !== ownId &&
      id.includes('--') &&
      !(id.startsWith('marking-definition--') && tlpOfMarkingRef(id) !== null)
    ) {
      into.add(id)
    }
  }
  let at = json.indexOf('_ref')
  while (at !== -1) {
    let end = at + 4
    if (json.charCodeAt(end) === 115 /* s */) {
      end += 1
    }
    // A property name ends here: `…_ref":` or `…_refs":`.
    if (json.charCodeAt(end) !== 34 /* " */ || json.charCodeAt(end + 1) !== 58 /* : */) {
      at = json.indexOf('_ref', at + 4)
      continue
    }
    const value = end + 2
    const first = json.charCodeAt(value)
    if (first === 34 /* " */) {
      const close = json.indexOf('"', value + 1)
      if (close === -1) {
        return
      }
      add(json.slice(value + 1, close))
      at = json.indexOf('_ref', close)
    } else if (first === 91 /* [ */) {
      const close = json.indexOf(']', value)
      if (close === -1) {
        return
      }
      for (const item of json.slice(value + 1, close).split(',')) {
        if (item.length > 2 && item.startsWith('"') && item.endsWith('"')) {
          add(item.slice(1, -1))
        }
      }
      at = json.indexOf('_ref', close)
    } else {
      at = json.indexOf('_ref', value)
    }
  }
}

/** What {@link withoutHiddenRefs} made of an object. */
export interface RefRedaction {
  /** The object less the references to hidden ids (the same object when it named none). */
  readonly object: StixObject
  /** How many references were removed. */
  readonly removed: number
  /**
   * False when the object broke a MUST rule of STIX 2.1 without them (a report's `object_refs`, a
   * relationship's `target_ref`, …): it cannot be handed on as a STIX object.
   */
  readonly valid: boolean
}

/**
 * `object` without its references (`…_ref` and `…_refs` properties, at any depth: extensions,
 * granular markings) to the ids of `hidden`; a list left empty is removed. Checked against STIX 2.1
 * only when something was removed.
 */
export function withoutHiddenRefs(object: StixObject, hidden: ReadonlySet<string>): RefRedaction {
  if (hidden.size === 0) {
    return { object, removed: 0, valid: true }
  }
  const counter = { removed: 0 }
  const stripped = strip(object, hidden, counter) as StixObject
  if (counter.removed === 0) {
    return { object, removed: 0, valid: true }
  }
  const valid = validateStixContent(stripped, { version: '2.1', warnings: false }).problems.length === 0
  return { object: stripped, removed: counter.removed, valid }
}

function strip(value: unknown, hidden: ReadonlySet<string>, counter: { removed: number }): unknown {
  if (Array.isArray(value)) {
    let changed = false
    const out = value.map((item) => {
      const next = strip(item, hidden, counter)
      changed ||= next !== item
      return next
    })
    return changed ? out : value
  }
  if (value === null || typeof value !== 'object') {
    return value
  }
  let out: Record<string, unknown> | null = null
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    let next: unknown = item
    if (key.endsWith('_refs') && Array.isArray(item)) {
      const kept = item.filter((ref) => !(typeof ref === 'string' && hidden.has(ref)))
      if (kept.length !== item.length) {
        counter.removed += item.length - kept.length
        next = kept.length === 0 ? undefined : kept
      }
    } else if (key.endsWith('_ref') && typeof item === 'string') {
      if (hidden.has(item)) {
        counter.removed += 1
        next = undefined
      }
    } else if (item !== null && typeof item === 'object') {
      next = strip(item, hidden, counter)
    }
    if (next !== item && out === null) {
      out = { ...(value as Record<string, unknown>) }
    }
    if (out !== null) {
      if (next === undefined) {
        delete out[key]
      } else {
        out[key] = next
      }
    }
  }
  return out ?? value
}
