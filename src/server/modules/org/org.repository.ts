import type { Db, Trx } from '../../store/store.js'
import type { NewOrganisationRow, OrganisationRow, OrganisationRowUpdate } from './org.table.js'

/** Inserts an organisation. */
export async function insertOrganisation(db: Db | Trx, row: NewOrganisationRow): Promise<void> {
  await db.insertInto('organisations').values(row).execute()
}

/** One organisation by id, or undefined. */
export async function findOrganisationById(db: Db | Trx, id: string): Promise<OrganisationRow | undefined> {
  return db.selectFrom('organisations').selectAll().where('id', '=', id).executeTakeFirst()
}

/** One organisation by its name, compared without case. */
export async function findOrganisationByName(
  db: Db | Trx,
  name: string,
): Promise<OrganisationRow | undefined> {
  return db
    .selectFrom('organisations')
    .selectAll()
    .where('name_key', '=', name.trim().toLowerCase())
    .executeTakeFirst()
}

/** The organisation that runs this instance, if it exists yet. */
export async function findInstanceOrganisation(db: Db | Trx): Promise<OrganisationRow | undefined> {
  return db.selectFrom('organisations').selectAll().where('is_instance_owner', '=', 1).executeTakeFirst()
}

/** Organisations ordered by name, one page. */
export async function findOrganisations(
  db: Db,
  page: { limit: number; offset: number },
): Promise<{ rows: OrganisationRow[]; total: number }> {
  const rows = await db
    .selectFrom('organisations')
    .selectAll()
    .orderBy('name_key')
    .limit(page.limit)
    .offset(page.offset)
    .execute()
  const count = await db
    .selectFrom('organisations')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return { rows, total: Number(count.n) }
}

/** Applies a change to one organisation. */
export async function updateOrganisationRow(
  db: Trx,
  id: string,
  change: OrganisationRowUpdate,
): Promise<void> {
  await db.updateTable('organisations').set(change).where('id', '=', id).execute()
}

/** The intelligence settings columns of some organisations. */
export async function findIntelSettings(
  db: Db | Trx,
  ids: readonly string[],
): Promise<Pick<OrganisationRow, 'id' | 'four_eyes_release' | 'intel_retention_days'>[]> {
  const unique = [...new Set(ids)]
  if (unique.length === 0) {
    return []
  }
  return db
    .selectFrom('organisations')
    .select(['id', 'four_eyes_release', 'intel_retention_days'])
    .where('id', 'in', unique)
    .execute()
}

/** The distinct retention periods (days) organisations have set. */
export async function findRetentionPeriods(db: Db | Trx): Promise<number[]> {
  const rows = await db
    .selectFrom('organisations')
    .select('intel_retention_days')
    .distinct()
    .where('intel_retention_days', 'is not', null)
    .execute()
  return rows.flatMap((r) => (r.intel_retention_days === null ? [] : [Number(r.intel_retention_days)]))
}
