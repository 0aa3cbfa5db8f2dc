import { randomInt, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { observableKey, OBSERVABLE_KEY_MAX_BYTES } from '../../src/core/intel/observable.js'
import * as longKeys from '../../src/server/store/migrations/2026-11-25T0900-long-observable-keys.js'
import { CORPUS_DIR } from '../helpers/corpus.js'
import type { ApiClient } from '../helpers/http.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { indicator } from '../helpers/stix.js'
import { STORE_KINDS } from '../helpers/stores.js'

interface Correlation {
  results: {
    value: string
    key: string | null
    total: number
    warninglists: string[]
    hits: { id: string; matchedKey: string }[]
  }[]
}

/** A URL of about `bytes` bytes that does not compress (PostgreSQL compresses long index entries). */
function longUrl(host: string, bytes: number): string {
  let query = ''
  while (query.length < bytes) {
    query += randomUUID().replace(/-/g, '')
  }
  return `https://${host}/landing?session=${query}`
}

/**
 * Real URLs and file names can be kilobytes long, and observable keys are indexed: PostgreSQL refuses
 * B-tree entries over about 2,700 bytes, so a single long URL made a whole import fail there.
 */
describe.each(STORE_KINDS)('observables with long values (%s)', (kind) => {
  let server: TestServer
  let analyst: ApiClient

  beforeAll(async () => {
    server = await startTestServer(kind)
    analyst = (await server.loginAsNewUser({ role: 'analyst' })).client
  })
  afterAll(async () => {
    await server.close()
  })

  it('imports, correlates and flags them (warninglists by host) like short ones', async () => {
    const admin = (await server.loginAsNewUser({ role: 'admin', orgId: server.admin.orgId })).client
    const shorteners = JSON.parse(
      readFileSync(path.join(CORPUS_DIR, 'misp', 'warninglists', 'url-shortener', 'list.json'), 'utf8'),
    ) as { name: string }
    const listed = await admin.post<{ warninglist: { id: string; enabled: boolean } }>(
      '/api/v1/intel/warninglists',
      shorteners,
    )
    expect([200, 201], listed.text).toContain(listed.status)
    if (!listed.body.warninglist.enabled) {
      await admin.patch(`/api/v1/intel/warninglists/${listed.body.warninglist.id}`, { enabled: true })
    }

    const url = longUrl('bit.ly', 12_000)
    const other = longUrl('phish.example', 4_000)
    const fileName = `${'Ünïcødé-'.repeat(200)}.exe`
    const sco = { type: 'url', spec_version: '2.1', id: `url--${randomUUID()}`, value: url }
    const pattern = indicator({ pattern: `[url:value = '${url}']` })
    const file = { type: 'file', spec_version: '2.1', id: `file--${randomUUID()}`, name: fileName }
    const elsewhere = indicator({ pattern: `[url:value = '${other}']` })
    const imported = await analyst.post<{ created: number; rejected: number }>(
      '/api/v1/intel/import?tlp=green&audience=community',
      { type: 'bundle', id: `bundle--${randomUUID()}`, objects: [sco, pattern, file, elsewhere] },
    )
    expect(imported.status, imported.text).toBe(200)
    expect(imported.body).toMatchObject({ created: 4, rejected: 0 })

    const found = await analyst.post<Correlation>('/api/v1/intel/correlate', { values: [url, other] })
    expect(found.status, found.text).toBe(200)
    const [byUrl, byOther] = found.body.results
    expect(byUrl?.key).toBe(observableKey('url', url))
    expect(byUrl?.key).toMatch(/^url#sha256:[0-9a-f]{64}$/)
    expect(byUrl?.hits.map((h) => h.id).sort()).toEqual([sco.id, pattern.id].sort())
    expect(byUrl?.warninglists).toEqual([shorteners.name])
    expect(byOther?.hits.map((h) => h.id)).toEqual([elsewhere.id])
    expect(byOther?.warninglists).toEqual([])

    // Search by value goes through the same key.
    const search = await analyst.get<{ items: { object: { id: string } }[] }>(
      `/api/v1/intel/objects?value=${encodeURIComponent(other)}`,
    )
    expect(search.status, search.text).toBe(200)
    expect(search.body.items.map((o) => o.object.id)).toEqual([elsewhere.id])

    // The object keeps the whole value.
    const stored = await analyst.get<{ object: { value: string } }>(`/api/v1/intel/objects/${sco.id}`)
    expect(stored.status, stored.text).toBe(200)
    expect(stored.body.object.value).toBe(url)
  })

  it('takes substring warninglists with long entries, and flags values that contain them', async () => {
    const admin = (await server.loginAsNewUser({ role: 'admin', orgId: server.admin.orgId })).client
    // A list entry may be 2,048 characters: in a script of three UTF-8 bytes a character, 6 KB,
    // more than PostgreSQL indexes (random text, which it cannot compress either).
    const part = `Quarterly-${Array.from({ length: 2_000 }, () => String.fromCodePoint(0x4e00 + randomInt(0x5000))).join('')}`
    const listed = await admin.post<{ warninglist: { id: string; enabled: boolean; entryCount: number } }>(
      '/api/v1/intel/warninglists',
      {
        name: `Long benign names ${randomUUID().slice(0, 8)}`,
        version: 1,
        description: 'Known-benign document names',
        type: 'substring',
        list: [part, 'googletagmanager'],
      },
    )
    expect([200, 201], listed.text).toContain(listed.status)
    if (!listed.body.warninglist.enabled) {
      await admin.patch(`/api/v1/intel/warninglists/${listed.body.warninglist.id}`, { enabled: true })
    }
    const keys = await server.store.db
      .selectFrom('warninglist_entries')
      .select('key')
      .where('warninglist_id', '=', listed.body.warninglist.id)
      .orderBy('key')
      .execute()
    expect(keys.map((k) => k.key)).toEqual(['googletagmanager', expect.stringMatching(/^substring#sha256:/)])

    const name = `${part.toUpperCase()}-report.pdf`
    const unlisted = `${part.slice(0, 1_000)}-report.pdf`
    const found = await analyst.post<Correlation>('/api/v1/intel/correlate', { values: [name, unlisted] })
    expect(found.status, found.text).toBe(200)
    const [withPart, without] = found.body.results
    expect(withPart?.warninglists).toHaveLength(1)
    expect(without?.warninglists).toEqual([])
  })

  it('imports names with a NUL character (kept in the object, keyed by hash); elsewhere a clear 400 on PostgreSQL', async () => {
    const file = { type: 'file', spec_version: '2.1', id: `file--${randomUUID()}`, name: 'evil\u0000.exe' }
    const mutex = {
      type: 'mutex',
      spec_version: '2.1',
      id: `mutex--${randomUUID()}`,
      name: 'Global\\m\u0000x',
    }
    const imported = await analyst.post<{ created: number }>(
      '/api/v1/intel/import?tlp=green&audience=community',
      [file, mutex],
    )
    expect(imported.status, imported.text).toBe(200)
    expect(imported.body.created).toBe(2)
    const keys = await server.store.db
      .selectFrom('observables')
      .select('key')
      .where('object_id', 'in', [file.id, mutex.id])
      .orderBy('key')
      .execute()
    expect(keys.map((k) => k.key)).toEqual(
      [observableKey('filename', file.name), observableKey('mutex', mutex.name)].sort(),
    )
    expect(keys.every((k) => /^[a-z]+#sha256:[0-9a-f]{64}$/.test(k.key))).toBe(true)
    const stored = await analyst.get<{ object: { name: string } }>(`/api/v1/intel/objects/${file.id}`)
    expect(stored.body.object.name).toBe(file.name)
    // The copy of the name in a column of its own (for lists of related objects) writes it U+FFFD.
    const column = await server.store.db
      .selectFrom('stix_objects')
      .select('name')
      .where('id', '=', file.id)
      .execute()
    expect(column.map((r) => r.name)).toEqual(['evil\uFFFD.exe'])
    // A NUL in a text kept in a column of its own (the import's source): SQLite holds it, PostgreSQL
    // cannot, and says so rather than answering an internal error; nothing is stored.
    const other = indicator()
    const sourced = await analyst.post(
      `/api/v1/intel/import?tlp=green&audience=community&source=${encodeURIComponent('feed\u0000x')}`,
      [other],
    )
    if (kind === 'postgres') {
      expect(sourced.status, sourced.text).toBe(400)
      expect(sourced.text).toMatch(/NUL character/)
      const found = await analyst.get(`/api/v1/intel/objects/${other.id}`)
      expect(found.status).toBe(404)
    } else {
      expect(sourced.status, sourced.text).toBe(200)
    }
  })

  it('rewrites keys of long values stored before (migration), so look-ups find them again', async () => {
    const db = server.store.db
    // As an earlier version stored it: the whole value in the key (compressible, so PostgreSQL's
    // index took it).
    const value = `https://old.example/${'a'.repeat(3_000)}`
    const objectId = `url--${randomUUID()}`
    const orgId = server.admin.orgId
    const keyRow = (key: string) => ({
      object_id: objectId,
      owner_org_id: orgId,
      kind: 'url',
      key,
      range_start: null,
      range_end: null,
      network: 0,
      origin: 'sco',
    })
    const short = `url:https://short.example/${randomUUID()}`
    await db
      .insertInto('observables')
      .values([keyRow(`url:${value}`), keyRow(short)])
      .execute()
    await longKeys.up(db as unknown as Kysely<unknown>)
    const keys = await db
      .selectFrom('observables')
      .select('key')
      .where('object_id', '=', objectId)
      .orderBy('key')
      .execute()
    expect(keys.map((k) => k.key).sort()).toEqual([observableKey('url', value), short].sort())
    expect(Buffer.byteLength(value)).toBeGreaterThan(OBSERVABLE_KEY_MAX_BYTES)
  })
})
