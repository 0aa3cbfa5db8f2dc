// A worker thread of a large file's import (intel.stream.ts): reads the file again after the check,
// prepares the objects to store (JSON, TLP, name, index rows: intel.prepare.ts) and sends them part by
// part, while the importing thread stores the parts it has. At most PARTS_AHEAD parts wait there:
// the importing thread sends `more` for each part it takes.
import { parentPort, workerData } from 'node:worker_threads'
import type { StixObject } from '../../../core/stix/stix.js'
import { LiaisonError } from '../../errors.js'
import { readBundleParts } from './intel.bundle-file.js'
import {
  encodePrepared,
  prepareVersion,
  PARTS_AHEAD,
  type PrepareJob,
  type PrepareMessage,
} from './intel.prepare.js'

const port = parentPort
if (port === null) {
  throw new Error('intel.stream.worker runs as a worker thread')
}
const job = workerData as PrepareJob
const rejected = new Set(job.rejected)
let credit = PARTS_AHEAD
let wake: (() => void) | null = null
port.on('message', () => {
  credit += 1
  wake?.()
})
const send = (message: PrepareMessage): void => port.postMessage(message)

try {
  const parts = readBundleParts(job.file)
  let count = 0
  let next = await parts.next()
  // Past the count checked, the file has changed: the importing thread says so at the first part.
  while (next.done !== true && count <= job.count) {
    const { start, objects } = next.value
    count += objects.length
    const prepared = []
    for (let i = 0; i < objects.length; i++) {
      if (!rejected.has(start + i)) {
        prepared.push(prepareVersion(objects[i] as StixObject, true))
      }
    }
    while (credit === 0) {
      await new Promise<void>((resolve) => (wake = resolve))
      wake = null
    }
    credit -= 1
    send({ kind: 'part', fields: encodePrepared(prepared), count })
    next = await parts.next()
  }
  // What the file held, for the importing thread to compare with what it checked.
  send({ kind: 'done', count, bundle: next.done !== true || next.value !== null })
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
  port.unref()
}
