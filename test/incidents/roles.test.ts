import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOrg } from '../helpers/factories.js'
import { errorCode, type ApiClient, type TestResponse } from '../helpers/http.js'
import type { TestServer } from '../helpers/server.js'
import { STORE_KINDS } from '../helpers/stores.js'
import {
  createIncident,
  fileReport,
  fixedClock,
  member,
  startClockedServer,
  type Member,
  type Page,
} from './incident-helpers.js'

/** Who calls: each role of the owner organisation, a handler of another organisation, and nobody. */
const CALLERS = ['admin', 'handler', 'coordinator', 'viewer', 'analyst', 'other', 'anonymous'] as const
type Caller = (typeof CALLERS)[number]

/** What one incident offers the calls: made afresh for every write, so each caller meets the same state. */
interface Fixture {
  incidentId: string
  reportInIncident: string
  freshReport: string
  taskId: string
  linkId: string
}

interface Case {
  readonly name: string
  /** True when the call changes state: it gets a fixture of its own per caller. */
  readonly writes: boolean
  readonly call: (client: ApiClient, f: Fixture) => Promise<TestResponse>
  readonly expected: Readonly<Record<Caller, number>>
}

/** Reads of an incident: everyone of the owner organisation; another organisation does not see it. */
const READ = {
  admin: 200,
  handler: 200,
  coordinator: 200,
  viewer: 200,
  analyst: 200,
  other: 404,
  anonymous: 401,
}
/** Lists of one's own: everyone signed in. */
const ANY = { ...READ, other: 200 }
/** Handling work: admins, handlers and coordinators of the owner organisation. */
function write(status: number) {
  return {
    admin: status,
    handler: status,
    coordinator: status,
    viewer: 403,
    analyst: 403,
    other: 404,
    anonymous: 401,
  }
}

const CASES: Case[] = [
  { name: 'GET /incidents', writes: false, call: (c) => c.get('/api/v1/incidents'), expected: ANY },
  {
    name: 'GET /incidents/count',
    writes: false,
    call: (c) => c.get('/api/v1/incidents/count'),
    expected: ANY,
  },
  {
    name: 'GET /incidents/export',
    writes: false,
    call: (c) => c.get('/api/v1/incidents/export?format=csv'),
    expected: ANY,
  },
  {
    name: 'GET /incidents/nis2/overdue',
    writes: false,
    call: (c) => c.get('/api/v1/incidents/nis2/overdue'),
    expected: ANY,
  },
  { name: 'GET /incidents/sla', writes: false, call: (c) => c.get('/api/v1/incidents/sla'), expected: ANY },
  {
    name: 'PUT /incidents/sla',
    writes: true,
    call: (c) =>
      c.request('PUT', '/api/v1/incidents/sla', {
        critical: { acknowledgeMinutes: 30, resolveMinutes: 1440 },
        high: { acknowledgeMinutes: 120, resolveMinutes: 4320 },
        medium: { acknowledgeMinutes: 480, resolveMinutes: 10080 },
        low: { acknowledgeMinutes: 1440, resolveMinutes: 43200 },
      }),
    expected: {
      admin: 200,
      handler: 403,
      coordinator: 200,
      viewer: 403,
      analyst: 403,
      other: 403,
      anonymous: 401,
    },
  },
  {
    name: 'POST /incidents',
    writes: true,
    call: (c) => c.post('/api/v1/incidents', { title: 'new' }),
    expected: { ...write(201), other: 201 },
  },
  {
    name: 'GET /incidents/{id}',
    writes: false,
    call: (c, f) => c.get(`/api/v1/incidents/${f.incidentId}`),
    expected: READ,
  },
  {
    name: 'PATCH /incidents/{id}',
    writes: true,
    call: (c, f) => c.patch(`/api/v1/incidents/${f.incidentId}`, { status: 'triage' }),
    expected: write(200),
  },
  {
    name: 'POST /incidents/{id}/reports',
    writes: true,
    call: (c, f) => c.post(`/api/v1/incidents/${f.incidentId}/reports`, { reportIds: [f.freshReport] }),
    expected: write(200),
  },
  {
    name: 'POST /incidents/{id}/split',
    writes: true,
    call: (c, f) => c.post(`/api/v1/incidents/${f.incidentId}/split`, { reportIds: [f.reportInIncident] }),
    expected: write(201),
  },
  {
    name: 'PUT /incidents/{id}/sharing',
    writes: true,
    call: (c, f) =>
      c.request('PUT', `/api/v1/incidents/${f.incidentId}/sharing`, {
        label: { tlp: 'amber+strict', audience: 'org' },
        participants: [],
      }),
    expected: write(200),
  },
  {
    name: 'GET /incidents/{id}/tasks',
    writes: false,
    call: (c, f) => c.get(`/api/v1/incidents/${f.incidentId}/tasks`),
    expected: READ,
  },
  {
    name: 'POST /incidents/{id}/tasks',
    writes: true,
    call: (c, f) => c.post(`/api/v1/incidents/${f.incidentId}/tasks`, { title: 'more' }),
    expected: write(201),
  },
  {
    name: 'PATCH /incidents/{id}/tasks/{taskId}',
    writes: true,
    call: (c, f) => c.patch(`/api/v1/incidents/${f.incidentId}/tasks/${f.taskId}`, { done: true }),
    expected: write(200),
  },
  {
    name: 'DELETE /incidents/{id}/tasks/{taskId}',
    writes: true,
    call: (c, f) => c.delete(`/api/v1/incidents/${f.incidentId}/tasks/${f.taskId}`),
    expected: write(204),
  },
  {
    name: 'GET /incidents/{id}/notes',
    writes: false,
    call: (c, f) => c.get(`/api/v1/incidents/${f.incidentId}/notes`),
    expected: READ,
  },
  {
    name: 'POST /incidents/{id}/notes',
    writes: true,
    call: (c, f) =>
      c.post(`/api/v1/incidents/${f.incidentId}/notes`, {
        body: 'n',
        label: { tlp: 'amber', audience: 'org' },
      }),
    expected: write(201),
  },
  {
    name: 'GET /incidents/{id}/timeline',
    writes: false,
    call: (c, f) => c.get(`/api/v1/incidents/${f.incidentId}/timeline`),
    expected: READ,
  },
  {
    name: 'GET /incidents/{id}/links',
    writes: false,
    call: (c, f) => c.get(`/api/v1/incidents/${f.incidentId}/links`),
    expected: READ,
  },
  {
    name: 'POST /incidents/{id}/links',
    writes: true,
    call: (c, f) =>
      c.post(`/api/v1/incidents/${f.incidentId}/links`, { observable: { value: '192.0.2.77' } }),
    expected: write(201),
  },
  {
    name: 'DELETE /incidents/{id}/links/{linkId}',
    writes: true,
    call: (c, f) => c.delete(`/api/v1/incidents/${f.incidentId}/links/${f.linkId}`),
    expected: write(204),
  },
  {
    name: 'GET /incidents/{id}/nis2/{stage}',
    writes: false,
    call: (c, f) => c.get(`/api/v1/incidents/${f.incidentId}/nis2/notification`),
    expected: READ,
  },
  {
    name: 'POST /incidents/{id}/nis2/intermediate',
    writes: true,
    call: (c, f) =>
      c.post(`/api/v1/incidents/${f.incidentId}/nis2/intermediate`, { dueAt: '2026-06-10T00:00:00.000Z' }),
    expected: write(201),
  },
  {
    name: 'POST /incidents/{id}/notify',
    writes: true,
    call: (c, f) => c.post(`/api/v1/incidents/${f.incidentId}/notify`, {}),
    expected: write(200),
  },
  {
    name: 'GET /incidents/{id}/notifications',
    writes: false,
    call: (c, f) => c.get(`/api/v1/incidents/${f.incidentId}/notifications`),
    expected: { ...READ, analyst: 403 },
  },
  {
    name: 'GET /reports/{id}/hints',
    writes: false,
    call: (c, f) => c.get(`/api/v1/reports/${f.reportInIncident}/hints`),
    expected: { ...READ, analyst: 403 },
  },
]

