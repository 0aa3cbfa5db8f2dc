import { randomUUID } from 'node:crypto'
import { setImmediate as turn } from 'node:timers/promises'
import { compareStixTimestamps, type StixObject } from '../../../core/stix/stix.js'
import { upgradeStix20 } from '../../../core/stix/upgrade.js'
import { validateStixContent } from '../../../core/stix/validate.js'
import { receivedLabel } from '../../../core/federation/federation.js'
import { Provenance } from '../../../core/federation/provenance.js'
import { Audience, Tlp, tightenToTlp, type Pap, type SharingLabel } from '../../../core/trust/label.js'
import { LiaisonError } from '../../errors.js'
import { rawSqliteOf, type Db, type Trx } from '../../store/store.js'
import { recordAudit, type AuditActor } from '../audit/audit.service.js'
import { ensureLabel, findLabels } from '../trust/label.repository.js'
import {
  claimIntelInstants,
  findHeldVersions,
  holdIntelClock,
  insertStixObjects,
  refreshStatisticsAfter,
  replaceIndex,
  replaceStixObjectContent,
  setLatestVersions,
} from './intel.repository.js'
import { hasHugeList, stringifyInTurns } from './intel.json.js'
import { recordProvenance, type VersionKey } from './intel.provenance.js'
import {
  IMPORT_CHECKS,
  indexRowsInTurns,
  type ImportWarnings,
  preparedVersionOf,
  type IndexRows,
  type PreparedVersion,
} from './intel.prepare.js'
import { uniqueVersionsInIdOrder } from './intel.sort.js'
import type { StixObjectRow } from './intel.table.js'

/** Who imports, and under which label. */
export interface ImportContext {
  /** Written to the audit log. */
  readonly actor: AuditActor
  /** Organisation that will own the stored copies. */
  readonly orgId: string
  /** User who imports (named as recipient when an object is TLP:RED and the label names nobody). */
  readonly userId: string
  /** The import's label; objects marked stricter get a stricter label of their own. */
  readonly label: SharingLabel
  /** Store the valid objects and report the rejected ones, instead of refusing the whole import. */
  readonly skipInvalid: boolean
  /** Where the content came from (a file name, a feed, a MISP event). */
  readonly source: string | null
  /** `stix` or `misp`. */
  readonly format: 'stix' | 'misp'
  /** Reports progress while storing (objects done, objects in all). */
  readonly onProgress?: (done: number, total: number) => void
  /**
   * Where the objects came from when not made here (a pull, a peer's TAXII POST): `fallback` for
   * objects that carry no `x_liaison_provenance` of their own; one they carry is kept, with the
   * sender as its last hop (`Provenance.received`; a null `fallback`: a TAXII POST by an organisation
   * that stands for no peer, kept as carried). Without it (a file or API import), a carried
   * provenance is dropped: the objects were made here.
   */
  readonly provenance?: { readonly fallback: Provenance | null; readonly peerId: string | null }
  /**
   * Objects whose own audience is narrower than the import's, by STIX id (see
   * {@link PreparedContent.narrowerAudiences}): their labels narrow to it, never widen.
   */
  readonly narrowerAudiences?: ReadonlyMap<string, Audience>
  /**
   * The label is an organisation-only one the objects wait under for a four-eyes release: objects
   * with a narrower audience of their own are stored outside the import the release relabels, so
   * they stay organisation only.
   */
  readonly heldForRelease?: boolean
  /**
   * Objects marked TLP:AMBER+STRICT stay with the importing organisation, whatever the label's
   * audience (`receivedLabel`): set by a pull, where this instance takes in for itself what a peer
   * shared with it (TLP 2.0: its members only, nothing onward).
   */
  readonly keepStrictHome?: boolean
  /**
   * Runs inside the import's transaction once the objects are stored, so that what the caller
   * records with them (a pull's cursor and receipts) commits, or rolls back, together with them.
   */
  readonly inTransaction?: (trx: Trx, summary: ImportSummary) => Promise<void>
  /**
   * Objects stored between two turns of the event loop (default {@link STORE_BATCH}). Smaller
   * batches keep other requests waiting less while a transaction holds many objects (a TAXII part);
   * the transaction still commits once.
   */
  readonly batchSize?: number
}

/** Objects of an import stored between two turns of the event loop, by default. */
export const STORE_BATCH = 5000

/** What an import did. */
export interface ImportSummary {
  importId: string
  created: number
  updated: number
  unchanged: number
  rejected: number
  /** Every rejected object with its reason (property and rule). */
  problems: ImportProblem[]
  /** Set when the content was STIX 2.0 and was upgraded. */
  upgradedFrom20: boolean
}

