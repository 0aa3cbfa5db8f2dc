import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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
  type Deadline,
  type Incident,
  type Member,
  type Page,
} from './incident-helpers.js'

interface Nis2Doc {
  stage: string
  generatedAt: string
  reference: string
  title: string
  entity: { name: string; sector: string | null }
  awareAt: string
  tlp: string
  fields: Record<string, unknown>
  missing: string[]
}

/** 01:30 CET in Brussels on 1 March 2026; the clocks go forward on 29 March. */
const AWARE = '2026-03-01T00:30:00.000Z'

function stageOf(incident: Incident, stage: string): Deadline {
  const found = incident.nis2.deadlines.filter((d) => d.stage === stage)
  expect(found, `${stage} in ${JSON.stringify(incident.nis2.deadlines)}`).toHaveLength(1)
  return found[0] as Deadline
}

describe.each(STORE_KINDS)('NIS2 reporting on incidents (%s)', (kind) => {
  const clock = fixedClock('2026-03-01T06:00:00.000Z')
  let server: TestServer
  let handler: Member
  let viewer: Member
  let participant: Member
  let outsider: Member
  let instanceName: string

  beforeAll(async () => {
    server = await startClockedServer(kind, clock)
    handler = await member(server, server.admin.orgId, 'handler')
    viewer = await member(server, server.admin.orgId, 'viewer')
    participant = await member(server, (await createOrg(server.store)).id, 'handler')
    outsider = await member(server, (await createOrg(server.store)).id, 'handler')
    const org = await server.store.db
      .selectFrom('organisations')
      .select('name')
      .where('id', '=', server.admin.orgId)
      .executeTakeFirstOrThrow()
    instanceName = org.name
  })
  afterAll(async () => {
    await server.close()
  })

  async function patch(incidentId: string, body: Record<string, unknown>): Promise<Incident> {
    const res = await handler.client.patch<Incident>(`/api/v1/incidents/${incidentId}`, body)
    expect(res.status, res.text).toBe(200)
    return res.body
  }

  async function overdueIds(): Promise<string[]> {
    const res = await handler.client.get<Page<Incident>>('/api/v1/incidents/nis2/overdue?limit=500')
    expect(res.status, res.text).toBe(200)
    const count = await handler.client.get<{ count: number }>('/api/v1/incidents/count?nis2Overdue=true')
    expect(count.body.count).toBe(res.body.total)
    const filtered = await handler.client.get<Page<Incident>>('/api/v1/incidents?nis2Overdue=true&limit=500')
    expect(filtered.body.items.map((i) => i.id).sort()).toEqual(res.body.items.map((i) => i.id).sort())
    return res.body.items.map((i) => i.id)
  }

  it('runs no clock until the incident is significant with an awareness time', async () => {
    clock.set('2026-03-01T06:00:00.000Z')
    const plain = await createIncident(handler, { title: 'Not significant', nis2: { awareAt: AWARE } })
    expect(plain.nis2.deadlines).toEqual([])
    const noAwareness = await createIncident(handler, { title: 'No awareness', nis2: { significant: true } })
    expect(noAwareness.nis2.deadlines).toEqual([])
    const doc = await handler.client.get(`/api/v1/incidents/${plain.id}/nis2/early-warning`)
    expect(doc.status).toBe(409)
    expect(doc.body).toMatchObject({ error: { code: 'conflict', details: { field: 'nis2' } } })
    const submit = await handler.client.patch(`/api/v1/incidents/${plain.id}`, {
      nis2: { earlyWarningSentAt: '2026-03-01T05:00:00.000Z' },
    })
    expect(submit.status).toBe(409)
    const request = await handler.client.post(`/api/v1/incidents/${plain.id}/nis2/intermediate`, {
      dueAt: '2026-03-10T00:00:00.000Z',
    })
    expect(request.status).toBe(409)
    const badStage = await handler.client.get(`/api/v1/incidents/${plain.id}/nis2/annual`)
    expect(badStage.status).toBe(400)
  })

  it('derives 24 h / 72 h in elapsed time and the final report’s month on the zone’s wall clock across DST', async () => {
    clock.set('2026-03-01T06:00:00.000Z')
    const incident = await createIncident(handler, {
      title: 'Ransomware at a grid operator',
      nis2: { significant: true, awareAt: AWARE },
    })
    expect(incident.nis2).toMatchObject({ significant: true, awareAt: AWARE, timeZone: 'Europe/Brussels' })
    expect(incident.nis2.deadlines).toEqual([
      {
        stage: 'early-warning',
        dueAt: '2026-03-02T00:30:00.000Z',
        submittedAt: null,
        status: 'due',
        late: false,
        basis: '24 h after awareness',
      },
      {
        stage: 'notification',
        dueAt: '2026-03-04T00:30:00.000Z',
        submittedAt: null,
        status: 'due',
        late: false,
        basis: '72 h after awareness',
      },
      {
        stage: 'final',
        // 4 March 01:30 CET + one month = 4 April 01:30 CEST: one hour less of elapsed time.
        dueAt: '2026-04-03T23:30:00.000Z',
        submittedAt: null,
        status: 'due',
        late: false,
        basis: 'one month after the notification (counted from its due time until it is sent)',
      },
    ])
    const utc = await patch(incident.id, { nis2: { timeZone: 'UTC' } })
    expect(stageOf(utc, 'final').dueAt).toBe('2026-04-04T00:30:00.000Z')
    const bad = await handler.client.patch(`/api/v1/incidents/${incident.id}`, {
      nis2: { timeZone: 'Mars/Olympus_Mons' },
    })
    expect(bad.status).toBe(400)
    expect(bad.body).toMatchObject({ error: { details: { field: 'nis2.timeZone' } } })
    await patch(incident.id, { nis2: { timeZone: 'Europe/Brussels' } })

    // Early warning late (the clock is past its due time), the notification in time.
    clock.set('2026-03-02T06:00:00.000Z')
    expect(await overdueIds()).toContain(incident.id)
    const warned = await patch(incident.id, { nis2: { earlyWarningSentAt: '2026-03-02T05:00:00.000Z' } })
    expect(stageOf(warned, 'early-warning')).toMatchObject({ status: 'met', late: true })
    expect(await overdueIds()).not.toContain(incident.id)
    const notified = await patch(incident.id, { nis2: { notificationSentAt: '2026-03-02T00:30:00.000Z' } })
    expect(stageOf(notified, 'notification')).toMatchObject({ status: 'met', late: false })
    // Now counted from the notification sent: 2 March 01:30 CET → 2 April 01:30 CEST.
    expect(stageOf(notified, 'final')).toMatchObject({
      dueAt: '2026-04-01T23:30:00.000Z',
      basis: 'one month after the notification',
    })

    // Still ongoing after that date: a progress report is due then, the final report one month after the end.
    clock.set('2026-04-02T00:00:00.000Z')
    const ongoing = (await handler.client.get<Incident>(`/api/v1/incidents/${incident.id}`)).body
    expect(stageOf(ongoing, 'progress')).toMatchObject({
      dueAt: '2026-04-01T23:30:00.000Z',
      status: 'overdue',
    })
    expect(stageOf(ongoing, 'final')).toMatchObject({ dueAt: null, status: 'waiting' })
    expect(await overdueIds()).toContain(incident.id)
    const progressed = await patch(incident.id, {
      nis2: { progressReportSentAt: '2026-04-02T00:00:00.000Z' },
    })
    expect(stageOf(progressed, 'progress')).toMatchObject({ status: 'met', late: true })
    expect(await overdueIds()).not.toContain(incident.id)

    clock.set('2026-04-10T10:00:00.000Z')
    for (const status of ['triage', 'in_progress', 'resolved']) {
      await patch(incident.id, { status })
    }
    const resolved = (await handler.client.get<Incident>(`/api/v1/incidents/${incident.id}`)).body
    // Handled on 10 April 12:00 CEST: the final report is due on 10 May 12:00 CEST.
    expect(stageOf(resolved, 'final')).toMatchObject({ dueAt: '2026-05-10T10:00:00.000Z', status: 'due' })
    clock.set('2026-05-11T00:00:00.000Z')
    expect(await overdueIds()).toContain(incident.id)
    // Reopening makes it ongoing again: no final due date until it is handled once more.
    await patch(incident.id, { status: 'in_progress' })
    expect(await overdueIds()).not.toContain(incident.id)
    await patch(incident.id, { status: 'resolved' })
    const final = await patch(incident.id, { nis2: { finalReportSentAt: '2026-05-11T00:00:00.000Z' } })
    expect(stageOf(final, 'final')).toMatchObject({ status: 'met', dueAt: '2026-06-11T00:00:00.000Z' })
    expect(await overdueIds()).not.toContain(incident.id)

    const actions = (await timelineOf(handler, incident.id)).map((e) => e.action)
    expect(actions.filter((a) => a === 'incident.nis2_submitted')).toHaveLength(4)
    expect(actions.filter((a) => a === 'incident.nis2_changed')).toHaveLength(3)
  })

  it('gives trust service providers 24 h for the notification (elapsed, across the DST change)', async () => {
    clock.set('2026-03-28T13:00:00.000Z')
    const incident = await createIncident(handler, {
      title: 'Qualified certificates misissued',
      nis2: { significant: true, trustServiceProvider: true, awareAt: '2026-03-28T12:00:00.000Z' },
    })
    // 13:00 CET on the 28th + 24 h = 14:00 CEST on the 29th.
    expect(stageOf(incident, 'early-warning').dueAt).toBe('2026-03-29T12:00:00.000Z')
    expect(stageOf(incident, 'notification')).toMatchObject({
      dueAt: '2026-03-29T12:00:00.000Z',
      basis: '24 h after awareness (trust service provider)',
    })
    expect(stageOf(incident, 'final').dueAt).toBe('2026-04-29T12:00:00.000Z')
    const plain = await patch(incident.id, { nis2: { trustServiceProvider: false } })
    expect(stageOf(plain, 'notification').dueAt).toBe('2026-03-31T12:00:00.000Z')
  })

  it('keeps submissions immutable and refuses times in the future', async () => {
    clock.set('2026-03-01T06:00:00.000Z')
    const incident = await createIncident(handler, {
      title: 'Immutable',
      nis2: { significant: true, awareAt: AWARE, earlyWarningSentAt: '2026-03-01T05:00:00.000Z' },
    })
    expect(stageOf(incident, 'early-warning')).toMatchObject({
      status: 'met',
      submittedAt: '2026-03-01T05:00:00.000Z',
    })
    const path = `/api/v1/incidents/${incident.id}`
    const changed = await handler.client.patch(path, {
      nis2: { earlyWarningSentAt: '2026-03-01T05:30:00.000Z' },
    })
    expect(changed.status).toBe(409)
    expect(changed.body).toMatchObject({ error: { details: { field: 'nis2.earlyWarningSentAt' } } })
    expect((await handler.client.patch(path, { nis2: { earlyWarningSentAt: null } })).status).toBe(409)
    const before = (await timelineOf(handler, incident.id)).length
    const same = await handler.client.patch(path, { nis2: { earlyWarningSentAt: '2026-03-01T05:00:00Z' } })
    expect(same.status).toBe(200)
    expect(await timelineOf(handler, incident.id)).toHaveLength(before)
    const future = await handler.client.patch(path, {
      nis2: { notificationSentAt: '2026-03-02T00:00:00.000Z' },
    })
    expect(future.status).toBe(400)
    expect(future.body).toMatchObject({ error: { details: { field: 'nis2.notificationSentAt' } } })
    expect((await handler.client.patch(path, { nis2: { awareAt: '2026-04-01T00:00:00.000Z' } })).status).toBe(
      400,
    )
    expect((await viewer.client.patch(path, { nis2: { notificationSentAt: AWARE } })).status).toBe(403)
  })

  it('records intermediate report requests and their submission', async () => {
    clock.set('2026-03-01T06:00:00.000Z')
    const incident = await createIncident(handler, {
      title: 'Intermediate',
      nis2: {
        significant: true,
        awareAt: AWARE,
        earlyWarningSentAt: '2026-03-01T05:00:00.000Z',
        notificationSentAt: '2026-03-01T05:30:00.000Z',
      },
    })
    const path = `/api/v1/incidents/${incident.id}/nis2/intermediate`
    const backwards = await handler.client.post(path, { dueAt: '2026-02-28T00:00:00.000Z' })
    expect(backwards.status).toBe(400)
    expect(backwards.body).toMatchObject({ error: { details: { field: 'dueAt' } } })
    expect((await viewer.client.post(path, { dueAt: '2026-03-05T00:00:00.000Z' })).status).toBe(403)
    expect((await outsider.client.post(path, { dueAt: '2026-03-05T00:00:00.000Z' })).status).toBe(404)
    const requested = await handler.client.post<Incident>(path, {
      dueAt: '2026-03-05T00:00:00.000Z',
      note: 'CSIRT asks for the scope of the encryption',
    })
    expect(requested.status, requested.text).toBe(201)
    const [request] = requested.body.nis2.intermediateRequests
    expect(request).toMatchObject({
      requestedAt: '2026-03-01T06:00:00.000Z',
      dueAt: '2026-03-05T00:00:00.000Z',
      submittedAt: null,
      note: 'CSIRT asks for the scope of the encryption',
    })
    expect(stageOf(requested.body, 'intermediate')).toMatchObject({
      dueAt: '2026-03-05T00:00:00.000Z',
      status: 'due',
      basis: 'requested 2026-03-01T06:00:00.000Z',
    })
    expect(await overdueIds()).not.toContain(incident.id)
    clock.set('2026-03-05T01:00:00.000Z')
    expect(await overdueIds()).toContain(incident.id)
    const unknown = await handler.client.patch(`/api/v1/incidents/${incident.id}`, {
      nis2: { intermediateReports: [{ id: randomUUID(), submittedAt: '2026-03-05T00:30:00.000Z' }] },
    })
    expect(unknown.status).toBe(400)
    expect(unknown.body).toMatchObject({ error: { details: { field: 'nis2.intermediateReports.0.id' } } })
    const submitted = await patch(incident.id, {
      nis2: { intermediateReports: [{ id: request?.id, submittedAt: '2026-03-05T00:30:00.000Z' }] },
    })
    expect(stageOf(submitted, 'intermediate')).toMatchObject({ status: 'met', late: true })
    expect(await overdueIds()).not.toContain(incident.id)
    const again = await handler.client.patch(`/api/v1/incidents/${incident.id}`, {
      nis2: { intermediateReports: [{ id: request?.id, submittedAt: '2026-03-05T00:40:00.000Z' }] },
    })
    expect(again.status).toBe(409)
    const events = await timelineOf(handler, incident.id)
    expect(events.find((e) => e.action === 'incident.nis2_intermediate_requested')?.details).toMatchObject({
      requestId: request?.id,
      dueAt: '2026-03-05T00:00:00.000Z',
    })
    const submission = events.filter((e) => e.action === 'incident.nis2_submitted').at(-1)
    expect(submission?.details).toMatchObject({ stage: 'intermediate', requestId: request?.id, late: true })
    const audit = await server.store.db
      .selectFrom('audit_log')
      .select('action')
      .where('target_id', '=', incident.id)
      .where('action', 'like', 'incident.nis2%')
      .execute()
    expect(audit.map((a) => a.action).sort()).toEqual([
      'incident.nis2_changed',
      'incident.nis2_intermediate_requested',
      'incident.nis2_submitted',
      'incident.nis2_submitted',
      'incident.nis2_submitted',
    ])
  })

  it('lists overdue incidents longest overdue first', async () => {
    clock.set('2026-07-01T00:00:00.000Z')
    const older = await createIncident(handler, {
      title: 'Older',
      nis2: { significant: true, awareAt: '2026-06-20T00:00:00.000Z' },
    })
    const newer = await createIncident(handler, {
      title: 'Newer',
      nis2: { significant: true, awareAt: '2026-06-25T00:00:00.000Z' },
    })
    const ids = await overdueIds()
    expect(ids.indexOf(older.id)).toBeGreaterThanOrEqual(0)
    expect(ids.indexOf(older.id)).toBeLessThan(ids.indexOf(newer.id))
    expect((await outsider.client.get<Page<Incident>>('/api/v1/incidents/nis2/overdue')).body.total).toBe(0)
  })

  it('generates each stage’s document from the incident: Article 23 fields, indicators, what is missing', async () => {
    clock.set('2026-03-01T06:00:00.000Z')
    const report = await fileReport(server, {
      description: 'Exfiltration to 198.51.100.99 over exfil.example.net',
      nis2: { suspectedMalicious: true },
    })
    const incident = await createIncident(handler, {
      title: 'Data exfiltration',
      description: 'Customer records copied out',
      severity: 'high',
      reportIds: [report.id],
      nis2: { significant: true, awareAt: AWARE },
    })
    expect(incident.nis2.suspectedMalicious).toBe(true)
    const path = `/api/v1/incidents/${incident.id}/nis2`
    const early = await handler.client.get<Nis2Doc>(`${path}/early-warning`)
    expect(early.status, early.text).toBe(200)
    expect(early.body).toEqual({
      stage: 'early-warning',
      generatedAt: '2026-03-01T06:00:00.000Z',
      reference: incident.id,
      title: 'Data exfiltration',
      entity: { name: instanceName, sector: null },
      awareAt: AWARE,
      tlp: 'TLP:AMBER',
      fields: { suspectedMalicious: true, crossBorder: null, description: 'Customer records copied out' },
      missing: ['crossBorder'],
    })
    const notification = await handler.client.get<Nis2Doc>(`${path}/notification`)
    expect(notification.body.fields).toMatchObject({
      severity: 'high',
      impact: null,
      indicators: ['domain:exfil.example.net', 'ipv4:198.51.100.99'],
    })
    expect(notification.body.missing).toEqual(['crossBorder', 'impact'])
    const final = await handler.client.get<Nis2Doc>(`${path}/final`)
    expect(final.body.missing).toEqual(['impact', 'rootCause', 'mitigationApplied', 'crossBorder'])
    await patch(incident.id, {
      impact: 'records of 12,000 customers',
      nis2: {
        crossBorder: false,
        rootCause: 'malicious-actions: stolen VPN credentials',
        mitigationApplied: 'credentials rotated, VPN MFA',
        mitigationOngoing: 'monitoring',
      },
    })
    const complete = await handler.client.get<Nis2Doc>(`${path}/final`)
    expect(complete.body.missing).toEqual([])
    expect(complete.body.fields).toMatchObject({
      rootCause: 'malicious-actions: stolen VPN credentials',
      mitigationApplied: 'credentials rotated, VPN MFA',
      mitigationOngoing: 'monitoring',
      crossBorder: false,
    })
    const progress = await handler.client.get<Nis2Doc>(`${path}/progress`)
    expect(progress.body.fields).toMatchObject({ status: 'new' })

    // The submission is kept on the timeline as it was when recorded.
    await patch(incident.id, { nis2: { earlyWarningSentAt: '2026-03-01T05:00:00.000Z' } })
    const submission = (await timelineOf(handler, incident.id)).find(
      (e) => e.action === 'incident.nis2_submitted',
    )
    expect(submission?.details).toMatchObject({
      stage: 'early-warning',
      submittedAt: '2026-03-01T05:00:00.000Z',
      dueAt: '2026-03-02T00:30:00.000Z',
      late: false,
      document: {
        stage: 'early-warning',
        missing: [],
        fields: { crossBorder: false, suspectedMalicious: true },
      },
    })

    // Documents follow the incident: a participant reads them, an organisation that cannot see it gets 404.
    const shared = await handler.client.request('PUT', `/api/v1/incidents/${incident.id}/sharing`, {
      label: { tlp: 'amber', audience: 'org' },
      participants: [participant.orgId],
      reason: 'sector CSIRT',
    })
    expect(shared.status, shared.text).toBe(200)
    const asParticipant = await participant.client.get<Nis2Doc>(`${path}/notification`)
    expect(asParticipant.status).toBe(200)
    expect(asParticipant.body.fields).toEqual({
      ...notification.body.fields,
      crossBorder: false,
      impact: 'records of 12,000 customers',
    })
    const hidden = await outsider.client.get(`${path}/notification`)
    const missing = await outsider.client.get(`/api/v1/incidents/${randomUUID()}/nis2/notification`)
    expect(hidden.status).toBe(404)
    expect(errorCode(hidden)).toBe(errorCode(missing))
  })

  it('prefills the facts from all the reports: any yes wins, then any no; the input overrides', async () => {
    clock.set('2026-03-01T06:00:00.000Z')
    const yes = await fileReport(server, { nis2: { suspectedMalicious: true, crossBorderImpact: false } })
    const no = await fileReport(server, { nis2: { suspectedMalicious: false } })
    const silent = await fileReport(server)
    const combined = await createIncident(handler, {
      title: 'Combined',
      reportIds: [yes.id, no.id, silent.id],
    })
    expect(combined.nis2).toMatchObject({ suspectedMalicious: true, crossBorder: false })
    const a = await fileReport(server, { nis2: { suspectedMalicious: true } })
    const overridden = await createIncident(handler, {
      title: 'Overridden',
      reportIds: [a.id],
      nis2: { suspectedMalicious: false },
    })
    expect(overridden.nis2.suspectedMalicious).toBe(false)
  })
})
