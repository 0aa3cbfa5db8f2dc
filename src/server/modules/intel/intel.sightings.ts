import { sql, type ExpressionBuilder } from 'kysely'
import type { UserPrincipal } from '../../../core/account/principal.js'
import { classifyValue } from '../../../core/intel/observable.js'
import {
  sightingKindOf,
  sightingObjects,
  type SightingKind,
  type SightingType,
} from '../../../core/intel/sighting.js'
import { isMeta, isSco, isSro, type StixObject } from '../../../core/stix/stix.js'
import type { Viewer } from '../../../core/trust/label.js'
import { badInput, forbidden, LiaisonError, notFound } from '../../errors.js'
import type { Database } from '../../store/database.js'
import type { Db } from '../../store/store.js'
import { getOrganisation } from '../org/org.service.js'
import { visibleLabelIds } from '../trust/trust.sql.js'
import { findHiddenIds, findVisibleObject, jsonTextOfObject, visibleObjects } from './intel.query.js'
import { importContent, importerOf, type ImportLabelRequest } from './intel.service.js'
import type { StixObjectRow } from './intel.table.js'

/** Ids per query: well under the bound-parameter limits of both stores. */
const ID_CHUNK = 500
/** At most this many objects are sighted by one value; more must be sighted by id. */
export const MAX_SIGHTING_TARGETS = 1000
/** Reporting organisations listed in a summary. */
const SIGHTED_BY_LIMIT = 100
/** How far in the future `seenAt` may lie (clock skew between a sensor and this instance). */
const FUTURE_TOLERANCE_MS = 5 * 60 * 1000

/** An object whose sightings are wanted: its id and STIX type (SCOs are also sighted through observed-data). */
export interface SightingSubject {
  readonly id: string
  readonly type: string
}

/** What the visible sightings and opinions say about one object. */
export interface SightingSummary {
  /** Times seen: the sum of the sightings' `count` (1 when a sighting has none). */
  count: number
  /** Sighting objects. */
  reports: number
  /** Earliest `first_seen` (else `created`) of the sightings. */
  firstSeen: string | null
  /** Latest `last_seen` (else `first_seen`, `created`) of the sightings. */
  lastSeen: string | null
  /** False-positive reports (opinions that strongly disagree, MISP sighting type 1). */
  falsePositives: number
  /** Expiration reports (MISP sighting type 2). */
  expirations: number
  /** Who sighted it: the identities (or locations) of `where_sighted_refs`, named when visible. */
  sightedBy: { id: string; name: string | null }[]
}

/** The short form correlation shows per hit. */
export interface SightingCounts {
  count: number
  falsePositives: number
}

const EMPTY_SUMMARY: Readonly<SightingSummary> = {
  count: 0,
  reports: 0,
  firstSeen: null,
  lastSeen: null,
  falsePositives: 0,
  expirations: 0,
  sightedBy: [],
}

type ReportScope = ExpressionBuilder<
  Database & { r: Database['stix_refs'] } & { s: Database['stix_objects'] },
  'r' | 's'
>

/**
 * The SQL twin of {@link sightingKindOf}: which references make `s` a report about the referenced
 * object (a sighting through `sighting_of_ref`, an opinion or expiration note through `object_refs`).
 */
function reportCondition(db: Db) {
  return (eb: ReportScope) =>
    eb.or([
      eb.and([eb('r.property', '=', 'sighting_of_ref'), eb('s.type', '=', 'sighting')]),
      eb.and([
        eb('r.property', '=', 'object_refs'),
        eb.or([
          eb('s.type', '=', 'opinion'),
          eb.and([eb('s.type', '=', 'note'), eb(jsonTextOfObject(db, 'x_misp_sighting_type'), '=', '2')]),
        ]),
      ]),
    ])
}

/** The columns every report row carries: who, what kind, how often, when. */
function reportColumns(db: Db) {
  const mispType = jsonTextOfObject(db, 'x_misp_sighting_type')
  return [
    's.id as id',
    's.owner_org_id as owner_org_id',
    's.added_at as added_at',
    sql<SightingKind>`case
      when s.type = 'sighting' then 'sighting'
      when s.type = 'opinion' and (${jsonTextOfObject(db, 'opinion')} = 'strongly-disagree' or ${mispType} = '1')
        then 'false-positive'
      when s.type = 'opinion' then 'opinion'
      else 'expiration' end`.as('kind'),
    sql<number>`case when s.type = 'sighting'
      then coalesce(cast(${jsonTextOfObject(db, 'count')} as bigint), 1) else 0 end`.as('cnt'),
    sql<string | null>`case when s.type = 'sighting'
      then coalesce(${jsonTextOfObject(db, 'first_seen')}, s.created) end`.as('first_seen'),
    sql<string | null>`case when s.type = 'sighting'
      then coalesce(${jsonTextOfObject(db, 'last_seen')}, ${jsonTextOfObject(db, 'first_seen')}, s.created) end`.as(
      'last_seen',
    ),
  ] as const
}

