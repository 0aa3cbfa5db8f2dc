import { describe, expect, it } from 'vitest'
import { generateOneTimePassword, hashPassword, safeEqual, sha256Hex, verifyPassword } from './secrets.js'

describe('secrets', () => {
  it('hashes passwords with argon2id and verifies only the right one', async () => {
    const hash = await hashPassword('correct horse battery staple')
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    expect(await verifyPassword(hash, 'correct horse battery staple')).toBe(true)
    expect(await verifyPassword(hash, 'Correct horse battery staple')).toBe(false)
    expect(await verifyPassword('not a hash', 'x')).toBe(false)
  })

  it('makes distinct one-time passwords from an unambiguous alphabet', () => {
    const seen = new Set(Array.from({ length: 200 }, generateOneTimePassword))
    expect(seen.size).toBe(200)
    for (const p of seen) {
      expect(p).toMatch(/^[A-HJ-NP-Za-km-z2-9]{20}$/)
    }
  })

  it('compares in constant time and hashes tokens to hex', () => {
    expect(safeEqual('abc', 'abc')).toBe(true)
    expect(safeEqual('abc', 'abd')).toBe(false)
    expect(safeEqual('abc', 'abcd')).toBe(false)
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  })
})
