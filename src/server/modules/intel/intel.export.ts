import { randomUUID } from 'node:crypto'
import { PROVENANCE_PROPERTY, Provenance, type InstanceRef } from '../../../core/federation/provenance.js'
import { markingDefinitionForTlp, tlpOfMarkingRef, type StixObject } from '../../../core/stix/stix.js'
import { Audience, Pap, Tlp, type SharingLabel, type Viewer } from '../../../core/trust/label.js'
import { stixToMispEvent, toMispJson } from '../../../core/misp/from-stix.js'
import { tlpOfTag } from '../../../core/misp/misp.js'
import { badInput, LiaisonError } from '../../errors.js'
import type { Db } from '../../store/store.js'
import { findLabels } from '../trust/label.repository.js'
import { loadExpiryRule } from './intel.expiry.js'
import { visibleObjects, type ObjectFilter } from './intel.query.js'
import type { StixObjectRow } from './intel.table.js'
import { observablesOfObject } from './intel.prepare.js'
import { findProvenance, versionKeyText } from './intel.provenance.js'
import { withVisibleRefs } from './intel.refs.js'
import { openWarninglistMatcher, type WarninglistMatcher } from '../warninglist/warninglist.service.js'

/** Export formats. */
export const EXPORT_FORMATS = ['stix', 'misp', 'csv'] as const
/** One of {@link EXPORT_FORMATS}. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

const PAGE = 1000

/** Ids per look-up of the other copies of a page's versions. */
const COPY_CHUNK = 1000

/** How {@link visiblePages} reads. */
export interface PageOptions {
  /** Each version once, though several organisations hold a copy (see `oneCopyPerVersion`). */
  readonly oneCopyPerVersion?: boolean
}

/**
 * Every latest version `viewer` may see that matches the filter (every version with
 * `allVersions`), page by page (keyset order by added time, id, owner, version), with its label.
 * Memory stays flat however large the store is. Expiry (valid_until, retention rules) is judged
 * once, at `filter.now`, for the whole export.
 */
export async function* visiblePages(
  db: Db,
  viewer: Viewer,
  unscoped: ObjectFilter,
  options: PageOptions = {},
): AsyncGenerator<{ row: StixObjectRow; label: SharingLabel }[]> {
  const filter =
    (unscoped.excludeExpired === true || unscoped.onlyExpired === true) && unscoped.expiry === undefined
      ? { ...unscoped, expiry: await loadExpiryRule(db, unscoped.now ?? new Date().toISOString()) }
      : unscoped
  // Keyset: date added, id, owner, version (one latest version per id and owner; every version of
  // one import shares its date added).
  type Position = { added_at: string; id: string; owner_org_id: string; modified: string }
  let after: Position | null = null
  for (;;) {
    let query = visibleObjects(db, viewer, filter).selectAll('s')
    if (after !== null) {
      const a: Position = after
      query = query.where((eb) =>
        eb.or([
          eb('s.added_at', '>', a.added_at),
          eb.and([eb('s.added_at', '=', a.added_at), eb('s.id', '>', a.id)]),
          eb.and([
            eb('s.added_at', '=', a.added_at),
            eb('s.id', '=', a.id),
            eb('s.owner_org_id', '>', a.owner_org_id),
          ]),
          eb.and([
            eb('s.added_at', '=', a.added_at),
            eb('s.id', '=', a.id),
            eb('s.owner_org_id', '=', a.owner_org_id),
            eb('s.modified', '>', a.modified),
          ]),
        ]),
      )
    }
    const rows = await query
      .orderBy('s.added_at')
      .orderBy('s.id')
      .orderBy('s.owner_org_id')
      .orderBy('s.modified')
      .limit(PAGE)
      .execute()
    if (rows.length === 0) {
      return
    }
    const labels = await findLabels(
      db,
      rows.map((r) => r.label_id),
    )
    const page = rows.flatMap((row) => {
      const label = labels.get(row.label_id)
      return label === undefined ? [] : [{ row, label }]
    })
    yield options.oneCopyPerVersion === true ? await oneCopyPerVersion(db, viewer, filter, page) : page
    const last = rows[rows.length - 1]
    if (last === undefined || rows.length < PAGE) {
      return
    }
    after = { added_at: last.added_at, id: last.id, owner_org_id: last.owner_org_id, modified: last.modified }
  }
}

