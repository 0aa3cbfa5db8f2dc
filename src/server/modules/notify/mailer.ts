import { randomUUID } from 'node:crypto'
import nodemailer, { type Transporter } from 'nodemailer'
import MimeNode from 'nodemailer/lib/mime-node'
import * as openpgp from 'openpgp'
import { badInput, LiaisonError } from '../../errors.js'
import { loadSigningKey, type SigningKey } from './signing.js'

/** A file attached to an outgoing mail. */
export interface MailAttachment {
  readonly filename: string
  readonly content: Buffer | string
  /** MIME type; `application/octet-stream` when not given. */
  readonly contentType?: string
}

/** One outgoing mail. */
export interface OutgoingMail {
  /** One address or several; every address gets the same message. */
  readonly to: string | readonly string[]
  readonly subject: string
  readonly text: string
  readonly html?: string
  /** Message-ID this mail answers (with angle brackets). */
  readonly inReplyTo?: string
  readonly references?: string | readonly string[]
  readonly attachments?: readonly MailAttachment[]
  /**
   * Armored OpenPGP public key of the recipient: the mail goes out PGP/MIME-encrypted (RFC 3156
   * `multipart/encrypted`), signed inside the encryption when a signing key is configured.
   */
  readonly encryptTo?: string
}

/** What a successful send returns. */
export interface SentMail {
  /** The Message-ID header of the mail, with angle brackets. */
  readonly messageId: string
  /** Whether the mail went out OpenPGP-signed (PGP/MIME, RFC 3156). */
  readonly signed: boolean
  /** Whether the mail went out OpenPGP-encrypted (PGP/MIME, RFC 3156). */
  readonly encrypted: boolean
}

/** Sends mail through the configured relay. */
export interface Mailer {
  /** The From address (`LIAISON_REPORT_ADDRESS`). */
  readonly from: string
  /**
   * Sends one mail; PGP/MIME-signed when a signing key is configured. Throws a LiaisonError when
   * `LIAISON_SMTP_RELAY` is unset, an address is invalid, or the relay refuses the mail.
   */
  send(mail: OutgoingMail): Promise<SentMail>
  /** The signing key in use (loaded on first use), or null when mail goes out unsigned. */
  signingKey(): Promise<SigningKey | null>
  /** Closes the relay connection pool. */
  close(): void
}

/** The settings the mailer reads (a subset of the server's `Config`). */
export interface MailerConfig {
  readonly smtpRelay: string | null
  readonly reportAddress: string
  readonly instanceName?: string
  readonly openpgpKeyFile: string | null
  readonly openpgpPassphrase: string | null
}

const ADDRESS = /^[^\s@<>",;]+@[^\s@<>",;]+$/

function recipientsOf(to: string | readonly string[]): string[] {
  const list = (typeof to === 'string' ? to.split(',') : [...to]).map((a) => a.trim()).filter((a) => a !== '')
  if (list.length === 0) {
    throw badInput('to', 'at least one recipient is needed')
  }
  for (const address of list) {
    if (!ADDRESS.test(address)) {
      throw badInput('to', `not an e-mail address: "${address}"`)
    }
  }
  return list
}

function crlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n')
}

/** The error for mail that cannot go out because no relay is configured. */
export function relayNotConfigured(): LiaisonError {
  return new LiaisonError(503, 'internal', 'LIAISON_SMTP_RELAY: not set, outbound mail is off', {
    setting: 'LIAISON_SMTP_RELAY',
  })
}

