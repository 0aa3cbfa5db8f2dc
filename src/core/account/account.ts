// Plain values only (no TypeBox): the web UI imports this file.

/** The kinds of organisation that take part in a Liaison community. */
export const ORG_TYPES = [
  'national-csirt',
  'gov-csirt',
  'sector-csirt',
  'isac',
  'law-enforcement',
  'judiciary',
  'eu-body',
  'constituent',
  'other',
] as const

/** One of {@link ORG_TYPES}. */
export type OrgType = (typeof ORG_TYPES)[number]

/** Companion helpers for {@link OrgType}. */
export const OrgType = {
  /** True when `value` is a known organisation type. */
  is(value: unknown): value is OrgType {
    return typeof value === 'string' && (ORG_TYPES as readonly string[]).includes(value)
  },
}

/** The roles a user can hold inside their organisation. */
export const ROLES = ['admin', 'handler', 'analyst', 'liaison', 'coordinator', 'viewer'] as const

/** One of {@link ROLES}. */
export type Role = (typeof ROLES)[number]

/** Companion helpers for {@link Role}. */
export const Role = {
  /** True when `value` is a known role. */
  is(value: unknown): value is Role {
    return typeof value === 'string' && (ROLES as readonly string[]).includes(value)
  },
}

/** Passwords: long enough to resist guessing, short enough to bound hashing work. */
export const PASSWORD_MIN_LENGTH = 12
/** Upper bound on password length (argon2 input stays cheap to reject). */
export const PASSWORD_MAX_LENGTH = 256
