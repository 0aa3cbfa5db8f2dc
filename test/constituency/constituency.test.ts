import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as openpgp from 'openpgp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateSigningKey } from '../../src/server/modules/notify/signing.js'
import { errorCode, type ApiClient } from '../helpers/http.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { startSmtpSink, type SinkMessage, type SmtpSink } from '../helpers/smtp-sink.js'
import { STORE_KINDS } from '../helpers/stores.js'
import { verifyPgpMime } from './pgp-mime.js'

interface Constituent {
  id: string
  name: string
  abuseEmails: string[]
  pgpFingerprint: string | null
  ranges: { id: string; kind: string; value: string }[]
}
interface Lookup {
  normalised: string | null
  owners: { constituentId: string; name: string; kind: string; matched: string }[]
}
interface Notification {
  id: string
  constituentId: string
  constituentName: string
  recipients: string[]
  observables: string[]
  body: string
  subject: string
  incidentId: string | null
  messageId: string | null
  status: string
  error: string | null
  signed: boolean
  encrypted: boolean
}
interface NotifyResult {
  notifications: Notification[]
  unmatched: string[]
  ignored: string[]
}

/** The register every suite starts from: nested netblocks, ASNs, nested domains. */
const REGISTER = [
  {
    name: 'Big ISP',
    abuseEmails: ['abuse@isp.test'],
    netblocks: ['198.51.96.0/19', '2001:db8::/32'],
    asns: ['AS64500'],
    domains: ['isp.test'],
  },
  {
    name: 'Hospital',
    abuseEmails: ['cert@hospital.test'],
    netblocks: ['198.51.100.0/24', '2001:db8:1::/48'],
    domains: ['hospital.test'],
  },
  {
    name: 'Lab',
    abuseEmails: ['abuse@lab.test', 'soc@lab.test'],
    netblocks: ['198.51.100.128/25'],
    domains: ['lab.hospital.test'],
  },
  { name: 'Transit', abuseEmails: ['noc@transit.test'], asns: ['64511'] },
] as const

/** Every observable of the notify test, and which owner must be told about it (null: nobody). */
const OBSERVABLES: { value: string; asn?: string; owner: string | null; shown: string }[] = [
  { value: '198.51.100.7', owner: 'Hospital', shown: '198.51.100.7' },
  { value: '198.51.100.200', owner: 'Lab', shown: '198.51.100.200' },
  { value: '198.51.101.1', owner: 'Big ISP', shown: '198.51.101.1' },
  { value: '203.0.113.5', asn: 'AS64511', owner: 'Transit', shown: '203.0.113.5' },
  { value: '2001:db8:1::dead', owner: 'Hospital', shown: '2001:db8:1::dead' },
  { value: '2001:db8:2::1', owner: 'Big ISP', shown: '2001:db8:2::1' },
  { value: 'evil.lab.hospital.test', owner: 'Lab', shown: 'evil.lab.hospital.test' },
  { value: 'http://phish.hospital.test/login', owner: 'Hospital', shown: 'phish.hospital.test' },
  { value: '192.0.2.1', owner: null, shown: '192.0.2.1' },
]

async function seed(client: ApiClient): Promise<Map<string, Constituent>> {
  const byName = new Map<string, Constituent>()
  for (const c of REGISTER) {
    const res = await client.post<Constituent>('/api/v1/constituency/constituents', c)
    expect(res.status, res.text).toBe(201)
    byName.set(c.name, res.body)
  }
  return byName
}

function mailFor(mails: SinkMessage[], address: string): SinkMessage[] {
  return mails.filter((m) => m.envelope.to.includes(address))
}

