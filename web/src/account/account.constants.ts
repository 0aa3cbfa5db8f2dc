// Display names for the core vocabularies; the vocabularies themselves come from core (a file without
// TypeBox, so the browser bundle stays small). `Record<…>` makes tsc fail when core gains a value.
import { OrgType, Role } from '../../../src/core/account/account.js'

export { PASSWORD_MIN_LENGTH } from '../../../src/core/account/account.js'

/** Display names of the organisation types, in the order of `ORG_TYPES`. */
export const ORG_TYPE_LABELS: Record<OrgType, string> = {
  'national-csirt': 'National CSIRT',
  'gov-csirt': 'Government CSIRT',
  'sector-csirt': 'Sector CSIRT',
  isac: 'ISAC',
  'law-enforcement': 'Law enforcement',
  judiciary: 'Judiciary',
  'eu-body': 'EU body',
  constituent: 'Constituent',
  other: 'Other',
}

/** Display names of the user roles, in the order of `ROLES`. */
export const ROLE_LABELS: Record<Role, string> = {
  admin: 'Admin',
  handler: 'Handler',
  analyst: 'Analyst',
  liaison: 'Liaison officer',
  coordinator: 'Coordinator',
  viewer: 'Viewer',
}

/** True when `value` is a known organisation type. */
export const isOrgType = (value: string): value is OrgType => OrgType.is(value)

/** True when `value` is a known role. */
export const isRole = (value: string): value is Role => Role.is(value)

/** Organisation types as select options. */
export const ORG_TYPE_OPTIONS = Object.entries(ORG_TYPE_LABELS).map(([value, label]) => ({ value, label }))

/** Roles as select options. */
export const ROLE_OPTIONS = Object.entries(ROLE_LABELS).map(([value, label]) => ({ value, label }))
