import { useMe } from '../shell/use-me.js'

/** What hiding a group's membership means, in the words the forms use. */
export const HIDDEN_MEMBERSHIP_EXPLANATION =
  'Members see the group but not who else is in it; only your organisation sees the member list.'

/** True when the caller may create sharing groups: admins and coordinators, and instance admins. */
export function useCanCreateGroups(): boolean {
  const me = useMe()
  return me.isInstanceAdmin || me.user.role === 'admin' || me.user.role === 'coordinator'
}
