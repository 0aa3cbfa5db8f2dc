import {
  Anchor,
  Badge,
  Button,
  Code,
  Group,
  Paper,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Textarea,
  Title,
} from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { getRouteApi, Link } from '@tanstack/react-router'
import { useState, type FormEvent } from 'react'
import type { ReportWire } from '../../../src/core/incident/report.schema.js'
import { hintsQuery } from '../incident/incident.api.js'
import { INCIDENT_WRITE_ROLES } from '../incident/incident.constants.js'
import { CreateIncidentDialog, MergeIntoIncidentDialog } from '../incident/triage.dialogs.js'
import { AnchorLink } from '../lib/anchor-link.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { formatDateTime } from '../lib/format.js'
import { usePageTitle } from '../lib/page-title.js'
import { QueryStatus } from '../lib/query-status.js'
import { useMe } from '../shell/use-me.js'
import { LabelBadge } from '../trust/label-badge.js'
import {
  attachmentUrl,
  REPORT_STATUS_LABELS,
  replyToReporter,
  reportQuery,
  REPORTS_KEY,
  setReportStatus,
} from './report.api.js'

const reportRouteApi = getRouteApi('/app/reports/$reportId')

function Field({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <Stack gap={0}>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text style={{ overflowWrap: 'anywhere', whiteSpace: 'pre-wrap' }}>{children}</Text>
    </Stack>
  )
}

function yesNo(value: boolean | null): string {
  return value === null ? '—' : value ? 'Yes' : 'No'
}

