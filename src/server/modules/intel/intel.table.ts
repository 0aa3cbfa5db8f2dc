import type { Selectable } from 'kysely'

/** `stix_objects`: every version of every STIX object, one copy per owner organisation, each labelled. */
export interface StixObjectTable {
  id: string
  /** Original `modified` string at full precision; '' when the object has none (SCOs). */
  modified: string
  owner_org_id: string
  type: string
  created: string | null
  valid_until: string | null
  revoked: number
  /** 1 for the newest version of this id held by this owner. */
  is_latest: number
  label_id: string
  /** The whole object, as imported (custom and x_ properties intact). */
  json: string
  /** The object's `name` when it has one (a copy of the JSON's, read without parsing it). */
  name: string | null
  /** Where it came from, e.g. `file:apt1.json` or `misp:<event uuid>`. */
  source: string | null
  import_id: string | null
  added_at: string
}

/** A row read from `stix_objects`. */
export type StixObjectRow = Selectable<StixObjectTable>

/** `observables`: normalised keys of the latest versions, for correlation. */
export interface ObservableTable {
  object_id: string
  owner_org_id: string
  kind: string
  key: string
  range_start: string | null
  range_end: string | null
  /** 1 for a network (CIDR range), 0 otherwise. */
  network: number
  /**
   * `sco` (a property of an observable object), `pattern` (an indicator's equality comparison),
   * `misp-object` (an attribute value of an `x-misp-object`) or `misp-attribute` (the value of an
   * `x-misp-attribute`).
   */
  origin: string
}

/** `stix_refs`: references from one object to another (`object_refs`, `source_ref`, …). */
export interface StixRefTable {
  from_id: string
  owner_org_id: string
  to_id: string
  property: string
}

/** `intel_imports`: one row per import with its summary. */
export interface IntelImportTable {
  id: string
  org_id: string
  user_id: string | null
  format: string
  source: string | null
  label_id: string
  created: number
  updated: number
  unchanged: number
  rejected: number
  started_at: string
  finished_at: string
}

/** `stix_provenance`: where a stored object version came from, when it came from another instance. */
export interface StixProvenanceTable {
  id: string
  modified: string
  owner_org_id: string
  /** Instance (id and name) where the object was made. */
  origin_instance_id: string
  origin_instance_name: string
  /** Name of the organisation that made it there. */
  origin_org: string
  /** JSON list of `{ id, name }`: the instances it passed through, origin first, the sender last. */
  hops: string
  /** Federation peer it came from; null for a TAXII POST or a pull without a peer. */
  peer_id: string | null
  received_at: string
}

/** `stix_deletions`: tombstones of deleted object versions, so that deletions can be passed on. */
export interface StixDeletionTable {
  deleted_at: string
  id: string
  owner_org_id: string
  modified: string
  type: string
  /** The label the version had: who may learn of its deletion. */
  label_id: string
}

/** `intel_clock`: one row, the last instant given to a write of object versions or tombstones. */
export interface IntelClockTable {
  id: number
  /** Microseconds since the epoch. */
  last_us: number
}
