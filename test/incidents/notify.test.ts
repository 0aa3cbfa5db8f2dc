import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as openpgp from 'openpgp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateSigningKey } from '../../src/server/modules/notify/signing.js'
import { verifyPgpMime } from '../constituency/pgp-mime.js'
import { createOrg } from '../helpers/factories.js'
import { errorCode } from '../helpers/http.js'
import type { TestServer } from '../helpers/server.js'
import { startSmtpSink, type SinkMessage, type SmtpSink } from '../helpers/smtp-sink.js'
import { STORE_KINDS } from '../helpers/stores.js'
import {
  createIncident,
  fileReport,
  fixedClock,
  member,
  startClockedServer,
  timelineOf,
  type Member,
  type Page,
} from './incident-helpers.js'

interface Notification {
  id: string
  constituentName: string
  recipients: string[]
  observables: string[]
  subject: string
  body: string
  incidentId: string | null
  messageId: string | null
  status: string
  signed: boolean
  encrypted: boolean
  sentBy: string | null
}
interface NotifyResult {
  notifications: Notification[]
  unmatched: string[]
  ignored: string[]
}

const HASH = 'd41d8cd98f00b204e9800998ecf8427e'

function mailTo(mails: readonly SinkMessage[], address: string): SinkMessage[] {
  return mails.filter((m) => m.envelope.to.includes(address))
}

async function register(handler: Member): Promise<void> {
  for (const c of [
    { name: 'Hospital', abuseEmails: ['cert@hospital.test'], netblocks: ['198.51.100.0/24'] },
    { name: 'ISP', abuseEmails: ['abuse@isp.test', 'noc@isp.test'], netblocks: ['203.0.113.0/24'] },
  ]) {
    const res = await handler.client.post('/api/v1/constituency/constituents', c)
    expect(res.status, res.text).toBe(201)
  }
}

describe.each(STORE_KINDS)('owner notification from an incident (%s)', (kind) => {
  const clock = fixedClock('2026-06-01T08:00:00.000Z')
  let sink: SmtpSink
  let server: TestServer
  let handler: Member
  let viewer: Member
  let analyst: Member
  let participant: Member
  let outsider: Member

  beforeAll(async () => {
    sink = await startSmtpSink()
    server = await startClockedServer(kind, clock, {
      LIAISON_SMTP_RELAY: sink.url,
      LIAISON_REPORT_ADDRESS: 'cert@csirt.test',
    })
    handler = await member(server, server.admin.orgId, 'handler')
    viewer = await member(server, server.admin.orgId, 'viewer')
    analyst = await member(server, server.admin.orgId, 'analyst')
    participant = await member(server, (await createOrg(server.store)).id, 'handler')
    outsider = await member(server, (await createOrg(server.store)).id, 'handler')
    await register(handler)
  })
  afterAll(async () => {
    await server.close()
    await sink.close()
  })

  it('sends each owner of the incident’s observables one mail with its own values, and records it', async () => {
    const report = await fileReport(server, {
      description: 'Bots at 198.51.100.7 and 198.51.100.8 talk to 203.0.113.9',
    })
    const incident = await createIncident(handler, {
      title: 'Botnet',
      rsitClass: 'malicious-code',
      rsitType: 'infected-system',
      reportIds: [report.id],
    })
    const base = `/api/v1/incidents/${incident.id}`
    for (const value of ['192.0.2.5', HASH, '198.51.100.7']) {
      expect((await handler.client.post(`${base}/links`, { observable: { value } })).status).toBe(201)
    }
    // The same value unlinked stays in the report: the report's observables are notified too.
    const links = await handler.client.get<Page<{ id: string; ref: string }>>(`${base}/links`)
    const eight = links.body.items.find((l) => l.ref === 'ipv4:198.51.100.8')
    expect((await handler.client.delete(`${base}/links/${eight?.id ?? ''}`)).status).toBe(204)
    const shared = await handler.client.request('PUT', `${base}/sharing`, {
      label: { tlp: 'amber', audience: 'org' },
      participants: [participant.orgId],
      reason: 'the ISP’s sector CSIRT',
    })
    expect(shared.status).toBe(200)

    for (const who of [viewer, analyst, participant]) {
      const refused = await who.client.post(`${base}/notify`, {})
      expect(refused.status, who.role).toBe(403)
      expect(errorCode(refused)).toBe('forbidden')
    }
    expect((await outsider.client.post(`${base}/notify`, {})).status).toBe(404)
    expect((await server.client().post(`${base}/notify`, {})).status).toBe(401)
    expect(sink.messages).toHaveLength(0)

    const res = await handler.client.post<NotifyResult>(`${base}/notify`, {
      message: 'Please clean up the infected hosts.',
    })
    expect(res.status, res.text).toBe(200)
    expect(res.body.unmatched).toEqual(['192.0.2.5'])
    expect(res.body.ignored).toEqual([HASH])
    expect(res.body.notifications.map((n) => [n.constituentName, n.status, n.signed])).toEqual([
      ['Hospital', 'sent', false],
      ['ISP', 'sent', false],
    ])
    const mails = await sink.waitFor(2)
    expect(mails).toHaveLength(2)
    const hospital = mailTo(mails, 'cert@hospital.test')
    expect(hospital).toHaveLength(1)
    const hospitalText = hospital[0]?.parsed.text ?? ''
    expect(hospitalText).toContain('198.51.100.7')
    expect(hospitalText).toContain('198.51.100.8')
    expect(hospitalText).not.toContain('203.0.113.9')
    expect(hospitalText).toContain('malicious-code/infected-system')
    expect(hospitalText).toContain('Please clean up the infected hosts.')
    expect(hospital[0]?.parsed.subject).toContain(incident.id)
    const isp = mailTo(mails, 'abuse@isp.test')
    expect([...(isp[0]?.envelope.to ?? [])].sort()).toEqual(['abuse@isp.test', 'noc@isp.test'])
    expect(isp[0]?.parsed.text).toContain('203.0.113.9')
    expect(isp[0]?.parsed.text).not.toContain('198.51.100')
    for (const n of res.body.notifications) {
      expect(n).toMatchObject({ incidentId: incident.id, sentBy: handler.userId })
    }

    const timeline = await timelineOf(handler, incident.id)
    const notified = timeline.find((e) => e.action === 'incident.notified')
    expect(notified?.details).toMatchObject({
      owners: [
        { constituent: 'Hospital', observables: 2, status: 'sent' },
        { constituent: 'ISP', observables: 1, status: 'sent' },
      ],
      sent: 2,
      failed: 0,
      unmatched: 1,
      ignored: 1,
    })
    // The register is the owner's working data: participants do not see who was told.
    expect((await timelineOf(participant, incident.id)).map((e) => e.action)).not.toContain(
      'incident.notified',
    )

    const listed = await viewer.client.get<Page<Notification>>(`${base}/notifications`)
    expect(listed.status, listed.text).toBe(200)
    expect(listed.body.total).toBe(2)
    expect(listed.body.items.map((n) => n.id).sort()).toEqual(res.body.notifications.map((n) => n.id).sort())
    expect((await participant.client.get<Page<Notification>>(`${base}/notifications`)).body).toEqual({
      items: [],
      total: 0,
    })
    expect((await analyst.client.get(`${base}/notifications`)).status).toBe(403)
    expect((await outsider.client.get(`${base}/notifications`)).status).toBe(404)
    const audit = await server.store.db
      .selectFrom('audit_log')
      .select('action')
      .where('target_id', '=', incident.id)
      .where('action', '=', 'incident.notified')
      .execute()
    expect(audit).toHaveLength(1)
  })

  it('refuses an incident without observables, and incidents of other organisations (the register is the instance’s)', async () => {
    const empty = await createIncident(handler, { title: 'Nothing to notify' })
    const res = await handler.client.post(`/api/v1/incidents/${empty.id}/notify`, {})
    expect(res.status).toBe(409)
    expect(res.body).toMatchObject({ error: { details: { field: 'observables' } } })
    const theirs = await createIncident(outsider, { title: 'Their own' })
    await outsider.client.post(`/api/v1/incidents/${theirs.id}/links`, {
      observable: { value: '198.51.100.50' },
    })
    const before = sink.messages.length
    const refused = await outsider.client.post(`/api/v1/incidents/${theirs.id}/notify`, {})
    expect(refused.status).toBe(403)
    expect(sink.messages).toHaveLength(before)
    expect(
      (await outsider.client.get<Page<Notification>>(`/api/v1/incidents/${theirs.id}/notifications`)).body
        .total,
    ).toBe(0)
  })
})