/** A rejected object or element of an import: which (index, id), which property, which rule, and why. */
export interface ImportProblem {
  readonly index: number
  readonly id: string | null
  readonly type: string | null
  readonly property: string
  readonly rule: string
  readonly message: string
}

/**
 * Objects to store arriving in parts (a bundle read piece by piece), and how many there are in all. A
 * part is objects, or versions prepared on the thread that read them (see intel.stream.worker.ts).
 */
export interface StixBatches {
  readonly total: number
  readonly batches: AsyncIterable<readonly StixObject[] | { readonly prepared: readonly PreparedVersion[] }>
  /**
   * For batches checked as they are read (a large file in one pass): the problems of the objects
   * rejected, known once the last batch is read.
   */
  readonly rejected?: () => { problems: ImportProblem[]; count: number }
}

/** Content checked and turned into STIX objects, ready to store. */
export interface PreparedContent {
  objects: StixObject[]
  /** Problems of rejected objects (with `skipInvalid`); empty otherwise. */
  problems: ImportProblem[]
  /**
   * What was read other than written, and imported all the same (a MISP attribute without `to_ids`,
   * read as false; MISP proposals, not imported): the import's warnings.
   */
  warnings?: ImportWarnings
  upgradedFrom20: boolean
  /** TLP the content declares as a whole (a MISP event's tag), if any. */
  tlpHint: Tlp | null
  /** Audience the content asks for (a MISP event's distribution), if any. */
  audienceHint: Audience | null
  /** PAP the content declares (a MISP event's `PAP:` tag, the strictest), if any. */
  papHint?: Pap | null
  /**
   * Objects whose own audience is narrower than the content's (a MISP attribute of distribution
   * "your organisation only" in an event shared wider), by STIX id.
   */
  narrowerAudiences?: ReadonlyMap<string, Audience>
}

/**
 * The error that refuses an import: how many problems, the first (a problem of the content as a
 * whole first), and up to 1,000 of them.
 */
export function importRefusal(problems: readonly ImportProblem[], problemCount: number): LiaisonError {
  const first = problems.find((p) => p.index < 0) ?? problems[0]
  return new LiaisonError(
    400,
    'validation_failed',
    `${problemCount} problem(s), nothing imported; first: ${first?.message ?? ''}`,
    {
      field: first?.property ?? 'content',
      problems: problems.slice(0, 1000),
      problemCount,
    },
  )
}

/**
 * Validates STIX content (a bundle, one object, or an array) and returns the objects to store. A
 * strict import with any problem raises a 400 listing every problem; with `skipInvalid` the
 * objects with problems are left out and reported.
 */
export function prepareStix(content: unknown, skipInvalid: boolean): PreparedContent {
  const result = validateStixContent(content, IMPORT_CHECKS)
  // Problem indexes are positions in the content; entries keep theirs.
  let entries = result.objects
  let problems: ImportProblem[] = [...result.problems]
  let rejecting = result.problems
  let upgradedFrom20 = false
  if (result.specVersion === '2.0') {
    // 2.0 is upgraded, never stored as it is; what cannot be converted is reported (and refused
    // by a strict import), and the result is checked again as 2.1.
    const upgraded = upgradeStix20(entries.map((e) => e.object))
    const revalidated = validateStixContent(upgraded.objects, IMPORT_CHECKS)
    entries = revalidated.objects
    problems = [...upgraded.problems, ...revalidated.problems]
    rejecting = revalidated.problems
    upgradedFrom20 = true
  }
  if (problems.length === 0) {
    return {
      objects: entries.map((e) => e.object),
      problems,
      upgradedFrom20,
      tlpHint: null,
      audienceHint: null,
    }
  }
  // A problem of the content as a whole (not STIX at all, a broken bundle) leaves nothing to import.
  if (!skipInvalid || problems.some((p) => p.index < 0)) {
    throw importRefusal(problems, problems.length)
  }
  const bad = new Set(rejecting.map((p) => p.index))
  return {
    objects: entries.filter((e) => !bad.has(e.index)).map((e) => e.object),
    problems,
    upgradedFrom20,
    tlpHint: null,
    audienceHint: null,
  }
}

/**
 * Stores validated STIX objects for an organisation, atomically: every object or none. Each object
 * keeps every version (id, modified); the latest wins; the observable index and references follow
 * the latest versions.
 */
