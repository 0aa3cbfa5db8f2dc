import type { Static } from 'typebox'
import type { Expiry } from '../../../core/intel/expiry.js'
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
  /** True when it has expired: its `valid_until` has passed, or (an indicator) its owner's retention period. */
  expired: boolean
}

/** Why an object has expired, as the API says it. */
export interface ExpiryWire {
  reason: 'valid_until' | 'retention'
  /** When it expired. */
  at: string
  /** The owner's retention period, for `retention`. */
  retentionDays: number | null
}

/** The only way an expiry leaves as JSON. */
export function presentExpiry(expiry: Expiry): ExpiryWire {
  return {
    reason: expiry.reason,
    at: expiry.at,
    retentionDays: expiry.reason === 'retention' ? expiry.days : null,
  }
}

/** The only way a stored STIX object leaves as JSON; `expiry` from `expiryOfRows`. */
export function presentStoredObject(
  row: StixObjectRow,
  label: SharingLabel,
  expiry: Expiry | null,
): StoredObjectWire {
  return {
    object: JSON.parse(row.json) as Record<string, unknown>,
    label: { ...label, sharingGroups: [...label.sharingGroups], recipients: [...label.recipients] },
    ownerOrgId: row.owner_org_id,
    source: row.source,
    addedAt: row.added_at,
    expired: expiry !== null,
  }
}
