import { Stack, Text, Timeline, Title } from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { formatDateTime } from '../lib/format.js'
import { QueryStatus } from '../lib/query-status.js'
import { timelineQuery, type EventWire, type IncidentWire } from './incident.api.js'
import {
  EVENT_LABELS,
  INCIDENT_STATUS_LABELS,
  isIncidentStatus,
  isNis2Stage,
  NIS2_STAGE_LABELS,
} from './incident.constants.js'
import { useOrgNames, usePeopleNames } from './incident.hooks.js'

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : []
}

function word(value: unknown): string {
  if (typeof value === 'string') {
    return value
  }
  if (typeof value === 'number' || typeof value === 'boolean') {
    return String(value)
  }
  return value === null || value === undefined ? 'none' : JSON.stringify(value)
}

/** Names of the fields a change names, as the incident page calls them. */
const FIELD_NAMES: Readonly<Record<string, string>> = {
  rsitClass: 'RSIT class',
  rsitType: 'incident type',
  assigneeId: 'assignee',
  awareAt: 'aware since',
  trustServiceProvider: 'trust service provider',
  suspectedMalicious: 'suspected malicious',
  crossBorder: 'cross-border impact',
  timeZone: 'time zone',
  rootCause: 'root cause',
  mitigationApplied: 'mitigation applied',
  mitigationOngoing: 'mitigation ongoing',
}

/** Flags the store keeps as 1 and 0. */
const FLAGS = new Set(['significant', 'trustServiceProvider', 'suspectedMalicious', 'crossBorder'])

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/

/** The new value of a changed field in words. */
function changedValue(field: string, value: unknown): string {
  if (FLAGS.has(field) && (value === 1 || value === 0 || typeof value === 'boolean')) {
    return value === 1 || value === true ? 'yes' : 'no'
  }
  if (field === 'assigneeId') {
    return value === null ? 'nobody' : 'someone'
  }
  if (field === 'status') {
    return statusWord(value)
  }
  if (typeof value === 'string' && INSTANT.test(value)) {
    return formatDateTime(value)
  }
  return word(value)
}

function statusWord(value: unknown): string {
  return isIncidentStatus(value) ? INCIDENT_STATUS_LABELS[value] : word(value)
}

/** A line saying what an event changed, from its details; empty when the action says it all. */
export function describeEvent(event: EventWire): string {
  const d = event.details
  switch (event.action) {
    case 'incident.created':
      return typeof d.title === 'string' ? `“${d.title}”` : ''
    case 'incident.status_changed':
    case 'incident.reopened':
      return `${statusWord(d.from)} → ${statusWord(d.to)}`
    case 'incident.updated':
    case 'incident.nis2_changed': {
      const changed = d.changed
      if (typeof changed !== 'object' || changed === null) {
        return ''
      }
      return Object.entries(changed as Record<string, unknown>)
        .map(([field, change]) => {
          const to = typeof change === 'object' && change !== null && 'to' in change ? change.to : change
          const name = FIELD_NAMES[field] ?? field
          return field === 'description' || field.startsWith('mitigation')
            ? name
            : `${name}: ${changedValue(field, to)}`
        })
        .join('; ')
    }
    case 'incident.reports_added':
    case 'incident.reports_moved':
      return `${list(d.reportIds).length} report(s)`
    case 'incident.linked':
      return list(d.links)
        .map((l) => (typeof l === 'object' && l !== null && 'ref' in l ? word(l.ref) : ''))
        .join(', ')
    case 'incident.unlinked':
      return word(d.ref)
    case 'incident.note_added':
      return `${typeof d.tlp === 'string' ? `TLP:${d.tlp.toUpperCase()}` : ''}${d.shared === true ? ', shared with the incident' : ''}`
    case 'incident.task_added':
    case 'incident.task_deleted':
      return typeof d.title === 'string' ? `“${d.title}”` : ''
    case 'incident.nis2_submitted':
      return `${isNis2Stage(d.stage) ? NIS2_STAGE_LABELS[d.stage] : word(d.stage)}${d.late === true ? ' (late)' : ''}`
    case 'incident.nis2_intermediate_requested':
      return `due ${formatDateTime(typeof d.dueAt === 'string' ? d.dueAt : null)}`
    case 'incident.notified':
      return `${word(d.sent)} sent, ${word(d.failed)} failed, ${word(d.unmatched)} without owner`
    case 'incident.shared':
      return `${list(d.participants).length} participant organisation(s)`
    default:
      return ''
  }
}

/** Everything that happened to the incident that the caller may see, in order, with who did it. */
export function TimelinePanel({ incident }: { incident: IncidentWire }) {
  const timeline = useQuery(timelineQuery(incident.id))
  const items = timeline.data?.items ?? []
  const personName = usePeopleNames(items.map((e) => e.actorId))
  const orgName = useOrgNames()
  return (
    <Stack gap="md" component="section" aria-labelledby="timeline-heading">
      <Title order={2} size="h4" id="timeline-heading">
        Timeline
      </Title>
      <QueryStatus pending={timeline.isPending} error={timeline.error} what="the timeline" />
      {items.length > 0 ? (
        <Timeline bulletSize={14} lineWidth={2} data-testid="timeline" active={items.length - 1}>
          {items.map((event) => {
            const detail = describeEvent(event)
            return (
              <Timeline.Item
                key={event.id}
                title={EVENT_LABELS[event.action] ?? event.action}
                data-action={event.action}
              >
                {detail === '' ? null : (
                  <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
                    {detail}
                  </Text>
                )}
                <Text size="xs" c="dimmed">
                  {personName(event.actorId)}, {orgName(event.actorOrgId)}, {formatDateTime(event.at)}
                </Text>
              </Timeline.Item>
            )
          })}
        </Timeline>
      ) : null}
    </Stack>
  )
}
