// What the benchmarks share: an indicator as they generate it, and a server-side account (an
// organisation, an analyst in it, an API key) on a migrated store. Plain JavaScript on the built
// server (`dist/`), like the benchmarks themselves.
import { randomUUID } from 'node:crypto'

const dist = new URL('../dist/src/', import.meta.url)

/** The instant every generated object is created and modified at. */
export const CREATED = '2025-01-01T00:00:00.000Z'

/** An indicator of one IPv4 address, as the benchmarks generate them. */
export function indicator(id, name, address) {
  return {
    type: 'indicator',
    spec_version: '2.1',
    id,
    created: CREATED,
    modified: CREATED,
    ...(name === null ? {} : { name }),
    pattern: `[ipv4-addr:value = '${address}']`,
    pattern_type: 'stix',
    valid_from: CREATED,
  }
}

/** A new national CSIRT with an analyst and the analyst's API key, made as the CLI makes them. */
export async function analystWithKey(store) {
  const { createOrganisation } = await import(new URL('server/modules/org/org.service.js', dist).href)
  const { createUser } = await import(new URL('server/modules/user/user.service.js', dist).href)
  const { createApiKey } = await import(new URL('server/modules/apikey/apikey.service.js', dist).href)
  const operator = { kind: 'cli', osUser: 'bench' }
  const org = await createOrganisation(store.db, operator, {
    name: `Bench ${randomUUID().slice(0, 6)}`,
    type: 'national-csirt',
  })
  const { user } = await createUser(
    store.db,
    operator,
    {
      email: `bench-${randomUUID().slice(0, 8)}@example.org`,
      name: 'Bench',
      role: 'analyst',
      orgId: org.id,
      password: `pw-${randomUUID()}`,
    },
    { mustChangePassword: false },
  )
  const { token } = await createApiKey(store.db, operator, { name: 'bench', userId: user.id })
  return { operator, org, user, token }
}
