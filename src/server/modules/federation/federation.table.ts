import type { Selectable } from 'kysely'

/** `instance_identity`: one row, this instance's stable id (made by the migration). */
export interface InstanceIdentityTable {
  id: string
  created_at: string
}

/** `federation_peers`: the instances (or other TAXII servers) this one pulls from and pushes to. */
export interface FederationPeerTable {
  id: string
  name: string
  /** Lower-cased name, unique. */
  name_key: string
  /** As configured: the server, its discovery URL or an API root. */
  url: string
  /** The API root found by discovery; null until the first sync. */
  api_root_url: string | null
  /** The local organisation that stands for the peer. */
  org_id: string
  /** JSON list of collection ids or aliases to pull. */
  pull_collections: string
  /** Collection id or alias to push to; null: no push. */
  push_collection: string | null
  /** JSON {@link PullLabelSetting}: the label pulled objects get. */
  pull_label: string
  page_size: number
  interval_seconds: number
  enabled: number
  /** Sealed credentials (see federation.credentials.ts); null: none. */
  credentials: string | null
  remote_instance_id: string | null
  remote_instance_name: string | null
  /** JSON {@link VersionKey}: the last local object version considered for a push. */
  push_cursor: string | null
  /** JSON {@link VersionKey} of `stix_deletions`: the last local deletion considered. */
  deletion_cursor: string | null
  last_sync_at: string | null
  last_success_at: string | null
  last_error: string | null
  last_error_at: string | null
  lease_owner: string | null
  lease_until: string | null
  created_at: string
  updated_at: string
}

/** A row read from `federation_peers`. */
export type FederationPeerRow = Selectable<FederationPeerTable>

/** `federation_pull_cursors`: how far a pull of one collection has got. */
export interface FederationPullCursorTable {
  /** Peer id, or `adhoc:<hash>` for a pull without a peer. */
  source_key: string
  collection: string
  /** `added_after` of the next request (a TAXII timestamp); null: from the start. */
  added_after: string | null
  /** `next` of the next request, when the last page said there was more. */
  next: string | null
  /** JSON position in a Liaison peer's deletion feed. */
  deletions_after: string | null
  pages: number
  objects: number
  updated_at: string
}

/** A row read from `federation_pull_cursors`. */
export type FederationPullCursorRow = Selectable<FederationPullCursorTable>

/** `federation_receipts`: what happened to each item considered for a push, or received by a pull. */
export interface FederationReceiptTable {
  peer_id: string
  /** `push`, `pull` or `serve` (see `DIRECTIONS`). */
  direction: string
  /** `object` or `delete`. */
  action: string
  object_id: string
  version: string
  owner_org_id: string
  label_id: string
  object_type: string
  /** `sent`, `accepted`, `rejected` or `filtered`. */
  status: string
  /** The rule that decided, for `filtered` and `rejected` (e.g. `tlp-red-never-leaves`). */
  rule: string | null
  reason: string | null
  status_id: string | null
  created_at: string
  updated_at: string
}

/** A row read from `federation_receipts`. */
export type FederationReceiptRow = Selectable<FederationReceiptTable>
