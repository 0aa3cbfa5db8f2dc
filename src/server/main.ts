import { buildApp } from './app.js'
import { ensureInstance, firstStartBanner } from './bootstrap.js'
import type { Config } from './config.js'
import { startFederationScheduler } from './modules/federation/federation.scheduler.js'
import { startConfiguredMailIntake } from './modules/intake-mail/intake-mail.start.js'
import { migrateToLatest } from './store/migrate.js'
import { openStore } from './store/store.js'

/** A running server and how to stop it. */
export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:8080. */
  readonly url: string
  /** Where the SMTP intake listens, when `LIAISON_SMTP_PORT` is set. */
  readonly smtp?: { readonly host: string; readonly port: number }
  /** Stops accepting requests, finishes those in flight, closes the store. */
  close(): Promise<void>
}

/**
 * Opens the store, migrates it, creates the instance on first start (printing the admin's one-time
 * password), and listens.
 */
export async function startServer(
  config: Config,
  print: (text: string) => void = console.log,
): Promise<RunningServer> {
  const store = openStore(config)
  try {
    const migration = await migrateToLatest(store)
    if (migration.applied.length > 0) {
      print(`Applied migrations: ${migration.applied.join(', ')}`)
    }
    const first = await ensureInstance(store, config)
    if (first !== null) {
      print(firstStartBanner(first))
    }
    const app = await buildApp(config, { store })
    const address = await app.listen({ host: config.host, port: config.port })
    print(`Liaison listening on ${address} (store: ${store.kind}, ${store.location})`)
    const intake = await startConfiguredMailIntake(config, store, {
      baseUrl: address,
      onError: (error) => app.log.error({ err: error }, 'SMTP intake'),
    }).catch(async (error: unknown) => {
      await app.close()
      throw error
    })
    if (intake !== null) {
      print(`SMTP intake for ${config.reportAddress} listening on ${intake.host}:${intake.port}`)
    }
    const federation = config.federationSync
      ? startFederationScheduler({ db: store.db, config }, app.log, {
          receiptDays: config.federationReceiptDays,
          tombstoneDays: config.federationTombstoneDays,
        })
      : null
    return {
      url: address,
      ...(intake === null ? {} : { smtp: { host: intake.host, port: intake.port } }),
      close: async () => {
        await federation?.close()
        await intake?.close()
        await app.close()
        await store.close()
      },
    }
  } catch (error) {
    await store.close()
    throw error
  }
}