export async function storeStixObjects(
  db: Db,
  ctx: ImportContext,
  objects: readonly StixObject[] | StixBatches,
  rejected: { problems: ImportProblem[]; upgradedFrom20: boolean; rejectedCount?: number },
  now = new Date(),
): Promise<ImportSummary> {
  const importId = randomUUID()
  const summary: ImportSummary = {
    importId,
    created: 0,
    updated: 0,
    unchanged: 0,
    rejected: rejected.rejectedCount ?? new Set(rejected.problems.map((p) => p.index)).size,
    problems: rejected.problems,
    upgradedFrom20: rejected.upgradedFrom20,
  }
  const input: StixBatches = Array.isArray(objects)
    ? {
        total: objects.length,
        batches: (async function* () {
          yield objects
        })(),
      }
    : (objects as StixBatches)
  const batchSize = ctx.batchSize ?? STORE_BATCH
  const sqlite = rawSqliteOf(db)
  await db.transaction().execute(async (trx) => {
    // First: the clock, held until commit, so the instants of this import follow commit order. Each
    // batch then claims one instant of its own for each version it writes, from `at` on.
    const at = await holdIntelClock(trx, now)
    // An object's label depends only on its own TLP marking and, for some MISP content, its own
    // narrower audience: one label row per (TLP, audience) seen.
    const labelIds = new Map<string, string>()
    const labelIdOf = async (objectTlp: Tlp | null, narrower?: Audience): Promise<string> => {
      const key = `${objectTlp ?? ''}\u0000${narrower ?? ''}`
      let id = labelIds.get(key)
      if (id === undefined) {
        const base = narrower === undefined ? ctx.label : narrowedTo(ctx.label, narrower)
        const label = ctx.keepStrictHome
          ? receivedLabel(base, objectTlp, ctx.userId)
          : tightenToTlp(base, objectTlp, ctx.userId)
        id = await ensureLabel(trx, label, now)
        labelIds.set(key, id)
      }
      return id
    }
    let done = 0
    for await (const part of input.batches) {
      // Objects read here are prepared batch by batch (their JSON is written as they are stored).
      const readHere = !('prepared' in part)
      const all: readonly (StixObject | PreparedVersion)[] =
        'prepared' in part
          ? await uniqueVersionsInIdOrder(part.prepared)
          : await uniqueVersionsInIdOrder(part)
      for (let start = 0; start < all.length; start += batchSize) {
        const slice = all.slice(start, start + batchSize)
        await storeBatch(
          trx,
          ctx,
          readHere ? await preparedBatch(slice as StixObject[]) : (slice as PreparedVersion[]),
          labelIdOf,
          importId,
          at,
          now,
          summary,
          sqlite,
        )
        // Progress batch by batch: content imported whole (a MISP event) is one part of up to
        // millions of objects.
        const stored = Math.min(start + batchSize, all.length)
        if (stored < all.length) {
          ctx.onProgress?.(Math.min(done + stored, input.total), input.total)
        }
        // A turn of the event loop between batches: SQLite's statements complete at once, so the
        // awaits above never let anything else run, and a server storing a MISP mega-event answered
        // nothing (its reads, on the reader connection, included) until the end, a minute or more.
        await turn()
      }
      done += 'prepared' in part ? part.prepared.length : part.length
      ctx.onProgress?.(Math.min(done, input.total), input.total)
    }
    const late = input.rejected?.()
    if (late !== undefined) {
      summary.problems = late.problems
      summary.rejected = late.count
    }
    await trx
      .insertInto('intel_imports')
      .values({
        id: importId,
        org_id: ctx.orgId,
        user_id: ctx.userId,
        format: ctx.format,
        source: ctx.source,
        label_id: await labelIdOf(null),
        created: summary.created,
        updated: summary.updated,
        unchanged: summary.unchanged,
        rejected: summary.rejected,
        started_at: at,
        finished_at: new Date().toISOString(),
      })
      .execute()
    await recordAudit(
      trx,
      ctx.actor,
      {
        action: 'intel.imported',
        targetType: 'import',
        targetId: importId,
        details: {
          format: ctx.format,
          source: ctx.source,
          orgId: ctx.orgId,
          label: ctx.label,
          created: summary.created,
          updated: summary.updated,
          unchanged: summary.unchanged,
          rejected: summary.rejected,
        },
      },
      now,
    )
    await ctx.inTransaction?.(trx, summary)
  })
  if (sqlite === undefined && !db.isTransaction) {
    await refreshStatisticsAfter(db, summary.created + summary.updated)
  }
  return summary
}

