import { randomUUID } from 'node:crypto'
import type SqliteDatabase from 'better-sqlite3'
import { sql, type KyselyPlugin } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Viewer } from '../../src/core/trust/label.js'
import {
  correlateMany,
  correlateValues,
  findCopiesInScope,
  findVisibleNeighbours,
  findVisibleObject,
  findVisibleVersions,
  pageVersionsInScope,
  searchObjects,
} from '../../src/server/modules/intel/intel.query.js'
import { countSightings, summariseSightings } from '../../src/server/modules/intel/intel.sightings.js'
import { importContent } from '../../src/server/modules/intel/intel.service.js'
import { createOrganisation } from '../../src/server/modules/org/org.service.js'
import { rawSqliteOf, rawSqliteReaderOf, type Db, type Store } from '../../src/server/store/store.js'
import { ipDstEvent } from '../helpers/misp.js'
import { createStoreLocation, openTestStore, STORE_KINDS, type TestStoreLocation } from '../helpers/stores.js'

/** How every suite here imports its objects: community, TLP:GREEN. */
function plansRequest(format: 'stix' | 'misp') {
  return {
    format,
    label: { tlp: 'green' as const, audience: 'community' as const },
    skipInvalid: false,
    source: 'plans',
  }
}

/**
 * SQLite plans its queries from the indexes it finds and, for `stix_objects`, from the statistics
 * Liaison states (src/server/store/planner-statistics.ts): dropping or adding an index, or a change
 * to those statistics, can silently turn a look-up into a walk over every object (without statistics, an
 * index repeating the primary key's first column was all that kept correlation from joining
 * objects through the (is_latest, type) index and scanning every latest object for each
 * observable: seconds per look-up at a million objects, unnoticed by tests on small stores). This
 * test reads the plan of every hot intelligence query and refuses a full scan, or a join through
 * that index.
 * PostgreSQL plans by its statistics, so its plans are not pinned; the rows they read are (below).
 */
