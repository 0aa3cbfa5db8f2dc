import { RELEASE_STATUSES, type ReleaseWire } from '../../../core/intel/release.schema.js'
import type { SharingLabel } from '../../../core/trust/label.js'
import type { LabelledRelease } from './release.service.js'

function labelWire(label: SharingLabel): ReleaseWire['requestedLabel'] {
  return { ...label, sharingGroups: [...label.sharingGroups], recipients: [...label.recipients] }
}

/** The only way a release leaves as JSON. */
export function presentRelease({ row, held, requested }: LabelledRelease): ReleaseWire {
  return {
    id: row.id,
    orgId: row.org_id,
    importId: row.import_id,
    status: RELEASE_STATUSES.find((s) => s === row.status) ?? 'pending',
    source: row.source,
    requestedLabel: labelWire(requested),
    heldLabel: labelWire(held),
    requestedBy: row.requested_by,
    requestedAt: row.requested_at,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at,
    reason: row.reason,
    objectCount: row.object_count === null ? null : Number(row.object_count),
  }
}
