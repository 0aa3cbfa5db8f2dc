import type { AddressInfo } from 'node:net'
import { SMTPServer, type SMTPServerOptions } from 'smtp-server'
import type { Mailer } from '../notify/mailer.js'
import { acknowledgeMail, receiveMail, type IntakeContext } from './intake-mail.service.js'

/** How the SMTP intake listens. */
export interface MailIntakeOptions {
  /** Address to listen on (`LIAISON_SMTP_HOST`). */
  readonly host: string
  /** Port (`LIAISON_SMTP_PORT`); 0 picks a free one. */
  readonly port: number
  /** Largest message accepted, in bytes (`LIAISON_SMTP_MAX_BYTES`); larger ones get 552. */
  readonly maxBytes: number
  /** PEM key and certificate: STARTTLS is offered only when both are given. */
  readonly tls?: { readonly key: Buffer; readonly cert: Buffer } | null
  /** Where listener errors go; default: nowhere. */
  readonly onError?: (error: Error) => void
}

/** A running SMTP intake. */
export interface MailIntake {
  readonly host: string
  readonly port: number
  /** Resolves when every message and acknowledgement in progress has been dealt with. */
  settled(): Promise<void>
  /** Stops accepting connections, lets those open finish (up to a few seconds), then settles. */
  close(): Promise<void>
}

/** An SMTP reply carrying its code (smtp-server reads `responseCode`). */
function smtpError(code: number, message: string): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode: code })
}

/**
 * Starts the SMTP intake: the instance's inbound MX for reports. It accepts mail for the report
 * address only (550 for any other recipient), refuses messages over `maxBytes` (552), asks for no
 * authentication, offers STARTTLS only when a key and certificate are configured, and answers
 * `250` only once the message is committed to the store. Acknowledgements go out afterwards through
 * `mailer`.
 *
 * @example
 * const intake = await startMailIntake(ctx, createMailer(config), { host: '127.0.0.1', port: 2525, maxBytes: 25e6 })
 */
export async function startMailIntake(
  ctx: IntakeContext,
  mailer: Pick<Mailer, 'send'>,
  options: MailIntakeOptions,
): Promise<MailIntake> {
  const pending = new Set<Promise<unknown>>()
  const track = (work: Promise<unknown>): void => {
    pending.add(work)
    void work.finally(() => pending.delete(work))
  }
  const reportAddress = ctx.reportAddress.toLowerCase()
  const tls = options.tls ?? null
  const serverOptions: SMTPServerOptions = {
    name: reportAddress.slice(reportAddress.lastIndexOf('@') + 1),
    banner: 'Liaison report intake',
    size: options.maxBytes,
    authOptional: true,
    disabledCommands: tls === null ? ['AUTH', 'STARTTLS'] : ['AUTH'],
    ...(tls === null ? {} : { key: tls.key, cert: tls.cert }),
    logger: false,
    maxClients: 100,
    closeTimeout: 5000,
    onRcptTo(address, _session, callback) {
      if (address.address.toLowerCase() !== reportAddress) {
        callback(
          smtpError(550, `5.1.1 <${address.address}>: no such recipient; reports go to <${reportAddress}>`),
        )
        return
      }
      callback()
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      let bytes = 0
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.length
        // Past the limit the rest is read and dropped; the message is refused at its end.
        if (bytes <= options.maxBytes) {
          chunks.push(chunk)
        }
      })
      stream.on('error', (error) => callback(error))
      stream.on('end', () => {
        if (stream.sizeExceeded || bytes > options.maxBytes) {
          callback(smtpError(552, `5.3.4 message exceeds the maximum size of ${options.maxBytes} bytes`))
          return
        }
        const mailFrom = session.envelope.mailFrom
        const envelope = {
          from: mailFrom === false ? '' : mailFrom.address,
          to: [...new Set(session.envelope.rcptTo.map((r) => r.address.toLowerCase()))],
          remoteAddress: session.remoteAddress || null,
          helo: session.hostNameAppearsAs || null,
        }
        const work = receiveMail(ctx, envelope, Buffer.concat(chunks)).then(
          (received) => {
            callback(
              null,
              `2.0.0 received as ${received.trackingId ?? 'raw message ' + received.rawMessageId}`,
            )
            if (received.ack !== null) {
              track(acknowledgeMail(ctx, mailer, received))
            }
          },
          (error: unknown) => {
            options.onError?.(error instanceof Error ? error : new Error(String(error)))
            // Nothing was stored: the sender keeps the message and tries again later.
            callback(smtpError(451, '4.3.0 the message could not be stored; try again later'))
          },
        )
        track(work)
      })
    },
  }
  const server = new SMTPServer(serverOptions)
  server.on('error', (error) => options.onError?.(error))
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.server.off('error', reject)
      resolve()
    })
  })
  const address = server.server.address() as AddressInfo
  const settled = async (): Promise<void> => {
    while (pending.size > 0) {
      await Promise.allSettled([...pending])
    }
  }
  return {
    host: address.address,
    port: address.port,
    settled,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await settled()
    },
  }
}
