import type { ExpressionBuilder, SelectQueryBuilder } from 'kysely'
import type { Viewer } from '../../../core/trust/label.js'
import type { Database } from '../../store/database.js'
import type { Db, Trx } from '../../store/store.js'

/**
 * The SQL twin of `canSee` (src/core/trust/label.ts): the ids of every label `viewer` may see, as a
 * subquery. Same numbered steps, same order; a property test checks that both agree on both stores.
 * Labels are few (one row per distinct label), so this stays cheap however many records use them.
 *
 * @example
 * db.selectFrom('documents').where('label_id', 'in', visibleLabelIds(db, viewer))
 */
export function visibleLabelIds(
  db: Db | Trx,
  viewer: Viewer,
): SelectQueryBuilder<Database, 'labels', { id: string }> {
  const labels = db.selectFrom('labels').select('labels.id')
  // 1. Public records are for anyone. 2. Everything else needs a logged-in user.
  if (viewer.kind !== 'user') {
    return labels.where('labels.audience', '=', 'public')
  }
  return labels.where((eb) => {
    const visible = [
      eb('labels.audience', '=', 'public'),
      // 3. The owner organisation always sees its own records.
      eb('labels.owner_org_id', '=', viewer.orgId),
      // 4. TLP:RED goes to the named individuals and nobody else.
      eb.and([
        eb('labels.tlp', '=', 'red'),
        eb.exists(
          eb
            .selectFrom('label_recipients as r')
            .select('r.label_id')
            .whereRef('r.label_id', '=', 'labels.id')
            .where('r.user_id', '=', viewer.userId),
        ),
      ]),
      // 7. Community (and federation) records reach every organisation on this instance.
      eb.and([eb('labels.tlp', '!=', 'red'), eb('labels.audience', 'in', ['community', 'federation'])]),
    ]
    // 5. Organisation-only records stay with the owner (no clause). 6. Group records reach the members.
    if (viewer.groupIds.length > 0) {
      visible.push(
        eb.and([
          eb('labels.tlp', '!=', 'red'),
          eb('labels.audience', '=', 'group'),
          eb.exists(groupMatch(eb, viewer.groupIds)),
        ]),
      )
    }
    return eb.or(visible)
  })
}

function groupMatch(eb: ExpressionBuilder<Database, 'labels'>, groupIds: readonly string[]) {
  return eb
    .selectFrom('label_groups as g')
    .select('g.label_id')
    .whereRef('g.label_id', '=', 'labels.id')
    .where('g.group_id', 'in', groupIds)
}
