import { createHash, randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Role } from '../../src/core/account/account.schema.js'
import { REPORT_LIMITS } from '../../src/core/incident/report.schema.js'
import { redactSecretParams } from '../../src/server/app.js'
import { linkReportsToIncident } from '../../src/server/modules/report/report.repository.js'
import { errorCode, type ApiClient, type TestResponse } from '../helpers/http.js'
import {
  assertExactVisibility,
  createLeakWorld,
  type LeakWorld,
  type Probe,
} from '../helpers/leak-harness.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { STORE_KINDS } from '../helpers/stores.js'

interface Receipt {
  trackingId: string
  statusUrl: string
}

interface StatusView {
  trackingId: string
  status: string
  summary: string
  submittedAt: string
  updatedAt: string
  messages: { id: string; from: string; body: string; createdAt: string }[]
  attachments: { filename: string; size: number; sha256: string; createdAt: string }[]
}

interface ReportWire {
  id: string
  trackingId: string
  channel: string
  status: string
  summary: string
  description: string
  affectedSystems: string | null
  reporter: {
    name: string | null
    email: string
    userId: string | null
    orgId: string | null
    address: string | null
  }
  nis2: { entityType: string | null; suspectedMalicious: boolean | null; crossBorderImpact: boolean | null }
  label: { ownerOrg: string; tlp: string; audience: string }
  messages: { from: string; body: string }[]
  attachments: { id: string; filename: string; contentType: string; size: number; sha256: string }[]
  observables: { kind: string; key: string; value: string }[]
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex')
}

