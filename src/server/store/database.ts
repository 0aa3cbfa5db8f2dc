import type { OrganisationTable } from '../modules/org/org.table.js'
import type { UserTable } from '../modules/user/user.table.js'
import type { SessionTable, LoginThrottleTable } from '../modules/auth/auth.table.js'
import type { ApiKeyTable } from '../modules/apikey/apikey.table.js'
import type { AuditLogTable, AuditHeadTable } from '../modules/audit/audit.table.js'
import type { SharingGroupMemberTable, SharingGroupTable } from '../modules/group/group.table.js'
import type {
  ConstituentRangeTable,
  ConstituentTable,
  NotificationTable,
} from '../modules/constituency/constituency.table.js'
import type {
  IncidentEventTable,
  IncidentLinkTable,
  IncidentNoteTable,
  IncidentParticipantTable,
  IncidentReportTable,
  IncidentSlaSettingTable,
  IncidentTable,
  IncidentTaskTable,
} from '../modules/incident/incident.table.js'
import type { DocumentTable } from '../modules/knowledge/knowledge.table.js'
import type { RawMessageTable } from '../modules/intake-mail/intake-mail.table.js'
import type {
  FederationPeerTable,
  FederationPullCursorTable,
  FederationReceiptTable,
  InstanceIdentityTable,
} from '../modules/federation/federation.table.js'
import type {
  IntelClockTable,
  IntelImportTable,
  ObservableTable,
  StixDeletionTable,
  StixObjectTable,
  StixProvenanceTable,
  StixRefTable,
} from '../modules/intel/intel.table.js'
import type { IntelReleaseTable } from '../modules/release/release.table.js'
import type {
  AttachmentTable,
  ReportMessageTable,
  ReportObservableTable,
  ReportTable,
} from '../modules/report/report.table.js'
import type {
  TaxiiCollectionTable,
  TaxiiStatusPartTable,
  TaxiiStatusPayloadTable,
  TaxiiStatusTable,
} from '../modules/taxii/taxii.table.js'
import type { LabelGroupTable, LabelRecipientTable, LabelTable } from '../modules/trust/trust.table.js'
import type { WarninglistEntryTable, WarninglistTable } from '../modules/warninglist/warninglist.table.js'

/** Every table of the store, as Kysely sees it. Each module owns its own tables. */
export interface Database {
  organisations: OrganisationTable
  users: UserTable
  sessions: SessionTable
  login_throttle: LoginThrottleTable
  api_keys: ApiKeyTable
  audit_log: AuditLogTable
  audit_head: AuditHeadTable
  sharing_groups: SharingGroupTable
  sharing_group_members: SharingGroupMemberTable
  labels: LabelTable
  label_groups: LabelGroupTable
  label_recipients: LabelRecipientTable
  documents: DocumentTable
  stix_objects: StixObjectTable
  observables: ObservableTable
  stix_refs: StixRefTable
  intel_imports: IntelImportTable
  intel_releases: IntelReleaseTable
  warninglists: WarninglistTable
  warninglist_entries: WarninglistEntryTable
  reports: ReportTable
  report_messages: ReportMessageTable
  attachments: AttachmentTable
  report_observables: ReportObservableTable
  raw_messages: RawMessageTable
  incidents: IncidentTable
  incident_reports: IncidentReportTable
  incident_tasks: IncidentTaskTable
  incident_notes: IncidentNoteTable
  incident_events: IncidentEventTable
  incident_links: IncidentLinkTable
  incident_participants: IncidentParticipantTable
  incident_sla_settings: IncidentSlaSettingTable
  constituents: ConstituentTable
  constituent_ranges: ConstituentRangeTable
  notifications: NotificationTable
  taxii_collections: TaxiiCollectionTable
  taxii_statuses: TaxiiStatusTable
  taxii_status_parts: TaxiiStatusPartTable
  taxii_status_payloads: TaxiiStatusPayloadTable
  stix_provenance: StixProvenanceTable
  stix_deletions: StixDeletionTable
  intel_clock: IntelClockTable
  instance_identity: InstanceIdentityTable
  federation_peers: FederationPeerTable
  federation_pull_cursors: FederationPullCursorTable
  federation_receipts: FederationReceiptTable
}
