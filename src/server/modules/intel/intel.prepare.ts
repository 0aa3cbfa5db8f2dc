import { setImmediate as turn } from 'node:timers/promises'
import {
  observablesOfMispAttributeObject,
  observablesOfMispObject,
  type ObservablePurpose,
} from '../../../core/intel/misp-observable.js'
import { observableAt, observablesOfSco, type Observable } from '../../../core/intel/observable.js'
import type { ObservableLike } from '../../../core/intel/warninglist.js'
import { Provenance } from '../../../core/federation/provenance.js'
import { equalityComparisons, parsePattern } from '../../../core/stix/pattern.js'
import { tlpOfMarkingRef, type StixObject } from '../../../core/stix/stix.js'
import { TLP_LEVELS, Tlp } from '../../../core/trust/label.js'
import type { ErrorCode, ErrorDetails } from '../../errors.js'
import type { BundleFileFindings } from './intel.bundle-file.js'
import type { ImportProblem } from './intel.import.js'
import type { ObservableTable, StixRefTable } from './intel.table.js'

// What an import computes of each object before it stores it: the checks, the label's TLP, the
// observable and reference rows, the stored JSON. Nothing here touches the store, so that it runs
// where the objects are read: on the importing thread, or on a worker thread that reads a large file
// (intel.stream.worker.ts) while the importing thread stores what it has sent.

/** Checks indicator patterns with the STIX pattern parser. */
export function checkStixPattern(pattern: string): string | null {
  const result = parsePattern(pattern)
  return result.ok ? null : `${result.error.message} (offset ${result.error.offset})`
}

/**
 * The checks of every import: the MUST rules, patterns parsed; SHOULD rules (warnings) skipped, as an
 * import reports only what it rejects.
 */
export const IMPORT_CHECKS = { checkPattern: checkStixPattern, warnings: false } as const

/**
 * The strictest TLP among an object's own markings, or null when it has none: those of the whole
 * object (`object_marking_refs`) and those of parts of it (`granular_markings`): a label is for the
 * whole object, so a TLP:RED description makes the object TLP:RED.
 */
export function tlpOfObject(object: StixObject): Tlp | null {
  let strictest: Tlp | null = null
  const consider = (ref: unknown): void => {
    const tlp = typeof ref === 'string' ? tlpOfMarkingRef(ref) : null
    if (tlp !== null && (strictest === null || Tlp.rank(tlp) > Tlp.rank(strictest))) {
      strictest = tlp
    }
  }
  const refs = object.object_marking_refs
  if (Array.isArray(refs)) {
    refs.forEach(consider)
  }
  const granular = object.granular_markings
  if (Array.isArray(granular)) {
    for (const marking of granular) {
      if (typeof marking === 'object' && marking !== null) {
        consider((marking as Record<string, unknown>).marking_ref)
      }
    }
  }
  return strictest
}

/**
 * The observables an object carries: an SCO's values, an indicator's equality comparisons, the
 * attribute values of a MISP object or attribute without STIX mapping (`x-misp-object`,
 * `x-misp-attribute`). For the correlation index, not what MISP would not correlate (attributes with
 * correlation disabled); for warninglists (`matching`), every value.
 */
export function observablesOfObject(
  object: StixObject,
  purpose: ObservablePurpose = 'matching',
): (Observable & { origin: string })[] {
  if (object.type === 'x-misp-object') {
    return observablesOfMispObject(object, purpose).map((o) => ({ ...o, origin: 'misp-object' }))
  }
  if (object.type === 'x-misp-attribute') {
    return observablesOfMispAttributeObject(object, purpose).map((o) => ({ ...o, origin: 'misp-attribute' }))
  }
  if (object.type === 'indicator' && object.pattern_type === 'stix' && typeof object.pattern === 'string') {
    const parsed = parsePattern(object.pattern)
    if (!parsed.ok) {
      return []
    }
    const out = []
    for (const c of equalityComparisons(parsed.ast)) {
      if (c.negated) {
        continue
      }
      const found = observableAt(c.objectType, c.path, c.value)
      if (found !== null) {
        out.push({ ...found, origin: 'pattern' })
      }
    }
    return out
  }
  if (purpose === 'correlation' && object.x_misp_disable_correlation === true) {
    // An observable of a MISP attribute whose correlation is disabled (see the MISP mapping).
    return []
  }
  return observablesOfSco(object).map((o) => ({ ...o, origin: 'sco' }))
}

