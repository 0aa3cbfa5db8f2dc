import { Anchor, Badge, Group, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { Link } from '@tanstack/react-router'
import { AnchorLink } from '../lib/anchor-link.js'
import { formatDateTime } from '../lib/format.js'
import { QueryStatus } from '../lib/query-status.js'
import { REPORT_READ_ROLES, reportsQuery } from '../report/report.api.js'
import { useMe } from '../shell/use-me.js'
import { incidentsQuery, nis2OverdueQuery, type IncidentWire } from './incident.api.js'
import { SeverityBadge } from './incident.badges.js'
import { NIS2_STAGE_LABELS, SLA_STATE_LABELS } from './incident.constants.js'

/** How many incidents each list on the home page shows. */
const SHOWN = 10

function Nis2Overdue() {
  const overdue = useQuery(nis2OverdueQuery(SHOWN))
  const items = overdue.data?.items ?? []
  const total = overdue.data?.total ?? 0
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="home-nis2">
      <Group justify="space-between" mb="sm">
        <Title order={3} size="h4" id="home-nis2">
          NIS2 deadlines overdue
        </Title>
        {total > 0 ? (
          <Badge color="red.8" variant="filled" data-testid="nis2-overdue-count">
            {total}
          </Badge>
        ) : null}
      </Group>
      <QueryStatus pending={overdue.isPending} error={overdue.error} what="overdue NIS2 deadlines" />
      {overdue.data && items.length === 0 ? (
        <Text size="sm" c="dimmed">
          No NIS2 submission is overdue.
        </Text>
      ) : null}
      {items.length > 0 ? (
        <Table aria-labelledby="home-nis2" data-testid="nis2-overdue">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Incident</Table.Th>
              <Table.Th>Overdue</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((incident) => (
              <Table.Tr key={incident.id}>
                <Table.Th scope="row" fw={400} style={{ overflowWrap: 'anywhere' }}>
                  <AnchorLink to="/incidents/$id" params={{ id: incident.id }} search={{ tab: 'nis2' }}>
                    {incident.title}
                  </AnchorLink>
                </Table.Th>
                <Table.Td>
                  {incident.nis2.deadlines
                    .filter((d) => d.status === 'overdue')
                    .map((d, index) => (
                      <Text size="sm" key={`${d.stage}-${index}`}>
                        {NIS2_STAGE_LABELS[d.stage]}, due {formatDateTime(d.dueAt)}
                      </Text>
                    ))}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
      {total > items.length ? (
        <AnchorLink to="/incidents" search={{ nis2Overdue: true }} size="sm">
          All {total}
        </AnchorLink>
      ) : null}
    </Paper>
  )
}

function overdueTimers(incident: IncidentWire): string {
  const parts: string[] = []
  if (incident.sla.acknowledge.state === 'overdue') {
    parts.push(`acknowledge by ${formatDateTime(incident.sla.acknowledge.dueAt)}`)
  }
  if (incident.sla.resolve.state === 'overdue') {
    parts.push(`resolve by ${formatDateTime(incident.sla.resolve.dueAt)}`)
  }
  return parts.length === 0 ? SLA_STATE_LABELS.due : parts.join('; ')
}

function SlaOverdue() {
  const overdue = useQuery(incidentsQuery({ overdue: true }, SHOWN))
  const items = overdue.data?.items ?? []
  const total = overdue.data?.total ?? 0
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="home-sla">
      <Group justify="space-between" mb="sm">
        <Title order={3} size="h4" id="home-sla">
          SLA overdue
        </Title>
        {total > 0 ? (
          <Badge color="red.8" variant="filled" data-testid="sla-overdue-count">
            {total}
          </Badge>
        ) : null}
      </Group>
      <QueryStatus pending={overdue.isPending} error={overdue.error} what="overdue incidents" />
      {overdue.data && items.length === 0 ? (
        <Text size="sm" c="dimmed">
          Every incident is within its SLA.
        </Text>
      ) : null}
      {items.length > 0 ? (
        <Table aria-labelledby="home-sla" data-testid="sla-overdue">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Incident</Table.Th>
              <Table.Th>Severity</Table.Th>
              <Table.Th>Missed</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((incident) => (
              <Table.Tr key={incident.id}>
                <Table.Th scope="row" fw={400} style={{ overflowWrap: 'anywhere' }}>
                  <AnchorLink to="/incidents/$id" params={{ id: incident.id }}>
                    {incident.title}
                  </AnchorLink>
                </Table.Th>
                <Table.Td>
                  <SeverityBadge severity={incident.severity} />
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{overdueTimers(incident)}</Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
      {total > items.length ? (
        <AnchorLink to="/incidents" search={{ overdue: true }} size="sm">
          All {total}
        </AnchorLink>
      ) : null}
    </Paper>
  )
}

function TriageQueue() {
  const waiting = useQuery(reportsQuery({ status: 'new' }))
  const total = waiting.data?.total ?? 0
  return (
    <Text size="sm" data-testid="triage-waiting">
      {waiting.data === undefined ? (
        'Counting reports awaiting triage…'
      ) : (
        <>
          {total === 0
            ? 'No report awaits triage.'
            : `${total} ${total === 1 ? 'report awaits' : 'reports await'} triage.`}{' '}
          <Anchor component={Link} to="/reports" size="sm">
            Open the triage queue
          </Anchor>
        </>
      )}
    </Text>
  )
}

/** The home page's work list for incident handlers: reports to triage, overdue NIS2 deadlines and SLAs. */
export function OverdueWork() {
  const me = useMe()
  return (
    <Stack gap="sm" component="section" aria-labelledby="home-work">
      <Title order={2} size="h3" id="home-work">
        Incident work
      </Title>
      {REPORT_READ_ROLES.includes(me.user.role) ? <TriageQueue /> : null}
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
        <Nis2Overdue />
        <SlaOverdue />
      </SimpleGrid>
    </Stack>
  )
}
