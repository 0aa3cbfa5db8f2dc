import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import net from 'node:net'
import path from 'node:path'
import nodemailer from 'nodemailer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RawMessageWire } from '../../src/core/incident/intake-mail.schema.js'
import type { ReportSummaryWire, ReportWire } from '../../src/core/incident/report.schema.js'
import { readConfig } from '../../src/server/config.js'
import { startServer } from '../../src/server/main.js'
import type { MailProblem, RawMessageRow } from '../../src/server/modules/intake-mail/intake-mail.table.js'
import { CORPUS_DIR } from '../helpers/corpus.js'
import type { ApiClient } from '../helpers/http.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js'
import { createStoreLocation, STORE_KINDS } from '../helpers/stores.js'

const REPORT_ADDRESS = 'report@liaison.test'
const MAX_BYTES = 256 * 1024
const EML = path.join(CORPUS_DIR, 'other', 'eml')
const XARF = path.join(CORPUS_DIR, 'other', 'xarf', 'v4')

/** What the intake answered, or the SMTP error it gave. */
interface Delivery {
  response: string | null
  accepted: string[]
  rejected: string[]
  errorCode: number | null
}

async function send(
  server: TestServer,
  raw: Buffer | string,
  envelope: { from: string; to: string[] } = { from: 'reporter@example.org', to: [REPORT_ADDRESS] },
): Promise<Delivery> {
  const smtp = server.smtp
  if (smtp === null) {
    throw new Error('the test server has no SMTP intake')
  }
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: false,
    ignoreTLS: true,
  })
  try {
    const info = await transport.sendMail({ envelope, raw })
    return {
      response: info.response,
      accepted: info.accepted.map(String),
      rejected: info.rejected.map(String),
      errorCode: null,
    }
  } catch (error) {
    const code = (error as { responseCode?: number }).responseCode
    return { response: null, accepted: [], rejected: [], errorCode: code ?? -1 }
  } finally {
    transport.close()
    await smtp.settled()
  }
}

function trackingIdOf(delivery: Delivery): string {
  const id = /LSN-[0-9A-Z]{8}/.exec(delivery.response ?? '')?.[0]
  if (id === undefined) {
    throw new Error(
      `no tracking id in the SMTP answer: ${delivery.response ?? `error ${delivery.errorCode}`}`,
    )
  }
  return id
}

async function rawMessages(server: TestServer): Promise<RawMessageRow[]> {
  return server.store.db.selectFrom('raw_messages').selectAll().orderBy('received_at').orderBy('id').execute()
}

async function rawOfReport(server: TestServer, reportId: string): Promise<RawMessageRow[]> {
  return (await rawMessages(server)).filter((r) => r.report_id === reportId)
}

function problemCodes(row: RawMessageRow): string[] {
  return (JSON.parse(row.problems) as MailProblem[]).map((p) => p.code)
}

async function queue(handler: ApiClient): Promise<ReportSummaryWire[]> {
  const res = await handler.get<{ items: ReportSummaryWire[] }>('/api/v1/reports?limit=100')
  expect(res.status).toBe(200)
  return res.body.items
}

async function reportByTracking(handler: ApiClient, trackingId: string): Promise<ReportWire> {
  const entry = (await queue(handler)).find((r) => r.trackingId === trackingId)
  if (entry === undefined) {
    throw new Error(`${trackingId} is not in the triage queue`)
  }
  const res = await handler.get<ReportWire>(`/api/v1/reports/${entry.id}`)
  expect(res.status).toBe(200)
  return res.body
}

function crlfToLf(text: string): string {
  return text.replace(/\r\n/g, '\n')
}

