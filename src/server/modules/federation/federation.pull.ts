import { pullVerdict, receivedLabel } from '../../../core/federation/federation.js'
import { PROVENANCE_PROPERTY, Provenance, type InstanceRef } from '../../../core/federation/provenance.js'
import { tlp2OfMarkingRef, type StixObject } from '../../../core/stix/stix.js'
import { upgradeStix20 } from '../../../core/stix/upgrade.js'
import { stixVersionEvidence, validateStixContent } from '../../../core/stix/validate.js'
import type { SharingLabel } from '../../../core/trust/label.js'
import type { Db, Trx } from '../../store/store.js'
import type { AuditActor } from '../audit/audit.service.js'
import { deleteOwnVersions } from '../intel/intel.delete.js'
import { storeStixObjects } from '../intel/intel.import.js'
import { IMPORT_CHECKS, tlpOfObject } from '../intel/intel.prepare.js'
import { findVersionLabels } from '../intel/intel.provenance.js'
import { ensureLabel, labelId } from '../trust/label.repository.js'
import { findPullCursor, savePullCursor, upsertReceipts } from './federation.repository.js'
import type { FederationPullCursorRow, FederationReceiptTable } from './federation.table.js'
import { TaxiiClientError, type ObjectsPage, type TaxiiClient } from './taxii.client.js'

/** What one pull reads from, and how it stores what it reads. */
export interface PullSource {
  /** Key of the pull's cursor: the peer id, or `adhoc:<hash>` for a pull without a peer. */
  readonly sourceKey: string
  /** The peer receipts are recorded for; null: no receipts (an ad-hoc pull). */
  readonly peerId: string | null
  readonly client: TaxiiClient
  readonly apiRootUrl: string
  /** The collection as configured (id, alias or title): the cursor's key. */
  readonly collection: string
  /** The organisation that will own what is pulled. */
  readonly ownerOrgId: string
  /** The label pulled objects get, owned by that organisation; their own stricter markings tighten it. */
  readonly label: SharingLabel
  readonly pageSize: number
  /** Where objects that carry no provenance of their own come from (the remote instance). */
  readonly fallback: Provenance
  /** Written as the objects' `source`, e.g. `peer:CERT-B`. */
  readonly source: string
  readonly actor: AuditActor
}

/** Hooks into a pull, for progress and tests. */
export interface PullHooks {
  /**
   * Runs inside each page's transaction, after the page's objects are stored and before its cursor
   * commits: throwing here rolls the page back, as a crash there would.
   */
  readonly inPage?: (page: number) => Promise<void> | void
  /** Called after each page has committed. */
  readonly onPage?: (progress: PullSummary) => void
  /** Stop after this many pages (the cursor keeps the place). */
  readonly maxPages?: number
}

/** What a pull did. */
export interface PullSummary {
  pages: number
  accepted: number
  rejected: number
  /** Whether the collection was read to its end (false: stopped by `maxPages`). */
  complete: boolean
}

/**
 * Pulls one collection page by page from where the last pull stopped. Each page's objects, their
 * receipts and the advanced cursor are written in one transaction, so a pull that dies part way
 * resumes at the first page not committed, and re-reading a page stores nothing twice (versions are
 * kept once per owner; receipts once per version).
 */
export async function pullCollection(
  db: Db,
  self: InstanceRef,
  source: PullSource,
  hooks: PullHooks = {},
  now: () => Date = () => new Date(),
): Promise<PullSummary> {
  const summary: PullSummary = { pages: 0, accepted: 0, rejected: 0, complete: false }
  const collectionId = await source.client.resolveCollection(source.apiRootUrl, source.collection)
  let cursor = await findPullCursor(db, source.sourceKey, source.collection)
  // The last date added of the pages this pull read: where the next pull reads on from, should the
  // last page be empty (a server may end with one; `next` paging leaves added_after where it was).
  let lastAdded: string | null = null
  for (;;) {
    if (hooks.maxPages !== undefined && summary.pages >= hooks.maxPages) {
      return summary
    }
    const page = await readPage(source, collectionId, cursor)
    const at = now()
    lastAdded = page.dateAddedLast ?? lastAdded
    const next = nextCursor(source, cursor, page, lastAdded, at)
    const outcome = await storePage(db, self, source, page.objects, next, summary.pages + 1, hooks, at)
    summary.pages += 1
    summary.accepted += outcome.accepted
    summary.rejected += outcome.rejected
    hooks.onPage?.({ ...summary })
    const stuck =
      page.more && next.next === (cursor?.next ?? null) && next.added_after === (cursor?.added_after ?? null)
    cursor = { ...next }
    if (!page.more) {
      summary.complete = true
      return summary
    }
    if (stuck) {
      // Asking again would give the same page for ever; stopping quietly would report a pull
      // complete that is not. What was read is kept; the peer shows why the rest is not.
      throw new TaxiiClientError(
        `the server says there is more after page ${summary.pages} of ${source.collection} but gives neither a next nor an X-TAXII-Date-Added-Last to read it from`,
        { status: 200, url: source.apiRootUrl },
      )
    }
  }
}