function tokenOf(receipt: Receipt): string {
  const token = new URL(receipt.statusUrl).hash.replace(/^#token=/, '')
  expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
  return token
}

function minimalReport(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { reporter: { email: 'someone@example.org' }, summary: `Phishing wave ${randomUUID()}`, ...extra }
}

/** Posts a multipart form the way a browser does (cookie and CSRF token from `client`, if any). */
async function postForm(
  baseUrl: string,
  path: string,
  form: FormData,
  client?: ApiClient,
  headers: Record<string, string> = {},
): Promise<TestResponse> {
  const h: Record<string, string> = { ...headers }
  if (client?.cookie !== undefined && client.cookie !== null) {
    h.cookie = client.cookie
  }
  if (client?.csrfToken !== undefined && client.csrfToken !== null) {
    h['x-csrf-token'] = client.csrfToken
  }
  const response = await fetch(`${baseUrl}${path}`, { method: 'POST', body: form, headers: h })
  const text = await response.text()
  const body: unknown = (response.headers.get('content-type') ?? '').includes('json')
    ? JSON.parse(text)
    : text
  return { status: response.status, headers: response.headers, body, text }
}

function reportForm(fields: Record<string, unknown>, files: { name: string; type: string; bytes: Buffer }[]) {
  const form = new FormData()
  form.append('report', JSON.stringify(fields))
  for (const file of files) {
    form.append('attachments', new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.name)
  }
  return form
}

describe.each(STORE_KINDS)('incident reports (%s)', (kind) => {
  let server: TestServer
  let anonymous: ApiClient
  const staff = {} as Record<Role, { client: ApiClient; userId: string }>
  /** A handler of another organisation: right role, wrong organisation. */
  let outsider: ApiClient

  async function auditOf(action: string, targetId: string) {
    const rows = await server.store.db
      .selectFrom('audit_log')
      .select(['details', 'actor_type', 'actor_user_id'])
      .where('action', '=', action)
      .where('target_id', '=', targetId)
      .orderBy('seq')
      .execute()
    return rows.map((r) => ({
      ...(JSON.parse(r.details) as Record<string, unknown>),
      actorType: r.actor_type,
      actor: r.actor_user_id,
    }))
  }

  async function reportCount(): Promise<number> {
    const row = await server.store.db
      .selectFrom('reports')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    return Number(row.n)
  }

  async function submit(fields: Record<string, unknown> = minimalReport()): Promise<Receipt> {
    const res = await anonymous.post<Receipt>('/api/v1/reports', fields)
    expect(res.status, res.text).toBe(201)
    return res.body
  }

  async function idOf(trackingId: string): Promise<string> {
    const row = await server.store.db
      .selectFrom('reports')
      .select('id')
      .where('tracking_id', '=', trackingId)
      .executeTakeFirstOrThrow()
    return row.id
  }

  beforeAll(async () => {
    server = await startTestServer(kind, { LIAISON_REPORT_MAX_PER_ADDRESS: '1000' })
    anonymous = server.client()
    for (const role of ['admin', 'handler', 'analyst', 'liaison', 'coordinator', 'viewer'] as const) {
      const { client, userId } = await server.loginAsNewUser({ role, orgId: server.admin.orgId })
      staff[role] = { client, userId }
    }
    outsider = (await server.loginAsNewUser({ role: 'handler' })).client
  })

  afterAll(async () => {
    await server.close()
  })

  it('gives an anonymous report a tracking id and a status link that shows only that report', async () => {
    const fields = minimalReport({
      reporter: {
        name: 'Ann Reporter',
        email: 'ann@example.org',
        phone: '+32 2 555 0100',
        organisation: 'ACME',
      },
      occurredAt: '2026-11-23T22:15:00.000Z',
      affectedSystems: 'mail gateway mx1',
      description: 'Beacons to 198.51.100[.]7 and hxxps://evil-c2[.]com/gate.php',
      nis2: { entityType: 'important', suspectedMalicious: true, crossBorderImpact: false },
    })
    const receipt = await submit(fields)
    expect(receipt.trackingId).toMatch(/^LSN-[0-9A-HJKMNP-TV-Z]{8}$/)
    expect(receipt.statusUrl.startsWith(`${server.url}/report/status/${receipt.trackingId}#token=`)).toBe(
      true,
    )
    const token = tokenOf(receipt)

    const byHeader = await anonymous.request<StatusView>(
      'GET',
      `/api/v1/reports/status/${receipt.trackingId}`,
      undefined,
      { 'x-report-token': token },
    )
    expect(byHeader.status, byHeader.text).toBe(200)
    // Only the reporter's view: no label, contact, address, IOCs or incident.
    expect(Object.keys(byHeader.body).sort()).toEqual(
      ['attachments', 'messages', 'status', 'submittedAt', 'summary', 'trackingId', 'updatedAt'].sort(),
    )
    expect(byHeader.body).toMatchObject({
      trackingId: receipt.trackingId,
      status: 'new',
      summary: fields.summary,
    })
    const byQuery = await anonymous.get<StatusView>(
      `/api/v1/reports/status/${receipt.trackingId}?token=${encodeURIComponent(token)}`,
    )
    expect(byQuery.status).toBe(200)
    expect(byQuery.body).toEqual(byHeader.body)

    // It is in the triage queue, with everything the reporter gave.
    const queue = await staff.handler.client.get<{
      items: { trackingId: string; id: string }[]
      total: number
    }>('/api/v1/reports?status=new')
    expect(queue.status, queue.text).toBe(200)
    const entry = queue.body.items.find((i) => i.trackingId === receipt.trackingId)
    expect(entry).toBeDefined()
    const detail = await staff.handler.client.get<ReportWire>(`/api/v1/reports/${entry?.id}`)
    expect(detail.status, detail.text).toBe(200)
    expect(detail.body).toMatchObject({
      channel: 'web',
      status: 'new',
      affectedSystems: 'mail gateway mx1',
      reporter: {
        name: 'Ann Reporter',
        email: 'ann@example.org',
        userId: null,
        orgId: null,
        address: '127.0.0.1',
      },
      nis2: { entityType: 'important', suspectedMalicious: true, crossBorderImpact: false },
      label: { ownerOrg: server.admin.orgId, tlp: 'amber', audience: 'org' },
    })
    expect(detail.body.observables.map((o) => o.key)).toEqual(
      expect.arrayContaining(['ipv4:198.51.100.7', 'url:https://evil-c2.com/gate.php', 'domain:evil-c2.com']),
    )

    // Audited, from the client address, and the token is nowhere in the log.
    const audit = await auditOf('report.received', entry?.id ?? '')
    expect(audit).toEqual([
      expect.objectContaining({
        actorType: 'anonymous',
        address: '127.0.0.1',
        trackingId: receipt.trackingId,
        channel: 'web',
      }),
    ])
    const all = await server.store.db.selectFrom('audit_log').select('details').execute()
    expect(all.some((r) => r.details.includes(token))).toBe(false)
    const stored = await server.store.db
      .selectFrom('reports')
      .select('token_hash')
      .where('tracking_id', '=', receipt.trackingId)
      .executeTakeFirstOrThrow()
    expect(stored.token_hash).toBe(createHash('sha256').update(token).digest('hex'))
  })

  it('never shows one report through another report’s token; a wrong token looks like an unknown id', async () => {
    const one = await submit()
    const two = await submit()
    const oneToken = tokenOf(one)
    const twoToken = tokenOf(two)
    const crossed = await anonymous.get(`/api/v1/reports/status/${two.trackingId}?token=${oneToken}`)
    const wrong = await anonymous.get(`/api/v1/reports/status/${two.trackingId}?token=${'A'.repeat(43)}`)
    const none = await anonymous.get(`/api/v1/reports/status/${two.trackingId}`)
    const unknownId = 'LSN-ZZZZZZZZ'
    const unknown = await anonymous.get(`/api/v1/reports/status/${unknownId}?token=${twoToken}`)
    expect(unknown.status).toBe(404)
    for (const res of [crossed, wrong, none]) {
      expect(res.status).toBe(404)
      expect(errorCode(res)).toBe('not_found')
      expect(res.text.split(two.trackingId).join('<id>')).toBe(unknown.text.split(unknownId).join('<id>'))
    }
    // Adding information needs the right token too; nothing is stored otherwise.
    const post = await anonymous.request(
      'POST',
      `/api/v1/reports/status/${two.trackingId}/messages`,
      { body: 'sneaky' },
      { 'x-report-token': oneToken },
    )
    expect(post.status).toBe(404)
    const twoId = await idOf(two.trackingId)
    const messages = await server.store.db
      .selectFrom('report_messages')
      .select('id')
      .where('report_id', '=', twoId)
      .execute()
    expect(messages).toEqual([])
    // Each token opens its own report only.
    const mine = await anonymous.get<StatusView>(`/api/v1/reports/status/${one.trackingId}?token=${oneToken}`)
    expect(mine.status).toBe(200)
    expect(mine.body.trackingId).toBe(one.trackingId)
  })

  it('stores attachments with their SHA-256 and serves them only as downloads', async () => {
    const html = Buffer.from('<html><script>alert(1)</script></html>')
    const binary = Buffer.from([0, 1, 2, 255, 254, 10, 13])
    const res = await postForm(
      server.url,
      '/api/v1/reports',
      reportForm(minimalReport(), [
        { name: '../../evil.html', type: 'text/html', bytes: html },
        { name: 'dump.bin', type: 'application/octet-stream', bytes: binary },
      ]),
    )
    expect(res.status, res.text).toBe(201)
    const receipt = res.body as Receipt
    const id = await idOf(receipt.trackingId)
    const detail = await staff.handler.client.get<ReportWire>(`/api/v1/reports/${id}`)
    expect(detail.body.attachments.map((a) => [a.filename, a.size, a.sha256]).sort()).toEqual(
      [
        ['dump.bin', binary.length, sha256(binary)],
        ['evil.html', html.length, sha256(html)],
      ].sort(),
    )
    const evil = detail.body.attachments.find((a) => a.filename === 'evil.html')
    const download = await fetch(`${server.url}/api/v1/reports/${id}/attachments/${evil?.id}`, {
      headers: { cookie: staff.handler.client.cookie ?? '' },
    })
    expect(download.status).toBe(200)
    expect(download.headers.get('content-type')).toBe('application/octet-stream')
    expect(download.headers.get('content-disposition')).toMatch(/^attachment; filename="evil.html"/)
    expect(download.headers.get('x-content-type-options')).toBe('nosniff')
    expect(Buffer.from(await download.arrayBuffer()).equals(html)).toBe(true)
    // The reporter sees names and hashes, not ids or declared types.
    const view = await anonymous.get<StatusView>(
      `/api/v1/reports/status/${receipt.trackingId}?token=${tokenOf(receipt)}`,
    )
    expect(view.body.attachments.map((a) => a.sha256).sort()).toEqual([sha256(binary), sha256(html)].sort())
    expect(Object.keys(view.body.attachments[0] ?? {}).sort()).toEqual([
      'createdAt',
      'filename',
      'sha256',
      'size',
    ])
  })

  it('refuses oversized uploads with a 413 naming the limit, and stores nothing', async () => {
    const before = await reportCount()
    const big = await postForm(
      server.url,
      '/api/v1/reports',
      reportForm(minimalReport(), [
        {
          name: 'big.bin',
          type: 'application/octet-stream',
          bytes: Buffer.alloc(REPORT_LIMITS.fileBytes + 1),
        },
      ]),
    )
    expect(big.status, big.text).toBe(413)
    expect(errorCode(big)).toBe('payload_too_large')
    expect(big.body).toMatchObject({ error: { message: 'attachments: a file may hold at most 10 MiB' } })
    expect(big.body).toMatchObject({ error: { details: { field: 'attachments', limit: 'fileBytes' } } })

    const tooMany = await postForm(
      server.url,
      '/api/v1/reports',
      reportForm(
        minimalReport(),
        Array.from({ length: REPORT_LIMITS.files + 1 }, (_, i) => ({
          name: `f${i}.txt`,
          type: 'text/plain',
          bytes: Buffer.from(`file ${i}`),
        })),
      ),
    )
    expect(tooMany.status, tooMany.text).toBe(413)
    expect(tooMany.body).toMatchObject({ error: { details: { limit: 'files', max: REPORT_LIMITS.files } } })

    const nine = Buffer.alloc(9 * 1024 * 1024, 7)
    const tooMuch = await postForm(
      server.url,
      '/api/v1/reports',
      reportForm(minimalReport(), [
        { name: 'a.bin', type: 'application/octet-stream', bytes: nine },
        { name: 'b.bin', type: 'application/octet-stream', bytes: nine },
        { name: 'c.bin', type: 'application/octet-stream', bytes: nine },
      ]),
    )
    expect(tooMuch.status, tooMuch.text).toBe(413)
    expect(tooMuch.body).toMatchObject({
      error: {
        message: 'attachments: all files together may hold at most 25 MiB',
        details: { limit: 'totalBytes' },
      },
    })
    expect(await reportCount()).toBe(before)
  })

  it('answers 415 to other content types and 400 naming the field to bad input', async () => {
    const before = await reportCount()
    for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded']) {
      const res = await anonymous.request('POST', '/api/v1/reports', 'summary=hello', {
        'content-type': type,
      })
      expect(res.status, `${type}: ${res.text}`).toBe(415)
      expect(errorCode(res)).toBe('unsupported_media_type')
    }
    const noSummary = await anonymous.post('/api/v1/reports', { reporter: { email: 'x@example.org' } })
    expect(noSummary.status).toBe(400)
    expect(noSummary.body).toMatchObject({
      error: { code: 'validation_failed', details: { field: 'summary' } },
    })
    expect((noSummary.body as { error: { message: string } }).error.message).toMatch(/^summary: is required/)
    const noEmail = await anonymous.post('/api/v1/reports', { reporter: {}, summary: 'x' })
    expect(noEmail.body).toMatchObject({ error: { details: { field: 'reporter.email' } } })
    const badEmail = await anonymous.post('/api/v1/reports', { reporter: { email: 'nope' }, summary: 'x' })
    expect(badEmail.body).toMatchObject({ error: { details: { field: 'reporter.email' } } })
    const extra = await anonymous.post('/api/v1/reports', minimalReport({ submitter: { kind: 'system' } }))
    expect(extra.body).toMatchObject({ error: { details: { field: 'submitter' } } })
    const form = new FormData()
    form.append('report', '{not json')
    const notJson = await postForm(server.url, '/api/v1/reports', form)
    expect(notJson.status).toBe(400)
    expect(notJson.body).toMatchObject({ error: { details: { field: 'report' } } })
    const noReport = await postForm(server.url, '/api/v1/reports', new FormData())
    expect(noReport.status).toBe(400)
    expect(await reportCount()).toBe(before)
  })

  it('stores script in fields as inert text and returns it as plain JSON', async () => {
    const script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    const receipt = await submit(
      minimalReport({
        summary: script,
        description: script,
        reporter: { email: 'a@example.org', name: script },
      }),
    )
    const view = await anonymous.get<StatusView>(
      `/api/v1/reports/status/${receipt.trackingId}?token=${tokenOf(receipt)}`,
    )
    expect(view.headers.get('content-type')).toMatch(/^application\/json/)
    expect(view.body.summary).toBe(script)
    const detail = await staff.handler.client.get<ReportWire>(
      `/api/v1/reports/${await idOf(receipt.trackingId)}`,
    )
    expect(detail.headers.get('content-type')).toMatch(/^application\/json/)
    expect(detail.body).toMatchObject({ summary: script, description: script, reporter: { name: script } })
  })

  it('lets reporter and handler exchange messages with files, audited', async () => {
    const receipt = await submit()
    const token = tokenOf(receipt)
    const id = await idOf(receipt.trackingId)
    const form = new FormData()
    form.append('body', 'Also seen from 203.0.113.9')
    form.append(
      'attachments',
      new Blob([new TextEncoder().encode('log line')], { type: 'text/plain' }),
      'mx1.log',
    )
    const added = await postForm(
      server.url,
      `/api/v1/reports/status/${receipt.trackingId}/messages`,
      form,
      undefined,
      {
        'x-report-token': token,
      },
    )
    expect(added.status, added.text).toBe(201)
    expect((added.body as StatusView).messages).toEqual([
      expect.objectContaining({ from: 'reporter', body: 'Also seen from 203.0.113.9' }),
    ])

    const reply = await staff.handler.client.post<ReportWire>(`/api/v1/reports/${id}/messages`, {
      body: 'Thanks, we are looking into it.',
    })
    expect(reply.status, reply.text).toBe(201)
    expect(reply.body.observables.map((o) => o.key)).toContain('ipv4:203.0.113.9')
    expect(reply.body.attachments.map((a) => a.filename)).toEqual(['mx1.log'])

    const view = await anonymous.get<StatusView>(
      `/api/v1/reports/status/${receipt.trackingId}?token=${token}`,
    )
    expect(view.body.messages.map((m) => [m.from, m.body])).toEqual([
      ['reporter', 'Also seen from 203.0.113.9'],
      ['handler', 'Thanks, we are looking into it.'],
    ])
    expect(Object.keys(view.body.messages[1] ?? {}).sort()).toEqual(['body', 'createdAt', 'from', 'id'])

    const audit = await auditOf('report.message_added', id)
    expect(audit).toEqual([
      expect.objectContaining({ from: 'reporter', actorType: 'anonymous', address: '127.0.0.1' }),
      expect.objectContaining({ from: 'handler', actorType: 'user', actor: staff.handler.userId }),
    ])
    const empty = await staff.handler.client.post(`/api/v1/reports/${id}/messages`, { body: '' })
    expect(empty.status).toBe(400)
    expect(empty.body).toMatchObject({ error: { details: { field: 'body' } } })
  })

  it('lets handling roles of the receiving organisation triage, and nobody else', async () => {
    const receipt = await submit()
    const id = await idOf(receipt.trackingId)
    for (const role of ['analyst', 'liaison'] as const) {
      const list = await staff[role].client.get('/api/v1/reports')
      expect(list.status, role).toBe(403)
      expect(errorCode(list)).toBe('forbidden')
      expect((await staff[role].client.get(`/api/v1/reports/${id}`)).status, role).toBe(403)
    }
    const viewerRead = await staff.viewer.client.get(`/api/v1/reports/${id}`)
    expect(viewerRead.status).toBe(200)
    const viewerWrite = await staff.viewer.client.patch(`/api/v1/reports/${id}`, { status: 'triaged' })
    expect(viewerWrite.status).toBe(403)
    expect((await staff.viewer.client.post(`/api/v1/reports/${id}/messages`, { body: 'hi' })).status).toBe(
      403,
    )
    // Another organisation's handler: right role, but the report is not theirs to see.
    const otherList = await outsider.get<{ items: { id: string }[]; total: number }>('/api/v1/reports')
    expect(otherList.status).toBe(200)
    expect(otherList.body).toEqual({ items: [], total: 0 })
    expect((await outsider.get(`/api/v1/reports/${id}`)).status).toBe(404)
    expect((await outsider.patch(`/api/v1/reports/${id}`, { status: 'closed' })).status).toBe(404)
    expect((await anonymous.get('/api/v1/reports')).status).toBe(401)

    for (const [role, status] of [
      ['handler', 'triaged'],
      ['coordinator', 'closed'],
      ['admin', 'triaged'],
    ] as const) {
      const res = await staff[role].client.patch<ReportWire>(`/api/v1/reports/${id}`, { status })
      expect(res.status, res.text).toBe(200)
      expect(res.body.status).toBe(status)
    }
    const linked = await staff.handler.client.patch(`/api/v1/reports/${id}`, { status: 'linked' })
    expect(linked.status).toBe(400)
    expect(await auditOf('report.status_changed', id)).toEqual([
      expect.objectContaining({ from: 'new', to: 'triaged', actor: staff.handler.userId }),
      expect.objectContaining({ from: 'triaged', to: 'closed', actor: staff.coordinator.userId }),
      expect.objectContaining({ from: 'closed', to: 'triaged', actor: staff.admin.userId }),
    ])
    const triaged = await staff.handler.client.get<{ items: { id: string }[] }>(
      '/api/v1/reports?status=triaged',
    )
    expect(triaged.body.items.map((i) => i.id)).toContain(id)
    const fresh = await staff.handler.client.get<{ items: { id: string }[] }>('/api/v1/reports?status=new')
    expect(fresh.body.items.map((i) => i.id)).not.toContain(id)
    const view = await anonymous.get<StatusView>(
      `/api/v1/reports/status/${receipt.trackingId}?token=${tokenOf(receipt)}`,
    )
    expect(view.body.status).toBe('triaged')
  })

  it('keeps a report linked to an incident out of hand triage', async () => {
    const receipt = await submit()
    const id = await idOf(receipt.trackingId)
    const incidentId = randomUUID()
    await server.store.db.transaction().execute(async (trx) => {
      await linkReportsToIncident(trx, [id], incidentId, new Date().toISOString())
    })
    const detail = await staff.handler.client.get<ReportWire & { incidentId: string }>(
      `/api/v1/reports/${id}`,
    )
    expect(detail.body).toMatchObject({ status: 'linked', incidentId })
    const patch = await staff.handler.client.patch(`/api/v1/reports/${id}`, { status: 'closed' })
    expect(patch.status).toBe(409)
    expect(patch.body).toMatchObject({ error: { code: 'conflict', details: { field: 'status' } } })
    const linked = await staff.handler.client.get<{ items: { id: string }[] }>(
      '/api/v1/reports?status=linked',
    )
    expect(linked.body.items.map((i) => i.id)).toContain(id)
    const view = await anonymous.get<StatusView>(
      `/api/v1/reports/status/${receipt.trackingId}?token=${tokenOf(receipt)}`,
    )
    expect(view.body.status).toBe('linked')
    expect(JSON.stringify(view.body)).not.toContain(incidentId)
  })

  it('links a logged-in constituent’s report to them and their organisation (with the CSRF token)', async () => {
    const constituent = await server.loginAsNewUser({ role: 'analyst' })
    const noCsrf = await constituent.client.request('POST', '/api/v1/reports', minimalReport(), {
      'x-csrf-token': 'wrong',
    })
    expect(noCsrf.status).toBe(403)
    expect(errorCode(noCsrf)).toBe('csrf_failed')
    const res = await postForm(
      server.url,
      '/api/v1/reports',
      reportForm(minimalReport(), [{ name: 'a.txt', type: 'text/plain', bytes: Buffer.from('a') }]),
      constituent.client,
    )
    expect(res.status, res.text).toBe(201)
    const id = await idOf((res.body as Receipt).trackingId)
    const detail = await staff.handler.client.get<ReportWire>(`/api/v1/reports/${id}`)
    expect(detail.body.reporter).toMatchObject({
      userId: constituent.userId,
      orgId: constituent.orgId,
      address: null,
    })
    expect(await auditOf('report.received', id)).toEqual([
      expect.objectContaining({ actorType: 'user', actor: constituent.userId }),
    ])
    // The constituent's organisation does not see the instance's triage queue.
    const theirs = await constituent.client.get('/api/v1/reports')
    expect(theirs.status).toBe(403)
  })

  it('shows reports only to whom the visibility rule and the role allow (leak harness)', async () => {
    const world: LeakWorld = await createLeakWorld(server)
    const probes: Probe[] = []
    const attachmentOf = new Map<string, string>()
    for (let i = 0; i < 3; i++) {
      const res = await postForm(
        server.url,
        '/api/v1/reports',
        reportForm(minimalReport(), [
          { name: `p${i}.txt`, type: 'text/plain', bytes: Buffer.from(`probe ${i}`) },
        ]),
      )
      expect(res.status, res.text).toBe(201)
      const id = await idOf((res.body as Receipt).trackingId)
      const attachment = await server.store.db
        .selectFrom('attachments')
        .select('id')
        .where('report_id', '=', id)
        .executeTakeFirstOrThrow()
      attachmentOf.set(id, attachment.id)
      // Owned by the instance organisation, TLP:AMBER, organisation only: its members alone.
      probes.push({ id, visibleTo: (p) => p.name === 'instance-admin' })
    }
    await assertExactVisibility(
      world.principals,
      probes,
      {
        list: (client) => client.get('/api/v1/reports?limit=500'),
        detail: (client, id) => client.get(`/api/v1/reports/${id}`),
      },
      { anonymousGets401: true, scope: 'probes' },
    )
    await assertExactVisibility(
      world.principals,
      probes,
      {
        detail: (client, id) =>
          client.get(`/api/v1/reports/${id}/attachments/${attachmentOf.get(id) ?? randomUUID()}`),
      },
      { anonymousGets401: true },
    )
  })
})