/** Index rows built between two turns of the event loop (see {@link indexRowsInTurns}). */
export const INDEX_ROWS_STEP = 100_000

/** The rows {@link indexRowSteps} fills. */
export interface IndexRows {
  observables: ObservableTable[]
  refs: StixRefTable[]
}

/**
 * Builds the index rows of some objects into `out`, pausing (yielding) every {@link INDEX_ROWS_STEP}
 * rows: one row per (key, origin) of an object's observables, and one per (property, target) of its
 * references (every `*_ref` and `*_refs` property; a target a list names twice, once), without a
 * string key for each (a MISP mega-event's report names a million and a half objects).
 */
function* indexRowSteps(objects: Iterable<StixObject>, ownerOrgId: string, out: IndexRows): Generator<void> {
  let since = 0
  for (const object of objects) {
    // One row per (key, origin) of an object: a pattern may name one value twice. (Most objects have
    // one or none: the set is only made for more.)
    const found = observablesOfObject(object, 'correlation')
    const seen = found.length > 1 ? new Set<string>() : null
    for (const o of found) {
      if (seen !== null) {
        const unique = `${o.key}\u0000${o.origin}`
        if (seen.has(unique)) {
          continue
        }
        seen.add(unique)
      }
      out.observables.push({
        object_id: object.id,
        owner_org_id: ownerOrgId,
        kind: o.kind,
        key: o.key,
        range_start: o.rangeStart,
        range_end: o.rangeEnd,
        network: o.rangeStart !== null && o.rangeStart !== o.rangeEnd ? 1 : 0,
        origin: o.origin,
      })
      since += 1
    }
    for (const [property, value] of Object.entries(object)) {
      if (property.endsWith('_ref') && typeof value === 'string') {
        out.refs.push({ from_id: object.id, owner_org_id: ownerOrgId, to_id: value, property })
        since += 1
      } else if (property.endsWith('_refs') && Array.isArray(value)) {
        const named = value.length > 1 ? new Set<unknown>() : null
        for (const item of value) {
          if (typeof item !== 'string' || named?.has(item) === true) {
            continue
          }
          named?.add(item)
          out.refs.push({ from_id: object.id, owner_org_id: ownerOrgId, to_id: item, property })
          since += 1
          if (since >= INDEX_ROWS_STEP) {
            since = 0
            yield
          }
        }
      }
    }
    if (since >= INDEX_ROWS_STEP) {
      since = 0
      yield
    }
  }
}

/**
 * The observable index and reference rows of some objects (the latest versions an owner holds): one
 * row per (key, origin) and per (property, target) of each object.
 */
export function indexRowsOf(objects: Iterable<StixObject>, ownerOrgId: string): IndexRows {
  const out: IndexRows = { observables: [], refs: [] }
  for (const _ of indexRowSteps(objects, ownerOrgId, out)) {
    // Built in one go.
  }
  return out
}

/**
 * {@link indexRowsOf} (added to `out`, when given), letting the event loop turn every
 * {@link INDEX_ROWS_STEP} rows: a MISP mega-event's report alone has 1.5 M reference rows, over a
 * second to build in one go.
 */
export async function indexRowsInTurns(
  objects: Iterable<StixObject>,
  ownerOrgId: string,
  out: IndexRows = { observables: [], refs: [] },
): Promise<IndexRows> {
  for (const _ of indexRowSteps(objects, ownerOrgId, out)) {
    await turn()
  }
  return out
}

/**
 * What the `name` column holds for an object: its `name`, when a string, a NUL in it written as
 * U+FFFD (PostgreSQL's text holds no NUL; the object's JSON keeps the name as it came).
 */
export function nameOf(object: StixObject): string | null {
  return typeof object.name === 'string' ? object.name.replaceAll('\u0000', '\uFFFD') : null
}

/** Warnings listed at most in an import's summary; `total` counts them all. */
export const IMPORT_WARNINGS_LIMIT = 100

/** An import's warnings: how many, and the first {@link IMPORT_WARNINGS_LIMIT}. */
export interface ImportWarnings {
  total: number
  items: ImportProblem[]
}

/** The first {@link IMPORT_WARNINGS_LIMIT} of `warnings` made into problems, and how many there are. */
export function importWarnings<T>(
  warnings: readonly T[],
  toProblem: (w: T, i: number) => ImportProblem,
): ImportWarnings {
  return { total: warnings.length, items: warnings.slice(0, IMPORT_WARNINGS_LIMIT).map(toProblem) }
}

