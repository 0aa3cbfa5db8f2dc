import { readFileSync } from 'node:fs'
import { publicBaseUrl, type Config } from '../../config.js'
import type { Store } from '../../store/store.js'
import { createMailer } from '../notify/mailer.js'
import { startMailIntake, type MailIntake } from './intake-mail.listener.js'

/**
 * The reporter's secret status link, as the report form's receipt gives it: the token is in the
 * fragment, so it never reaches a server log.
 */
export function reportStatusUrl(baseUrl: string, trackingId: string, statusToken: string): string {
  return `${baseUrl}/report/status/${trackingId}#token=${statusToken}`
}

/**
 * Starts the SMTP intake the config asks for (`LIAISON_SMTP_PORT`), with acknowledgements through
 * the outbound mailer; null when the port is unset. `close()` also closes the mailer.
 */
export async function startConfiguredMailIntake(
  config: Config,
  store: Store,
  options: {
    now?: () => Date
    onError?: (error: Error) => void
    /** Base of the status link when `LIAISON_PUBLIC_URL` is unset (the HTTP listener's address). */
    baseUrl?: string
  } = {},
): Promise<MailIntake | null> {
  if (config.smtpPort === null) {
    return null
  }
  const baseUrl = config.publicUrl ?? options.baseUrl ?? publicBaseUrl(config)
  const mailer = createMailer(config)
  const tls =
    config.smtpTls === null
      ? null
      : { key: readFileSync(config.smtpTls.keyFile), cert: readFileSync(config.smtpTls.certFile) }
  try {
    const intake = await startMailIntake(
      {
        db: store.db,
        reportAddress: config.reportAddress,
        now: options.now ?? (() => new Date()),
        statusUrl: (trackingId, token) => reportStatusUrl(baseUrl, trackingId, token),
      },
      mailer,
      {
        host: config.smtpHost,
        port: config.smtpPort,
        maxBytes: config.smtpMaxBytes,
        tls,
        ...(options.onError === undefined ? {} : { onError: options.onError }),
      },
    )
    return {
      ...intake,
      async close() {
        await intake.close()
        mailer.close()
      },
    }
  } catch (error) {
    mailer.close()
    throw error
  }
}
