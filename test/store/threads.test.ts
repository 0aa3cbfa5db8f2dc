// Our modules on worker threads (a large file's import prepares its objects on one): from the build,
// the compiled JavaScript runs; from the sources, as in these tests, the TypeScript itself.
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { startModuleThread } from '../../src/server/threads.js'

async function firstMessage(url: URL, n: number): Promise<unknown> {
  const worker = startModuleThread(url, { n })
  try {
    const [message] = (await once(worker, 'message')) as [unknown]
    return message
  } finally {
    await worker.terminate()
  }
}

describe('startModuleThread', () => {
  it('runs a module from its TypeScript source when no JavaScript is beside it, imports included', async () => {
    expect(await firstMessage(new URL('../helpers/threads/double.worker.js', import.meta.url), 21)).toEqual({
      doubled: 42,
      from: 'typescript',
    })
  })

  it('runs JavaScript as it is', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'liaison-threads-'))
    try {
      const file = path.join(dir, 'plain.worker.js')
      writeFileSync(
        file,
        "import { parentPort, workerData } from 'node:worker_threads'\n" +
          "parentPort.postMessage({ doubled: workerData.n * 2, from: 'javascript' })\n",
      )
      expect(await firstMessage(pathToFileURL(file), 4)).toEqual({ doubled: 8, from: 'javascript' })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('reports a module that fails to load as an error of the thread', async () => {
    const worker = startModuleThread(new URL('../helpers/threads/missing.worker.js', import.meta.url), {})
    const [error] = (await once(worker, 'error')) as [Error]
    expect(error.message).toMatch(/missing\.worker/)
  })
})