describe.each(STORE_KINDS)('signed owner notification from an incident (%s)', (kind) => {
  const clock = fixedClock('2026-06-01T08:00:00.000Z')
  let sink: SmtpSink
  let server: TestServer
  let handler: Member
  let publicKey: openpgp.Key
  let keyDir: string

  beforeAll(async () => {
    sink = await startSmtpSink()
    const key = await generateSigningKey('CSIRT Test', 'cert@csirt.test', 'pass phrase')
    publicKey = await openpgp.readKey({ armoredKey: key.publicKey })
    keyDir = mkdtempSync(path.join(tmpdir(), 'liaison-key-'))
    const keyFile = path.join(keyDir, 'signing.asc')
    writeFileSync(keyFile, key.privateKey, { mode: 0o600 })
    server = await startClockedServer(kind, clock, {
      LIAISON_SMTP_RELAY: sink.url,
      LIAISON_REPORT_ADDRESS: 'cert@csirt.test',
      LIAISON_OPENPGP_KEY_FILE: keyFile,
      LIAISON_OPENPGP_PASSPHRASE: 'pass phrase',
    })
    handler = await member(server, server.admin.orgId, 'handler')
    await register(handler)
  })
  afterAll(async () => {
    await server.close()
    await sink.close()
    rmSync(keyDir, { recursive: true, force: true })
  })

  it('signs every mail; the signature verifies against the instance’s public key', async () => {
    const incident = await createIncident(handler, { title: 'Signed' })
    for (const value of ['198.51.100.20', '203.0.113.20']) {
      await handler.client.post(`/api/v1/incidents/${incident.id}/links`, { observable: { value } })
    }
    const res = await handler.client.post<NotifyResult>(`/api/v1/incidents/${incident.id}/notify`, {
      tlp: 'TLP:GREEN',
    })
    expect(res.status, res.text).toBe(200)
    expect(res.body.notifications.map((n) => [n.constituentName, n.signed, n.encrypted])).toEqual([
      ['Hospital', true, false],
      ['ISP', true, false],
    ])
    const mails = await sink.waitFor(2)
    const hospital = mailTo(mails, 'cert@hospital.test')[0]
    expect(hospital).toBeDefined()
    const check = await verifyPgpMime(hospital?.raw ?? Buffer.alloc(0), publicKey)
    expect(check.valid).toBe(true)
    expect(check.signedPart).toContain('198.51.100.20')
    expect(check.signedPart).not.toContain('203.0.113.20')
    expect(check.signedPart).toContain('TLP:GREEN')
  })
})
