import { Badge, Button, Group, NativeSelect, Stack, Table, Text, Title } from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { getRouteApi } from '@tanstack/react-router'
import { AnchorLink } from '../lib/anchor-link.js'
import { formatDateTime } from '../lib/format.js'
import { PagePagination } from '../lib/page-pagination.js'
import { usePageTitle } from '../lib/page-title.js'
import { QueryStatus } from '../lib/query-status.js'
import { isReportStatus, REPORT_STATUS_LABELS, REPORTS_PAGE_SIZE, reportsQuery } from './report.api.js'

const reportsRouteApi = getRouteApi('/app/reports')

const STATUS_OPTIONS = [
  { value: '', label: 'All statuses' },
  ...Object.entries(REPORT_STATUS_LABELS).map(([value, label]) => ({ value, label })),
]

/** The triage queue: incoming reports, newest first, by status. */
export function ReportsPage() {
  usePageTitle('Reports')
  const search = reportsRouteApi.useSearch()
  const navigate = reportsRouteApi.useNavigate()
  const page = search.page ?? 1
  const reports = useQuery(reportsQuery({ status: search.status, page }))
  const items = reports.data?.items ?? []
  const total = reports.data?.total ?? 0
  const pages = Math.max(1, Math.ceil(total / REPORTS_PAGE_SIZE))

  return (
    <Stack gap="md" maw={1200}>
      <Group justify="space-between" align="flex-start">
        <Stack gap={4}>
          <Title order={1}>Reports</Title>
          <Text c="dimmed" size="sm">
            Incident reports from the public form, constituents, mail and scripts, waiting for triage.
          </Text>
        </Stack>
        <Button component="a" href="/report" variant="default">
          Report an incident
        </Button>
      </Group>
      <Group gap="sm" align="flex-end" role="search" aria-label="Filter reports">
        <NativeSelect
          label="Status"
          value={search.status ?? ''}
          data={STATUS_OPTIONS}
          onChange={(event) => {
            const value = event.currentTarget.value
            void navigate({
              search: { status: isReportStatus(value) ? value : undefined, page: undefined },
              replace: true,
            })
          }}
        />
      </Group>
      <QueryStatus pending={reports.isPending} error={reports.error} what="reports" />
      {reports.data ? (
        <Text size="sm" c="dimmed" role="status" data-testid="reports-total">
          {total === 1 ? '1 report' : `${total} reports`}
          {pages > 1 ? `, page ${page} of ${pages}` : ''}
        </Text>
      ) : null}
      {items.length > 0 ? (
        <Table.ScrollContainer minWidth={820}>
          <Table striped highlightOnHover aria-label="Reports" data-testid="reports-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Tracking id</Table.Th>
                <Table.Th>What happened</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Reporter</Table.Th>
                <Table.Th>Files</Table.Th>
                <Table.Th>Received</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((r) => (
                <Table.Tr key={r.id}>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>
                    <AnchorLink to="/reports/$reportId" params={{ reportId: r.id }}>
                      {r.trackingId}
                    </AnchorLink>
                  </Table.Td>
                  <Table.Td style={{ overflowWrap: 'anywhere' }}>{r.summary}</Table.Td>
                  <Table.Td>
                    <Badge variant="light">{REPORT_STATUS_LABELS[r.status]}</Badge>
                  </Table.Td>
                  <Table.Td style={{ overflowWrap: 'anywhere' }}>{r.reporterEmail}</Table.Td>
                  <Table.Td>{r.attachmentCount}</Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(r.createdAt)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
      <PagePagination
        pages={pages}
        page={page}
        onChange={(next) => void navigate({ search: (previous) => ({ ...previous, page: next }) })}
      />
    </Stack>
  )
}
