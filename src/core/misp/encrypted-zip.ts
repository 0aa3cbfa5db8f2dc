import { createHash } from 'node:crypto'
import { deflateRawSync } from 'node:zlib'

/**
 * ZIP archives encrypted with the password MISP uses for malware samples ("infected"), in the
 * traditional PKWARE encryption (ZipCrypto) that MISP's own archives use and every unzip tool reads.
 * The encryption is no secrecy (the password is public): it keeps virus scanners and mail filters
 * from acting on a sample. Written deterministically (the 12-byte encryption header is derived from
 * the content, the date is fixed), so the same sample always gives the same archive and importing an
 * event twice changes nothing.
 */

/** The password of MISP's malware-sample archives. */
export const MALWARE_SAMPLE_PASSWORD = 'infected'

/** One file of an archive. */
export interface ZipEntry {
  readonly name: string
  readonly data: Buffer
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) {
      c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    }
    table[n] = c >>> 0
  }
  return table
})()

/** One byte into a CRC-32 register, without the pre- and post-inversion of the checksum. */
function crcByte(crc: number, byte: number): number {
  return ((crc >>> 8) ^ (CRC_TABLE[(crc ^ byte) & 0xff] as number)) >>> 0
}

/** The CRC-32 checksum of `data`, as ZIP stores it. */
export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of data) {
    crc = crcByte(crc, byte)
  }
  return (crc ^ 0xffffffff) >>> 0
}

/** The three keys of ZipCrypto, initialised with a password. */
class ZipCryptoKeys {
  private k0 = 0x12345678
  private k1 = 0x23456789
  private k2 = 0x34567890

  constructor(password: string) {
    for (const byte of Buffer.from(password, 'utf8')) {
      this.update(byte)
    }
  }

  private update(byte: number): void {
    this.k0 = crcByte(this.k0, byte)
    this.k1 = (Math.imul((this.k1 + (this.k0 & 0xff)) >>> 0, 134775813) + 1) >>> 0
    this.k2 = crcByte(this.k2, this.k1 >>> 24)
  }

  /** Encrypts `plain`, the key stream going on from the bytes encrypted before. */
  encrypt(plain: Uint8Array): Buffer {
    const out = Buffer.alloc(plain.length)
    for (let i = 0; i < plain.length; i++) {
      const temp = (this.k2 | 2) & 0xffff
      const stream = ((temp * (temp ^ 1)) >>> 8) & 0xff
      const byte = plain[i] as number
      out[i] = byte ^ stream
      this.update(byte)
    }
    return out
  }
}

/** 1980-01-01 00:00 in MS-DOS date and time: archives do not depend on when they were written. */
const DOS_TIME = 0
const DOS_DATE = (0 << 9) | (1 << 5) | 1

/**
 * The fields a local file header and its central directory entry share, from `at` on (4 in the
 * one, 6 in the other): version needed, flags, method, time, date, checksum, sizes, name length.
 */
function writeEntryFields(
  header: Buffer,
  at: number,
  entry: { crc: number; stored: number; size: number; nameLength: number },
): void {
  header.writeUInt16LE(20, at) // version needed: 2.0 (deflate, encryption)
  header.writeUInt16LE(0x0001, at + 2) // flags: encrypted
  header.writeUInt16LE(8, at + 4) // method: deflate
  header.writeUInt16LE(DOS_TIME, at + 6)
  header.writeUInt16LE(DOS_DATE, at + 8)
  header.writeUInt32LE(entry.crc, at + 10)
  header.writeUInt32LE(entry.stored, at + 14)
  header.writeUInt32LE(entry.size, at + 18)
  header.writeUInt16LE(entry.nameLength, at + 22)
}

/**
 * A ZIP archive of `entries`, each deflated and encrypted with `password` (ZipCrypto).
 *
 * @example
 * const zip = encryptedZip([{ name: 'sample', data }], MALWARE_SAMPLE_PASSWORD)
 * // `unzip -P infected` or Python's zipfile reads it back
 */
export function encryptedZip(entries: readonly ZipEntry[], password: string): Buffer {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8')
    const crc = crc32(entry.data)
    const compressed = deflateRawSync(entry.data)
    // The encryption header: 11 bytes derived from the content (no randomness: deterministic
    // archives), then the checksum's high byte, which readers use to check the password.
    const header = createHash('sha256').update(entry.data).update(name).digest().subarray(0, 12)
    header[11] = crc >>> 24
    const keys = new ZipCryptoKeys(password)
    const sealed = Buffer.concat([keys.encrypt(header), keys.encrypt(compressed)])
    const fields = { crc, stored: sealed.length, size: entry.data.length, nameLength: name.length }
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    writeEntryFields(local, 4, fields)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE(20, 4) // made by: 2.0, MS-DOS attributes
    writeEntryFields(central, 6, fields)
    central.writeUInt32LE(offset, 42)
    locals.push(local, name, sealed)
    centrals.push(central, name)
    offset += local.length + name.length + sealed.length
  }
  const directory = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, directory, end])
}

/**
 * What MISP makes of a new malware sample (an attribute sent with the file itself and `encrypt`
 * set, as PyMISP sends it): the value `filename|md5` and, as data, an archive holding the file
 * under its MD5 and its name in `<md5>.filename.txt`, encrypted with "infected".
 */
export function packMalwareSample(filename: string, sample: Buffer): { value: string; data: string } {
  const md5 = createHash('md5').update(sample).digest('hex')
  const zip = encryptedZip(
    [
      { name: md5, data: sample },
      { name: `${md5}.filename.txt`, data: Buffer.from(filename, 'utf8') },
    ],
    MALWARE_SAMPLE_PASSWORD,
  )
  return { value: `${filename}|${md5}`, data: zip.toString('base64') }
}