/** Possible duplicates of the report, and the triage actions: a new incident, or a merge into one. */
function TriageSection({ report, mayWrite }: { report: ReportWire; mayWrite: boolean }) {
  const hints = useQuery(hintsQuery(report.id))
  const [dialog, setDialog] = useState<'create' | 'merge' | null>(null)
  const source = [{ id: report.id, trackingId: report.trackingId, summary: report.summary }]
  const suggested = [
    ...new Set((hints.data?.items ?? []).flatMap((h) => (h.incidentId === null ? [] : [h.incidentId]))),
  ]
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="triage-heading">
      <Stack gap="sm">
        <Title order={2} size="h4" id="triage-heading">
          Triage
        </Title>
        {report.incidentId !== null ? (
          <Text size="sm">
            This report is part of{' '}
            <AnchorLink to="/incidents/$id" params={{ id: report.incidentId }} data-testid="report-incident">
              an incident
            </AnchorLink>
            .
          </Text>
        ) : null}
        <QueryStatus pending={hints.isPending} error={hints.error} what="possible duplicates" />
        {hints.data ? (
          hints.data.items.length === 0 ? (
            <Text size="sm" c="dimmed">
              No other report shares an observable or the reporter with this one.
            </Text>
          ) : (
            <Table aria-label="Possible duplicates" data-testid="hints-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Report</Table.Th>
                  <Table.Th>Why</Table.Th>
                  <Table.Th>Incident</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {hints.data.items.map((hint) => (
                  <Table.Tr key={hint.reportId}>
                    <Table.Td>
                      <AnchorLink to="/reports/$reportId" params={{ reportId: hint.reportId }}>
                        {hint.trackingId}
                      </AnchorLink>
                    </Table.Td>
                    <Table.Td style={{ overflowWrap: 'anywhere' }}>
                      {[
                        hint.sharedObservables.length > 0
                          ? `shares ${hint.sharedObservables.join(', ')}`
                          : null,
                        hint.reasons.includes('reporter') ? 'same reporter' : null,
                      ]
                        .filter((part) => part !== null)
                        .join('; ')}
                    </Table.Td>
                    <Table.Td>
                      {hint.incidentId === null ? (
                        '—'
                      ) : (
                        <AnchorLink to="/incidents/$id" params={{ id: hint.incidentId }}>
                          Open incident
                        </AnchorLink>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )
        ) : null}
        {mayWrite && report.status !== 'linked' ? (
          <Group gap="xs">
            <Button onClick={() => setDialog('create')}>New incident from this report</Button>
            <Button variant="default" onClick={() => setDialog('merge')}>
              Merge into incident…
            </Button>
          </Group>
        ) : null}
      </Stack>
      {dialog === 'create' ? (
        <CreateIncidentDialog opened onClose={() => setDialog(null)} reports={source} />
      ) : null}
      {dialog === 'merge' ? (
        <MergeIntoIncidentDialog
          opened
          onClose={() => setDialog(null)}
          reports={source}
          suggested={suggested}
        />
      ) : null}
    </Paper>
  )
}

/** One report as handlers see it: everything the reporter sent, IOCs, files, messages, triage. */
export function ReportDetailPage() {
  const { reportId } = reportRouteApi.useParams()
  const me = useMe()
  const queryClient = useQueryClient()
  const report = useQuery(reportQuery(reportId))
  usePageTitle(report.data ? `Report ${report.data.trackingId}` : 'Report')
  const [reply, setReply] = useState('')
  const mayWrite = INCIDENT_WRITE_ROLES.includes(me.user.role)

  const onSaved = async (saved: Awaited<ReturnType<typeof setReportStatus>>) => {
    queryClient.setQueryData(reportQuery(reportId).queryKey, saved)
    await queryClient.invalidateQueries({ queryKey: [...REPORTS_KEY, 'list'] })
  }
  const changeStatus = useMutation({ mutationFn: setReportStatus, onSuccess: onSaved })
  const answer = useMutation({
    mutationFn: replyToReporter,
    onSuccess: async (saved) => {
      setReply('')
      await onSaved(saved)
    },
  })

  const submitReply = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (reply.trim() !== '') {
      answer.mutate({ id: reportId, body: reply })
    }
  }

  const r = report.data
  return (
    <Stack gap="md" maw={1100}>
      <Anchor component={Link} to="/reports" size="sm">
        Back to Reports
      </Anchor>
      <QueryStatus pending={report.isPending} error={report.error} what="the report" />
      {r ? (
        <>
          <Group justify="space-between" align="flex-start">
            <Stack gap={4}>
              <Title order={1}>Report {r.trackingId}</Title>
              <Group gap="xs">
                <Badge variant="light" data-testid="report-status">
                  {REPORT_STATUS_LABELS[r.status]}
                </Badge>
                <LabelBadge label={r.label} />
                <Text size="sm" c="dimmed">
                  via {r.channel}, {formatDateTime(r.createdAt)}
                </Text>
              </Group>
            </Stack>
            {mayWrite && r.status !== 'linked' ? (
              <Group gap="xs">
                {(['triaged', 'closed', 'new'] as const)
                  .filter((s) => s !== r.status)
                  .map((s) => (
                    <Button
                      key={s}
                      variant={s === 'triaged' ? 'filled' : 'default'}
                      loading={changeStatus.isPending && changeStatus.variables.status === s}
                      onClick={() => changeStatus.mutate({ id: r.id, status: s })}
                    >
                      {s === 'triaged' ? 'Mark triaged' : s === 'closed' ? 'Close' : 'Back to new'}
                    </Button>
                  ))}
              </Group>
            ) : null}
          </Group>
          <ErrorAlert error={changeStatus.error} title="The status was not changed" />

          <TriageSection report={r} mayWrite={mayWrite} />

          <Paper withBorder p="md" radius="md">
            <Stack gap="sm">
              <Field label="What happened">{r.summary}</Field>
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                <Field label="When">{formatDateTime(r.occurredAt)}</Field>
                <Field label="Affected systems">{r.affectedSystems ?? '—'}</Field>
              </SimpleGrid>
              <Field label="Details">{r.description === '' ? '—' : r.description}</Field>
            </Stack>
          </Paper>

          <SimpleGrid cols={{ base: 1, md: 2 }}>
            <Paper withBorder p="md" radius="md">
              <Stack gap="xs">
                <Title order={2} size="h4">
                  Reporter
                </Title>
                <Field label="Name">{r.reporter.name ?? '—'}</Field>
                <Field label="E-mail">{r.reporter.email}</Field>
                <Field label="Phone">{r.reporter.phone ?? '—'}</Field>
                <Field label="Organisation">{r.reporter.organisation ?? '—'}</Field>
                <Field label="Account">
                  {r.reporter.userId === null ? 'none (public form)' : r.reporter.userId}
                </Field>
                <Field label="Address">{r.reporter.address ?? '—'}</Field>
              </Stack>
            </Paper>
            <Paper withBorder p="md" radius="md">
              <Stack gap="xs">
                <Title order={2} size="h4">
                  NIS2
                </Title>
                <Field label="Entity">{r.nis2.entityType ?? '—'}</Field>
                <Field label="Suspected unlawful or malicious act">{yesNo(r.nis2.suspectedMalicious)}</Field>
                <Field label="Cross-border impact">{yesNo(r.nis2.crossBorderImpact)}</Field>
              </Stack>
            </Paper>
          </SimpleGrid>

          {r.observables.length > 0 ? (
            <Stack gap="xs" component="section" aria-labelledby="iocs-heading">
              <Title order={2} size="h4" id="iocs-heading">
                Indicators found in the text
              </Title>
              <Group gap="xs">
                {r.observables.map((o) => (
                  <Code key={o.key}>{o.key}</Code>
                ))}
              </Group>
            </Stack>
          ) : null}

          {r.attachments.length > 0 ? (
            <Stack gap="xs" component="section" aria-labelledby="attachments-heading">
              <Title order={2} size="h4" id="attachments-heading">
                Attachments
              </Title>
              <Table.ScrollContainer minWidth={720}>
                <Table aria-labelledby="attachments-heading">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Name</Table.Th>
                      <Table.Th>Declared type</Table.Th>
                      <Table.Th>Size</Table.Th>
                      <Table.Th>SHA-256</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {r.attachments.map((a) => (
                      <Table.Tr key={a.id}>
                        <Table.Td style={{ overflowWrap: 'anywhere' }}>
                          <Anchor href={attachmentUrl(r.id, a.id)} download={a.filename}>
                            {a.filename}
                          </Anchor>
                        </Table.Td>
                        <Table.Td>{a.contentType}</Table.Td>
                        <Table.Td>{a.size}</Table.Td>
                        <Table.Td>
                          <Code style={{ overflowWrap: 'anywhere' }}>{a.sha256}</Code>
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            </Stack>
          ) : null}

          <Stack gap="xs" component="section" aria-labelledby="messages-heading">
            <Title order={2} size="h4" id="messages-heading">
              Messages with the reporter
            </Title>
            {r.messages.length === 0 ? (
              <Text size="sm" c="dimmed">
                No messages yet.
              </Text>
            ) : (
              r.messages.map((m) => (
                <Paper
                  key={m.id}
                  withBorder
                  p="sm"
                  radius="md"
                  bg={m.from === 'handler' ? 'indigo.0' : undefined}
                >
                  <Text size="xs" c="dimmed">
                    {m.from === 'handler' ? 'Handlers' : 'Reporter'}, {formatDateTime(m.createdAt)}
                  </Text>
                  <Text style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>{m.body}</Text>
                </Paper>
              ))
            )}
            {mayWrite ? (
              <form onSubmit={submitReply} aria-label="Answer the reporter">
                <Stack gap="xs">
                  <ErrorAlert error={answer.error} title="The answer was not sent" />
                  <Textarea
                    label="Answer the reporter"
                    description="Shown on the reporter’s status page."
                    autosize
                    minRows={3}
                    maxLength={100_000}
                    value={reply}
                    onChange={(e) => setReply(e.currentTarget.value)}
                  />
                  <Group>
                    <Button type="submit" loading={answer.isPending} disabled={reply.trim() === ''}>
                      Send answer
                    </Button>
                  </Group>
                </Stack>
              </form>
            ) : null}
          </Stack>
        </>
      ) : null}
    </Stack>
  )
}