describe.each(STORE_KINDS)('e-mail intake (%s)', (kind) => {
  let sink: SmtpSink
  let server: TestServer
  let handler: ApiClient

  beforeAll(async () => {
    sink = await startSmtpSink()
    server = await startTestServer(kind, {
      LIAISON_SMTP_RELAY: sink.url,
      LIAISON_REPORT_ADDRESS: REPORT_ADDRESS,
      LIAISON_SMTP_MAX_BYTES: String(MAX_BYTES),
      LIAISON_PUBLIC_URL: 'https://liaison.test',
    })
    ;({ client: handler } = await server.loginAsNewUser({ role: 'handler', orgId: server.admin.orgId }))
  })

  afterAll(async () => {
    await server.close()
    await sink.close()
  })

  it('files a real multi-encoded mail (base64 + quoted-printable, UTF-8) as a report, keeps it byte for byte, and acknowledges with the tracking id and a working status link', async () => {
    const file = readFileSync(path.join(EML, 'pymisp', 'mail_2.eml'))
    const before = sink.messages.length
    const delivery = await send(server, file, { from: 'test@test.com', to: [REPORT_ADDRESS] })
    const trackingId = trackingIdOf(delivery)

    const report = await reportByTracking(handler, trackingId)
    expect(report.channel).toBe('email')
    expect(report.status).toBe('new')
    expect(report.summary).toBe('multi-encoded-email')
    expect(report.reporter.email).toBe('test@test.com')
    expect(report.description).toContain('這是一個文本字符串')
    expect(report.description).toContain('זהו מחרוזת טקסט')

    const [raw] = await rawOfReport(server, report.id)
    expect(raw?.outcome).toBe('report')
    expect(raw?.flagged).toBe(0)
    expect(raw?.envelope_from).toBe('test@test.com')
    expect(JSON.parse(raw?.envelope_to ?? '[]')).toEqual([REPORT_ADDRESS])
    expect(raw?.message_id).toBe('<ACKA6j_i8515X2_nbrEC3_cfv7NDeyG61VfMmitkfG0rcAnAP>')
    // SMTP ends every message with a line break; the file has none at its end.
    expect(crlfToLf(Buffer.from(raw?.raw ?? []).toString('latin1'))).toBe(
      `${crlfToLf(file.toString('latin1'))}\n`,
    )
    expect(raw?.ack_status).toBe('sent')

    const [ack] = (await sink.waitFor(before + 1)).slice(before)
    expect(ack?.envelope.to).toEqual(['test@test.com'])
    expect(ack?.parsed.subject).toContain(`[${trackingId}]`)
    expect(ack?.parsed.inReplyTo).toBe('<ACKA6j_i8515X2_nbrEC3_cfv7NDeyG61VfMmitkfG0rcAnAP>')
    expect(ack?.parsed.messageId).toBe(raw?.ack_message_id)
    const link = /https:\/\/liaison\.test\/report\/status\/(LSN-[0-9A-Z]{8})#token=([A-Za-z0-9_-]+)/.exec(
      ack?.parsed.text ?? '',
    )
    expect(link?.[1]).toBe(trackingId)
    const status = await server.client().request('GET', `/api/v1/reports/status/${trackingId}`, undefined, {
      'x-report-token': link?.[2] ?? '',
    })
    expect(status.status).toBe(200)
    expect(status.body.summary).toBe('multi-encoded-email')
  })

  it('reads nested multiparts, ISO-8859-1 quoted-printable and attachments of a real mail', async () => {
    const delivery = await send(server, readFileSync(path.join(EML, 'pymisp', 'mail_3.eml')), {
      from: 'mlemos@acm.org',
      to: [REPORT_ADDRESS],
    })
    const report = await reportByTracking(handler, trackingIdOf(delivery))
    expect(report.description).toContain('This is an HTML message.')
    expect(report.attachments.map((a) => a.filename).sort()).toEqual([
      'attachment.txt',
      'background.gif',
      'logo.gif',
    ])
    const text = report.attachments.find((a) => a.filename === 'attachment.txt')
    const download = await handler.get(`/api/v1/reports/${report.id}/attachments/${text?.id ?? ''}`)
    expect(download.status).toBe(200)
    expect(download.text).toContain('attachment')
  })

  it('takes the text of an HTML-only mail and its attachment', async () => {
    const delivery = await send(server, readFileSync(path.join(EML, 'intelmq', 'text_attachment.eml')))
    const report = await reportByTracking(handler, trackingIdOf(delivery))
    expect(report.summary).toBe('foobar zip')
    expect(report.description).toBe('Please look at the attachment')
    expect(report.attachments.map((a) => [a.filename, a.size])).toEqual([['foobar.txt', 9]])
    const download = await handler.get(
      `/api/v1/reports/${report.id}/attachments/${report.attachments[0]?.id ?? ''}`,
    )
    expect(download.text).toBe('bar text\n')
  })

  it('decodes a non-UTF-8 charset and indexes the IOCs of the text, defanged ones included', async () => {
    const raw = [
      'From: =?ISO-8859-1?Q?J=FCrgen_M=FCller?= <juergen@example.de>',
      `To: ${REPORT_ADDRESS}`,
      'Subject: =?ISO-8859-1?Q?Verd=E4chtige_Verbindungen?=',
      'Message-ID: <latin1-test@example.de>',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=ISO-8859-1',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'Gr=FC=DFe, unser Server sprach mit hxxp://evil[.]example[.]com/gate.php und 198.51.100[.]7.',
      'Datei-Hash: 44d88612fea8a8f36de82e1278abb02f',
      '',
    ].join('\r\n')
    const delivery = await send(server, raw, { from: 'juergen@example.de', to: [REPORT_ADDRESS] })
    const report = await reportByTracking(handler, trackingIdOf(delivery))
    expect(report.summary).toBe('Verdächtige Verbindungen')
    expect(report.reporter.name).toBe('Jürgen Müller')
    expect(report.description).toContain('Grüße, unser Server')
    const values = report.observables.map((o) => `${o.kind}:${o.value}`)
    expect(values).toEqual(
      expect.arrayContaining([
        'url:http://evil.example.com/gate.php',
        'ipv4:198.51.100.7',
        'md5:44d88612fea8a8f36de82e1278abb02f',
      ]),
    )
  })

  it('keeps broken MIME byte for byte, flags it, and still files what could be read', async () => {
    const raw = Buffer.concat([
      Buffer.from(
        [
          'Subject: half a message',
          'MIME-Version: 1.0',
          'Content-Type: multipart/mixed; boundary="cut-here"',
          '',
          '--cut-here',
          'Content-Type: text/plain; charset=x-klingon',
          '',
          'qaStaH nuq? Our host 203.0.113.9 beacons.',
          '--cut-here',
          'Content-Type: application/octet-stream; name="dump.bin"',
          'Content-Transfer-Encoding: base64',
          '',
          'AAEC',
        ].join('\r\n'),
      ),
      Buffer.from([0x00, 0xff, 0xfe, 0x0d, 0x0a]),
    ])
    const before = sink.messages.length
    const delivery = await send(server, raw, { from: 'broken@example.net', to: [REPORT_ADDRESS] })
    const trackingId = trackingIdOf(delivery)
    const report = await reportByTracking(handler, trackingId)
    expect(report.reporter.email).toBe('broken@example.net')
    expect(report.summary).toBe('half a message')
    expect(report.description).toContain('203.0.113.9')
    expect(report.observables.map((o) => o.value)).toContain('203.0.113.9')

    const [row] = await rawOfReport(server, report.id)
    expect(row?.flagged).toBe(1)
    expect(problemCodes(row ?? ({ problems: '[]' } as RawMessageRow))).toEqual(
      expect.arrayContaining(['multipart_unterminated', 'charset_unknown', 'nul_bytes', 'from_missing']),
    )
    // Stored inert and whole: the exact bytes, NUL and all, never rendered.
    expect(Buffer.from(row?.raw ?? []).equals(raw)).toBe(true)
    expect(row?.sha256).toMatch(/^[0-9a-f]{64}$/)
    // An ordinary sender still gets the tracking id.
    const [ack] = (await sink.waitFor(before + 1)).slice(before)
    expect(ack?.parsed.subject).toContain(trackingId)

    // Handlers find it among the flagged mail and download it as a file, byte for byte.
    const flagged = await handler.get<{ items: RawMessageWire[] }>(
      `/api/v1/mail/messages?flagged=true&reportId=${report.id}`,
    )
    expect(flagged.status).toBe(200)
    expect(flagged.body.items.map((m) => [m.id, m.flagged, m.outcome, m.envelopeFrom])).toEqual([
      [row?.id, true, 'report', 'broken@example.net'],
    ])
    expect(flagged.body.items[0]?.problems.map((p) => p.code)).toContain('charset_unknown')
    const clean = await handler.get<{ items: RawMessageWire[] }>(
      `/api/v1/mail/messages?flagged=false&reportId=${report.id}`,
    )
    expect(clean.body.items).toEqual([])
    const download = await fetch(`${server.url}/api/v1/mail/messages/${row?.id ?? ''}/raw`, {
      headers: { cookie: handler.cookie ?? '' },
    })
    expect(download.status).toBe(200)
    expect(download.headers.get('content-type')).toBe('application/octet-stream')
    expect(download.headers.get('content-disposition')).toMatch(/^attachment; filename="mail-/)
    expect(Buffer.from(await download.arrayBuffer()).equals(raw)).toBe(true)
  })

  it('shows received mail only to readers of the receiving organisation', async () => {
    const delivery = await send(
      server,
      'From: erin@example.org\r\nSubject: for handlers only\r\n\r\nsecret\r\n',
      {
        from: 'erin@example.org',
        to: [REPORT_ADDRESS],
      },
    )
    const report = await reportByTracking(handler, trackingIdOf(delivery))
    const [row] = await rawOfReport(server, report.id)
    const one = await handler.get<RawMessageWire>(`/api/v1/mail/messages/${row?.id ?? ''}`)
    expect(one.status).toBe(200)
    expect(one.body).toMatchObject({
      subject: 'for handlers only',
      reportId: report.id,
      ack: { status: 'sent' },
    })

    const { client: outsider } = await server.loginAsNewUser({ role: 'admin' })
    const { client: analyst } = await server.loginAsNewUser({ role: 'analyst', orgId: server.admin.orgId })
    for (const client of [outsider, analyst]) {
      expect((await client.get('/api/v1/mail/messages')).status).toBe(403)
      expect((await client.get(`/api/v1/mail/messages/${row?.id ?? ''}`)).status).toBe(403)
      expect((await client.get(`/api/v1/mail/messages/${row?.id ?? ''}/raw`)).status).toBe(403)
    }
    expect((await server.client().get('/api/v1/mail/messages')).status).toBe(401)
    const missing = await handler.get(`/api/v1/mail/messages/00000000-0000-4000-8000-000000000000`)
    expect(missing.status).toBe(404)
  })

  it('keeps a message that is not MIME at all and a truncated real report mail', async () => {
    // PNG-like bytes (SMTP carries lines, so it ends with CRLF and has no bare CR or LF).
    const garbage = Buffer.from([
      0x89, 0x50, 0x4e, 0x47, 0x1a, 0x00, 0x00, 0x00, 0xff, 0x49, 0x48, 0x0d, 0x0a,
    ])
    const first = await send(server, garbage, { from: 'noise@example.net', to: [REPORT_ADDRESS] })
    const report = await reportByTracking(handler, trackingIdOf(first))
    expect(report.summary).toBe('(e-mail without subject)')
    const [row] = await rawOfReport(server, report.id)
    expect(Buffer.from(row?.raw ?? []).equals(garbage)).toBe(true)
    expect(row?.flagged).toBe(1)
    expect(problemCodes(row ?? ({ problems: '[]' } as RawMessageRow))).toContain('headers_missing')

    // A real Shadowserver mail whose MIME body was cut off; it came through a list: no answer.
    const before = sink.messages.length
    const second = await send(server, readFileSync(path.join(EML, 'intelmq', 'fake_attachment.eml')), {
      from: 'austria-bounces@mail.shadowserver.org',
      to: [REPORT_ADDRESS],
    })
    const cut = await reportByTracking(handler, trackingIdOf(second))
    expect(cut.summary).toBe('[Austria] Shadowserver Austria Open MQTT Report: 2020-05-14')
    const [cutRow] = await rawOfReport(server, cut.id)
    expect(problemCodes(cutRow ?? ({ problems: '[]' } as RawMessageRow))).toContain('multipart_unterminated')
    expect(cutRow?.ack_status).toBe('suppressed')
    expect(sink.messages.length).toBe(before)
  })

  it('threads a reply into the report its subject names, and flags a reply from someone else', async () => {
    const first = await send(
      server,
      [
        'From: alice@example.org',
        `To: ${REPORT_ADDRESS}`,
        'Subject: Phishing wave',
        '',
        'First mail.',
        '',
      ].join('\r\n'),
      { from: 'alice@example.org', to: [REPORT_ADDRESS] },
    )
    const trackingId = trackingIdOf(first)
    const acksBefore = sink.messages.length
    const reply = [
      'From: Alice <alice@example.org>',
      `To: ${REPORT_ADDRESS}`,
      `Subject: Re: [${trackingId.toLowerCase()}] Report received: Phishing wave`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'More: the sender was 192.0.2.44.',
      '--b1',
      'Content-Type: text/plain; name="headers.txt"',
      'Content-Disposition: attachment; filename="headers.txt"',
      '',
      'Received: from 192.0.2.44',
      '--b1--',
      '',
    ].join('\r\n')
    const second = await send(server, reply, { from: 'alice@example.org', to: [REPORT_ADDRESS] })
    expect(trackingIdOf(second)).toBe(trackingId)
    const third = await send(
      server,
      [
        'From: mallory@example.com',
        `To: ${REPORT_ADDRESS}`,
        `Subject: ${trackingId}`,
        '',
        'Ignore that.',
        '',
      ].join('\r\n'),
      { from: 'mallory@example.com', to: [REPORT_ADDRESS] },
    )
    expect(trackingIdOf(third)).toBe(trackingId)

    const report = await reportByTracking(handler, trackingId)
    expect(report.messages.map((m) => [m.from, m.body])).toEqual([
      ['reporter', 'More: the sender was 192.0.2.44.'],
      ['reporter', 'Ignore that.'],
    ])
    expect(report.attachments.map((a) => a.filename)).toEqual(['headers.txt'])
    expect(report.observables.map((o) => o.value)).toContain('192.0.2.44')
    expect((await queue(handler)).filter((r) => r.trackingId === trackingId)).toHaveLength(1)

    const rows = await rawOfReport(server, report.id)
    expect(rows.map((r) => [r.outcome, r.ack_status, r.flagged])).toEqual([
      ['report', 'sent', 0],
      ['reply', 'none', 0],
      ['reply', 'none', 1],
    ])
    expect(problemCodes(rows[2] ?? ({ problems: '[]' } as RawMessageRow))).toEqual(['sender_differs'])
    // Replies are not acknowledged: a mail loop cannot start here.
    expect(sink.messages.length).toBe(acksBefore)

    const unknown = await send(
      server,
      [
        'From: bob@example.org',
        `To: ${REPORT_ADDRESS}`,
        'Subject: Re: [LSN-00000000] old case',
        '',
        'Hello?',
        '',
      ].join('\r\n'),
      { from: 'bob@example.org', to: [REPORT_ADDRESS] },
    )
    const fresh = await reportByTracking(handler, trackingIdOf(unknown))
    expect(fresh.trackingId).not.toBe('LSN-00000000')
    const [freshRow] = await rawOfReport(server, fresh.id)
    expect(problemCodes(freshRow ?? ({ problems: '[]' } as RawMessageRow))).toEqual(['tracking_id_unknown'])
  })

  it('keeps a retransmitted copy as a duplicate of the first report, without a second report or answer', async () => {
    const raw = [
      'From: frank@example.org',
      `To: ${REPORT_ADDRESS}`,
      'Subject: sent twice',
      'Message-ID: <twice@example.org>',
      'Date: Tue, 24 Nov 2026 10:00:00 +0000',
      '',
      'The first 250 never reached me.',
      '',
    ].join('\r\n')
    const before = sink.messages.length
    const first = await send(server, raw, { from: 'frank@example.org', to: [REPORT_ADDRESS] })
    const second = await send(server, raw, { from: 'frank@example.org', to: [REPORT_ADDRESS] })
    const trackingId = trackingIdOf(first)
    expect(trackingIdOf(second)).toBe(trackingId)
    const report = await reportByTracking(handler, trackingId)
    expect((await queue(handler)).filter((r) => r.summary === 'sent twice')).toHaveLength(1)
    const rows = await rawOfReport(server, report.id)
    expect(rows.map((r) => [r.outcome, r.ack_status])).toEqual([
      ['report', 'sent'],
      ['duplicate', 'none'],
    ])
    expect(Buffer.from(rows[1]?.raw ?? []).equals(Buffer.from(rows[0]?.raw ?? []))).toBe(true)
    await sink.waitFor(before + 1)
    expect(sink.messages.length).toBe(before + 1)

    // The same text from someone else is their own report.
    const other = await send(server, raw, { from: 'grace@example.org', to: [REPORT_ADDRESS] })
    expect(trackingIdOf(other)).not.toBe(trackingId)
  })

  it('reads an X-ARF v4 report attached to a mail into structured fields with an RSIT hint', async () => {
    const json = readFileSync(path.join(XARF, 'connection-ddos.json'))
    const raw = [
      'From: DDoS Protection Service <ddos@ddos-monitor.example>',
      `To: ${REPORT_ADDRESS}`,
      'Subject: abuse report about 192.0.2.155',
      'X-XARF: PLAIN',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="xarf"',
      '',
      '--xarf',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'An X-ARF report is attached.',
      '--xarf',
      'Content-Type: application/json; name="report.json"',
      'Content-Disposition: attachment; filename="report.json"',
      'Content-Transfer-Encoding: base64',
      '',
      json.toString('base64').replace(/.{76}/g, '$&\r\n'),
      '--xarf--',
      '',
    ].join('\r\n')
    const delivery = await send(server, raw, { from: 'ddos@ddos-monitor.example', to: [REPORT_ADDRESS] })
    const report = await reportByTracking(handler, trackingIdOf(delivery))
    expect(report.channel).toBe('xarf')
    expect(report.summary).toBe('X-ARF connection/ddos: 192.0.2.155')
    expect(report.occurredAt).toBe('2025-01-11T09:21:23.000Z')
    expect(report.affectedSystems).toBe('192.0.2.155 port 1')
    expect(report.reporter).toMatchObject({
      email: 'ddos@ddos-monitor.example',
      organisation: 'DDoS Protection Service',
    })
    expect(report.description).toContain('RSIT (suggested): availability/ddos')
    expect(report.observables.map((o) => o.value)).toContain('192.0.2.155')
    const names = report.attachments.map((a) => a.filename).sort()
    expect(names).toEqual(['report.json', 'xarf-evidence-1.txt'])
    const evidence = report.attachments.find((a) => a.filename === 'xarf-evidence-1.txt')
    const download = await handler.get(`/api/v1/reports/${report.id}/attachments/${evidence?.id ?? ''}`)
    expect(download.text).toBe('DDoS attack detected: 250K pps, 1.2Gbps, 45 minutes')

    const [row] = await rawOfReport(server, report.id)
    expect(row?.outcome).toBe('xarf')
    expect(row?.rsit_hint).toBe('availability/ddos')
    expect(JSON.parse(row?.xarf ?? '{}')).toMatchObject({ report_id: '9ac39cd1-85f3-4c31-ae87-a0a95f3ebc83' })
  })

  it('reads an X-ARF report sent as the mail body, and keeps an invalid one as a flagged mail report', async () => {
    const phishing = readFileSync(path.join(XARF, 'content-phishing.json'), 'utf8')
    const body = await send(
      server,
      [
        'From: takedown@brand-protect.example',
        `To: ${REPORT_ADDRESS}`,
        'Subject: phishing',
        'Content-Type: text/plain; charset=utf-8',
        '',
        phishing,
      ].join('\r\n'),
      { from: 'takedown@brand-protect.example', to: [REPORT_ADDRESS] },
    )
    const fromBody = await reportByTracking(handler, trackingIdOf(body))
    expect(fromBody.channel).toBe('xarf')
    expect(fromBody.description).toContain('RSIT (suggested): fraud/phishing')
    expect(fromBody.description).toContain('URL: http://secure-banking-login.example.com/auth')
    expect(fromBody.attachments.map((a) => a.filename).sort()).toEqual([
      'xarf-evidence-1.png',
      'xarf-evidence-2.html.txt',
      'xarf-report.json',
    ])
    // The abuser's indicators are indexed, not the reporter's own address and domain.
    const indexed = fromBody.observables.map((o) => o.value)
    expect(indexed).toEqual(
      expect.arrayContaining(['http://secure-banking-login.example.com/auth', '203.0.113.45']),
    )
    expect(indexed.filter((v) => v.includes('brand-protect.example'))).toEqual([])

    const broken = JSON.parse(readFileSync(path.join(XARF, 'connection-ddos.json'), 'utf8')) as Record<
      string,
      unknown
    >
    delete broken.report_id
    delete broken.destination_ip
    const invalid = await send(
      server,
      [
        'From: ddos@ddos-monitor.example',
        `To: ${REPORT_ADDRESS}`,
        'Subject: ddos',
        'X-XARF: PLAIN',
        'Content-Type: text/plain',
        '',
        JSON.stringify(broken, null, 2),
      ].join('\r\n'),
      { from: 'ddos@ddos-monitor.example', to: [REPORT_ADDRESS] },
    )
    const asMail = await reportByTracking(handler, trackingIdOf(invalid))
    expect(asMail.channel).toBe('email')
    expect(asMail.summary).toBe('ddos')
    const [row] = await rawOfReport(server, asMail.id)
    expect(row?.flagged).toBe(1)
    const problems = JSON.parse(row?.problems ?? '[]') as MailProblem[]
    expect(problems.map((p) => p.code)).toEqual(['xarf_invalid'])
    expect(problems[0]?.message).toContain('report_id: required')
    expect(problems[0]?.message).toContain('destination_ip: required')
  })

  it('never answers bounces or auto-replies, but files them', async () => {
    const before = sink.messages.length
    const bounce = await send(
      server,
      [
        'From: MAILER-DAEMON@mx.example.net',
        `To: ${REPORT_ADDRESS}`,
        'Subject: Undelivered Mail',
        '',
        'gone',
        '',
      ].join('\r\n'),
      { from: '', to: [REPORT_ADDRESS] },
    )
    const auto = await send(
      server,
      [
        'From: carol@example.org',
        `To: ${REPORT_ADDRESS}`,
        'Subject: Out of office',
        'Auto-Submitted: auto-replied',
        '',
        'Back on Monday.',
        '',
      ].join('\r\n'),
      { from: 'carol@example.org', to: [REPORT_ADDRESS] },
    )
    const rows: RawMessageRow[] = []
    for (const delivery of [bounce, auto]) {
      const report = await reportByTracking(handler, trackingIdOf(delivery))
      rows.push(...(await rawOfReport(server, report.id)))
    }
    expect(rows.map((r) => [r.envelope_from, r.ack_status])).toEqual([
      ['', 'suppressed'],
      ['carol@example.org', 'suppressed'],
    ])
    expect(rows[0]?.ack_detail).toContain('null envelope sender')
    expect(rows[1]?.ack_detail).toContain('Auto-Submitted: auto-replied')
    expect(sink.messages.length).toBe(before)
  })

  it('refuses other recipients with 550 and oversized mail with 552, storing nothing', async () => {
    const countBefore = (await rawMessages(server)).length
    const other = await send(server, 'Subject: x\r\n\r\nx\r\n', {
      from: 'eve@example.org',
      to: ['abuse@liaison.test'],
    })
    expect(other.errorCode).toBe(550)
    const mixed = await send(server, 'Subject: two\r\n\r\nboth\r\n', {
      from: 'eve@example.org',
      to: ['someone@elsewhere.example', REPORT_ADDRESS],
    })
    expect(mixed.rejected).toEqual(['someone@elsewhere.example'])
    expect(mixed.accepted).toEqual([REPORT_ADDRESS])
    const big = await send(server, `Subject: big\r\n\r\n${'A'.repeat(MAX_BYTES + 10)}\r\n`)
    expect(big.errorCode).toBe(552)
    const rows = await rawMessages(server)
    expect(rows.length).toBe(countBefore + 1)
    expect(JSON.parse(rows.at(-1)?.envelope_to ?? '[]')).toEqual([REPORT_ADDRESS])
  })

  it('offers neither AUTH nor STARTTLS when no certificate is configured', async () => {
    const smtp = server.smtp
    if (smtp === null) {
      throw new Error('no intake')
    }
    const lines = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(smtp.port, smtp.host)
      let text = ''
      socket.on('data', (chunk) => {
        text += chunk.toString('latin1')
        if (/^220 /m.test(text) && !text.includes('EHLO-SENT')) {
          text += 'EHLO-SENT\n'
          socket.write('EHLO test.example\r\n')
        } else if (/^250 /m.test(text.split('EHLO-SENT')[1] ?? '')) {
          socket.end('QUIT\r\n')
          resolve(text)
        }
      })
      socket.on('error', reject)
    })
    expect(lines).toMatch(/^250[- ]SIZE 262144/m)
    expect(lines).not.toMatch(/STARTTLS|AUTH/)
  })

  it('records the acknowledgement as not sent when no relay is configured', async () => {
    const quiet = await startTestServer(kind, { LIAISON_REPORT_ADDRESS: REPORT_ADDRESS })
    try {
      const delivery = await send(quiet, 'From: dan@example.org\r\nSubject: hello\r\n\r\nhi\r\n', {
        from: 'dan@example.org',
        to: [REPORT_ADDRESS],
      })
      trackingIdOf(delivery)
      const [row] = await rawMessages(quiet)
      expect(row?.ack_status).toBe('not_sent')
      expect(row?.ack_detail).toContain('LIAISON_SMTP_RELAY')
      const audit = await quiet.store.db
        .selectFrom('audit_log')
        .select('action')
        .where('target_id', '=', row?.id ?? '')
        .orderBy('seq')
        .execute()
      expect(audit.map((a) => a.action)).toEqual(['mail.received', 'mail.processed', 'mail.acknowledged'])
    } finally {
      await quiet.close()
    }
  })
})

