import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'

/**
 * The thread's first script: registers the TypeScript hooks when asked (argv[2]), then loads the
 * module (argv[1]). Evaluated as a script, so that it runs the same from the build and the sources.
 */
const BOOTSTRAP = `
const { register } = require('node:module')
const [entry, hooks] = process.argv.slice(2)
if (hooks !== '') register(hooks)
import(entry).catch((error) => {
  process.nextTick(() => { throw error })
})
`

/**
 * Module hooks that let a thread load our TypeScript sources: a relative `./x.js` import of a `.ts`
 * module is the `./x.ts` beside it (as TypeScript resolves it), and a `.ts` module is compiled as it
 * is loaded (`transpileModule`: types dropped, nothing checked).
 */
function typescriptHooks(typescript: string): string {
  const source = `
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import ts from ${JSON.stringify(pathToFileURL(typescript).href)}
export async function resolve(specifier, context, next) {
  const parent = context.parentURL ?? ''
  if (parent.endsWith('.ts') && specifier.startsWith('.') && specifier.endsWith('.js')) {
    const asTs = new URL(specifier.slice(0, -3) + '.ts', parent)
    if (!existsSync(new URL(specifier, parent)) && existsSync(asTs)) {
      return { url: asTs.href, shortCircuit: true }
    }
  }
  return next(specifier, context)
}
export async function load(url, context, next) {
  if (!url.endsWith('.ts')) {
    return next(url, context)
  }
  const text = await readFile(new URL(url), 'utf8')
  const { outputText } = ts.transpileModule(text, {
    fileName: fileURLToPath(url),
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false },
  })
  return { format: 'module', source: outputText, shortCircuit: true }
}
`
  return `data:text/javascript,${encodeURIComponent(source)}`
}

/**
 * Starts one of our modules on a worker thread, with `workerData`. `moduleUrl` names its compiled
 * file (`new URL('./x.worker.js', import.meta.url)`). From the build that is the file the thread
 * runs; from the sources (the tests run them) it does not exist, and the thread runs the TypeScript
 * beside it, compiled as it loads (Node 20 runs no TypeScript of its own).
 */
export function startModuleThread(moduleUrl: URL, workerData: unknown): Worker {
  let entry = moduleUrl
  let hooks = ''
  if (!existsSync(moduleUrl) && moduleUrl.pathname.endsWith('.js')) {
    entry = new URL(moduleUrl.href.replace(/\.js$/, '.ts'))
    hooks = typescriptHooks(createRequire(import.meta.url).resolve('typescript'))
  }
  return new Worker(BOOTSTRAP, { eval: true, argv: [entry.href, hooks], workerData })
}

/** The messages of a thread, one at a time, in order (see {@link inboxOf}). */
export interface ThreadInbox<M> {
  /**
   * The next message, once it has come. Throws what the thread threw, or, once it has ended with
   * nothing left to read, that it stopped before its end (`what` names its work in that message).
   */
  next(what: string): Promise<M>
}

/** Collects a thread's messages as they come, for its parent to read in order. */
export function inboxOf<M>(worker: Worker): ThreadInbox<M> {
  const arrived: M[] = []
  // What the thread's events tell (in an object: `next` reads what the callbacks set).
  const thread: { failure: Error | null; ended: boolean } = { failure: null, ended: false }
  let wake: (() => void) | null = null
  worker.on('message', (message: M) => {
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
  return {
    async next(what: string): Promise<M> {
      for (;;) {
        if (arrived.length > 0) {
          return arrived.shift() as M
        }
        if (thread.failure !== null) {
          throw thread.failure
        }
        if (thread.ended) {
          throw new Error(`the thread ${what} stopped before its end`)
        }
        await new Promise<void>((resolve) => (wake = resolve))
        wake = null
      }
    },
  }
}
