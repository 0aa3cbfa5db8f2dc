import { randomUUID } from 'node:crypto'
import { expect } from 'vitest'
import type { Role } from '../../src/core/account/account.schema.js'
import { createUserWithPassword } from '../helpers/factories.js'
import { ApiClient } from '../helpers/http.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import type { StoreKind } from '../../src/server/config.js'

/** A server clock the test moves by hand. */
export interface TestClock {
  now: Date
  /** Sets the clock to an instant. */
  set(iso: string): void
  /** Moves the clock forward by `ms`. */
  advance(ms: number): void
}

/** A clock pinned to `start` until the test moves it. */
export function fixedClock(start: string): TestClock {
  const clock: TestClock = {
    now: new Date(start),
    set(iso) {
      clock.now = new Date(iso)
    },
    advance(ms) {
      clock.now = new Date(clock.now.getTime() + ms)
    },
  }
  return clock
}

/** Starts a server on `clock`, letting tests file as many reports as they like from loopback. */
export async function startClockedServer(
  kind: StoreKind,
  clock: TestClock,
  env: Record<string, string> = {},
): Promise<TestServer> {
  return startTestServer(
    kind,
    { LIAISON_REPORT_MAX_PER_ADDRESS: '100000', ...env },
    { now: () => new Date(clock.now.getTime()) },
  )
}

/** A member of an organisation, calling with an API key (no session to expire when the clock moves). */
export interface Member {
  readonly client: ApiClient
  readonly userId: string
  readonly orgId: string
  readonly role: Role
}

/** A new user of `orgId` with `role`, calling with an API key of their own. */
export async function member(server: TestServer, orgId: string, role: Role): Promise<Member> {
  const { user, password } = await createUserWithPassword(server.store, { orgId, role })
  const session = server.client()
  await session.login(user.email, password)
  const key = await session.post<{ token: string }>('/api/v1/apikeys', { name: `tests ${randomUUID()}` })
  expect(key.status, key.text).toBe(201)
  const client = new ApiClient(server.url)
  client.bearer = key.body.token
  return { client, userId: user.id, orgId, role }
}

/** A report filed through the public API; answers its id (read from the store) and tracking id. */
export async function fileReport(
  server: TestServer,
  fields: {
    summary?: string
    description?: string
    email?: string
    nis2?: { suspectedMalicious?: boolean; crossBorderImpact?: boolean; entityType?: string }
  } = {},
): Promise<{ id: string; trackingId: string }> {
  const res = await server.client().post<{ trackingId: string }>('/api/v1/reports', {
    reporter: { email: fields.email ?? `reporter-${randomUUID().slice(0, 8)}@example.org` },
    summary: fields.summary ?? `Report ${randomUUID().slice(0, 8)}`,
    ...(fields.description === undefined ? {} : { description: fields.description }),
    ...(fields.nis2 === undefined ? {} : { nis2: fields.nis2 }),
  })
  expect(res.status, res.text).toBe(201)
  const row = await server.store.db
    .selectFrom('reports')
    .select('id')
    .where('tracking_id', '=', res.body.trackingId)
    .executeTakeFirstOrThrow()
  return { id: row.id, trackingId: res.body.trackingId }
}

/** One NIS2 deadline as the API returns it. */
export interface Deadline {
  stage: string
  dueAt: string | null
  submittedAt: string | null
  status: string
  late: boolean
  basis: string
}

/** An incident as the API returns it (the fields the tests look at). */
export interface Incident {
  id: string
  title: string
  description: string
  status: string
  severity: string
  impact: string
  rsitClass: string | null
  rsitType: string | null
  assigneeId: string | null
  label: { ownerOrg: string; tlp: string; audience: string; sharingGroups: string[]; recipients: string[] }
  owned: boolean
  participants: string[]
  reportIds: string[]
  sla: {
    acknowledge: { dueAt: string; doneAt: string | null; state: string }
    resolve: { dueAt: string; doneAt: string | null; state: string }
  }
  nis2: {
    significant: boolean | null
    trustServiceProvider: boolean | null
    timeZone: string
    awareAt: string | null
    earlyWarningSentAt: string | null
    notificationSentAt: string | null
    progressReportSentAt: string | null
    finalReportSentAt: string | null
    intermediateRequests: {
      id: string
      requestedAt: string
      dueAt: string
      submittedAt: string | null
      note: string | null
    }[]
    suspectedMalicious: boolean | null
    crossBorder: boolean | null
    rootCause: string | null
    mitigationApplied: string | null
    mitigationOngoing: string | null
    deadlines: Deadline[]
  }
  acknowledgedAt: string | null
  resolvedAt: string | null
  closedAt: string | null
  createdBy: string
  createdAt: string
  updatedAt: string
}

/** A timeline entry. */
export interface TimelineEvent {
  id: string
  position: number
  at: string
  actorId: string
  actorOrgId: string
  action: string
  details: Record<string, unknown>
}

/** A list answer. */
export interface Page<T> {
  items: T[]
  total: number
}

/** Creates an incident as `who`; fails the test unless it answers 201. */
export async function createIncident(who: Member, body: Record<string, unknown>): Promise<Incident> {
  const res = await who.client.post<Incident>('/api/v1/incidents', body)
  expect(res.status, res.text).toBe(201)
  return res.body
}

/** The timeline of an incident as `who` sees it. */
export async function timelineOf(who: Member, incidentId: string): Promise<TimelineEvent[]> {
  const res = await who.client.get<Page<TimelineEvent>>(`/api/v1/incidents/${incidentId}/timeline`)
  expect(res.status, res.text).toBe(200)
  return res.body.items
}
