import { addReferencedIds, withoutHiddenRefs } from '../../../core/stix/refs.js'
import type { StixObject } from '../../../core/stix/stix.js'
import type { Viewer } from '../../../core/trust/label.js'
import type { Db } from '../../store/store.js'
import { findHiddenIds } from './intel.query.js'

/**
 * What to do with an object that breaks a STIX rule once the references `viewer` may not see are
 * removed (a report with no member left): `keep` it as it is left (Liaison's own API shows the
 * record), or `drop` it (exports, TAXII and federation hand on valid STIX only).
 */
export type IncompleteObjects = 'keep' | 'drop'

/**
 * `rows` as `viewer` may see them: the references of each object's JSON to objects `viewer` may
 * not see removed (see `core/stix/refs.ts`); rows without JSON pass unchanged. One look-up per
 * 2,000 ids referenced by the page; a page that references nothing costs none.
 */
export async function withVisibleRefs<T extends { id: string; json?: string | undefined }>(
  db: Db,
  viewer: Viewer,
  rows: readonly T[],
  incomplete: IncompleteObjects,
): Promise<T[]> {
  const named = new Set<string>()
  for (const row of rows) {
    if (row.json !== undefined) {
      addReferencedIds(row.json, row.id, named)
    }
  }
  if (named.size === 0) {
    return [...rows]
  }
  const hidden = await findHiddenIds(db, viewer, named)
  if (hidden.size === 0) {
    return [...rows]
  }
  const out: T[] = []
  for (const row of rows) {
    if (row.json === undefined || !namesAny(row.json, row.id, hidden)) {
      out.push(row)
      continue
    }
    const redaction = withoutHiddenRefs(JSON.parse(row.json) as StixObject, hidden)
    if (redaction.removed === 0) {
      out.push(row)
    } else if (redaction.valid || incomplete === 'keep') {
      out.push({ ...row, json: JSON.stringify(redaction.object) })
    }
  }
  return out
}

function namesAny(json: string, ownId: string, ids: ReadonlySet<string>): boolean {
  const named = new Set<string>()
  addReferencedIds(json, ownId, named)
  for (const id of named) {
    if (ids.has(id)) {
      return true
    }
  }
  return false
}
