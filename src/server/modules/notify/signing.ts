import { readFile } from 'node:fs/promises'
import * as openpgp from 'openpgp'
import { LiaisonError } from '../../errors.js'

/** The instance's OpenPGP signing key, unlocked and ready to sign. */
export interface SigningKey {
  readonly privateKey: openpgp.PrivateKey
  /** Fingerprint of the primary key, lower-case hex. */
  readonly fingerprint: string
  /** The armored public key, for constituents to verify our mail. */
  readonly publicKeyArmored: string
}

/**
 * Reads an armored private key and unlocks it with the passphrase (when the key is protected).
 * Throws a LiaisonError naming the setting when the file is missing, is not a private key, or the
 * passphrase is wrong or missing.
 */
export async function readSigningKey(armored: string, passphrase: string | null): Promise<SigningKey> {
  let privateKey: openpgp.PrivateKey
  try {
    privateKey = await openpgp.readPrivateKey({ armoredKey: armored })
  } catch (error) {
    throw new LiaisonError(
      500,
      'internal',
      `LIAISON_OPENPGP_KEY_FILE: not an armored OpenPGP private key (${(error as Error).message})`,
      { setting: 'LIAISON_OPENPGP_KEY_FILE' },
    )
  }
  if (!privateKey.isDecrypted()) {
    if (passphrase === null) {
      throw new LiaisonError(
        500,
        'internal',
        'LIAISON_OPENPGP_PASSPHRASE: the signing key is protected; set its passphrase',
        {
          setting: 'LIAISON_OPENPGP_PASSPHRASE',
        },
      )
    }
    try {
      privateKey = await openpgp.decryptKey({ privateKey, passphrase })
    } catch {
      throw new LiaisonError(500, 'internal', 'LIAISON_OPENPGP_PASSPHRASE: does not unlock the signing key', {
        setting: 'LIAISON_OPENPGP_PASSPHRASE',
      })
    }
  }
  return {
    privateKey,
    fingerprint: privateKey.getFingerprint(),
    publicKeyArmored: privateKey.toPublic().armor(),
  }
}

/** Loads the signing key from `LIAISON_OPENPGP_KEY_FILE`; null when no key file is configured. */
export async function loadSigningKey(config: {
  readonly openpgpKeyFile: string | null
  readonly openpgpPassphrase: string | null
}): Promise<SigningKey | null> {
  if (config.openpgpKeyFile === null) {
    return null
  }
  let armored: string
  try {
    armored = await readFile(config.openpgpKeyFile, 'utf8')
  } catch (error) {
    throw new LiaisonError(
      500,
      'internal',
      `LIAISON_OPENPGP_KEY_FILE: cannot read ${config.openpgpKeyFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      { setting: 'LIAISON_OPENPGP_KEY_FILE' },
    )
  }
  return readSigningKey(armored, config.openpgpPassphrase)
}

/**
 * Generates a new signing key pair (Curve25519, no expiry) for the instance; the private key is
 * armored, and protected when a passphrase is given.
 *
 * @example
 * const { privateKey, publicKey } = await generateSigningKey('CERT-XX', 'report@cert.example', null)
 */
export async function generateSigningKey(
  name: string,
  email: string,
  passphrase: string | null,
): Promise<{ privateKey: string; publicKey: string; fingerprint: string }> {
  const generated = await openpgp.generateKey({
    type: 'curve25519',
    userIDs: [{ name, email }],
    format: 'armored',
    ...(passphrase === null ? {} : { passphrase }),
  })
  const key = await openpgp.readKey({ armoredKey: generated.publicKey })
  return {
    privateKey: generated.privateKey,
    publicKey: generated.publicKey,
    fingerprint: key.getFingerprint(),
  }
}

/** Reads an armored OpenPGP public key; throws the message of the parser when it is not one. */
export async function readPublicKey(armored: string): Promise<openpgp.PublicKey> {
  const key = await openpgp.readKey({ armoredKey: armored })
  return key.isPrivate() ? key.toPublic() : key
}
