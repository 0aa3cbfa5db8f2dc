import { useQuery, useQueryClient } from '@tanstack/react-query'
import { organisationsQuery } from '../directory/directory.api.js'
import { useMe } from '../shell/use-me.js'
import { incidentQuery, INCIDENTS_KEY, peopleByIdsQuery, type IncidentWire } from './incident.api.js'
import { INCIDENT_WRITE_ROLES } from './incident.constants.js'

/** Keeps the answer of a change to an incident, and refreshes what shows it (lists, timeline, documents). */
export function useIncidentSaved(): (incident: IncidentWire) => Promise<void> {
  const queryClient = useQueryClient()
  return async (incident) => {
    queryClient.setQueryData(incidentQuery(incident.id).queryKey, incident)
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: [...INCIDENTS_KEY, 'list'] }),
      queryClient.invalidateQueries({ queryKey: [...INCIDENTS_KEY, 'nis2-overdue'] }),
      queryClient.invalidateQueries({ queryKey: [...INCIDENTS_KEY, 'detail', incident.id, 'timeline'] }),
      queryClient.invalidateQueries({ queryKey: [...INCIDENTS_KEY, 'detail', incident.id, 'nis2'] }),
    ])
  }
}

/** Refreshes the incident and its timeline after a change to one of its parts (task, note, link). */
export function useIncidentTouched(id: string): () => Promise<void> {
  const queryClient = useQueryClient()
  return async () => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: [...INCIDENTS_KEY, 'detail', id], exact: true }),
      queryClient.invalidateQueries({ queryKey: [...INCIDENTS_KEY, 'detail', id, 'timeline'] }),
    ])
  }
}

/** What the caller may do with an incident. */
export interface IncidentRights {
  /** Writes notes: admins, handlers and coordinators of any organisation that sees it. */
  write: boolean
  /** Works it (status, classification, tasks, links, NIS2, sharing): writers of the owner organisation. */
  work: boolean
}

/** What the caller may do with `incident` (the server decides; this only hides what would answer 403). */
export function useIncidentRights(incident: IncidentWire): IncidentRights {
  const me = useMe()
  const write = INCIDENT_WRITE_ROLES.includes(me.user.role)
  return { write, work: write && incident.owned }
}

/** Names of people by id, for timelines and notes; "you" for the caller. */
export function usePeopleNames(ids: readonly string[]): (id: string) => string {
  const me = useMe()
  const people = useQuery(peopleByIdsQuery(ids.filter((id) => id !== me.user.id)))
  const names = new Map((people.data?.items ?? []).map((p) => [p.id, p.name]))
  return (id) => {
    if (id === me.user.id) {
      return `${me.user.name} (you)`
    }
    return names.get(id) ?? 'someone'
  }
}

/** Names of organisations by id, from the directory. */
export function useOrgNames(): (id: string) => string {
  const me = useMe()
  const organisations = useQuery(organisationsQuery)
  const names = new Map((organisations.data?.items ?? []).map((o) => [o.id, o.name]))
  names.set(me.organisation.id, me.organisation.name)
  return (id) => names.get(id) ?? 'an organisation'
}
