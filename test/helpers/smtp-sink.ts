import type { AddressInfo } from 'node:net'
import { simpleParser, type ParsedMail } from 'mailparser'
import { SMTPServer } from 'smtp-server'

/** One mail the sink received: parsed, plus the raw bytes and the SMTP envelope. */
export interface SinkMessage {
  readonly parsed: ParsedMail
  /** The message exactly as received (for signature checks). */
  readonly raw: Buffer
  readonly envelope: { readonly from: string; readonly to: readonly string[] }
}

/** A local SMTP server that keeps every mail it receives; tests never send to a real address. */
export interface SmtpSink {
  /** `smtp://127.0.0.1:<port>`, for `LIAISON_SMTP_RELAY`. */
  readonly url: string
  /** Received mails in arrival order (parsed ones only; parsing happens before a mail is listed). */
  readonly messages: SinkMessage[]
  /** Resolves once at least `n` mails have arrived; rejects after `timeoutMs` saying how many did. */
  waitFor(n: number, timeoutMs?: number): Promise<SinkMessage[]>
  close(): Promise<void>
}

/**
 * Starts an SMTP sink on 127.0.0.1 with a free port (no TLS, no authentication).
 *
 * @example
 * const sink = await startSmtpSink()
 * // LIAISON_SMTP_RELAY = sink.url … then
 * const [mail] = await sink.waitFor(1)
 */
export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: SinkMessage[] = []
  const waiters: Array<() => void> = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('error', callback)
      stream.on('end', () => {
        const raw = Buffer.concat(chunks)
        const envelope = {
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
        }
        simpleParser(raw)
          .then((parsed) => {
            messages.push({ parsed, raw, envelope })
            for (const wake of waiters.splice(0)) {
              wake()
            }
            callback()
          })
          .catch((error: Error) => callback(error))
      })
    },
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.server.address() as AddressInfo
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    waitFor(n, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`SMTP sink: expected ${n} mail(s) within ${timeoutMs} ms, got ${messages.length}`))
        }, timeoutMs)
        const check = (): void => {
          if (messages.length >= n) {
            clearTimeout(timer)
            resolve([...messages])
          } else {
            waiters.push(check)
          }
        }
        check()
      })
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
