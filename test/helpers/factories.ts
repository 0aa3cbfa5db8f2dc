import { randomUUID } from 'node:crypto'
import type { OrgType, Role } from '../../src/core/account/account.schema.js'
import type { OperatorActor } from '../../src/core/account/principal.js'
import { createOrganisation } from '../../src/server/modules/org/org.service.js'
import type { OrganisationRow } from '../../src/server/modules/org/org.table.js'
import { createUser } from '../../src/server/modules/user/user.service.js'
import type { UserRow } from '../../src/server/modules/user/user.table.js'
import type { Importer } from '../../src/server/modules/intel/intel.service.js'
import type { Store } from '../../src/server/store/store.js'

/** The actor factories write as: an operator at the CLI. */
export const TEST_OPERATOR: OperatorActor = { kind: 'cli', osUser: 'test' }

/** Creates an organisation with unique defaults; any field may be overridden. */
export async function createOrg(
  store: Store,
  overrides: Partial<{ name: string; type: OrgType; country: string; sector: string }> = {},
): Promise<OrganisationRow> {
  return createOrganisation(store.db, TEST_OPERATOR, {
    name: overrides.name ?? `Org ${randomUUID().slice(0, 8)}`,
    type: overrides.type ?? 'sector-csirt',
    country: overrides.country ?? 'DE',
    ...(overrides.sector === undefined ? {} : { sector: overrides.sector }),
  })
}

/** Creates a user with a known password that need not be changed; any field may be overridden. */
export async function createUserWithPassword(
  store: Store,
  overrides: {
    orgId: string
    role?: Role
    email?: string
    name?: string
    password?: string
    mustChangePassword?: boolean
  },
): Promise<{ user: UserRow; password: string }> {
  const password = overrides.password ?? `pw-${randomUUID()}`
  const { user } = await createUser(
    store.db,
    TEST_OPERATOR,
    {
      email: overrides.email ?? `user-${randomUUID().slice(0, 8)}@example.org`,
      name: overrides.name ?? 'Test User',
      role: overrides.role ?? 'analyst',
      orgId: overrides.orgId,
      password,
    },
    { mustChangePassword: overrides.mustChangePassword ?? false },
  )
  return { user, password }
}

/**
 * A new national CSIRT called `name` and an importer acting for it as the CLI does (operator
 * `osUser`, no user session): what store-level import tests import as.
 */
export async function cliImporter(store: Store, name: string, osUser: string): Promise<Importer> {
  const actor: OperatorActor = { kind: 'cli', osUser }
  const org = await createOrganisation(store.db, actor, { name, type: 'national-csirt' })
  return { actor, orgId: org.id, groupIds: [], userId: randomUUID() }
}
