import type { ExpressionBuilder, SelectQueryBuilder } from 'kysely'
import type { Audience, Viewer } from '../../../core/trust/label.js'
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
      // 4. TLP:RED goes to the named individuals and nobody else, and never to a peer's user.
      ...(viewer.peer === true
        ? []
        : [
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
          ]),
      // 7. Community records reach every organisation of this instance, federation records its peers
      //    too; an organisation that stands for a peer instance is not of this community.
      eb.and([
        eb('labels.tlp', '!=', 'red'),
        eb('labels.audience', 'in', viewer.peer === true ? ['federation'] : ['community', 'federation']),
      ]),
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

/** A view of labelled records by label: one audience, and for `group` one sharing group. */
export interface LabelScope {
  readonly audience: Audience
  /** Set exactly when `audience` is `group`: labels that name this group. */
  readonly sharingGroupId: string | null
}

/**
 * {@link visibleLabelIds} narrowed to a scope (a TAXII collection): the ids of the labels `viewer`
 * may see that have the scope's audience (and name its sharing group). The visibility rule is the
 * one above; the scope only narrows it.
 *
 * @example
 * db.selectFrom('stix_objects').where('label_id', 'in', visibleLabelIdsInScope(db, viewer, scope))
 */
export function visibleLabelIdsInScope(
  db: Db | Trx,
  viewer: Viewer,
  scope: LabelScope,
): SelectQueryBuilder<Database, 'labels', { id: string }> {
  const labels = visibleLabelIds(db, viewer).where('labels.audience', '=', scope.audience)
  const groupId = scope.sharingGroupId
  if (groupId === null) {
    return labels
  }
  return labels.where((eb) =>
    eb.exists(
      eb
        .selectFrom('label_groups as sg')
        .select('sg.label_id')
        .whereRef('sg.label_id', '=', 'labels.id')
        .where('sg.group_id', '=', groupId),
    ),
  )
}
