import { createReadStream } from 'node:fs'
import { BundleScanner, NotABundleError } from '../../../core/stix/bundle-scanner.js'
import type { StixObject } from '../../../core/stix/stix.js'
import { stixVersionEvidence, validateStixContent } from '../../../core/stix/validate.js'
import { Tlp } from '../../../core/trust/label.js'
import { badInput } from '../../errors.js'
import type { ImportProblem } from './intel.import.js'
import { IMPORT_CHECKS, tlpOfObject } from './intel.prepare.js'

/** Objects parsed, validated and stored together. */
export const PART = 5000

/**
 * The objects of a bundle file, parsed, in parts of {@link PART}, each with the index of its first
 * object; returns the bundle's own members (null when the file is not a bundle). Read by both passes
 * of a large file's import: the check on the importing thread, the preparation on a worker thread.
 */
export async function* readBundleParts(
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

/** Problems kept in full; beyond this only counted. */
export const PROBLEMS_KEPT = 1000

/** What the check of a bundle file found, as plain data (it crosses threads). */
export interface BundleFileFindings {
  /** The first {@link PROBLEMS_KEPT} problems, those of the bundle itself first. */
  readonly problems: ImportProblem[]
  readonly problemCount: number
  /** How many objects the file holds, and how many of them were rejected. */
  readonly count: number
  readonly rejectedCount: number
  readonly strictest: Tlp | null
  readonly anyRed: boolean
  /**
   * False when the file is not for this import (not a bundle, STIX 2.0 to upgrade, no objects): the
   * caller imports it whole.
   */
  readonly streamable: boolean
  /** True when a problem of the bundle as a whole leaves nothing to import, even with `skipInvalid`. */
  readonly wholeRefused: boolean
}

/**
 * The check of a large bundle file, part by part (as a whole import checks its content): every
 * problem, the rejected objects, the strictest TLP the objects mark themselves with, and whether the
 * file is STIX 2.1 at all. Run on the importing thread before the store (two passes), or on the
 * worker thread that prepares the parts the store takes meanwhile (one pass).
 */
export class BundleFileCheck {
  readonly problems: ImportProblem[] = []
  readonly rejected = new Set<number>()
  private problemCount = 0
  private count = 0
  private strictest: Tlp | null = null
  private anyRed = false
  private says21 = false
  private says20 = false
  private first: unknown = null

  /** Checks the objects of a part (the first at `start`); returns the valid ones. */
  part(start: number, objects: readonly unknown[]): StixObject[] {
    this.first ??= objects[0] ?? null
    for (const item of objects) {
      const evidence = stixVersionEvidence(item)
      this.says21 ||= evidence === '2.1'
      this.says20 ||= evidence === '2.0'
    }
    const result = validateStixContent(objects, { ...IMPORT_CHECKS, version: '2.1', firstIndex: start })
    for (const problem of result.problems) {
      this.rejected.add(problem.index)
      this.problemCount += 1
      if (this.problems.length < PROBLEMS_KEPT) {
        this.problems.push(problem)
      }
    }
    const accepted: StixObject[] = []
    for (const { index, object } of result.objects) {
      if (this.rejected.has(index)) {
        continue
      }
      accepted.push(object)
      const tlp = tlpOfObject(object)
      this.anyRed ||= tlp === 'red'
      if (tlp !== null && (this.strictest === null || Tlp.rank(tlp) > Tlp.rank(this.strictest))) {
        this.strictest = tlp
      }
    }
    this.count += objects.length
    return accepted
  }

  /** The findings, once every part is checked, with the bundle's own members (null: not a bundle). */
  finish(header: Record<string, unknown> | null): BundleFileFindings {
    const is20 =
      header !== null &&
      (header.spec_version === '2.0' || (header.spec_version !== '2.1' && this.says20 && !this.says21))
    const streamable = header !== null && !is20 && this.count > 0
    // The bundle's own members (type, id, no spec_version in 2.1), checked as a bundle of one object.
    const whole = streamable
      ? validateStixContent(
          { ...header, objects: [this.first] },
          { ...IMPORT_CHECKS, version: '2.1' },
        ).problems.filter((p) => p.index < 0)
      : []
    return {
      problems: [...whole, ...this.problems],
      problemCount: this.problemCount + whole.length,
      count: this.count,
      rejectedCount: this.rejected.size,
      strictest: this.strictest,
      anyRed: this.anyRed,
      streamable,
      wholeRefused: whole.length > 0,
    }
  }
}
