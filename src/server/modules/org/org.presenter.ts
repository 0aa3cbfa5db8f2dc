import { OrgType, type OrganisationWire } from '../../../core/account/account.schema.js'
import type { OrganisationRow } from './org.table.js'

/** The only way an organisation leaves as JSON. */
export function presentOrganisation(row: OrganisationRow): OrganisationWire {
  return {
    id: row.id,
    name: row.name,
    type: OrgType.is(row.type) ? row.type : 'other',
    country: row.country,
    sector: row.sector,
    isInstanceOwner: row.is_instance_owner === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}
