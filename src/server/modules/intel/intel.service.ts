import type { UserPrincipal } from '../../../core/account/principal.js'
import {
  TLP_ALLOWED_FOR_AUDIENCE,
  type Tlp,
  type Audience,
  type Pap,
  type SharingLabel,
} from '../../../core/trust/label.js'
import type { StixObject } from '../../../core/stix/stix.js'
import { looksLikeMisp } from '../../../core/misp/parse.js'
import type { Db } from '../../store/store.js'
import type { AuditActor } from '../audit/audit.service.js'
import { labelFromInput } from '../trust/label.service.js'
import { prepareMisp, type MispContentFacts, type MispJob, type MispMessage } from './intel.misp.js'
import { failureOf, partsOfThread } from './intel.parts.js'
import { inboxOf, startModuleThread } from '../../threads.js'
import { prepareStix, storeStixObjects, type ImportContext, type ImportSummary } from './intel.import.js'
import {
  decodeObservablesOf,
  strictestTlp,
  tlpOfObject,
  warninglistObservablesOf,
  type ImportWarnings,
  type ObservableOf,
} from './intel.prepare.js'
import { openWarninglistMatcher } from '../warninglist/warninglist.service.js'
import { badInput, forbidden } from '../../errors.js'
import { heldLabelFor, requestRelease } from '../release/release.service.js'

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
  /**
   * Reports the checks before anything is stored: the first pass over a large file (bytes read, bytes
   * in all), or the STIX checks of mapped MISP content (objects checked, objects in all).
   */
  onCheck?: (done: number, total: number) => void
  /** Reports the mapping of MISP content to STIX (attributes and objects mapped, in all). */
  onMap?: (done: number, total: number) => void
}

/** Who imports: the organisation that will own the objects, its groups, and the user (if any). */
export interface Importer {
  readonly actor: AuditActor
  readonly orgId: string
  readonly groupIds: readonly string[]
  readonly userId: string
}

/** Makes an importer of a logged-in user; viewers read intelligence and may not import it. */
export function importerOf(principal: UserPrincipal): Importer {
  if (principal.role === 'viewer') {
    throw forbidden('viewers read intelligence; they do not import it')
  }
  return { actor: principal, orgId: principal.orgId, groupIds: principal.groupIds, userId: principal.userId }
}

/**
 * Imports STIX 2.1 (or 2.0, upgraded) or MISP content for an organisation, atomically. The label
 * defaults to the strictest of the content's own TLP markings (TLP:AMBER when it has none) and the
 * importer's organisation only. When the organisation has four-eyes release on and the label reaches
 * beyond it, the objects are stored organisation only and a pending release records the label asked
 * for, until a second member approves it.
 */
export async function importContent(
  db: Db,
  importer: Importer,
  content: unknown,
  request: ImportRequest,
  now = new Date(),
): Promise<ImportResult> {
  const format = request.format === 'auto' ? (looksLikeMisp(content) ? 'misp' : 'stix') : request.format
  if (format === 'misp' && mispItemsOf(content) >= MISP_THREAD_ITEMS) {
    return importMispOnThread(db, importer, content, request, now)
  }
  const prepared =
    format === 'misp'
      ? await prepareMisp(content, request.skipInvalid, request)
      : prepareStix(content, request.skipInvalid)
  const { label, held } = await importLabel(db, importer, request, {
    contentTlp: strictestTlp(prepared.objects) ?? prepared.tlpHint ?? null,
    audienceHint: prepared.audienceHint,
    papHint: prepared.papHint ?? null,
    anyRed: prepared.objects.some((o) => tlpOfObject(o) === 'red'),
  })
  const summary = await storeStixObjects(
    db,
    {
      ...importContext(importer, request, format, held ?? label),
      ...(prepared.narrowerAudiences === undefined ? {} : { narrowerAudiences: prepared.narrowerAudiences }),
      heldForRelease: held !== null,
    },
    prepared.objects,
    { problems: prepared.problems, upgradedFrom20: prepared.upgradedFrom20 },
    now,
  )
  const hits = await openWarninglistHits(db)
  await hits.add(prepared.objects)
  return finishImport(
    db,
    importer,
    request,
    {
      summary,
      label,
      held,
      hits: hits.result(),
      warnings: prepared.warnings,
    },
    now,
  )
}

/**
 * MISP content of at least this many attributes and objects (`mispItemsOf`) is mapped, checked and
 * prepared on a worker thread while this one stores it ({@link importMispOnThread}); smaller content
 * here, at once. Either way the import is the same.
 */
export const MISP_THREAD_ITEMS = 20_000

/**
 * About how many attributes and objects MISP content holds, counted without reading it: enough to
 * tell a mega-event from an everyday one.
 */
