import { sql, type ExpressionBuilder } from 'kysely'
import { refangValue } from '../../../core/intel/ioc.js'
import { classifyValue, type Observable } from '../../../core/intel/observable.js'
import { compareStixTimestamps, isSco } from '../../../core/stix/stix.js'
import type { Viewer } from '../../../core/trust/label.js'
import type { Database } from '../../store/database.js'
import { rawSqliteOf, type Db } from '../../store/store.js'
import { containsText } from '../../store/text.js'
import { visibleLabelIds, visibleLabelIdsInScope, type LabelScope } from '../trust/trust.sql.js'
import { expiredCondition, type ExpiryRule } from './intel.expiry.js'
import type { ObservableTable, StixObjectRow, StixObjectTable } from './intel.table.js'

/** Filters of the object search and of exports. */
export interface ObjectFilter {
  /** STIX types to include. */
  types?: readonly string[]
  /** Only objects added at or after / before these instants (ISO 8601). */
  addedAfter?: string
  addedBefore?: string
  /** Only objects whose label has one of these TLP levels. */
  tlp?: readonly string[]
  /** Only objects from this source (e.g. `file:apt1.json`). */
  source?: string
  /** Only objects whose name contains this text, case-insensitively (ASCII letters on SQLite). */
  name?: string
  /** Only objects carrying this observable value (any kind: IP, domain, hash, …). */
  value?: string
  /** Leave out expired indicators (the default for exports); needs `expiry`. */
  excludeExpired?: boolean
  /** Only expired indicators (the list of expired ones); needs `expiry`. */
  onlyExpired?: boolean
  /** Leave out revoked objects (what is exported for blocking: their producer withdrew them). */
  excludeRevoked?: boolean
  /** Every visible version, not only each copy's latest (exports with `versions=all`). */
  allVersions?: boolean
  /** The current instant, for expiry. */
  now?: string
  /** What "expired" means now: `loadExpiryRule` (valid_until passed, or the owner's retention rule). */
  expiry?: ExpiryRule
}

/** Object versions as `s`: all of them, or only the newest few (see {@link searchObjects}). */
function objectVersions(db: Db, newest: number | null) {
  const all = db.selectFrom('stix_objects as s')
  if (newest === null) {
    return all
  }
  const window = db
    .selectFrom('stix_objects')
    .selectAll()
    .orderBy('added_at', 'desc')
    .orderBy('id', 'desc')
    .orderBy('owner_org_id', 'desc')
    .orderBy('modified', 'desc')
    .limit(newest)
  // The same columns under the same name: the filters below apply to either.
  return db.selectFrom(window.as('s')) as unknown as typeof all
}

/**
 * The latest versions `viewer` may see (every version with `allVersions`), with the filters applied;
 * with `newest`, only among the `newest` versions added last.
 */
export function visibleObjects(db: Db, viewer: Viewer, filter: ObjectFilter, newest: number | null = null) {
  let query = objectVersions(db, newest).where('s.label_id', 'in', visibleLabelIds(db, viewer))
  if (filter.allVersions !== true) {
    query = query.where('s.is_latest', '=', 1)
  }
  if (filter.types !== undefined && filter.types.length > 0) {
    query = query.where('s.type', 'in', [...filter.types])
  }
  if (filter.addedAfter !== undefined) {
    query = query.where('s.added_at', '>=', filter.addedAfter)
  }
  if (filter.addedBefore !== undefined) {
    query = query.where('s.added_at', '<', filter.addedBefore)
  }
  if (filter.source !== undefined) {
    query = query.where('s.source', '=', filter.source)
  }
  if (filter.name !== undefined) {
    query = query.where(containsText(db, sql.ref('s.name'), filter.name))
  }
  if (filter.excludeRevoked === true) {
    query = query.where('s.revoked', '=', 0)
  }
  if (filter.tlp !== undefined && filter.tlp.length > 0) {
    const tlps = [...filter.tlp]
    query = query.where('s.label_id', 'in', db.selectFrom('labels').select('id').where('tlp', 'in', tlps))
  }
  if (filter.excludeExpired === true || filter.onlyExpired === true) {
    const rule = filter.expiry
    if (rule === undefined) {
      throw new Error('an expiry filter needs the expiry rule (loadExpiryRule)')
    }
    query = query.where((eb) =>
      filter.onlyExpired === true ? expiredCondition(eb, rule) : eb.not(expiredCondition(eb, rule)),
    )
  }
  if (filter.value !== undefined) {
    const observable = classifyValue(refangValue(filter.value))
    const key = observable?.key ?? `other:${filter.value}`
    // The objects carrying the value, found by its key (a handful), each then checked for the
    // owner's copy: with the EXISTS alone, SQLite walked every visible object and probed each one's
    // observables (0.6 s a search at 300,000 objects).
    query = query
      .where('s.id', 'in', db.selectFrom('observables as k').select('k.object_id').where('k.key', '=', key))
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('observables as o')
            .select('o.object_id')
            .whereRef('o.object_id', '=', 's.id')
            .whereRef('o.owner_org_id', '=', 's.owner_org_id')
            .where('o.key', '=', key),
        ),
      )
  }
  return query
}

