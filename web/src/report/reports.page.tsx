import {
  Badge,
  Button,
  Checkbox,
  Group,
  NativeSelect,
  Paper,
  Stack,
  Table,
  Text,
  Title,
  VisuallyHidden,
} from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { getRouteApi } from '@tanstack/react-router'
import { useState } from 'react'
import type { ReportSummaryWire } from '../../../src/core/incident/report.schema.js'
import { hintsQuery } from '../incident/incident.api.js'
import { INCIDENT_WRITE_ROLES } from '../incident/incident.constants.js'
import { CreateIncidentDialog, MergeIntoIncidentDialog } from '../incident/triage.dialogs.js'
import { AnchorLink } from '../lib/anchor-link.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { formatDateTime } from '../lib/format.js'
import { PagePagination } from '../lib/page-pagination.js'
import { usePageTitle } from '../lib/page-title.js'
import { QueryStatus } from '../lib/query-status.js'
import { useMe } from '../shell/use-me.js'
import {
  isReportStatus,
  REPORT_STATUS_LABELS,
  REPORTS_KEY,
  REPORTS_PAGE_SIZE,
  reportsQuery,
  setReportStatus,
  type ReportStatus,
} from './report.api.js'

const reportsRouteApi = getRouteApi('/app/reports')

const STATUS_OPTIONS = [
  { value: 'new', label: 'Awaiting triage (new)' },
  ...Object.entries(REPORT_STATUS_LABELS)
    .filter(([value]) => value !== 'new')
    .map(([value, label]) => ({ value, label })),
  { value: 'all', label: 'All statuses' },
]

/** How many hints a row names before it says "and n more". */
const HINTS_SHOWN = 3

/** The possible duplicates of one report: other reports sharing an observable or the reporter. */
function HintsCell({ report }: { report: ReportSummaryWire }) {
  const hints = useQuery(hintsQuery(report.id))
  if (hints.isPending) {
    return (
      <Text size="sm" c="dimmed">
        …
      </Text>
    )
  }
  if (hints.error !== null) {
    return (
      <Text size="sm" c="red.8">
        Could not load
      </Text>
    )
  }
  const items = hints.data.items
  if (items.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        None
      </Text>
    )
  }
  return (
    <Stack gap={2} data-testid="report-hints">
      {items.slice(0, HINTS_SHOWN).map((hint) => (
        <Text size="sm" key={hint.reportId}>
          <AnchorLink to="/reports/$reportId" params={{ reportId: hint.reportId }} size="sm">
            {hint.trackingId}
          </AnchorLink>{' '}
          <Text component="span" size="xs" c="dimmed">
            {hint.reasons.includes('observable')
              ? `shares ${hint.sharedObservables.slice(0, 2).join(', ')}${hint.sharedObservables.length > 2 ? '…' : ''}`
              : 'same reporter'}
          </Text>
          {hint.incidentId !== null ? (
            <>
              {' '}
              <AnchorLink to="/incidents/$id" params={{ id: hint.incidentId }} size="xs">
                its incident
              </AnchorLink>
            </>
          ) : null}
        </Text>
      ))}
      {items.length > HINTS_SHOWN ? (
        <Text size="xs" c="dimmed">
          and {items.length - HINTS_SHOWN} more
        </Text>
      ) : null}
    </Stack>
  )
}

/**
 * The triage queue: incoming reports, newest first, by status, with possible duplicates; handlers
 * make incidents of selected reports, merge them into an open incident, or mark them triaged or closed.
 */