/**
 * An object about to become part of a MISP event: what it says of its own TLP (markings, or the
 * original MISP tags kept in `x_misp_tlp_tags`) is its label's TLP, when it says anything (an
 * element without a TLP of its own takes its event's, which is the strictest of its members').
 */
function withLabelTlpForMisp(object: StixObject, tlp: Tlp): StixObject {
  const refs = Array.isArray(object.object_marking_refs) ? object.object_marking_refs : []
  const marked = refs.some((ref) => typeof ref === 'string' && tlpOfMarkingRef(ref) !== null)
  const tags = Array.isArray(object.x_misp_tlp_tags) ? object.x_misp_tlp_tags : null
  if (!marked && tags === null) {
    return object
  }
  const relabelled = withTlpMarking(object, tlp)
  const levels = (tags ?? []).flatMap((name) => {
    const level = typeof name === 'string' ? tlpOfTag(name) : null
    return level === null ? [] : [level]
  })
  if (tags !== null && !(levels.length > 0 && levels.every((level) => level === tlp))) {
    // The producer's own spelling is kept only when it says what the label says.
    const { x_misp_tlp_tags: _, ...rest } = relabelled
    return rest
  }
  return relabelled
}

/** The identity ids an object names at its top level (`created_by_ref`, `where_sighted_refs`, …). */
function namedIdentities(object: StixObject): string[] {
  const ids: string[] = []
  for (const [property, value] of Object.entries(object)) {
    if (property.endsWith('_ref') && typeof value === 'string' && value.startsWith('identity--')) {
      ids.push(value)
    } else if (property.endsWith('_refs') && Array.isArray(value)) {
      for (const item of value) {
        if (typeof item === 'string' && item.startsWith('identity--')) {
          ids.push(item)
        }
      }
    }
  }
  return ids
}

/** An object as it leaves Liaison: its TLP marking set to its label's TLP 2.0 marking. */
export function withTlpMarking(object: StixObject, tlp: Tlp): StixObject {
  if (object.type === 'marking-definition') {
    return object
  }
  const refs = Array.isArray(object.object_marking_refs) ? object.object_marking_refs : []
  const others = refs.filter((ref): ref is string => typeof ref === 'string' && tlpOfMarkingRef(ref) === null)
  return { ...object, object_marking_refs: [markingDefinitionForTlp(tlp).id, ...others] }
}

/** Filters of an export. */
export interface ExportFilter extends ObjectFilter {
  /**
   * This instance: when given, the export shows provenance: `x_liaison_provenance` on STIX objects
   * that came from another instance, and `origin_instance`, `origin_org` and `hops` columns in CSV.
   */
  instance?: InstanceRef
  /**
   * For blocking: leave out revoked objects (withdrawn by their producer), and indicators and
   * observables with a value on an enabled warninglist (known-benign values, such as private
   * networks or popular domains, must not be blocked).
   */
  forBlocking?: boolean
}

/** {@link visiblePages}, less what is on an enabled warninglist when the export is for blocking. */
async function* exportPages(
  db: Db,
  viewer: Viewer,
  filter: ExportFilter,
  options: PageOptions = {},
): AsyncGenerator<{ row: StixObjectRow; label: SharingLabel }[]> {
  // One matcher for the whole export: every page is judged against the same lists.
  const matcher = filter.forBlocking === true ? await openWarninglistMatcher(db) : null
  const pages = visiblePages(
    db,
    viewer,
    filter.forBlocking === true ? { ...filter, excludeRevoked: true } : filter,
    options,
  )
  for await (const listed of pages) {
    const page = await withVisibleRefsOfPage(db, viewer, listed)
    yield matcher === null || matcher.isEmpty ? page : await withoutWarninglisted(matcher, page)
  }
}

/**
 * A page less the references to what `viewer` may not see; an object that is no valid STIX without
 * them is left out (see `withVisibleRefs`).
 */
async function withVisibleRefsOfPage<T extends { row: StixObjectRow }>(
  db: Db,
  viewer: Viewer,
  page: readonly T[],
): Promise<T[]> {
  const rows = await withVisibleRefs(
    db,
    viewer,
    page.map(({ row }) => row),
    'drop',
  )
  if (rows.length === page.length && rows.every((row, i) => row === page[i]?.row)) {
    // Nothing named what the viewer may not see (the common case): the page as it was.
    return [...page]
  }
  const byKey = new Map(rows.map((row) => [versionKeyOf(row), row]))
  return page.flatMap((item) => {
    const row = byKey.get(versionKeyOf(item.row))
    return row === undefined ? [] : [{ ...item, row }]
  })
}