describe('report status tokens in logs', () => {
  it('are replaced by *** in logged request addresses', () => {
    expect(redactSecretParams('/api/v1/reports/status/LSN-0000ABCD?token=s3cr3t-_x&lang=en')).toBe(
      '/api/v1/reports/status/LSN-0000ABCD?token=***&lang=en',
    )
    expect(redactSecretParams('/x?a=1&TOKEN=abc')).toBe('/x?a=1&TOKEN=***')
    expect(redactSecretParams('/api/v1/reports?status=new')).toBe('/api/v1/reports?status=new')
  })
})

describe('report rate limit', () => {
  let server: TestServer

  beforeAll(async () => {
    server = await startTestServer('sqlite', { LIAISON_REPORT_MAX_PER_ADDRESS: '2' })
  })

  afterAll(async () => {
    await server.close()
  })

  it('answers 429 with Retry-After once an address has sent its reports for the hour', async () => {
    const client = server.client()
    for (let i = 0; i < 2; i++) {
      const res = await client.post('/api/v1/reports', minimalReport())
      expect(res.status, res.text).toBe(201)
    }
    const limited = await client.post('/api/v1/reports', minimalReport())
    expect(limited.status).toBe(429)
    expect(errorCode(limited)).toBe('rate_limited')
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    const stored = await server.store.db
      .selectFrom('reports')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    expect(Number(stored.n)).toBe(2)
    // Other routes are not limited by it.
    expect((await client.get('/api/v1/reports/status/LSN-00000000?token=x')).status).toBe(404)
  })
})
