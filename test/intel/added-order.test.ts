import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deleteOwnVersions } from '../../src/server/modules/intel/intel.delete.js'
import { storeStixObjects } from '../../src/server/modules/intel/intel.import.js'
import { importContent, importContext } from '../../src/server/modules/intel/intel.service.js'
import type { Store } from '../../src/server/store/store.js'
import { cliImporter } from '../helpers/factories.js'
import { bundleOf, indicator } from '../helpers/stix.js'
import { createStoreLocation, openTestStore, STORE_KINDS, type TestStoreLocation } from '../helpers/stores.js'

/**
 * Readers page by date added (TAXII `added_after` and `next`, federation pulls and pushes) and keep a
 * cursor: a version must never be dated before one that committed earlier, or every reader that read
 * in between passes over it for good. Each write takes its instant from the store's clock as its
 * first statement, so instants follow commit order, strictly increasing, whatever clock its caller
 * read, and whichever node or process writes.
 */
describe.each(STORE_KINDS)('date added in commit order (%s)', (kind) => {
  let location: TestStoreLocation
  let store: Store
  /** A second store on the same database: another node, or the CLI beside the server. */
  let other: Store
  /** A third: a reader (a TAXII client's requests, a peer's pull). */
  let reader: Store
  let importer: Parameters<typeof importContent>[1]

  beforeAll(async () => {
    location = await createStoreLocation(kind)
    store = await openTestStore(location)
    other = await openTestStore(location)
    reader = await openTestStore(location)
    importer = await cliImporter(store, 'Clock CSIRT', 'clock')
  })
  afterAll(async () => {
    await reader.close()
    await other.close()
    await store.close()
    await location.drop()
  })

  const request = {
    format: 'stix' as const,
    label: { tlp: 'green' as const, audience: 'community' as const },
    skipInvalid: false,
    source: 'clock',
  }
  const bundle = bundleOf

  async function addedAt(id: string): Promise<string> {
    const row = await store.db
      .selectFrom('stix_objects')
      .select('added_at')
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
    return row.added_at
  }

  /** What a reader paging by date added sees after a cursor (null: from the start), on its own connection. */
  async function readAfter(cursor: string | null): Promise<{ ids: string[]; last: string | null }> {
    let query = reader.db
      .selectFrom('stix_objects')
      .select(['id', 'added_at'])
      .orderBy('added_at')
      .orderBy('id')
    if (cursor !== null) {
      query = query.where('added_at', '>', cursor)
    }
    const rows = await query.execute()
    return { ids: rows.map((r) => r.id), last: rows.at(-1)?.added_at ?? cursor }
  }

  it('dates a later write after an earlier one, even when its caller read an earlier clock', async () => {
    const first = indicator()
    const second = indicator()
    await importContent(store.db, importer, bundle([first]), request, new Date('2031-01-01T00:00:10.000Z'))
    await importContent(store.db, importer, bundle([second]), request, new Date('2031-01-01T00:00:05.000Z'))
    expect(await addedAt(first.id)).toBe('2031-01-01T00:00:10.000000Z')
    // One microsecond after the last instant given: never the same instant twice either.
    expect(await addedAt(second.id)).toBe('2031-01-01T00:00:10.000001Z')
    const third = indicator()
    await importContent(store.db, importer, bundle([third]), request, new Date('2031-01-01T00:01:00.000Z'))
    expect(await addedAt(third.id)).toBe('2031-01-01T00:01:00.000000Z')
  })

  it('makes a write that starts while another is open wait, and dates it after; readers in between miss nothing', async () => {
    const start = await readAfter(null)
    const slow = indicator()
    const slowRest = indicator()
    const fast = indicator()
    let open!: () => void
    const opened = new Promise<void>((resolve) => (open = resolve))
    let finish!: () => void
    const finished = new Promise<void>((resolve) => (finish = resolve))
    // A long import (a large file read piece by piece) that read its clock first and is still
    // storing: its first part is written, the rest still being read.
    const slowDone = storeStixObjects(
      store.db,
      importContext(importer, request, 'stix', {
        ...request.label,
        ownerOrg: importer.orgId,
        pap: 'clear',
        sharingGroups: [],
        recipients: [],
      }),
      {
        total: 2,
        batches: (async function* () {
          yield [slow]
          open()
          await finished
          yield [slowRest]
        })(),
      },
      { problems: [], upgradedFrom20: false },
      new Date('2031-01-01T00:02:00.000Z'),
    )
    await opened
    // Meanwhile another node stores a small import whose clock reads later. (SQLite: the same
    // process, as a server's requests are; better-sqlite3 would wait for the lock synchronously,
    // stopping this process, where a second process simply waits.)
    const writer = kind === 'sqlite' ? store : other
    let fastStored = false
    const fastDone = importContent(
      writer.db,
      importer,
      bundle([fast]),
      request,
      new Date('2031-01-01T00:03:00.000Z'),
    ).then((result) => {
      fastStored = true
      return result
    })
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect(fastStored).toBe(false)
    // A reader on its own connection pages meanwhile: neither is there yet.
    const during = await readAfter(start.last)
    expect(during.ids).toEqual([])
    finish()
    await slowDone
    await fastDone
    const slowAt = await addedAt(slow.id)
    const fastAt = await addedAt(fast.id)
    const slowRestAt = await addedAt(slowRest.id)
    expect(slowAt).toBe('2031-01-01T00:02:00.000000Z')
    // Each version of the import has its own instant, the later part after the earlier.
    expect(slowRestAt).toBe('2031-01-01T00:02:00.000001Z')
    expect(fastAt > slowRestAt).toBe(true)
    // The reader goes on from its cursor and gets all three, in commit order.
    expect((await readAfter(during.last)).ids).toEqual([slow.id, slowRest.id, fast.id])
  })

  it('dates tombstones in commit order too (federation passes deletions on by them)', async () => {
    const a = indicator()
    const b = indicator()
    await importContent(store.db, importer, bundle([a, b]), request)
    const key = (id: string) => ({ id, ownerOrgId: importer.orgId, modified: ['2025-01-01T00:00:00.000Z'] })
    expect(
      await deleteOwnVersions(store.db, importer.actor, key(a.id), new Date('2031-06-01T00:00:00.000Z')),
    ).toBe(1)
    expect(
      await deleteOwnVersions(other.db, importer.actor, key(b.id), new Date('2031-05-01T00:00:00.000Z')),
    ).toBe(1)
    const tombstones = await store.db
      .selectFrom('stix_deletions')
      .select(['id', 'deleted_at'])
      .where('id', 'in', [a.id, b.id])
      .execute()
    const at = new Map(tombstones.map((t) => [t.id, t.deleted_at]))
    expect(at.get(a.id)).toBe('2031-06-01T00:00:00.000000Z')
    expect((at.get(b.id) ?? '') > (at.get(a.id) ?? '')).toBe(true)
    // And imports after it follow on.
    const c = indicator()
    await importContent(store.db, importer, bundle([c]), request, new Date('2031-01-01T00:00:00.000Z'))
    expect((await addedAt(c.id)) > (at.get(b.id) ?? '')).toBe(true)
  })

  it('gives each version of one import its own instant, increasing in the order stored', async () => {
    const objects = [indicator(), indicator(), indicator(), indicator(), indicator()]
    await importContent(store.db, importer, bundle(objects), request, new Date('2032-01-01T00:00:00.000Z'))
    const rows = await store.db
      .selectFrom('stix_objects')
      .select(['id', 'added_at'])
      .where(
        'id',
        'in',
        objects.map((o) => o.id),
      )
      .orderBy('added_at')
      .execute()
    // Stored in id order, a microsecond apart, from the instant the import claimed.
    expect(rows.map((r) => r.id)).toEqual(objects.map((o) => o.id).sort())
    expect(rows.map((r) => r.added_at)).toEqual([
      '2032-01-01T00:00:00.000000Z',
      '2032-01-01T00:00:00.000001Z',
      '2032-01-01T00:00:00.000002Z',
      '2032-01-01T00:00:00.000003Z',
      '2032-01-01T00:00:00.000004Z',
    ])
    // Batch by batch in one transaction too: the next batch starts after the last.
    const batched = [indicator(), indicator(), indicator()]
    await storeStixObjects(
      store.db,
      {
        ...importContext(importer, request, 'stix', {
          ...request.label,
          ownerOrg: importer.orgId,
          pap: 'clear',
          sharingGroups: [],
          recipients: [],
        }),
        batchSize: 1,
      },
      batched,
      { problems: [], upgradedFrom20: false },
      new Date('2032-01-01T00:00:00.000Z'),
    )
    const after = await Promise.all(batched.map((o) => addedAt(o.id)))
    expect(new Set(after).size).toBe(3)
    expect(after.every((at) => at > '2032-01-01T00:00:00.000004Z')).toBe(true)
  })
})
