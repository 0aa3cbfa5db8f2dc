import type { UserPrincipal } from '../../../core/account/principal.js'
import {
  TLP_ALLOWED_FOR_AUDIENCE,
  TLP_LEVELS,
  Tlp,
  type Audience,
  type Pap,
} from '../../../core/trust/label.js'
import type { StixObject } from '../../../core/stix/stix.js'
import type { Db } from '../../store/store.js'
import type { AuditActor } from '../audit/audit.service.js'
import { labelFromInput } from '../trust/label.service.js'
import { prepareMisp } from './intel.misp.js'
import { prepareStix, storeStixObjects, tlpOfObject, type ImportSummary } from './intel.import.js'
import { badInput } from '../../errors.js'

/** The label an import asks for; what it leaves out gets the defaults. */
export interface ImportLabelRequest {
  tlp?: Tlp
  pap?: Pap
  audience?: Audience
  sharingGroups?: string[]
  recipients?: string[]
}

/** What an import is, apart from its content. */
export interface ImportRequest {
  /** `auto` looks at the content. */
  format: 'auto' | 'stix' | 'misp'
  label: ImportLabelRequest
  skipInvalid: boolean
  source: string | null
  onProgress?: (done: number, total: number) => void
}

/** Who imports: the organisation that will own the objects, its groups, and the user (if any). */
export interface Importer {
  readonly actor: AuditActor
  readonly orgId: string
  readonly groupIds: readonly string[]
  readonly userId: string
}

/** Makes an importer of a logged-in user. */
export function importerOf(principal: UserPrincipal): Importer {
  return { actor: principal, orgId: principal.orgId, groupIds: principal.groupIds, userId: principal.userId }
}

/** True when the content looks like MISP (an event, an `Event` or `response` envelope). */
export function looksLikeMisp(content: unknown): boolean {
  const first = Array.isArray(content) ? (content[0] as unknown) : content
  if (typeof first !== 'object' || first === null) {
    return false
  }
  return 'Event' in first || 'response' in first || ('Attribute' in first && 'info' in first)
}

/**
 * Imports STIX 2.1 (or 2.0, upgraded) or MISP content for an organisation, atomically. The label
 * defaults to the strictest of the content's own TLP markings (TLP:AMBER when it has none) and the
 * importer's organisation only.
 */
export async function importContent(
  db: Db,
  importer: Importer,
  content: unknown,
  request: ImportRequest,
  now = new Date(),
): Promise<ImportSummary> {
  const format = request.format === 'auto' ? (looksLikeMisp(content) ? 'misp' : 'stix') : request.format
  const prepared =
    format === 'misp' ? prepareMisp(content, request.skipInvalid) : prepareStix(content, request.skipInvalid)
  const contentTlp = strictestTlp(prepared.objects) ?? prepared.tlpHint ?? null
  const tlp = request.label.tlp ?? contentTlp ?? 'amber'
  // A hint from the content (MISP distribution) is taken only when it fits the TLP; stricter is safe.
  const hint = prepared.audienceHint
  const hintFits = hint !== null && hint !== 'group' && TLP_ALLOWED_FOR_AUDIENCE[hint].includes(tlp)
  const audience = request.label.audience ?? (hintFits ? hint : 'org')
  // TLP:RED goes to named people: the importer by default; an import without a user (CLI without
  // --user) must name recipients itself, whether the import or one of its objects is red.
  const anyRed = tlp === 'red' || prepared.objects.some((o) => tlpOfObject(o) === 'red')
  if (anyRed && importer.userId === '' && (request.label.recipients ?? []).length === 0) {
    throw badInput('recipient', 'content under TLP:RED needs a named recipient: give --user or --recipient')
  }
  const label = await labelFromInput(db, importer, {
    tlp,
    pap: request.label.pap ?? 'clear',
    audience: tlp === 'red' ? 'org' : audience,
    sharingGroups: request.label.sharingGroups ?? [],
    recipients:
      tlp === 'red' ? (request.label.recipients ?? [importer.userId]) : (request.label.recipients ?? []),
  })
  return storeStixObjects(
    db,
    {
      actor: importer.actor,
      orgId: importer.orgId,
      userId: importer.userId,
      label,
      skipInvalid: request.skipInvalid,
      source: request.source,
      format,
      ...(request.onProgress === undefined ? {} : { onProgress: request.onProgress }),
    },
    prepared.objects,
    { problems: prepared.problems, upgradedFrom20: prepared.upgradedFrom20 },
    now,
  )
}

function strictestTlp(objects: readonly StixObject[]): Tlp | null {
  let strictest: Tlp | null = null
  for (const object of objects) {
    const tlp = tlpOfObject(object)
    if (tlp !== null && (strictest === null || Tlp.rank(tlp) > Tlp.rank(strictest))) {
      strictest = tlp
    }
  }
  return strictest === null ? null : (TLP_LEVELS[Tlp.rank(strictest)] ?? null)
}