/** Builds the body part that gets signed: text, or text + html + attachments. */
function contentPart(holder: MimeNode, mail: OutgoingMail): MimeNode {
  const attachments = mail.attachments ?? []
  const textLeaf = (parent: MimeNode): void => {
    parent
      .createChild('text/plain; charset=utf-8')
      .setHeader('Content-Transfer-Encoding', 'quoted-printable')
      .setContent(crlf(mail.text))
  }
  if (mail.html === undefined && attachments.length === 0) {
    const leaf = holder.createChild('text/plain; charset=utf-8')
    leaf.setHeader('Content-Transfer-Encoding', 'quoted-printable')
    leaf.setContent(crlf(mail.text))
    return leaf
  }
  const mixed = holder.createChild('multipart/mixed')
  if (mail.html === undefined) {
    textLeaf(mixed)
  } else {
    const alternative = mixed.createChild('multipart/alternative')
    textLeaf(alternative)
    alternative
      .createChild('text/html; charset=utf-8')
      .setHeader('Content-Transfer-Encoding', 'quoted-printable')
      .setContent(crlf(mail.html))
  }
  for (const attachment of attachments) {
    mixed
      .createChild(attachment.contentType ?? 'application/octet-stream', { filename: attachment.filename })
      .setHeader('Content-Disposition', 'attachment')
      .setHeader('Content-Transfer-Encoding', 'base64')
      .setContent(attachment.content)
  }
  return mixed
}

/** RFC 3156 multipart/signed: the content part, then its detached signature. */
async function signedMessage(
  mail: OutgoingMail,
  headers: Record<string, string>,
  key: SigningKey,
  hostname: string,
): Promise<Buffer> {
  const holder = new MimeNode('multipart/mixed', { hostname })
  const signedBytes = await contentPart(holder, mail).build()
  // String(): the overloads of sign() defeat the linter's type resolution; the value is the armored text.
  const armoredSignature = String(
    await openpgp.sign({
      message: await openpgp.createMessage({ binary: new Uint8Array(signedBytes) }),
      signingKeys: key.privateKey,
      detached: true,
      format: 'armored',
    }),
  )
  const signature = await openpgp.readSignature({ armoredSignature })
  const hashId = Number(signature.packets[0]?.hashAlgorithm)
  const hashName = Object.entries(openpgp.enums.hash).find(([, id]) => Number(id) === hashId)?.[0] ?? 'sha256'
  const root = new MimeNode(
    `multipart/signed; protocol="application/pgp-signature"; micalg=pgp-${hashName.toLowerCase()}`,
    { hostname },
  )
  root.setHeader(headers)
  // The signed part goes out byte for byte as signed.
  root.createChild('text/plain').setRaw(signedBytes)
  root
    .createChild('application/pgp-signature; name="signature.asc"')
    .setHeader('Content-Description', 'OpenPGP digital signature')
    .setHeader('Content-Disposition', 'attachment; filename="signature.asc"')
    .setHeader('Content-Transfer-Encoding', '7bit')
    .setContent(crlf(armoredSignature))
  return root.build()
}

/** RFC 3156 multipart/encrypted: the content part encrypted (and signed, RFC 3156 §6.2) as one OpenPGP message. */
async function encryptedMessage(
  mail: OutgoingMail & { encryptTo: string },
  headers: Record<string, string>,
  key: SigningKey | null,
  hostname: string,
): Promise<Buffer> {
  const holder = new MimeNode('multipart/mixed', { hostname })
  const plainBytes = await contentPart(holder, mail).build()
  const recipientKey = await openpgp.readKey({ armoredKey: mail.encryptTo })
  const armored = String(
    await openpgp.encrypt({
      message: await openpgp.createMessage({ binary: new Uint8Array(plainBytes) }),
      encryptionKeys: recipientKey,
      ...(key === null ? {} : { signingKeys: key.privateKey }),
      format: 'armored',
    }),
  )
  const root = new MimeNode('multipart/encrypted; protocol="application/pgp-encrypted"', { hostname })
  root.setHeader(headers)
  root
    .createChild('application/pgp-encrypted')
    .setHeader('Content-Description', 'PGP/MIME version identification')
    .setHeader('Content-Transfer-Encoding', '7bit')
    .setContent('Version: 1\r\n')
  root
    .createChild('application/octet-stream; name="encrypted.asc"')
    .setHeader('Content-Description', 'OpenPGP encrypted message')
    .setHeader('Content-Disposition', 'inline; filename="encrypted.asc"')
    .setHeader('Content-Transfer-Encoding', '7bit')
    .setContent(crlf(armored))
  return root.build()
}

