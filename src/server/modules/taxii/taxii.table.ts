import type { Selectable } from 'kysely'

/** `taxii_collections`: the collections of an API root, each a view of the object store by label. */
export interface TaxiiCollectionTable {
  /** TAXII identifier (UUIDv4). */
  id: string
  /** Name of the API root the collection belongs to (`liaison`). */
  api_root: string
  /** What it holds: `audience:<audience>` or `group:<sharing group id>`; unique per API root. */
  key: string
  /** Usable instead of the id in URLs; unique per API root. */
  alias: string
  /** Null for sharing-group collections, named after their group. */
  title: string | null
  description: string | null
  /** Audience of the labels it holds. */
  audience: string
  /** For `group` collections: the sharing group. */
  sharing_group_id: string | null
  /** TLP and PAP of what a POST stores. */
  post_tlp: string
  post_pap: string
  /** JSON lists of the roles that may read (GET objects, manifest, versions) and write (POST). */
  read_roles: string
  write_roles: string
  created_at: string
}

/** A row read from `taxii_collections`. */
export type TaxiiCollectionRow = Selectable<TaxiiCollectionTable>

/** `taxii_statuses`: one per POST of objects, polled by the client until complete. */
export interface TaxiiStatusTable {
  /** TAXII identifier (UUIDv4). */
  id: string
  api_root: string
  collection_id: string
  /** Who posted: only they may read the status. */
  user_id: string
  org_id: string
  /** `pending` or `complete`. */
  status: string
  /** TAXII timestamp of the POST. */
  request_timestamp: string
  total_count: number
  success_count: number
  failure_count: number
  pending_count: number
  /**
   * JSON list of `[id, version]` of every object of the POST in envelope order, kept while pending
   * (the last `pending_count` are the pending ones); `[]` once complete.
   */
  object_keys: string
  created_at: string
  updated_at: string
}

/** A row read from `taxii_statuses`. */
export type TaxiiStatusRow = Selectable<TaxiiStatusTable>

/** `taxii_status_parts`: the outcomes of one processed part of a POST. */
export interface TaxiiStatusPartTable {
  status_id: string
  /** 0, 1, … in processing order. */
  part: number
  /** JSON lists of `{ id, version, message? }`. */
  successes: string
  failures: string
}

/**
 * `taxii_status_payloads`: the objects of a POST not fully stored yet, so that it survives a restart;
 * deleted with the part that completes the status. Holds only unfinished work.
 */
export interface TaxiiStatusPayloadTable {
  status_id: string
  /** The envelope's `objects`, as JSON text. */
  objects: string
  /**
   * Four-eyes POSTs: JSON of the import once stored (id, counts, labels), so that a resumed job
   * requests the release rather than storing again; null until then.
   */
  held_import: string | null
  /** Lease: the process working on it, and when it last renewed its claim; null when unclaimed. */
  claimed_by: string | null
  claimed_at: string | null
  created_at: string
}

/** A row read from `taxii_status_payloads`. */
export type TaxiiStatusPayloadRow = Selectable<TaxiiStatusPayloadTable>
