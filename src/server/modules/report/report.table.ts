import type { Selectable } from 'kysely'

/** `reports`: incident reports received from the public, constituents, mail or scripts; each labelled. */
export interface ReportTable {
  id: string
  /** `LSN-` + 8 Crockford base32 characters; what the reporter quotes. */
  tracking_id: string
  /** SHA-256 (hex) of the reporter's secret status token; the token itself is never stored. */
  token_hash: string
  channel: string
  status: string
  /** Owned by the instance's own organisation (TLP:AMBER, audience org unless changed). */
  label_id: string
  summary: string
  occurred_at: string | null
  affected_systems: string | null
  description: string
  reporter_name: string | null
  reporter_email: string
  reporter_phone: string | null
  reporter_organisation: string | null
  /** The logged-in constituent who reported, if any. */
  reporter_user_id: string | null
  reporter_org_id: string | null
  /** Client address of a web or API report (handler-internal). */
  source_address: string | null
  nis2_entity_type: string | null
  /** 0 / 1; null when not answered. */
  nis2_suspected_malicious: number | null
  nis2_cross_border: number | null
  /** The incident this report became part of (set by the incident module). */
  incident_id: string | null
  created_at: string
  updated_at: string
}

/** `report_messages`: follow-ups between the reporter and the handlers. */
export interface ReportMessageTable {
  id: string
  report_id: string
  sender: string
  /** The handler who wrote it, or the logged-in reporter; null for anonymous reporters. */
  author_user_id: string | null
  body: string
  created_at: string
}

/** `attachments`: files of a report or of one of its messages, bytes in the store (atomic writes). */
export interface AttachmentTable {
  id: string
  report_id: string
  message_id: string | null
  /** Sanitised file name (no folders, no control characters). */
  filename: string
  /** As declared by the sender; only informative, downloads are always `application/octet-stream`. */
  content_type: string
  size: number
  /** SHA-256 (hex) of the bytes. */
  sha256: string
  content: Buffer
  created_at: string
}

/** `report_observables`: IOCs found in a report's text, by the observable index's `key`. */
export interface ReportObservableTable {
  report_id: string
  kind: string
  key: string
  value: string
}

/** A row read from `reports`. */
export type ReportRow = Selectable<ReportTable>
/** A row read from `report_messages`. */
export type ReportMessageRow = Selectable<ReportMessageTable>
/** A row read from `attachments`. */
export type AttachmentRow = Selectable<AttachmentTable>
/** A row read from `report_observables`. */
export type ReportObservableRow = Selectable<ReportObservableTable>