/** An observable of an object, to look up on the enabled warninglists. */
export interface ObservableOf {
  readonly objectId: string
  readonly observable: ObservableLike
}

/** The observables of an object to look up on warninglists: every value, each key once. */
export function warninglistObservablesOf(object: StixObject): ObservableOf[] {
  const out: ObservableOf[] = []
  const seen = new Set<string>()
  for (const observable of observablesOfObject(object)) {
    if (!seen.has(observable.key)) {
      seen.add(observable.key)
      out.push({ objectId: object.id, observable })
    }
  }
  return out
}

/** An object version ready to store: what the store needs of it, computed where it was read. */
export interface PreparedVersion {
  readonly id: string
  /** Its `modified`; '' for an object without one (an SCO). */
  readonly modified: string
  readonly type: string
  readonly created: string | null
  readonly validUntil: string | null
  readonly revoked: 0 | 1
  /** What the `name` column holds ({@link nameOf}). */
  readonly name: string | null
  /** The strictest TLP it marks itself with ({@link tlpOfObject}). */
  readonly tlp: Tlp | null
  /** The JSON stored: the object without the provenance it carried. */
  readonly json: string
  /** The provenance it carried (`x_liaison_provenance`), if any. */
  readonly provenance: Provenance | null
  /**
   * What its index rows come from, should it be the latest version: the object itself (read on the
   * storing thread: rows are built only for the versions that need them), or the rows built where
   * it was read, their owner left blank for the store to fill.
   */
  readonly object: StixObject | null
  readonly rows: IndexRows | null
}

/**
 * An object prepared for the store, from the object without its provenance (`Provenance.strip`), the
 * provenance it carried and its JSON. With `withRows`, its index rows are built now (on a worker
 * thread, which sends no objects); otherwise the object is kept to build them from.
 */
export function preparedVersionOf(
  object: StixObject,
  provenance: Provenance | null,
  json: string,
  withRows: boolean,
): PreparedVersion {
  return {
    id: object.id,
    modified: typeof object.modified === 'string' ? object.modified : '',
    type: object.type,
    created: typeof object.created === 'string' ? object.created : null,
    validUntil: typeof object.valid_until === 'string' ? object.valid_until : null,
    revoked: object.revoked === true ? 1 : 0,
    name: nameOf(object),
    tlp: tlpOfObject(object),
    json,
    provenance,
    object: withRows ? null : object,
    rows: withRows ? indexRowsOf([object], '') : null,
  }
}

/** {@link preparedVersionOf} an object as read, its provenance taken off and its JSON written in one go. */
export function prepareVersion(carrying: StixObject, withRows: boolean): PreparedVersion {
  const { object, provenance } = Provenance.strip(carrying)
  return preparedVersionOf(object, provenance, JSON.stringify(object), withRows)
}

/**
 * Prepared versions with their rows, flattened into one list of strings, numbers and nulls to go to
 * another thread: a structured clone of such a list costs the receiving thread a third of what a
 * clone of the same versions as objects costs (measured: 0.65 against 2.3 µs an indicator).
 */
export type PreparedFields = (string | number | null)[]

/** The fields of prepared versions built with their rows ({@link decodePrepared} reverses it). */
export function encodePrepared(versions: readonly PreparedVersion[]): PreparedFields {
  const out: PreparedFields = []
  for (const v of versions) {
    const rows = v.rows ?? indexRowsOf(v.object === null ? [] : [v.object], '')
    out.push(v.id, v.modified, v.type, v.created, v.validUntil, v.revoked, v.name, v.tlp, v.json)
    out.push(v.provenance === null ? null : JSON.stringify(v.provenance))
    out.push(rows.observables.length)
    for (const o of rows.observables) {
      out.push(o.kind, o.key, o.range_start, o.range_end, o.network, o.origin)
    }
    out.push(rows.refs.length)
    for (const r of rows.refs) {
      out.push(r.property, r.to_id)
    }
  }
  return out
}

