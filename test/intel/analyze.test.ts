import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import {
  ANALYZE_AFTER_ROWS,
  ANALYZE_FIRST_AFTER_ROWS,
} from '../../src/server/modules/intel/intel.repository.js'
import { importContent } from '../../src/server/modules/intel/intel.service.js'
import { importerSuite, openTestStore, STORE_KINDS } from '../helpers/stores.js'

/**
 * Imports refresh PostgreSQL's planner statistics once they have stored enough together, instead of
 * leaving reads planned for small tables until autovacuum comes by (if it is on): a large import at
 * once, TAXII and federation parts of a few hundred objects when they add up; a store never analyzed
 * sooner. SQLite is never analyzed by imports (it plans by the statistics its schema states, and
 * its plans are pinned: test/intel/query-plans.test.ts).
 */
describe.each(STORE_KINDS)('statistics after imports (%s)', (kind) => {
  const suite = importerSuite(kind, 'Analyze CSIRT', 'analyze')

  const bundle = (count: number) => ({
    type: 'bundle',
    id: `bundle--${randomUUID()}`,
    objects: Array.from({ length: count }, (_, i) => ({
      type: 'indicator',
      spec_version: '2.1',
      id: `indicator--${randomUUID()}`,
      created: '2025-01-01T00:00:00.000Z',
      modified: '2025-01-01T00:00:00.000Z',
      pattern: `[ipv4-addr:value = '10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}']`,
      pattern_type: 'stix',
      valid_from: '2025-01-01T00:00:00.000Z',
    })),
  })
  const request = {
    format: 'stix' as const,
    label: { tlp: 'green' as const, audience: 'community' as const },
    skipInvalid: false,
    source: 'analyze',
  }

  /** When `stix_objects` was last analyzed by a command (not by autovacuum); null when never. */
  async function lastAnalyzed(): Promise<string | null> {
    const row = await sql<{ at: string | null }>`
      select last_analyze::text as at from pg_stat_user_tables where relname = 'stix_objects'
    `.execute(suite.store.db)
    return row.rows[0]?.at ?? null
  }

  it(`refreshes them once imports have stored ${ANALYZE_AFTER_ROWS} objects together (${ANALYZE_FIRST_AFTER_ROWS} in a store never analyzed), not before`, async () => {
    if (kind === 'sqlite') {
      await importContent(suite.store.db, suite.importer, bundle(ANALYZE_AFTER_ROWS), request)
      // SQLite plans by the statistics its schema states, which an import leaves as they are.
      const stats = await sql<{ stat: string }>`
        select stat from sqlite_stat1 where tbl = 'stix_objects' and idx = 'stix_objects_latest_type_idx'
      `.execute(suite.store.db)
      expect(stats.rows.map((r) => r.stat)).toEqual(['1000000 500000 20000 10000'])
      return
    }
    // A store never analyzed: statistics once the first imports add up to a few objects …
    await importContent(suite.store.db, suite.importer, bundle(ANALYZE_FIRST_AFTER_ROWS / 2), request)
    // (Statistics of this backend reach the shared view within a second or so.)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(await lastAnalyzed()).toBeNull()
    await importContent(suite.store.db, suite.importer, bundle(ANALYZE_FIRST_AFTER_ROWS / 2), request)
    await expect.poll(lastAnalyzed, { timeout: 10_000 }).not.toBeNull()
    const first = await lastAnalyzed()
    // … then two imports that stay below the bar together …
    await importContent(suite.store.db, suite.importer, bundle(100), request)
    await importContent(suite.store.db, suite.importer, bundle(ANALYZE_AFTER_ROWS / 2), request)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(await lastAnalyzed()).toBe(first)
    // … and a third, no larger, that takes them past it.
    await importContent(suite.store.db, suite.importer, bundle(ANALYZE_AFTER_ROWS / 2), request)
    await expect.poll(lastAnalyzed, { timeout: 10_000 }).not.toBe(first)
    const second = await lastAnalyzed()
    // Another process on the same store begins from the count at that refresh, not from nothing.
    const next = await openTestStore(suite.location)
    try {
      await importContent(next.db, suite.importer, bundle(ANALYZE_FIRST_AFTER_ROWS * 2), request)
      await new Promise((resolve) => setTimeout(resolve, 1500))
      expect(await lastAnalyzed()).toBe(second)
    } finally {
      await next.close()
    }
  }, 120_000)
})