async function storeBatch(
  trx: Trx,
  ctx: ImportContext,
  batch: readonly PreparedVersion[],
  labelIdOf: (objectTlp: Tlp | null, narrower?: Audience) => Promise<string>,
  importId: string,
  at: string,
  now: Date,
  summary: ImportSummary,
  sqlite: ReturnType<typeof rawSqliteOf>,
): Promise<void> {
  const held = await findHeldVersions(
    trx,
    ctx.orgId,
    batch.map((o) => o.id),
  )
  // Resolve the (few) labels of this batch up front; the loop below then stays synchronous.
  const labelOfTlp = new Map<Tlp | null, string>()
  const narrowed = new Map<string, string>()
  for (const version of batch) {
    const tlp = version.tlp
    const narrower = ctx.narrowerAudiences?.get(version.id)
    if (narrower !== undefined) {
      narrowed.set(version.id, await labelIdOf(tlp, narrower))
    } else if (!labelOfTlp.has(tlp)) {
      labelOfTlp.set(tlp, await labelIdOf(tlp))
    }
  }
  // Held labels read once per batch, and what each tightens to.
  const heldLabels = new Map<string, SharingLabel | undefined>()
  const tighterLabel = async (heldId: string, objectTlp: Tlp | null): Promise<string | null> => {
    if (objectTlp === null) {
      return null
    }
    if (!heldLabels.has(heldId)) {
      heldLabels.set(heldId, (await findLabels(trx, [heldId])).get(heldId))
    }
    const current = heldLabels.get(heldId)
    if (current === undefined || Tlp.rank(objectTlp) <= Tlp.rank(current.tlp)) {
      return null
    }
    const stricter = ctx.keepStrictHome
      ? receivedLabel(current, objectTlp, ctx.userId)
      : tightenToTlp(current, objectTlp, ctx.userId)
    return ensureLabel(trx, stricter, now)
  }
  const inserts: StixObjectRow[] = []
  // Versions whose content changes in place, written once the batch's instants are claimed.
  const replacements: { key: VersionKey; change: Parameters<typeof replaceStixObjectContent>[2] }[] = []
  // Every version the batch writes, in batch order: the order of the instants it gets.
  const order: { added_at: string }[] = []
  const newLatest = new Map<string, string>()
  const heldBefore = new Set(held.byId.keys())
  const reindex = new Map<string, PreparedVersion>()
  const provenance: { key: VersionKey; provenance: Provenance; peerId: string | null }[] = []
  for (const version of batch) {
    const { id, modified, json } = version
    // Believed only from what federates (a pull, a TAXII POST), with a known peer as the last hop;
    // a file or an API import that carries one is taken as made here (its route is hearsay).
    const sender = ctx.provenance
    const origin =
      sender === undefined
        ? null
        : sender.fallback === null
          ? version.provenance
          : Provenance.received(version.provenance, sender.fallback)
    if (origin !== null) {
      provenance.push({
        key: { id, ownerOrgId: ctx.orgId, modified },
        provenance: origin,
        peerId: ctx.provenance?.peerId ?? null,
      })
    }
    const mine = held.byId.get(id)
    const existing = mine?.versions.get(modified)
    if (existing !== undefined) {
      // A version held already keeps its label, unless the content now marks itself stricter (a
      // re-sent event tagged TLP:RED): the label tightens to it, never the other way.
      const heldLabel = mine?.labels.get(modified)
      const tighter = heldLabel === undefined ? null : await tighterLabel(heldLabel, version.tlp)
      if (existing === json && tighter === null) {
        summary.unchanged += 1
        continue
      }
      const change = {
        json,
        name: version.name,
        valid_until: version.validUntil,
        revoked: version.revoked,
        source: ctx.source,
        import_id: importId,
        added_at: '',
        ...(tighter === null ? {} : { label_id: tighter }),
      }
      replacements.push({ key: { id, modified, ownerOrgId: ctx.orgId }, change })
      order.push(change)
      if (tighter !== null) {
        mine?.labels.set(modified, tighter)
      }
      summary.updated += 1
      if ((mine?.latest ?? '') === modified) {
        reindex.set(id, version)
      }
      continue
    }
    // A new version: latest when no newer one is held (timestamps of one id compare as strings
    // only at equal precision, so compare them as instants, then as strings).
    const currentLatest = mine?.latest ?? null
    const isLatest = currentLatest === null || isNewer(modified, currentLatest)
    if (mine === undefined) {
      summary.created += 1
    } else {
      summary.updated += 1
    }
    const row: StixObjectRow = {
      id,
      modified,
      owner_org_id: ctx.orgId,
      type: version.type,
      created: version.created,
      valid_until: version.validUntil,
      revoked: version.revoked,
      is_latest: isLatest && currentLatest === null ? 1 : 0,
      label_id: narrowed.get(id) ?? labelOfTlp.get(version.tlp) ?? '',
      json,
      name: version.name,
      source: ctx.source,
      // Kept out of a four-eyes release of this import (which relabels its objects by import): the
      // release must not widen an object past its own narrower audience.
      import_id: ctx.heldForRelease === true && narrowed.has(id) ? null : importId,
      // Set below, from the instants claimed for the batch.
      added_at: '',
    }
    inserts.push(row)
    order.push(row)
    if (isLatest) {
      if (currentLatest !== null) {
        newLatest.set(id, modified)
      }
      reindex.set(id, version)
      const labelId = inserts[inserts.length - 1]?.label_id ?? ''
      if (mine !== undefined) {
        mine.latest = modified
        mine.versions.set(modified, json)
        mine.labels.set(modified, labelId)
      } else {
        held.byId.set(id, {
          versions: new Map([[modified, json]]),
          labels: new Map([[modified, labelId]]),
          latest: modified,
        })
      }
    }
  }
  // One instant per written version, each its own: versions of one import never share a date added,
  // so a reader paging by date added alone (TAXII `added_after`) neither skips nor repeats any.
  const instants = await claimIntelInstants(trx, now, order.length)
  order.forEach((written, i) => {
    written.added_at = instants.at(i)
  })
  for (const { key, change } of replacements) {
    await replaceStixObjectContent(trx, key, change)
  }
  await insertStixObjects(trx, inserts, sqlite)
  await recordProvenance(trx, provenance, at)
  if (newLatest.size > 0) {
    await setLatestVersions(trx, ctx.orgId, newLatest)
  }
  // A turn between the object rows and the index rows: for a MISP mega-event's report, the one
  // object of its batch, each takes the better part of a second.
  await turn()
  const { observables, refs } = await indexRowsOfVersions(reindex.values(), ctx.orgId)
  // Only ids this owner held before can have index rows to replace.
  const stale = [...reindex.keys()].filter((id) => heldBefore.has(id))
  await replaceIndex(trx, ctx.orgId, stale, observables, refs, sqlite)
}

