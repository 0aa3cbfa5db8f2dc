import { createReadStream } from 'node:fs'
import { BundleScanner, NotABundleError } from '../../../core/stix/bundle-scanner.js'
import { badInput } from '../../errors.js'

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