describe.each(STORE_KINDS)('constituency register and owner notification (%s)', (kind) => {
  let sink: SmtpSink
  let server: TestServer
  let handler: ApiClient
  let register: Map<string, Constituent>

  beforeAll(async () => {
    sink = await startSmtpSink()
    server = await startTestServer(kind, {
      LIAISON_SMTP_RELAY: sink.url,
      LIAISON_REPORT_ADDRESS: 'cert@csirt.test',
    })
    handler = (await server.loginAsNewUser({ role: 'handler', orgId: server.admin.orgId })).client
    register = await seed(handler)
  })
  afterAll(async () => {
    await server.close()
    await sink.close()
  })

  it('stores ranges normalised and lists them', async () => {
    const isp = register.get('Big ISP')!
    expect(isp.ranges.map((r) => `${r.kind}:${r.value}`).sort()).toEqual(
      ['asn:AS64500', 'domain:isp.test', 'netblock:198.51.96.0/19', 'netblock:2001:db8::/32'].sort(),
    )
    const transit = register.get('Transit')!
    expect(transit.ranges.map((r) => r.value)).toEqual(['AS64511'])
    const list = await handler.get<{ items: Constituent[]; total: number }>(
      '/api/v1/constituency/constituents',
    )
    expect(list.status).toBe(200)
    expect(list.body.total).toBe(4)
    expect(list.body.items.map((c) => c.name)).toEqual(['Big ISP', 'Hospital', 'Lab', 'Transit'])
  })

  it('finds the most specific netblock, then the ASN given, and the most specific domain', async () => {
    const owner = async (value: string, asn?: string): Promise<string[]> => {
      const query = new URLSearchParams({ value, ...(asn === undefined ? {} : { asn }) })
      const res = await handler.get<Lookup>(`/api/v1/constituency/lookup?${query.toString()}`)
      expect(res.status, res.text).toBe(200)
      return res.body.owners.map((o) => o.name)
    }
    expect(await owner('198.51.100.7')).toEqual(['Hospital'])
    expect(await owner('198.51.100.128')).toEqual(['Lab'])
    expect(await owner('198.51.100.255')).toEqual(['Lab'])
    expect(await owner('198.51.100.127')).toEqual(['Hospital'])
    expect(await owner('198.51.99.255')).toEqual(['Big ISP'])
    expect(await owner('198.51.96.0')).toEqual(['Big ISP'])
    expect(await owner('198.51.128.0')).toEqual([])
    expect(await owner('198.51.100.0/26')).toEqual(['Hospital'])
    expect(await owner('198.51.100.0/23')).toEqual(['Big ISP'])
    expect(await owner('2001:db8:1:ffff::1')).toEqual(['Hospital'])
    expect(await owner('2001:db8:ffff::1')).toEqual(['Big ISP'])
    expect(await owner('2001:db9::1')).toEqual([])
    // The ASN only decides when no netblock matches.
    expect(await owner('203.0.113.5')).toEqual([])
    expect(await owner('203.0.113.5', 'AS64511')).toEqual(['Transit'])
    expect(await owner('203.0.113.5', '64500')).toEqual(['Big ISP'])
    expect(await owner('198.51.100.7', 'AS64511')).toEqual(['Hospital'])
    expect(await owner('AS64500')).toEqual(['Big ISP'])
    expect(await owner('as 64511')).toEqual(['Transit'])
    expect(await owner('lab.hospital.test')).toEqual(['Lab'])
    expect(await owner('a.b.lab.hospital.test')).toEqual(['Lab'])
    expect(await owner('www.hospital.test')).toEqual(['Hospital'])
    expect(await owner('HOSPITAL.test.')).toEqual(['Hospital'])
    expect(await owner('nothospital.test')).toEqual([])
    expect(await owner('https://x.isp.test/a?b=c')).toEqual(['Big ISP'])
    expect(await owner('http://198.51.100.200:8080/')).toEqual(['Lab'])
    expect(await owner('someone@lab.hospital.test')).toEqual(['Lab'])
    const hash = await handler.get<Lookup>(
      '/api/v1/constituency/lookup?value=d41d8cd98f00b204e9800998ecf8427e',
    )
    expect(hash.body).toMatchObject({ normalised: null, owners: [] })
    const badAsn = await handler.get('/api/v1/constituency/lookup?value=203.0.113.5&asn=ASX')
    expect(badAsn.status).toBe(400)
    expect(errorCode(badAsn)).toBe('validation_failed')
  })

  it('sends one mail per owner with that owner’s observables only, unsigned without a key, and records each', async () => {
    const before = sink.messages.length
    const res = await handler.post<NotifyResult>('/api/v1/constituency/notify', {
      observables: [
        ...OBSERVABLES.map((o) => (o.asn === undefined ? o.value : { value: o.value, asn: o.asn })),
        'd41d8cd98f00b204e9800998ecf8427e',
        '198.51.100.7',
      ],
      incidentId: 'LSN-TEST0001',
      rsitClass: 'malicious-code/infected-system',
      tlp: 'TLP:AMBER',
    })
    expect(res.status, res.text).toBe(200)
    expect(res.body.notifications).toHaveLength(4)
    expect(res.body.unmatched).toEqual(['192.0.2.1'])
    expect(res.body.ignored).toEqual(['d41d8cd98f00b204e9800998ecf8427e'])
    const mails = (await sink.waitFor(before + 4)).slice(before)
    expect(mails).toHaveLength(4)

    for (const c of REGISTER) {
      const own = OBSERVABLES.filter((o) => o.owner === c.name)
      const others = OBSERVABLES.filter((o) => o.owner !== c.name)
      const received = mailFor(mails, c.abuseEmails[0])
      expect(received, c.name).toHaveLength(1)
      const mail = received[0]!
      expect([...mail.envelope.to].sort()).toEqual([...c.abuseEmails].sort())
      expect(mail.envelope.from).toBe('cert@csirt.test')
      const text = mail.parsed.text ?? ''
      for (const o of own) {
        expect(text, `${c.name} must be told about ${o.value}`).toContain(o.shown)
      }
      for (const o of others) {
        expect(text, `${c.name} must not see ${o.value}`).not.toContain(o.shown)
      }
      expect(text).toContain('LSN-TEST0001')
      expect(text).toContain('malicious-code/infected-system')
      expect(text).toMatch(/^TLP:AMBER: /m)
      expect(mail.raw.toString()).not.toContain('BEGIN PGP')
      expect(mail.parsed.headers.get('content-type')).toMatchObject({ value: 'text/plain' })
      const record = res.body.notifications.find((n) => n.constituentName === c.name)!
      expect(record).toMatchObject({
        status: 'sent',
        signed: false,
        encrypted: false,
        incidentId: 'LSN-TEST0001',
      })
      expect(record.messageId).toBe(mail.parsed.messageId)
      expect([...record.observables].sort()).toEqual(own.map((o) => o.shown).sort())
      expect(record.recipients).toEqual(c.abuseEmails)
    }
    // Nobody else got mail: every message went to one constituent's addresses.
    const all = REGISTER.flatMap((c) => c.abuseEmails as readonly string[])
    expect(mails.flatMap((m) => m.envelope.to).sort()).toEqual([...all].sort())

    const listed = await handler.get<{ items: Notification[]; total: number }>(
      '/api/v1/constituency/notifications?incidentId=LSN-TEST0001',
    )
    expect(listed.body.total).toBe(4)
    const audit = await server.store.db
      .selectFrom('audit_log')
      .select(['action', 'target_id'])
      .where('action', '=', 'notification.sent')
      .execute()
    expect(audit.map((a) => a.target_id).sort()).toEqual(res.body.notifications.map((n) => n.id).sort())
  })

  it('refuses bad input naming the field', async () => {
    const bad = await handler.post('/api/v1/constituency/constituents', {
      name: 'Bad',
      abuseEmails: ['x@bad.test'],
      netblocks: ['198.51.100.0/24', '10.0.0.0/33'],
    })
    expect(bad.status).toBe(400)
    expect((bad.body as { error: { message: string } }).error.message).toMatch(/^netblocks\[1\]: /)
    const dup = await handler.post('/api/v1/constituency/constituents', {
      name: 'hospital',
      abuseEmails: ['a@b.test'],
    })
    expect(dup.status).toBe(409)
    const key = await handler.post('/api/v1/constituency/constituents', {
      name: 'Keyed',
      abuseEmails: ['a@b.test'],
      pgpKey: 'not a key',
    })
    expect(key.status).toBe(400)
    expect((key.body as { error: { message: string } }).error.message).toMatch(/^pgpKey: /)
  })

  it('changes, adds and removes ranges, deletes, and audits every write', async () => {
    const created = await handler.post<Constituent>('/api/v1/constituency/constituents', {
      name: 'Temp Org',
      abuseEmails: ['abuse@temp.test'],
      netblocks: ['192.0.2.0/24'],
    })
    expect(created.status).toBe(201)
    const id = created.body.id
    const added = await handler.post<{ id: string }>(`/api/v1/constituency/constituents/${id}/ranges`, {
      kind: 'domain',
      value: 'temp.test',
    })
    expect(added.status).toBe(201)
    const again = await handler.post(`/api/v1/constituency/constituents/${id}/ranges`, {
      kind: 'domain',
      value: 'TEMP.test',
    })
    expect(again.status).toBe(409)
    const patched = await handler.patch<Constituent>(`/api/v1/constituency/constituents/${id}`, {
      abuseEmails: ['new@temp.test'],
      netblocks: ['192.0.2.128/25'],
    })
    expect(patched.status).toBe(200)
    expect(patched.body.ranges.map((r) => r.value).sort()).toEqual(['192.0.2.128/25', 'temp.test'])
    const owner = await handler.get<Lookup>('/api/v1/constituency/lookup?value=192.0.2.1')
    expect(owner.body.owners).toEqual([])
    const removed = await handler.delete(`/api/v1/constituency/constituents/${id}/ranges/${added.body.id}`)
    expect(removed.status).toBe(200)
    const deleted = await handler.delete(`/api/v1/constituency/constituents/${id}`)
    expect(deleted.status).toBe(200)
    expect((await handler.get(`/api/v1/constituency/constituents/${id}`)).status).toBe(404)
    const actions = (
      await server.store.db
        .selectFrom('audit_log')
        .select('action')
        .where('target_id', '=', id)
        .orderBy('seq')
        .execute()
    ).map((a) => a.action)
    expect(actions).toEqual([
      'constituent.created',
      'constituent.range_added',
      'constituent.updated',
      'constituent.range_removed',
      'constituent.deleted',
    ])
  })

  it('imports CSV atomically: one bad cell refuses the whole file, naming row and column', async () => {
    const count = async (): Promise<number> =>
      (await handler.get<{ total: number }>('/api/v1/constituency/constituents')).body.total
    const before = await count()
    const bad = [
      'name,abuse_email,netblocks,asns,domains',
      'CSV One,abuse@one.test,203.0.113.0/25,AS64496,one.test',
      '"CSV, Two",abuse@two.test;noc@two.test,203.0.113.128/25 2001:db8:ff::/48,,two.test',
      'CSV Three,abuse@three.test,203.0.113.300/32,,three.test',
      'CSV Four,not-an-address,,ASX,',
    ].join('\n')
    const refused = await handler.post('/api/v1/constituency/import', { csv: bad })
    expect(refused.status).toBe(400)
    const error = (refused.body as { error: { message: string; details: { problems: unknown[] } } }).error
    expect(error.message).toMatch(
      /^row 4, column netblocks: "203\.0\.113\.300\/32" is not an IPv4 or IPv6 network/,
    )
    expect(error.details.problems).toEqual([
      { row: 4, column: 'netblocks', message: expect.stringContaining('203.0.113.300/32') as unknown },
      { row: 5, column: 'abuse_email', message: expect.stringContaining('not-an-address') as unknown },
      { row: 5, column: 'asns', message: expect.stringContaining('ASX') as unknown },
    ])
    expect(await count()).toBe(before)
    expect((await handler.get<Lookup>('/api/v1/constituency/lookup?value=203.0.113.1')).body.owners).toEqual(
      [],
    )

    const keyFile = await handler.post('/api/v1/constituency/import', {
      csv: 'name,abuse_email,pgp_key_file\nK,abuse@k.test,key.asc\n',
    })
    expect(keyFile.status).toBe(400)
    expect((keyFile.body as { error: { message: string } }).error.message).toMatch(
      /^row 2, column pgp_key_file: /,
    )

    const good =
      bad.split('\n').slice(0, 3).join('\n') +
      '\nHospital,cert@hospital.test,198.51.100.0/24,,hospital.test\n'
    const imported = await handler.post<{ created: number; updated: number }>('/api/v1/constituency/import', {
      csv: good,
    })
    expect(imported.status, imported.text).toBe(200)
    expect(imported.body).toMatchObject({ created: 2, updated: 1 })
    expect(
      (await handler.get<Lookup>('/api/v1/constituency/lookup?value=203.0.113.200')).body.owners.map(
        (o) => o.name,
      ),
    ).toEqual(['CSV, Two'])
    // The updated Hospital lost its IPv6 netblock (the row replaces its ranges).
    expect(
      (await handler.get<Lookup>('/api/v1/constituency/lookup?value=2001:db8:1::1')).body.owners.map(
        (o) => o.name,
      ),
    ).toEqual(['Big ISP'])
  })

  it('lets only members of the instance organisation in, by role', async () => {
    const orgId = server.admin.orgId
    const viewer = (await server.loginAsNewUser({ role: 'viewer', orgId })).client
    const analyst = (await server.loginAsNewUser({ role: 'analyst', orgId })).client
    const coordinator = (await server.loginAsNewUser({ role: 'coordinator', orgId })).client
    const admin = (await server.loginAsNewUser({ role: 'admin', orgId })).client
    const outsider = (await server.loginAsNewUser({ role: 'admin' })).client
    const outsiderHandler = (await server.loginAsNewUser({ role: 'handler' })).client
    const body = (name: string) => ({ name, abuseEmails: ['abuse@roles.test'] })
    const notify = { observables: ['198.51.100.7'], subject: 'role check' }

    expect((await viewer.get('/api/v1/constituency/constituents')).status).toBe(200)
    expect((await viewer.get('/api/v1/constituency/lookup?value=198.51.100.7')).status).toBe(200)
    expect((await viewer.get('/api/v1/constituency/notifications')).status).toBe(200)
    expect((await viewer.post('/api/v1/constituency/constituents', body('V'))).status).toBe(403)
    expect((await viewer.post('/api/v1/constituency/notify', notify)).status).toBe(403)
    expect((await coordinator.post('/api/v1/constituency/constituents', body('C'))).status).toBe(403)
    expect((await admin.post('/api/v1/constituency/constituents', body('Admin made'))).status).toBe(201)
    for (const client of [analyst, outsider, outsiderHandler]) {
      expect((await client.get('/api/v1/constituency/constituents')).status).toBe(403)
      expect((await client.get('/api/v1/constituency/lookup?value=198.51.100.7')).status).toBe(403)
      expect((await client.get('/api/v1/constituency/notifications')).status).toBe(403)
      expect((await client.post('/api/v1/constituency/constituents', body('X'))).status).toBe(403)
      expect(
        (await client.post('/api/v1/constituency/import', { csv: 'name,abuse_email\nX,a@x.test' })).status,
      ).toBe(403)
      expect((await client.post('/api/v1/constituency/notify', notify)).status).toBe(403)
    }
    expect((await server.client().get('/api/v1/constituency/constituents')).status).toBe(401)
    const before = sink.messages.length
    const sent = await coordinator.post<NotifyResult>('/api/v1/constituency/notify', notify)
    expect(sent.status).toBe(200)
    expect(sent.body.notifications.map((n) => n.constituentName)).toEqual(['Hospital'])
    await sink.waitFor(before + 1)
    // Refused calls sent nothing.
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(sink.messages.length).toBe(before + 1)
  })
})

