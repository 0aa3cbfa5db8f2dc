import type { OrganisationTable } from '../modules/org/org.table.js'
import type { UserTable } from '../modules/user/user.table.js'
import type { SessionTable, LoginThrottleTable } from '../modules/auth/auth.table.js'
import type { ApiKeyTable } from '../modules/apikey/apikey.table.js'
import type { AuditLogTable, AuditHeadTable } from '../modules/audit/audit.table.js'
import type { SharingGroupMemberTable, SharingGroupTable } from '../modules/group/group.table.js'
import type { DocumentTable } from '../modules/knowledge/knowledge.table.js'
import type {
  IntelImportTable,
  ObservableTable,
  StixObjectTable,
  StixRefTable,
} from '../modules/intel/intel.table.js'
import type { LabelGroupTable, LabelRecipientTable, LabelTable } from '../modules/trust/trust.table.js'

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
}
