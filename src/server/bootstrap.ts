import type { Config } from './config.js'
import { findInstanceOrganisation } from './modules/org/org.repository.js'
import { insertNewOrganisation } from './modules/org/org.service.js'
import { insertNewUser } from './modules/user/user.service.js'
import { generateOneTimePassword, hashPassword } from './secrets.js'
import type { Store } from './store/store.js'

/** The admin created on first start, with the one-time password to print. */
export interface FirstStart {
  readonly orgName: string
  readonly adminEmail: string
  readonly oneTimePassword: string
}

/**
 * On an empty store, creates the instance's own organisation and its first admin (who must change
 * the generated password at first login). Returns null when the instance already exists.
 */
export async function ensureInstance(
  store: Store,
  config: Pick<Config, 'instanceName' | 'adminEmail'>,
  now = new Date(),
): Promise<FirstStart | null> {
  if ((await findInstanceOrganisation(store.db)) !== undefined) {
    return null
  }
  const oneTimePassword = generateOneTimePassword()
  const passwordHash = await hashPassword(oneTimePassword)
  return store.db.transaction().execute(async (trx) => {
    if ((await findInstanceOrganisation(trx)) !== undefined) {
      return null
    }
    const org = await insertNewOrganisation(
      trx,
      { kind: 'system' },
      { name: config.instanceName, type: 'other', isInstanceOwner: true },
      now,
    )
    await insertNewUser(
      trx,
      { kind: 'system' },
      {
        email: config.adminEmail,
        name: 'Administrator',
        role: 'admin',
        orgId: org.id,
        passwordHash,
        mustChangePassword: true,
      },
      now,
    )
    return { orgName: org.name, adminEmail: config.adminEmail, oneTimePassword }
  })
}

/** The banner printed on first start. */
export function firstStartBanner(first: FirstStart): string {
  const line = '='.repeat(72)
  return [
    line,
    ` Liaison: first start. Created the organisation "${first.orgName}" and its admin:`,
    `   e-mail:   ${first.adminEmail}`,
    `   password: ${first.oneTimePassword}`,
    '   This password works once: you must choose your own at first login.',
    line,
  ].join('\n')
}