/**
 * Among how many of the versions added last a search page is looked for first (see
 * {@link searchObjects}): at least this many, four times as many as the page reaches …
 */
export const SEARCH_NEWEST_WINDOW = 10_000
/** … and never more than this many. */
export const SEARCH_NEWEST_WINDOW_MAX = 200_000

/**
 * One page of visible objects, newest first, and the total.
 *
 * A page is first looked for among the versions added last, walked in date-added order (at
 * least {@link SEARCH_NEWEST_WINDOW}, four times as many as the page reaches, at most
 * {@link SEARCH_NEWEST_WINDOW_MAX}): on a store of a million objects the first pages of a search
 * (no filter, or a common type) are then read in a millisecond, where finding and sorting every
 * visible latest object took hundreds. Every match outside that window comes after every version
 * inside it, so a page found whole there is the page. Otherwise (a rare filter, a deep page) the
 * whole store is searched, as before.
 */
export async function searchObjects(
  db: Db,
  viewer: Viewer,
  filter: ObjectFilter & { limit: number; offset: number },
  windows: { least: number; most: number } = { least: SEARCH_NEWEST_WINDOW, most: SEARCH_NEWEST_WINDOW_MAX },
): Promise<{ rows: StixObjectRow[]; total: number }> {
  const page = (newest: number | null) =>
    visibleObjects(db, viewer, filter, newest)
      .selectAll('s')
      .orderBy('s.added_at', 'desc')
      .orderBy('s.id', 'desc')
      .orderBy('s.owner_org_id', 'desc')
      .limit(filter.limit)
      .offset(filter.offset)
      .execute()
  const window = Math.max(windows.least, 4 * (filter.offset + filter.limit))
  // A value is found by its key, which is faster than any walk.
  const tryNewest = filter.value === undefined && window <= windows.most
  const [rows, count] = await Promise.all([
    (async () => {
      const newest = tryNewest ? await page(window) : null
      return newest !== null && newest.length === filter.limit ? newest : page(null)
    })(),
    visibleObjects(db, viewer, filter)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
  ])
  return { rows, total: Number(count.n) }
}

/**
 * The copy of an object `viewer` sees: the latest visible version, the viewer's own organisation's
 * copy first; undefined when there is none (missing and invisible look the same).
 */
export async function findVisibleObject(
  db: Db,
  viewer: Viewer,
  id: string,
): Promise<StixObjectRow | undefined> {
  const ownOrg = viewer.kind === 'user' ? viewer.orgId : ''
  return db
    .selectFrom('stix_objects as s')
    .selectAll('s')
    .where('s.id', '=', id)
    .where('s.is_latest', '=', 1)
    .where('s.label_id', 'in', visibleLabelIds(db, viewer))
    .orderBy(sql`case when s.owner_org_id = ${ownOrg} then 0 else 1 end`)
    .orderBy('s.added_at', 'desc')
    .limit(1)
    .executeTakeFirst()
}

/** Every visible version of one owner's copy of an object, newest first. */
export async function findVisibleVersions(
  db: Db,
  viewer: Viewer,
  id: string,
  ownerOrgId: string,
): Promise<{ modified: string; added_at: string }[]> {
  const rows = await db
    .selectFrom('stix_objects as s')
    .select(['s.modified', 's.added_at'])
    .where('s.id', '=', id)
    .where('s.owner_org_id', '=', ownerOrgId)
    .where('s.label_id', 'in', visibleLabelIds(db, viewer))
    .execute()
  return rows.sort((a, b) => (a.modified < b.modified ? 1 : a.modified > b.modified ? -1 : 0))
}

