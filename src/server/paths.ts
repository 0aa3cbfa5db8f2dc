import { readFileSync } from 'node:fs'
import path from 'node:path'

/** Root folder of the installed package (where package.json is), from source or from dist/. */
export function packageRoot(): string {
  const here = import.meta.dirname
  const up = here.split(path.sep).includes('dist') ? ['..', '..', '..'] : ['..', '..']
  return path.resolve(here, ...up)
}

let version: string | null = null

/** The package version from package.json, read once. */
export function packageVersion(): string {
  if (version === null) {
    const raw: unknown = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8'))
    version =
      typeof raw === 'object' && raw !== null && 'version' in raw && typeof raw.version === 'string'
        ? raw.version
        : '0.0.0'
  }
  return version
}
