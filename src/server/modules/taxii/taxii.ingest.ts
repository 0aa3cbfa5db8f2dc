import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { setImmediate as turn } from 'node:timers/promises'
import type { FastifyBaseLogger } from 'fastify'
import type { UserPrincipal } from '../../../core/account/principal.js'
import type { Provenance } from '../../../core/federation/provenance.js'
import type { StixObject } from '../../../core/stix/stix.js'
import { validateStixContent } from '../../../core/stix/validate.js'
import { toTaxiiTimestamp } from '../../../core/taxii/taxii.js'
import { tightenToTlp, type SharingLabel } from '../../../core/trust/label.js'
import { forbidden, LiaisonError, notFound } from '../../errors.js'
import type { Db, Trx } from '../../store/store.js'
import { principalOf } from '../auth/principal.js'
import { isPeerOrganisation, peerProvenanceOf } from '../federation/federation.repository.js'
import { findGroupIdsOfOrg } from '../group/group.repository.js'
import { storeStixObjects, type ImportSummary } from '../intel/intel.import.js'
import { IMPORT_CHECKS, tlpOfObject } from '../intel/intel.prepare.js'
import {
  finishImport,
  importContext,
  importerOf,
  importLabel,
  type ImportRequest,
  type Importer,
} from '../intel/intel.service.js'
import { findOrganisationById } from '../org/org.repository.js'
import { findUserById } from '../user/user.repository.js'
import {
  claimPayload,
  countStatusParts,
  deleteStatusesBefore,
  findClaimablePayloads,
  findPayload,
  findStatusById,
  findStatusParts,
  hasPayload,
  insertStatusWithPayload,
  recordHeldImport,
  recordStatusPart,
  releaseClaims,
  renewClaims,
} from './taxii.repository.js'
import { isTlp2DefinitionId } from './taxii.markings.js'
import { getCollection, type TaxiiCollection } from './taxii.service.js'
import type { TaxiiStatusRow } from './taxii.table.js'

/**
 * Most objects validated and stored together, in one transaction (a part); other requests run
 * between parts. A POST with fewer left than this shares its part with the POSTs queued behind it
 * by the same account into the same collection (each still recorded as a part of its own status).
 */
export const TAXII_INGEST_PART = 2000
/**
 * Objects of a part stored between two turns of the event loop: other requests (reads run on their
 * own connection) wait for at most this many, while the part still commits once.
 */
export const TAXII_STORE_BATCH = 500
/** Most objects one process holds waiting to be stored; beyond it a POST gets a 429. */
export const TAXII_QUEUE_LIMIT = 2_000_000
/**
 * The lease of a queue on a POST it works on: a claim not renewed for this long belongs to a process
 * that stopped, and another takes the work over. A pending status without kept objects (accepted
 * before they were kept) and this long without progress reads as interrupted.
 */
export const TAXII_STALE_MS = 10 * 60_000
/** How often a queue renews its claims and looks for work no process holds (stopped ones' included). */
export const TAXII_SWEEP_MS = 60_000
/** How long complete statuses stay queryable (the standard asks for at least 24 hours). */
export const TAXII_STATUS_RETENTION_MS = 7 * 24 * 3600_000

/** The success message of a TLP 2.0 marking definition POSTed: it is stored nowhere. */
const TLP2_DEFINITION_HELD =
  'a TLP 2.0 marking definition: every collection holds the OASIS definition already; not stored again'

/** One object's outcome in a status resource (`status-details`). */
export interface StatusDetail {
  readonly id: string
  readonly version: string
  readonly message?: string
}

/**
 * An item of a POSTed envelope as the route lets it through: a JSON object with a STIX identifier
 * (its other properties are checked in the background, one object at a time).
 */
export interface TaxiiEnvelopeItem {
  readonly id: string
  readonly [property: string]: unknown
}

/** A status resource with its outcomes, as the presenter shows it. */
export interface TaxiiStatus {
  readonly row: TaxiiStatusRow
  readonly successes: StatusDetail[]
  readonly failures: StatusDetail[]
  readonly pendings: StatusDetail[]
}

/** Options of a {@link TaxiiIngestQueue}. */
export interface TaxiiIngestQueueOptions {
  /** Names the queue in the claims it holds (default: host name, process id and a random suffix). */
  readonly owner?: string
  /**
   * Accept POSTs (durably, claimed) but store nothing, resume nothing: a process that stops right
   * after its 202s. For tests of resumption.
   */
  readonly paused?: boolean
}