/**
 * Every visible report (sighting, opinion, expiration note; latest versions, each copy) about the
 * subjects, as `about_id` → report: directly, and for SCOs also through the visible observed-data that
 * contain them (STIX sights an SDO, so a sighting of an observable names its observed-data).
 */
function reportsAbout(db: Db, viewer: Viewer, subjects: readonly SightingSubject[]) {
  const ids = [...new Set(subjects.map((s) => s.id))]
  const scoIds = [...new Set(subjects.filter((s) => isSco(s.type)).map((s) => s.id))]
  const direct = db
    .selectFrom('stix_refs as r')
    .innerJoin('stix_objects as s', (join) =>
      join
        .onRef('s.id', '=', 'r.from_id')
        .onRef('s.owner_org_id', '=', 'r.owner_org_id')
        .on('s.is_latest', '=', 1),
    )
    .where('r.to_id', 'in', ids)
    .where(reportCondition(db))
    .where('s.label_id', 'in', visibleLabelIds(db, viewer))
    .select(['r.to_id as about_id', ...reportColumns(db)])
  if (scoIds.length === 0) {
    return direct
  }
  const throughObservedData = db
    .selectFrom('stix_refs as c')
    .innerJoin('stix_objects as od', (join) =>
      join
        .onRef('od.id', '=', 'c.from_id')
        .onRef('od.owner_org_id', '=', 'c.owner_org_id')
        .on('od.is_latest', '=', 1)
        .on('od.type', '=', 'observed-data'),
    )
    .innerJoin('stix_refs as r', 'r.to_id', 'od.id')
    .innerJoin('stix_objects as s', (join) =>
      join
        .onRef('s.id', '=', 'r.from_id')
        .onRef('s.owner_org_id', '=', 'r.owner_org_id')
        .on('s.is_latest', '=', 1),
    )
    .where('c.to_id', 'in', scoIds)
    .where('c.property', '=', 'object_refs')
    .where('od.label_id', 'in', visibleLabelIds(db, viewer))
    .where(reportCondition(db))
    .where('s.label_id', 'in', visibleLabelIds(db, viewer))
    .select(['c.to_id as about_id', ...reportColumns(db)])
  return direct.unionAll(throughObservedData)
}

/** Aggregates of the reports about each subject, every report counted once however many copies exist. */
async function aggregateReports(
  db: Db,
  viewer: Viewer,
  subjects: readonly SightingSubject[],
): Promise<Map<string, Omit<SightingSummary, 'sightedBy'>>> {
  const out = new Map<string, Omit<SightingSummary, 'sightedBy'>>()
  for (let i = 0; i < subjects.length; i += ID_CHUNK) {
    const chunk = subjects.slice(i, i + ID_CHUNK)
    const perReport = db
      .selectFrom(reportsAbout(db, viewer, chunk).as('u'))
      .select((eb) => [
        'u.about_id',
        'u.id',
        eb.fn.max('u.kind').as('kind'),
        eb.fn.max('u.cnt').as('cnt'),
        eb.fn.min('u.first_seen').as('first_seen'),
        eb.fn.max('u.last_seen').as('last_seen'),
      ])
      .groupBy(['u.about_id', 'u.id'])
    const rows = await db
      .selectFrom(perReport.as('p'))
      .select((eb) => [
        'p.about_id',
        sql<number>`sum(case when p.kind = 'sighting' then p.cnt else 0 end)`.as('count'),
        sql<number>`sum(case when p.kind = 'sighting' then 1 else 0 end)`.as('reports'),
        sql<number>`sum(case when p.kind = 'false-positive' then 1 else 0 end)`.as('false_positives'),
        sql<number>`sum(case when p.kind = 'expiration' then 1 else 0 end)`.as('expirations'),
        eb.fn.min('p.first_seen').as('first_seen'),
        eb.fn.max('p.last_seen').as('last_seen'),
      ])
      .groupBy('p.about_id')
      .execute()
    for (const row of rows) {
      out.set(row.about_id, {
        // PostgreSQL sums bigints as numeric, which arrives as a string.
        count: Number(row.count),
        reports: Number(row.reports),
        firstSeen: row.first_seen,
        lastSeen: row.last_seen,
        falsePositives: Number(row.false_positives),
        expirations: Number(row.expirations),
      })
    }
  }
  return out
}

/**
 * Sighting count and false-positive reports of many objects at once (one grouped query per 500
 * ids), from the sightings and opinions `viewer` may see; objects without any are left out.
 */
