import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { crc32, encryptedZip, MALWARE_SAMPLE_PASSWORD, packMalwareSample } from './encrypted-zip.js'

const dir = mkdtempSync(path.join(tmpdir(), 'liaison-zip-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Every file of an archive as another implementation reads it (Python's zipfile), base64 by name. */
function readWithPython(zip: Buffer, password: string): Record<string, string> {
  const file = path.join(dir, `${randomBytes(6).toString('hex')}.zip`)
  writeFileSync(file, zip)
  const script =
    'import base64, json, sys, zipfile\n' +
    'z = zipfile.ZipFile(sys.argv[1])\n' +
    'print(json.dumps({n: base64.b64encode(z.read(n, pwd=sys.argv[2].encode())).decode() for n in z.namelist()}))'
  return JSON.parse(
    execFileSync('python3', ['-c', script, file, password], { encoding: 'utf8', stdio: 'pipe' }),
  ) as Record<string, string>
}

describe('encrypted ZIP archives (MISP malware samples)', () => {
  it('computes CRC-32 as ZIP does', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926)
    expect(crc32(Buffer.alloc(0))).toBe(0)
  })

  it('writes archives another implementation decrypts with the password, and refuses to open without it', () => {
    const sample = randomBytes(70_000)
    const text = Buffer.from('a name with ünïcode\n'.repeat(100), 'utf8')
    const zip = encryptedZip(
      [
        { name: 'sample', data: sample },
        { name: 'note.txt', data: text },
        { name: 'empty', data: Buffer.alloc(0) },
      ],
      MALWARE_SAMPLE_PASSWORD,
    )
    expect(readWithPython(zip, MALWARE_SAMPLE_PASSWORD)).toEqual({
      sample: sample.toString('base64'),
      'note.txt': text.toString('base64'),
      empty: '',
    })
    expect(() => readWithPython(zip, 'wrong')).toThrow()
  })

  it('packs a new sample as MISP does: name|md5, the file under its MD5 and its name beside it', () => {
    const sample = Buffer.from('{\n}\n')
    const md5 = createHash('md5').update(sample).digest('hex')
    const packed = packMalwareSample('bar.exe', sample)
    expect(packed.value).toBe(`bar.exe|${md5}`)
    expect(readWithPython(Buffer.from(packed.data, 'base64'), 'infected')).toEqual({
      [md5]: sample.toString('base64'),
      [`${md5}.filename.txt`]: Buffer.from('bar.exe').toString('base64'),
    })
    // The same sample always gives the same archive: importing an event twice changes nothing.
    expect(packMalwareSample('bar.exe', sample)).toEqual(packed)
  })
})