/** A four-eyes POST once stored as one import: what its release needs, kept with the payload. */
interface HeldImport {
  readonly summary: Pick<ImportSummary, 'importId' | 'created' | 'updated' | 'unchanged' | 'rejected'>
  readonly label: SharingLabel
  readonly held: SharingLabel
}

/** Where a job stands: which status, which objects, how far (objects done, parts recorded). */
interface Progress {
  readonly statusId: string
  readonly objects: readonly unknown[]
  /**
   * The id and version the status reports for each object, in envelope order: fixed at acceptance
   * (`object_keys`), so that an object reads the same pending, succeeded or failed.
   */
  readonly keys: readonly StatusDetail[]
  /** Index of the next object to process. */
  next: number
  /** Number of the next part to record. */
  part: number
}

interface Job extends Progress {
  readonly collection: TaxiiCollection
  readonly importer: Importer
  readonly source: string
  /** Jobs of one key share parts: same collection and label asked for, same account. */
  readonly key: string
  label: { label: SharingLabel; held: SharingLabel | null } | null
  /** Set once a four-eyes POST is stored (in this process or one before it). */
  heldImport: HeldImport | null
  /** The peer the poster's organisation stands for, as provenance (null: none); looked up once. */
  provenance?: { fallback: Provenance; peerId: string } | null
}

/**
 * Provenance of objects POSTed by an organisation that stands for no peer: what they carry is kept
 * as the poster's word (a Liaison instance pushing here before a peer is set up for it on this side
 * still tells its route, which the loop rules need); without any, they were made here.
 */
const TAXII_POSTER = { fallback: null, peerId: null } as const

/** Which jobs may share a part: the same account posting into the same collection, under one label. */
function jobKey(collection: TaxiiCollection, importer: Importer): string {
  return JSON.stringify([
    collection.id,
    collection.postLabel,
    importer.orgId,
    importer.userId,
    [...importer.groupIds].sort(),
  ])
}

/** A valid object of a part, with the id and version its status reports. */
interface Checked {
  readonly object: StixObject
  readonly key: StatusDetail
}

/** A job's share of a part: its objects from `start` to `next`. */
interface Slice {
  readonly job: Job
  readonly start: number
  readonly next: number
  readonly valid: Checked[]
  readonly failures: StatusDetail[]
  /** Successes that store nothing: TLP 2.0 marking definitions, which every collection holds. */
  readonly known: StatusDetail[]
}

/** Thrown inside a part's transaction when another process has taken the status over: roll back, drop it. */
class ClaimLost extends Error {
  constructor(readonly statusId: string) {
    super(`TAXII status ${statusId} is claimed by another process`)
  }
}

/**
 * The id and version a status reports for an item of an envelope, once, when it is accepted at `at`:
 * its `modified`, else its `created`, else (an SCO has neither) the time of acceptance.
 */
function keyOf(item: TaxiiEnvelopeItem, at: string): StatusDetail {
  const version =
    typeof item.modified === 'string'
      ? item.modified
      : typeof item.created === 'string'
        ? item.created
        : toTaxiiTimestamp(at)
  return { id: item.id, version }
}

/** The `[id, version]` of every item of a pending status, in envelope order (none once complete). */
function objectKeysOf(row: TaxiiStatusRow): [string, string][] {
  // Written by this module only (accept), from the keys of the items.
  return row.status === 'pending' ? (JSON.parse(row.object_keys) as [string, string][]) : []
}

function detailOf([id, version]: [string, string]): StatusDetail {
  return { id, version }
}

function reasonOf(error: unknown): string {
  return error instanceof LiaisonError
    ? error.message
    : 'the store refused it (the error is in the server log)'
}

/** Another process held the store's write lock longer than a write waits (SQLite): try again later. */
function isStoreBusy(error: unknown): boolean {
  return error instanceof LiaisonError && error.code === 'store_busy'
}

/** A unique constraint refused a write (SQLite or PostgreSQL). */
function isUniqueViolation(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
}

