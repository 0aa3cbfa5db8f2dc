import { stat } from 'node:fs/promises'
import { badInput, type LiaisonError } from '../../errors.js'
import { inboxOf, startModuleThread } from '../../threads.js'
import type { Db } from '../../store/store.js'
import { importRefusal, storeStixObjects, type ImportSummary, type StixBatches } from './intel.import.js'
import { BundleFileCheck, readBundleParts, type BundleFileFindings } from './intel.bundle-file.js'
import {
  decodeObservablesOf,
  type PreparedVersion,
  type PrepareJob,
  type PrepareMessage,
} from './intel.prepare.js'
import { partsOfThread, type PartHooks } from './intel.parts.js'
import {
  assertRedHasRecipient,
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

/** True when a file is large enough to be imported piece by piece. */
export async function isLargeFile(file: string): Promise<boolean> {
  return (await stat(file)).size >= STREAM_THRESHOLD_BYTES
}

/**
 * The objects of a bundle file, prepared to store on a worker thread (intel.stream.worker.ts) part by
 * part: the worker reads, parses, checks (one pass) and prepares them ({@link partsOfThread}). Read
 * twice (`job.count` set), a file rewritten in between is refused (the transaction rolls back).
 */
function preparedParts(
  job: PrepareJob,
  hooks: PartHooks<PrepareMessage> = {},
): AsyncGenerator<{ readonly prepared: PreparedVersion[] }> {
  const worker = startModuleThread(new URL('./intel.stream.worker.js', import.meta.url), job)
  const checked = job.count
  return partsOfThread(worker, inboxOf<PrepareMessage>(worker), `preparing ${job.file}`, {
    ...hooks,
    arrived: (message) => {
      if (checked === null || (message.kind !== 'done' && message.kind !== 'part')) {
        return
      }
      if (message.kind === 'done' ? message.count !== checked || !message.bundle : message.count > checked) {
        const holds =
          message.kind === 'done' && !message.bundle
            ? 'no STIX bundle'
            : `${message.count}${message.kind === 'part' ? ' or more' : ''} objects`
        throw badInput(
          job.file,
          `the file changed while it was imported: checked with ${checked} objects, it now holds ${holds}; nothing was imported`,
        )
      }
    },
  })
}

/** Thrown inside a one-pass import's transaction when the file turns out not to be for it. */
class NotStreamable extends Error {}

/**
 * Imports a large STIX 2.1 bundle file without holding it whole, atomically as every import, while a
 * worker thread reads, parses and prepares it part by part. When the import's label is given (a TLP),
 * in one pass: the worker checks each part as well, and the import stores what it sends inside one
 * transaction, which rolls back at the end if the check refuses the file (every problem reported).
 * Otherwise the label depends on the strictest marking of the whole file: a first pass checks it
 * here, then the worker reads it again for the store. Returns null when the file is not a STIX 2.1
 * bundle (STIX 2.0 to upgrade, a single object or a list): the caller then imports it whole.
 */
export async function importStixFile(
  db: Db,
  importer: Importer,
  file: string,
  request: ImportRequest,
  now = new Date(),
): Promise<ImportResult | null> {
  return request.label.tlp === undefined
    ? importInTwoPasses(db, importer, file, request, now)
    : importInOnePass(db, importer, file, request, now)
}

/** The refusal of a checked file, if it is refused: every problem, or one of the bundle as a whole. */
function refusalOf(findings: BundleFileFindings, skipInvalid: boolean): LiaisonError | null {
  return findings.problemCount > 0 && (!skipInvalid || findings.wholeRefused)
    ? importRefusal(findings.problems, findings.problemCount)
    : null
}

async function importInTwoPasses(
  db: Db,
  importer: Importer,
  file: string,
  request: ImportRequest,
  now: Date,
): Promise<ImportResult | null> {
  const check = new BundleFileCheck()
  const hits = await openWarninglistHits(db)
  const size = (await stat(file)).size
  const parts = readBundleParts(file, (bytes) => request.onCheck?.(bytes, size))
  let next = await parts.next()
  while (next.done !== true) {
    const { start, objects } = next.value
    // Flagged now, while no transaction holds the store (the second pass stores inside one).
    await hits.add(check.part(start, objects))
    next = await parts.next()
  }
  const findings = check.finish(next.value)
  if (!findings.streamable) {
    return null
  }
  const refusal = refusalOf(findings, request.skipInvalid)
  if (refusal !== null) {
    throw refusal
  }
  const { label, held } = await importLabel(db, importer, request, {
    contentTlp: findings.strictest,
    audienceHint: null,
    anyRed: findings.anyRed,
  })
  const job = { file, check: null, rejected: [...check.rejected], count: findings.count }
  const summary = await storeStixObjects(
    db,
    importContext(importer, request, 'stix', held ?? label),
    { total: findings.count - findings.rejectedCount, batches: preparedParts(job) },
    { problems: findings.problems, upgradedFrom20: false, rejectedCount: findings.rejectedCount },
    now,
  )
  return finishImport(db, importer, request, { summary, label, held, hits: hits.result() }, now)
}

async function importInOnePass(
  db: Db,
  importer: Importer,
  file: string,
  request: ImportRequest,
  now: Date,
): Promise<ImportResult | null> {
  // The label is the request's; of the content it only asks whether TLP:RED has someone to go to,
  // which the first red object below answers.
  const { label, held } = await importLabel(db, importer, request, {
    contentTlp: null,
    audienceHint: null,
    anyRed: false,
  })
  const hits = await openWarninglistHits(db)
  const size = (await stat(file)).size
  let received = 0
  let bytes = 0
  let redSeen = false
  let findings: BundleFileFindings | null = null
  const job = {
    file,
    check: { skipInvalid: request.skipInvalid, matching: hits.matching },
    rejected: [],
    count: null,
  }
  const batches = preparedParts(job, {
    part: async (message, prepared) => {
      received += prepared.length
      bytes = message.bytes
      if (!redSeen && prepared.some((v) => v.tlp === 'red')) {
        redSeen = true
        assertRedHasRecipient(importer, request, true)
      }
      await hits.addObservables(decodeObservablesOf(message.matching))
    },
    done: (message) => {
      findings = message.findings
      if (findings === null || !findings.streamable) {
        throw new NotStreamable()
      }
      const refusal = refusalOf(findings, request.skipInvalid)
      if (refusal !== null) {
        throw refusal
      }
    },
  })
  const input: StixBatches = {
    // How many there are is known at the end: until then, estimated from the part of the file read.
    get total() {
      return bytes === 0 ? 0 : Math.round((received * size) / bytes)
    },
    batches,
    rejected: () => ({ problems: findings?.problems ?? [], count: findings?.rejectedCount ?? 0 }),
  }
  let summary: ImportSummary
  try {
    summary = await storeStixObjects(
      db,
      importContext(importer, request, 'stix', held ?? label),
      input,
      { problems: [], upgradedFrom20: false },
      now,
    )
  } catch (error) {
    if (error instanceof NotStreamable) {
      return null
    }
    throw error
  }
  return finishImport(db, importer, request, { summary, label, held, hits: hits.result() }, now)
}
