import { OrgType, type OrganisationWire } from '../../../core/account/account.schema.js'
import type { OrganisationRow } from './org.table.js'

/**
 * The only way an organisation leaves as JSON. The private profile and the settings go only to the
 * organisation's own members (`viewerOrgId`).
 */
export function presentOrganisation(row: OrganisationRow, viewerOrgId: string | null): OrganisationWire {
  return {
    id: row.id,
    name: row.name,
    type: OrgType.is(row.type) ? row.type : 'other',
    country: row.country,
    sector: row.sector,
    isInstanceOwner: row.is_instance_owner === 1,
    description: row.description,
    website: row.website,
    securityContact: row.security_contact,
    pgpKey: row.pgp_key,
    private:
      viewerOrgId === row.id ? { notes: row.private_notes, internalContact: row.internal_contact } : null,
    settings:
      viewerOrgId === row.id
        ? { fourEyesRelease: row.four_eyes_release === 1, intelRetentionDays: row.intel_retention_days }
        : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}
