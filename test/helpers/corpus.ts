import { existsSync } from 'node:fs'
import path from 'node:path'

/**
 * The shared test corpus (../shared/corpus beside the repository, or LIAISON_CORPUS_DIR). Tests that
 * read it fail loudly when it is missing rather than skip: a green run must have exercised it.
 */
export const CORPUS_DIR = path.resolve(
  process.env.LIAISON_CORPUS_DIR ?? path.join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus'),
)

if (!existsSync(CORPUS_DIR)) {
  throw new Error(
    `the shared corpus is missing at ${CORPUS_DIR}: put shared/ beside the repository or set LIAISON_CORPUS_DIR`,
  )
}
