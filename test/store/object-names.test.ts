import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import { describe, expect, it } from 'vitest'
import { importContent } from '../../src/server/modules/intel/intel.service.js'
import * as objectNames from '../../src/server/store/migrations/2026-11-25T1900-object-names.js'
import { bundleOf, indicator } from '../helpers/stix.js'
import { importerSuite, STORE_KINDS } from '../helpers/stores.js'

/**
 * Versions keep their name in a column of their own (lists of related objects name them without
 * parsing the JSON): imports write it, and the migration fills it for versions stored before.
 */
describe.each(STORE_KINDS)('migration 2026-11-25T1900-object-names (%s)', (kind) => {
  const suite = importerSuite(kind, 'Names CSIRT', 'names')

  async function names(): Promise<Map<string, string | null>> {
    const rows = await suite.store.db.selectFrom('stix_objects').select(['id', 'modified', 'name']).execute()
    return new Map(rows.map((r) => [`${r.id} ${r.modified}`, r.name]))
  }

  it('writes each version’s name on import, and fills the names of versions stored before', async () => {
    const named = indicator({ name: 'Emotet C2', modified: '2025-01-01T00:00:00.000Z' })
    const renamed = { ...named, name: 'Emotet C2 (epoch 5)', modified: '2025-02-01T00:00:00.000Z' }
    const { name: _nameless, ...nameless } = indicator()
    const file = { type: 'file', spec_version: '2.1', id: `file--${randomUUID()}`, name: 'evil\u0000.exe' }
    // A custom object whose `name` is no string: nothing in the column.
    const odd = {
      type: 'x-acme-asset',
      spec_version: '2.1',
      id: `x-acme-asset--${randomUUID()}`,
      created: '2025-01-01T00:00:00.000Z',
      modified: '2025-01-01T00:00:00.000Z',
      name: 42,
    }
    await importContent(suite.store.db, suite.importer, bundleOf([named, renamed, nameless, file, odd]), {
      format: 'stix',
      label: { tlp: 'green', audience: 'community' },
      skipInvalid: false,
      source: 'names',
    })
    const expected = new Map<string, string | null>([
      [`${named.id} ${named.modified}`, 'Emotet C2'],
      [`${renamed.id} ${renamed.modified}`, 'Emotet C2 (epoch 5)'],
      [`${nameless.id} ${nameless.modified}`, null],
      [`${file.id} `, 'evil\uFFFD.exe'],
      [`${odd.id} ${odd.modified}`, null],
    ])
    expect(await names()).toEqual(expected)
    // A migration gets an untyped handle, as Kysely's Migrator gives it.
    const schemaDb = suite.store.db as unknown as Kysely<unknown>
    await objectNames.down(schemaDb)
    await objectNames.up(schemaDb)
    expect(await names()).toEqual(expected)
  })
})
