import type { Kysely } from 'kysely'
import { describe, expect, it } from 'vitest'
import { deleteOwnVersions } from '../../src/server/modules/intel/intel.delete.js'
import { importContent } from '../../src/server/modules/intel/intel.service.js'
import * as microsecondInstants from '../../src/server/store/migrations/2026-11-25T1630-microsecond-instants.js'
import { bundleOf, indicator } from '../helpers/stix.js'
import { importerSuite, STORE_KINDS } from '../helpers/stores.js'

const MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/

/**
 * Stores written before instants had microseconds hold millisecond ones (`…00.123Z`), which sort
 * after every microsecond one of the same millisecond (`…00.123001Z`): the migration rewrites them
 * all to the one format, so old and new versions keep their order.
 */
describe.each(STORE_KINDS)('migration 2026-11-25T1630-microsecond-instants (%s)', (kind) => {
  const suite = importerSuite(kind, 'Micros CSIRT', 'micros')

  const request = {
    format: 'stix' as const,
    label: { tlp: 'green' as const, audience: 'community' as const },
    skipInvalid: false,
    source: 'micros',
  }
  const bundle = bundleOf

  async function instants(): Promise<{ id: string; added_at: string }[]> {
    return suite.store.db
      .selectFrom('stix_objects')
      .select(['id', 'added_at'])
      .orderBy('added_at')
      .orderBy('id')
      .execute()
  }

  it('rewrites millisecond instants so they sort with microsecond ones, and the clock goes on after them', async () => {
    const old = [indicator(), indicator(), indicator({ modified: '2025-01-01T00:00:00.000Z' })]
    await importContent(
      suite.store.db,
      suite.importer,
      bundle(old),
      request,
      new Date('2033-01-01T00:00:00.123Z'),
    )
    const gone = old[2]
    await deleteOwnVersions(
      suite.store.db,
      suite.importer.actor,
      { id: gone?.id ?? '', ownerOrgId: suite.importer.orgId, modified: ['2025-01-01T00:00:00.000Z'] },
      new Date('2033-01-01T00:00:00.124Z'),
    )
    // A migration gets an untyped handle, as Kysely's Migrator gives it.
    const schemaDb = suite.store.db as unknown as Kysely<unknown>
    // Back to how a store before it looks: millisecond instants, a millisecond clock.
    await microsecondInstants.down(schemaDb)
    expect((await instants()).every((r) => MILLIS.test(r.added_at))).toBe(true)
    await microsecondInstants.up(schemaDb)
    const rewritten = await instants()
    expect(rewritten.map((r) => r.added_at)).toEqual([
      '2033-01-01T00:00:00.123000Z',
      '2033-01-01T00:00:00.123000Z',
    ])
    const tombstones = await suite.store.db.selectFrom('stix_deletions').select('deleted_at').execute()
    expect(tombstones.map((t) => t.deleted_at)).toEqual(['2033-01-01T00:00:00.124000Z'])

    // Written in the same millisecond as the old ones (a clock that reads earlier, even): after them.
    const fresh = [indicator(), indicator()]
    await importContent(
      suite.store.db,
      suite.importer,
      bundle(fresh),
      request,
      new Date('2033-01-01T00:00:00.123Z'),
    )
    const all = await instants()
    expect(all.every((r) => MICROS.test(r.added_at))).toBe(true)
    expect(
      all
        .slice(0, 2)
        .map((r) => r.id)
        .sort(),
    ).toEqual(
      old
        .slice(0, 2)
        .map((o) => o.id)
        .sort(),
    )
    expect(all.slice(2).map((r) => r.id)).toEqual(fresh.map((o) => o.id).sort())
    expect(all.slice(2).map((r) => r.added_at)).toEqual([
      '2033-01-01T00:00:00.124001Z',
      '2033-01-01T00:00:00.124002Z',
    ])
  })
})
