import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { UserPrincipal } from '../../../core/account/principal.js'
import type { StixObject } from '../../../core/stix/stix.js'
import { validateStixContent } from '../../../core/stix/validate.js'
import { toTaxiiTimestamp } from '../../../core/taxii/taxii.js'
import { tightenToTlp, type SharingLabel } from '../../../core/trust/label.js'
import { LiaisonError, notFound } from '../../errors.js'
import type { Db } from '../../store/store.js'
import { checkStixPattern, storeStixObjects, tlpOfObject } from '../intel/intel.import.js'
import {
  finishImport,
  importContext,
  importLabel,
  type ImportRequest,
  type Importer,
} from '../intel/intel.service.js'
import {
  deleteStatusesBefore,
  findStatusById,
  findStatusParts,
  insertStatus,
  recordStatusPart,
} from './taxii.repository.js'
import type { TaxiiCollection } from './taxii.service.js'
import type { TaxiiStatusRow } from './taxii.table.js'

/** Objects validated and stored together, in one transaction; other requests run between parts. */
export const TAXII_INGEST_PART = 500
/** Most objects one process holds waiting to be stored; beyond it a POST gets a 429. */
export const TAXII_QUEUE_LIMIT = 2_000_000
/** A status pending this long without progress was interrupted (the process that held it stopped). */
export const TAXII_STALE_MS = 10 * 60_000
/** How long complete statuses stay queryable (the standard asks for at least 24 hours). */
export const TAXII_STATUS_RETENTION_MS = 7 * 24 * 3600_000

/** One object's outcome in a status resource (`status-details`). */
export interface StatusDetail {
  readonly id: string
  readonly version: string
  readonly message?: string
}

/** A status resource with its outcomes, as the presenter shows it. */
export interface TaxiiStatus {
  readonly row: TaxiiStatusRow
  readonly successes: StatusDetail[]
  readonly failures: StatusDetail[]
  readonly pendings: StatusDetail[]
}

interface Job {
  readonly statusId: string
  readonly collection: TaxiiCollection
  readonly importer: Importer
  readonly objects: readonly unknown[]
  readonly source: string
  /** Index of the next object to process. */
  next: number
  part: number
  label: { label: SharingLabel; held: SharingLabel | null } | null
}

/** The id and version a status reports for an item of an envelope (whatever it holds). */
function keyOf(item: unknown, at: string): { id: string; version: string } {
  const object = typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {}
  const id = typeof object.id === 'string' ? object.id : ''
  const version =
    typeof object.modified === 'string'
      ? object.modified
      : typeof object.created === 'string'
        ? object.created
        : toTaxiiTimestamp(at)
  return { id, version }
}

function reasonOf(error: unknown): string {
  return error instanceof LiaisonError
    ? error.message
    : 'the store refused it (the error is in the server log)'
}

/**
 * Stores POSTed objects in the background, part by part, and records each object's outcome in its
 * status resource. Jobs take turns part by part, so a large POST neither blocks other requests (each
 * part is one short transaction, and the event loop is let go between parts) nor other POSTs. One
 * queue per process; what it holds is lost if the process stops (the status then reads as
 * interrupted after {@link TAXII_STALE_MS}).
 */
export class TaxiiIngestQueue {
  private readonly jobs: Job[] = []
  private running: Promise<void> | null = null
  private closed = false
  private queued = 0
  /** When this process last deleted expired statuses. */
  private purgedAt = 0