/** An object that another one names (`out`) or that names it (`in`), as an object page lists it. */
export interface Neighbour {
  readonly direction: 'out' | 'in'
  /** The reference property (`object_refs`, `source_ref`, …) that links them. */
  readonly property: string
  readonly id: string
  readonly type: string
  readonly name: string | null
}

/**
 * One page of the objects `viewer` may see that the copy (`id`, `ownerOrgId`) names (`out`) or that
 * name it (`in`, any owner's latest copy), each once (with the first of the properties naming it), in
 * id order after `after`. The references are read in the order of their index, which holds the other
 * end (`2026-11-25T1600-ref-order-indexes`), and each one's visibility is checked until the page is
 * full: a page costs the same for a report of a MISP mega-event (1.5 M members), or for a marking
 * definition a million objects name, as for a report of ten. Names come from the stored JSON by the
 * store (a report of 79 MB is not parsed in JavaScript for its name).
 */
export async function findVisibleNeighbours(
  db: Db,
  viewer: Viewer,
  id: string,
  ownerOrgId: string,
  options: { direction: 'out' | 'in'; limit: number; after?: string | null },
): Promise<{ items: Neighbour[]; next: string | null }> {
  const { direction, limit } = options
  const after = options.after ?? null
  const key = direction === 'out' ? 'r.to_id' : 'r.from_id'
  let query = db
    .selectFrom('stix_refs as r')
    .select([`${key} as id`, (eb) => eb.fn.min<string>('r.property').as('property')])
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('stix_objects as s')
          .select(sql.lit(1).as('one'))
          .where('s.is_latest', '=', 1)
          .where('s.label_id', 'in', visibleLabelIds(db, viewer))
          .where((inner) =>
            direction === 'out'
              ? inner('s.id', '=', inner.ref('r.to_id'))
              : inner.and([
                  inner('s.id', '=', inner.ref('r.from_id')),
                  inner('s.owner_org_id', '=', inner.ref('r.owner_org_id')),
                ]),
          ),
      ),
    )
  query =
    direction === 'out'
      ? query.where('r.from_id', '=', id).where('r.owner_org_id', '=', ownerOrgId)
      : query.where('r.to_id', '=', id)
  if (after !== null) {
    query = query.where(key, '>', after)
  }
  const keys = await query
    .groupBy(key)
    .orderBy(key)
    .limit(limit + 1)
    .execute()
  const more = keys.length > limit
  const page = keys.slice(0, limit)
  const shown = new Map<string, { type: string; name: string | null }>()
  const ids = page.map((k) => k.id)
  for (let i = 0; i < ids.length; i += KEY_CHUNK) {
    const rows = await db
      .selectFrom('stix_objects as s')
      .select(['s.id', 's.type', 's.name'])
      .where('s.id', 'in', ids.slice(i, i + KEY_CHUNK))
      .where('s.is_latest', '=', 1)
      .where('s.label_id', 'in', visibleLabelIds(db, viewer))
      .execute()
    for (const row of rows) {
      if (!shown.has(row.id)) {
        shown.set(row.id, { type: row.type, name: typeof row.name === 'string' ? row.name : null })
      }
    }
  }
  const items: Neighbour[] = []
  for (const k of page) {
    const object = shown.get(k.id)
    // Gone between the two reads (deleted or relabelled meanwhile): left out of this page.
    if (object !== undefined) {
      items.push({ direction, property: k.property, id: k.id, type: object.type, name: object.name })
    }
  }
  const last = page[page.length - 1]
  return { items, next: more && last !== undefined ? last.id : null }
}

/** One correlation hit: a visible object carrying the value, with the reports that contain it. */
export interface CorrelationHit {
  readonly row: StixObjectRow
  readonly matchedKey: string
  readonly reports: string[]
  /**
   * When an observable (SCO) hit was seen, which its own properties do not say (see
   * {@link seenOfObservables}); null for other objects, whose own `first_seen`, `valid_from`, … say it.
   */
  readonly seen: SeenPeriod | null
}

/** First and last seen of a correlation hit. */
export interface SeenPeriod {
  readonly firstSeen: string
  readonly lastSeen: string
}