/**
 * Stores POSTed objects in the background, part by part, and records each object's outcome in its
 * status resource. Jobs take turns part by part, so a large POST neither blocks other requests (each
 * part is one short transaction, and the event loop is let go between parts) nor other POSTs.
 *
 * Nothing acknowledged is lost: {@link accept} keeps the objects in the store (`taxii_status_payloads`)
 * in the transaction that creates the status, and each part's objects commit with its outcomes, so
 * the parts recorded say exactly how far a job got. A queue holds a lease on what it works on (its
 * claim, renewed at every part and every {@link TAXII_SWEEP_MS}); {@link start} resumes, at once and
 * then at every sweep, the payloads no process holds: given up by a queue that closed, or claimed
 * longer than {@link TAXII_STALE_MS} ago by a process that stopped. A part recorded by a process
 * that lost its claim rolls back, so several processes on one PostgreSQL never store a part twice.
 */
export class TaxiiIngestQueue {
  private readonly jobs: Job[] = []
  /** The job whose part is being processed (out of {@link jobs} meanwhile). */
  private current: Job | null = null
  private running: Promise<void> | null = null
  private sweeping: Promise<string[]> | null = null
  private timer: NodeJS.Timeout | null = null
  private closed = false
  private queued = 0
  /** When this process last deleted expired statuses. */
  private purgedAt = 0
  /** Names this queue in `claimed_by`. */
  readonly owner: string
  private readonly paused: boolean

  constructor(
    private readonly db: Db,
    private readonly now: () => Date,
    private readonly log: FastifyBaseLogger,
    options: TaxiiIngestQueueOptions = {},
  ) {
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
    this.paused = options.paused ?? false
  }

  /** Objects accepted and not stored yet. */
  get queuedObjects(): number {
    return this.queued
  }

  /** True while this process still works on the status. */
  holds(statusId: string): boolean {
    return this.current?.statusId === statusId || this.jobs.some((j) => j.statusId === statusId)
  }

  /**
   * Accepts the objects of an envelope for a collection: records a pending status resource and the
   * objects, in one transaction (from then on they survive a restart), and queues the work. The
   * caller has checked the envelope and the caller's right to write. The id and version the status
   * reports for each object are fixed here, for good.
   */
  async accept(
    principal: UserPrincipal,
    importer: Importer,
    collection: TaxiiCollection,
    objects: readonly TaxiiEnvelopeItem[],
    apiRoot: string,
  ): Promise<TaxiiStatus> {
    if (this.closed || this.queued + objects.length > TAXII_QUEUE_LIMIT) {
      throw new LiaisonError(
        429,
        'rate_limited',
        `${this.queued} objects are waiting to be stored; POST again in a while`,
        { retryAfterSeconds: 10 },
      )
    }
    const now = this.now()
    const at = now.toISOString()
    if (now.getTime() - this.purgedAt > 10 * 60_000) {
      this.purgedAt = now.getTime()
      await deleteStatusesBefore(this.db, new Date(now.getTime() - TAXII_STATUS_RETENTION_MS).toISOString())
    }
    const keys = objects.map((o) => keyOf(o, at))
    const row: TaxiiStatusRow = {
      id: randomUUID(),
      api_root: apiRoot,
      collection_id: collection.id,
      user_id: principal.userId,
      org_id: principal.orgId,
      status: 'pending',
      request_timestamp: toTaxiiTimestamp(at),
      total_count: objects.length,
      success_count: 0,
      failure_count: 0,
      pending_count: objects.length,
      object_keys: JSON.stringify(keys.map((k) => [k.id, k.version])),
      created_at: at,
      updated_at: at,
    }
    await insertStatusWithPayload(this.db, row, {
      status_id: row.id,
      objects: JSON.stringify(objects),
      held_import: null,
      claimed_by: this.owner,
      claimed_at: at,
      created_at: at,
    })
    if (this.closed) {
      // Closed while the status was written: leave it to the next process at once.
      await releaseClaims(this.db, this.owner)
      return { row, successes: [], failures: [], pendings: keys }
    }
    this.jobs.push({
      statusId: row.id,
      collection,
      importer,
      objects,
      keys,
      source: `taxii:${collection.alias}`,
      key: jobKey(collection, importer),
      next: 0,
      part: 0,
      label: null,
      heldImport: null,
    })
    this.queued += objects.length
    this.kick()
    return { row, successes: [], failures: [], pendings: keys }
  }

  /**
   * Resumes the unfinished POSTs no process holds, now and every {@link TAXII_SWEEP_MS} (renewing
   * this queue's own claims on the way). Returns at once; the work runs in the background.
   */
  start(): void {
    if (this.paused || this.closed || this.timer !== null) {
      return
    }
    this.timer = setInterval(() => void this.resume(), TAXII_SWEEP_MS)
    this.timer.unref()
    void this.resume()
  }

