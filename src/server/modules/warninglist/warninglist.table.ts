import type { Selectable } from 'kysely'

/** `warninglists`: MISP warninglists of known-benign values, instance-wide; one per name. */
export interface WarninglistTable {
  id: string
  name: string
  /** Lower-cased name: importing a list of the same name replaces it. */
  name_key: string
  version: number
  type: string
  description: string
  category: string | null
  /** JSON array of MISP attribute types. */
  matching_attributes: string
  entry_count: number
  enabled: number
  /** Raised by every change, so in-memory indexes know when to reload. */
  revision: number
  imported_at: string
  updated_at: string
}

/** A row read from `warninglists`. */
export type WarninglistRow = Selectable<WarninglistTable>

/** `warninglist_entries`: each list's entries in indexed form (see src/core/intel/warninglist.ts). */
export interface WarninglistEntryTable {
  warninglist_id: string
  /** `key`, `host`, `net` or `substring`. */
  match: string
  /** Look-up key (`ipv4:8.8.8.8`, `host:example.com`, `net:ipv4:10.0.0.0/8`); for `substring`, the lower-case text (its SHA-256 when long: `substring#sha256:…`), not looked up. */
  key: string
  /** The entry as the list writes it. */
  value: string
  kind: string | null
  /** Prefix length of `net` entries. */
  prefix: number | null
  range_start: string | null
  range_end: string | null
}

/** A row read from `warninglist_entries`. */
export type WarninglistEntryRow = Selectable<WarninglistEntryTable>