async function withoutWarninglisted<T extends { row: StixObjectRow }>(
  matcher: WarninglistMatcher,
  page: readonly T[],
): Promise<T[]> {
  const owners: number[] = []
  const observables: ReturnType<typeof observablesOfObject> = []
  page.forEach(({ row }, i) => {
    for (const observable of observablesOfObject(JSON.parse(row.json) as StixObject)) {
      owners.push(i)
      observables.push(observable)
    }
  })
  const hits = await matcher.matchObservables(observables)
  const listed = new Set<number>()
  hits.forEach((found, j) => {
    if (found.length > 0) {
      listed.add(owners[j] ?? -1)
    }
  })
  return page.filter((_, i) => !listed.has(i))
}

/**
 * A page less the copies of a version that another copy the viewer may see stands for. Organisations
 * that imported the same object each hold a copy of its version, perhaps under different labels; an
 * export (STIX, MISP) holds each version once, as the copy with the strictest TLP (the safer marking
 * to hand on; then the lowest owner id). The choice is the same on every page, so each version leaves
 * exactly once, wherever its copies fall in the export's order.
 */
async function oneCopyPerVersion<T extends { row: StixObjectRow; label: SharingLabel }>(
  db: Db,
  viewer: Viewer,
  filter: ObjectFilter,
  page: readonly T[],
): Promise<T[]> {
  // Most ids have one latest copy: those with more are found first from the index alone, ...
  const ids: string[] = []
  const all = [...new Set(page.map(({ row }) => row.id))]
  for (let i = 0; i < all.length; i += COPY_CHUNK) {
    const several = await db
      .selectFrom('stix_objects as s')
      .select('s.id')
      .where('s.id', 'in', all.slice(i, i + COPY_CHUNK))
      .where('s.is_latest', '=', 1)
      .groupBy('s.id')
      .having((eb) => eb.fn.countAll(), '>', 1)
      .execute()
    ids.push(...several.map((r) => r.id))
  }
  if (ids.length === 0) {
    return [...page]
  }
  // ... then their copies this export holds (the same filter): one it leaves out stands for nothing.
  const copies: Pick<StixObjectRow, 'id' | 'modified' | 'owner_org_id' | 'label_id'>[] = []
  for (let i = 0; i < ids.length; i += COPY_CHUNK) {
    copies.push(
      ...(await visibleObjects(db, viewer, filter)
        .where('s.id', 'in', ids.slice(i, i + COPY_CHUNK))
        .select(['s.id', 's.modified', 's.owner_org_id', 's.label_id'])
        .execute()),
    )
  }
  const byVersion = new Map<string, typeof copies>()
  for (const copy of copies) {
    const key = `${copy.id}\u0000${copy.modified}`
    byVersion.set(key, [...(byVersion.get(key) ?? []), copy])
  }
  if ([...byVersion.values()].every((list) => list.length === 1)) {
    return [...page]
  }
  const labels = await findLabels(
    db,
    copies.map((c) => c.label_id),
  )
  const rank = (labelId: string) => Tlp.rank(labels.get(labelId)?.tlp ?? 'red')
  return page.filter(({ row }) => {
    const list = byVersion.get(`${row.id}\u0000${row.modified}`) ?? []
    const chosen = list.reduce<(typeof list)[number] | undefined>(
      (best, copy) =>
        best === undefined ||
        rank(copy.label_id) > rank(best.label_id) ||
        (rank(copy.label_id) === rank(best.label_id) && copy.owner_org_id < best.owner_org_id)
          ? copy
          : best,
      undefined,
    )
    return chosen === undefined || chosen.owner_org_id === row.owner_org_id
  })
}

/**
 * A STIX 2.1 bundle of what `viewer` may see, streamed as text: TLP 2.0 marking definitions first,
 * then the objects with `object_marking_refs` set, each version once (`oneCopyPerVersion`).
 */