describe('query plans of the intelligence reads (sqlite)', () => {
  let location: TestStoreLocation
  let store: Store
  let sqlite: SqliteDatabase.Database
  let viewer: Viewer
  const ids: string[] = []
  const statements: string[] = []
  /** Every statement prepared since the set-up, never cleared (the store prepares each shape once). */
  const everPrepared: string[] = []

  beforeAll(async () => {
    location = await createStoreLocation('sqlite')
    store = await openTestStore(location)
    const raw = rawSqliteOf(store.db)
    if (raw === undefined) {
      throw new Error('not a SQLite store')
    }
    sqlite = raw
    const operator = { kind: 'cli' as const, osUser: 'plans' }
    const org = await createOrganisation(store.db, operator, { name: 'Plans CSIRT', type: 'national-csirt' })
    const userId = randomUUID()
    viewer = { kind: 'user', userId, orgId: org.id, groupIds: [], peer: false }
    const created = '2025-01-01T00:00:00.000Z'
    const objects = []
    for (let i = 0; i < 20; i++) {
      const id = `indicator--${randomUUID()}`
      ids.push(id)
      objects.push({
        type: 'indicator',
        spec_version: '2.1',
        id,
        created,
        modified: created,
        pattern: `[ipv4-addr:value = '192.0.2.${i}']`,
        pattern_type: 'stix',
        valid_from: created,
      })
    }
    objects.push({
      type: 'report',
      spec_version: '2.1',
      id: `report--${randomUUID()}`,
      created,
      modified: created,
      name: 'plans',
      published: created,
      object_refs: ids.slice(0, 5),
    })
    // An observable in observed-data: correlation reads when it was seen from there.
    const address = `ipv4-addr--${randomUUID()}`
    objects.push(
      { type: 'ipv4-addr', spec_version: '2.1', id: address, value: '192.0.2.200' },
      {
        type: 'observed-data',
        spec_version: '2.1',
        id: `observed-data--${randomUUID()}`,
        created,
        modified: created,
        first_observed: created,
        last_observed: created,
        number_observed: 1,
        object_refs: [address],
      },
    )
    await importContent(
      store.db,
      { actor: operator, orgId: org.id, groupIds: [], userId },
      { type: 'bundle', id: `bundle--${randomUUID()}`, objects },
      plansRequest('stix'),
    )
    // Every statement prepared from here on is recorded (the store caches prepared statements by
    // their text, so each query shape is prepared, and recorded, once), on both connections: reads
    // outside transactions run on the store's reader.
    for (const connection of [sqlite, rawSqliteReaderOf(store.db)]) {
      if (connection === undefined) {
        throw new Error('a SQLite store has a reader')
      }
      const prepare = connection.prepare.bind(connection)
      connection.prepare = (text: string) => {
        statements.push(text)
        everPrepared.push(text)
        return prepare(text)
      }
    }
  })
  afterAll(async () => {
    await store.close()
    await location.drop()
  })

  /** The plan of every statement the reads prepared (since the test began), one line per step. */
  function plans(prepared: readonly string[] = statements): { sql: string; steps: string[] }[] {
    return prepared
      .filter((text) => /^\s*select/i.test(text))
      .map((text) => {
        // Values do not change SQLite's choice of index (it keeps no statistics); 1 also fits LIMIT.
        const parameters = (text.match(/\?/g) ?? []).map(() => 1)
        const steps = (
          sqlite.prepare(`explain query plan ${text}`).all(...parameters) as { detail: string }[]
        ).map((row) => row.detail)
        return { sql: text, steps }
      })
  }

  it('looks objects up by id and observables by key, never walking every object', async () => {
    statements.length = 0
    const id = ids[3] ?? ''
    await correlateValues(store.db, viewer, ['192.0.2.3', '192.0.2.0/24'], { limit: 10, offset: 0 })
    await correlateMany(store.db, viewer, ['192.0.2.4', '192.0.2.5', '198.51.100.1', '192.0.2.200'], 10)
    await findVisibleObject(store.db, viewer, id)
    const orgId = viewer.kind === 'user' ? viewer.orgId : ''
    await findVisibleVersions(store.db, viewer, id, orgId)
    for (const direction of ['out', 'in'] as const) {
      await findVisibleNeighbours(store.db, viewer, id, orgId, { direction, limit: 50 })
      await findVisibleNeighbours(store.db, viewer, id, orgId, {
        direction,
        limit: 50,
        after: id,
      })
    }
    await findCopiesInScope(store.db, viewer, { audience: 'community', sharingGroupId: null }, id)
    // The sightings of an object (its page) and of a page of search results: for the latter (many
    // ids) the plan once began with every latest object, through the (is_latest, type) index.
    await summariseSightings(store.db, viewer, { id, type: 'indicator' })
    await countSightings(
      store.db,
      viewer,
      ids.map((each) => ({ id: each, type: 'indicator' })),
    )
    const read = plans()
    expect(read.length).toBeGreaterThanOrEqual(8)
    // Among them the read of the observed-data that say when the observable hit was seen.
    expect(read.some((p) => p.sql.includes('first_observed'))).toBe(true)
    for (const { sql, steps } of read) {
      // The names objects, observables and references go by in this query (not subqueries' names).
      const big = new Set(['stix_objects', 'observables', 'stix_refs'])
      for (const [, , alias] of sql.matchAll(/"(stix_objects|observables|stix_refs)" as "(\w+)"/g)) {
        big.add(alias ?? '')
      }
      for (const step of steps) {
        // A full pass over objects, observables or references.
        const scanned = /^SCAN (\w+)/.exec(step)?.[1]
        expect(scanned !== undefined && big.has(scanned), `${step} in ${sql}`).toBe(false)
        // Objects reached through the (is_latest, type) index: every latest object of a type.
        expect(step, sql).not.toMatch(
          /USING (COVERING )?INDEX stix_objects_latest_type_idx \(is_latest=\?\)$/,
        )
      }
    }
  })

  it('reads a page of related objects from the reference indexes in id order, sorting nothing', async () => {
    const id = ids[3] ?? ''
    const orgId = viewer.kind === 'user' ? viewer.orgId : ''
    for (const direction of ['out', 'in'] as const) {
      for (const after of [null, id]) {
        await findVisibleNeighbours(store.db, viewer, id, orgId, { direction, limit: 50, after })
      }
      // Prepared once per shape (maybe by the test above): each shape of this direction.
      const pages = plans(everPrepared).filter(
        (p) =>
          p.sql.includes('"stix_refs" as "r"') &&
          p.sql.includes(direction === 'out' ? '"r"."from_id" = ?' : '"r"."to_id" = ?'),
      )
      expect(pages, direction).toHaveLength(2)
      for (const { steps } of pages) {
        // The whole list of an object's references sorted before its first page (a mega-event's
        // report: 1.5 M) is what the wider indexes spare.
        expect(
          steps.some((s) => /TEMP B-TREE/.test(s)),
          `${direction}: ${steps.join(' | ')}`,
        ).toBe(false)
        const index = direction === 'out' ? 'stix_refs_from_idx' : 'stix_refs_to_idx'
        expect(
          steps.some((s) => s.startsWith(`SEARCH r USING`) && s.includes(index)),
          steps.join(' | '),
        ).toBe(true)
      }
    }
  })

  it('searches by value from the observable index, a first page among the newest versions, the total from an index', async () => {
    statements.length = 0
    await searchObjects(store.db, viewer, { value: '192.0.2.3', limit: 10, offset: 0 })
    const byValue = plans().find((p) => p.sql.includes('"observables" as "k"') && !p.sql.includes('count('))
    expect(byValue).toBeDefined()
    const valueSteps = byValue?.steps ?? []
    // The value's objects, from its key; not every visible object, each probed for the value.
    expect(
      valueSteps.some((s) => /^SEARCH k USING (COVERING )?INDEX observables_key_idx \(key=\?\)/.test(s)),
    ).toBe(true)
    expect(valueSteps[0]).toMatch(/^SEARCH s USING INDEX sqlite_autoindex_stix_objects_1 \(id=\?\)/)

    // The first page (and the total) of a search without filter, then of a type.
    for (const filter of [{}, { types: ['indicator'] }]) {
      statements.length = 0
      await searchObjects(store.db, viewer, { ...filter, limit: 10, offset: 0 })
      const read = plans()
      const newest = read.find((p) => /from \(select \* from "stix_objects"/.test(p.sql))
      expect(newest).toBeDefined()
      const newestSteps = newest?.steps ?? []
      // Walked from the newest version, stopping at the page: no sort of every visible object.
      expect(newestSteps).toContain('SCAN stix_objects USING INDEX stix_objects_added_key_idx')
      expect(newestSteps.some((s) => /TEMP B-TREE/.test(s))).toBe(false)
      // The total counted from the index of latest versions alone (type and label in it), not from
      // every object's row.
      const counting = read.find((p) => /^select count\(\*\)/.test(p.sql))
      expect(counting?.steps[0], counting?.sql).toMatch(
        /^SEARCH s USING COVERING INDEX stix_objects_latest_type_idx \(is_latest=\?/,
      )
    }
  })

  it('pages a collection along the date-added index, probing each object by id', async () => {
    statements.length = 0
    await pageVersionsInScope(
      store.db,
      viewer,
      { audience: 'community', sharingGroupId: null },
      {
        versions: { all: false, first: false, last: true, modified: [], addedAt: [] },
        limit: 5,
        withJson: true,
        after: { addedAt: '2000-01-01T00:00:00.000Z', id: '', ownerOrgId: '', modified: '' },
      },
    )
    const [page] = plans().filter((p) => p.sql.includes('"stix_objects" as "s"'))
    expect(page).toBeDefined()
    const steps = page?.steps ?? []
    // Walked in order from the cursor (no sort of the whole collection for each page) …
    expect(steps.some((s) => /^SEARCH s USING INDEX stix_objects_added_key_idx/.test(s))).toBe(true)
    expect(steps.some((s) => /TEMP B-TREE FOR ORDER BY/.test(s))).toBe(false)
    // … and each row's other copies and versions found by its id.
    expect(steps.some((s) => /^SEARCH d USING (COVERING )?INDEX \S+ \(id=\?/.test(s))).toBe(true)
  })
})

/**
 * PostgreSQL plans by statistics, and they can mislead it: a MISP event's report references every
 * object of the event, while most objects reference one or two others, so the planner expects a
 * report to have a few members. Asked which reports contain some objects, it once started from the
 * (few) reports and read every member of each: 10 ms per look-up, 13 s for a bulk correlation of
 * 10,000 values after a 300,000-attribute event. This test runs each statement of the correlation
 * reads under EXPLAIN ANALYZE and bounds the rows any step of it reads.
 */
describe.skipIf(!STORE_KINDS.includes('postgres'))(
  'rows read by correlation next to a large report (postgres)',
  () => {
    let location: TestStoreLocation
    let store: Store
    let viewer: Viewer
    const statements: RecordedStatement[] = []
    let logged: Db
    const ATTRIBUTES = 2000
    const valueOf = (i: number) => `10.1.${Math.floor(i / 250)}.${i % 250}`

    beforeAll(async () => {
      location = await createStoreLocation('postgres')
      store = await openTestStore(location)
      const operator = { kind: 'cli' as const, osUser: 'plans' }
      const org = await createOrganisation(store.db, operator, { name: 'Plans ISAC', type: 'isac' })
      const userId = randomUUID()
      viewer = { kind: 'user', userId, orgId: org.id, groupIds: [], peer: false }
      // 10,000 objects (indicator, observed-data, address, traffic, relationship per attribute), all
      // members of the event's report; then statistics, as autovacuum or a large import leaves them.
      await importContent(
        store.db,
        { actor: operator, orgId: org.id, groupIds: [], userId },
        ipDstEvent(
          Array.from({ length: ATTRIBUTES }, (_, i) => valueOf(i)),
          { info: 'large event' },
        ),
        plansRequest('misp'),
      )
      await sql`analyze`.execute(store.db)
      // The reads run on a view of the store that records each statement it compiles.
      logged = recording(store.db, statements)
    })
    afterAll(async () => {
      await store.close()
      await location.drop()
    })

    it('reads the references to the values it looks up, not every member of the report', async () => {
      statements.length = 0
      const single = await correlateValues(logged, viewer, [valueOf(7)], { limit: 10, offset: 0 })
      expect(single[0]?.hits.length).toBeGreaterThan(0)
      expect(single[0]?.hits.every((h) => h.reports.length === 1)).toBe(true)
      const many = await correlateMany(logged, viewer, [valueOf(8), valueOf(9), '198.51.100.1'], 10)
      expect(many.filter((c) => c.hits.some((h) => h.reports.length === 1))).toHaveLength(2)
      const client = new pg.Client({ connectionString: location.databaseUrl ?? '' })
      await client.connect()
      // The planner of a large store (statistics that say a report has a few members) stood in for
      // by taking away its other ways: given a join of references and objects, it now starts from
      // the report and reads every member.
      await client.query('set enable_indexscan = off')
      await client.query('set enable_hashjoin = off')
      await client.query('set enable_mergejoin = off')
      try {
        const selects = statements.filter((s) => /^\s*select/i.test(s.sql))
        expect(selects.length).toBeGreaterThanOrEqual(3)
        // Among them the read of the observed-data that say when the addresses were seen.
        expect(selects.some((s) => s.sql.includes('first_observed'))).toBe(true)
        for (const statement of selects) {
          // The report has 10,000 members; what these look-ups need is a handful of rows.
          for (const node of await executedPlan(client, statement)) {
            expect(
              node['Actual Rows'] * node['Actual Loops'],
              `${node['Node Type']} in ${statement.sql}`,
            ).toBeLessThan(200)
          }
        }
      } finally {
        await client.end()
      }
    })
  },
)

/**
 * PostgreSQL, paging a collection, turned the per-row check "no newer version, no earlier copy"
 * into an anti-join, expected it to remove most rows, and so read, joined and sorted the whole
 * collection for every page (17 ms for a page of 1,000 from 10,000 objects, growing with the
 * collection) instead of walking the date-added index from the cursor. This test pages from the
 * middle of an analyzed collection and bounds the rows any step of the statement reads.
 */
describe.skipIf(!STORE_KINDS.includes('postgres'))('rows read by a collection page (postgres)', () => {
  let location: TestStoreLocation
  let store: Store
  let viewer: Viewer
  const statements: RecordedStatement[] = []
  let logged: Db
  const OBJECTS = 10_000
  const PART = 500
  const LIMIT = 1000

  beforeAll(async () => {
    location = await createStoreLocation('postgres')
    store = await openTestStore(location)
    const operator = { kind: 'cli' as const, osUser: 'plans' }
    const org = await createOrganisation(store.db, operator, { name: 'Paging CSIRT', type: 'national-csirt' })
    const userId = randomUUID()
    viewer = { kind: 'user', userId, orgId: org.id, groupIds: [], peer: false }
    const created = '2025-01-01T00:00:00.000Z'
    // In parts, as TAXII clients post them: each part is added at its own instant.
    for (let part = 0; part < OBJECTS / PART; part++) {
      await importContent(
        store.db,
        { actor: operator, orgId: org.id, groupIds: [], userId },
        {
          type: 'bundle',
          id: `bundle--${randomUUID()}`,
          objects: Array.from({ length: PART }, (_, i) => ({
            type: 'indicator',
            spec_version: '2.1',
            id: `indicator--${randomUUID()}`,
            created,
            modified: created,
            pattern: `[ipv4-addr:value = '10.${part}.${Math.floor(i / 250)}.${i % 250}']`,
            pattern_type: 'stix',
            valid_from: created,
          })),
        },
        plansRequest('stix'),
      )
    }
    await sql`analyze`.execute(store.db)
    logged = recording(store.db, statements)
  })
  afterAll(async () => {
    await store.close()
    await location.drop()
  })

  it('walks from the cursor and probes each object by id, for the latest and for every version', async () => {
    const middle = await store.db
      .selectFrom('stix_objects')
      .select(['added_at', 'id', 'owner_org_id', 'modified'])
      .orderBy('added_at')
      .orderBy('id')
      .orderBy('owner_org_id')
      .orderBy('modified')
      .offset(OBJECTS * 0.4)
      .limit(1)
      .executeTakeFirstOrThrow()
    const after = {
      addedAt: middle.added_at,
      id: middle.id,
      ownerOrgId: middle.owner_org_id,
      modified: middle.modified,
    }
    const client = new pg.Client({ connectionString: location.databaseUrl ?? '' })
    await client.connect()
    try {
      for (const versions of [
        { all: false, first: false, last: true, modified: [], addedAt: [] },
        { all: false, first: true, last: false, modified: [], addedAt: [] },
      ]) {
        statements.length = 0
        const scope = { audience: 'community' as const, sharingGroupId: null }
        const page = await pageVersionsInScope(logged, viewer, scope, {
          versions,
          limit: LIMIT + 1,
          withJson: true,
          after,
        })
        expect(page).toHaveLength(LIMIT + 1)
        const statement = statements.find((st) => st.sql.includes('"stix_objects" as "s"'))
        if (statement === undefined) {
          throw new Error('the page statement was not recorded')
        }
        for (const node of await executedPlan(client, statement)) {
          // The page needs its own rows and one probe each; 6,000 objects lie after the cursor.
          expect(
            node['Actual Rows'] * node['Actual Loops'],
            `${node['Node Type']} (${JSON.stringify(versions)})`,
          ).toBeLessThan(2 * LIMIT)
        }
      }
    } finally {
      await client.end()
    }
  })
})

interface PlanNode {
  'Node Type': string
  'Actual Rows': number
  'Actual Loops': number
  Plans?: PlanNode[]
}

function* planNodes(node: PlanNode | undefined): Generator<PlanNode> {
  if (node === undefined) {
    return
  }
  yield node
  for (const child of node.Plans ?? []) {
    yield* planNodes(child)
  }
}

/** A statement as compiled, with its parameters. */
interface RecordedStatement {
  sql: string
  parameters: readonly unknown[]
}

/** A view of `db` that appends every statement it compiles to `statements`. */
function recording(db: Db, statements: RecordedStatement[]): Db {
  const executor = db.getExecutor()
  const recorder: KyselyPlugin = {
    transformQuery: (args) => {
      const compiled = executor.compileQuery(args.node, args.queryId)
      statements.push({ sql: compiled.sql, parameters: compiled.parameters })
      return args.node
    },
    transformResult: (args) => Promise.resolve(args.result),
  }
  return db.withPlugin(recorder)
}

/** Every step of the plan PostgreSQL executes for a statement (EXPLAIN ANALYZE), with its rows. */
async function executedPlan(client: pg.Client, statement: RecordedStatement): Promise<PlanNode[]> {
  const result = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
    `explain (analyze, format json) ${statement.sql}`,
    [...statement.parameters],
  )
  return [...planNodes(result.rows[0]?.['QUERY PLAN'][0].Plan)]
}