describe.each(STORE_KINDS)('who may call each incident endpoint (%s)', (kind) => {
  const clock = fixedClock('2026-06-01T08:00:00.000Z')
  let server: TestServer
  let callers: Record<Caller, ApiClient>
  let owner: Member

  beforeAll(async () => {
    server = await startClockedServer(kind, clock)
    const orgId = server.admin.orgId
    owner = await member(server, orgId, 'handler')
    const other = await member(server, (await createOrg(server.store)).id, 'handler')
    callers = {
      admin: (await member(server, orgId, 'admin')).client,
      handler: (await member(server, orgId, 'handler')).client,
      coordinator: (await member(server, orgId, 'coordinator')).client,
      viewer: (await member(server, orgId, 'viewer')).client,
      analyst: (await member(server, orgId, 'analyst')).client,
      other: other.client,
      anonymous: server.client(),
    }
  })
  afterAll(async () => {
    await server.close()
  })

  async function fixture(): Promise<Fixture> {
    const inIncident = await fileReport(server, { description: 'Seen at 198.51.100.61' })
    const fresh = await fileReport(server, { description: 'Seen at 198.51.100.61 too' })
    const incident = await createIncident(owner, {
      title: 'Roles',
      reportIds: [inIncident.id],
      nis2: { significant: true, awareAt: '2026-06-01T07:00:00.000Z' },
    })
    const task = await owner.client.post<{ id: string }>(`/api/v1/incidents/${incident.id}/tasks`, {
      title: 't',
    })
    const links = await owner.client.get<Page<{ id: string }>>(`/api/v1/incidents/${incident.id}/links`)
    const link = links.body.items[0]
    expect(link).toBeDefined()
    return {
      incidentId: incident.id,
      reportInIncident: inIncident.id,
      freshReport: fresh.id,
      taskId: task.body.id,
      linkId: link?.id ?? '',
    }
  }

  it('answers each caller as the role rules say, in the one error shape', async () => {
    const shared = await fixture()
    const problems: string[] = []
    for (const c of CASES) {
      for (const caller of CALLERS) {
        const f = c.writes ? await fixture() : shared
        const res = await c.call(callers[caller], f)
        if (res.status !== c.expected[caller]) {
          problems.push(
            `${c.name} as ${caller}: ${res.status} (expected ${c.expected[caller]}) ${res.text.slice(0, 200)}`,
          )
          continue
        }
        if (res.status >= 400) {
          const code = errorCode(res)
          const expectedCode = { 401: 'unauthenticated', 403: 'forbidden', 404: 'not_found' }[res.status]
          if (code !== expectedCode) {
            problems.push(`${c.name} as ${caller}: code ${code}`)
          }
        }
      }
    }
    expect(problems).toEqual([])
  })

  it('covers every incident route the API describes', async () => {
    const spec = await server
      .client()
      .get<{ paths: Record<string, Record<string, unknown>> }>('/api/docs/json')
    const described = Object.entries(spec.body.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path.replace('/api/v1', '')}`),
    )
    const incidentRoutes = described.filter((r) => r.includes('/incidents') || r.endsWith('/hints'))
    expect(incidentRoutes.sort()).toEqual(CASES.map((c) => c.name).sort())
  })
})
