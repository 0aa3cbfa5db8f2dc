import type { FastifyInstance } from 'fastify'
import type { AddressInfo } from 'node:net'
import type { Role } from '../../src/core/account/account.schema.js'
import { buildApp } from '../../src/server/app.js'
import { ensureInstance } from '../../src/server/bootstrap.js'
import { readConfig, type Config, type StoreKind } from '../../src/server/config.js'
import type { MailIntake } from '../../src/server/modules/intake-mail/intake-mail.listener.js'
import { startConfiguredMailIntake } from '../../src/server/modules/intake-mail/intake-mail.start.js'
import type { Store } from '../../src/server/store/store.js'
import { createOrg, createUserWithPassword } from './factories.js'
import { ApiClient } from './http.js'
import { createStoreLocation, openTestStore, type TestStoreLocation } from './stores.js'

/** A live server on a loopback port with its own empty store. */
export interface TestServer {
  readonly url: string
  readonly store: Store
  readonly config: Config
  readonly location: TestStoreLocation
  /** The SMTP intake on a free loopback port (on unless `LIAISON_SMTP_PORT` is passed as ''). */
  readonly smtp: MailIntake | null
  /** The first-start admin of the instance organisation, still holding the one-time password. */
  readonly admin: { email: string; oneTimePassword: string; orgId: string }
  /** A client with no credentials. */
  client(): ApiClient
  /** A new user in a (new, unless given) organisation, logged in with a session. */
  loginAsNewUser(options?: {
    role?: Role
    orgId?: string
  }): Promise<{ client: ApiClient; userId: string; orgId: string; email: string; password: string }>
  close(): Promise<void>
}

/**
 * Starts Liaison on 127.0.0.1 with a random port and a fresh store of the given kind; `options.now`
 * pins the server's clock (sessions, expiry, timestamps of writes).
 */
export async function startTestServer(
  kind: StoreKind,
  env: Record<string, string> = {},
  options: { now?: () => Date } = {},
): Promise<TestServer> {
  const location = await createStoreLocation(kind)
  const config = readConfig({
    ...location.env,
    LIAISON_HOST: '127.0.0.1',
    LIAISON_PORT: '0',
    LIAISON_LOG_LEVEL: 'silent',
    LIAISON_SMTP_PORT: '0',
    ...env,
  })
  const store = await openTestStore(location)
  const first = await ensureInstance(store, config)
  if (first === null) {
    throw new Error('a fresh store must create the instance')
  }
  const instanceOrg = await store.db
    .selectFrom('organisations')
    .select('id')
    .where('is_instance_owner', '=', 1)
    .executeTakeFirstOrThrow()
  const app: FastifyInstance = await buildApp(config, {
    store,
    ...(options.now === undefined ? {} : { now: options.now }),
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`
  const smtp = await startConfiguredMailIntake(config, store, {
    baseUrl: url,
    ...(options.now === undefined ? {} : { now: options.now }),
  })
  return {
    url,
    store,
    config,
    location,
    smtp,
    admin: { email: first.adminEmail, oneTimePassword: first.oneTimePassword, orgId: instanceOrg.id },
    client: () => new ApiClient(url),
    async loginAsNewUser(options = {}) {
      const orgId = options.orgId ?? (await createOrg(store)).id
      const { user, password } = await createUserWithPassword(store, {
        orgId,
        role: options.role ?? 'analyst',
      })
      const client = new ApiClient(url)
      await client.login(user.email, password)
      return { client, userId: user.id, orgId, email: user.email, password }
    },
    async close() {
      await smtp?.close()
      await app.close()
      await store.close()
      await location.drop()
    },
  }
}