/** The correlation of one value: what it is, and where it appears (one page, with the total). */
export interface Correlation {
  readonly value: string
  readonly observable: Observable | null
  readonly hits: CorrelationHit[]
  readonly total: number
}

type CorrelationScope = ExpressionBuilder<
  Database & { o: ObservableTable } & { s: StixObjectTable },
  'o' | 's'
>

function matchCondition(observable: Observable) {
  return (eb: CorrelationScope) => {
    const exact = eb('o.key', '=', observable.key)
    if (observable.rangeStart === null || observable.rangeEnd === null) {
      return exact
    }
    const start = observable.rangeStart
    const end = observable.rangeEnd
    return eb.or([
      exact,
      // A network among the observables that contains (or overlaps) the looked-up address or network.
      eb.and([
        eb('o.kind', '=', observable.kind),
        eb('o.network', '=', 1),
        eb('o.range_start', '<=', end),
        eb('o.range_end', '>=', start),
      ]),
      // Single addresses inside a looked-up network.
      eb.and([
        eb('o.kind', '=', observable.kind),
        eb('o.network', '=', 0),
        eb('o.range_start', '>=', start),
        eb('o.range_start', '<=', end),
      ]),
    ])
  }
}

function correlationBase(db: Db, viewer: Viewer) {
  // CROSS JOIN fixes the join order on SQLite (PostgreSQL plans it freely): start from the
  // observable index, which is selective, not from every object.
  return db
    .selectFrom('observables as o')
    .crossJoin('stix_objects as s')
    .whereRef('s.id', '=', 'o.object_id')
    .whereRef('s.owner_org_id', '=', 'o.owner_org_id')
    .where('s.is_latest', '=', 1)
    .where('s.label_id', 'in', visibleLabelIds(db, viewer))
}

/**
 * Where, visible to `viewer`, do these values appear? For each value at most `limit` objects (from
 * `offset`), with the total, so a very common value cannot blow the answer up.
 */
export async function correlateValues(
  db: Db,
  viewer: Viewer,
  values: readonly string[],
  page: { limit: number; offset: number },
): Promise<Correlation[]> {
  const out: Correlation[] = []
  for (const value of values) {
    const observable = classifyValue(refangValue(value))
    if (observable === null) {
      out.push({ value, observable: null, hits: [], total: 0 })
      continue
    }
    const condition = matchCondition(observable)
    const [rows, count] = await Promise.all([
      correlationBase(db, viewer)
        .where(condition)
        .selectAll('s')
        .select('o.key as matched_key')
        .orderBy('s.added_at', 'desc')
        .orderBy('s.id')
        .limit(page.limit)
        .offset(page.offset)
        .execute(),
      correlationBase(db, viewer)
        .where(condition)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
    ])
    const reports = await reportsContaining(
      db,
      viewer,
      rows.map((r) => r.id),
    )
    const seen = await seenOfObservables(db, viewer, rows)
    out.push({
      value,
      observable,
      total: Number(count.n),
      hits: rows.map(({ matched_key, ...row }) => ({
        row,
        matchedKey: matched_key,
        reports: reports.get(row.id) ?? [],
        seen: seenOf(row, seen),
      })),
    })
  }
  return out
}

/** Visible reports and groupings that reference any of the ids: id → report ids. */
async function reportsContaining(
  db: Db,
  viewer: Viewer,
  ids: readonly string[],
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>()
  if (ids.length === 0) {
    return out
  }
  const unique = [...new Set(ids)]
  if (unique.length > KEY_CHUNK) {
    for (let i = 0; i < unique.length; i += KEY_CHUNK) {
      for (const [id, list] of await reportsContaining(db, viewer, unique.slice(i, i + KEY_CHUNK))) {
        out.set(id, list)
      }
    }
    return out
  }
  // Two look-ups, not one join: PostgreSQL, seeing that few objects are reports, would start from
  // the reports and read every member of each (a 300,000-attribute MISP event's report has 1.5 M),
  // where the references to these ids are a handful.
  const refs = await db
    .selectFrom('stix_refs')
    .select(['to_id', 'from_id', 'owner_org_id'])
    .where('to_id', 'in', unique)
    .where('property', '=', 'object_refs')
    .where((eb) => eb.or([eb('from_id', 'like', 'report--%'), eb('from_id', 'like', 'grouping--%')]))
    .execute()
  const containers = [...new Set(refs.map((r) => r.from_id))]
  const visible = new Set<string>()
  for (let i = 0; i < containers.length; i += KEY_CHUNK) {
    const rows = await db
      .selectFrom('stix_objects as s')
      .select(['s.id', 's.owner_org_id'])
      .where('s.id', 'in', containers.slice(i, i + KEY_CHUNK))
      .where('s.is_latest', '=', 1)
      .where('s.label_id', 'in', visibleLabelIds(db, viewer))
      .execute()
    for (const row of rows) {
      visible.add(`${row.id}\u0000${row.owner_org_id}`)
    }
  }
  for (const ref of refs) {
    if (!visible.has(`${ref.from_id}\u0000${ref.owner_org_id}`)) {
      continue
    }
    const list = out.get(ref.to_id) ?? []
    if (!list.includes(ref.from_id)) {
      list.push(ref.from_id)
    }
    out.set(ref.to_id, list)
  }
  return out
}