/**
 * The outbound mailer over `LIAISON_SMTP_RELAY`, From `LIAISON_REPORT_ADDRESS`. When
 * `LIAISON_OPENPGP_KEY_FILE` is set every mail goes out PGP/MIME-signed (RFC 3156
 * `multipart/signed`, detached signature over the content part); with `encryptTo` it goes out
 * PGP/MIME-encrypted (signed inside when a key is configured). `options.signingKey` overrides the
 * configured key (null: never sign).
 *
 * @example
 * const mailer = createMailer(config)
 * const { messageId } = await mailer.send({ to: 'abuse@example.net', subject: 'Incident', text: '…' })
 */
export function createMailer(config: MailerConfig, options: { signingKey?: SigningKey | null } = {}): Mailer {
  const from = config.reportAddress
  const hostname = from.slice(from.lastIndexOf('@') + 1)
  let transport: Transporter | null = null
  let keyPromise: Promise<SigningKey | null> | null =
    options.signingKey === undefined ? null : Promise.resolve(options.signingKey)

  function signingKey(): Promise<SigningKey | null> {
    keyPromise ??= loadSigningKey(config)
    return keyPromise
  }

  function relay(): Transporter {
    if (config.smtpRelay === null) {
      throw relayNotConfigured()
    }
    transport ??= nodemailer.createTransport(config.smtpRelay)
    return transport
  }

  return {
    from,
    signingKey,
    async send(mail) {
      const to = recipientsOf(mail.to)
      if (mail.subject.trim() === '' || /[\r\n]/.test(mail.subject)) {
        throw badInput('subject', 'must be one non-empty line')
      }
      const smtp = relay()
      const key = await signingKey()
      const messageId = `<${randomUUID()}@${hostname}>`
      const references =
        mail.references === undefined
          ? undefined
          : typeof mail.references === 'string'
            ? mail.references
            : mail.references.join(' ')
      const fromHeader =
        config.instanceName === undefined ? from : `"${config.instanceName.replace(/["\\]/g, '')}" <${from}>`
      try {
        if (key === null && mail.encryptTo === undefined) {
          await smtp.sendMail({
            from: fromHeader,
            to,
            subject: mail.subject,
            text: mail.text,
            ...(mail.html === undefined ? {} : { html: mail.html }),
            ...(mail.inReplyTo === undefined ? {} : { inReplyTo: mail.inReplyTo }),
            ...(references === undefined ? {} : { references }),
            attachments: (mail.attachments ?? []).map((a) => ({
              filename: a.filename,
              content: a.content,
              contentType: a.contentType ?? 'application/octet-stream',
            })),
            messageId,
          })
          return { messageId, signed: false, encrypted: false }
        }
        const headers: Record<string, string> = {
          From: fromHeader,
          To: to.join(', '),
          Subject: mail.subject,
          'Message-ID': messageId,
          Date: new Date().toUTCString().replace(/GMT$/, '+0000'),
        }
        if (mail.inReplyTo !== undefined) {
          headers['In-Reply-To'] = mail.inReplyTo
        }
        if (references !== undefined) {
          headers.References = references
        }
        if (mail.encryptTo !== undefined) {
          const raw = await encryptedMessage({ ...mail, encryptTo: mail.encryptTo }, headers, key, hostname)
          await smtp.sendMail({ envelope: { from, to }, raw })
          return { messageId, signed: key !== null, encrypted: true }
        }
        if (key === null) {
          throw new Error('unreachable: unsigned plain mail is sent above')
        }
        const raw = await signedMessage(mail, headers, key, hostname)
        await smtp.sendMail({ envelope: { from, to }, raw })
        return { messageId, signed: true, encrypted: false }
      } catch (error) {
        if (error instanceof LiaisonError) {
          throw error
        }
        throw new LiaisonError(502, 'internal', `SMTP relay: ${(error as Error).message}`, {
          setting: 'LIAISON_SMTP_RELAY',
        })
      }
    },
    close() {
      transport?.close()
      transport = null
    },
  }
}
