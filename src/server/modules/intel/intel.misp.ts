import { parseMispContentSteps } from '../../../core/misp/parse.js'
import { setImmediate as turn } from 'node:timers/promises'
import { mispEventToStixSteps, mispItemCount } from '../../../core/misp/to-stix.js'
import { papOfTag, type MispEvent, type MispProblem } from '../../../core/misp/misp.js'
import type { StixObject } from '../../../core/stix/stix.js'
import { validateStixContent, type StixProblem } from '../../../core/stix/validate.js'
import { Audience, Pap, Tlp } from '../../../core/trust/label.js'
import { LiaisonError } from '../../errors.js'
import type { ImportProblem, PreparedContent } from './intel.import.js'
import {
  IMPORT_CHECKS,
  importWarnings,
  type ImportWarnings,
  type PreparedFields,
  type PrepareMessage,
} from './intel.prepare.js'

/** A MISP problem in the shape every import reports. */
function asStixProblem(problem: MispProblem, index: number): ImportProblem {
  return {
    index,
    id: problem.uuid,
    type: null,
    property: problem.field,
    rule: 'misp-format',
    message: `${problem.path}${problem.uuid === null ? '' : ` (${problem.uuid})`}: ${problem.field}: ${problem.message}`,
  }
}

/** An event without the attributes and objects that have errors. */
function withoutBroken(event: MispEvent, broken: ReadonlySet<string>): MispEvent {
  return {
    ...event,
    Attribute: event.Attribute.filter((a) => !broken.has(a.uuid)),
    Object: event.Object.filter((o) => !broken.has(o.uuid)).map((o) => ({
      ...o,
      Attribute: o.Attribute.filter((a) => !broken.has(a.uuid)),
    })),
  }
}

/** Mapped objects checked between two turns of the event loop. */
const CHECK_PART = 5000

/** Progress of {@link prepareMisp}: attributes and objects mapped, then STIX objects checked. */
export interface PrepareProgress {
  readonly onMap?: ((done: number, total: number) => void) | undefined
  readonly onCheck?: ((done: number, total: number) => void) | undefined
}

/**
 * Reads MISP content (bare event, `{"Event":…}`, `{"response":[…]}`) and maps it to STIX 2.1. A
 * strict import refuses the whole content on any error; with `skipInvalid` the attributes and
 * objects with errors are left out and reported. The event's `tlp:` tag and distribution become the
 * hints for the import's label.
 *
 * Reading, mapping and checking go in steps, with a turn of the event loop between them: a 300,000-attribute
 * event takes seconds to read, map and check, during which a server would otherwise answer nothing else.
 */