export async function* exportStixBundle(
  db: Db,
  viewer: Viewer,
  filter: ExportFilter,
): AsyncGenerator<string> {
  yield `{"type":"bundle","id":"bundle--${randomUUID()}","objects":[`
  let first = true
  const markingsSent = new Set<Tlp>()
  for await (const page of exportPages(db, viewer, filter, { oneCopyPerVersion: true })) {
    const provenance = await provenanceOfPage(db, filter, page)
    let chunk = ''
    for (const { row, label } of page) {
      if (!markingsSent.has(label.tlp)) {
        markingsSent.add(label.tlp)
        chunk += `${first ? '' : ','}${JSON.stringify(markingDefinitionForTlp(label.tlp))}`
        first = false
      }
      // A TLP 2.0 marking definition held as an object (imported with content) is the one written
      // above or below: once per bundle.
      const heldTlp = row.type === 'marking-definition' ? tlpOfMarkingRef(row.id) : null
      if (heldTlp !== null && markingDefinitionForTlp(heldTlp).id === row.id) {
        if (!markingsSent.has(heldTlp)) {
          markingsSent.add(heldTlp)
          chunk += `${first ? '' : ','}${JSON.stringify(markingDefinitionForTlp(heldTlp))}`
          first = false
        }
        continue
      }
      const object = withTlpMarking(JSON.parse(row.json) as StixObject, label.tlp)
      const origin = provenance?.get(versionKeyOf(row))
      // Objects made here leave as they were made (round trips stay exact); what came from another
      // instance says where from.
      const shown =
        origin === undefined || filter.instance === undefined || origin.hops.length === 0
          ? object
          : { ...object, [PROVENANCE_PROPERTY]: Provenance.toWire(origin, filter.instance) }
      chunk += `${first ? '' : ','}${JSON.stringify(shown)}`
      first = false
    }
    yield chunk
  }
  yield ']}'
}

function versionKeyOf(row: Pick<StixObjectRow, 'id' | 'owner_org_id' | 'modified'>): string {
  return versionKeyText({ id: row.id, ownerOrgId: row.owner_org_id, modified: row.modified })
}

/** The provenance of a page's objects, when the export shows it. */
async function provenanceOfPage(
  db: Db,
  filter: ExportFilter,
  page: readonly { row: StixObjectRow }[],
): Promise<Map<string, Provenance> | null> {
  if (filter.instance === undefined) {
    return null
  }
  return findProvenance(
    db,
    filter.instance,
    page.map(({ row }) => ({ id: row.id, ownerOrgId: row.owner_org_id, modified: row.modified })),
  )
}

const CSV_COLUMNS = [
  'id',
  'type',
  'name',
  'value',
  'pattern',
  'created',
  'modified',
  'valid_until',
  'tlp',
  'owner_org',
  'source',
  'revoked',
]

/** Columns a CSV export adds when it shows provenance: names, and the route `A → B`. */
const CSV_PROVENANCE_COLUMNS = ['origin_instance', 'origin_org', 'hops']