export function mispItemsOf(content: unknown): number {
  if (Array.isArray(content)) {
    return content.reduce((sum: number, item) => sum + mispItemsOf(item), 0)
  }
  if (typeof content !== 'object' || content === null) {
    return 0
  }
  const record = content as Record<string, unknown>
  if ('Event' in record) {
    return mispItemsOf(record.Event)
  }
  if ('response' in record) {
    return mispItemsOf(record.response)
  }
  const attributes = Array.isArray(record.Attribute) ? record.Attribute.length : 0
  const objects = Array.isArray(record.Object) ? record.Object.length : 0
  return attributes + objects
}

/**
 * {@link importContent} of MISP content on a worker thread (intel.misp.worker.ts): there it is read,
 * mapped to STIX, checked, sorted into id order and prepared to store part by part, while this thread
 * decides the label from what the worker tells of the content and then stores the parts as they come.
 * A mega-event's mapping, checks, JSON and index rows (over half of its import) then take the other
 * core, and the event loop here stays free for other requests.
 */
export async function importMispOnThread(
  db: Db,
  importer: Importer,
  content: unknown,
  request: ImportRequest,
  now = new Date(),
): Promise<ImportResult> {
  const hits = await openWarninglistHits(db)
  const job: MispJob = { content, skipInvalid: request.skipInvalid, matching: hits.matching }
  const worker = startModuleThread(new URL('./intel.misp.worker.js', import.meta.url), null)
  // As a message, not as the thread's data: the thread lets the content go once it is mapped.
  worker.postMessage(job)
  const what = 'preparing the MISP content'
  try {
    const inbox = inboxOf<MispMessage>(worker)
    let facts: MispContentFacts | null = null
    while (facts === null) {
      const message = await inbox.next(what)
      if (message.kind === 'progress') {
        ;(message.phase === 'map' ? request.onMap : request.onCheck)?.(message.done, message.total)
      } else if (message.kind === 'failed') {
        throw failureOf(message, what)
      } else if (message.kind === 'facts') {
        facts = message.facts
      } else {
        throw new Error(`${what}: a ${message.kind} before what the content is`)
      }
    }
    const { label, held } = await importLabel(db, importer, request, {
      contentTlp: facts.strictest ?? facts.tlpHint,
      audienceHint: facts.audienceHint,
      papHint: facts.papHint,
      anyRed: facts.anyRed,
    })
    await hits.addObservables(decodeObservablesOf(facts.matching))
    const batches = partsOfThread<MispMessage>(worker, inbox, what)
    const summary = await storeStixObjects(
      db,
      {
        ...importContext(importer, request, 'misp', held ?? label),
        narrowerAudiences: new Map(facts.narrowerAudiences),
        heldForRelease: held !== null,
      },
      { total: facts.total, batches },
      { problems: facts.problems, upgradedFrom20: false },
      now,
    )
    return await finishImport(
      db,
      importer,
      request,
      {
        summary,
        label,
        held,
        hits: hits.result(),
        warnings: facts.warnings,
      },
      now,
    )
  } finally {
    // Also when the import stops before it takes the parts (a label refused, a store that fails).
    await worker.terminate()
  }
}

/** What the label of an import depends on in its content. */
export interface ContentLabelFacts {
  /** The strictest TLP the content marks itself with (or a MISP event's TLP tag). */
  readonly contentTlp: Tlp | null
  /** The audience the content asks for (a MISP event's distribution). */
  readonly audienceHint: Audience | null
  /** The PAP the content declares (a MISP event's `PAP:` tag), if any. */
  readonly papHint?: Pap | null
  /** Some object of the content is marked TLP:RED. */
  readonly anyRed: boolean
}

/**
 * The label of an import: what the request asks, else the strictest of the content's own markings
 * (TLP:AMBER when it has none) for the importer's organisation only. `held` is the organisation-only
 * label the objects wait under when the organisation's four-eyes release applies.
 */
export async function importLabel(
  db: Db,
  importer: Importer,
  request: ImportRequest,
  facts: ContentLabelFacts,
): Promise<{ label: SharingLabel; held: SharingLabel | null }> {
  const tlp = request.label.tlp ?? facts.contentTlp ?? 'amber'
  // A hint from the content (MISP distribution) is taken only when it fits the TLP; stricter is safe.
  const hint = facts.audienceHint
  const hintFits = hint !== null && hint !== 'group' && TLP_ALLOWED_FOR_AUDIENCE[hint].includes(tlp)
  const audience = request.label.audience ?? (hintFits ? hint : 'org')
  assertRedHasRecipient(importer, request, tlp === 'red' || facts.anyRed)
  const label = await labelFromInput(db, importer, {
    tlp,
    pap: request.label.pap ?? facts.papHint ?? 'clear',
    audience: tlp === 'red' ? 'org' : audience,
    sharingGroups: request.label.sharingGroups ?? [],
    recipients:
      tlp === 'red' ? (request.label.recipients ?? [importer.userId]) : (request.label.recipients ?? []),
  })
  return { label, held: await heldLabelFor(db, label) }
}

