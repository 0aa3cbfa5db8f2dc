import type { StixObject } from '../../../core/stix/stix.js'
import { rawSqliteOf, type Db } from '../../store/store.js'
import { recordAudit, type AuditActor } from '../audit/audit.service.js'
import { indexRowsOf } from './intel.prepare.js'
import { replaceIndex } from './intel.repository.js'

/** Latest versions rebuilt per transaction by {@link reindexObjects}. */
export const REINDEX_PAGE = 5000

/** What {@link reindexObjects} did. */
export interface ReindexSummary {
  /** Latest versions whose index was rebuilt. */
  objects: number
  /** Observable rows and reference rows they have now. */
  observables: number
  references: number
}

/**
 * Rebuilds the observable index and the references of every latest version (of some types, when
 * given) from its stored JSON, as an import builds them: after an upgrade that indexes more (MISP
 * objects without STIX mapping, say), what was stored before correlates as what is stored now. One
 * transaction per {@link REINDEX_PAGE} versions (in owner and id order), so reads go on meanwhile and
 * an interrupted run leaves every page either rebuilt or as it was; run again, it rebuilds all.
 * Audited once (`intel.reindexed`, with the counts).
 */
export async function reindexObjects(
  db: Db,
  actor: AuditActor,
  options: { types?: readonly string[]; onProgress?: (done: number) => void } = {},
  now = (): Date => new Date(),
): Promise<ReindexSummary> {
  const summary: ReindexSummary = { objects: 0, observables: 0, references: 0 }
  const sqlite = rawSqliteOf(db)
  let after: { ownerOrgId: string; id: string } | null = null
  for (;;) {
    let query = db
      .selectFrom('stix_objects as s')
      .select(['s.id', 's.owner_org_id', 's.json'])
      .where('s.is_latest', '=', 1)
    if (options.types !== undefined && options.types.length > 0) {
      query = query.where('s.type', 'in', [...options.types])
    }
    if (after !== null) {
      const a: { ownerOrgId: string; id: string } = after
      query = query.where((eb) =>
        eb.or([
          eb('s.owner_org_id', '>', a.ownerOrgId),
          eb.and([eb('s.owner_org_id', '=', a.ownerOrgId), eb('s.id', '>', a.id)]),
        ]),
      )
    }
    const rows = await query.orderBy('s.owner_org_id').orderBy('s.id').limit(REINDEX_PAGE).execute()
    const last = rows[rows.length - 1]
    if (last === undefined) {
      break
    }
    const byOwner = new Map<string, typeof rows>()
    for (const row of rows) {
      byOwner.set(row.owner_org_id, [...(byOwner.get(row.owner_org_id) ?? []), row])
    }
    await db.transaction().execute(async (trx) => {
      for (const [ownerOrgId, owned] of byOwner) {
        const { observables, refs } = indexRowsOf(
          owned.map((row) => JSON.parse(row.json) as StixObject),
          ownerOrgId,
        )
        await replaceIndex(
          trx,
          ownerOrgId,
          owned.map((row) => row.id),
          observables,
          refs,
          sqlite,
        )
        summary.observables += observables.length
        summary.references += refs.length
      }
    })
    summary.objects += rows.length
    options.onProgress?.(summary.objects)
    after = { ownerOrgId: last.owner_org_id, id: last.id }
    if (rows.length < REINDEX_PAGE) {
      break
    }
  }
  await db.transaction().execute((trx) =>
    recordAudit(
      trx,
      actor,
      {
        action: 'intel.reindexed',
        targetType: 'stix_object',
        targetId: null,
        details: { ...summary, types: options.types === undefined ? null : [...options.types] },
      },
      now(),
    ),
  )
  return summary
}