describe.each(STORE_KINDS)('owner notification with an OpenPGP key (%s)', (kind) => {
  let sink: SmtpSink
  let server: TestServer
  let handler: ApiClient
  let publicKey: openpgp.Key
  let constituentKey: { privateKey: string; publicKey: string }
  let keyDir: string

  beforeAll(async () => {
    sink = await startSmtpSink()
    const key = await generateSigningKey('CSIRT Test', 'cert@csirt.test', 'pass phrase')
    publicKey = await openpgp.readKey({ armoredKey: key.publicKey })
    keyDir = mkdtempSync(path.join(tmpdir(), 'liaison-key-'))
    const keyFile = path.join(keyDir, 'signing.asc')
    writeFileSync(keyFile, key.privateKey, { mode: 0o600 })
    server = await startTestServer(kind, {
      LIAISON_SMTP_RELAY: sink.url,
      LIAISON_OPENPGP_KEY_FILE: keyFile,
      LIAISON_OPENPGP_PASSPHRASE: 'pass phrase',
    })
    handler = (await server.loginAsNewUser({ role: 'handler', orgId: server.admin.orgId })).client
    constituentKey = await generateSigningKey('Keyed Org', 'abuse@keyed.test', null)
    for (const c of [
      { name: 'Signed Only', abuseEmails: ['abuse@signed.test'], netblocks: ['198.51.100.0/24'] },
      {
        name: 'Keyed Org',
        abuseEmails: ['abuse@keyed.test'],
        netblocks: ['203.0.113.0/24'],
        pgpKey: constituentKey.publicKey,
      },
    ]) {
      expect((await handler.post('/api/v1/constituency/constituents', c)).status).toBe(201)
    }
  })
  afterAll(async () => {
    await server.close()
    await sink.close()
    rmSync(keyDir, { recursive: true, force: true })
  })

  it('signs every mail (PGP/MIME); the signature verifies against the public key', async () => {
    const published = await handler.get<{ fingerprint: string; publicKey: string }>(
      '/api/v1/constituency/signing-key',
    )
    expect(published.status).toBe(200)
    expect(published.body.fingerprint).toBe(publicKey.getFingerprint())
    const res = await handler.post<NotifyResult>('/api/v1/constituency/notify', {
      observables: ['198.51.100.9', '203.0.113.9'],
      reference: 'LSN-SIGNED01',
    })
    expect(res.status, res.text).toBe(200)
    expect(res.body.notifications.map((n) => [n.constituentName, n.signed, n.encrypted])).toEqual([
      ['Keyed Org', true, true],
      ['Signed Only', true, false],
    ])
    const mails = await sink.waitFor(2)
    const signedMail = mailFor(mails, 'abuse@signed.test')[0]!
    const check = await verifyPgpMime(signedMail.raw, publicKey)
    expect(check.valid).toBe(true)
    expect(check.signedPart).toContain('198.51.100.9')
    expect(check.signedPart).not.toContain('203.0.113.9')
    const other = await generateSigningKey('Other', 'o@o.test', null)
    expect(
      (await verifyPgpMime(signedMail.raw, await openpgp.readKey({ armoredKey: other.publicKey }))).valid,
    ).toBe(false)

    // The keyed constituent's mail is encrypted to its key and signed inside.
    const encrypted = mailFor(mails, 'abuse@keyed.test')[0]!
    const raw = encrypted.raw.toString()
    expect(raw).toMatch(/Content-Type: multipart\/encrypted;\s+protocol="application\/pgp-encrypted"/)
    expect(raw).not.toContain('203.0.113.9')
    const armored = raw.slice(
      raw.indexOf('-----BEGIN PGP MESSAGE-----'),
      raw.indexOf('-----END PGP MESSAGE-----') + 25,
    )
    const decrypted = await openpgp.decrypt({
      message: await openpgp.readMessage({ armoredMessage: armored.replace(/\r\n/g, '\n') }),
      decryptionKeys: await openpgp.readPrivateKey({ armoredKey: constituentKey.privateKey }),
      verificationKeys: publicKey,
      format: 'binary',
    })
    expect(await decrypted.signatures[0]?.verified).toBe(true)
    const inner = Buffer.from(decrypted.data).toString()
    expect(inner).toMatch(/^Content-Type: text\/plain/)
    expect(inner).toContain('203.0.113.9')
    expect(inner).not.toContain('198.51.100.9')
  })
})

describe('owner notification without a relay', () => {
  it('records the mail as failed with the reason and sends nothing', async () => {
    const server = await startTestServer('sqlite')
    try {
      const handler = (await server.loginAsNewUser({ role: 'handler', orgId: server.admin.orgId })).client
      await handler.post('/api/v1/constituency/constituents', {
        name: 'Nowhere',
        abuseEmails: ['abuse@nowhere.test'],
        netblocks: ['198.51.100.0/24'],
      })
      const res = await handler.post<NotifyResult>('/api/v1/constituency/notify', {
        observables: ['198.51.100.1'],
      })
      expect(res.status).toBe(200)
      expect(res.body.notifications).toMatchObject([
        {
          status: 'failed',
          messageId: null,
          error: expect.stringContaining('LIAISON_SMTP_RELAY') as unknown,
        },
      ])
      const audit = await server.store.db
        .selectFrom('audit_log')
        .select('action')
        .where('action', 'like', 'notification.%')
        .execute()
      expect(audit.map((a) => a.action)).toEqual(['notification.failed'])
    } finally {
      await server.close()
    }
  })
})
