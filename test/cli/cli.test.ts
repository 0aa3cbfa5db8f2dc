import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliBaseEnv, cliJson, LIAISON_BIN, liaison as runLiaison, type CliResult } from '../helpers/cli.js'
import { buildApp } from '../../src/server/app.js'
import { readConfig } from '../../src/server/config.js'
import { ApiClient } from '../helpers/http.js'
import { createStoreLocation, openTestStore, STORE_KINDS, type TestStoreLocation } from '../helpers/stores.js'
import { CORPUS_DIR } from '../helpers/corpus.js'

/** `liaison` with standard input, as this file calls it. */
function liaison(location: TestStoreLocation, args: string[], input?: string): Promise<CliResult> {
  return runLiaison(location, args, input === undefined ? {} : { input })
}

describe('the liaison binary', () => {
  it('is built (npm test builds it first)', () => {
    expect(existsSync(path.resolve(import.meta.dirname, '..', '..', 'dist', 'src', 'cli', 'main.js'))).toBe(
      true,
    )
  })
})

describe.each(STORE_KINDS)('liaison CLI (%s)', (kind) => {
  let location: TestStoreLocation

  beforeAll(async () => {
    location = await createStoreLocation(kind)
  })
  afterAll(async () => {
    await location.drop()
  })

  it('migrates the store, and says so when it is already up to date', async () => {
    const first = cliJson<{ applied: string[]; store: string }>(
      await liaison(location, ['migrate', '--json']),
    )
    expect(first.store).toBe(kind)
    expect(first.applied).toContain('2026-11-24T0800-foundation')
    const again = await liaison(location, ['migrate'])
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/up to date/)
  })

  it('creates and lists organisations and users, in text and JSON', async () => {
    const org = cliJson<{ id: string; name: string; country: string }>(
      await liaison(location, [
        'org',
        'create',
        '--name',
        'CERT-CLI',
        '--type',
        'gov-csirt',
        '--country',
        'nl',
        '--json',
      ]),
    )
    expect(org).toMatchObject({ name: 'CERT-CLI', country: 'NL' })

    const text = await liaison(location, ['org', 'list'])
    expect(text.stdout).toMatch(/^ID\s+NAME\s+TYPE/)
    expect(text.stdout).toContain('CERT-CLI')
    const listed = cliJson<{ id: string }[]>(await liaison(location, ['org', 'list', '--json']))
    expect(listed.map((o) => o.id)).toContain(org.id)

    const created = cliJson<{
      user: { id: string; email: string; mustChangePassword: boolean }
      oneTimePassword: string
    }>(
      await liaison(location, [
        'user',
        'create',
        '--email',
        'Handler@CERT-CLI.example',
        '--name',
        'Hana Handler',
        '--role',
        'handler',
        '--org',
        'cert-cli',
        '--json',
      ]),
    )
    expect(created.user).toMatchObject({ email: 'handler@cert-cli.example', mustChangePassword: true })
    expect(created.oneTimePassword).toMatch(/^[A-Za-z0-9]{20}$/)

    const users = cliJson<{ email: string }[]>(
      await liaison(location, ['user', 'list', '--org', org.id, '--json']),
    )
    expect(users.map((u) => u.email)).toEqual(['handler@cert-cli.example'])

    const fromStdin = await liaison(
      location,
      [
        'user',
        'create',
        '--email',
        'piped@cert-cli.example',
        '--name',
        'P',
        '--role',
        'viewer',
        '--org',
        'CERT-CLI',
        '--password-stdin',
      ],
      'a piped passphrase\n',
    )
    expect(fromStdin.code, fromStdin.stderr).toBe(0)
    expect(fromStdin.stdout).not.toMatch(/One-time password/)
  })

  it('rejects bad input with a clear message, exit code 2, and no change', async () => {
    const before = cliJson<unknown[]>(await liaison(location, ['org', 'list', '--json'])).length
    const badType = await liaison(location, ['org', 'create', '--name', 'X', '--type', 'pirates'])
    expect(badType.code).toBe(2)
    expect(badType.stderr).toMatch(/pirates/)
    const badCountry = await liaison(location, [
      'org',
      'create',
      '--name',
      'X',
      '--type',
      'isac',
      '--country',
      'Germany',
    ])
    expect(badCountry.code).toBe(2)
    expect(badCountry.stderr).toMatch(/country/)
    const dup = await liaison(location, ['org', 'create', '--name', 'cert-cli', '--type', 'isac'])
    expect(dup.code).toBe(2)
    expect(dup.stderr).toMatch(/name: an organisation named/)
    const noOrg = await liaison(location, [
      'user',
      'create',
      '--email',
      'a@b.c',
      '--name',
      'A',
      '--role',
      'viewer',
      '--org',
      'nope',
    ])
    expect(noOrg.code).toBe(2)
    expect(noOrg.stderr).toMatch(/organisation nope not found/)
    expect(cliJson<unknown[]>(await liaison(location, ['org', 'list', '--json'])).length).toBe(before)
  })

  it('creates an API key whose token works against a server on the same store, and revokes it', async () => {
    const key = cliJson<{ apiKey: { id: string }; token: string }>(
      await liaison(location, [
        'apikey',
        'create',
        '--user',
        'handler@cert-cli.example',
        '--name',
        'sync',
        '--json',
      ]),
    )
    expect(key.token).toMatch(/^lsn_/)

    const store = await openTestStore(location)
    const app = await buildApp(readConfig({ ...location.env, LIAISON_LOG_LEVEL: 'silent' }), { store })
    try {
      const url = await app.listen({ host: '127.0.0.1', port: 0 })
      const client = new ApiClient(url)
      client.bearer = key.token
      const me = await client.get<{ user: { email: string } }>('/api/v1/me')
      // The user still holds a one-time password: /me answers, the rest waits for the change.
      expect(me.status).toBe(200)
      expect(me.body.user.email).toBe('handler@cert-cli.example')

      const revoked = await liaison(location, ['apikey', 'revoke', key.apiKey.id])
      expect(revoked.code, revoked.stderr).toBe(0)
      expect(revoked.stdout).toMatch(/Revoked/)
      expect((await client.get('/api/v1/me')).status).toBe(401)
      const twice = await liaison(location, ['apikey', 'revoke', key.apiKey.id])
      expect(twice.code).toBe(2)
    } finally {
      await app.close()
      await store.close()
    }
  })

  it('verifies the audit chain, and names the entry when a row was tampered with', async () => {
    const ok = await liaison(location, ['audit', 'verify'])
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toMatch(/Audit chain OK: \d+ entries/)
    // The head it prints, recorded elsewhere, is checked on a later run.
    const head = /head (\d+:[0-9a-f]{64})/.exec(ok.stdout)?.[1] ?? ''
    expect(head).not.toBe('')
    const anchored = await liaison(location, ['audit', 'verify', '--anchor', head])
    expect(anchored.code, anchored.stderr).toBe(0)
    expect(anchored.stdout).toMatch(/1 anchor found/)
    const badAnchor = await liaison(location, ['audit', 'verify', '--anchor', '12:nothex'])
    expect(badAnchor.code).toBe(2)
    expect(badAnchor.stderr).toMatch(/anchor: expected SEQ:HASH/)

    const store = await openTestStore(location)
    try {
      await store.db
        .updateTable('audit_log')
        .set({ action: 'organisation.deleted' })
        .where('seq', '=', 2)
        .execute()
    } finally {
      await store.close()
    }
    const broken = await liaison(location, ['audit', 'verify'])
    expect(broken.code).toBe(1)
    expect(broken.stdout).toMatch(/BROKEN at entry 2/)
    const asJson = await liaison(location, ['audit', 'verify', '--json'])
    expect(asJson.code).toBe(1)
    expect(JSON.parse(asJson.stdout)).toMatchObject({ ok: false, brokenSeq: 2 })
  })

  it('manages sharing groups for scripts', async () => {
    for (const name of ['ISAC-Energy', 'Grid-Op-1', 'Grid-Op-2']) {
      cliJson(
        await liaison(location, [
          'org',
          'create',
          '--name',
          name,
          '--type',
          name === 'ISAC-Energy' ? 'isac' : 'constituent',
          '--json',
        ]),
      )
    }
    const created = cliJson<{
      id: string
      hiddenMembership: boolean
      members: { name: string }[]
      ownerOrgName: string
    }>(
      await liaison(location, [
        'group',
        'create',
        '--name',
        'Energy circle',
        '--owner-org',
        'ISAC-Energy',
        '--member-org',
        'Grid-Op-1',
        '--member-org',
        'grid-op-2',
        '--hidden',
        '--json',
      ]),
    )
    expect(created.hiddenMembership).toBe(true)
    expect(created.ownerOrgName).toBe('ISAC-Energy')
    expect(created.members.map((m) => m.name).sort()).toEqual(['Grid-Op-1', 'Grid-Op-2', 'ISAC-Energy'])

    const removed = cliJson<{ members: { name: string }[] }>(
      await liaison(location, ['group', 'remove-member', 'Energy circle', 'Grid-Op-2', '--json']),
    )
    expect(removed.members.map((m) => m.name)).not.toContain('Grid-Op-2')
    const added = await liaison(location, ['group', 'add-member', created.id, 'Grid-Op-2'])
    expect(added.code, added.stderr).toBe(0)
    expect(added.stdout).toMatch(/Added Grid-Op-2 to Energy circle \(3 member/)
    const again = await liaison(location, ['group', 'add-member', created.id, 'Grid-Op-2'])
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/already a member/)
    const owner = await liaison(location, ['group', 'remove-member', created.id, 'ISAC-Energy'])
    expect(owner.code).toBe(2)

    const listed = cliJson<{ id: string }[]>(await liaison(location, ['group', 'list', '--json']))
    expect(listed.map((g) => g.id)).toContain(created.id)
    const text = await liaison(location, ['group', 'list'])
    expect(text.stdout).toMatch(/Energy circle\s+ISAC-Energy\s+3\s+yes/)
  })

  it('imports STIX and MISP files, and exports exactly what a user may see', async () => {
    const corpus = CORPUS_DIR
    const apt1 = path.join(corpus, 'stix21', 'oasis-examples', 'threat-reports', 'apt1.json')
    const summary = cliJson<{ created: number; rejected: number }>(
      await liaison(location, ['import', apt1, '--org', 'CERT-CLI', '--json']),
    )
    expect(summary.created).toBe(76)
    expect(summary.rejected).toBe(0)
    const again = await liaison(location, ['import', apt1, '--org', 'CERT-CLI'])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toMatch(/0 created, 0 updated, 76 unchanged, 0 rejected/)

    const misp = path.join(corpus, 'misp', 'pymisp', '57c4445b-c548-4654-af0b-4be3950d210f.json')
    const fromMisp = await liaison(location, [
      'import',
      misp,
      '--org',
      'CERT-CLI',
      '--tlp',
      'green',
      '--audience',
      'community',
    ])
    expect(fromMisp.code, fromMisp.stderr).toBe(0)

    const redNobody = await liaison(location, ['import', apt1, '--org', 'CERT-CLI', '--tlp', 'red'])
    expect(redNobody.code).toBe(2)
    expect(redNobody.stderr).toMatch(/TLP:RED needs a named recipient/)

    const broken = await liaison(location, [
      'import',
      path.join(corpus, 'stix21', 'invalid', 'invalid_timestamp.json'),
      '--org',
      'CERT-CLI',
    ])
    expect(broken.code).toBe(2)
    expect(broken.stderr).toMatch(/modified/)
    // Several files: one refused whole does not stop the next; every problem of it is named.
    const attackSample = path.join(corpus, 'stix21', 'attack', 'sample_3.3.0_stix-detection-strategy.json')
    const event = path.join(corpus, 'misp', 'misp-core', 'tests', 'event.json')
    const several = await liaison(location, ['import', attackSample, event, '--org', 'CERT-CLI', '--json'])
    expect(several.code, several.stderr).toBe(2)
    const results = JSON.parse(several.stdout) as {
      file: string
      refused?: boolean
      problemCount?: number
      problems?: { message: string }[]
      created?: number
    }[]
    expect(results.map((r) => r.file)).toEqual([attackSample, event])
    expect(results[0]).toMatchObject({ refused: true })
    expect(results[0]?.problemCount).toBeGreaterThan(1)
    expect(results[0]?.problems).toHaveLength(results[0]?.problemCount ?? 0)
    expect(results[1]?.created).toBeGreaterThan(0)
    const text = await liaison(location, ['import', attackSample, '--org', 'CERT-CLI'])
    expect(text.code).toBe(2)
    expect(text.stderr.split('\n').filter((l) => l.startsWith('  problem: '))).toHaveLength(
      results[0]?.problemCount ?? 0,
    )
    const partial = await liaison(location, [
      'import',
      path.join(corpus, 'stix21', 'attack', 'sample_3.3.0_stix-detection-strategy.json'),
      '--org',
      'CERT-CLI',
      '--skip-invalid',
    ])
    expect(partial.code).toBe(1)
    expect(partial.stdout).toMatch(/rejected: object \d+ \(/)

    const asMember = await liaison(location, [
      'export',
      '--format',
      'stix',
      '--as',
      'handler@cert-cli.example',
      '--source',
      'file:apt1.json',
    ])
    expect(asMember.code, asMember.stderr).toBe(0)
    const bundle = JSON.parse(asMember.stdout) as { objects: { type: string }[] }
    expect(bundle.objects.filter((o) => o.type !== 'marking-definition')).toHaveLength(76)
    const anonymous = await liaison(location, ['export', '--format', 'stix', '--source', 'file:apt1.json'])
    expect((JSON.parse(anonymous.stdout) as { objects: unknown[] }).objects).toHaveLength(0)
    const csv = await liaison(location, [
      'export',
      '--format',
      'csv',
      '--as',
      'handler@cert-cli.example',
      '--source',
      'file:apt1.json',
    ])
    expect(csv.stdout.trim().split('\r\n')).toHaveLength(77)
    // By part of a name, in any case: APT1's two WEBC2 malware (their names), nothing else.
    const named = await liaison(location, [
      'export',
      '--format',
      'stix',
      '--as',
      'handler@cert-cli.example',
      '--name',
      'webc2',
    ])
    expect(named.code, named.stderr).toBe(0)
    const namedObjects = (JSON.parse(named.stdout) as { objects: { type: string; name?: string }[] }).objects
    expect(
      namedObjects
        .filter((o) => o.type !== 'marking-definition')
        .map((o) => o.name)
        .sort(),
    ).toEqual(['WEBC2 Backdoor', 'WEBC2-UGX'])
    const blank = await liaison(location, ['export', '--format', 'stix', '--name', ' '])
    expect(blank.code).toBe(2)
    expect(blank.stderr).toContain('name')
    const mispOut = await liaison(location, [
      'export',
      '--format',
      'misp',
      '--as',
      'handler@cert-cli.example',
    ])
    expect(mispOut.code, mispOut.stderr).toBe(0)
    expect((JSON.parse(mispOut.stdout) as { response: unknown[] }).response.length).toBeGreaterThan(0)
  })

  it('rebuilds the observable index and references from the stored objects with liaison reindex', async () => {
    const store = await openTestStore(location)
    const count = async (table: 'observables' | 'stix_refs') =>
      Number(
        (
          await store.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      )
    try {
      const before = { observables: await count('observables'), references: await count('stix_refs') }
      expect(before.observables).toBeGreaterThan(0)
      // As a store indexed by an older version would be: index rows missing.
      await store.db.deleteFrom('observables').execute()
      await store.db.deleteFrom('stix_refs').execute()
      const indicators = cliJson<{ objects: number; observables: number }>(
        await liaison(location, ['reindex', '--type', 'indicator', '--json']),
      )
      expect(indicators.objects).toBeGreaterThan(0)
      expect(await count('observables')).toBe(indicators.observables)
      const all = cliJson<{ objects: number; observables: number; references: number }>(
        await liaison(location, ['reindex', '--json']),
      )
      expect(all.objects).toBeGreaterThan(indicators.objects)
      expect({ observables: await count('observables'), references: await count('stix_refs') }).toEqual(
        before,
      )
      expect(all).toMatchObject(before)
      const text = await liaison(location, ['reindex'])
      expect(text.stdout).toMatch(/^reindexed \d+ objects: \d+ observables, \d+ references/)
      const audited = await store.db
        .selectFrom('audit_log')
        .select('details')
        .where('action', '=', 'intel.reindexed')
        .execute()
      expect(audited).toHaveLength(3)
    } finally {
      await store.close()
    }
  })

  it('has --help on every command', async () => {
    const commands = [
      [],
      ['serve'],
      ['migrate'],
      ['org'],
      ['org', 'create'],
      ['org', 'list'],
      ['user'],
      ['user', 'create'],
      ['user', 'list'],
      ['apikey'],
      ['apikey', 'create'],
      ['apikey', 'revoke'],
      ['group'],
      ['group', 'create'],
      ['group', 'add-member'],
      ['group', 'remove-member'],
      ['group', 'list'],
      ['import'],
      ['export'],
      ['reindex'],
      ['audit'],
      ['audit', 'verify'],
    ]
    for (const command of commands) {
      const res = await liaison(location, [...command, '--help'])
      expect(res.code, command.join(' ')).toBe(0)
      expect(res.stdout, command.join(' ')).toMatch(new RegExp(`Usage: liaison ${command.join(' ')}`))
    }
  })
})

describe.each(STORE_KINDS)('liaison serve on an empty store (%s)', (kind) => {
  it('creates the instance, prints the admin login, serves, and stops on SIGTERM', async () => {
    const location = await createStoreLocation(kind)
    try {
      const child = spawn(process.execPath, [LIAISON_BIN, 'serve'], {
        env: { ...cliBaseEnv(), ...location.env, LIAISON_PORT: '0', LIAISON_LOG_LEVEL: 'silent' },
      })
      let stdout = ''
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no start within 30 s:\n${stdout}`)), 30_000)
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString()
          const match = /listening on (http:\/\/\S+)/.exec(stdout)
          if (match?.[1] !== undefined) {
            clearTimeout(timer)
            resolve(match[1])
          }
        })
        child.on('exit', (code) => reject(new Error(`exited ${code}:\n${stdout}`)))
      })
      expect(stdout).toMatch(/e-mail:\s+admin@liaison\.local/)
      const password = /password:\s+(\S+)/.exec(stdout)?.[1] ?? ''
      expect(password).toMatch(/^[A-Za-z0-9]{20}$/)

      const client = new ApiClient(url)
      const health = await client.get('/api/v1/health')
      expect(health.body).toMatchObject({ status: 'ok', store: kind })
      const me = await client.login('admin@liaison.local', password)
      expect(me).toMatchObject({ user: { mustChangePassword: true } })

      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    } finally {
      await location.drop()
    }
  })
})
