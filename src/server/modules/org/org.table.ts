import type { Insertable, Selectable, Updateable } from 'kysely'

/** `organisations`: every organisation known to this instance. */
export interface OrganisationTable {
  id: string
  name: string
  /** Lower-cased name, unique: two organisations may not differ only in case. */
  name_key: string
  type: string
  country: string | null
  sector: string | null
  /** 1 for the organisation that runs this instance (exactly one). */
  is_instance_owner: number
  /** Public profile, visible to the whole community. */
  description: string | null
  website: string | null
  /** E-mail address for security reports. */
  security_contact: string | null
  /** ASCII-armoured OpenPGP public key. */
  pgp_key: string | null
  /** Private profile, visible only to the organisation's own members. */
  private_notes: string | null
  internal_contact: string | null
  /** 1: intelligence its members share beyond the organisation waits for a second person's approval. */
  four_eyes_release: number
  /** Its indicators without `valid_until` expire this many days after they last changed; null: never. */
  intel_retention_days: number | null
  created_at: string
  updated_at: string
}

/** A row read from `organisations`. */
export type OrganisationRow = Selectable<OrganisationTable>
/** A row to insert into `organisations`. */
export type NewOrganisationRow = Insertable<OrganisationTable>
/** A change to a row of `organisations`. */
export type OrganisationRowUpdate = Updateable<OrganisationTable>
