/** The tabs of the admin page, as they appear in its `?tab=` search parameter. */
export const ADMIN_TABS = ['organisations', 'users', 'api-keys', 'warninglists', 'audit'] as const

/** One of {@link ADMIN_TABS}. */
export type AdminTab = (typeof ADMIN_TABS)[number]
