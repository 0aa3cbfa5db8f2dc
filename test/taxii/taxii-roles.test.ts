import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { indicator } from '../helpers/stix.js'
import { ROLES } from '../../src/core/account/account.js'
import { createGroup } from '../../src/server/modules/group/group.service.js'
import { createUserWithPassword, TEST_OPERATOR } from '../helpers/factories.js'
import { ApiClient, errorCode, type TestResponse } from '../helpers/http.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { STORE_KINDS } from '../helpers/stores.js'
import {
  createApiKey,
  ROOT,
  storedItems,
  taxiiErrorCode,
  TaxiiClient,
  type EnvelopeBody,
} from '../helpers/taxii.js'

interface CollectionRolesBody {
  id: string
  alias: string
  title: string
  audience: string
  sharingGroupId: string | null
  readRoles: string[]
  writeRoles: string[]
}

interface AuditBody {
  items: {
    action: string
    actorUserId: string | null
    targetType: string
    targetId: string | null
    details: Record<string, unknown>
  }[]
}

const ALL_BUT_VIEWER = ROLES.filter((r) => r !== 'viewer')

function errorField(res: TestResponse): unknown {
  return (res.body as { error?: { details?: { field?: unknown } } }).error?.details?.field
}

describe.each(STORE_KINDS)('who may read and write a TAXII collection, over HTTP (%s)', (kind) => {
  let server: TestServer
  /** An instance admin, logged in with a session. */
  let admin: ApiClient
  let adminUserId: string
  /** An analyst of organisation A: a session, and a TAXII client with an API key. */
  let analyst: ApiClient
  let analystTaxii: TaxiiClient
  let analystOrg: string
  /** A viewer of organisation A. */
  let viewer: ApiClient
  let viewerTaxii: TaxiiClient

  /** A new sharing group of A with its TAXII collection (made by the analyst's first use). */
  async function freshGroupCollection(): Promise<{ id: string; alias: string; groupName: string }> {
    const groupName = `G ${randomUUID().slice(0, 8)}`
    const group = await createGroup(server.store.db, TEST_OPERATOR, {
      name: groupName,
      ownerOrgId: analystOrg,
      memberOrgIds: [],
    })
    const res = await analystTaxii.get<{ id: string }>(`${ROOT}collections/group-${group.group.id}/`)
    expect(res.status, res.text).toBe(200)
    return { id: res.body.id, alias: `group-${group.group.id}`, groupName }
  }

  async function rolesOf(idOrAlias: string): Promise<CollectionRolesBody | undefined> {
    const res = await admin.get<{ items: CollectionRolesBody[]; total: number }>('/api/v1/taxii/collections')
    expect(res.status, res.text).toBe(200)
    return res.body.items.find((c) => c.id === idOrAlias || c.alias === idOrAlias)
  }

  beforeAll(async () => {
    server = await startTestServer(kind)
    const password = `admin passphrase ${randomUUID()}`
    const { user } = await createUserWithPassword(server.store, {
      orgId: server.admin.orgId,
      role: 'admin',
      password,
    })
    adminUserId = user.id
    admin = server.client()
    await admin.login(user.email, password)
    const a = await server.loginAsNewUser({ role: 'analyst' })
    analyst = a.client
    analystOrg = a.orgId
    analystTaxii = new TaxiiClient(server.url, await createApiKey(a.client))
    const v = await server.loginAsNewUser({ role: 'viewer', orgId: a.orgId })
    viewer = v.client
    viewerTaxii = new TaxiiClient(server.url, await createApiKey(v.client))
  })
  afterAll(async () => {
    await server?.close()
  })

  it('is described in the OpenAPI document', async () => {
    const spec = await server
      .client()
      .get<{ paths: Record<string, Record<string, { summary?: string }>> }>('/api/docs/json')
    expect(spec.status).toBe(200)
    expect(spec.body.paths['/api/v1/taxii/collections']?.get?.summary).toMatch(/instance admins/)
    expect(spec.body.paths['/api/v1/taxii/collections/{id}/roles']?.put?.summary).toMatch(/audited/)
  })

  it('answers 401 to anonymous callers and 403 to viewers and analysts, before looking at the collection', async () => {
    const body = { readRoles: ['admin'], writeRoles: [] }
    const anonymous = server.client()
    for (const res of [
      await anonymous.get('/api/v1/taxii/collections'),
      await anonymous.request('PUT', '/api/v1/taxii/collections/community/roles', body),
    ]) {
      expect(res.status, res.text).toBe(401)
      expect(errorCode(res)).toBe('unauthenticated')
    }
    for (const client of [viewer, analyst]) {
      for (const res of [
        await client.get('/api/v1/taxii/collections'),
        await client.request('PUT', '/api/v1/taxii/collections/community/roles', body),
        await client.request('PUT', '/api/v1/taxii/collections/no-such-collection/roles', body),
        await client.request('PUT', '/api/v1/taxii/collections/community/roles', {
          readRoles: ['boss'],
          writeRoles: [],
        }),
      ]) {
        expect(res.status, res.text).toBe(403)
        expect(errorCode(res)).toBe('forbidden')
      }
    }
    // An API key of an analyst is no better than its session.
    const keyed = new ApiClient(server.url)
    keyed.bearer = await createApiKey(analyst, 'roles probe')
    expect((await keyed.request('PUT', '/api/v1/taxii/collections/community/roles', body)).status).toBe(403)
    expect(await rolesOf('community')).toMatchObject({ readRoles: [...ROLES], writeRoles: ALL_BUT_VIEWER })
  })

  it('lists every collection to instance admins with alias, title and roles, those of groups they are not in too', async () => {
    const group = await freshGroupCollection()
    const res = await admin.get<{ items: CollectionRolesBody[]; total: number }>('/api/v1/taxii/collections')
    expect(res.status, res.text).toBe(200)
    expect(res.body.total).toBe(res.body.items.length)
    const aliases = res.body.items.map((c) => c.alias)
    for (const alias of ['organisation', 'community', 'federation', 'public', group.alias]) {
      expect(aliases).toContain(alias)
    }
    const community = res.body.items.find((c) => c.alias === 'community')
    expect(community).toMatchObject({
      audience: 'community',
      sharingGroupId: null,
      readRoles: [...ROLES],
      writeRoles: ALL_BUT_VIEWER,
    })
    expect(community?.title).not.toBe('')
    expect(res.body.items.find((c) => c.alias === group.alias)).toEqual({
      id: group.id,
      alias: group.alias,
      title: `Sharing group ${group.groupName}`,
      audience: 'group',
      sharingGroupId: group.alias.slice('group-'.length),
      readRoles: [...ROLES],
      writeRoles: ALL_BUT_VIEWER,
    })
  })

  it('lists, and sets the roles of, the collection of a group no member has used TAXII with yet', async () => {
    const groupName = `Unused ${randomUUID().slice(0, 8)}`
    const group = await createGroup(server.store.db, TEST_OPERATOR, {
      name: groupName,
      ownerOrgId: analystOrg,
      memberOrgIds: [],
    })
    const alias = `group-${group.group.id}`
    expect(await rolesOf(alias)).toMatchObject({
      alias,
      title: `Sharing group ${groupName}`,
      audience: 'group',
      sharingGroupId: group.group.id,
      readRoles: [...ROLES],
      writeRoles: ALL_BUT_VIEWER,
    })
    // A second group, first named by the admin setting its roles.
    const other = await createGroup(server.store.db, TEST_OPERATOR, {
      name: `Unused ${randomUUID().slice(0, 8)}`,
      ownerOrgId: analystOrg,
      memberOrgIds: [],
    })
    const set = await admin.request('PUT', `/api/v1/taxii/collections/group-${other.group.id}/roles`, {
      readRoles: ['admin', 'analyst'],
      writeRoles: ['admin'],
    })
    expect(set.status, set.text).toBe(204)
    // The member that then uses TAXII finds that collection, with those roles: the analyst reads it.
    const seen = await analystTaxii.get<{ id: string; can_read: boolean; can_write: boolean }>(
      `${ROOT}collections/group-${other.group.id}/`,
    )
    expect(seen.status, seen.text).toBe(200)
    expect(seen.body).toMatchObject({ can_read: true, can_write: false })
  })

  it('sets the roles by alias or id (204, audited); 400 naming the field for an unknown role; 404 for an unknown collection', async () => {
    const collection = await freshGroupCollection()
    const byAlias = await admin.request('PUT', `/api/v1/taxii/collections/${collection.alias}/roles`, {
      readRoles: ['analyst', 'handler'],
      writeRoles: ['analyst'],
    })
    expect(byAlias.status, byAlias.text).toBe(204)
    expect(byAlias.text).toBe('')
    expect(await rolesOf(collection.id)).toMatchObject({
      readRoles: ['analyst', 'handler'],
      writeRoles: ['analyst'],
    })

    const audit = await admin.get<AuditBody>('/api/v1/audit?limit=20')
    expect(audit.status, audit.text).toBe(200)
    const entry = audit.body.items.find(
      (e) => e.action === 'taxii.collection_roles_changed' && e.targetId === collection.id,
    )
    expect(entry).toMatchObject({
      actorUserId: adminUserId,
      targetType: 'taxii_collection',
      details: { readRoles: ['analyst', 'handler'], writeRoles: ['analyst'] },
    })

    const byId = await admin.request('PUT', `/api/v1/taxii/collections/${collection.id}/roles`, {
      readRoles: ['viewer', 'analyst'],
      writeRoles: [],
    })
    expect(byId.status, byId.text).toBe(204)
    expect(await rolesOf(collection.id)).toMatchObject({ readRoles: ['viewer', 'analyst'], writeRoles: [] })

    for (const [body, field] of [
      [{ readRoles: ['analyst', 'boss'], writeRoles: [] }, 'readRoles'],
      [{ readRoles: [], writeRoles: ['chief'] }, 'writeRoles'],
      [{ readRoles: ['analyst'] }, 'writeRoles'],
    ] as const) {
      const res = await admin.request('PUT', `/api/v1/taxii/collections/${collection.alias}/roles`, body)
      expect(res.status, res.text).toBe(400)
      expect(errorCode(res)).toBe('validation_failed')
      expect(errorField(res)).toBe(field)
    }
    const unknownRole = await admin.request('PUT', `/api/v1/taxii/collections/${collection.alias}/roles`, {
      readRoles: ['boss'],
      writeRoles: [],
    })
    expect((unknownRole.body as { error: { message: string } }).error.message).toBe(
      'readRoles: unknown role boss',
    )
    // Nothing was changed by the refused requests.
    expect(await rolesOf(collection.id)).toMatchObject({ readRoles: ['viewer', 'analyst'], writeRoles: [] })

    for (const ref of ['no-such-collection', randomUUID()]) {
      const res = await admin.request('PUT', `/api/v1/taxii/collections/${ref}/roles`, {
        readRoles: ['analyst'],
        writeRoles: ['analyst'],
      })
      expect(res.status, res.text).toBe(404)
      expect(errorCode(res)).toBe('not_found')
    }
  })

  it('takes TAXII read and write away from a role that loses them, and gives them back', async () => {
    const collection = await freshGroupCollection()
    const objects = `${ROOT}collections/${collection.alias}/objects/`
    const posted = indicator()
    const status = await analystTaxii.postAndWait(collection.alias, [posted])
    expect(status.success_count).toBe(1)
    const before = await analystTaxii.get<EnvelopeBody>(objects)
    expect(before.status, before.text).toBe(200)
    expect(storedItems(before.body.objects).map((o) => o.id)).toEqual([posted.id])

    const setRoles = async (readRoles: string[], writeRoles: string[]) => {
      const res = await admin.request('PUT', `/api/v1/taxii/collections/${collection.id}/roles`, {
        readRoles,
        writeRoles,
      })
      expect(res.status, res.text).toBe(204)
    }

    // Analysts may no longer read: every read is 403; viewers still read.
    await setRoles(
      ROLES.filter((r) => r !== 'analyst'),
      ALL_BUT_VIEWER,
    )
    for (const endpoint of [
      'objects/',
      'manifest/',
      `objects/${posted.id}/`,
      `objects/${posted.id}/versions/`,
    ]) {
      const read = await analystTaxii.get(`${ROOT}collections/${collection.alias}/${endpoint}`)
      expect(read.status, endpoint).toBe(403)
      expect(taxiiErrorCode(read)).toBe('forbidden')
    }
    const flags = await analystTaxii.get<{ can_read: boolean; can_write: boolean }>(
      `${ROOT}collections/${collection.alias}/`,
    )
    expect(flags.body).toMatchObject({ can_read: false, can_write: true })
    expect((await viewerTaxii.get(objects)).status).toBe(200)

    // Analysts read again but may no longer write.
    await setRoles([...ROLES], ['handler'])
    expect((await analystTaxii.get(objects)).status).toBe(200)
    const refused = await analystTaxii.post(objects, { objects: [indicator()] })
    expect(refused.status, refused.text).toBe(403)
    expect(taxiiErrorCode(refused)).toBe('forbidden')

    // Given back, writing works again.
    await setRoles([...ROLES], ALL_BUT_VIEWER)
    expect((await analystTaxii.postAndWait(collection.alias, [indicator()])).success_count).toBe(1)
  })
})
