import { Badge, Button, Checkbox, Group, Menu, NativeSelect, Stack, Table, Text, Title } from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { getRouteApi, Link } from '@tanstack/react-router'
import { useState } from 'react'
import { AnchorLink } from '../lib/anchor-link.js'
import { formatDateTime } from '../lib/format.js'
import { PagePagination } from '../lib/page-pagination.js'
import { usePageTitle } from '../lib/page-title.js'
import { QueryStatus } from '../lib/query-status.js'
import { MODULES } from '../shell/modules.js'
import { useMe } from '../shell/use-me.js'
import { LabelBadge } from '../trust/label-badge.js'
import {
  incidentsExportUrl,
  incidentsQuery,
  INCIDENTS_PAGE_SIZE,
  type IncidentFilter,
} from './incident.api.js'
import { DeadlineBadge, nextNis2Deadline, SeverityBadge, slaOverdue, StatusBadge } from './incident.badges.js'
import {
  INCIDENT_WRITE_ROLES,
  isIncidentStatus,
  isRsitClass,
  isSeverity,
  NIS2_STAGE_LABELS,
  RSIT_CLASSES,
  rsitText,
  SEVERITY_OPTIONS,
  STATUS_OPTIONS,
} from './incident.constants.js'
import { SlaSettingsDialog } from './sla-settings.dialog.js'

const incidentsRouteApi = getRouteApi('/app/incidents')

const ALL = { value: '', label: 'Any' }