function csvCell(value: unknown): string {
  if (value === null || value === undefined) {
    return ''
  }
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  // Quote always when needed; neutralise spreadsheet formulas (CSV injection).
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

/** A CSV of what `viewer` may see: one line per object, streamed. */
export async function* exportCsv(db: Db, viewer: Viewer, filter: ExportFilter): AsyncGenerator<string> {
  const columns = filter.instance === undefined ? CSV_COLUMNS : [...CSV_COLUMNS, ...CSV_PROVENANCE_COLUMNS]
  yield `${columns.join(',')}\r\n`
  for await (const page of exportPages(db, viewer, filter)) {
    const provenance = await provenanceOfPage(db, filter, page)
    let chunk = ''
    for (const { row, label } of page) {
      const object = JSON.parse(row.json) as StixObject
      const origin = provenance?.get(versionKeyOf(row))
      const provenanceCells =
        origin === undefined
          ? []
          : [origin.originInstance.name, origin.originOrg, Provenance.describe(origin)]
      chunk +=
        [
          row.id,
          row.type,
          object.name,
          object.value,
          object.pattern,
          row.created,
          row.modified === '' ? null : row.modified,
          row.valid_until,
          label.tlp,
          row.owner_org_id,
          row.source,
          row.revoked === 1,
          ...provenanceCells,
        ]
          .map(csvCell)
          .join(',') + '\r\n'
    }
    yield chunk
  }
}

/**
 * MISP machine tags that say where an object came from: the instance and organisation that made
 * it, and its route to `self` (`liaison:route="Alpha → Bravo"`). Double quotes in names become
 * single ones (a machine tag's value is quoted).
 */
export function mispProvenanceTags(provenance: Provenance, self: InstanceRef): string[] {
  const quoted = (text: string) => `"${text.replace(/"/g, "'")}"`
  const wire = Provenance.toWire(provenance, self) as { hops: InstanceRef[] }
  return [
    `liaison:origin-instance=${quoted(provenance.originInstance.name)}`,
    `liaison:origin-org=${quoted(provenance.originOrg)}`,
    `liaison:route=${quoted(wire.hops.map((h) => h.name).join(' → '))}`,
  ]
}

/** At most this many objects go into one MISP export (MISP events are built in memory). */
export const MISP_EXPORT_LIMIT = 500_000

/**
 * MISP events of what `viewer` may see, as `{"response":[{"Event":…},…]}`: one event per report or
 * grouping (with the objects it references), and one more event for objects in no report. Each
 * event's `tlp:` tag and distribution come from the strictest label of its objects.
 */
export async function* exportMispEvents(
  db: Db,
  viewer: Viewer,
  filter: ExportFilter,
): AsyncGenerator<string> {
  if (filter.allVersions === true) {
    throw badInput('versions', 'MISP has no versions: versions=all is for STIX and CSV exports')
  }
  const objects = new Map<string, { object: StixObject; label: SharingLabel }>()
  // What came from another instance says where from, as tags of what it becomes.
  const provenanceTags = new Map<string, string[]>()
  for await (const page of exportPages(db, viewer, filter, { oneCopyPerVersion: true })) {
    const provenance = await provenanceOfPage(db, filter, page)
    for (const { row, label } of page) {
      if (!objects.has(row.id)) {
        objects.set(row.id, {
          object: withLabelTlpForMisp(JSON.parse(row.json) as StixObject, label.tlp),
          label,
        })
        const origin = provenance?.get(versionKeyOf(row))
        if (origin !== undefined && origin.hops.length > 0 && filter.instance !== undefined) {
          provenanceTags.set(row.id, mispProvenanceTags(origin, filter.instance))
        }
      }
      if (objects.size > MISP_EXPORT_LIMIT) {
        throw new LiaisonError(
          400,
          'validation_failed',
          `the MISP export would hold more than ${MISP_EXPORT_LIMIT} objects: narrow it with filters`,
          { field: 'format' },
        )
      }
    }
  }
  yield '{"response":['
  const inReports = new Set<string>()
  let first = true
  const emit = (members: { object: StixObject; label: SharingLabel }[], reportId?: string): string => {
    const tlp = members.reduce<Tlp>(
      (t, m) => (Tlp.rank(m.label.tlp) > Tlp.rank(t) ? m.label.tlp : t),
      'clear',
    )
    const audience = members.reduce<Audience>(
      (a, m) => (Audience.breadth(m.label.audience) < Audience.breadth(a) ? m.label.audience : a),
      'public',
    )
    const pap = members.reduce<Pap>(
      (p, m) => (Pap.rank(m.label.pap) > Pap.rank(p) ? m.label.pap : p),
      'clear',
    )
    const { event } = stixToMispEvent(
      members.map((m) => m.object),
      {
        ...(reportId === undefined ? {} : { reportId }),
        tlp,
        pap,
        audience,
        extraTags: (object) => provenanceTags.get(object.id) ?? [],
      },
    )
    const text = `${first ? '' : ','}${JSON.stringify(toMispJson(event))}`
    first = false
    return text
  }
  for (const entry of objects.values()) {
    const object = entry.object
    if (object.type !== 'report' && object.type !== 'grouping') {
      continue
    }
    const refs = Array.isArray(object.object_refs) ? object.object_refs : []
    const members = [entry]
    const listed = new Set<string>([object.id])
    for (const ref of refs) {
      const member = typeof ref === 'string' ? objects.get(ref) : undefined
      if (member !== undefined && !listed.has(member.object.id)) {
        members.push(member)
        listed.add(member.object.id)
        inReports.add(ref as string)
      }
    }
    // The identities the event's objects name (its creator, who sighted what): MISP names them
    // (Orgc, a sighting's Organisation), and an event without them comes back nameless.
    for (const member of [...members]) {
      for (const id of namedIdentities(member.object)) {
        const identity = objects.get(id)
        if (identity !== undefined && identity.object.type === 'identity' && !listed.has(id)) {
          members.push(identity)
          listed.add(id)
          inReports.add(id)
        }
      }
    }
    inReports.add(object.id)
    yield emit(members, object.id)
  }
  const rest = [...objects.values()].filter((e) => !inReports.has(e.object.id))
  // Identities and marking definitions alone make no MISP event (it would hold nothing but its name).
  if (rest.some((e) => e.object.type !== 'identity' && e.object.type !== 'marking-definition')) {
    yield emit(rest)
  }
  yield ']}'
}
