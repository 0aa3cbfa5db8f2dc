import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOrg, createUserWithPassword } from '../helpers/factories.js'
import { errorCode } from '../helpers/http.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { STORE_KINDS } from '../helpers/stores.js'

describe.each(STORE_KINDS)('authentication (%s)', (kind) => {
  let server: TestServer

  beforeAll(async () => {
    server = await startTestServer(kind, {
      LIAISON_LOGIN_MAX_PER_ACCOUNT: '3',
      LIAISON_LOGIN_MAX_PER_ADDRESS: '1000',
    })
  })
  afterAll(async () => {
    await server.close()
  })

  it('reports health with the store in use, without login', async () => {
    const res = await server.client().get('/api/v1/health')
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ status: 'ok', store: kind, instanceName: 'Liaison' })
    expect(res.body.version).toMatch(/^\d+\.\d+\.\d+/)
  })

  it('forces the first-start admin to change the one-time password before anything else', async () => {
    const client = server.client()
    const me = await client.login(server.admin.email, server.admin.oneTimePassword)
    expect(me).toMatchObject({
      authMethod: 'session',
      isInstanceAdmin: true,
      user: { mustChangePassword: true, role: 'admin' },
    })

    const blocked = await client.get('/api/v1/organisations')
    expect(blocked.status).toBe(403)
    expect(errorCode(blocked)).toBe('password_change_required')

    const tooShort = await client.post('/api/v1/auth/password', {
      currentPassword: server.admin.oneTimePassword,
      newPassword: 'short',
    })
    expect(tooShort.status).toBe(400)
    expect(tooShort.body).toMatchObject({ error: { details: { field: 'newPassword' } } })

    const wrongCurrent = await client.post('/api/v1/auth/password', {
      currentPassword: 'not the password',
      newPassword: 'a much better passphrase',
    })
    expect(wrongCurrent.status).toBe(400)
    expect(wrongCurrent.body).toMatchObject({ error: { details: { field: 'currentPassword' } } })

    const changed = await client.post('/api/v1/auth/password', {
      currentPassword: server.admin.oneTimePassword,
      newPassword: 'a much better passphrase',
    })
    expect(changed.status).toBe(200)
    expect(changed.body).toMatchObject({ user: { mustChangePassword: false } })
    expect((await client.get('/api/v1/organisations')).status).toBe(200)

    const again = server.client()
    const oldPassword = await again.post('/api/v1/auth/login', {
      email: server.admin.email,
      password: server.admin.oneTimePassword,
    })
    expect(oldPassword.status).toBe(401)
    await again.login(server.admin.email, 'a much better passphrase')
  })

  it('sets an httpOnly, SameSite=Strict session cookie and needs the CSRF token for writes', async () => {
    const org = await createOrg(server.store)
    const { user, password } = await createUserWithPassword(server.store, { orgId: org.id })
    const res = await server
      .client()
      .post('/api/v1/auth/login', { email: user.email.toUpperCase(), password })
    expect(res.status).toBe(200)
    const cookie = res.headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(/^liaison_session=/)
    expect(cookie).toMatch(/HttpOnly/i)
    expect(cookie).toMatch(/SameSite=Strict/i)
    expect(cookie).toMatch(/Path=\//)

    const { client } = await server.loginAsNewUser()
    const token = client.csrfToken
    client.csrfToken = null
    const noToken = await client.post('/api/v1/apikeys', { name: 'x' })
    expect(noToken.status).toBe(403)
    expect(errorCode(noToken)).toBe('csrf_failed')
    const wrongToken = await client.request(
      'POST',
      '/api/v1/apikeys',
      { name: 'x' },
      { 'x-csrf-token': 'nope' },
    )
    expect(wrongToken.status).toBe(403)
    client.csrfToken = token
    expect((await client.post('/api/v1/apikeys', { name: 'x' })).status).toBe(201)
  })

  it('answers 401 with the error shape for wrong passwords and unknown accounts alike', async () => {
    const org = await createOrg(server.store)
    const { user } = await createUserWithPassword(server.store, { orgId: org.id })
    const wrong = await server
      .client()
      .post('/api/v1/auth/login', { email: user.email, password: 'wrong password!' })
    const unknown = await server
      .client()
      .post('/api/v1/auth/login', { email: 'nobody@example.org', password: 'x' })
    expect(wrong.status).toBe(401)
    expect(unknown.status).toBe(401)
    expect(errorCode(wrong)).toBe('invalid_credentials')
    expect(wrong.body).toEqual(unknown.body)
  })

  it('locks an account after repeated failures, even against the right password, and audits the failures', async () => {
    const org = await createOrg(server.store)
    const { user, password } = await createUserWithPassword(server.store, { orgId: org.id })
    for (let i = 0; i < 3; i++) {
      const res = await server
        .client()
        .post('/api/v1/auth/login', { email: user.email, password: `wrong-${i}` })
      expect(res.status).toBe(401)
    }
    const locked = await server.client().post('/api/v1/auth/login', { email: user.email, password })
    expect(locked.status).toBe(429)
    expect(errorCode(locked)).toBe('too_many_attempts')
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(locked.body).toMatchObject({ error: { details: { scope: 'account' } } })

    const failures = await server.store.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', '=', 'auth.login_failed')
      .where('target_id', '=', user.id)
      .execute()
    expect(failures).toHaveLength(3)
  })

  it('ends the session on logout', async () => {
    const { client } = await server.loginAsNewUser()
    expect((await client.get('/api/v1/me')).status).toBe(200)
    const cookie = client.cookie
    expect((await client.post('/api/v1/auth/logout')).status).toBe(204)
    client.cookie = cookie
    const after = await client.get('/api/v1/me')
    expect(after.status).toBe(401)
    expect(errorCode(after)).toBe('unauthenticated')
  })

  it('ends other sessions when the password changes', async () => {
    const { client, email, password } = await server.loginAsNewUser()
    const other = server.client()
    await other.login(email, password)
    const res = await client.post('/api/v1/auth/password', {
      currentPassword: password,
      newPassword: 'brand new passphrase',
    })
    expect(res.status).toBe(200)
    expect((await client.get('/api/v1/me')).status).toBe(200)
    expect((await other.get('/api/v1/me')).status).toBe(401)
  })
})

describe.each(STORE_KINDS)('login limit per address (%s)', (kind) => {
  let server: TestServer

  beforeAll(async () => {
    server = await startTestServer(kind, {
      LIAISON_LOGIN_MAX_PER_ADDRESS: '4',
      LIAISON_LOGIN_MAX_PER_ACCOUNT: '100',
    })
  })
  afterAll(async () => {
    await server.close()
  })

  it('refuses further logins from an address after too many failures across accounts', async () => {
    for (let i = 0; i < 4; i++) {
      const res = await server
        .client()
        .post('/api/v1/auth/login', { email: `probe${i}@example.org`, password: 'x' })
      expect(res.status).toBe(401)
    }
    const org = await createOrg(server.store)
    const { user, password } = await createUserWithPassword(server.store, { orgId: org.id })
    const res = await server.client().post('/api/v1/auth/login', { email: user.email, password })
    expect(res.status).toBe(429)
    expect(res.body).toMatchObject({ error: { code: 'too_many_attempts', details: { scope: 'address' } } })
  })
})
