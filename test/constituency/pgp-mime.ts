import * as openpgp from 'openpgp'

/** What checking a PGP/MIME (RFC 3156) signed mail found. */
export interface PgpMimeCheck {
  readonly valid: boolean
  readonly micalg: string | null
  /** The signed first body part, as text. */
  readonly signedPart: string
}

/**
 * Verifies an RFC 3156 multipart/signed mail from its raw bytes, independently of the code that
 * built it: splits the top-level multipart by its boundary, takes the first part byte for byte, and
 * verifies the detached signature of the second part against `publicKey`.
 */
export async function verifyPgpMime(raw: Buffer, publicKey: openpgp.Key): Promise<PgpMimeCheck> {
  const text = raw.toString('latin1')
  const headerEnd = text.indexOf('\r\n\r\n')
  const headers = text.slice(0, headerEnd).replace(/\r\n[ \t]+/g, ' ')
  const contentType = /^content-type:\s*(.*)$/im.exec(headers)?.[1] ?? ''
  if (
    !/^multipart\/signed/i.test(contentType) ||
    !/protocol="?application\/pgp-signature"?/i.test(contentType)
  ) {
    throw new Error(`not a PGP/MIME signed mail: ${contentType}`)
  }
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1]
  const micalg = /micalg="?([^";\s]+)"?/i.exec(contentType)?.[1] ?? null
  if (boundary === undefined) {
    throw new Error('no boundary')
  }
  const body = text.slice(headerEnd + 4)
  const delimiter = `--${boundary}`
  const first = body.indexOf(`${delimiter}\r\n`)
  const second = body.indexOf(`\r\n${delimiter}\r\n`, first)
  const end = body.indexOf(`\r\n${delimiter}--`, second + 1)
  if (first < 0 || second < 0 || end < 0) {
    throw new Error('multipart/signed without two parts')
  }
  const signedPart = body.slice(first + delimiter.length + 2, second)
  const signaturePart = body.slice(second + delimiter.length + 4, end)
  const armoredSignature = signaturePart.slice(signaturePart.indexOf('-----BEGIN PGP SIGNATURE-----'))
  const signature = await openpgp.readSignature({ armoredSignature })
  const message = await openpgp.createMessage({ binary: new Uint8Array(Buffer.from(signedPart, 'latin1')) })
  const verification = await openpgp.verify({ message, signature, verificationKeys: publicKey })
  let valid = false
  try {
    valid = (await verification.signatures[0]?.verified) === true
  } catch {
    valid = false
  }
  return { valid, micalg, signedPart }
}
