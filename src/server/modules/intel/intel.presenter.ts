import type { Static } from 'typebox'
import type { SharingLabel } from '../../../core/trust/label.js'
import type { SharingLabelSchema } from '../../../core/trust/label.schema.js'
import type { StixObjectRow } from './intel.table.js'

/** A stored object as the API returns it: the STIX object itself, and Liaison's record of it. */
export interface StoredObjectWire {
  object: Record<string, unknown>
  label: Static<typeof SharingLabelSchema>
  ownerOrgId: string
  source: string | null
  addedAt: string
  /** True for an indicator whose `valid_until` has passed. */
  expired: boolean
}

/** The only way a stored STIX object leaves as JSON. */
export function presentStoredObject(row: StixObjectRow, label: SharingLabel, now: string): StoredObjectWire {
  return {
    object: JSON.parse(row.json) as Record<string, unknown>,
    label: { ...label, sharingGroups: [...label.sharingGroups], recipients: [...label.recipients] },
    ownerOrgId: row.owner_org_id,
    source: row.source,
    addedAt: row.added_at,
    expired: row.valid_until !== null && row.valid_until <= now,
  }
}
