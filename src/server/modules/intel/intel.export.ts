import { randomUUID } from 'node:crypto'
import { markingDefinitionForTlp, tlpOfMarkingRef, type StixObject } from '../../../core/stix/stix.js'
import type { SharingLabel, Tlp, Viewer } from '../../../core/trust/label.js'
import type { Db } from '../../store/store.js'
import { findLabels } from '../trust/label.repository.js'
import { visibleObjects, type ObjectFilter } from './intel.query.js'
import type { StixObjectRow } from './intel.table.js'

/** Export formats. */
export const EXPORT_FORMATS = ['stix', 'csv'] as const
/** One of {@link EXPORT_FORMATS}. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

const PAGE = 1000

/**
 * Every latest version `viewer` may see that matches the filter, page by page (keyset order by
 * added time, id, owner), with its label. Memory stays flat however large the store is.
 */
export async function* visiblePages(
  db: Db,
  viewer: Viewer,
  filter: ObjectFilter,
): AsyncGenerator<{ row: StixObjectRow; label: SharingLabel }[]> {
  let after: { added_at: string; id: string; owner_org_id: string } | null = null
  for (;;) {
    let query = visibleObjects(db, viewer, filter).selectAll('s')
    if (after !== null) {
      const a: { added_at: string; id: string; owner_org_id: string } = after
      query = query.where((eb) =>
        eb.or([
          eb('s.added_at', '>', a.added_at),
          eb.and([eb('s.added_at', '=', a.added_at), eb('s.id', '>', a.id)]),
          eb.and([
            eb('s.added_at', '=', a.added_at),
            eb('s.id', '=', a.id),
            eb('s.owner_org_id', '>', a.owner_org_id),
          ]),
        ]),
      )
    }
    const rows = await query
      .orderBy('s.added_at')
      .orderBy('s.id')
      .orderBy('s.owner_org_id')
      .limit(PAGE)
      .execute()
    if (rows.length === 0) {
      return
    }
    const labels = await findLabels(
      db,
      rows.map((r) => r.label_id),
    )
    yield rows.flatMap((row) => {
      const label = labels.get(row.label_id)
      return label === undefined ? [] : [{ row, label }]
    })
    const last = rows[rows.length - 1]
    if (last === undefined || rows.length < PAGE) {
      return
    }
    after = { added_at: last.added_at, id: last.id, owner_org_id: last.owner_org_id }
  }
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

/**
 * A STIX 2.1 bundle of what `viewer` may see, streamed as text: TLP 2.0 marking definitions first,
 * then the objects with `object_marking_refs` set.
 */
export async function* exportStixBundle(
  db: Db,
  viewer: Viewer,
  filter: ObjectFilter,
): AsyncGenerator<string> {
  yield `{"type":"bundle","id":"bundle--${randomUUID()}","objects":[`
  let first = true
  const markingsSent = new Set<Tlp>()
  for await (const page of visiblePages(db, viewer, filter)) {
    let chunk = ''
    for (const { row, label } of page) {
      if (!markingsSent.has(label.tlp)) {
        markingsSent.add(label.tlp)
        chunk += `${first ? '' : ','}${JSON.stringify(markingDefinitionForTlp(label.tlp))}`
        first = false
      }
      const object = JSON.parse(row.json) as StixObject
      chunk += `${first ? '' : ','}${JSON.stringify(withTlpMarking(object, label.tlp))}`
      first = false
    }
    yield chunk
  }
  yield ']}'
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
]

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
export async function* exportCsv(db: Db, viewer: Viewer, filter: ObjectFilter): AsyncGenerator<string> {
  yield `${CSV_COLUMNS.join(',')}\r\n`
  for await (const page of visiblePages(db, viewer, filter)) {
    let chunk = ''
    for (const { row, label } of page) {
      const object = JSON.parse(row.json) as StixObject
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
        ]
          .map(csvCell)
          .join(',') + '\r\n'
    }
    yield chunk
  }
}