export async function countSightings(
  db: Db,
  viewer: Viewer,
  subjects: readonly SightingSubject[],
): Promise<Map<string, SightingCounts>> {
  const unique = [...new Map(subjects.map((s) => [s.id, s])).values()]
  const out = new Map<string, SightingCounts>()
  if (unique.length === 0) {
    return out
  }
  for (const [id, summary] of await aggregateReports(db, viewer, unique)) {
    out.set(id, { count: summary.count, falsePositives: summary.falsePositives })
  }
  return out
}

/**
 * What the sightings and opinions `viewer` may see say about one object (which the caller has
 * already found visible): times seen, first and last seen, false positives, expirations, who saw it.
 */
export async function summariseSightings(
  db: Db,
  viewer: Viewer,
  subject: SightingSubject,
): Promise<SightingSummary> {
  const aggregate = (await aggregateReports(db, viewer, [subject])).get(subject.id)
  if (aggregate === undefined) {
    return { ...EMPTY_SUMMARY, sightedBy: [] }
  }
  const reporters = await db
    .selectFrom(reportsAbout(db, viewer, [subject]).as('u'))
    .innerJoin('stix_refs as w', (join) =>
      join.onRef('w.from_id', '=', 'u.id').onRef('w.owner_org_id', '=', 'u.owner_org_id'),
    )
    .where('u.kind', '=', 'sighting')
    .where('w.property', '=', 'where_sighted_refs')
    .select('w.to_id')
    .distinct()
    .orderBy('w.to_id')
    .limit(SIGHTED_BY_LIMIT)
    .execute()
  // Who sighted it, as far as the viewer may know: an identity held here that the viewer may not see
  // is not named (as the sightings themselves leave out such references, `withVisibleRefs`).
  const hidden = await findHiddenIds(
    db,
    viewer,
    reporters.map((r) => r.to_id),
  )
  const ids = reporters.map((r) => r.to_id).filter((id) => !hidden.has(id))
  const names = new Map<string, string>()
  if (ids.length > 0) {
    const rows = await db
      .selectFrom('stix_objects as s')
      .select(['s.id', 's.json'])
      .where('s.id', 'in', ids)
      .where('s.is_latest', '=', 1)
      .where('s.label_id', 'in', visibleLabelIds(db, viewer))
      .execute()
    for (const row of rows) {
      const object = JSON.parse(row.json) as Record<string, unknown>
      if (typeof object.name === 'string') {
        names.set(row.id, object.name)
      }
    }
  }
  return { ...aggregate, sightedBy: ids.map((id) => ({ id, name: names.get(id) ?? null })) }
}

/** One visible report about an object: the copy shown (the viewer's own organisation's first) and its kind. */
export interface SightingReport {
  readonly row: StixObjectRow
  readonly kind: SightingKind
}

/**
 * One page of the visible sightings, opinions and expiration notes about an object, newest first,
 * each once (the viewer's own organisation's copy first), and the total.
 */
export async function listSightings(
  db: Db,
  viewer: Viewer,
  subject: SightingSubject,
  page: { limit: number; offset: number },
): Promise<{ items: SightingReport[]; total: number }> {
  const ownOrg = viewer.kind === 'user' ? viewer.orgId : ''
  const ranked = db.selectFrom(reportsAbout(db, viewer, [subject]).as('u')).select([
    'u.id',
    'u.owner_org_id',
    'u.added_at',
    sql<number>`row_number() over (partition by u.id
        order by case when u.owner_org_id = ${ownOrg} then 0 else 1 end, u.added_at desc)`.as('rank'),
  ])
  const [pageRows, count] = await Promise.all([
    db
      .selectFrom(ranked.as('k'))
      .select(['k.id', 'k.owner_org_id'])
      .where('k.rank', '=', 1)
      .orderBy('k.added_at', 'desc')
      .orderBy('k.id')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    db
      .selectFrom(ranked.as('k'))
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('k.rank', '=', 1)
      .executeTakeFirstOrThrow(),
  ])
  const items: SightingReport[] = []
  if (pageRows.length > 0) {
    const rows = await db
      .selectFrom('stix_objects as s')
      .selectAll('s')
      .where('s.is_latest', '=', 1)
      .where((eb) =>
        eb.or(
          pageRows.map((p) => eb.and([eb('s.id', '=', p.id), eb('s.owner_org_id', '=', p.owner_org_id)])),
        ),
      )
      .execute()
    const byKey = new Map(rows.map((r) => [`${r.id}\u0000${r.owner_org_id}`, r]))
    for (const p of pageRows) {
      const row = byKey.get(`${p.id}\u0000${p.owner_org_id}`)
      const kind = row === undefined ? null : sightingKindOf(JSON.parse(row.json) as StixObject)
      if (row !== undefined && kind !== null) {
        items.push({ row, kind })
      }
    }
  }
  return { items, total: Number(count.n) }
}

