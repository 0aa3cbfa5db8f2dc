import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely'
import { expiryOf, retentionCutoff, type Expiry } from '../../../core/intel/expiry.js'
import type { Database } from '../../store/database.js'
import type { Db } from '../../store/store.js'
import { intelSettingsOf, listRetentionPeriods } from '../org/org.service.js'
import type { StixObjectRow, StixObjectTable } from './intel.table.js'

/**
 * What "expired" means at one instant: `now`, and for every retention period some organisation has
 * set, the instant before which a change is older than that period. Load it with {@link loadExpiryRule}.
 */
export interface ExpiryRule {
  /** The current instant (ISO 8601, UTC). */
  readonly now: string
  /** One entry per distinct retention period in use. */
  readonly periods: readonly { readonly days: number; readonly cutoff: string }[]
}

/** The expiry rule at `now`: reads the (few) distinct retention periods organisations have set. */
export async function loadExpiryRule(db: Db, now: string): Promise<ExpiryRule> {
  const days = await listRetentionPeriods(db)
  return { now, periods: days.map((d) => ({ days: d, cutoff: retentionCutoff(now, d) })) }
}

/** Compares after every real timestamp, so an object without any time never expires by retention. */
const NEVER = '9999-12-31T23:59:59.999Z'

/**
 * The SQL twin of `expiryOf` (src/core/intel/expiry.ts) on `stix_objects as s`: true exactly for the
 * rows that have expired under `rule`; never NULL, so `not(...)` keeps every row that has not.
 *
 * @example
 * db.selectFrom('stix_objects as s').selectAll('s').where((eb) => eb.not(expiredCondition(eb, rule)))
 */
export function expiredCondition(
  eb: ExpressionBuilder<Database & { s: StixObjectTable }, 's'>,
  rule: ExpiryRule,
): Expression<SqlBool> {
  // 1. valid_until at or before now.
  const passed = eb.and([eb('s.valid_until', 'is not', null), eb('s.valid_until', '<=', rule.now)])
  if (rule.periods.length === 0) {
    return passed
  }
  // 3. Indicators without valid_until, unchanged for longer than their owner's retention period.
  const changed = sql<string>`coalesce(nullif(${eb.ref('s.modified')}, ''), ${eb.ref('s.created')}, ${NEVER})`
  const retained = eb.and([
    eb('s.type', '=', 'indicator'),
    eb('s.valid_until', 'is', null),
    eb.or(
      rule.periods.map((period) =>
        eb.and([
          eb(
            's.owner_org_id',
            'in',
            eb
              .selectFrom('organisations')
              .select('organisations.id')
              .where('organisations.intel_retention_days', '=', period.days),
          ),
          eb(changed, '<', period.cutoff),
        ]),
      ),
    ),
  ])
  return eb.or([passed, retained])
}

/**
 * Why each row has expired at `now` (null: it has not), judged by `expiryOf` with its owner's
 * retention period; aligned with `rows`.
 */
export async function expiryOfRows(
  db: Db,
  rows: readonly Pick<StixObjectRow, 'type' | 'valid_until' | 'modified' | 'created' | 'owner_org_id'>[],
  now: string,
): Promise<(Expiry | null)[]> {
  const owners = rows
    .filter((r) => r.type === 'indicator' && r.valid_until === null)
    .map((r) => r.owner_org_id)
  const settings = await intelSettingsOf(db, owners)
  return rows.map((row) =>
    expiryOf(
      { type: row.type, validUntil: row.valid_until, modified: row.modified, created: row.created },
      settings.get(row.owner_org_id)?.intelRetentionDays ?? null,
      now,
    ),
  )
}
