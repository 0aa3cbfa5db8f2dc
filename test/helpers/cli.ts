import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { expect } from 'vitest'
import type { TestStoreLocation } from './stores.js'

const run = promisify(execFile)

/** The built `liaison` command (npm test builds it first). */
export const LIAISON_BIN = path.resolve(import.meta.dirname, '..', '..', 'bin', 'liaison.js')

/** What a `liaison` run printed and how it exited. */
export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** The inherited environment without any LIAISON_* setting of the machine running the tests. */
export function cliBaseEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('LIAISON_') && value !== undefined) {
      env[key] = value
    }
  }
  return env
}

/**
 * Runs `liaison <args>` on a store location, quiet, with `env` added and `input` on its standard
 * input; never throws for a non-zero exit (the result says it).
 */
export async function liaison(
  location: TestStoreLocation,
  args: string[],
  options: { env?: Record<string, string>; input?: string } = {},
): Promise<CliResult> {
  const env = { ...cliBaseEnv(), ...location.env, LIAISON_LOG_LEVEL: 'silent', ...options.env }
  try {
    const child = run(process.execPath, [LIAISON_BIN, ...args], { env })
    if (options.input !== undefined) {
      child.child.stdin?.end(options.input)
    }
    const { stdout, stderr } = await child
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

/** The JSON a successful run printed (fails the test, with its stderr, when it did not succeed). */
export function cliJson<T>(result: CliResult): T {
  expect(result.code, result.stderr).toBe(0)
  return JSON.parse(result.stdout) as T
}
