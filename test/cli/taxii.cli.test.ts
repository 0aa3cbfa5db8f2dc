import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliJson, liaison } from '../helpers/cli.js'
import { ROLES } from '../../src/core/account/account.js'
import { listRecentAudit } from '../../src/server/modules/audit/audit.service.js'
import { createStoreLocation, openTestStore, STORE_KINDS, type TestStoreLocation } from '../helpers/stores.js'

interface CollectionRoles {
  id: string
  alias: string
  title: string
  readRoles: string[]
  writeRoles: string[]
}

const ALL_BUT_VIEWER = ROLES.filter((r) => r !== 'viewer')

describe.each(STORE_KINDS)('liaison taxii collections and roles (%s)', (kind) => {
  let location: TestStoreLocation

  beforeAll(async () => {
    location = await createStoreLocation(kind)
    expect((await liaison(location, ['migrate'])).code).toBe(0)
  })
  afterAll(async () => {
    await location.drop()
  })

  it('lists the collections with the roles that may read and write each, in text and JSON', async () => {
    const text = await liaison(location, ['taxii', 'collections'])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toMatch(/^ID\s+ALIAS\s+TITLE\s+READ\s+WRITE/)
    expect(text.stdout).toMatch(/\bcommunity\b/)
    const items = cliJson<CollectionRoles[]>(await liaison(location, ['taxii', 'collections', '--json']))
    expect(items.map((c) => c.alias).sort()).toEqual(['community', 'federation', 'organisation', 'public'])
    for (const collection of items) {
      expect(collection.readRoles).toEqual([...ROLES])
      expect(collection.writeRoles).toEqual(ALL_BUT_VIEWER)
    }
  })

  it('sets the roles of a collection (audited as the operator), keeping a list that is not given', async () => {
    const changed = cliJson<CollectionRoles>(
      await liaison(location, [
        'taxii',
        'roles',
        'community',
        '--read',
        'analyst,handler',
        '--write',
        'analyst',
        '--json',
      ]),
    )
    expect(changed).toMatchObject({
      alias: 'community',
      readRoles: ['analyst', 'handler'],
      writeRoles: ['analyst'],
    })

    const text = await liaison(location, ['taxii', 'roles', changed.id, '--write', ''])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toBe(`Collection community (${changed.id}): read analyst,handler; write (nobody)\n`)

    const items = cliJson<CollectionRoles[]>(await liaison(location, ['taxii', 'collections', '--json']))
    expect(items.find((c) => c.alias === 'community')).toMatchObject({
      readRoles: ['analyst', 'handler'],
      writeRoles: [],
    })
    expect(items.find((c) => c.alias === 'federation')).toMatchObject({ readRoles: [...ROLES] })

    const store = await openTestStore(location)
    try {
      const entries = (await listRecentAudit(store.db, 50)).filter(
        (e) => e.action === 'taxii.collection_roles_changed' && e.target_id === changed.id,
      )
      expect(entries).toHaveLength(2)
      expect(entries.map((e) => e.actor_type)).toEqual(['cli', 'cli'])
      expect(entries.map((e) => JSON.parse(e.details) as unknown)).toContainEqual(
        expect.objectContaining({ readRoles: ['analyst', 'handler'], writeRoles: ['analyst'] }),
      )
    } finally {
      await store.close()
    }
  })

  it('refuses an unknown role, an unknown collection and a call without roles (exit 2), changing nothing', async () => {
    const before = await liaison(location, ['taxii', 'collections', '--json'])
    const unknownRole = await liaison(location, ['taxii', 'roles', 'public', '--read', 'analyst,boss'])
    expect(unknownRole.code).toBe(2)
    expect(unknownRole.stderr).toContain('unknown role boss')
    const unknownCollection = await liaison(location, ['taxii', 'roles', 'no-such', '--read', 'analyst'])
    expect(unknownCollection.code).toBe(2)
    expect(unknownCollection.stderr).toContain('collection no-such not found')
    const nothing = await liaison(location, ['taxii', 'roles', 'public'])
    expect(nothing.code).toBe(2)
    expect(nothing.stderr).toContain('give --read, --write or both')
    expect((await liaison(location, ['taxii', 'collections', '--json'])).stdout).toBe(before.stdout)
  })
})