export async function prepareMisp(
  content: unknown,
  skipInvalid: boolean,
  progress: PrepareProgress = {},
): Promise<PreparedContent> {
  // Read in steps too: a mega-event's 300,000 attributes take most of a second.
  const reading = parseMispContentSteps(content)
  let read = reading.next()
  while (read.done !== true) {
    await turn()
    read = reading.next()
  }
  const parsed = read.value
  const errors = parsed.problems.filter((p) => p.severity === 'error')
  // Content holding no event at all (a galaxy, a sharing group) is refused with what it is, even
  // with skipInvalid: there is no valid part to keep.
  if (errors.length > 0 && (!skipInvalid || parsed.events.length === 0)) {
    const first = errors[0]
    throw new LiaisonError(
      400,
      'validation_failed',
      `${errors.length} problem(s), nothing imported; first: ${first === undefined ? '' : asStixProblem(first, 0).message}`,
      {
        field: first?.field ?? 'content',
        problems: errors.slice(0, 1000).map((p, i) => asStixProblem(p, i)),
        problemCount: errors.length,
      },
    )
  }
  if (parsed.events.length === 0) {
    throw new LiaisonError(400, 'validation_failed', 'content: no MISP event found', { field: 'content' })
  }
  const broken = new Set(errors.flatMap((p) => (p.uuid === null ? [] : [p.uuid])))
  const objects: StixObject[] = []
  const problems: ImportProblem[] = errors.map((p, i) => asStixProblem(p, i))
  let tlpHint: Tlp | null = null
  let audienceHint: Audience | null = null
  let papHint: Pap | null = null
  const narrowerAudiences = new Map<string, Audience>()
  const events = skipInvalid ? parsed.events.map((event) => withoutBroken(event, broken)) : parsed.events
  const items = events.reduce((sum, event) => sum + mispItemCount(event), 0)
  let itemsBefore = 0
  for (const event of events) {
    for (const tag of event.Tag) {
      const pap = papOfTag(tag.name)
      if (pap !== null && (papHint === null || Pap.rank(pap) > Pap.rank(papHint))) {
        papHint = pap
      }
    }
    const steps = mispEventToStixSteps(event)
    let step = steps.next()
    while (step.done !== true) {
      progress.onMap?.(itemsBefore + step.value, items)
      await turn()
      step = steps.next()
    }
    itemsBefore += mispItemCount(event)
    progress.onMap?.(itemsBefore, items)
    const mapped = step.value
    for (const problem of mapped.problems.filter((p) => p.severity === 'error')) {
      problems.push(asStixProblem(problem, problems.length))
    }
    // A loop, not push(...): a mega-event maps to close to a million objects, more than fit as arguments.
    for (const object of mapped.objects as StixObject[]) {
      objects.push(object)
    }
    for (const [id, audience] of Object.entries(mapped.narrowerAudiences)) {
      narrowerAudiences.set(id, audience)
    }
    if (mapped.tlp !== null && (tlpHint === null || Tlp.rank(mapped.tlp) > Tlp.rank(tlpHint))) {
      tlpHint = mapped.tlp
    }
    if (
      mapped.audience !== null &&
      (audienceHint === null || Audience.breadth(mapped.audience) < Audience.breadth(audienceHint))
    ) {
      audienceHint = mapped.audience
    }
  }
  // The mapping's output goes through the same STIX checks as any import, part by part.
  const invalid: StixProblem[] = []
  for (let start = 0; start < objects.length; start += CHECK_PART) {
    const part = validateStixContent(objects.slice(start, start + CHECK_PART), {
      ...IMPORT_CHECKS,
      version: '2.1',
      firstIndex: start,
    })
    for (const problem of part.problems) {
      invalid.push(problem)
    }
    progress.onCheck?.(Math.min(start + CHECK_PART, objects.length), objects.length)
    await turn()
  }
  if (invalid.length > 0 && !skipInvalid) {
    throw new LiaisonError(
      400,
      'validation_failed',
      `the MISP content maps to invalid STIX; first: ${invalid[0]?.message ?? ''}`,
      { field: 'content', problems: invalid.slice(0, 1000), problemCount: invalid.length },
    )
  }
  const bad = new Set(invalid.map((p) => p.index))
  return {
    objects: objects.filter((_, index) => !bad.has(index)),
    problems: [...problems, ...invalid],
    warnings: importWarnings(
      parsed.problems.filter((p) => p.severity === 'warning'),
      asStixProblem,
    ),
    upgradedFrom20: false,
    tlpHint,
    audienceHint,
    papHint,
    narrowerAudiences,
  }
}

/** What the importing thread asks of a worker that prepares MISP content (intel.misp.worker.ts). */
export interface MispJob {
  /** The content as read (bare event, `{"Event":…}`, `{"response":[…]}`). */
  readonly content: unknown
  readonly skipInvalid: boolean
  /** Send the warninglist observables of each part (some warninglist is enabled). */
  readonly matching: boolean
}

/** What MISP content is, once mapped and checked: all an import's label and summary need of it. */
export interface MispContentFacts {
  readonly problems: ImportProblem[]
  readonly warnings: ImportWarnings | null
  readonly tlpHint: Tlp | null
  readonly audienceHint: Audience | null
  readonly papHint: Pap | null
  readonly narrowerAudiences: [string, Audience][]
  /** The strictest TLP the mapped objects mark themselves with. */
  readonly strictest: Tlp | null
  /** Some mapped object is marked TLP:RED. */
  readonly anyRed: boolean
  /** How many versions the parts hold in all. */
  readonly total: number
  /** The warninglist observables of the objects, when asked ({@link encodeObservablesOf}). */
  readonly matching: PreparedFields
}

/**
 * What a MISP worker sends: its progress, then the facts of the content, then its prepared versions
 * part by part, in id order over the whole content (as {@link PrepareMessage} parts), then its end; or
 * a failure.
 */
export type MispMessage =
  | {
      readonly kind: 'progress'
      readonly phase: 'map' | 'check'
      readonly done: number
      readonly total: number
    }
  | { readonly kind: 'facts'; readonly facts: MispContentFacts }
  | Extract<PrepareMessage, { kind: 'part' | 'failed' }>
  | { readonly kind: 'done' }
