import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { PeerCredentials } from '../../../core/federation/federation.schema.js'
import type { Config } from '../../config.js'
import type { TaxiiAuth } from './taxii.client.js'

const VERSION = 'v1'

/**
 * The key that seals stored secrets: `LIAISON_SECRET_KEY`, else `<dataDir>/secret.key` (32 random
 * bytes, made on first use, readable by its owner only).
 */
export function loadSecretKey(config: Pick<Config, 'secretKey' | 'dataDir'>): Buffer {
  if (config.secretKey !== null) {
    return config.secretKey
  }
  const file = path.join(config.dataDir, 'secret.key')
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true })
    try {
      // `wx`: two processes starting together keep the first key written.
      writeFileSync(file, randomBytes(32).toString('base64'), { flag: 'wx', mode: 0o600 })
    } catch (error) {
      if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST')) {
        throw error
      }
    }
    chmodSync(file, 0o600)
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')
  if (key.length !== 32) {
    throw new Error(`${file} does not hold a 32-byte key (base64)`)
  }
  return key
}

/**
 * Seals credentials with AES-256-GCM: `v1:<kind>:<iv>:<tag>:<ciphertext>` (base64url; the kind in
 * clear, so the API can say which kind is stored without opening them). The peer id is bound in as
 * associated data, so sealed credentials cannot be moved to another peer.
 */
export function sealCredentials(credentials: PeerCredentials, key: Buffer, peerId: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(peerId, 'utf8'))
  const sealed = Buffer.concat([cipher.update(JSON.stringify(credentials), 'utf8'), cipher.final()])
  return [
    VERSION,
    credentials.kind,
    iv.toString('base64url'),
    cipher.getAuthTag().toString('base64url'),
    sealed.toString('base64url'),
  ].join(':')
}

/** Opens sealed credentials as the TAXII client's authentication; throws when the key is wrong. */
export function openCredentials(sealed: string | null, key: Buffer, peerId: string): TaxiiAuth {
  if (sealed === null) {
    return { kind: 'none' }
  }
  const [version, , iv, tag, data] = sealed.split(':')
  if (version !== VERSION || iv === undefined || tag === undefined || data === undefined) {
    throw new Error('stored credentials are in an unknown format')
  }
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
  decipher.setAAD(Buffer.from(peerId, 'utf8'))
  decipher.setAuthTag(Buffer.from(tag, 'base64url'))
  let plain: string
  try {
    plain = Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString(
      'utf8',
    )
  } catch {
    throw new Error('stored credentials cannot be opened: LIAISON_SECRET_KEY (or data/secret.key) changed')
  }
  return JSON.parse(plain) as PeerCredentials
}

/** What kind of credentials a sealed value holds, without opening it (for the API). */
export function credentialKindOf(sealed: string | null): 'bearer' | 'basic' | 'none' {
  const kind = sealed?.split(':')[1]
  return kind === 'bearer' || kind === 'basic' ? kind : 'none'
}