  /**
   * One sweep: renews this queue's claims, then claims the payloads no process holds (as many as
   * {@link TAXII_QUEUE_LIMIT} allows) and queues them from where their status stands. Returns the
   * ids of the statuses it claimed; never throws (failures are logged, the next sweep tries again).
   */
  async resume(): Promise<string[]> {
    if (this.paused || this.closed) {
      return []
    }
    if (this.sweeping === null) {
      this.sweeping = this.sweep()
        .catch((error: unknown) => {
          this.log.error({ err: error }, 'resuming TAXII POSTs failed')
          return []
        })
        .finally(() => {
          this.sweeping = null
        })
    }
    return this.sweeping
  }

  /** Stops taking work, waits for the part in progress, and gives up the claims on what is left. */
  async close(): Promise<void> {
    this.closed = true
    if (this.timer !== null) {
      clearInterval(this.timer)
      this.timer = null
    }
    await this.sweeping
    await this.running
    this.jobs.length = 0
    this.queued = 0
    // Another process (or this one restarted) takes the work over at once rather than after the lease.
    await releaseClaims(this.db, this.owner).catch((error: unknown) => {
      this.log.error({ err: error }, 'giving up TAXII claims failed; they expire after the lease')
    })
  }

  private async sweep(): Promise<string[]> {
    const now = this.now()
    const at = now.toISOString()
    const staleBefore = new Date(now.getTime() - TAXII_STALE_MS).toISOString()
    const held = [...(this.current === null ? [] : [this.current]), ...this.jobs].map((j) => j.statusId)
    await renewClaims(this.db, this.owner, held, at)
    const claimed: string[] = []
    for (const candidate of await findClaimablePayloads(this.db, staleBefore, 1000)) {
      if (this.closed) {
        break
      }
      // Beyond the limit the rest waits for the next sweep (or another node); one job always fits.
      if (this.queued > 0 && this.queued + candidate.pending_count > TAXII_QUEUE_LIMIT) {
        break
      }
      if (this.holds(candidate.status_id)) {
        continue
      }
      if (!(await claimPayload(this.db, candidate.status_id, this.owner, at, staleBefore))) {
        continue
      }
      claimed.push(candidate.status_id)
      try {
        await this.rebuild(candidate.status_id, now)
      } catch (error) {
        // Left claimed: tried again once the lease expires, rather than at every sweep.
        this.log.error({ err: error, statusId: candidate.status_id }, 'resuming a TAXII POST failed')
      }
    }
    this.kick()
    return claimed
  }

  /**
   * Queues a claimed status again from where its recorded parts leave it. Who posted and where to
   * are read again from the store: a poster since disabled, moved or demoted, or a collection they
   * no longer reach, fails what is left.
   */
  private async rebuild(statusId: string, now: Date): Promise<void> {
    const status = await findStatusById(this.db, statusId)
    const payload = await findPayload(this.db, statusId)
    if (status === undefined || payload === undefined || status.status !== 'pending') {
      return
    }
    const parsed: unknown = JSON.parse(payload.objects)
    if (!Array.isArray(parsed) || parsed.length !== status.total_count) {
      throw new Error(`TAXII status ${statusId}: its payload does not match its count of objects`)
    }
    const objects: readonly unknown[] = parsed
    // The keys fixed at acceptance (by whichever process accepted it), never computed again.
    const keys = objectKeysOf(status)
    if (keys.length !== status.total_count) {
      throw new Error(`TAXII status ${statusId}: its object keys do not match its count of objects`)
    }
    const progress: Progress = {
      statusId,
      objects,
      keys: keys.map(detailOf),
      next: status.total_count - status.pending_count,
      part: await countStatusParts(this.db, statusId),
    }
    let poster: { collection: TaxiiCollection; importer: Importer }
    try {
      poster = await this.posterOf(status, now)
    } catch (error) {
      await this.failRest(progress, `not stored: ${reasonOf(error)}`)
      return
    }
    this.queued += objects.length - progress.next
    this.jobs.push({
      ...progress,
      ...poster,
      source: `taxii:${poster.collection.alias}`,
      key: jobKey(poster.collection, poster.importer),
      label: null,
      // Written by this module only (recordHeldImport), from a HeldImport.
      heldImport: payload.held_import === null ? null : (JSON.parse(payload.held_import) as HeldImport),
    })
  }

