import { readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import * as openpgp from 'openpgp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { liaison as runLiaison, type CliResult } from '../helpers/cli.js'
import { generateSigningKey } from '../../src/server/modules/notify/signing.js'
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js'
import { createStoreLocation, STORE_KINDS, type TestStoreLocation } from '../helpers/stores.js'
import { verifyPgpMime } from './pgp-mime.js'

/** `liaison` with extra environment and standard input, as this file calls it. */
function liaison(
  location: TestStoreLocation,
  args: string[],
  extraEnv: Record<string, string> = {},
  input?: string,
): Promise<CliResult> {
  return runLiaison(location, args, { env: extraEnv, ...(input === undefined ? {} : { input }) })
}

describe.each(STORE_KINDS)('liaison constituency (%s)', (kind) => {
  let location: TestStoreLocation
  let sink: SmtpSink

  beforeAll(async () => {
    location = await createStoreLocation(kind)
    sink = await startSmtpSink()
  })
  afterAll(async () => {
    await sink.close()
    await location.drop()
  })

  it('imports a CSV atomically, naming row and column of every problem', async () => {
    const dir = location.dataDir
    const keyed = await generateSigningKey('Keyed', 'abuse@keyed.test', null)
    writeFileSync(path.join(dir, 'keyed.asc'), keyed.publicKey)
    writeFileSync(path.join(dir, 'broken.asc'), 'not a key')
    const header = 'name,abuse_email,netblocks,asns,domains,pgp_key_file'
    const good = [
      header,
      'Big ISP,abuse@isp.test,198.51.96.0/19 2001:db8::/32,AS64500,isp.test,',
      'Hospital,cert@hospital.test,198.51.100.0/24,,hospital.test,',
      '"Keyed, Inc.",abuse@keyed.test;soc@keyed.test,203.0.113.0/24,64511,,keyed.asc',
    ]
    const badFile = path.join(dir, 'bad.csv')
    writeFileSync(
      badFile,
      [...good, 'Broken,abuse@broken.test,198.51.100.0/33,,,broken.asc', 'Missing,,,,,missing.asc'].join(
        '\n',
      ),
    )
    const refused = await liaison(location, ['constituency', 'import', badFile])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain(
      'row 5, column netblocks: "198.51.100.0/33" is not an IPv4 or IPv6 network',
    )
    expect(refused.stderr).toContain(
      'row 5, column pgp_key_file: broken.asc: not an armored OpenPGP public key',
    )
    expect(refused.stderr).toContain('row 6, column abuse_email: is empty')
    expect(refused.stderr).toContain('row 6, column pgp_key_file: cannot read missing.asc (ENOENT)')
    expect(refused.stderr).toContain('nothing imported (4 problem(s))')
    const empty = await liaison(location, ['constituency', 'list', '--json'])
    expect(empty.code, empty.stderr).toBe(0)
    expect(JSON.parse(empty.stdout)).toEqual([])

    const goodFile = path.join(dir, 'good.csv')
    writeFileSync(goodFile, good.join('\r\n') + '\r\n')
    const imported = await liaison(location, ['constituency', 'import', goodFile])
    expect(imported.code, imported.stderr).toBe(0)
    expect(imported.stdout).toContain(`${goodFile}: 3 created, 0 updated`)
    const listed = JSON.parse((await liaison(location, ['constituency', 'list', '--json'])).stdout) as {
      name: string
      abuseEmails: string[]
      pgpFingerprint: string | null
    }[]
    const keyedRow = listed.find((c) => c.name === 'Keyed, Inc.')
    expect(keyedRow?.abuseEmails).toEqual(['abuse@keyed.test', 'soc@keyed.test'])
    expect(keyedRow?.pgpFingerprint).toBe(
      (await openpgp.readKey({ armoredKey: keyed.publicKey })).getFingerprint(),
    )

    const again = await liaison(location, ['constituency', 'import', goodFile, '--json'])
    expect(JSON.parse(again.stdout)).toMatchObject({ created: 0, updated: 3 })
  })

  it('looks owners up', async () => {
    const lookup = async (...args: string[]) => liaison(location, ['constituency', 'lookup', ...args])
    const hospital = await lookup('198.51.100.77')
    expect(hospital.code).toBe(0)
    expect(hospital.stdout).toMatch(/Hospital\s+cert@hospital\.test\s+netblock 198\.51\.100\.0\/24/)
    expect((await lookup('198.51.101.1')).stdout).toContain('Big ISP')
    expect((await lookup('www.hospital.test')).stdout).toContain('domain hospital.test')
    expect((await lookup('192.0.2.1', '--asn', 'AS64511')).stdout).toContain('Keyed, Inc.')
    const none = await lookup('192.0.2.1')
    expect(none.code).toBe(1)
    expect(none.stdout).toContain('192.0.2.1: no owner')
  })

  it('generates a signing key and sends signed notifications through the relay', async () => {
    const keyFile = path.join(location.dataDir, 'instance-key.asc')
    const generated = await liaison(
      location,
      ['notify', 'keygen', '--out', keyFile, '--passphrase-stdin', '--json'],
      { LIAISON_INSTANCE_NAME: 'CSIRT Test', LIAISON_REPORT_ADDRESS: 'cert@csirt.test' },
      'secret words\n',
    )
    expect(generated.code, generated.stderr).toBe(0)
    const { publicKey, fingerprint } = JSON.parse(generated.stdout) as {
      publicKey: string
      fingerprint: string
    }
    expect(statSync(keyFile).mode & 0o777).toBe(0o600)
    expect(readFileSync(keyFile, 'utf8')).toContain('BEGIN PGP PRIVATE KEY BLOCK')
    const overwrite = await liaison(location, ['notify', 'keygen', '--out', keyFile])
    expect(overwrite.code).toBe(2)

    const env = {
      LIAISON_SMTP_RELAY: sink.url,
      LIAISON_REPORT_ADDRESS: 'cert@csirt.test',
      LIAISON_OPENPGP_KEY_FILE: keyFile,
      LIAISON_OPENPGP_PASSPHRASE: 'secret words',
    }
    const before = sink.messages.length
    const sent = await liaison(
      location,
      ['constituency', 'notify', '198.51.100.5', '198.51.120.1', '192.0.2.99', '--incident', 'LSN-CLI00001'],
      env,
    )
    expect(sent.code, sent.stderr).toBe(0)
    expect(sent.stdout).toMatch(/sent: Hospital <cert@hospital\.test> 1 value\(s\), signed/)
    expect(sent.stdout).toMatch(/sent: Big ISP <abuse@isp\.test> 1 value\(s\), signed/)
    expect(sent.stdout).toContain('no owner: 192.0.2.99')
    const mails = (await sink.waitFor(before + 2)).slice(before)
    const key = await openpgp.readKey({ armoredKey: publicKey })
    expect(key.getFingerprint()).toBe(fingerprint)
    for (const mail of mails) {
      const check = await verifyPgpMime(mail.raw, key)
      expect(check.valid).toBe(true)
      expect(check.signedPart).toContain('LSN-CLI00001')
    }
    const wrongPassphrase = await liaison(location, ['constituency', 'notify', '198.51.100.5'], {
      ...env,
      LIAISON_OPENPGP_PASSPHRASE: 'wrong',
    })
    expect(wrongPassphrase.code).toBe(1)
    expect(wrongPassphrase.stdout).toContain('LIAISON_OPENPGP_PASSPHRASE: does not unlock the signing key')
  })
})
