import { queryOptions, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query'
import type { LabelNames } from '../../../src/core/trust/describe.js'
import { organisationsQuery } from '../directory/directory.api.js'
import { api } from '../lib/api.client.js'
import { groupsQuery } from '../sharing/sharing.api.js'
import { useMe } from '../shell/use-me.js'

/** A person of the community, as `GET /api/v1/people` finds them. */
export interface PersonWire {
  id: string
  name: string
  orgId: string
  orgName: string
}

/** The shortest search the people endpoint accepts. */
export const PEOPLE_QUERY_MIN_LENGTH = 2

/** People whose name or e-mail address matches `q` (at least {@link PEOPLE_QUERY_MIN_LENGTH} characters). */
export function peopleQuery(q: string) {
  return queryOptions({
    queryKey: ['people', 'search', q] as const,
    queryFn: ({ signal }) =>
      api<{ items: PersonWire[] }>(`/api/v1/people?q=${encodeURIComponent(q)}&limit=20`, { signal }),
    enabled: q.length >= PEOPLE_QUERY_MIN_LENGTH,
    staleTime: 60_000,
  })
}

const personKey = (id: string) => ['people', 'by-id', id] as const

/**
 * Keeps a person found by a search, so that labels naming them can say who they are. The API has no
 * look-up of people by id, so only people picked during this session have a name.
 */
export function rememberPerson(queryClient: QueryClient, person: PersonWire): void {
  queryClient.setQueryData(personKey(person.id), person)
}

/** A person picked earlier in this session, if any. */
export function knownPerson(queryClient: QueryClient, id: string): PersonWire | undefined {
  return queryClient.getQueryData<PersonWire>(personKey(id))
}

/**
 * Names for {@link describeLabel}: organisations from the directory, groups from the caller's sharing
 * groups, people picked in this session; words, not ids, for the rest.
 */
export function useLabelNames(): LabelNames {
  const me = useMe()
  const queryClient = useQueryClient()
  const organisations = useQuery(organisationsQuery)
  const groups = useQuery(groupsQuery)
  const orgNames = new Map((organisations.data?.items ?? []).map((org) => [org.id, org.name]))
  orgNames.set(me.organisation.id, me.organisation.name)
  const groupNames = new Map((groups.data?.items ?? []).map((group) => [group.id, group.name]))
  return {
    orgName: (id) => orgNames.get(id) ?? 'an organisation',
    groupName: (id) => groupNames.get(id) ?? 'a sharing group your organisation is not in',
    personName: (id) => {
      if (id === me.user.id) {
        return `${me.user.name} (you)`
      }
      const person = knownPerson(queryClient, id)
      return person === undefined ? 'a named person' : `${person.name} (${person.orgName})`
    },
  }
}