/** The prepared versions {@link encodePrepared} flattened. */
export function decodePrepared(fields: PreparedFields): PreparedVersion[] {
  const out: PreparedVersion[] = []
  let i = 0
  const text = (): string => fields[i++] as string
  const textOrNull = (): string | null => fields[i++] as string | null
  const number = (): number => fields[i++] as number
  while (i < fields.length) {
    const id = text()
    const modified = text()
    const type = text()
    const created = textOrNull()
    const validUntil = textOrNull()
    const revoked = number() === 1 ? 1 : 0
    const name = textOrNull()
    const tlp = textOrNull() as Tlp | null
    const json = text()
    const carried = textOrNull()
    const rows: IndexRows = { observables: [], refs: [] }
    for (let n = number(); n > 0; n--) {
      rows.observables.push({
        object_id: id,
        owner_org_id: '',
        kind: text(),
        key: text(),
        range_start: textOrNull(),
        range_end: textOrNull(),
        network: number(),
        origin: text(),
      })
    }
    for (let n = number(); n > 0; n--) {
      rows.refs.push({ from_id: id, owner_org_id: '', property: text(), to_id: text() })
    }
    out.push({
      id,
      modified,
      type,
      created,
      validUntil,
      revoked,
      name,
      tlp,
      json,
      provenance: carried === null ? null : (JSON.parse(carried) as Provenance),
      object: null,
      rows,
    })
  }
  return out
}

/** What the importing thread asks of a worker that prepares a large file's objects. */
export interface PrepareJob {
  /** The bundle file. */
  readonly file: string
  /**
   * Null when the file is checked already (two passes). Otherwise (one pass) the worker checks each
   * part as well and prepares its valid objects (none once a strict import has a problem), and
   * sends their warninglist observables when `matching`.
   */
  readonly check: { readonly skipInvalid: boolean; readonly matching: boolean } | null
  /** Indexes of the objects the check rejected (an import with `skipInvalid`): left out. */
  readonly rejected: readonly number[]
  /** How many objects the check read (two passes): a file that holds others has changed since. */
  readonly count: number | null
}

/** What the worker sends: a part, the end, or a failure. */
export type PrepareMessage =
  | {
      readonly kind: 'part'
      /** The part's prepared versions ({@link encodePrepared}). */
      readonly fields: PreparedFields
      /** How many objects the file has held up to the part's end, and how many bytes of it are read. */
      readonly count: number
      readonly bytes: number
      /** Their warninglist observables (one pass, when asked; {@link encodeObservablesOf}). */
      readonly matching: PreparedFields
    }
  | {
      readonly kind: 'done'
      readonly count: number
      /** False when the file turned out not to be a bundle. */
      readonly bundle: boolean
      /** What the check found (one pass). */
      readonly findings: BundleFileFindings | null
    }
  | {
      readonly kind: 'failed'
      readonly message: string
      /** Set when the failure is a {@link LiaisonError} (a file that no longer parses): its parts. */
      readonly error: { status: number; code: ErrorCode; details: ErrorDetails } | null
    }

/** Warninglist observables flattened to go to another thread ({@link decodeObservablesOf}). */
export function encodeObservablesOf(found: readonly ObservableOf[]): PreparedFields {
  const out: PreparedFields = []
  for (const { objectId, observable: o } of found) {
    out.push(objectId, o.kind, o.key, o.value, o.rangeStart, o.rangeEnd)
  }
  return out
}

/** The observables {@link encodeObservablesOf} flattened. */
export function decodeObservablesOf(fields: PreparedFields): ObservableOf[] {
  const out: ObservableOf[] = []
  for (let i = 0; i + 5 < fields.length; i += 6) {
    out.push({
      objectId: fields[i] as string,
      observable: {
        kind: fields[i + 1] as string,
        key: fields[i + 2] as string,
        value: fields[i + 3] as string,
        rangeStart: fields[i + 4] as string | null,
        rangeEnd: fields[i + 5] as string | null,
      },
    })
  }
  return out
}

/** Parts the worker prepares ahead of the store (each 5,000 objects): enough to keep both busy. */
export const PARTS_AHEAD = 3

/** The strictest TLP the objects mark themselves with, or null when none is marked. */
export function strictestTlp(objects: readonly StixObject[]): Tlp | null {
  let strictest: Tlp | null = null
  for (const object of objects) {
    const tlp = tlpOfObject(object)
    if (tlp !== null && (strictest === null || Tlp.rank(tlp) > Tlp.rank(strictest))) {
      strictest = tlp
    }
  }
  return strictest === null ? null : (TLP_LEVELS[Tlp.rank(strictest)] ?? null)
}
