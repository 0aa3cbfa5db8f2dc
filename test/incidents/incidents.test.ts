import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { validateStixContent } from '../../src/core/stix/validate.js'
import { createOrg } from '../helpers/factories.js'
import { errorCode } from '../helpers/http.js'
import type { TestServer } from '../helpers/server.js'
import { STORE_KINDS } from '../helpers/stores.js'
import {
  createIncident,
  fileReport,
  fixedClock,
  member,
  startClockedServer,
  timelineOf,
  type Incident,
  type Member,
  type Page,
} from './incident-helpers.js'

interface Task {
  id: string
  title: string
  dueAt: string | null
  done: boolean
  doneAt: string | null
  overdue: boolean
}
interface Note {
  id: string
  body: string
  shared: boolean
  authorOrgId: string
  label: { ownerOrg: string; tlp: string; audience: string }
}
interface Link {
  id: string
  kind: string
  ref: string
  observableKind: string | null
  value: string
}
interface Hint {
  reportId: string
  trackingId: string
  incidentId: string | null
  reasons: string[]
  sharedObservables: string[]
}

const T0 = '2026-06-01T08:00:00.000Z'
const MINUTE = 60_000
const HOUR = 60 * MINUTE

function plus(iso: string, ms: number): string {
  return new Date(Date.parse(iso) + ms).toISOString()
}