const KEY_CHUNK = 500

/** A top-level property of the stored JSON of `s`, as text, on either store (the column is text on both). */
export function jsonTextOfObject(db: Db, property: string) {
  const column = sql.ref('s.json')
  return rawSqliteOf(db) === undefined
    ? sql<string | null>`(${column}::json ->> ${sql.lit(property)})`
    : sql<string | null>`json_extract(${column}, ${sql.lit(`$.${property}`)})`
}

/**
 * When the observables (SCOs) among `rows` were seen, by id: the earliest `first_observed` and the
 * latest `last_observed` of the observed-data `viewer` may see that contain them (a MISP attribute's
 * first and last seen, else its timestamp, are there). Ids no such observed-data contains are left
 * out (see {@link seenOf}). One query per 500 ids, from the references to them (a handful each) to
 * the observed-data among their sources; the instants compared here, as instants, not as text.
 */
async function seenOfObservables(
  db: Db,
  viewer: Viewer,
  rows: readonly Pick<StixObjectRow, 'id' | 'type'>[],
): Promise<Map<string, SeenPeriod>> {
  const out = new Map<string, SeenPeriod>()
  const ids = [...new Set(rows.filter((r) => isSco(r.type)).map((r) => r.id))]
  for (let i = 0; i < ids.length; i += KEY_CHUNK) {
    // CROSS JOIN fixes the join order on SQLite: from the references to these ids, not from every
    // observed-data.
    const found = await db
      .selectFrom('stix_refs as r')
      .crossJoin('stix_objects as s')
      .whereRef('s.id', '=', 'r.from_id')
      .whereRef('s.owner_org_id', '=', 'r.owner_org_id')
      .where('r.to_id', 'in', ids.slice(i, i + KEY_CHUNK))
      .where('r.property', '=', 'object_refs')
      .where('r.from_id', 'like', 'observed-data--%')
      .where('s.is_latest', '=', 1)
      .where('s.type', '=', 'observed-data')
      .where('s.label_id', 'in', visibleLabelIds(db, viewer))
      .select([
        'r.to_id',
        jsonTextOfObject(db, 'first_observed').as('first'),
        jsonTextOfObject(db, 'last_observed').as('last'),
      ])
      .execute()
    for (const { to_id, first, last } of found) {
      if (first === null) {
        continue
      }
      const end = last ?? first
      const known = out.get(to_id)
      out.set(to_id, {
        firstSeen:
          known === undefined || compareStixTimestamps(first, known.firstSeen) < 0 ? first : known.firstSeen,
        lastSeen:
          known === undefined || compareStixTimestamps(end, known.lastSeen) > 0 ? end : known.lastSeen,
      })
    }
  }
  return out
}

/**
 * First and last seen of a hit: for an observable (SCO), from the observed-data containing it
 * ({@link seenOfObservables}), else when it was added here; null for other objects.
 */
function seenOf(row: Pick<StixObjectRow, 'id' | 'type' | 'added_at'>, seen: ReadonlyMap<string, SeenPeriod>) {
  if (!isSco(row.type)) {
    return null
  }
  return seen.get(row.id) ?? { firstSeen: row.added_at, lastSeen: row.added_at }
}

/**
 * The same answer as {@link correlateValues} for many values at once, in a few queries per 500
 * values instead of three per value: exact keys in one ranked query per chunk (at most `limit` hits
 * per value, newest first, with each value's total), visible networks loaded once and matched in memory, reports in one query.
 * Looked-up networks (CIDR values) still get their own containment query each.
 */