describe('e-mail intake with STARTTLS', () => {
  it('offers STARTTLS when a key and certificate are configured, and takes mail over TLS', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'liaison-tls-'))
    const keyFile = path.join(dir, 'key.pem')
    const certFile = path.join(dir, 'cert.pem')
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost',
      ],
      { stdio: 'ignore' },
    )
    const server = await startTestServer('sqlite', {
      LIAISON_REPORT_ADDRESS: REPORT_ADDRESS,
      LIAISON_SMTP_TLS_KEY_FILE: keyFile,
      LIAISON_SMTP_TLS_CERT_FILE: certFile,
    })
    try {
      const smtp = server.smtp
      if (smtp === null) {
        throw new Error('no intake')
      }
      const transport = nodemailer.createTransport({
        host: smtp.host,
        port: smtp.port,
        secure: false,
        requireTLS: true,
        tls: { ca: [readFileSync(certFile)], servername: 'localhost' },
      })
      const info = await transport.sendMail({
        envelope: { from: 'tls@example.org', to: [REPORT_ADDRESS] },
        raw: 'From: tls@example.org\r\nSubject: over TLS\r\n\r\nencrypted\r\n',
      })
      transport.close()
      await smtp.settled()
      expect(info.response).toMatch(/^250 .*LSN-[0-9A-Z]{8}/)
      const [row] = await server.store.db.selectFrom('raw_messages').selectAll().execute()
      expect(row?.subject).toBe('over TLS')
    } finally {
      await server.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('liaison serve', () => {
  it('starts the SMTP intake when LIAISON_SMTP_PORT is set and stops it on shutdown', async () => {
    const location = await createStoreLocation('sqlite')
    const config = readConfig({
      ...location.env,
      LIAISON_PORT: '0',
      LIAISON_SMTP_PORT: '0',
      LIAISON_LOG_LEVEL: 'silent',
    })
    const running = await startServer(config, () => undefined)
    let closed = false
    try {
      const smtp = running.smtp
      if (smtp === undefined) {
        throw new Error('no SMTP intake started')
      }
      const transport = nodemailer.createTransport({ host: smtp.host, port: smtp.port, ignoreTLS: true })
      const info = await transport.sendMail({
        envelope: { from: 'x@example.org', to: ['report@localhost'] },
        raw: 'From: x@example.org\r\nSubject: via serve\r\n\r\nhello\r\n',
      })
      transport.close()
      expect(info.response).toMatch(/^250 .*LSN-[0-9A-Z]{8}/)
      await running.close()
      closed = true
      await expect(
        new Promise((resolve, reject) => {
          const socket = net.connect(smtp.port, smtp.host, () => resolve(socket.end()))
          socket.on('error', reject)
        }),
      ).rejects.toThrow(/ECONNREFUSED/)
    } finally {
      if (!closed) {
        await running.close()
      }
      await location.drop()
    }
  })
})
