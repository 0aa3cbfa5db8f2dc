import type { Selectable } from 'kysely'

/** `constituents`: organisations Liaison notifies about their resources (the constituency register). */
export interface ConstituentTable {
  id: string
  name: string
  /** Lower-cased name; unique, so a CSV import updates the constituent of the same name. */
  name_key: string
  /** JSON array of abuse addresses, lower-case. */
  abuse_emails: string
  /** Armored OpenPGP public key notifications are encrypted to; null: none. */
  pgp_key: string | null
  pgp_fingerprint: string | null
  /** The Liaison organisation this constituent is, if any. */
  org_id: string | null
  created_at: string
  updated_at: string
}
/** A row read from `constituents`. */
export type ConstituentRow = Selectable<ConstituentTable>

/** `constituent_ranges`: each constituent's netblocks, ASNs and domains in indexed form. */
export interface ConstituentRangeTable {
  id: string
  constituent_id: string
  /** `netblock`, `asn` or `domain`. */
  kind: string
  /** Normalised, as shown: `198.51.100.0/24`, `AS64500`, `example.net`. */
  value: string
  /** Observable key: `ipv4:198.51.100.0/24`, `asn:AS64500`, `domain:example.net`. */
  key: string
  /** `ipv4` or `ipv6` for netblocks. */
  family: string | null
  prefix: number | null
  /** First and last address, fixed-width hex (as the observable index). */
  range_start: string | null
  range_end: string | null
}
/** A row read from `constituent_ranges`. */
export type ConstituentRangeRow = Selectable<ConstituentRangeTable>

/** `notifications`: every notification mail, what was sent to whom and how it went. */
export interface NotificationTable {
  id: string
  constituent_id: string | null
  /** The constituent's name when the mail was sent (kept if the constituent is deleted). */
  constituent_name: string
  /** JSON array of addresses. */
  recipients: string
  subject: string
  /** The text as sent (before signing). */
  body: string
  /** JSON array of the observables this mail named (this owner's only). */
  observables: string
  incident_id: string | null
  message_id: string | null
  /** `sent` or `failed`. */
  status: string
  error: string | null
  signed: number
  encrypted: number
  sent_by_user_id: string | null
  created_at: string
}
/** A row read from `notifications`. */
export type NotificationRow = Selectable<NotificationTable>