export async function correlateMany(
  db: Db,
  viewer: Viewer,
  values: readonly string[],
  limit: number,
): Promise<Correlation[]> {
  const observables = values.map((value) => ({ value, observable: classifyValue(refangValue(value)) }))
  const keys = [...new Set(observables.flatMap((o) => (o.observable === null ? [] : [o.observable.key])))]
  const exact = new Map<string, { row: StixObjectRow; matchedKey: string }[]>()
  const counts = new Map<string, number>()
  for (let i = 0; i < keys.length; i += KEY_CHUNK) {
    const chunk = keys.slice(i, i + KEY_CHUNK)
    // One pass: the newest `limit` hits of each key, and each key's total beside them.
    const ranked = correlationBase(db, viewer)
      .where('o.key', 'in', chunk)
      .selectAll('s')
      .select([
        'o.key as matched_key',
        sql<number>`row_number() over (partition by o.key order by s.added_at desc, s.id)`.as('rank'),
        sql<number>`count(*) over (partition by o.key)`.as('key_total'),
      ])
    const rows = await db.selectFrom(ranked.as('r')).selectAll().where('r.rank', '<=', limit).execute()
    for (const { rank: _rank, key_total, matched_key, ...row } of rows) {
      const list = exact.get(matched_key) ?? []
      list.push({ row, matchedKey: matched_key })
      exact.set(matched_key, list)
      counts.set(matched_key, Number(key_total))
    }
  }
  // Networks that may contain the looked-up addresses: only of the kinds looked up, so the range
  // index (kind, network, range_start) bounds the search to networks, never every observable.
  const networkKinds = [
    ...new Set(
      observables.flatMap((o) =>
        o.observable !== null && o.observable.rangeStart !== null ? [o.observable.kind] : [],
      ),
    ),
  ]
  const networks =
    networkKinds.length > 0
      ? await correlationBase(db, viewer)
          .where('o.kind', 'in', networkKinds)
          .where('o.network', '=', 1)
          .selectAll('s')
          .select(['o.key as matched_key', 'o.kind', 'o.range_start', 'o.range_end'])
          .execute()
      : []
  const out: Correlation[] = []
  for (const { value, observable } of observables) {
    if (observable === null) {
      out.push({ value, observable: null, hits: [], total: 0 })
      continue
    }
    if (observable.rangeStart !== null && observable.rangeStart !== observable.rangeEnd) {
      // A looked-up network: the single-value path also finds the addresses inside it.
      const [one] = await correlateValues(db, viewer, [value], { limit, offset: 0 })
      if (one !== undefined) {
        out.push(one)
      }
      continue
    }
    const hits = [...(exact.get(observable.key) ?? [])]
    let total = counts.get(observable.key) ?? 0
    if (observable.rangeStart !== null && observable.rangeEnd !== null) {
      const start = observable.rangeStart
      const end = observable.rangeEnd
      for (const n of networks) {
        if (
          n.kind === observable.kind &&
          (n.range_start ?? '') <= end &&
          (n.range_end ?? '') >= start &&
          n.matched_key !== observable.key
        ) {
          total += 1
          if (hits.length < limit) {
            const { matched_key, kind: _kind, range_start: _start, range_end: _end, ...row } = n
            hits.push({ row, matchedKey: matched_key })
          }
        }
      }
    }
    out.push({ value, observable, total, hits: hits.map((h) => ({ ...h, reports: [], seen: null })) })
  }
  const reports = await reportsContaining(
    db,
    viewer,
    out.flatMap((c) => c.hits.map((h) => h.row.id)),
  )
  const seen = await seenOfObservables(
    db,
    viewer,
    out.flatMap((c) => c.hits.map((h) => h.row)),
  )
  return out.map((c) => ({
    ...c,
    hits: c.hits.map((h) => ({ ...h, reports: reports.get(h.row.id) ?? [], seen: seenOf(h.row, seen) })),
  }))
}

/** Which versions of the objects in a scope to read (TAXII `match[version]`). */
export type VersionSelection =
  | { readonly all: true }
  | {
      readonly all: false
      /** The oldest version of each object the viewer may see in the scope. */
      readonly first: boolean
      /** The newest version of each object the viewer may see in the scope. */
      readonly last: boolean
      /** Exact `modified` (or, without one, `created`) strings, every spelling of each instant. */
      readonly modified: readonly string[]
      /** Exact date-added instants, for objects without `modified` and `created` (SCOs). */
      readonly addedAt: readonly string[]
    }

