import { sql } from 'kysely'
import type { Viewer } from '../../../core/trust/label.js'
import type { Db, Trx } from '../../store/store.js'
import { visibleLabelIds } from '../trust/trust.sql.js'
import type { IntelReleaseRow } from './release.table.js'

/** Filters of the release list. */
export interface ReleaseFilter {
  /** Only releases in this state. */
  status?: string
}

/**
 * The releases `viewer` may see: those whose held (organisation-only) label the visibility rule lets
 * them see, which is exactly the members of the owner organisation. The organisation is also named,
 * so the intent reads in the query too.
 */
function visibleReleases(db: Db | Trx, viewer: Viewer, filter: ReleaseFilter) {
  let query = db
    .selectFrom('intel_releases')
    .where('held_label_id', 'in', visibleLabelIds(db, viewer))
    .where('org_id', '=', viewer.kind === 'user' ? viewer.orgId : '')
  if (filter.status !== undefined) {
    query = query.where('status', '=', filter.status)
  }
  return query
}

/** Inserts a release. */
export async function insertRelease(trx: Trx, row: IntelReleaseRow): Promise<void> {
  await trx.insertInto('intel_releases').values(row).execute()
}

/** One page of the releases `viewer` may see, newest first, with the total. */
export async function findVisibleReleases(
  db: Db,
  viewer: Viewer,
  filter: ReleaseFilter & { limit: number; offset: number },
): Promise<{ rows: IntelReleaseRow[]; total: number }> {
  const [rows, count] = await Promise.all([
    visibleReleases(db, viewer, filter)
      .selectAll()
      .orderBy('requested_at', 'desc')
      .orderBy('id')
      .limit(filter.limit)
      .offset(filter.offset)
      .execute(),
    visibleReleases(db, viewer, filter)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
  ])
  return { rows, total: Number(count.n) }
}

/** One release if `viewer` may see it. */
export async function findVisibleRelease(
  db: Db | Trx,
  viewer: Viewer,
  id: string,
): Promise<IntelReleaseRow | undefined> {
  return visibleReleases(db, viewer, {}).selectAll().where('id', '=', id).executeTakeFirst()
}

/**
 * Decides a release that is still pending; false when it was decided meanwhile. The conditional
 * update is the lock: of two concurrent deciders exactly one changes the row.
 */
export async function decidePendingRelease(
  trx: Trx,
  id: string,
  decision: Pick<IntelReleaseRow, 'status' | 'decided_by' | 'decided_at' | 'reason'>,
): Promise<boolean> {
  const result = await trx
    .updateTable('intel_releases')
    .set(decision)
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** Records how many stored object versions an approval relabelled. */
export async function setReleaseObjectCount(trx: Trx, id: string, count: number): Promise<void> {
  await trx.updateTable('intel_releases').set({ object_count: count }).where('id', '=', id).execute()
}

/** Which rows of one import and owner under one label {@link relabelImportedObjects} moves. */
export interface ImportedUnderLabel {
  readonly importId: string
  readonly ownerOrgId: string
  readonly fromLabelId: string
}

/** The versions (id, modified) of one import and owner under one label, in date-added order. */
export async function findImportedVersions(
  trx: Trx,
  key: ImportedUnderLabel,
): Promise<{ id: string; modified: string }[]> {
  return trx
    .selectFrom('stix_objects')
    .select(['id', 'modified'])
    .where('label_id', '=', key.fromLabelId)
    .where('import_id', '=', key.importId)
    .where('owner_org_id', '=', key.ownerOrgId)
    .orderBy('added_at')
    .orderBy('id')
    .orderBy('modified')
    .execute()
}

/** Rows per UPDATE … FROM (VALUES …): three bound parameters each, well under both stores' limits. */
const RELABEL_CHUNK = 500

/**
 * Moves some stored versions of one import and owner from one label to another, each as added at its
 * own instant (`addedAt(i)` for the i-th of `versions`: they reach their audience now, so readers by
 * date added, TAXII clients and federation peers, get them after what they already read, and no two
 * share an instant); returns how many rows moved.
 */
export async function relabelImportedObjects(
  trx: Trx,
  key: ImportedUnderLabel & { toLabelId: string },
  versions: readonly { id: string; modified: string }[],
  addedAt: (index: number) => string,
): Promise<number> {
  let moved = 0
  for (let start = 0; start < versions.length; start += RELABEL_CHUNK) {
    const rows = versions
      .slice(start, start + RELABEL_CHUNK)
      .map((v, i) => sql`(${v.id}, ${v.modified}, ${addedAt(start + i)})`)
    // VALUES columns are column1, column2, … on both stores.
    const result = await sql`
      update stix_objects set label_id = ${key.toLabelId}, added_at = v.column3
      from (values ${sql.join(rows)}) as v
      where stix_objects.id = v.column1 and stix_objects.modified = v.column2
        and stix_objects.owner_org_id = ${key.ownerOrgId} and stix_objects.label_id = ${key.fromLabelId}
        and stix_objects.import_id = ${key.importId}
    `.execute(trx)
    moved += Number(result.numAffectedRows ?? 0)
  }
  return moved
}