  /** The importer and collection of a status, as the store has them now. */
  private async posterOf(
    status: TaxiiStatusRow,
    now: Date,
  ): Promise<{ collection: TaxiiCollection; importer: Importer }> {
    const user = await findUserById(this.db, status.user_id)
    const org = user === undefined ? undefined : await findOrganisationById(this.db, user.org_id)
    if (user === undefined || org === undefined || user.disabled === 1 || user.org_id !== status.org_id) {
      throw forbidden('the account that posted it is disabled, removed or in another organisation now')
    }
    const principal = principalOf(
      user,
      org,
      'apikey',
      await findGroupIdsOfOrg(this.db, org.id),
      await isPeerOrganisation(this.db, org.id),
    )
    const collection = await getCollection(
      this.db,
      principal,
      status.api_root,
      status.collection_id,
      now,
    ).catch((error: unknown) => {
      // Gone, or a sharing group the organisation has left since.
      throw error instanceof LiaisonError && error.status === 404
        ? forbidden(`your organisation may no longer add objects to collection ${status.collection_id}`)
        : error
    })
    if (!collection.canWrite) {
      throw forbidden(`your role may no longer add objects to collection ${collection.id}`)
    }
    return { collection, importer: importerOf(principal) }
  }

  private kick(): void {
    if (this.running !== null || this.closed || this.paused) {
      return
    }
    this.running = this.loop().finally(() => {
      this.running = null
      if (this.jobs.length > 0) {
        this.kick()
      }
    })
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      const job = this.jobs.shift()
      if (job === undefined) {
        return
      }
      this.current = job
      const before = job.next
      let done = true
      try {
        done = await this.step(job)
      } catch (error) {
        if (error instanceof ClaimLost) {
          this.log.warn({ statusId: job.statusId }, 'TAXII POST taken over by another process')
        } else if (isStoreBusy(error)) {
          // Nothing of the part was stored: it waits its turn again (the objects are kept).
          this.log.warn({ statusId: job.statusId }, 'TAXII POST waits: another process holds the store')
          done = false
        } else {
          this.log.error({ err: error, statusId: job.statusId }, 'TAXII POST processing failed')
          await this.failRest(job, 'not stored: internal error (it has been logged)').catch(
            (failed: unknown) => {
              this.log.error({ err: failed, statusId: job.statusId }, 'TAXII POST left pending')
            },
          )
        }
      }
      this.current = null
      if (done) {
        // Recorded, failed or taken over: none of it waits here any more.
        this.queued -= job.objects.length - before
      } else {
        this.queued -= job.next - before
        this.jobs.push(job)
      }
      // Let queued requests (and their queries) run before the next part.
      await turn()
    }
  }

  private request(job: Job): ImportRequest {
    const l = job.collection.postLabel
    return {
      format: 'stix',
      label: { tlp: l.tlp, pap: l.pap, audience: l.audience, sharingGroups: [...l.sharingGroups] },
      skipInvalid: true,
      source: job.source,
    }
  }

  /**
   * Processes one part: the job's next objects and, when it has fewer left than a part holds, those
   * of the jobs queued behind it with the same key (`alone`: the job's own only). True when the job
   * is done; the jobs that shared the part are moved on (and out of the queue when done) here.
   */
  private async step(job: Job, alone = false): Promise<boolean> {
    if (job.heldImport !== null) {
      // Stored under its four-eyes label before the process stopped: finish that import.
      await this.storeHeld(job, job.heldImport.label, job.heldImport.held)
      return true
    }
    if (job.label === null) {
      try {
        job.label = await importLabel(this.db, job.importer, this.request(job), {
          contentTlp: null,
          audienceHint: null,
          anyRed: false,
        })
      } catch (error) {
        await this.failRest(job, `not stored: ${reasonOf(error)}`)
        return true
      }
    }
    if (job.label.held !== null) {
      await this.storeHeld(job, job.label.label, job.label.held)
      return true
    }
    const label = job.label.label
    // Posted by a peer's TAXII client: received from that peer (the jobs sharing a part share the
    // poster's organisation).
    const provenance = await this.provenanceOf(job)
    const now = this.now()
    const at = now.toISOString()
    const slices = await this.slicesOf(job, alone)
    const valid = slices.flatMap((s) => s.valid)
    const recordAll = async (trx: Trx, stored: boolean) => {
      for (const slice of slices) {
        const successes = [
          ...(stored ? slice.valid.map((v) => this.success(v, label, slice.job.importer.userId)) : []),
          ...slice.known,
        ]
        await this.record(trx, slice.job, successes, slice.failures, slice.next, at)
      }
    }
    if (valid.length > 0) {
      try {
        // The part's outcomes commit with its objects: a restart resumes after the last part
        // recorded, never storing or listing an object twice.
        await storeStixObjects(
          this.db,
          {
            ...importContext(job.importer, this.request(job), 'stix', label),
            provenance: provenance ?? TAXII_POSTER,
            batchSize: TAXII_STORE_BATCH,
            inTransaction: (trx) => recordAll(trx, true),
          },
          valid.map((v) => v.object),
          {
            problems: [],
            upgradedFrom20: false,
            rejectedCount: slices.reduce((n, s) => n + s.failures.length, 0),
          },
          now,
        )
        return this.moveOn(slices)
      } catch (error) {
        if (error instanceof ClaimLost && error.statusId !== job.statusId) {
          // Another process took a job that shared the part over: nothing was stored, go on without it.
          this.drop(error.statusId)
          this.log.warn({ statusId: error.statusId }, 'TAXII POST taken over by another process')
          return this.step(job, alone)
        }
        if (error instanceof ClaimLost || isStoreBusy(error)) {
          throw error
        }
        if (slices.length > 1) {
          // Nothing was stored: the job's own objects alone, so one POST's trouble fails no other.
          this.log.warn({ err: error, statusId: job.statusId }, 'TAXII POSTs not stored together; one by one')
          return this.step(job, true)
        }
        this.log.error({ err: error, statusId: job.statusId }, 'TAXII POST part not stored')
        const reason = `not stored: ${reasonOf(error)}`
        slices[0]!.failures.push(...valid.map((v) => ({ ...v.key, message: reason })))
        slices[0]!.valid.length = 0
      }
    }
    await this.db.transaction().execute((trx) => recordAll(trx, false))
    return this.moveOn(slices)
  }

  /**
   * The slices of a part that begins with `job`'s next objects, each checked ({@link TAXII_STORE_BATCH}
   * objects between two turns of the event loop).
   */
  private async slicesOf(job: Job, alone: boolean): Promise<Slice[]> {
    const chosen: { member: Job; start: number; items: readonly unknown[] }[] = []
    let room = TAXII_INGEST_PART
    for (const member of alone ? [job] : [job, ...this.jobs.filter((j) => j.key === job.key)]) {
      if (room === 0) {
        break
      }
      if (member !== job && (member.heldImport !== null || member.label?.held)) {
        continue
      }
      const start = member.next
      const items = member.objects.slice(start, start + room)
      if (member !== job && items.length === 0) {
        continue
      }
      room -= items.length
      chosen.push({ member, start, items })
    }
    const slices: Slice[] = []
    for (const { member, start, items } of chosen) {
      const valid: Checked[] = []
      const failures: StatusDetail[] = []
      const known: StatusDetail[] = []
      for (let i = 0; i < items.length; i += TAXII_STORE_BATCH) {
        if (i > 0 || slices.length > 0) {
          await turn()
        }
        const checked = this.check(member, start + i, start + Math.min(i + TAXII_STORE_BATCH, items.length))
        valid.push(...checked.valid)
        failures.push(...checked.failures)
        known.push(...checked.known)
      }
      slices.push({ job: member, start, next: start + items.length, valid, failures, known })
    }
    return slices
  }

  /**
   * Moves the jobs of a part recorded past it: the first one is the loop's (true when it is done);
   * the others leave the queue once done.
   */
  private moveOn(slices: readonly Slice[]): boolean {
    for (const slice of slices) {
      this.advance(slice.job, slice.next)
    }
    for (const slice of slices.slice(1)) {
      this.queued -= slice.next - slice.start
      const index = this.jobs.indexOf(slice.job)
      if (slice.job.next >= slice.job.objects.length && index >= 0) {
        this.jobs.splice(index, 1)
      }
    }
    const first = slices[0]!.job
    return first.next >= first.objects.length
  }

  /** Forgets a queued job another process has taken over. */
  private drop(statusId: string): void {
    const index = this.jobs.findIndex((j) => j.statusId === statusId)
    if (index >= 0) {
      const [gone] = this.jobs.splice(index, 1)
      this.queued -= gone!.objects.length - gone!.next
    }
  }

  /**
   * The organisation's four-eyes release holds what it shares beyond itself: the whole POST is then
   * one import (one release for a second member to approve), stored in one transaction. The import
   * is noted with the payload in that transaction, so a restart before the status is recorded asks
   * for the release of what is stored instead of storing it again (which would find it unchanged and
   * ask for no release).
   */
  /** Posted by a peer's TAXII client: received from that peer (null: from this instance). */
  private async provenanceOf(job: Job): Promise<{ fallback: Provenance; peerId: string } | null> {
    if (job.provenance === undefined) {
      job.provenance = (await peerProvenanceOf(this.db, job.importer.orgId)) ?? null
    }
    return job.provenance
  }

  private async storeHeld(job: Job, label: SharingLabel, held: SharingLabel): Promise<void> {
    const provenance = await this.provenanceOf(job)
    const now = this.now()
    const at = now.toISOString()
    const valid: Checked[] = []
    const failures: StatusDetail[] = []
    const known: StatusDetail[] = []
    for (let start = job.next; start < job.objects.length; start += TAXII_INGEST_PART) {
      const part = this.check(job, start, Math.min(start + TAXII_INGEST_PART, job.objects.length))
      valid.push(...part.valid)
      failures.push(...part.failures)
      known.push(...part.known)
      await turn()
    }
    let successes: StatusDetail[] = []
    if (valid.length > 0) {
      try {
        const request = this.request(job)
        const resumed = job.heldImport !== null
        let stored = job.heldImport
        if (stored === null) {
          const summary = await storeStixObjects(
            this.db,
            {
              ...importContext(job.importer, request, 'stix', held),
              provenance: provenance ?? TAXII_POSTER,
              inTransaction: async (trx, done) => {
                const note: HeldImport = {
                  summary: {
                    importId: done.importId,
                    created: done.created,
                    updated: done.updated,
                    unchanged: done.unchanged,
                    rejected: done.rejected,
                  },
                  label,
                  held,
                }
                if (!(await recordHeldImport(trx, job.statusId, this.owner, JSON.stringify(note), at))) {
                  throw new ClaimLost(job.statusId)
                }
              },
            },
            valid.map((v) => v.object),
            { problems: [], upgradedFrom20: false, rejectedCount: failures.length },
            now,
          )
          stored = { summary, label, held }
          job.heldImport = stored
        }
        let message: string | undefined
        try {
          const result = await finishImport(
            this.db,
            job.importer,
            request,
            {
              summary: { ...stored.summary, problems: [], upgradedFrom20: false },
              label: stored.label,
              held: stored.held,
              hits: { total: 0, items: [] },
            },
            now,
          )
          message =
            result.release === null
              ? undefined
              : `held for your organisation only until a second member approves release ${result.release.id} (four-eyes release)`
        } catch (error) {
          // Resumed after the release was recorded but before the status was: the release exists
          // (one per import), only its id is not at hand.
          if (!resumed || !isUniqueViolation(error)) {
            throw error
          }
          message =
            'held for your organisation only until a second member approves its release (four-eyes release)'
        }
        successes = valid.map((v) => ({ ...v.key, ...(message === undefined ? {} : { message }) }))
      } catch (error) {
        if (error instanceof ClaimLost) {
          throw error
        }
        this.log.error({ err: error, statusId: job.statusId }, 'TAXII POST not stored')
        const reason = `not stored: ${reasonOf(error)}`
        failures.push(...valid.map((v) => ({ ...v.key, message: reason })))
      }
    }
    const next = job.objects.length
    await this.db
      .transaction()
      .execute((trx) => this.record(trx, job, [...successes, ...known], failures, next, at))
    this.advance(job, next)
  }

  private async failRest(job: Progress, message: string): Promise<void> {
    const now = this.now()
    const at = now.toISOString()
    const failures = job.keys.slice(job.next).map((key) => ({ ...key, message }))
    const next = job.objects.length
    await this.db.transaction().execute((trx) => this.record(trx, job, [], failures, next, at))
    this.advance(job, next)
  }

  /** Records a part (in the transaction given) that takes the job to `next`; ClaimLost when not ours. */
  private async record(
    trx: Trx,
    job: Progress,
    successes: StatusDetail[],
    failures: StatusDetail[],
    next: number,
    at: string,
  ): Promise<void> {
    const recorded = await recordStatusPart(
      trx,
      {
        status_id: job.statusId,
        part: job.part,
        successes: JSON.stringify(successes),
        failures: JSON.stringify(failures),
      },
      {
        successes: successes.length,
        failures: failures.length,
        pending: job.objects.length - next,
        at,
      },
      this.owner,
    )
    if (!recorded) {
      throw new ClaimLost(job.statusId)
    }
  }

  /** Moves a job past a part once it is recorded. */
  private advance(job: Progress, next: number): void {
    job.next = next
    job.part += 1
  }

  /**
   * Validates one part (STIX 2.1 only: a TAXII 2.1 envelope carries 2.1 content). A valid TLP 2.0
   * marking definition is `known`: every collection holds the OASIS definition already
   * (`tlp2Members`), so it is a success that stores nothing (a copy would be listed nowhere, and
   * would travel on to peers as an object of the poster's).
   */
  private check(
    job: Progress,
    start: number,
    end: number,
  ): { valid: Checked[]; failures: StatusDetail[]; known: StatusDetail[] } {
    if (end <= start) {
      return { valid: [], failures: [], known: [] }
    }
    const items = job.objects.slice(start, end)
    const keyAt = (index: number): StatusDetail => {
      const key = job.keys[index]
      if (key === undefined) {
        throw new Error(`TAXII status ${job.statusId}: no key for object ${index}`)
      }
      return key
    }
    const result = validateStixContent(items, {
      ...IMPORT_CHECKS,
      version: '2.1',
      firstIndex: start,
    })
    const problems = new Map<number, string[]>()
    for (const problem of result.problems) {
      const list = problems.get(problem.index) ?? []
      list.push(problem.message)
      problems.set(problem.index, list)
    }
    const failures: StatusDetail[] = []
    for (const [index, messages] of problems) {
      const more = messages.length > 3 ? ` (and ${messages.length - 3} more)` : ''
      failures.push({ ...keyAt(index), message: messages.slice(0, 3).join('; ') + more })
    }
    const valid: Checked[] = []
    const known: StatusDetail[] = []
    for (const entry of result.objects) {
      if (problems.has(entry.index)) {
        continue
      }
      if (isTlp2DefinitionId(entry.object.id)) {
        known.push({ ...keyAt(entry.index), message: TLP2_DEFINITION_HELD })
        continue
      }
      valid.push({ object: entry.object, key: keyAt(entry.index) })
    }
    return { valid, failures, known }
  }

  /** A stored object's outcome; the message says when its own marking took it out of the collection. */
  private success({ object, key }: Checked, label: SharingLabel, userId: string): StatusDetail {
    const tlp = tlpOfObject(object)
    if (tlp === null) {
      return key
    }
    const stored = tightenToTlp(label, tlp, userId)
    if (stored.audience === label.audience) {
      return key
    }
    return {
      ...key,
      message: `stored under its own TLP:${tlp.toUpperCase()} marking, stricter than this collection allows: for your organisation${stored.tlp === 'red' ? ' and its named recipients' : ''} only, not in this collection`,
    }
  }
}