/** Reads the page after a cursor; a `next` the server no longer knows falls back to `added_after`. */
async function readPage(
  source: PullSource,
  collectionId: string,
  cursor: FederationPullCursorRow | undefined,
): Promise<ObjectsPage> {
  // Every version added since the cursor, not only the last of each object: a version made and
  // replaced between two pulls is kept here too (versions are kept once per owner).
  const query = { addedAfter: cursor?.added_after ?? null, limit: source.pageSize, versions: 'all' as const }
  if (cursor?.next === null || cursor?.next === undefined) {
    return source.client.getObjects(source.apiRootUrl, collectionId, query)
  }
  try {
    return await source.client.getObjects(source.apiRootUrl, collectionId, { ...query, next: cursor.next })
  } catch (error) {
    if (error instanceof TaxiiClientError && error.status === 400) {
      // Re-reading from added_after may repeat objects of the page before: they are kept once.
      return source.client.getObjects(source.apiRootUrl, collectionId, query)
    }
    throw error
  }
}

/**
 * The cursor after a page: the server's `next` while there is more; else (or when the server gives
 * no `next`) `added_after` moves to the page's last date added.
 */
function nextCursor(
  source: PullSource,
  cursor: FederationPullCursorRow | undefined,
  page: ObjectsPage,
  lastAdded: string | null,
  at: Date,
): FederationPullCursorRow {
  const addedAfter = page.dateAddedLast ?? lastAdded ?? cursor?.added_after ?? null
  return {
    source_key: source.sourceKey,
    collection: source.collection,
    added_after: page.more && page.next !== null ? (cursor?.added_after ?? null) : addedAfter,
    next: page.more ? page.next : null,
    deletions_after: cursor?.deletions_after ?? null,
    pages: (cursor?.pages ?? 0) + 1,
    objects: (cursor?.objects ?? 0) + page.objects.length,
    updated_at: at.toISOString(),
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function versionOf(object: unknown): string {
  if (!isRecord(object)) {
    return ''
  }
  return typeof object.modified === 'string' ? object.modified : ''
}

/** One object of a page to check: as it came (`item`), and as it is checked (2.1, provenance apart). */
interface Candidate {
  readonly item: unknown
  readonly object: unknown
  readonly provenance: Provenance | null
}

/**
 * A page's objects as STIX 2.1: an object that is STIX 2.0 (an SDO or SRO without `spec_version`, as
 * older servers and feeds still serve) is upgraded on its own, as an import upgrades 2.0 content
 * (`upgradeStix20`; an observed-data's embedded objects become SCOs of their own, which follow it);
 * one that does not convert is refused with why. Others pass as they are.
 */
function upgradedItems(items: readonly unknown[]): {
  candidates: Candidate[]
  refused: { item: unknown; messages: string[] }[]
} {
  const candidates: Candidate[] = []
  const refused: { item: unknown; messages: string[] }[] = []
  for (const item of items) {
    const { object, provenance } = isRecord(item)
      ? Provenance.strip(item)
      : { object: item, provenance: null }
    if (stixVersionEvidence(object) !== '2.0') {
      candidates.push({ item, object, provenance })
      continue
    }
    const upgraded = upgradeStix20([object as StixObject])
    if (upgraded.problems.length > 0) {
      refused.push({
        item,
        messages: [
          'STIX 2.0 that does not convert to 2.1',
          ...upgraded.problems.map((p) => p.message.replace(/^object 0 /, '')),
        ],
      })
      continue
    }
    // The SCOs taken out of an observed-data came with it: the same provenance.
    for (const converted of upgraded.objects) {
      candidates.push({ item, object: converted, provenance })
    }
  }
  return { candidates, refused }
}

/** Checks a page, stores what may be kept, and records receipts and the cursor: one transaction. */
async function storePage(
  db: Db,
  self: InstanceRef,
  source: PullSource,
  items: readonly unknown[],
  cursor: FederationPullCursorRow,
  pageNumber: number,
  hooks: PullHooks,
  at: Date,
): Promise<{ accepted: number; rejected: number }> {
  const stamp = at.toISOString()
  // What this pull refuses is not stored, and what it was (a TLP:RED object, one that does not
  // validate, whatever its marking) is not for the pull's audience: its receipt is kept for the
  // pulling organisation alone, as TLP:AMBER+STRICT content is.
  const refusedLabel = receivedLabel(source.label, 'amber+strict', '')
  const refusedLabelId = labelId(refusedLabel)
  const receipts: FederationReceiptTable[] = []
  const receipt = (
    object: unknown,
    status: 'accepted' | 'rejected',
    label: string,
    rule: string | null,
    reason: string | null,
  ): void => {
    if (source.peerId === null) {
      return
    }
    const id = isRecord(object) && typeof object.id === 'string' ? object.id.slice(0, 300) : '(no id)'
    const type = isRecord(object) && typeof object.type === 'string' ? object.type.slice(0, 250) : '(no type)'
    receipts.push({
      peer_id: source.peerId,
      direction: 'pull',
      action: 'object',
      object_id: id,
      version: versionOf(object).slice(0, 100),
      owner_org_id: source.ownerOrgId,
      label_id: label,
      object_type: type,
      status,
      rule,
      reason: reason?.slice(0, 2000) ?? null,
      status_id: null,
      created_at: stamp,
      updated_at: stamp,
    })
  }
  const keep: StixObject[] = []
  let rejected = 0
  /** Labels of refused objects' receipts, made with the page. */
  const extraLabels = new Map<string, SharingLabel>()
  if (items.length > 0) {
    const { candidates, refused } = upgradedItems(items)
    for (const { item, messages } of refused) {
      rejected += 1
      receipt(item, 'rejected', refusedLabelId, 'invalid', messages.slice(0, 3).join('; '))
    }
    const result = validateStixContent(
      candidates.map((c) => c.object),
      { ...IMPORT_CHECKS, version: '2.1' },
    )
    const problems = new Map<number, string[]>()
    for (const problem of result.problems) {
      const list = problems.get(problem.index) ?? []
      list.push(problem.message)
      problems.set(problem.index, list)
    }
    for (const [index, messages] of problems) {
      rejected += 1
      receipt(
        candidates[index]?.object,
        'rejected',
        refusedLabelId,
        'invalid',
        messages.slice(0, 3).join('; '),
      )
    }
    for (const entry of result.objects) {
      if (problems.has(entry.index)) {
        continue
      }
      const object = entry.object
      if (tlp2OfMarkingRef(object.id) !== null) {
        // A TLP 2.0 marking definition (Liaison servers hold the five in every collection): known
        // here, written with whatever references it; kept as an object of the peer's it would only
        // travel on. Neither stored nor a receipt.
        continue
      }
      const candidate = candidates[entry.index]
      const carried = candidate?.provenance ?? null
      const tlp = tlpOfObject(object)
      const verdict = pullVerdict(self.id, tlp, carried)
      if (!verdict.deliver) {
        rejected += 1
        // A loop refused is labelled as it would have been stored; TLP:RED, home only.
        const as = tlp === 'red' ? refusedLabel : receivedLabel(source.label, tlp, '')
        extraLabels.set(labelId(as), as)
        receipt(object, 'rejected', labelId(as), verdict.rule, verdict.reason)
        continue
      }
      const stored = receivedLabel(source.label, tlp, '')
      receipt(
        object,
        'accepted',
        labelId(stored),
        null,
        stored.audience === source.label.audience
          ? null
          : stored.tlp === 'amber+strict'
            ? 'stored for the peer organisation only: TLP:AMBER+STRICT is shared with no one else, nor passed on'
            : `stored for ${stored.audience === 'org' ? 'the peer organisation only' : `audience ${stored.audience}`}: its TLP:${(tlp ?? '').toUpperCase()} marking is stricter than the pull's label allows`,
      )
      const original = candidate?.item
      keep.push(
        carried !== null && isRecord(original)
          ? { ...object, [PROVENANCE_PROPERTY]: original[PROVENANCE_PROPERTY] }
          : object,
      )
    }
  }
  const record = async (trx: Trx): Promise<void> => {
    await ensureLabel(trx, source.label, at)
    if (rejected > 0) {
      await ensureLabel(trx, refusedLabel, at)
    }
    for (const label of extraLabels.values()) {
      await ensureLabel(trx, label, at)
    }
    await upsertReceipts(trx, receipts)
    await hooks.inPage?.(pageNumber)
    await savePullCursor(trx, cursor)
  }
  if (keep.length === 0) {
    await db.transaction().execute(record)
    return { accepted: 0, rejected }
  }
  await storeStixObjects(
    db,
    {
      actor: source.actor,
      orgId: source.ownerOrgId,
      userId: '',
      label: source.label,
      skipInvalid: true,
      source: source.source,
      format: 'stix',
      provenance: { fallback: source.fallback, peerId: source.peerId },
      keepStrictHome: true,
      inTransaction: record,
    },
    keep,
    { problems: [], upgradedFrom20: false, rejectedCount: rejected },
    at,
  )
  return { accepted: keep.length, rejected }
}

/** Where a Liaison peer's deletion feed is, and how to read it. */
export interface DeletionFeed {
  /** `https://peer.example/api/v1/federation/deletions`. */
  readonly url: string
  /** The API key to read it with (Bearer). */
  readonly token: string
  readonly timeoutMs: number
  readonly fetch?: typeof fetch
}

/** Cursor key under which the position in a peer's deletion feed is kept. */
const DELETIONS_CURSOR = '#deletions'

/**
 * Reads a Liaison peer's deletion feed from where the last read stopped and deletes the versions
 * this instance received from that peer (the peer organisation's copies), with a receipt each.
 * TAXII has no deletion feed of its own; other servers' deletions are not seen by a pull.
 */
export async function pullDeletions(
  db: Db,
  source: Pick<PullSource, 'sourceKey' | 'peerId' | 'ownerOrgId' | 'actor'>,
  feed: DeletionFeed,
  now: () => Date = () => new Date(),
): Promise<number> {
  let deleted = 0
  const cursor = await findPullCursor(db, source.sourceKey, DELETIONS_CURSOR)
  let after = cursor?.deletions_after ?? null
  for (let pages = 0; pages < 1000; pages++) {
    const url = new URL(feed.url)
    url.searchParams.set('limit', '500')
    if (after !== null) {
      url.searchParams.set('after', after)
    }
    let response: Response
    try {
      response = await (feed.fetch ?? fetch)(url, {
        headers: { accept: 'application/json', authorization: `Bearer ${feed.token}` },
        signal: AbortSignal.timeout(feed.timeoutMs),
      })
    } catch (error) {
      throw new TaxiiClientError(
        `GET ${url.toString()}: ${error instanceof Error ? error.message : String(error)}`,
        {
          status: null,
          url: url.toString(),
        },
      )
    }
    if (!response.ok) {
      throw new TaxiiClientError(`GET ${url.toString()}: HTTP ${response.status}`, {
        status: response.status,
        url: url.toString(),
      })
    }
    const body = (await response.json()) as { items?: unknown; next?: unknown }
    const items = Array.isArray(body.items) ? body.items.filter(isRecord) : []
    const stamp = now().toISOString()
    const receipts: FederationReceiptTable[] = []
    for (const item of items) {
      if (typeof item.id !== 'string' || typeof item.version !== 'string') {
        continue
      }
      const key = { id: item.id, ownerOrgId: source.ownerOrgId }
      const labels = await findVersionLabels(db, key, [item.version])
      const removed = await deleteOwnVersions(db, source.actor, { ...key, modified: [item.version] }, now())
      const label = labels[0]
      if (removed === 0 || label === undefined || source.peerId === null) {
        continue
      }
      deleted += removed
      receipts.push({
        peer_id: source.peerId,
        direction: 'pull',
        action: 'delete',
        object_id: item.id,
        version: item.version,
        owner_org_id: source.ownerOrgId,
        label_id: label.label_id,
        object_type: label.type,
        status: 'accepted',
        rule: null,
        reason: 'deleted at its source',
        status_id: null,
        created_at: stamp,
        updated_at: stamp,
      })
    }
    const next = typeof body.next === 'string' ? body.next : after
    await db.transaction().execute(async (trx) => {
      await upsertReceipts(trx, receipts)
      await savePullCursor(trx, {
        source_key: source.sourceKey,
        collection: DELETIONS_CURSOR,
        added_after: null,
        next: null,
        deletions_after: next,
        pages: (cursor?.pages ?? 0) + pages + 1,
        objects: (cursor?.objects ?? 0) + items.length,
        updated_at: stamp,
      })
    })
    if (items.length < 500 || next === after) {
      return deleted
    }
    after = next
  }
  return deleted
}