  constructor(
    private readonly db: Db,
    private readonly now: () => Date,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Objects accepted and not stored yet. */
  get queuedObjects(): number {
    return this.queued
  }

  /** True while this process still works on the status. */
  holds(statusId: string): boolean {
    return this.jobs.some((j) => j.statusId === statusId)
  }

  /**
   * Accepts the objects of an envelope for a collection: records a pending status resource and
   * queues the work. The caller has checked the envelope and the caller's right to write.
   */
  async accept(
    principal: UserPrincipal,
    importer: Importer,
    collection: TaxiiCollection,
    objects: readonly unknown[],
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
    await insertStatus(this.db, row)
    this.jobs.push({
      statusId: row.id,
      collection,
      importer,
      objects,
      source: `taxii:${collection.alias}`,
      next: 0,
      part: 0,
      label: null,
    })
    this.queued += objects.length
    this.kick()
    return { row, successes: [], failures: [], pendings: keys }
  }

  /** Stops taking work and waits for the part in progress. */
  async close(): Promise<void> {
    this.closed = true
    await this.running
  }

  private kick(): void {
    if (this.running !== null || this.closed) {
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
      let done = true
      try {
        done = await this.step(job)
      } catch (error) {
        this.log.error({ err: error, statusId: job.statusId }, 'TAXII POST processing failed')
        await this.failRest(job, 'not stored: internal error (it has been logged)').catch(() => undefined)
      }
      if (done) {
        this.queued -= job.objects.length - Math.min(job.next, job.objects.length)
      } else {
        this.jobs.push(job)
      }
      // Let queued requests (and their queries) run before the next part.
      await new Promise((resolve) => setImmediate(resolve))
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

  /** Processes one part of a job; true when the job is done. */
  private async step(job: Job): Promise<boolean> {
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
    const start = job.next
    const items = job.objects.slice(start, start + TAXII_INGEST_PART)
    const now = this.now()
    const { valid, failures } = this.check(items, start, now.toISOString())
    let successes: StatusDetail[] = []
    if (valid.length > 0) {
      try {
        await storeStixObjects(
          this.db,
          importContext(job.importer, this.request(job), 'stix', label),
          valid,
          { problems: [], upgradedFrom20: false, rejectedCount: failures.length },
          now,
        )
        successes = valid.map((o) => this.success(o, label, job.importer.userId, now.toISOString()))
      } catch (error) {
        this.log.error({ err: error, statusId: job.statusId }, 'TAXII POST part not stored')
        const reason = `not stored: ${reasonOf(error)}`
        failures.push(...valid.map((o) => ({ ...keyOf(o, now.toISOString()), message: reason })))
      }
    }
    job.next = start + items.length
    this.queued -= items.length
    await this.record(job, successes, failures, now)
    return job.next >= job.objects.length
  }

  /**
   * The organisation's four-eyes release holds what it shares beyond itself: the whole POST is then
   * one import (one release for a second member to approve), stored in one transaction.
   */
  private async storeHeld(job: Job, label: SharingLabel, held: SharingLabel): Promise<void> {
    const now = this.now()
    const at = now.toISOString()
    const valid: StixObject[] = []
    const failures: StatusDetail[] = []
    for (let start = job.next; start < job.objects.length; start += TAXII_INGEST_PART) {
      const part = this.check(job.objects.slice(start, start + TAXII_INGEST_PART), start, at)
      valid.push(...part.valid)
      failures.push(...part.failures)
      await new Promise((resolve) => setImmediate(resolve))
    }
    let successes: StatusDetail[] = []
    if (valid.length > 0) {
      try {
        const request = this.request(job)
        const summary = await storeStixObjects(
          this.db,
          importContext(job.importer, request, 'stix', held),
          valid,
          { problems: [], upgradedFrom20: false, rejectedCount: failures.length },
          now,
        )
        const result = await finishImport(
          this.db,
          job.importer,
          request,
          { summary, label, held, hits: { total: 0, items: [] } },
          now,
        )
        const message =
          result.release === null
            ? undefined
            : `held for your organisation only until a second member approves release ${result.release.id} (four-eyes release)`
        successes = valid.map((o) => ({ ...keyOf(o, at), ...(message === undefined ? {} : { message }) }))
      } catch (error) {
        this.log.error({ err: error, statusId: job.statusId }, 'TAXII POST not stored')
        const reason = `not stored: ${reasonOf(error)}`
        failures.push(...valid.map((o) => ({ ...keyOf(o, at), message: reason })))
      }
    }
    this.queued -= job.objects.length - job.next
    job.next = job.objects.length
    await this.record(job, successes, failures, now)
  }

  private async failRest(job: Job, message: string): Promise<void> {
    const now = this.now()
    const at = now.toISOString()
    const failures = job.objects.slice(job.next).map((o) => ({ ...keyOf(o, at), message }))
    this.queued -= job.objects.length - job.next
    job.next = job.objects.length
    await this.record(job, [], failures, now)
  }

  private async record(
    job: Job,
    successes: StatusDetail[],
    failures: StatusDetail[],
    now: Date,
  ): Promise<void> {
    await recordStatusPart(
      this.db,
      {
        status_id: job.statusId,
        part: job.part,
        successes: JSON.stringify(successes),
        failures: JSON.stringify(failures),
      },
      {
        successes: successes.length,
        failures: failures.length,
        pending: job.objects.length - job.next,
        at: now.toISOString(),
      },
    )
    job.part += 1
  }

  /** Validates one part (STIX 2.1 only: a TAXII 2.1 envelope carries 2.1 content). */
  private check(
    items: readonly unknown[],
    start: number,
    at: string,
  ): { valid: StixObject[]; failures: StatusDetail[] } {
    if (items.length === 0) {
      return { valid: [], failures: [] }
    }
    const result = validateStixContent(items, {
      checkPattern: checkStixPattern,
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
      failures.push({ ...keyOf(items[index - start], at), message: messages.slice(0, 3).join('; ') + more })
    }
    const valid = result.objects.filter((e) => !problems.has(e.index)).map((e) => e.object)
    return { valid, failures }
  }

  /** A stored object's outcome; the message says when its own marking took it out of the collection. */
  private success(object: StixObject, label: SharingLabel, userId: string, at: string): StatusDetail {
    const key = keyOf(object, at)
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
 * all 404). A status still pending long after its last progress, that no process here works on, was
 * interrupted: it reads as complete, its pending objects as failures to POST again.
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
  const keys = row.status === 'pending' ? (JSON.parse(row.object_keys) as [string, string][]) : []
  const pendings = keys.slice(keys.length - row.pending_count).map(([id, version]) => ({ id, version }))
  const stale =
    row.status === 'pending' &&
    !queue.holds(statusId) &&
    now.getTime() - Date.parse(row.updated_at) > TAXII_STALE_MS
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
