import { stat } from 'node:fs/promises'
import type { StixObject } from '../../../core/stix/stix.js'
import { stixVersionEvidence, validateStixContent } from '../../../core/stix/validate.js'
import { Tlp } from '../../../core/trust/label.js'
import { badInput, LiaisonError } from '../../errors.js'
import { startModuleThread } from '../../threads.js'
import type { Db } from '../../store/store.js'
import { importRefusal, storeStixObjects, type ImportProblem } from './intel.import.js'
import { readBundleParts } from './intel.bundle-file.js'
import {
  decodePrepared,
  IMPORT_CHECKS,
  tlpOfObject,
  type PreparedVersion,
  type PrepareJob,
  type PrepareMessage,
} from './intel.prepare.js'
import {
  finishImport,
  importContext,
  importLabel,
  openWarninglistHits,
  type ImportRequest,
  type ImportResult,
  type Importer,
} from './intel.service.js'

/** Files smaller than this are read whole (fast, and every shape of content is accepted). */
export const STREAM_THRESHOLD_BYTES = 32 * 1024 * 1024
/** Problems kept in full; beyond this only counted. */
const PROBLEMS_KEPT = 1000

/** True when a file is large enough to be imported piece by piece. */
export async function isLargeFile(file: string): Promise<boolean> {
  return (await stat(file)).size >= STREAM_THRESHOLD_BYTES
}

/**
 * The valid objects of a checked bundle file, prepared to store on a worker thread
 * (intel.stream.worker.ts) part by part, ahead of the store: while this thread stores a part, the
 * worker reads, parses and prepares the next ones. The worker ends when the parts do, or when the
 * store stops taking them (a failure, which rolls the import back).
 */
async function* preparedParts(job: PrepareJob): AsyncGenerator<{ readonly prepared: PreparedVersion[] }> {
  const worker = startModuleThread(new URL('./intel.stream.worker.js', import.meta.url), job)
  const arrived: PrepareMessage[] = []
  // What the thread's events tell (in an object: the loop below reads what the callbacks set).
  const thread: { failure: Error | null; ended: boolean } = { failure: null, ended: false }
  let wake: (() => void) | null = null
  worker.on('message', (message: PrepareMessage) => {
    arrived.push(message)
    wake?.()
  })
  worker.on('error', (error) => {
    thread.failure = error
    wake?.()
  })
  worker.on('exit', () => {
    thread.ended = true
    wake?.()
  })
  try {
    for (;;) {
      const message = arrived.shift()
      if (message === undefined) {
        if (thread.failure !== null) {
          throw thread.failure
        }
        if (thread.ended) {
          throw new Error(`the thread preparing ${job.file} stopped before its end`)
        }
        await new Promise<void>((resolve) => (wake = resolve))
        wake = null
        continue
      }
      if (message.kind === 'failed') {
        // As the worker threw it: a file that no longer parses is bad input, as in the check.
        throw message.error === null
          ? new Error(`preparing ${job.file}: ${message.message}`)
          : new LiaisonError(message.error.status, message.error.code, message.message, message.error.details)
      }
      // The file is read twice: one rewritten in between is refused (the transaction rolls back).
      const changed =
        message.kind === 'done' ? message.count !== job.count || !message.bundle : message.count > job.count
      if (changed) {
        const holds =
          message.kind === 'done' && !message.bundle
            ? 'no STIX bundle'
            : `${message.count}${message.kind === 'part' ? ' or more' : ''} objects`
        throw badInput(
          job.file,
          `the file changed while it was imported: checked with ${job.count} objects, it now holds ${holds}; nothing was imported`,
        )
      }
      if (message.kind === 'done') {
        return
      }
      worker.postMessage('more')
      yield { prepared: decodePrepared(message.fields) }
    }
  } finally {
    await worker.terminate()
  }
}

/**
 * Imports a large STIX 2.1 bundle file without holding it whole: a first pass parses and validates
 * it part by part (every problem reported, the label decided by the strictest marking as for any
 * import), a second pass reads it again and stores the valid objects part by part inside one
 * transaction — atomic as every import. The second pass reads and prepares on a worker thread
 * while this one stores. Returns null when the file is not a STIX 2.1 bundle (STIX
 * 2.0 to upgrade, a single object or a list): the caller then imports it whole.
 */
export async function importStixFile(
  db: Db,
  importer: Importer,
  file: string,
  request: ImportRequest,
  now = new Date(),
): Promise<ImportResult | null> {
  const problems: ImportProblem[] = []
  let problemCount = 0
  const rejected = new Set<number>()
  let count = 0
  let strictest: Tlp | null = null
  let anyRed = false
  let says21 = false
  let says20 = false
  let first: unknown = null
  const hits = await openWarninglistHits(db)
  const size = (await stat(file)).size
  const parts = readBundleParts(file, (bytes) => request.onCheck?.(bytes, size))
  let next = await parts.next()
  while (next.done !== true) {
    const { start, objects } = next.value
    first ??= objects[0] ?? null
    for (const item of objects) {
      const evidence = stixVersionEvidence(item)
      says21 ||= evidence === '2.1'
      says20 ||= evidence === '2.0'
    }
    const result = validateStixContent(objects, {
      ...IMPORT_CHECKS,
      version: '2.1',
      firstIndex: start,
    })
    for (const problem of result.problems) {
      rejected.add(problem.index)
      problemCount += 1
      if (problems.length < PROBLEMS_KEPT) {
        problems.push(problem)
      }
    }
    const accepted: StixObject[] = []
    for (const { index, object } of result.objects) {
      if (rejected.has(index)) {
        continue
      }
      accepted.push(object)
      const tlp = tlpOfObject(object)
      anyRed ||= tlp === 'red'
      if (tlp !== null && (strictest === null || Tlp.rank(tlp) > Tlp.rank(strictest))) {
        strictest = tlp
      }
    }
    // Flagged now, while no transaction holds the store (the second pass stores inside one).
    await hits.add(accepted)
    count += objects.length
    next = await parts.next()
  }
  const header = next.value
  if (header === null) {
    return null
  }
  const is20 = header.spec_version === '2.0' || (header.spec_version !== '2.1' && says20 && !says21)
  if (is20 || count === 0) {
    return null
  }
  // The bundle's own members (type, id, no spec_version in 2.1), checked as a bundle of one object.
  const bundleCheck = validateStixContent(
    { ...header, objects: [first] },
    { ...IMPORT_CHECKS, version: '2.1' },
  )
  const whole = bundleCheck.problems.filter((p) => p.index < 0)
  problems.unshift(...whole)
  problemCount += whole.length
  if (problemCount > 0 && (!request.skipInvalid || whole.length > 0)) {
    throw importRefusal(problems, problemCount)
  }
  const { label, held } = await importLabel(db, importer, request, {
    contentTlp: strictest,
    audienceHint: null,
    anyRed,
  })
  const summary = await storeStixObjects(
    db,
    importContext(importer, request, 'stix', held ?? label),
    { total: count - rejected.size, batches: preparedParts({ file, rejected: [...rejected], count }) },
    { problems, upgradedFrom20: false, rejectedCount: rejected.size },
    now,
  )
  return finishImport(db, importer, request, { summary, label, held, hits: hits.result() }, now)
}
