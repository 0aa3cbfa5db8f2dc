import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { errorCode, type ApiClient } from '../helpers/http.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { STORE_KINDS } from '../helpers/stores.js'

interface Operation {
  method: string
  path: string
  hasBody: boolean
  hasQuery: boolean
  /** The response codes it documents (`200`, `4XX`, `5XX`…). */
  responses: string[]
}

interface SpecOperation {
  requestBody?: unknown
  parameters?: { in: string }[]
  responses?: Record<string, unknown>
}

/** Routes anyone may call; every other route must answer 401 without credentials. */
const PUBLIC = new Set([
  'GET /api/v1/health',
  'POST /api/v1/auth/login',
  // Public documents are for anyone; the visibility rule decides what an anonymous caller gets.
  'GET /api/v1/knowledge/documents',
  'GET /api/v1/knowledge/documents/count',
  'GET /api/v1/knowledge/documents/{id}',
  // So are public intelligence objects: search, detail, correlation and export filter by the rule.
  'GET /api/v1/intel/objects',
  'GET /api/v1/intel/objects/{id}',
  'GET /api/v1/intel/objects/{id}/sightings',
  'GET /api/v1/intel/objects/{id}/related',
  'GET /api/v1/intel/correlate',
  'POST /api/v1/intel/correlate',
  'GET /api/v1/intel/export',
  'GET /api/v1/intel/expired',
  // Anyone may report an incident; the reporter's status routes are opened by the secret token.
  'POST /api/v1/reports',
  'GET /api/v1/reports/status/{trackingId}',
  'POST /api/v1/reports/status/{trackingId}/messages',
])

function operationsOf(spec: { paths: Record<string, Record<string, SpecOperation>> }): Operation[] {
  const ops: Operation[] = []
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      ops.push({
        method: method.toUpperCase(),
        path,
        hasBody: op.requestBody !== undefined,
        hasQuery: (op.parameters ?? []).some((p) => p.in === 'query'),
        responses: Object.keys(op.responses ?? {}).map((code) => code.toUpperCase()),
      })
    }
  }
  return ops
}

function fill(path: string, id: string): string {
  return path.replace(/\{[^}]+\}/g, id)
}

describe.each(STORE_KINDS)('every endpoint (%s)', (kind) => {
  let server: TestServer
  let admin: ApiClient
  let ops: Operation[]

  beforeAll(async () => {
    server = await startTestServer(kind)
    admin = server.client()
    await admin.login(server.admin.email, server.admin.oneTimePassword)
    const changed = await admin.post('/api/v1/auth/password', {
      currentPassword: server.admin.oneTimePassword,
      newPassword: 'contract test passphrase',
    })
    expect(changed.status).toBe(200)
    const spec = await server
      .client()
      .get<{ openapi: string; paths: Record<string, Record<string, SpecOperation>> }>('/api/docs/json')
    expect(spec.body.openapi).toMatch(/^3\./)
    ops = operationsOf(spec.body).filter((op) => op.path.startsWith('/api/v1/'))
  })
  afterAll(async () => {
    await server.close()
  })

  it('describes the API in OpenAPI 3, with a browsable page', async () => {
    const paths = ops.map((op) => `${op.method} ${op.path}`)
    for (const expected of [
      'GET /api/v1/health',
      'GET /api/v1/me',
      'POST /api/v1/auth/login',
      'POST /api/v1/auth/password',
      'POST /api/v1/organisations',
      'POST /api/v1/users',
      'POST /api/v1/apikeys',
      'DELETE /api/v1/apikeys/{id}',
      'GET /api/v1/audit',
    ]) {
      expect(paths).toContain(expected)
    }
    // Every operation documents its error answers: 4xx, and 5xx (`internal`, `store_busy`).
    const undocumented = ops
      .filter((op) => !op.responses.includes('4XX') || !op.responses.includes('5XX'))
      .map((op) => `${op.method} ${op.path}: ${op.responses.join(' ')}`)
    expect(undocumented).toEqual([])
    const page = await server.client().get('/api/docs')
    const html = page.status === 302 ? await server.client().get(page.headers.get('location') ?? '') : page
    expect(html.status).toBe(200)
    expect(html.text).toMatch(/swagger/i)
  })

  it('answers 401 with the error shape to unauthenticated calls', async () => {
    for (const op of ops) {
      const key = `${op.method} ${op.path}`
      const res = await server
        .client()
        .request(op.method, fill(op.path, randomUUID()), op.hasBody ? {} : undefined)
      if (PUBLIC.has(key)) {
        expect(res.status, key).toBeLessThan(500)
        continue
      }
      expect(res.status, key).toBe(401)
      expect(errorCode(res), key).toBe('unauthenticated')
    }
  })

  it('answers bad input with a 4xx in the error shape, never a 500', async () => {
    const badBodies: unknown[] = [
      '{not json',
      '[]',
      '"text"',
      '{"unexpected": true}',
      '{"name": 42, "email": []}',
    ]
    for (const op of ops) {
      const key = `${op.method} ${op.path}`
      if (!op.hasBody && !op.hasQuery && !op.path.includes('{')) {
        // Nothing to get wrong (logout, me, health).
        continue
      }
      const targets = op.path.includes('{')
        ? [fill(op.path, 'not-an-id'), fill(op.path, randomUUID())]
        : [op.path]
      for (const target of targets) {
        const bodies = op.hasBody ? badBodies : [undefined]
        for (const body of bodies) {
          const res = await admin.request(
            op.method,
            `${target}${op.hasQuery ? '?limit=-5&bogus=1' : ''}`,
            body,
          )
          expect(res.status, `${key} ${target} ${String(body)}`).toBeGreaterThanOrEqual(400)
          expect(res.status, `${key} ${target} ${String(body)}`).toBeLessThan(500)
          errorCode(res)
        }
      }
    }
  })

  it('answers 404 in the error shape for unknown routes and ids', async () => {
    const route = await admin.get('/api/v1/no-such-thing')
    expect(route.status).toBe(404)
    expect(errorCode(route)).toBe('not_found')
    for (const path of ['/api/v1/organisations/', '/api/v1/users/']) {
      const res = await admin.get(`${path}${randomUUID()}`)
      expect(res.status, path).toBe(404)
      expect(errorCode(res)).toBe('not_found')
    }
  })

  it('sends the security headers on every kind of answer', async () => {
    const answers = {
      api: await admin.get('/api/v1/me'),
      error: await server.client().get('/api/v1/me'),
      unknown: await admin.get('/api/v1/no-such-thing'),
      page: await server.client().get('/'),
    }
    for (const [name, res] of Object.entries(answers)) {
      const csp = res.headers.get('content-security-policy') ?? ''
      expect(csp, name).toContain("default-src 'self'")
      expect(csp, name).toContain("frame-ancestors 'none'")
      expect(csp, name).toContain("object-src 'none'")
      expect(csp, name).not.toContain('upgrade-insecure-requests')
      expect(res.headers.get('x-content-type-options'), name).toBe('nosniff')
      expect(res.headers.get('x-frame-options'), name).toBe('SAMEORIGIN')
      expect(res.headers.get('referrer-policy'), name).toBe('no-referrer')
      expect(res.headers.get('cross-origin-opener-policy'), name).toBe('same-origin')
      expect(res.headers.has('x-powered-by'), name).toBe(false)
    }
  })

  it('rejects bodies larger than the limit with 413', async () => {
    const res = await admin.post('/api/v1/organisations', {
      name: 'x'.repeat(2 * 1024 * 1024),
      type: 'other',
    })
    expect(res.status).toBe(413)
    expect(errorCode(res)).toBe('payload_too_large')
  })
})
