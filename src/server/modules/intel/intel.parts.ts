import type { Worker } from 'node:worker_threads'
import { LiaisonError } from '../../errors.js'
import type { ThreadInbox } from '../../threads.js'
import { decodePrepared, PARTS_AHEAD, type PreparedVersion, type PrepareMessage } from './intel.prepare.js'

/** A part of prepared versions, as a worker sends it. */
export type PartMessage = Extract<PrepareMessage, { kind: 'part' }>
/** A worker's failure, as it sends it. */
export type FailedMessage = Extract<PrepareMessage, { kind: 'failed' }>

/** What the importing thread does with what a worker sends, besides storing the parts. */
export interface PartHooks<M extends { readonly kind: string }> {
  /** Each message as it arrives, before anything else is done with it (a throw stops the import). */
  readonly arrived?: (message: M | PartMessage) => void
  /** Each part as it arrives, before it is stored. */
  readonly part?: (message: PartMessage, prepared: PreparedVersion[]) => Promise<void>
  /** The worker's end, after the last part is stored (a throw rolls the import back). */
  readonly done?: (message: Extract<M, { kind: 'done' }>) => void
  /** Any other message of the worker (its progress). */
  readonly other?: (message: M) => void
}

/**
 * The parts of prepared versions a worker thread sends (intel.stream.worker.ts, intel.misp.worker.ts),
 * ahead of the store: while this thread stores a part, the worker prepares the next ones, at most
 * PARTS_AHEAD (it sends one more for each `more`). The worker ends when the parts do, or when the
 * store stops taking them (a failure, which rolls the import back). `what` names its work in errors.
 */
export async function* partsOfThread<M extends { readonly kind: string }>(
  worker: Worker,
  inbox: ThreadInbox<M | PartMessage | FailedMessage>,
  what: string,
  hooks: PartHooks<M> = {},
): AsyncGenerator<{ readonly prepared: PreparedVersion[] }> {
  try {
    for (;;) {
      const message = await inbox.next(what)
      if (message.kind === 'failed') {
        throw failureOf(message as FailedMessage, what)
      }
      hooks.arrived?.(message as M | PartMessage)
      if (message.kind === 'done') {
        hooks.done?.(message as Extract<M, { kind: 'done' }>)
        return
      }
      if (message.kind !== 'part') {
        hooks.other?.(message as M)
        continue
      }
      const part = message as PartMessage
      worker.postMessage('more')
      const prepared = decodePrepared(part.fields)
      await hooks.part?.(part, prepared)
      yield { prepared }
    }
  } finally {
    await worker.terminate()
  }
}

/**
 * A worker's failure as an error of this thread: as the worker threw it (content that does not parse
 * is bad input, as in a check), or else naming the work (`what`) that failed.
 */
export function failureOf(failed: FailedMessage, what: string): Error {
  return failed.error === null
    ? new Error(`${what}: ${failed.message}`)
    : new LiaisonError(failed.error.status, failed.error.code, failed.message, failed.error.details)
}

/**
 * A failure of a worker as it sends it to its parent ({@link failureOf} reads it back): a
 * {@link LiaisonError} with its parts, anything else by its message.
 */
export function failedMessage(error: unknown): FailedMessage {
  return {
    kind: 'failed',
    message: error instanceof Error ? error.message : String(error),
    error:
      error instanceof LiaisonError
        ? { status: error.status, code: error.code, details: error.details }
        : null,
  }
}

/**
 * The room a worker has to send parts: PARTS_AHEAD at first, one more for each `more` its parent
 * sends as it takes a part.
 */
export class PartCredit {
  #credit = PARTS_AHEAD
  #wake: (() => void) | null = null

  /** The parent took a part. */
  more(): void {
    this.#credit += 1
    this.#wake?.()
  }

  /** Waits until a part may be sent, and takes the room for it. */
  async take(): Promise<void> {
    while (this.#credit === 0) {
      await new Promise<void>((resolve) => (this.#wake = resolve))
      this.#wake = null
    }
    this.#credit -= 1
  }
}