/**
 * TLP:RED goes to named people: the importer by default; an import without a user (CLI without
 * --user) must name recipients itself, whether the import or one of its objects is red.
 */
export function assertRedHasRecipient(importer: Importer, request: ImportRequest, anyRed: boolean): void {
  if (anyRed && importer.userId === '' && (request.label.recipients ?? []).length === 0) {
    throw badInput('recipient', 'content under TLP:RED needs a named recipient: give --user or --recipient')
  }
}

/** The context the object store needs for an import. */
export function importContext(
  importer: Importer,
  request: ImportRequest,
  format: 'stix' | 'misp',
  label: SharingLabel,
): ImportContext {
  return {
    actor: importer.actor,
    orgId: importer.orgId,
    userId: importer.userId,
    label,
    skipInvalid: request.skipInvalid,
    source: request.source,
    format,
    ...(request.onProgress === undefined ? {} : { onProgress: request.onProgress }),
  }
}

/** Records the four-eyes release of a stored import (when its label is held) and assembles the result. */
export async function finishImport(
  db: Db,
  importer: Importer,
  request: ImportRequest,
  done: {
    summary: ImportSummary
    label: SharingLabel
    held: SharingLabel | null
    hits: WarninglistHits
    /** What was read other than written (MISP content): none when absent. */
    warnings?: ImportWarnings | null | undefined
  },
  now: Date,
): Promise<ImportResult> {
  const { summary, label, held } = done
  // The release is recorded in a transaction of its own after the objects: should that fail, they
  // stay organisation only. Nothing stored (all unchanged or rejected): nothing to release.
  const release =
    held === null || summary.created + summary.updated === 0
      ? null
      : await requestRelease(
          db,
          importer,
          { importId: summary.importId, held, requested: label, source: request.source },
          now,
        )
  return {
    ...summary,
    warnings: done.warnings ?? { total: 0, items: [] },
    warninglistHits: done.hits,
    release: release === null ? null : { id: release.id, status: 'pending' },
  }
}

/** Hits listed at most in an import's summary; `total` counts them all. */
export const WARNINGLIST_HITS_LIMIT = 1000

/** Values of an import that are on enabled warninglists (known-benign): the first ones, and how many. */
export interface WarninglistHits {
  total: number
  /** At most {@link WARNINGLIST_HITS_LIMIT}: the object, its value (normalised) and the list's name. */
  items: { objectId: string; value: string; warninglist: string }[]
}

/** What an import did, which of its values are on enabled warninglists, and its four-eyes release. */
export interface ImportResult extends ImportSummary {
  /** What was read other than written and imported all the same: the first ones, and how many. */
  warnings: ImportWarnings
  warninglistHits: WarninglistHits
  /** Set when the organisation's four-eyes release holds the objects (organisation only) for approval. */
  release: { id: string; status: 'pending' } | null
}

/** Collects, part by part, the observables of imported objects that are on enabled warninglists. */
export interface WarninglistHitCollector {
  /** False when no list is enabled: nothing to collect. */
  readonly matching: boolean
  add(objects: readonly StixObject[]): Promise<void>
  /** The observables of objects (each object's once per key), found where the objects were read. */
  addObservables(found: readonly ObservableOf[]): Promise<void>
  result(): WarninglistHits
}

/** Starts collecting warninglist hits of an import (nothing to do when no list is enabled). */
export async function openWarninglistHits(db: Db): Promise<WarninglistHitCollector> {
  const hits: WarninglistHits = { total: 0, items: [] }
  const matcher = await openWarninglistMatcher(db)
  const addObservables = async (found: readonly ObservableOf[]): Promise<void> => {
    for (let start = 0; start < found.length && !matcher.isEmpty; start += 10_000) {
      const batch = found.slice(start, start + 10_000)
      const matched = await matcher.matchObservables(batch.map((b) => b.observable))
      batch.forEach(({ objectId, observable }, i) => {
        for (const hit of matched[i] ?? []) {
          hits.total += 1
          if (hits.items.length < WARNINGLIST_HITS_LIMIT) {
            hits.items.push({ objectId, value: observable.value, warninglist: hit.name })
          }
        }
      })
    }
  }
  const add = async (objects: readonly StixObject[]): Promise<void> => {
    if (!matcher.isEmpty) {
      await addObservables(objects.flatMap((object) => warninglistObservablesOf(object)))
    }
  }
  return { matching: !matcher.isEmpty, add, addObservables, result: () => hits }
}