/** A sighting, false positive or expiration to record, as the API takes it. */
export interface SightingInput {
  /** The object seen (exactly one of `objectId` and `value`). */
  readonly objectId?: string
  /** A value seen: every object the caller may see that carries it is sighted. */
  readonly value?: string
  readonly type: SightingType
  /** Free text: the sensor, feed or person that saw it. */
  readonly source?: string
  /** Times seen (sightings only; default 1). */
  readonly count?: number
  /** When it was seen (default: now). */
  readonly seenAt?: string
  /** The label of the recorded objects; defaults to TLP:AMBER, the caller's organisation only. */
  readonly label: ImportLabelRequest
}

/** What recording a sighting did: the objects it is about, the objects stored, and the import. */
export interface RecordedSighting {
  readonly type: SightingType
  readonly targets: SightingSubject[]
  /** Ids of the sighting, opinion or note objects (and observed-data) written. */
  readonly objectIds: string[]
  readonly import: Awaited<ReturnType<typeof importContent>>
}

/**
 * Records a sighting (or a false positive, or an expiration) of one object or of every object the
 * caller may see that carries a value, as STIX objects owned by the caller's organisation under the
 * given label, through the same import as any content (so versions, index and audit stay one path).
 */
export async function recordSighting(
  db: Db,
  principal: UserPrincipal,
  input: SightingInput,
  now = new Date(),
): Promise<RecordedSighting> {
  if (principal.role === 'viewer') {
    throw forbidden('viewers read intelligence; they do not record sightings')
  }
  if ((input.objectId === undefined) === (input.value === undefined)) {
    throw badInput('objectId', 'give either objectId or value')
  }
  if (input.count !== undefined && input.type !== 'sighting') {
    throw badInput('count', 'only a sighting has a count')
  }
  const seenAt = input.seenAt === undefined ? now : new Date(input.seenAt)
  if (Number.isNaN(seenAt.getTime())) {
    throw badInput('seenAt', 'must be a date-time')
  }
  if (seenAt.getTime() > now.getTime() + FUTURE_TOLERANCE_MS) {
    throw badInput('seenAt', 'must not lie in the future')
  }
  const targets =
    input.objectId === undefined
      ? await targetsOfValue(db, principal, input.value ?? '')
      : [await targetOfId(db, principal, input.objectId, input.type)]
  const org = await getOrganisation(db, principal, principal.orgId)
  const identity: StixObject = {
    type: 'identity',
    spec_version: '2.1',
    id: `identity--${org.id}`,
    created: new Date(org.created_at).toISOString(),
    modified: new Date(org.updated_at).toISOString(),
    name: org.name,
    identity_class: 'organization',
  }
  const objects = sightingObjects({
    type: input.type,
    targets,
    reporter: { identityId: identity.id, name: org.name },
    source: input.source ?? null,
    count: input.count ?? 1,
    seenAt: seenAt.toISOString(),
    now: now.toISOString(),
  })
  const summary = await importContent(
    db,
    importerOf(principal),
    [identity, ...objects],
    { format: 'stix', label: input.label, skipInvalid: false, source: 'sighting' },
    now,
  )
  return { type: input.type, targets, objectIds: objects.map((o) => o.id), import: summary }
}

async function targetOfId(db: Db, viewer: Viewer, id: string, type: SightingType): Promise<SightingSubject> {
  const row = await findVisibleObject(db, viewer, id)
  if (row === undefined) {
    throw notFound('object', id)
  }
  if (type === 'sighting' && (isSro(row.type) || isMeta(row.type))) {
    throw badInput('objectId', `a ${row.type} is not sighted; sight the object it is about`)
  }
  return { id: row.id, type: row.type }
}

async function targetsOfValue(db: Db, viewer: Viewer, value: string): Promise<SightingSubject[]> {
  if (classifyValue(value) === null) {
    throw badInput('value', 'not an observable Liaison knows (IP address, domain, URL, e-mail, hash, ASN, …)')
  }
  const rows = await visibleObjects(db, viewer, { value })
    .select(['s.id', 's.type'])
    .distinct()
    .orderBy('s.id')
    .limit(MAX_SIGHTING_TARGETS + 1)
    .execute()
  if (rows.length === 0) {
    throw new LiaisonError(404, 'not_found', 'value: no object you may see carries it', { field: 'value' })
  }
  if (rows.length > MAX_SIGHTING_TARGETS) {
    throw badInput(
      'value',
      `carried by more than ${MAX_SIGHTING_TARGETS} objects you may see; sight them by objectId`,
    )
  }
  return rows.map((r) => ({ id: r.id, type: r.type }))
}