export function ReportsPage() {
  usePageTitle('Reports')
  const me = useMe()
  const queryClient = useQueryClient()
  const search = reportsRouteApi.useSearch()
  const navigate = reportsRouteApi.useNavigate()
  const page = search.page ?? 1
  const status: ReportStatus | 'all' = search.status ?? 'new'
  const reports = useQuery(reportsQuery({ status: status === 'all' ? undefined : status, page }))
  const items = reports.data?.items ?? []
  const total = reports.data?.total ?? 0
  const pages = Math.max(1, Math.ceil(total / REPORTS_PAGE_SIZE))
  const mayTriage = INCIDENT_WRITE_ROLES.includes(me.user.role)
  const [selected, setSelected] = useState<ReadonlyMap<string, ReportSummaryWire>>(new Map())
  const [dialog, setDialog] = useState<'create' | 'merge' | null>(null)
  const chosen = [...selected.values()]

  const toggle = (report: ReportSummaryWire, on: boolean) => {
    const next = new Map(selected)
    if (on) {
      next.set(report.id, report)
    } else {
      next.delete(report.id)
    }
    setSelected(next)
  }

  const setStatuses = useMutation({
    mutationFn: async (to: 'triaged' | 'closed') => {
      // One request per report: the API changes one report at a time.
      for (const report of chosen) {
        await setReportStatus({ id: report.id, status: to })
      }
    },
    onSettled: async () => {
      setSelected(new Map())
      await queryClient.invalidateQueries({ queryKey: REPORTS_KEY })
    },
  })

  return (
    <Stack gap="md" maw={1300}>
      <Group justify="space-between" align="flex-start">
        <Stack gap={4}>
          <Title order={1}>Reports</Title>
          <Text c="dimmed" size="sm">
            Incident reports from the public form, constituents, mail and scripts. Triage them into incidents,
            or mark them triaged or closed.
          </Text>
        </Stack>
        <Button component="a" href="/report" variant="default">
          Report an incident
        </Button>
      </Group>
      <Group gap="sm" align="flex-end" role="search" aria-label="Filter reports">
        <NativeSelect
          label="Status"
          value={status}
          data={STATUS_OPTIONS}
          onChange={(event) => {
            const value = event.currentTarget.value
            setSelected(new Map())
            void navigate({
              search: {
                status:
                  value === 'all' ? 'all' : isReportStatus(value) && value !== 'new' ? value : undefined,
                page: undefined,
              },
              replace: true,
            })
          }}
        />
      </Group>
      {mayTriage && chosen.length > 0 ? (
        <Paper
          withBorder
          p="sm"
          radius="md"
          bg="indigo.0"
          component="section"
          aria-label="Triage the selected reports"
          data-testid="triage-bar"
        >
          <Group gap="sm">
            <Text size="sm" fw={500} role="status">
              {chosen.length === 1 ? '1 report selected' : `${chosen.length} reports selected`}
            </Text>
            <Button size="xs" onClick={() => setDialog('create')}>
              New incident from selected
            </Button>
            <Button size="xs" variant="default" onClick={() => setDialog('merge')}>
              Merge into incident…
            </Button>
            <Button
              size="xs"
              variant="default"
              loading={setStatuses.isPending && setStatuses.variables === 'triaged'}
              onClick={() => setStatuses.mutate('triaged')}
            >
              Mark triaged
            </Button>
            <Button
              size="xs"
              variant="default"
              loading={setStatuses.isPending && setStatuses.variables === 'closed'}
              onClick={() => setStatuses.mutate('closed')}
            >
              Close
            </Button>
            <Button size="xs" variant="subtle" onClick={() => setSelected(new Map())}>
              Clear selection
            </Button>
          </Group>
        </Paper>
      ) : null}
      <ErrorAlert error={setStatuses.error} title="Not every status was changed" />
      <QueryStatus pending={reports.isPending} error={reports.error} what="reports" />
      {reports.data ? (
        <Text size="sm" c="dimmed" role="status" data-testid="reports-total">
          {total === 1 ? '1 report' : `${total} reports`}
          {pages > 1 ? `, page ${page} of ${pages}` : ''}
        </Text>
      ) : null}
      {items.length > 0 ? (
        <Table.ScrollContainer minWidth={980}>
          <Table striped highlightOnHover aria-label="Reports" data-testid="reports-table">
            <Table.Thead>
              <Table.Tr>
                {mayTriage ? (
                  <Table.Th w={40}>
                    <VisuallyHidden>Select</VisuallyHidden>
                  </Table.Th>
                ) : null}
                <Table.Th>Tracking id</Table.Th>
                <Table.Th>What happened</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Possible duplicates</Table.Th>
                <Table.Th>Reporter</Table.Th>
                <Table.Th>Files</Table.Th>
                <Table.Th>Received</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((r) => (
                <Table.Tr key={r.id} data-testid={`report-row-${r.trackingId}`}>
                  {mayTriage ? (
                    <Table.Td>
                      {r.status === 'linked' ? null : (
                        <Checkbox
                          aria-label={`Select ${r.trackingId}`}
                          checked={selected.has(r.id)}
                          onChange={(event) => toggle(r, event.currentTarget.checked)}
                        />
                      )}
                    </Table.Td>
                  ) : null}
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>
                    <AnchorLink to="/reports/$reportId" params={{ reportId: r.id }}>
                      {r.trackingId}
                    </AnchorLink>
                  </Table.Td>
                  <Table.Td style={{ overflowWrap: 'anywhere' }}>{r.summary}</Table.Td>
                  <Table.Td>
                    <Stack gap={2}>
                      <Badge variant="light" style={{ minWidth: 'max-content' }}>
                        {REPORT_STATUS_LABELS[r.status]}
                      </Badge>
                      {r.incidentId !== null ? (
                        <AnchorLink to="/incidents/$id" params={{ id: r.incidentId }} size="xs">
                          Open incident
                        </AnchorLink>
                      ) : null}
                    </Stack>
                  </Table.Td>
                  <Table.Td>
                    {r.status === 'new' || r.status === 'triaged' ? (
                      <HintsCell report={r} />
                    ) : (
                      <Text size="sm" c="dimmed">
                        —
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td style={{ overflowWrap: 'anywhere' }}>{r.reporterEmail}</Table.Td>
                  <Table.Td>{r.attachmentCount}</Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(r.createdAt)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : reports.data ? (
        <Text size="sm">No reports with this status.</Text>
      ) : null}
      <PagePagination
        pages={pages}
        page={page}
        onChange={(next) => void navigate({ search: (previous) => ({ ...previous, page: next }) })}
      />
      {dialog === 'create' ? (
        <CreateIncidentDialog opened onClose={() => setDialog(null)} reports={chosen} />
      ) : null}
      {dialog === 'merge' ? (
        <MergeIntoIncidentDialog opened onClose={() => setDialog(null)} reports={chosen} />
      ) : null}
    </Stack>
  )
}
