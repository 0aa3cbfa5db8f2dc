// A worker thread of a large MISP import (intel.misp.thread.ts): reads the content, maps it to STIX and
// checks the result (prepareMisp), sends what the import's label needs of it, then sorts the objects
// into id order over the whole content and prepares them to store (JSON, TLP, name, index rows:
// intel.prepare.ts) part by part, while the importing thread stores the parts it has. At most
// PARTS_AHEAD parts wait there: the importing thread sends `more` for each part it takes.
import { parentPort } from 'node:worker_threads'
import type { StixObject } from '../../../core/stix/stix.js'
import { prepareMisp, type MispContentFacts, type MispJob, type MispMessage } from './intel.misp.js'
import {
  encodeObservablesOf,
  encodePrepared,
  prepareVersion,
  strictestTlp,
  tlpOfObject,
  warninglistObservablesOf,
} from './intel.prepare.js'
import { failedMessage, PartCredit } from './intel.parts.js'
import { uniqueVersionsInIdOrder } from './intel.sort.js'

/** Versions of a part sent to the importing thread: one batch of its store. */
const PART = 5000

const port = parentPort
if (port === null) {
  throw new Error('intel.misp.worker runs as a worker thread')
}
const credit = new PartCredit()
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
  credit.more()
})
const send = (message: MispMessage): void => port.postMessage(message)

/**
 * The content read, mapped and checked, and what the label needs of it; then its objects in id order.
 * The content is let go as soon as it is mapped: a mega-event's is hundreds of megabytes.
 */
async function mapped(): Promise<{ facts: MispContentFacts; versions: (StixObject | null)[] }> {
  const job = holder.job as MispJob
  holder.job = null
  const prepared = await prepareMisp(job.content, job.skipInvalid, {
    onMap: (done, total) => send({ kind: 'progress', phase: 'map', done, total }),
    onCheck: (done, total) => send({ kind: 'progress', phase: 'check', done, total }),
  })
  // In id order over the whole content, not part by part: inserts then walk the B-trees of every
  // index that begins with an object's id.
  const versions: (StixObject | null)[] = await uniqueVersionsInIdOrder(prepared.objects)
  const facts: MispContentFacts = {
    problems: prepared.problems,
    warnings: prepared.warnings ?? null,
    tlpHint: prepared.tlpHint,
    audienceHint: prepared.audienceHint,
    papHint: prepared.papHint ?? null,
    narrowerAudiences: [...(prepared.narrowerAudiences ?? new Map())],
    strictest: strictestTlp(prepared.objects),
    anyRed: prepared.objects.some((o) => tlpOfObject(o) === 'red'),
    total: versions.length,
    // In the content's order, as the import on one thread lists its hits.
    matching: job.matching
      ? encodeObservablesOf(prepared.objects.flatMap((o) => warninglistObservablesOf(o)))
      : [],
  }
  return { facts, versions }
}

async function run(): Promise<void> {
  try {
    const { facts, versions } = await mapped()
    send({ kind: 'facts', facts })
    for (let start = 0; start < versions.length; start += PART) {
      const part = versions.slice(start, start + PART) as StixObject[]
      // Each object let go once prepared: only the parts ahead are held twice.
      versions.fill(null, start, start + PART)
      const fields = encodePrepared(part.map((object) => prepareVersion(object, true)))
      await credit.take()
      send({ kind: 'part', fields, count: start + part.length, bytes: 0, matching: [] })
    }
    send({ kind: 'done' })
  } catch (error) {
    send(failedMessage(error))
  } finally {
    // Nothing more to wait for: the thread ends once its messages are out (or when terminated).
    port?.unref()
  }
}
