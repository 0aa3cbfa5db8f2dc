// A worker thread of a large MISP import (intel.misp.thread.ts): reads the content, maps it to STIX and
// checks the result (prepareMisp), sends what the import's label needs of it, then sorts the objects
// into id order over the whole content and prepares them to store (JSON, TLP, name, index rows:
// intel.prepare.ts) part by part, while the importing thread stores the parts it has. At most
// PARTS_AHEAD parts wait there: the importing thread sends `more` for each part it takes.
import { parentPort } from 'node:worker_threads'
import type { StixObject } from '../../../core/stix/stix.js'
import type { StixProblem } from '../../../core/stix/validate.js'
import { LiaisonError } from '../../errors.js'
import {
  checkMappedObjects,
  prepareMisp,
  type MispContentFacts,
  type MispJob,
  type MispMessage,
} from './intel.misp.js'
import {
  encodeObservablesOf,
  encodePrepared,
  prepareVersion,
  strictestTlp,
  tlpOfObject,
  warninglistObservablesOf,
  PARTS_AHEAD,
  type ObservableOf,
} from './intel.prepare.js'
import { uniqueVersionsInIdOrder } from './intel.sort.js'

/** Versions of a part sent to the importing thread: one batch of its store. */
const PART = 5000

const port = parentPort
if (port === null) {
  throw new Error('intel.misp.worker runs as a worker thread')
}
let credit = PARTS_AHEAD
let wake: (() => void) | null = null
// The first message is the job (not `workerData`, which would hold the content to the end); each
// one after it is a `more`.
const holder: { job: MispJob | null } = { job: null }
let started = false
port.on('message', (message: unknown) => {
  if (!started) {
    started = true
    holder.job = message as MispJob
    void run()
    return
  }
  credit += 1
  wake?.()
})
const send = (message: MispMessage): void => port.postMessage(message)

/** The mapped objects, what the label needs of them, and their order to store. */
interface Mapped {
  readonly facts: MispContentFacts
  /** In the mapping's order, each let go (null) once prepared. */
  readonly objects: (StixObject | null)[]
  /** Positions in `objects` of the versions to store, in id order, one per (id, modified). */
  readonly order: number[]
  readonly job: Omit<MispJob, 'content'>
}

/**
 * The content read, mapped and (unless checked part by part) checked, what the label needs of it,
 * and the order of its objects. The content is let go as soon as it is mapped: a mega-event's is
 * hundreds of megabytes.
 */
async function mapped(): Promise<Mapped> {
  const { content, ...job } = holder.job as MispJob
  holder.job = null
  const prepared = await prepareMisp(
    content,
    job.skipInvalid,
    {
      onMap: (done, total) => send({ kind: 'progress', phase: 'map', done, total }),
      onCheck: (done, total) => send({ kind: 'progress', phase: 'check', done, total }),
    },
    !job.checkInParts,
  )
  const objects: StixObject[] = prepared.objects
  // In id order over the whole content, not part by part: inserts then walk the B-trees of every
  // index that begins with an object's id.
  const keyed = await uniqueVersionsInIdOrder(
    objects.map((o, index) => ({ id: o.id, modified: o.modified, index })),
  )
  const facts: MispContentFacts = {
    problems: prepared.problems,
    warnings: prepared.warnings ?? null,
    tlpHint: prepared.tlpHint,
    audienceHint: prepared.audienceHint,
    papHint: prepared.papHint ?? null,
    narrowerAudiences: [...(prepared.narrowerAudiences ?? new Map())],
    strictest: strictestTlp(objects),
    anyRed: objects.some((o) => tlpOfObject(o) === 'red'),
    total: keyed.length,
    // In the content's order, as the import on one thread lists its hits.
    matching:
      job.matching && !job.checkInParts
        ? encodeObservablesOf(objects.flatMap((o) => warninglistObservablesOf(o)))
        : [],
  }
  return { facts, objects, order: keyed.map((k) => k.index), job }
}

async function run(): Promise<void> {
  try {
    const { facts, objects, order, job } = await mapped()
    send({ kind: 'facts', facts })
    const invalid: StixProblem[] = []
    for (let start = 0; start < order.length; start += PART) {
      const indexes = order.slice(start, start + PART)
      let valid = indexes
      if (job.checkInParts) {
        const checked = checkMappedObjects(objects as StixObject[], indexes)
        for (const problem of checked.problems) {
          invalid.push(problem)
        }
        // A strict import with a problem stores nothing more: the check goes on, to report every problem.
        valid =
          !job.skipInvalid && invalid.length > 0 ? [] : indexes.filter((_, i) => !checked.rejected.has(i))
        send({ kind: 'progress', phase: 'check', done: start + indexes.length, total: order.length })
      }
      const part = valid.map((index) => objects[index] as StixObject)
      // Each object let go once prepared: only the parts ahead are held twice.
      for (const index of indexes) {
        objects[index] = null
      }
      if (part.length === 0) {
        continue
      }
      const fields = encodePrepared(part.map((object) => prepareVersion(object, true)))
      const matching: ObservableOf[] = []
      const matchingAt: number[] = []
      if (job.matching && job.checkInParts) {
        part.forEach((object, i) => {
          for (const found of warninglistObservablesOf(object)) {
            matching.push(found)
            matchingAt.push(valid[i] as number)
          }
        })
      }
      while (credit === 0) {
        await new Promise<void>((resolve) => (wake = resolve))
        wake = null
      }
      credit -= 1
      send({
        kind: 'part',
        fields,
        count: start + indexes.length,
        bytes: 0,
        matching: encodeObservablesOf(matching),
        matchingAt,
      })
    }
    if (job.checkInParts) {
      // The versions the order left out (an object repeated later in the content) are checked too,
      // as on one thread; then every problem in the content's order.
      const stored = new Set(order)
      const left = objects.flatMap((_, index) => (stored.has(index) ? [] : [index]))
      for (const problem of checkMappedObjects(objects as StixObject[], left).problems) {
        invalid.push(problem)
      }
      invalid.sort((a, b) => a.index - b.index)
    }
    send({ kind: 'done', invalid })
  } catch (error) {
    send({
      kind: 'failed',
      message: error instanceof Error ? error.message : String(error),
      error:
        error instanceof LiaisonError
          ? { status: error.status, code: error.code, details: error.details }
          : null,
    })
  } finally {
    // Nothing more to wait for: the thread ends once its messages are out (or when terminated).
    port?.unref()
  }
}
