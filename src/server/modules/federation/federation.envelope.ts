import { PROVENANCE_PROPERTY, Provenance } from '../../../core/federation/provenance.js'
import type { Config } from '../../config.js'
import type { Db } from '../../store/store.js'
import { findProvenance, versionKeyText } from '../intel/intel.provenance.js'
import { thisInstance } from './federation.service.js'

/** The request header by which a client asks TAXII answers to carry provenance (`1`). */
export const PROVENANCE_HEADER = 'x-liaison-provenance'

/**
 * Stored object versions (as a TAXII page holds them) with `x_liaison_provenance` added to their
 * JSON: where each came from and the instances it passed through, this one last. Liaison peers ask
 * for it (header {@link PROVENANCE_HEADER}) to record provenance and stop loops; other clients get
 * objects as they were stored.
 */
export async function withProvenance<
  T extends {
    readonly id: string
    readonly owner_org_id: string
    readonly modified: string
    readonly json?: string
  },
>(db: Db, config: Pick<Config, 'instanceName'>, items: readonly T[]): Promise<T[]> {
  if (items.length === 0) {
    return []
  }
  const self = await thisInstance(db, config)
  const keys = items.map((r) => ({ id: r.id, ownerOrgId: r.owner_org_id, modified: r.modified }))
  const found = await findProvenance(db, self, keys)
  return items.map((row) => {
    const provenance = found.get(
      versionKeyText({ id: row.id, ownerOrgId: row.owner_org_id, modified: row.modified }),
    )
    const json = row.json
    if (provenance === undefined || json === undefined || !json.endsWith('}') || json.length < 3) {
      return row
    }
    const wire = Provenance.toWire(provenance, self)
    if (json.includes(`"${PROVENANCE_PROPERTY}"`)) {
      const object = JSON.parse(json) as Record<string, unknown>
      return { ...row, json: JSON.stringify({ ...object, [PROVENANCE_PROPERTY]: wire }) }
    }
    // Stored JSON is one object as JSON.stringify wrote it: the property goes in before its closing brace.
    return { ...row, json: `${json.slice(0, -1)},"${PROVENANCE_PROPERTY}":${JSON.stringify(wire)}}` }
  })
}
