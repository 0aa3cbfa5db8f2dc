import type { Selectable } from 'kysely'

/** `incidents`: incidents worked by their owner organisation, each labelled and shareable. */
export interface IncidentTable {
  id: string
  title: string
  description: string
  status: string
  severity: string
  impact: string
  rsit_class: string | null
  rsit_type: string | null
  assignee_id: string | null
  label_id: string
  /** The owner organisation (also the label's owner), kept here for the handlers' checks. */
  owner_org_id: string
  /** First time the incident left `new`. */
  acknowledged_at: string | null
  /** Last time it became `resolved` (cleared when reopened). */
  resolved_at: string | null
  closed_at: string | null
  /** SLA deadlines from the owner's settings for the current severity. */
  acknowledge_due_at: string
  resolve_due_at: string
  /** NIS2 Article 23 fields (the deadline rules are in src/core/incident/nis2.ts); 0 / 1 / null. */
  nis2_significant: number | null
  trust_service_provider: number | null
  /** IANA zone in which the final report's "one month" is counted (default `Europe/Brussels`). */
  nis2_time_zone: string
  aware_at: string | null
  /** When each submission was made; once set, never changed (submissions are immutable). */
  early_warning_sent_at: string | null
  notification_sent_at: string | null
  progress_report_sent_at: string | null
  final_report_sent_at: string | null
  /** JSON list of the authority's intermediate report requests ({@link Nis2IntermediateRequest}). */
  nis2_intermediate_requests: string
  /** The facts Article 23 submissions are made of; flags 0 / 1 / null (unknown). */
  nis2_suspected_malicious: number | null
  nis2_cross_border: number | null
  nis2_root_cause: string | null
  nis2_mitigation_applied: string | null
  nis2_mitigation_ongoing: string | null
  /**
   * Earliest due time among the NIS2 deadlines not yet met (null when none is pending, or the
   * incident is not significant): derived on every write, so "overdue" is one indexed comparison.
   */
  nis2_next_due_at: string | null
  created_by: string
  created_at: string
  updated_at: string
}

/** One intermediate report the CSIRT or competent authority asked for (Art. 23(4)(c)). */
export interface Nis2IntermediateRequest {
  readonly id: string
  readonly requestedAt: string
  readonly dueAt: string
  readonly submittedAt: string | null
  readonly note: string | null
  /** The user who recorded the request. */
  readonly recordedBy: string
}

/** `incident_reports`: which reports an incident was made from; a report is in one incident at most. */
export interface IncidentReportTable {
  report_id: string
  incident_id: string
  added_by: string
  added_at: string
}

/** `incident_tasks`: the owner's work items of an incident. */
export interface IncidentTaskTable {
  id: string
  incident_id: string
  title: string
  due_at: string | null
  done_at: string | null
  assignee_id: string | null
  created_by: string
  created_at: string
  updated_at: string
}

/** `incident_notes`: notes of the owner and of participants, each under its own label. */
export interface IncidentNoteTable {
  id: string
  incident_id: string
  body: string
  label_id: string
  /** 1: every organisation that sees the incident sees the note too; 0: only as its label allows. */
  shared: number
  author_user_id: string
  author_org_id: string
  created_at: string
}

/** `incident_events`: the timeline; every change, attributed. */
export interface IncidentEventTable {
  id: string
  incident_id: string
  /** Order within the incident (1, 2, …). */
  position: number
  at: string
  actor_user_id: string
  actor_org_id: string
  action: string
  /** `shared` (whoever sees the incident), `owner` (the owner organisation) or `note` (as the note). */
  scope: string
  note_id: string | null
  /** JSON object. */
  details: string
}

/** `incident_links`: observables (by normalised key) and intelligence objects linked to an incident. */
export interface IncidentLinkTable {
  id: string
  incident_id: string
  /** `observable` or `object`. */
  kind: string
  /** Observable key (`ipv4:…`) or STIX id. */
  ref: string
  observable_kind: string | null
  value: string
  created_by: string
  created_at: string
}

/** `incident_participants`: organisations an incident is shared with by name. */
export interface IncidentParticipantTable {
  incident_id: string
  org_id: string
  added_by: string
  added_at: string
}

/** `incident_sla_settings`: an organisation's SLA targets per severity (defaults when absent). */
export interface IncidentSlaSettingTable {
  org_id: string
  severity: string
  acknowledge_minutes: number
  resolve_minutes: number
  updated_at: string
}

/** A row read from `incidents`. */
export type IncidentRow = Selectable<IncidentTable>
/** A row read from `incident_tasks`. */
export type IncidentTaskRow = Selectable<IncidentTaskTable>
/** A row read from `incident_notes`. */
export type IncidentNoteRow = Selectable<IncidentNoteTable>
/** A row read from `incident_events`. */
export type IncidentEventRow = Selectable<IncidentEventTable>
/** A row read from `incident_links`. */
export type IncidentLinkRow = Selectable<IncidentLinkTable>
/** A row read from `incident_participants`. */
export type IncidentParticipantRow = Selectable<IncidentParticipantTable>
