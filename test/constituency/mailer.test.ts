import * as openpgp from 'openpgp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMailer, type MailerConfig } from '../../src/server/modules/notify/mailer.js'
import {
  generateSigningKey,
  readSigningKey,
  type SigningKey,
} from '../../src/server/modules/notify/signing.js'
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js'
import { verifyPgpMime } from './pgp-mime.js'

function configFor(sink: SmtpSink | null): MailerConfig {
  return {
    smtpRelay: sink === null ? null : sink.url,
    reportAddress: 'report@cert.test',
    instanceName: 'CERT Test',
    openpgpKeyFile: null,
    openpgpPassphrase: null,
  }
}

describe('mailer', () => {
  let sink: SmtpSink
  let key: SigningKey
  let otherKey: SigningKey

  beforeAll(async () => {
    sink = await startSmtpSink()
    const generated = await generateSigningKey('CERT Test', 'report@cert.test', 'secret phrase')
    key = await readSigningKey(generated.privateKey, 'secret phrase')
    const other = await generateSigningKey('Someone Else', 'else@cert.test', null)
    otherKey = await readSigningKey(other.privateKey, null)
  })
  afterAll(async () => {
    await sink.close()
  })

  it('refuses to send with a clear error when no relay is configured', async () => {
    const mailer = createMailer(configFor(null), { signingKey: null })
    await expect(mailer.send({ to: 'abuse@example.net', subject: 'x', text: 'y' })).rejects.toThrow(
      /LIAISON_SMTP_RELAY/,
    )
  })

  it('sends an unsigned mail when no key is set, with threading headers', async () => {
    const before = sink.messages.length
    const mailer = createMailer(configFor(sink), { signingKey: null })
    const sent = await mailer.send({
      to: ['abuse@example.net'],
      subject: 'Incident LSN-1',
      text: 'Hello\nwörld',
      inReplyTo: '<a@b>',
      references: ['<a@b>'],
    })
    mailer.close()
    expect(sent.signed).toBe(false)
    const all = await sink.waitFor(before + 1)
    const mail = all[before]!
    expect(mail.envelope.to).toEqual(['abuse@example.net'])
    expect(mail.envelope.from).toBe('report@cert.test')
    expect(mail.parsed.messageId).toBe(sent.messageId)
    expect(mail.parsed.inReplyTo).toBe('<a@b>')
    expect(mail.parsed.text?.trim()).toBe('Hello\nwörld')
    expect(mail.parsed.headers.get('content-type')).not.toMatchObject({ value: 'multipart/signed' })
    expect(mail.raw.toString()).not.toContain('BEGIN PGP SIGNATURE')
  })

  it('signs as PGP/MIME (RFC 3156); the signature verifies with the public key and fails on a change', async () => {
    const before = sink.messages.length
    const mailer = createMailer(configFor(sink), { signingKey: key })
    const sent = await mailer.send({
      to: 'abuse@example.net',
      subject: 'Signed',
      text: 'Observables:\n  198.51.100.7  \nTLP:AMBER\n',
      attachments: [{ filename: 'evidence.txt', content: 'line one\n', contentType: 'text/plain' }],
    })
    mailer.close()
    expect(sent.signed).toBe(true)
    const mail = (await sink.waitFor(before + 1))[before]!
    expect(mail.parsed.messageId).toBe(sent.messageId)
    const publicKey = await openpgp.readKey({ armoredKey: key.publicKeyArmored })
    const result = await verifyPgpMime(mail.raw, publicKey)
    expect(result.valid).toBe(true)
    expect(result.micalg).toMatch(/^pgp-sha\d+$/)
    expect(result.signedPart).toContain('198.51.100.7')
    // The wrong key does not verify.
    const wrong = await openpgp.readKey({ armoredKey: otherKey.publicKeyArmored })
    expect((await verifyPgpMime(mail.raw, wrong)).valid).toBe(false)
    // A changed body does not verify.
    const tampered = Buffer.from(
      mail.raw.toString('latin1').replace('198.51.100.7', '198.51.100.8'),
      'latin1',
    )
    expect((await verifyPgpMime(tampered, publicKey)).valid).toBe(false)
    expect(mail.parsed.text).toContain('198.51.100.7')
    expect(mail.parsed.attachments.map((a) => a.filename)).toContain('evidence.txt')
  })

  it('names the field of a bad recipient', async () => {
    const mailer = createMailer(configFor(sink), { signingKey: null })
    await expect(mailer.send({ to: 'not an address', subject: 'x', text: 'y' })).rejects.toThrow(/^to: /)
  })
})
