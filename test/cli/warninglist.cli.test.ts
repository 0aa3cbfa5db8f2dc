import { randomUUID } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliJson, liaison } from '../helpers/cli.js'
import { CORPUS_DIR } from '../helpers/corpus.js'
import { createStoreLocation, STORE_KINDS, type TestStoreLocation } from '../helpers/stores.js'

const LISTS = [
  'rfc1918',
  'rfc5735',
  'rfc6761',
  'empty-hashes',
  'sinkholes',
  'url-shortener',
  'multicast',
].map((name) => path.join(CORPUS_DIR, 'misp', 'warninglists', name, 'list.json'))

describe.each(STORE_KINDS)('liaison warninglist (%s)', (kind) => {
  let location: TestStoreLocation

  beforeAll(async () => {
    location = await createStoreLocation(kind)
  })
  afterAll(async () => {
    await location.drop()
  })

  it('imports, lists, checks, disables; import flags and export for blocking leaves out', async () => {
    const imported = cliJson<
      { warninglist: { name: string; entryCount: number }; replacedVersion: number | null }[]
    >(await liaison(location, ['warninglist', 'import', ...LISTS, '--json']))
    expect(imported).toHaveLength(7)
    expect(imported.every((i) => i.replacedVersion === null)).toBe(true)
    const again = await liaison(location, ['warninglist', 'import', LISTS[0] ?? ''])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toMatch(/replaced "List of RFC 1918 CIDR blocks" v5 by v5/)

    const listed = await liaison(location, ['warninglist', 'list'])
    expect(listed.stdout).toMatch(/^ID\s+NAME\s+VERSION\s+TYPE\s+ENTRIES\s+ENABLED/)
    expect(listed.stdout).toContain('List of known URL Shorteners domains')

    const checked = cliJson<{ matches: { name: string; entry: string }[] }>(
      await liaison(location, ['warninglist', 'check', '10.9.8.7', '--json']),
    )
    expect(checked.matches.map((m) => m.entry).sort()).toEqual(['10.0.0.0/8', '10.0.0.0/8'])

    const badFile = path.join(location.dataDir, 'bad-list.json')
    writeFileSync(
      badFile,
      JSON.stringify({
        name: 'Bad',
        version: 1,
        description: '',
        type: 'cidr',
        list: ['10.0.0.0/8', 'nope'],
      }),
    )
    const bad = await liaison(location, ['warninglist', 'import', badFile])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/bad-list\.json: list\[1\]: "nope" is not an IP address or CIDR network/)
    expect(cliJson<unknown[]>(await liaison(location, ['warninglist', 'list', '--json']))).toHaveLength(7)

    const disabled = await liaison(location, ['warninglist', 'disable', 'list of rfc 5735 cidr blocks'])
    expect(disabled.code, disabled.stderr).toBe(0)
    const afterDisable = cliJson<{ matches: { name: string }[] }>(
      await liaison(location, ['warninglist', 'check', '10.9.8.7', '--json']),
    )
    expect(afterDisable.matches.map((m) => m.name)).toEqual(['List of RFC 1918 CIDR blocks'])

    const org = cliJson<{ id: string }>(
      await liaison(location, ['org', 'create', '--name', 'CERT-WL', '--type', 'gov-csirt', '--json']),
    )
    const at = '2026-01-01T00:00:00.000Z'
    const listedId = `indicator--${randomUUID()}`
    const cleanId = `indicator--${randomUUID()}`
    const bundle = path.join(location.dataDir, 'bundle.json')
    writeFileSync(
      bundle,
      JSON.stringify({
        type: 'bundle',
        id: `bundle--${randomUUID()}`,
        objects: [
          { id: listedId, pattern: "[ipv4-addr:value = '10.1.1.1']" },
          { id: cleanId, pattern: "[ipv4-addr:value = '45.77.1.2']" },
        ].map((o) => ({
          type: 'indicator',
          spec_version: '2.1',
          created: at,
          modified: at,
          pattern_type: 'stix',
          valid_from: at,
          ...o,
        })),
      }),
    )
    const imports = await liaison(location, [
      'import',
      bundle,
      '--org',
      org.id,
      '--tlp',
      'clear',
      '--audience',
      'public',
    ])
    expect(imports.code, imports.stderr).toBe(0)
    expect(imports.stdout).toContain('1 value(s) on enabled warninglists')
    expect(imports.stdout).toContain(`10.1.1.1 in ${listedId} is on "List of RFC 1918 CIDR blocks"`)

    const out = path.join(location.dataDir, 'blocking.csv')
    const exported = await liaison(location, ['export', '--format', 'csv', '--for-blocking', '--output', out])
    expect(exported.code, exported.stderr).toBe(0)
    const full = path.join(location.dataDir, 'full.csv')
    expect((await liaison(location, ['export', '--format', 'csv', '--output', full])).code).toBe(0)
    expect(readFileSync(full, 'utf8')).toContain(listedId)
    const blocking = readFileSync(out, 'utf8')
    expect(blocking).toContain(cleanId)
    expect(blocking).not.toContain(listedId)
  })
})
