import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { hash, verify } from '@node-rs/argon2'

// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane (about 17 ms a hash on the reference machine).
// `Algorithm` is an ambient const enum (unusable with verbatimModuleSyntax): 2 is Argon2id.
const ARGON2_OPTIONS = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 }

/** Hashes a password with argon2id; returns the PHC string to store. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS)
}

/** Checks a password against a stored argon2id hash. */
export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  try {
    return await verify(storedHash, password)
  } catch {
    return false
  }
}

let dummyHash: Promise<string> | null = null

/** Spends the same time as a real check, so unknown accounts cannot be told apart by timing. */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword(randomToken(16))
  await verifyPassword(await dummyHash, password)
  return false
}

/** A random URL-safe token of `bytes` bytes of entropy. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url')
}

/** SHA-256 of a string, hex. Used to store API keys and session tokens, which are already high-entropy. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex')
}

/** Constant-time string comparison. */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789'

/** A one-time password: 20 characters from an unambiguous alphabet (about 116 bits). */
export function generateOneTimePassword(): string {
  const bytes = randomBytes(20)
  let out = ''
  for (const byte of bytes) {
    // 256 is not a multiple of the alphabet size; the bias is negligible for a one-time password.
    out += PASSWORD_ALPHABET[byte % PASSWORD_ALPHABET.length]
  }
  return out
}