/**
 * A status resource the caller posted (no one else's: another's, an unknown and an expired id are
 * all 404). A pending status whose objects are kept is always reported pending: some process will
 * resume it. One without them (accepted before POSTs were kept) still pending long after its last
 * progress was interrupted: it reads as complete, its pending objects as failures to POST again.
 */
export async function readStatus(
  db: Db,
  principal: UserPrincipal,
  apiRoot: string,
  statusId: string,
  queue: TaxiiIngestQueue,
  now: Date,
): Promise<TaxiiStatus> {
  const row = await findStatusById(db, statusId)
  if (row === undefined || row.user_id !== principal.userId || row.api_root !== apiRoot) {
    throw notFound('status', statusId)
  }
  const parts = await findStatusParts(db, statusId)
  const successes = parts.flatMap((p) => JSON.parse(p.successes) as StatusDetail[])
  const failures = parts.flatMap((p) => JSON.parse(p.failures) as StatusDetail[])
  const keys = objectKeysOf(row)
  const pendings = keys.slice(keys.length - row.pending_count).map(detailOf)
  const stale =
    row.status === 'pending' &&
    !queue.holds(statusId) &&
    now.getTime() - Date.parse(row.updated_at) > TAXII_STALE_MS &&
    !(await hasPayload(db, statusId))
  if (!stale) {
    return { row, successes, failures, pendings }
  }
  const message = 'processing was interrupted (the server stopped); POST this object again'
  return {
    row: {
      ...row,
      status: 'complete',
      failure_count: row.failure_count + pendings.length,
      pending_count: 0,
    },
    successes,
    failures: [...failures, ...pendings.map((p) => ({ ...p, message }))],
    pendings: [],
  }
}