/** A page of object versions in a scope, in (date added, id, owner, modified) order. */
export interface ScopedPageFilter {
  readonly ids?: readonly string[]
  readonly types?: readonly string[]
  /** Only versions added strictly after this instant. */
  readonly addedAfter?: string
  /** Only versions after this position of the order (the previous page's last). */
  readonly after?: {
    readonly addedAt: string
    readonly id: string
    readonly ownerOrgId: string
    readonly modified: string
  }
  readonly versions: VersionSelection
  readonly limit: number
  /** Read the stored JSON too (objects), or only the version keys (manifest). */
  readonly withJson: boolean
}

/** The columns of a {@link ScopedVersionRow} (the JSON aside). */
const SCOPED_VERSION_COLUMNS = [
  's.id',
  's.modified',
  's.owner_org_id',
  's.type',
  's.created',
  's.valid_until',
  's.label_id',
  's.added_at',
] as const

/** One version of an object as a scoped read returns it (the stored JSON only when asked for). */
export type ScopedVersionRow = Pick<
  StixObjectRow,
  'id' | 'modified' | 'owner_org_id' | 'type' | 'created' | 'valid_until' | 'label_id' | 'added_at'
> & { json?: string }

/**
 * The object versions `viewer` may see among the labels of `scope` (a TAXII collection), one page in
 * (date added, id, owner, modified) order. Each version appears once: when several organisations hold a copy
 * of it, the copy added first that the viewer may see stands for it (its date added is when the
 * version reached the viewer's view). `first` and `last` are judged among what the viewer may see in
 * the scope, so nothing hidden shifts them.
 */
export async function pageVersionsInScope(
  db: Db,
  viewer: Viewer,
  scope: LabelScope,
  filter: ScopedPageFilter,
): Promise<ScopedVersionRow[]> {
  // Built once, used three times: query builders are immutable.
  const inScope = visibleLabelIdsInScope(db, viewer, scope)
  // Listings walk the (date added, id, owner, modified) index from the cursor and check each row's
  // label on the way: a label index would find every row of the scope and sort them all for each
  // page. SQLite's planner takes the label index unless `label_id || ''` hides it (a lookup by id
  // still uses its own); PostgreSQL plans by its statistics, which that expression would blind.
  const onSqlite = rawSqliteOf(db) !== undefined
  const label = onSqlite ? sql<string>`s.label_id || ''` : sql.ref('s.label_id')
  // The probes below run per row, as the walk reaches it, each on the object's own rows (its id;
  // the label is checked on those rows, never looked up by its index). PostgreSQL would otherwise
  // turn them into an anti-join, misjudge how many rows it removes, and read, join and sort the
  // whole scope for every page (a 10,000-object collection: 17 ms a page instead of 3.5; more as it
  // grows): an `offset 0` keeps a subquery from being pulled up. SQLite runs them per row anyway
  // (and refuses an offset without a limit).
  const perRow = <Q extends { offset(n: number): Q }>(q: Q): Q => (onSqlite ? q : q.offset(0))
  let query = db.selectFrom('stix_objects as s').where(label, 'in', inScope)
  if (filter.ids !== undefined) {
    query = query.where('s.id', 'in', [...filter.ids])
  }
  if (filter.types !== undefined) {
    query = query.where('s.type', 'in', [...filter.types])
  }
  if (filter.addedAfter !== undefined) {
    query = query.where('s.added_at', '>', filter.addedAfter)
  }
  const after = filter.after
  if (after !== undefined) {
    query = query.where((eb) =>
      eb(
        eb.refTuple('s.added_at', 's.id', 's.owner_org_id', 's.modified'),
        '>',
        eb.tuple(after.addedAt, after.id, after.ownerOrgId, after.modified),
      ),
    )
  }
  const versions = filter.versions
  // Only the latest version (the default of TAXII): "no newer version, and no earlier copy of this
  // one" in a single probe of the object's rows, instead of one probe for each.
  const lastOnly =
    !versions.all &&
    versions.last &&
    !versions.first &&
    versions.modified.length === 0 &&
    versions.addedAt.length === 0
  // One copy per version: no copy of the same version that the viewer may see came before it.
  query = query.where((eb) =>
    eb.not(
      eb.exists(
        perRow(
          eb
            .selectFrom('stix_objects as d')
            .select('d.id')
            .whereRef('d.id', '=', 's.id')
            .where(sql<string>`d.label_id || ''`, 'in', inScope)
            .where((b) => {
              const earlierCopy = b.and([
                b('d.modified', '=', b.ref('s.modified')),
                b('d.owner_org_id', '!=', b.ref('s.owner_org_id')),
                b.or([
                  b('d.added_at', '<', b.ref('s.added_at')),
                  b.and([
                    b('d.added_at', '=', b.ref('s.added_at')),
                    b('d.owner_org_id', '<', b.ref('s.owner_org_id')),
                  ]),
                ]),
              ])
              return lastOnly ? b.or([b('d.modified', '>', b.ref('s.modified')), earlierCopy]) : earlierCopy
            }),
        ),
      ),
    ),
  )
  if (!versions.all && !lastOnly) {
    query = query.where((eb) => {
      const newerOrOlder = (op: '>' | '<') =>
        eb.not(
          eb.exists(
            perRow(
              eb
                .selectFrom('stix_objects as n')
                .select('n.id')
                .whereRef('n.id', '=', 's.id')
                .where('n.modified', op, eb.ref('s.modified'))
                .where(sql<string>`n.label_id || ''`, 'in', inScope),
            ),
          ),
        )
      const any = []
      if (versions.last) {
        any.push(newerOrOlder('>'))
      }
      if (versions.first) {
        any.push(newerOrOlder('<'))
      }
      if (versions.modified.length > 0) {
        any.push(eb('s.modified', 'in', [...versions.modified]))
        any.push(eb.and([eb('s.modified', '=', ''), eb('s.created', 'in', [...versions.modified])]))
      }
      if (versions.addedAt.length > 0) {
        any.push(
          eb.and([
            eb('s.modified', '=', ''),
            eb('s.created', 'is', null),
            eb('s.added_at', 'in', [...versions.addedAt]),
          ]),
        )
      }
      return any.length === 0 ? eb.lit(false) : eb.or(any)
    })
  }
  const columns = SCOPED_VERSION_COLUMNS
  const ordered = (filter.withJson ? query.select([...columns, 's.json']) : query.select([...columns]))
    .orderBy('s.added_at')
    .orderBy('s.id')
    .orderBy('s.owner_org_id')
    .orderBy('s.modified')
    .limit(filter.limit)
  return ordered.execute()
}