/**
 * The index rows of the versions that become the latest: rows built where they were read, their
 * owner filled in, and rows built now from the objects read here, letting the event loop turn every
 * {@link INDEX_ROWS_STEP} rows (a MISP mega-event's report alone has 1.5 M reference rows).
 */
async function indexRowsOfVersions(
  versions: Iterable<PreparedVersion>,
  ownerOrgId: string,
): Promise<IndexRows> {
  const out: IndexRows = { observables: [], refs: [] }
  const objects: StixObject[] = []
  for (const version of versions) {
    if (version.rows === null) {
      if (version.object !== null) {
        objects.push(version.object)
      }
      continue
    }
    for (const row of version.rows.observables) {
      row.owner_org_id = ownerOrgId
      out.observables.push(row)
    }
    for (const row of version.rows.refs) {
      row.owner_org_id = ownerOrgId
      out.refs.push(row)
    }
  }
  return indexRowsInTurns(objects, ownerOrgId, out)
}

/**
 * Objects read on this thread, made ready to store. A MISP mega-event's report (79 MB of JSON) is
 * written in parts, between turns of the event loop.
 */
async function preparedBatch(batch: readonly StixObject[]): Promise<PreparedVersion[]> {
  const out: PreparedVersion[] = []
  for (const item of batch) {
    // Provenance travels as a custom property and is kept beside the object, not in it: the stored
    // version stays what its producer wrote.
    const { object, provenance } = Provenance.strip(item)
    const json = hasHugeList(object) ? await stringifyInTurns(object) : JSON.stringify(object)
    out.push(preparedVersionOf(object, provenance, json, false))
  }
  return out
}

function isNewer(candidate: string, current: string): boolean {
  return compareStixTimestamps(candidate, current) > 0
}

/**
 * A label narrowed to an object's own audience, when that is narrower: a MISP attribute of "your
 * organisation only" in a shared event stays with the organisation; one for a MISP sharing group
 * (which names no sharing group here) does too, unless the label is for sharing groups already.
 */
export function narrowedTo(label: SharingLabel, audience: Audience): SharingLabel {
  if (Audience.breadth(audience) >= Audience.breadth(label.audience)) {
    return label
  }
  // Narrower than the label, which is then wider than any sharing group: no groups to keep.
  return { ...label, audience: audience === 'group' ? 'org' : audience, sharingGroups: [] }
}
