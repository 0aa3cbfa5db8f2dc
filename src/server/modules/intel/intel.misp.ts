import { parseMispContent } from '../../../core/misp/parse.js'
import { mispEventToStix } from '../../../core/misp/to-stix.js'
import type { MispEvent, MispProblem } from '../../../core/misp/misp.js'
import type { StixObject } from '../../../core/stix/stix.js'
import { validateStixContent } from '../../../core/stix/validate.js'
import { Audience, Tlp } from '../../../core/trust/label.js'
import { LiaisonError } from '../../errors.js'
import { IMPORT_CHECKS, type ImportProblem, type PreparedContent } from './intel.import.js'

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

/**
 * Reads MISP content (bare event, `{"Event":…}`, `{"response":[…]}`) and maps it to STIX 2.1. A
 * strict import refuses the whole content on any error; with `skipInvalid` the attributes and
 * objects with errors are left out and reported. The event's `tlp:` tag and distribution become the
 * hints for the import's label.
 */
export function prepareMisp(content: unknown, skipInvalid: boolean): PreparedContent {
  const parsed = parseMispContent(content)
  if (parsed.events.length === 0) {
    throw new LiaisonError(400, 'validation_failed', 'content: no MISP event found', { field: 'content' })
  }
  const errors = parsed.problems.filter((p) => p.severity === 'error')
  if (errors.length > 0 && !skipInvalid) {
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
  const broken = new Set(errors.flatMap((p) => (p.uuid === null ? [] : [p.uuid])))
  const objects: StixObject[] = []
  const problems: ImportProblem[] = errors.map((p, i) => asStixProblem(p, i))
  let tlpHint: Tlp | null = null
  let audienceHint: Audience | null = null
  for (const event of parsed.events) {
    const mapped = mispEventToStix(skipInvalid ? withoutBroken(event, broken) : event)
    for (const problem of mapped.problems.filter((p) => p.severity === 'error')) {
      problems.push(asStixProblem(problem, problems.length))
    }
    // A loop, not push(...): a mega-event maps to close to a million objects, more than fit as arguments.
    for (const object of mapped.objects as StixObject[]) {
      objects.push(object)
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
  // The mapping's output goes through the same STIX checks as any import.
  const checked = validateStixContent(objects, IMPORT_CHECKS)
  if (checked.problems.length > 0 && !skipInvalid) {
    throw new LiaisonError(
      400,
      'validation_failed',
      `the MISP content maps to invalid STIX; first: ${checked.problems[0]?.message ?? ''}`,
      { field: 'content', problems: checked.problems.slice(0, 1000), problemCount: checked.problems.length },
    )
  }
  const bad = new Set(checked.problems.map((p) => p.index))
  return {
    objects: objects.filter((_, index) => !bad.has(index)),
    problems: [...problems, ...checked.problems],
    upgradedFrom20: false,
    tlpHint,
    audienceHint,
  }
}
