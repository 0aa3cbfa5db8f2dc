import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOrg, createUserWithPassword } from '../helpers/factories.js'
import { errorCode, type ApiClient } from '../helpers/http.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { STORE_KINDS } from '../helpers/stores.js'

interface Item {
  id: string
  [key: string]: unknown
}

describe.each(STORE_KINDS)('organisations, users and API keys (%s)', (kind) => {
  let server: TestServer
  let admin: ApiClient

  beforeAll(async () => {
    server = await startTestServer(kind)
    admin = server.client()
    await admin.login(server.admin.email, server.admin.oneTimePassword)
    const changed = await admin.post('/api/v1/auth/password', {
      currentPassword: server.admin.oneTimePassword,
      newPassword: 'instance operator passphrase',
    })
    expect(changed.status).toBe(200)
  })
  afterAll(async () => {
    await server.close()
  })

  it('lets the instance admin create, read and change organisations; names are unique without case', async () => {
    const created = await admin.post<Item>('/api/v1/organisations', {
      name: 'CERT-Test',
      type: 'national-csirt',
      country: 'FR',
      sector: 'government',
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      name: 'CERT-Test',
      type: 'national-csirt',
      country: 'FR',
      isInstanceOwner: false,
    })

    const dup = await admin.post('/api/v1/organisations', { name: 'cert-test', type: 'isac' })
    expect(dup.status).toBe(409)
    expect(dup.body).toMatchObject({ error: { code: 'conflict', details: { field: 'name' } } })

    const read = await admin.get<Item>(`/api/v1/organisations/${created.body.id}`)
    expect(read.body).toEqual(created.body)

    const changed = await admin.patch<Item>(`/api/v1/organisations/${created.body.id}`, { sector: 'energy' })
    expect(changed.status).toBe(200)
    expect(changed.body.sector).toBe('energy')

    const list = await admin.get<{ items: Item[]; total: number }>('/api/v1/organisations?limit=500')
    expect(list.body.items.map((o) => o.id)).toContain(created.body.id)
    expect(list.body.total).toBe(list.body.items.length)
  })

  it('names the field in a 400 and changes nothing on bad organisation input', async () => {
    const before = await admin.get<{ total: number }>('/api/v1/organisations')
    const cases: [unknown, string][] = [
      [{ type: 'isac' }, 'name'],
      [{ name: 'X', type: 'pirates' }, 'type'],
      [{ name: 'X', type: 'isac', country: 'germany' }, 'country'],
      [{ name: 'X', type: 'isac', extra: 1 }, 'extra'],
      [{ name: '', type: 'isac' }, 'name'],
    ]
    for (const [body, field] of cases) {
      const res = await admin.post('/api/v1/organisations', body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(errorCode(res)).toBe('validation_failed')
      expect(res.body).toMatchObject({ error: { details: { field } } })
      expect((res.body as { error: { message: string } }).error.message.startsWith(`${field}:`)).toBe(true)
    }
    const after = await admin.get<{ total: number }>('/api/v1/organisations')
    expect(after.body.total).toBe(before.body.total)
  })

  it('does not let non-admins create organisations or users', async () => {
    for (const role of ['handler', 'analyst', 'liaison', 'coordinator', 'viewer'] as const) {
      const { client, orgId } = await server.loginAsNewUser({ role })
      const org = await client.post('/api/v1/organisations', { name: `By ${role}`, type: 'other' })
      expect(org.status, role).toBe(403)
      const user = await client.post('/api/v1/users', {
        email: `made-by-${role}@example.org`,
        name: 'N',
        role: 'viewer',
        orgId,
      })
      expect(user.status, role).toBe(403)
    }
  })

  it('lets an organisation admin manage its own members only', async () => {
    const { client: orgAdmin, orgId } = await server.loginAsNewUser({ role: 'admin' })
    const created = await orgAdmin.post<{ user: Item; oneTimePassword: string }>('/api/v1/users', {
      email: 'member@own.example',
      name: 'Member',
      role: 'handler',
      orgId,
    })
    expect(created.status).toBe(201)
    expect(created.body.oneTimePassword).toMatch(/^[A-Za-z0-9]{20}$/)
    expect(created.body.user).toMatchObject({ mustChangePassword: true, role: 'handler', orgId })

    const other = await createOrg(server.store)
    const elsewhere = await orgAdmin.post('/api/v1/users', {
      email: 'x@other.example',
      name: 'X',
      role: 'viewer',
      orgId: other.id,
    })
    expect(elsewhere.status).toBe(404)

    const list = await orgAdmin.get<{ items: Item[] }>('/api/v1/users')
    expect(list.body.items.every((u) => u.orgId === orgId)).toBe(true)
    const otherList = await orgAdmin.get<{ items: Item[]; total: number }>(`/api/v1/users?orgId=${other.id}`)
    expect(otherList.body).toEqual({ items: [], total: 0 })

    const { user: outsider } = await createUserWithPassword(server.store, { orgId: other.id })
    expect((await orgAdmin.get(`/api/v1/users/${outsider.id}`)).status).toBe(404)
    expect((await orgAdmin.patch(`/api/v1/users/${outsider.id}`, { role: 'admin' })).status).toBe(404)

    const promoted = await orgAdmin.patch<Item>(`/api/v1/users/${created.body.user.id}`, { role: 'analyst' })
    expect(promoted.body.role).toBe('analyst')

    const me = await orgAdmin.get<{ user: Item }>('/api/v1/me')
    const self = await orgAdmin.patch(`/api/v1/users/${me.body.user.id}`, { disabled: true })
    expect(self.status).toBe(400)
    expect(me.body).toMatchObject({ isInstanceAdmin: false })
  })

  it('refuses a second user with the same e-mail', async () => {
    const org = await createOrg(server.store)
    const first = await admin.post('/api/v1/users', {
      email: 'Same@Example.org',
      name: 'A',
      role: 'viewer',
      orgId: org.id,
    })
    expect(first.status).toBe(201)
    const second = await admin.post('/api/v1/users', {
      email: 'same@example.org',
      name: 'B',
      role: 'viewer',
      orgId: org.id,
    })
    expect(second.status).toBe(409)
    expect(second.body).toMatchObject({ error: { details: { field: 'email' } } })
  })

  it('logs out and refuses logins of a disabled user', async () => {
    const org = await createOrg(server.store)
    const { user, password } = await createUserWithPassword(server.store, { orgId: org.id })
    const victim = server.client()
    await victim.login(user.email, password)
    const res = await admin.patch(`/api/v1/users/${user.id}`, { disabled: true })
    expect(res.status).toBe(200)
    expect((await victim.get('/api/v1/me')).status).toBe(401)
    expect((await server.client().post('/api/v1/auth/login', { email: user.email, password })).status).toBe(
      401,
    )
  })

  it('issues API keys that are shown once, stored hashed, track last use and stop working when revoked', async () => {
    const { client, userId } = await server.loginAsNewUser({ role: 'analyst' })
    const created = await client.post<{ apiKey: Item; token: string }>('/api/v1/apikeys', {
      name: 'feed sync',
    })
    expect(created.status).toBe(201)
    const { token, apiKey } = created.body
    expect(token).toMatch(/^lsn_/)
    expect(apiKey.lastUsedAt).toBeNull()

    const stored = await server.store.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', apiKey.id)
      .executeTakeFirstOrThrow()
    expect(stored.token_hash).not.toContain(token)
    expect(JSON.stringify(stored)).not.toContain(token)
    expect(stored.token_hash).toMatch(/^[0-9a-f]{64}$/)

    const script = server.client()
    script.bearer = token
    const me = await script.get('/api/v1/me')
    expect(me.status).toBe(200)
    expect(me.body).toMatchObject({ authMethod: 'apikey', csrfToken: null, user: { id: userId } })
    // Bearer requests need no CSRF token.
    expect((await script.post('/api/v1/apikeys', { name: 'second' })).status).toBe(201)

    const listed = await client.get<{ items: Item[] }>('/api/v1/apikeys')
    const listedKey = listed.body.items.find((k) => k.id === apiKey.id)
    expect(listedKey?.lastUsedAt).not.toBeNull()
    expect(JSON.stringify(listed.body)).not.toContain(token)

    const revoked = await client.delete<Item>(`/api/v1/apikeys/${apiKey.id}`)
    expect(revoked.status).toBe(200)
    expect(revoked.body.revokedAt).not.toBeNull()
    const after = await script.get('/api/v1/me')
    expect(after.status).toBe(401)
    expect(errorCode(after)).toBe('unauthenticated')
    expect((await client.delete(`/api/v1/apikeys/${apiKey.id}`)).status).toBe(409)

    const { client: stranger } = await server.loginAsNewUser()
    expect((await stranger.delete(`/api/v1/apikeys/${apiKey.id}`)).status).toBe(404)
  })

  it('refuses expired API keys and expiry dates in the past', async () => {
    const { client } = await server.loginAsNewUser()
    const past = await client.post('/api/v1/apikeys', { name: 'old', expiresAt: '2020-01-01T00:00:00Z' })
    expect(past.status).toBe(400)
    expect(past.body).toMatchObject({ error: { details: { field: 'expiresAt' } } })

    const soon = await client.post<{ apiKey: Item; token: string }>('/api/v1/apikeys', {
      name: 'soon',
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    })
    expect(soon.status).toBe(201)
    await server.store.db
      .updateTable('api_keys')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', soon.body.apiKey.id)
      .execute()
    const script = server.client()
    script.bearer = soon.body.token
    expect((await script.get('/api/v1/me')).status).toBe(401)
  })

  it('answers 401 for a malformed or unknown bearer token', async () => {
    const script = server.client()
    script.bearer = 'lsn_notarealtoken'
    expect((await script.get('/api/v1/me')).status).toBe(401)
    const res = await server
      .client()
      .request('GET', '/api/v1/me', undefined, { authorization: 'Basic Zm9vOmJhcg==' })
    expect(res.status).toBe(401)
  })
})