/**
 * Every copy of one object (all versions, all owners) that `viewer` may see among the labels of
 * `scope`, without the JSON: few rows (versions × owners of one id).
 */
export async function findCopiesInScope(
  db: Db,
  viewer: Viewer,
  scope: LabelScope,
  id: string,
): Promise<ScopedVersionRow[]> {
  return db
    .selectFrom('stix_objects as s')
    .select([...SCOPED_VERSION_COLUMNS])
    .where('s.id', '=', id)
    .where('s.label_id', 'in', visibleLabelIdsInScope(db, viewer, scope))
    .execute()
}

/** Ids per query of {@link findHiddenIds}. */
const HIDDEN_ID_CHUNK = 2000

/**
 * Among `ids`, those this store holds of which `viewer` may see no copy (no version, no owner): the
 * references to remove before showing `viewer` an object that names them (`withoutHiddenRefs`).
 * Ids held nowhere here are not among them (a producer's reference to what it never sent is its
 * own to give).
 */
export async function findHiddenIds(db: Db, viewer: Viewer, ids: Iterable<string>): Promise<Set<string>> {
  const hidden = new Set<string>()
  const all = [...new Set(ids)]
  for (let i = 0; i < all.length; i += HIDDEN_ID_CHUNK) {
    const rows = await db
      .selectFrom('stix_objects as s')
      .select('s.id')
      .select((eb) =>
        eb.fn
          .max(eb.case().when('s.label_id', 'in', visibleLabelIds(db, viewer)).then(1).else(0).end())
          .as('seen'),
      )
      .where('s.id', 'in', all.slice(i, i + HIDDEN_ID_CHUNK))
      .groupBy('s.id')
      .execute()
    for (const row of rows) {
      if (Number(row.seen) === 0) {
        hidden.add(row.id)
      }
    }
  }
  return hidden
}