describe.each(STORE_KINDS)('incident handling (%s)', (kind) => {
  const clock = fixedClock(T0)
  let server: TestServer
  let instanceOrg: string
  let handler: Member
  let coordinator: Member
  let viewer: Member
  let analyst: Member
  /** Handlers of two participant organisations and of an organisation the incidents are not shared with. */
  let p1: Member
  let p2: Member
  let outsider: Member

  beforeAll(async () => {
    server = await startClockedServer(kind, clock)
    instanceOrg = server.admin.orgId
    handler = await member(server, instanceOrg, 'handler')
    coordinator = await member(server, instanceOrg, 'coordinator')
    viewer = await member(server, instanceOrg, 'viewer')
    analyst = await member(server, instanceOrg, 'analyst')
    p1 = await member(server, (await createOrg(server.store, { name: `P1 ${randomUUID()}` })).id, 'handler')
    p2 = await member(server, (await createOrg(server.store, { name: `P2 ${randomUUID()}` })).id, 'handler')
    outsider = await member(server, (await createOrg(server.store)).id, 'handler')
  })
  afterAll(async () => {
    await server.close()
  })

  async function auditActions(targetId: string): Promise<string[]> {
    const rows = await server.store.db
      .selectFrom('audit_log')
      .select('action')
      .where('target_id', '=', targetId)
      .orderBy('seq')
      .execute()
    return rows.map((r) => r.action)
  }

  it('makes an incident from a report: links its observables, prefills NIS2 answers, marks the report linked', async () => {
    clock.set(T0)
    const report = await fileReport(server, {
      summary: 'C2 beaconing seen',
      description: 'Beacons to 198.51.100.23 and to evil-c2.example.net every minute',
      nis2: { suspectedMalicious: true },
    })
    const incident = await createIncident(handler, {
      title: 'Beaconing at a hospital',
      severity: 'high',
      rsitClass: 'malicious-code',
      rsitType: 'c2-server',
      reportIds: [report.id],
    })
    expect(incident).toMatchObject({
      status: 'new',
      severity: 'high',
      owned: true,
      reportIds: [report.id],
      createdBy: handler.userId,
      createdAt: T0,
      label: { ownerOrg: instanceOrg, tlp: 'amber', audience: 'org' },
    })
    expect(incident.nis2).toMatchObject({
      suspectedMalicious: true,
      crossBorder: null,
      significant: null,
      timeZone: 'Europe/Brussels',
      deadlines: [],
    })

    const links = await handler.client.get<Page<Link>>(`/api/v1/incidents/${incident.id}/links`)
    expect(links.body.items.map((l) => l.ref).sort()).toEqual([
      'domain:evil-c2.example.net',
      'ipv4:198.51.100.23',
    ])

    const asReport = await handler.client.get<{ status: string }>(`/api/v1/reports/${report.id}`)
    expect(asReport.body.status).toBe('linked')
    const reclose = await handler.client.patch(`/api/v1/reports/${report.id}`, { status: 'closed' })
    expect(reclose.status).toBe(409)
    const again = await handler.client.post('/api/v1/incidents', { title: 'Twice', reportIds: [report.id] })
    expect(again.status).toBe(409)
    expect(errorCode(again)).toBe('conflict')

    const timeline = await timelineOf(handler, incident.id)
    expect(timeline.map((e) => e.action)).toEqual([
      'incident.created',
      'incident.reports_added',
      'incident.linked',
    ])
    expect(timeline.map((e) => e.position)).toEqual([1, 2, 3])
    for (const e of timeline) {
      expect(e).toMatchObject({ actorId: handler.userId, actorOrgId: instanceOrg, at: T0 })
    }
    expect(timeline[0]?.details).toMatchObject({
      nis2FromReports: { suspectedMalicious: true, crossBorder: null },
    })
    expect(await auditActions(incident.id)).toEqual([
      'incident.created',
      'incident.reports_added',
      'incident.linked',
    ])
  })

  it('makes one incident of several reports, merges more into it and splits some off', async () => {
    clock.set(T0)
    const r1 = await fileReport(server, { description: 'Phishing from 203.0.113.10' })
    const r2 = await fileReport(server, { description: 'Also phished by 203.0.113.10' })
    const r3 = await fileReport(server, {
      description: 'Phishing kit on phish-kit.example.org',
      nis2: { crossBorderImpact: true, suspectedMalicious: false },
    })
    const incident = await createIncident(handler, { title: 'Phishing wave', reportIds: [r1.id, r2.id] })
    expect([...incident.reportIds].sort()).toEqual([r1.id, r2.id].sort())
    expect(incident.nis2).toMatchObject({ suspectedMalicious: null, crossBorder: null })

    clock.advance(HOUR)
    const merged = await handler.client.post<Incident>(`/api/v1/incidents/${incident.id}/reports`, {
      reportIds: [r3.id],
    })
    expect(merged.status, merged.text).toBe(200)
    expect([...merged.body.reportIds].sort()).toEqual([r1.id, r2.id, r3.id].sort())
    // Unknown facts are filled from the merged report's answers.
    expect(merged.body.nis2).toMatchObject({ suspectedMalicious: false, crossBorder: true })
    expect(merged.body.updatedAt).toBe(plus(T0, HOUR))
    const twice = await handler.client.post(`/api/v1/incidents/${incident.id}/reports`, {
      reportIds: [r3.id],
    })
    expect(twice.status).toBe(409)
    const missing = await handler.client.post(`/api/v1/incidents/${incident.id}/reports`, {
      reportIds: [randomUUID()],
    })
    expect(missing.status).toBe(400)
    expect(errorCode(missing)).toBe('validation_failed')
    const links = await handler.client.get<Page<Link>>(`/api/v1/incidents/${incident.id}/links`)
    // The shared IP once, the kit's domain from the merged report.
    expect(links.body.items.map((l) => l.ref).sort()).toEqual([
      'domain:phish-kit.example.org',
      'ipv4:203.0.113.10',
    ])

    const split = await handler.client.post<Incident>(`/api/v1/incidents/${incident.id}/split`, {
      reportIds: [r3.id],
      title: 'Phishing kit hosting',
    })
    expect(split.status, split.text).toBe(201)
    expect(split.body).toMatchObject({ title: 'Phishing kit hosting', status: 'new', reportIds: [r3.id] })
    expect(split.body.id).not.toBe(incident.id)
    const source = await handler.client.get<Incident>(`/api/v1/incidents/${incident.id}`)
    expect([...source.body.reportIds].sort()).toEqual([r1.id, r2.id].sort())
    const hints = await handler.client.get<Page<Hint>>(`/api/v1/reports/${r1.id}/hints`)
    expect(hints.body.items.find((h) => h.reportId === r2.id)?.incidentId).toBe(incident.id)
    const moved = await server.store.db
      .selectFrom('reports')
      .select(['incident_id', 'status'])
      .where('id', '=', r3.id)
      .executeTakeFirstOrThrow()
    expect(moved).toEqual({ incident_id: split.body.id, status: 'linked' })
    expect((await timelineOf(handler, incident.id)).map((e) => e.action)).toContain('incident.split')
    const newTimeline = await timelineOf(handler, split.body.id)
    expect(newTimeline.map((e) => e.action)).toEqual([
      'incident.created',
      'incident.reports_moved',
      'incident.linked',
    ])
    expect(newTimeline[0]?.details).toMatchObject({ splitFrom: incident.id })

    const notThere = await handler.client.post(`/api/v1/incidents/${incident.id}/split`, {
      reportIds: [r3.id],
    })
    expect(notThere.status).toBe(400)
  })

  it('follows the workflow, refuses illegal transitions (409) and reopens', async () => {
    clock.set(T0)
    const incident = await createIncident(handler, { title: 'Workflow', severity: 'medium' })
    const path = `/api/v1/incidents/${incident.id}`
    const illegal = await handler.client.patch(path, { status: 'resolved' })
    expect(illegal.status).toBe(409)
    expect(illegal.body).toMatchObject({
      error: {
        code: 'conflict',
        details: { field: 'status', from: 'new', to: 'resolved', allowed: ['triage'] },
      },
    })
    const step = async (status: string, at: string): Promise<Incident> => {
      clock.set(at)
      const res = await handler.client.patch<Incident>(path, { status })
      expect(res.status, res.text).toBe(200)
      expect(res.body.status).toBe(status)
      return res.body
    }
    const triaged = await step('triage', plus(T0, 10 * MINUTE))
    expect(triaged.acknowledgedAt).toBe(plus(T0, 10 * MINUTE))
    await step('in_progress', plus(T0, HOUR))
    expect((await handler.client.patch(path, { status: 'closed' })).status).toBe(409)
    const resolved = await step('resolved', plus(T0, 2 * HOUR))
    expect(resolved.resolvedAt).toBe(plus(T0, 2 * HOUR))
    expect(resolved.sla.resolve).toMatchObject({ doneAt: plus(T0, 2 * HOUR), state: 'met' })
    const closed = await step('closed', plus(T0, 3 * HOUR))
    expect(closed.closedAt).toBe(plus(T0, 3 * HOUR))
    const reopened = await step('in_progress', plus(T0, 4 * HOUR))
    expect(reopened).toMatchObject({
      resolvedAt: null,
      closedAt: null,
      acknowledgedAt: plus(T0, 10 * MINUTE),
    })
    expect(reopened.sla.resolve.doneAt).toBeNull()
    await step('resolved', plus(T0, 5 * HOUR))
    const actions = (await timelineOf(handler, incident.id)).map((e) => e.action)
    expect(actions).toEqual([
      'incident.created',
      'incident.status_changed',
      'incident.status_changed',
      'incident.status_changed',
      'incident.status_changed',
      'incident.reopened',
      'incident.status_changed',
    ])
    // The same status again is no change: nothing on the timeline.
    await handler.client.patch(path, { status: 'resolved' })
    expect(await timelineOf(handler, incident.id)).toHaveLength(actions.length)
    // Triage may close what turns out to be no incident.
    const noIncident = await createIncident(handler, { title: 'False positive' })
    await handler.client.patch(`/api/v1/incidents/${noIncident.id}`, { status: 'triage' })
    const closedFromTriage = await handler.client.patch<Incident>(`/api/v1/incidents/${noIncident.id}`, {
      status: 'closed',
    })
    expect(closedFromTriage.body.status).toBe('closed')
  })

  it('validates classification and assignee', async () => {
    clock.set(T0)
    const bad = await handler.client.post('/api/v1/incidents', {
      title: 'x',
      rsitClass: 'fraud',
      rsitType: 'c2-server',
    })
    expect(bad.status).toBe(400)
    expect(bad.body).toMatchObject({ error: { details: { field: 'rsitType' } } })
    const stranger = await handler.client.post('/api/v1/incidents', { title: 'x', assigneeId: p1.userId })
    expect(stranger.status).toBe(400)
    const incident = await createIncident(handler, { title: 'Assigned', assigneeId: coordinator.userId })
    expect(incident.assigneeId).toBe(coordinator.userId)
    const reclassified = await handler.client.patch<Incident>(`/api/v1/incidents/${incident.id}`, {
      rsitClass: 'fraud',
      rsitType: 'phishing',
    })
    expect(reclassified.body).toMatchObject({ rsitClass: 'fraud', rsitType: 'phishing' })
    // A new class alone clears the type of the old one.
    const other = await handler.client.patch<Incident>(`/api/v1/incidents/${incident.id}`, {
      rsitClass: 'availability',
    })
    expect(other.body).toMatchObject({ rsitClass: 'availability', rsitType: null })
    const filtered = await handler.client.get<Page<Incident>>(
      `/api/v1/incidents?assigneeId=${coordinator.userId}&rsitClass=availability`,
    )
    expect(filtered.body.items.map((i) => i.id)).toEqual([incident.id])
  })

  it('runs SLA timers per severity from the organisation’s policy, which admins and coordinators set', async () => {
    clock.set(T0)
    const defaults =
      await handler.client.get<Record<string, { acknowledgeMinutes: number; resolveMinutes: number }>>(
        '/api/v1/incidents/sla',
      )
    expect(defaults.body.critical).toEqual({ acknowledgeMinutes: 30, resolveMinutes: 24 * 60 })
    const critical = await createIncident(handler, { title: 'Critical', severity: 'critical' })
    expect(critical.sla.acknowledge).toEqual({ dueAt: plus(T0, 30 * MINUTE), doneAt: null, state: 'due' })
    expect(critical.sla.resolve.dueAt).toBe(plus(T0, 24 * HOUR))
    const low = await createIncident(handler, { title: 'Low', severity: 'low' })
    expect(low.sla.acknowledge.dueAt).toBe(plus(T0, 24 * HOUR))

    clock.set(plus(T0, 31 * MINUTE))
    const late = await handler.client.get<Incident>(`/api/v1/incidents/${critical.id}`)
    expect(late.body.sla.acknowledge.state).toBe('overdue')
    const overdue = await handler.client.get<Page<Incident>>('/api/v1/incidents?overdue=true&limit=500')
    expect(overdue.body.items.map((i) => i.id)).toContain(critical.id)
    expect(overdue.body.items.map((i) => i.id)).not.toContain(low.id)
    const count = await handler.client.get<{ count: number }>('/api/v1/incidents/count?overdue=true')
    expect(count.body.count).toBe(overdue.body.total)
    const acknowledged = await handler.client.patch<Incident>(`/api/v1/incidents/${critical.id}`, {
      status: 'triage',
    })
    expect(acknowledged.body.sla.acknowledge).toMatchObject({ doneAt: plus(T0, 31 * MINUTE), state: 'late' })

    // A severity change moves the deadlines, counted from the creation.
    const raised = await handler.client.patch<Incident>(`/api/v1/incidents/${low.id}`, { severity: 'high' })
    expect(raised.body.sla.acknowledge).toMatchObject({ dueAt: plus(T0, 2 * HOUR), state: 'due' })

    const policy = {
      critical: { acknowledgeMinutes: 15, resolveMinutes: 240 },
      high: { acknowledgeMinutes: 60, resolveMinutes: 600 },
      medium: { acknowledgeMinutes: 120, resolveMinutes: 6000 },
      low: { acknowledgeMinutes: 600, resolveMinutes: 60000 },
    }
    expect((await handler.client.request('PUT', '/api/v1/incidents/sla', policy)).status).toBe(403)
    const backwards = await coordinator.client.request('PUT', '/api/v1/incidents/sla', {
      ...policy,
      low: { acknowledgeMinutes: 600, resolveMinutes: 60 },
    })
    expect(backwards.status).toBe(400)
    expect(backwards.body).toMatchObject({ error: { details: { field: 'low.resolveMinutes' } } })
    const set = await coordinator.client.request('PUT', '/api/v1/incidents/sla', policy)
    expect(set.status, set.text).toBe(200)
    expect((await viewer.client.get('/api/v1/incidents/sla')).body).toEqual(policy)
    clock.set(T0)
    const afterPolicy = await createIncident(handler, { title: 'After policy', severity: 'critical' })
    expect(afterPolicy.sla.acknowledge.dueAt).toBe(plus(T0, 15 * MINUTE))
    expect(afterPolicy.sla.resolve.dueAt).toBe(plus(T0, 240 * MINUTE))
    // Another organisation keeps the defaults.
    const theirs = await createIncident(outsider, { title: 'Elsewhere', severity: 'critical' })
    expect(theirs.sla.acknowledge.dueAt).toBe(plus(T0, 30 * MINUTE))
    const audit = await server.store.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', '=', 'incident.sla_changed')
      .execute()
    expect(audit).toHaveLength(1)
  })

  it('keeps tasks with due dates, overdue and done, on the owner’s timeline', async () => {
    clock.set(T0)
    const incident = await createIncident(handler, { title: 'Tasks' })
    const path = `/api/v1/incidents/${incident.id}/tasks`
    const first = await handler.client.post<Task>(path, { title: 'Call the hospital', dueAt: plus(T0, HOUR) })
    expect(first.status, first.text).toBe(201)
    const undated = await handler.client.post<Task>(path, { title: 'Write it up' })
    const sooner = await handler.client.post<Task>(path, {
      title: 'Block the C2',
      dueAt: plus(T0, 30 * MINUTE),
      assigneeId: coordinator.userId,
    })
    expect((await handler.client.post(path, { title: 'x', assigneeId: p1.userId })).status).toBe(400)
    expect((await viewer.client.post(path, { title: 'x' })).status).toBe(403)
    let list = await handler.client.get<Page<Task>>(path)
    expect(list.body.items.map((t) => t.id)).toEqual([sooner.body.id, first.body.id, undated.body.id])
    expect(list.body.items.every((t) => !t.overdue)).toBe(true)

    clock.set(plus(T0, 45 * MINUTE))
    list = await handler.client.get<Page<Task>>(path)
    expect(list.body.items.map((t) => [t.title, t.overdue])).toEqual([
      ['Block the C2', true],
      ['Call the hospital', false],
      ['Write it up', false],
    ])
    const done = await handler.client.patch<Task>(`${path}/${sooner.body.id}`, { done: true })
    expect(done.body).toMatchObject({ done: true, doneAt: plus(T0, 45 * MINUTE), overdue: false })
    const moved = await handler.client.patch<Task>(`${path}/${first.body.id}`, { dueAt: plus(T0, 10 * HOUR) })
    expect(moved.body.dueAt).toBe(plus(T0, 10 * HOUR))
    expect((await handler.client.delete(`${path}/${undated.body.id}`)).status).toBe(204)
    expect((await handler.client.delete(`${path}/${undated.body.id}`)).status).toBe(404)
    expect((await handler.client.patch(`${path}/${randomUUID()}`, { done: true })).status).toBe(404)
    const actions = (await timelineOf(handler, incident.id)).map((e) => e.action)
    expect(actions).toEqual([
      'incident.created',
      'incident.task_added',
      'incident.task_added',
      'incident.task_added',
      'incident.task_done',
      'incident.task_changed',
      'incident.task_deleted',
    ])
  })

  it('shares with participants: they see the shared parts only, keep their private notes, and are attributed', async () => {
    clock.set(T0)
    const report = await fileReport(server, { description: 'Defacement of www.victim-site.example.com' })
    const incident = await createIncident(handler, { title: 'Shared incident', reportIds: [report.id] })
    const path = `/api/v1/incidents/${incident.id}`
    await handler.client.post(`${path}/tasks`, { title: 'Owner work' })
    const orgOnly = { tlp: 'amber', audience: 'org' }

    const noReason = await handler.client.request('PUT', `${path}/sharing`, {
      label: orgOnly,
      participants: [p1.orgId, p2.orgId],
    })
    expect(noReason.status).toBe(400)
    expect(noReason.body).toMatchObject({ error: { details: { field: 'reason' } } })
    const shared = await handler.client.request<Incident>('PUT', `${path}/sharing`, {
      label: orgOnly,
      participants: [p1.orgId, p2.orgId],
      reason: 'sector CSIRTs of the victims',
    })
    expect(shared.status, shared.text).toBe(200)
    expect([...shared.body.participants].sort()).toEqual([p1.orgId, p2.orgId].sort())

    const seen = await p1.client.get<Incident>(path)
    expect(seen.status).toBe(200)
    expect(seen.body).toMatchObject({
      owned: false,
      participants: [],
      reportIds: [],
      title: 'Shared incident',
    })
    expect((await outsider.client.get(path)).status).toBe(404)
    expect((await p1.client.get<Page<Task>>(`${path}/tasks`)).body.items).toEqual([])
    expect((await p1.client.get<Page<Link>>(`${path}/links`)).body.items.map((l) => l.ref)).toEqual([
      'domain:www.victim-site.example.com',
    ])
    expect((await p1.client.patch(path, { title: 'mine now' })).status).toBe(403)
    expect((await p1.client.post(`${path}/tasks`, { title: 'x' })).status).toBe(403)
    expect((await p1.client.post(`${path}/links`, { observable: { value: '192.0.2.1' } })).status).toBe(403)
    expect(
      (await p1.client.request('PUT', `${path}/sharing`, { label: orgOnly, participants: [] })).status,
    ).toBe(403)
    const participantList = await p1.client.get<Page<Incident>>('/api/v1/incidents?limit=500')
    expect(participantList.body.items.map((i) => i.id)).toContain(incident.id)

    const note = async (
      who: Member,
      body: string,
      shared: boolean,
      label: Record<string, unknown> = orgOnly,
    ) => {
      const res = await who.client.post<Note>(`${path}/notes`, { body, label, shared })
      expect(res.status, res.text).toBe(201)
      expect(res.body).toMatchObject({ authorOrgId: who.orgId, label: { ownerOrg: who.orgId } })
      return res.body.id
    }
    const ownerPrivate = await note(handler, 'owner private', false)
    const ownerShared = await note(handler, 'owner shared', true)
    const p1Private = await note(p1, 'p1 private', false)
    const p1Shared = await note(p1, 'p1 shared', true)
    const p2Private = await note(p2, 'p2 private', false)
    const red = await p1.client.post(`${path}/notes`, {
      body: 'red',
      label: { tlp: 'red', audience: 'org', recipients: [p1.userId] },
      shared: true,
    })
    expect(red.status).toBe(400)
    expect(red.body).toMatchObject({ error: { details: { field: 'shared' } } })
    expect((await outsider.client.post(`${path}/notes`, { body: 'x', label: orgOnly })).status).toBe(404)

    const notesOf = async (who: Member) =>
      (await who.client.get<Page<Note>>(`${path}/notes`)).body.items.map((n) => n.id).sort()
    expect(await notesOf(handler)).toEqual([ownerPrivate, ownerShared, p1Shared].sort())
    expect(await notesOf(p1)).toEqual([ownerShared, p1Private, p1Shared].sort())
    expect(await notesOf(p2)).toEqual([ownerShared, p1Shared, p2Private].sort())
    expect((await outsider.client.get(`${path}/notes`)).status).toBe(404)

    const ownerTimeline = await timelineOf(handler, incident.id)
    const p1Timeline = await timelineOf(p1, incident.id)
    const notesOn = (events: typeof ownerTimeline) =>
      events.filter((e) => e.action === 'incident.note_added').map((e) => e.details.noteId as string)
    expect(notesOn(ownerTimeline).sort()).toEqual([ownerPrivate, ownerShared, p1Shared].sort())
    expect(notesOn(p1Timeline).sort()).toEqual([ownerShared, p1Private, p1Shared].sort())
    // Owner-only entries (reports, tasks, sharing) stay with the owner; participants' entries are theirs.
    expect(ownerTimeline.map((e) => e.action)).toEqual(
      expect.arrayContaining(['incident.reports_added', 'incident.task_added', 'incident.shared']),
    )
    for (const hidden of ['incident.reports_added', 'incident.task_added', 'incident.shared']) {
      expect(p1Timeline.map((e) => e.action)).not.toContain(hidden)
    }
    const p1Entry = ownerTimeline.find((e) => e.details.noteId === p1Shared)
    expect(p1Entry).toMatchObject({ actorId: p1.userId, actorOrgId: p1.orgId })

    // Dropping a participant: it no longer sees the incident at all.
    const narrowed = await handler.client.request<Incident>('PUT', `${path}/sharing`, {
      label: orgOnly,
      participants: [p1.orgId],
    })
    expect(narrowed.status, narrowed.text).toBe(200)
    expect((await p2.client.get(path)).status).toBe(404)
    expect((await p2.client.get(`${path}/timeline`)).status).toBe(404)
  })

  it('links observables (normalised, once) and intelligence objects the owner may see', async () => {
    clock.set(T0)
    const incident = await createIncident(handler, { title: 'Links' })
    const path = `/api/v1/incidents/${incident.id}/links`
    const url = await handler.client.post<Link>(path, { observable: { value: 'HTTP://Evil.Example.COM/x' } })
    expect(url.status, url.text).toBe(201)
    expect(url.body).toMatchObject({ kind: 'observable', observableKind: 'url' })
    const again = await handler.client.post<Link>(path, {
      observable: { value: 'HTTP://Evil.Example.COM/x' },
    })
    expect(again.body.id).toBe(url.body.id)
    const ip = await handler.client.post<Link>(path, { observable: { kind: 'ipv4', value: '192.0.2.44' } })
    expect(ip.body.ref).toBe('ipv4:192.0.2.44')
    expect((await handler.client.post(path, { observable: { kind: 'ipv4', value: 'nope' } })).status).toBe(
      400,
    )
    expect((await handler.client.post(path, { objectId: `indicator--${randomUUID()}` })).status).toBe(400)

    const indicatorId = `indicator--${randomUUID()}`
    const imported = await handler.client.request('POST', '/api/v1/intel/import', {
      type: 'bundle',
      id: `bundle--${randomUUID()}`,
      objects: [
        {
          type: 'indicator',
          spec_version: '2.1',
          id: indicatorId,
          created: '2026-05-01T00:00:00.000Z',
          modified: '2026-05-01T00:00:00.000Z',
          pattern: "[ipv4-addr:value = '192.0.2.44']",
          pattern_type: 'stix',
          valid_from: '2026-05-01T00:00:00.000Z',
        },
      ],
    })
    expect(imported.status, imported.text).toBe(200)
    const object = await handler.client.post<Link>(path, { objectId: indicatorId })
    expect(object.status, object.text).toBe(201)
    expect(object.body).toMatchObject({ kind: 'object', ref: indicatorId, value: 'indicator' })
    // Another organisation's handler does not see that object: for it, the object does not exist.
    const theirs = await createIncident(outsider, { title: 'Theirs' })
    const hidden = await outsider.client.post(`/api/v1/incidents/${theirs.id}/links`, {
      objectId: indicatorId,
    })
    expect(hidden.status).toBe(400)

    expect((await handler.client.delete(`${path}/${ip.body.id}`)).status).toBe(204)
    expect((await handler.client.delete(`${path}/${ip.body.id}`)).status).toBe(404)
    const list = await viewer.client.get<Page<Link>>(path)
    expect(list.body.items.map((l) => l.id).sort()).toEqual([url.body.id, object.body.id].sort())
    const actions = (await timelineOf(handler, incident.id)).map((e) => e.action)
    expect(actions).toEqual([
      'incident.created',
      'incident.linked',
      'incident.linked',
      'incident.linked',
      'incident.unlinked',
    ])
  })

  it('hints at duplicates by shared observable and by reporter, among reports the caller may see', async () => {
    clock.set(T0)
    const reporter = `same-${randomUUID().slice(0, 6)}@example.org`
    const a = await fileReport(server, {
      email: reporter,
      description: 'Scan from 203.0.113.77 and 203.0.113.78',
    })
    const b = await fileReport(server, { description: 'Scanned by 203.0.113.77 again' })
    const c = await fileReport(server, { email: reporter.toUpperCase(), description: 'Something else' })
    const d = await fileReport(server, { description: 'Unrelated 192.0.2.200' })
    const both = await fileReport(server, { email: reporter, description: '203.0.113.78 too' })
    const incident = await createIncident(handler, { title: 'Scans', reportIds: [b.id] })

    const res = await viewer.client.get<Page<Hint>>(`/api/v1/reports/${a.id}/hints`)
    expect(res.status, res.text).toBe(200)
    expect(res.body.items).toEqual([
      {
        reportId: both.id,
        trackingId: both.trackingId,
        incidentId: null,
        reasons: ['observable', 'reporter'],
        sharedObservables: ['ipv4:203.0.113.78'],
      },
      {
        reportId: b.id,
        trackingId: b.trackingId,
        incidentId: incident.id,
        reasons: ['observable'],
        sharedObservables: ['ipv4:203.0.113.77'],
      },
      {
        reportId: c.id,
        trackingId: c.trackingId,
        incidentId: null,
        reasons: ['reporter'],
        sharedObservables: [],
      },
    ])
    expect(res.body.items.map((h) => h.reportId)).not.toContain(d.id)
    expect((await analyst.client.get(`/api/v1/reports/${a.id}/hints`)).status).toBe(403)
    expect((await outsider.client.get(`/api/v1/reports/${a.id}/hints`)).status).toBe(404)
  })

  it('hints at duplicates of a report with more observables than a statement takes parameters', async () => {
    clock.set(T0)
    const a = await fileReport(server, { description: 'Many addresses, see the messages' })
    const b = await fileReport(server, { description: 'Seen from 198.18.200.7' })
    // As a report whose reporter sent message after message of addresses: 40,000 observables.
    const rows = Array.from({ length: 40_000 }, (_, i) => {
      const value = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
      return { report_id: a.id, kind: 'ipv4', key: `ipv4:${value}`, value }
    })
    rows.push({ report_id: a.id, kind: 'ipv4', key: 'ipv4:198.18.200.7', value: '198.18.200.7' })
    for (let start = 0; start < rows.length; start += 500) {
      await server.store.db
        .insertInto('report_observables')
        .values(rows.slice(start, start + 500))
        .execute()
    }
    const res = await viewer.client.get<Page<Hint>>(`/api/v1/reports/${a.id}/hints`)
    expect(res.status, res.text).toBe(200)
    expect(res.body.items.find((h) => h.reportId === b.id)?.sharedObservables).toEqual(['ipv4:198.18.200.7'])
  })

  it('exports incidents as valid STIX 2.1 incident objects and as CSV', async () => {
    clock.set(T0)
    const incident = await createIncident(handler, {
      title: '=HYPERLINK("http://x")',
      description: 'exported',
      severity: 'critical',
      rsitClass: 'intrusions',
      rsitType: 'system-compromise',
    })
    const stix = await handler.client.get<{ type: string; objects: Record<string, unknown>[] }>(
      '/api/v1/incidents/export?format=stix',
    )
    expect(stix.status).toBe(200)
    expect(stix.headers.get('content-type')).toContain('application/stix+json')
    const result = validateStixContent(stix.body)
    expect(result.problems, JSON.stringify(result.problems.slice(0, 3))).toEqual([])
    expect(result.specVersion).toBe('2.1')
    const object = stix.body.objects.find((o) => o.id === `incident--${incident.id}`)
    expect(object).toMatchObject({
      type: 'incident',
      spec_version: '2.1',
      name: '=HYPERLINK("http://x")',
      labels: ['rsit:intrusions="system-compromise"'],
      object_marking_refs: ['marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421'],
    })
    expect(Object.values(object?.extensions as Record<string, unknown>)[0]).toMatchObject({
      extension_type: 'property-extension',
      investigation_status: 'new',
      criticality: 100,
    })
    expect(stix.body.objects.every((o) => o.type === 'incident')).toBe(true)

    const csv = await handler.client.get(`/api/v1/incidents/export?format=csv&severity=critical`)
    expect(csv.status).toBe(200)
    expect(csv.headers.get('content-type')).toContain('text/csv')
    const lines = csv.text.split('\r\n').filter((l) => l !== '')
    expect(lines[0]).toBe(
      'id,title,status,severity,impact,rsit_class,rsit_type,assignee_id,tlp,created_at,updated_at,acknowledged_at,acknowledge_due_at,resolved_at,resolve_due_at,closed_at',
    )
    const line = lines.find((l) => l.startsWith(incident.id))
    // Formula cells are neutralised for spreadsheets.
    expect(line).toContain(`"'=HYPERLINK(""http://x"")"`)
    expect(lines.slice(1).every((l) => l.split(',')[3] === 'critical')).toBe(true)
  })
})
