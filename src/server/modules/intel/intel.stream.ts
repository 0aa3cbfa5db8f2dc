import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { BundleScanner, NotABundleError } from '../../../core/stix/bundle-scanner.js'
import type { StixObject } from '../../../core/stix/stix.js'
import { stixVersionEvidence, validateStixContent } from '../../../core/stix/validate.js'
import { Tlp } from '../../../core/trust/label.js'
import { badInput } from '../../errors.js'
import type { Db } from '../../store/store.js'
import { importRefusal, storeStixObjects, type ImportProblem } from './intel.import.js'
import { IMPORT_CHECKS, tlpOfObject } from './intel.prepare.js'
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
/** Objects parsed, validated and stored together. */
const PART = 5000
/** Problems kept in full; beyond this only counted. */
const PROBLEMS_KEPT = 1000

/** True when a file is large enough to be imported piece by piece. */
export async function isLargeFile(file: string): Promise<boolean> {
  return (await stat(file)).size >= STREAM_THRESHOLD_BYTES
}

/** The objects of a bundle file, parsed, in parts of {@link PART}, each with its first index. */
async function* readParts(
  file: string,
  onBytes?: (bytes: number) => void,
): AsyncGenerator<{ start: number; objects: unknown[] }, Record<string, unknown> | null> {
  const scanner = new BundleScanner()
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1024 * 1024 })
  let part: unknown[] = []
  let start = 0
  let read = 0
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      read += Buffer.byteLength(chunk)
      onBytes?.(read)
      for (const text of scanner.push(chunk)) {
        part.push(JSON.parse(text))
        if (part.length === PART) {
          yield { start, objects: part }
          start += part.length
          part = []
        }
      }
    }
    scanner.finish()
  } catch (error) {
    if (error instanceof NotABundleError) {
      return null
    }
    if (error instanceof SyntaxError) {
      throw badInput(file, `not a readable STIX bundle: ${error.message}`)
    }
    throw error
  } finally {
    stream.destroy()
  }
  if (part.length > 0) {
    yield { start, objects: part }
  }
  return scanner.header
}

/**
 * Imports a large STIX 2.1 bundle file without holding it whole: a first pass parses and validates
 * it part by part (every problem reported, the label decided by the strictest marking as for any
 * import), a second pass reads it again and stores the valid objects part by part inside one
 * transaction — atomic as every import. Returns null when the file is not a STIX 2.1 bundle (STIX
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
  const parts = readParts(file, (bytes) => request.onCheck?.(bytes, size))
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
  async function* valid(): AsyncGenerator<readonly StixObject[]> {
    for await (const { start, objects } of readParts(file)) {
      yield objects.filter((_, i) => !rejected.has(start + i)) as StixObject[]
    }
  }
  const summary = await storeStixObjects(
    db,
    importContext(importer, request, 'stix', held ?? label),
    { total: count - rejected.size, batches: valid() },
    { problems, upgradedFrom20: false, rejectedCount: rejected.size },
    now,
  )
  return finishImport(db, importer, request, { summary, label, held, hits: hits.result() }, now)
}
