import type { Selectable } from 'kysely'

/**
 * `intel_releases`: imports held for four-eyes release. The import's objects wait under an
 * organisation-only label until a second member approves the label that was asked for.
 */
export interface IntelReleaseTable {
  id: string
  /** Organisation that owns the import (and whose members decide). */
  org_id: string
  /** The import whose stored objects the release relabels; one release per import. */
  import_id: string
  /** Organisation-only label the objects wait under (same TLP and PAP as asked). */
  held_label_id: string
  /** Label the importer asked for. */
  requested_label_id: string
  /** Where the content came from, as the import recorded it. */
  source: string | null
  /** User who asked; null when a CLI operator imported without naming a user. */
  requested_by: string | null
  requested_at: string
  /** `pending`, `approved` or `rejected`. */
  status: string
  decided_by: string | null
  decided_at: string | null
  /** Why it was approved or rejected, when the decider said. */
  reason: string | null
  /** Stored object versions relabelled by the approval. */
  object_count: number | null
}

/** A row read from `intel_releases`. */
export type IntelReleaseRow = Selectable<IntelReleaseTable>