/** The incidents the caller may see, filtered by status, RSIT class, severity and overdue timers. */
export function IncidentsPage() {
  usePageTitle(MODULES.incidents.title)
  const me = useMe()
  const filter = incidentsRouteApi.useSearch()
  const navigate = incidentsRouteApi.useNavigate()
  const [slaOpened, setSlaOpened] = useState(false)
  const page = filter.page ?? 1
  // An RSIT class outside the vocabulary (a hand-edited address) filters nothing rather than failing.
  const applied = { ...filter, rsitClass: isRsitClass(filter.rsitClass) ? filter.rsitClass : undefined }
  const incidents = useQuery(incidentsQuery(applied))
  const items = incidents.data?.items ?? []
  const total = incidents.data?.total ?? 0
  const pages = Math.max(1, Math.ceil(total / INCIDENTS_PAGE_SIZE))

  // Every change of a filter starts again at the first page.
  const setFilter = (change: Partial<IncidentFilter>) =>
    void navigate({ search: (previous) => ({ ...previous, ...change, page: undefined }), replace: true })

  return (
    <Stack gap="md" maw={1300}>
      <Group justify="space-between" align="flex-start">
        <Stack gap={4}>
          <Title order={1}>{MODULES.incidents.title}</Title>
          <Text c="dimmed" size="sm">
            {MODULES.incidents.purpose}
          </Text>
        </Stack>
        <Group gap="xs">
          <Menu position="bottom-end" withinPortal>
            <Menu.Target>
              <Button variant="default">Export</Button>
            </Menu.Target>
            <Menu.Dropdown aria-label="Export the incidents">
              <Menu.Label>Every incident matching the filters</Menu.Label>
              <Menu.Item component="a" href={incidentsExportUrl(applied, 'stix')} download>
                STIX 2.1 bundle
              </Menu.Item>
              <Menu.Item component="a" href={incidentsExportUrl(applied, 'csv')} download>
                CSV
              </Menu.Item>
            </Menu.Dropdown>
          </Menu>
          <Button variant="default" onClick={() => setSlaOpened(true)}>
            SLA targets
          </Button>
          {INCIDENT_WRITE_ROLES.includes(me.user.role) ? (
            <Button component={Link} to="/incidents/new">
              New incident
            </Button>
          ) : null}
        </Group>
      </Group>
      <SlaSettingsDialog opened={slaOpened} onClose={() => setSlaOpened(false)} />
      <Group gap="sm" align="flex-end" role="search" aria-label="Filter incidents" wrap="wrap">
        <NativeSelect
          label="Status"
          value={filter.status ?? ''}
          data={[ALL, ...STATUS_OPTIONS]}
          onChange={(event) => {
            const value = event.currentTarget.value
            setFilter({ status: isIncidentStatus(value) ? value : undefined })
          }}
        />
        <NativeSelect
          label="RSIT class"
          value={filter.rsitClass ?? ''}
          data={[ALL, ...RSIT_CLASSES.map((c) => ({ value: c.value, label: c.name }))]}
          onChange={(event) => {
            const value = event.currentTarget.value
            setFilter({ rsitClass: isRsitClass(value) ? value : undefined })
          }}
        />
        <NativeSelect
          label="Severity"
          value={filter.severity ?? ''}
          data={[ALL, ...SEVERITY_OPTIONS]}
          onChange={(event) => {
            const value = event.currentTarget.value
            setFilter({ severity: isSeverity(value) ? value : undefined })
          }}
        />
        <Checkbox
          label="SLA overdue"
          checked={filter.overdue === true}
          onChange={(event) => setFilter({ overdue: event.currentTarget.checked ? true : undefined })}
          mb={8}
        />
        <Checkbox
          label="NIS2 deadline overdue"
          checked={filter.nis2Overdue === true}
          onChange={(event) => setFilter({ nis2Overdue: event.currentTarget.checked ? true : undefined })}
          mb={8}
        />
      </Group>
      <QueryStatus pending={incidents.isPending} error={incidents.error} what="incidents" />
      {incidents.data ? (
        <Text size="sm" c="dimmed" role="status" data-testid="incidents-total">
          {total === 1 ? '1 incident' : `${total} incidents`}
          {pages > 1 ? `, page ${page} of ${pages}` : ''}
        </Text>
      ) : null}
      {items.length > 0 ? (
        <Table.ScrollContainer minWidth={1000}>
          <Table striped highlightOnHover aria-label="Incidents" data-testid="incidents-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Title</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Severity</Table.Th>
                <Table.Th>Classification</Table.Th>
                <Table.Th>Label</Table.Th>
                <Table.Th>SLA</Table.Th>
                <Table.Th>NIS2</Table.Th>
                <Table.Th>Changed</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((incident) => {
                const deadline = nextNis2Deadline(incident)
                return (
                  <Table.Tr key={incident.id}>
                    <Table.Th scope="row" fw={400} miw={200} style={{ overflowWrap: 'break-word' }}>
                      <AnchorLink to="/incidents/$id" params={{ id: incident.id }}>
                        {incident.title}
                      </AnchorLink>
                      {incident.owned ? null : (
                        <Text size="xs" c="dimmed">
                          Shared with you
                        </Text>
                      )}
                    </Table.Th>
                    <Table.Td>
                      <StatusBadge status={incident.status} />
                    </Table.Td>
                    <Table.Td>
                      <SeverityBadge severity={incident.severity} />
                    </Table.Td>
                    <Table.Td>{rsitText(incident.rsitClass, incident.rsitType)}</Table.Td>
                    <Table.Td>
                      <LabelBadge label={incident.label} />
                    </Table.Td>
                    <Table.Td>
                      {slaOverdue(incident) ? (
                        <Badge color="red.8" variant="filled">
                          Overdue
                        </Badge>
                      ) : (
                        <Text size="sm" c="dimmed">
                          On time
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>
                      {deadline === undefined ? (
                        <Text size="sm" c="dimmed">
                          {incident.nis2.significant === true ? 'Nothing due' : '—'}
                        </Text>
                      ) : (
                        <Stack gap={2}>
                          <DeadlineBadge deadline={deadline} />
                          <Text size="xs">
                            {NIS2_STAGE_LABELS[deadline.stage]} {formatDateTime(deadline.dueAt)}
                          </Text>
                        </Stack>
                      )}
                    </Table.Td>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(incident.updatedAt)}</Table.Td>
                  </Table.Tr>
                )
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : incidents.data ? (
        <Text size="sm">No incident matches these filters.</Text>
      ) : null}
      <PagePagination
        pages={pages}
        page={page}
        onChange={(next) => void navigate({ search: (previous) => ({ ...previous, page: next }) })}
      />
    </Stack>
  )
}
