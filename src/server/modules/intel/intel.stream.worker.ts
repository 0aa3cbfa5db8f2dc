// A worker thread of a large file's import (intel.stream.ts): reads the file, checks each part (in one
// pass; in two, the importing thread has checked the file already), prepares the valid objects to
// store (JSON, TLP, name, index rows: intel.prepare.ts) and sends them part by part, while the
// importing thread stores the parts it has. At most PARTS_AHEAD parts wait there: the importing
// thread sends `more` for each part it takes.
import { parentPort, workerData } from 'node:worker_threads'
import type { StixObject } from '../../../core/stix/stix.js'
import { BundleFileCheck, readBundleParts } from './intel.bundle-file.js'
import { failedMessage, PartCredit } from './intel.parts.js'
import {
  encodeObservablesOf,
  encodePrepared,
  prepareVersion,
  warninglistObservablesOf,
  type PrepareJob,
  type PrepareMessage,
} from './intel.prepare.js'

const port = parentPort
if (port === null) {
  throw new Error('intel.stream.worker runs as a worker thread')
}
const job = workerData as PrepareJob
const rejected = new Set(job.rejected)
const credit = new PartCredit()
port.on('message', () => credit.more())
const send = (message: PrepareMessage): void => port.postMessage(message)

try {
  const check = job.check === null ? null : new BundleFileCheck()
  let bytes = 0
  const parts = readBundleParts(job.file, (read) => (bytes = read))
  let count = 0
  let next = await parts.next()
  // Past the count checked, the file has changed: the importing thread says so at the first part.
  while (next.done !== true && (job.count === null || count <= job.count)) {
    const { start, objects } = next.value
    count += objects.length
    let valid: StixObject[]
    if (check === null) {
      valid = objects.filter((_, i) => !rejected.has(start + i)) as StixObject[]
    } else {
      const accepted = check.part(start, objects)
      // A strict import with a problem stores nothing: the check goes on, to report every problem.
      valid = job.check?.skipInvalid === true || check.rejected.size === 0 ? accepted : []
    }
    const prepared = valid.map((object) => prepareVersion(object, true))
    const matching =
      job.check?.matching === true
        ? encodeObservablesOf(valid.flatMap((o) => warninglistObservablesOf(o)))
        : []
    await credit.take()
    send({ kind: 'part', fields: encodePrepared(prepared), count, bytes, matching })
    next = await parts.next()
  }
  // What the file held, for the importing thread to compare with what it checked.
  const header = next.done === true ? next.value : {}
  send({ kind: 'done', count, bundle: header !== null, findings: check?.finish(header) ?? null })
} catch (error) {
  send(failedMessage(error))
} finally {
  // Nothing more to wait for: the thread ends once its messages are out (or when terminated).
  port.unref()
}
