import {
  Alert,
  Anchor,
  Badge,
  Button,
  Group,
  NativeSelect,
  Paper,
  SimpleGrid,
  Stack,
  Table,
  Tabs,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core'
import { useMutation, useQuery } from '@tanstack/react-query'
import { getRouteApi, Link } from '@tanstack/react-router'
import { useState, type FormEvent, type ReactNode } from 'react'
import { ApiError } from '../lib/api.client.js'
import { AnchorLink } from '../lib/anchor-link.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { formatDateTime } from '../lib/format.js'
import { MissingRecord } from '../lib/missing-record.js'
import { usePageTitle } from '../lib/page-title.js'
import { QueryStatus } from '../lib/query-status.js'
import { reportQuery, REPORT_STATUS_LABELS } from '../report/report.api.js'
import { useMe } from '../shell/use-me.js'
import { LabelBadge } from '../trust/label-badge.js'
import {
  incidentQuery,
  orgUsersQuery,
  updateIncident,
  type IncidentWire,
  type UpdateIncidentInput,
} from './incident.api.js'
import { SeverityBadge, StatusBadge } from './incident.badges.js'
import {
  INCIDENT_TAB_LABELS,
  INCIDENT_TABS,
  INCIDENT_TRANSITIONS,
  INCIDENT_WRITE_ROLES,
  isSeverity,
  rsitText,
  SEVERITY_OPTIONS,
  SLA_STATE_COLOURS,
  SLA_STATE_LABELS,
  transitionLabel,
  type IncidentStatus,
  type IncidentTab,
  type Severity,
} from './incident.constants.js'
import { useIncidentRights, useIncidentSaved, usePeopleNames } from './incident.hooks.js'
import { LinksPanel } from './links.panel.js'
import { Nis2Panel } from './nis2.panel.js'
import { NotesPanel } from './notes.panel.js'
import { NotificationsPanel } from './notifications.panel.js'
import { RsitFields, type RsitValue } from './rsit-fields.js'
import { SharingPanel } from './sharing.panel.js'
import { SplitIncidentDialog, useSplitNotice } from './split.dialog.js'
import { TasksPanel } from './tasks.panel.js'
import { TimelinePanel } from './timeline.panel.js'

const incidentRouteApi = getRouteApi('/app/incidents/$id')

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Table.Tr>
      <Table.Th scope="row" w="35%" fw={500} c="dimmed">
        {label}
      </Table.Th>
      <Table.Td style={{ overflowWrap: 'anywhere' }}>{children}</Table.Td>
    </Table.Tr>
  )
}

/** The status buttons: only the transitions the workflow allows from the current status. */
function WorkflowButtons({ incident }: { incident: IncidentWire }) {
  const saved = useIncidentSaved()
  const change = useMutation({
    mutationFn: (status: IncidentStatus) => updateIncident(incident.id, { status }),
    onSuccess: saved,
  })
  return (
    <Stack gap="xs" align="flex-end">
      <Group gap="xs" role="group" aria-label="Change the status">
        {/* The workflow lists the usual next step first: that one is the primary button. */}
        {INCIDENT_TRANSITIONS[incident.status].map((to, index) => (
          <Button
            key={to}
            variant={index === 0 ? 'filled' : 'default'}
            loading={change.isPending && change.variables === to}
            disabled={change.isPending}
            onClick={() => change.mutate(to)}
          >
            {transitionLabel(incident.status, to)}
          </Button>
        ))}
      </Group>
      <ErrorAlert error={change.error} title="The status was not changed" />
    </Stack>
  )
}

/** The members of the caller's organisation who may work an incident, as assignee options. */
function useAssigneeOptions(assigneeId: string | null) {
  const me = useMe()
  const users = useQuery(orgUsersQuery(me.organisation.id))
  const options = (users.data?.items ?? [])
    .filter((u) => !u.disabled && INCIDENT_WRITE_ROLES.includes(u.role))
    .map((u) => ({ value: u.id, label: u.name }))
  if (assigneeId !== null && !options.some((o) => o.value === assigneeId)) {
    options.push({ value: assigneeId, label: 'Someone no longer working incidents' })
  }
  return [{ value: '', label: 'Nobody' }, ...options]
}

function DetailsForm({ incident, onDone }: { incident: IncidentWire; onDone: () => void }) {
  const saved = useIncidentSaved()
  const [title, setTitle] = useState(incident.title)
  const [description, setDescription] = useState(incident.description)
  const [severity, setSeverity] = useState<Severity>(incident.severity)
  const [impact, setImpact] = useState(incident.impact)
  const [rsit, setRsit] = useState<RsitValue>({
    rsitClass: incident.rsitClass ?? '',
    rsitType: incident.rsitType ?? '',
  })
  const [assignee, setAssignee] = useState(incident.assigneeId ?? '')
  const [titleError, setTitleError] = useState<string | undefined>()
  const assignees = useAssigneeOptions(incident.assigneeId)
  const save = useMutation({
    mutationFn: (patch: UpdateIncidentInput) => updateIncident(incident.id, patch),
    onSuccess: async (updated) => {
      await saved(updated)
      onDone()
    },
  })
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (title.trim() === '') {
      setTitleError('Give the incident a title.')
      return
    }
    setTitleError(undefined)
    const patch: UpdateIncidentInput = {}
    if (title.trim() !== incident.title) {
      patch.title = title.trim()
    }
    if (description !== incident.description) {
      patch.description = description
    }
    if (severity !== incident.severity) {
      patch.severity = severity
    }
    if (impact !== incident.impact) {
      patch.impact = impact
    }
    const rsitClass = rsit.rsitClass === '' ? null : rsit.rsitClass
    const rsitType = rsit.rsitType === '' ? null : rsit.rsitType
    if (rsitClass !== incident.rsitClass || rsitType !== incident.rsitType) {
      patch.rsitClass = rsitClass
      patch.rsitType = rsitClass === null ? null : rsitType
    }
    const assigneeId = assignee === '' ? null : assignee
    if (assigneeId !== incident.assigneeId) {
      patch.assigneeId = assigneeId
    }
    if (Object.keys(patch).length === 0) {
      onDone()
      return
    }
    save.mutate(patch)
  }
  return (
    <form onSubmit={submit} aria-label="Edit the incident" data-testid="details-form" noValidate>
      <Stack gap="sm">
        <ErrorAlert error={save.error} title="The incident was not saved" />
        <TextInput
          label="Title"
          required
          maxLength={300}
          value={title}
          error={titleError}
          onChange={(event) => setTitle(event.currentTarget.value)}
        />
        <RsitFields value={rsit} onChange={setRsit} disabled={save.isPending} />
        <Group grow align="flex-start" wrap="wrap">
          <NativeSelect
            label="Severity"
            data={SEVERITY_OPTIONS}
            value={severity}
            miw={160}
            onChange={(event) => {
              const value = event.currentTarget.value
              if (isSeverity(value)) {
                setSeverity(value)
              }
            }}
          />
          <NativeSelect
            label="Assignee"
            data={assignees}
            value={assignee}
            miw={200}
            onChange={(event) => setAssignee(event.currentTarget.value)}
          />
        </Group>
        <TextInput
          label="Impact"
          maxLength={2000}
          value={impact}
          onChange={(event) => setImpact(event.currentTarget.value)}
        />
        <Textarea
          label="Description"
          autosize
          minRows={3}
          maxRows={20}
          maxLength={100_000}
          value={description}
          onChange={(event) => setDescription(event.currentTarget.value)}
        />
        <Group>
          <Button type="submit" loading={save.isPending}>
            Save changes
          </Button>
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
        </Group>
      </Stack>
    </form>
  )
}

/** A linked report: its tracking id and what it says (fetched one by one; incidents hold few reports). */
function LinkedReport({ reportId }: { reportId: string }) {
  const report = useQuery(reportQuery(reportId))
  return (
    <Table.Tr>
      <Table.Th scope="row" fw={400}>
        <AnchorLink to="/reports/$reportId" params={{ reportId }}>
          {report.data?.trackingId ?? 'Report'}
        </AnchorLink>
      </Table.Th>
      <Table.Td style={{ overflowWrap: 'anywhere' }}>{report.data?.summary ?? ''}</Table.Td>
      <Table.Td>{report.data ? REPORT_STATUS_LABELS[report.data.status] : ''}</Table.Td>
      <Table.Td style={{ whiteSpace: 'nowrap' }}>
        {formatDateTime(report.data?.createdAt ?? null, '')}
      </Table.Td>
    </Table.Tr>
  )
}

function OverviewPanel({ incident }: { incident: IncidentWire }) {
  const rights = useIncidentRights(incident)
  const [editing, setEditing] = useState(false)
  const [splitting, setSplitting] = useState(false)
  const personName = usePeopleNames(
    [incident.assigneeId, incident.createdBy].filter((id): id is string => id !== null),
  )
  const timers = [
    { name: 'Acknowledge', timer: incident.sla.acknowledge },
    { name: 'Resolve', timer: incident.sla.resolve },
  ]
  return (
    <Stack gap="md">
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        <Paper withBorder p="md" radius="md" component="section" aria-labelledby="details-heading">
          <Group justify="space-between" mb="sm">
            <Title order={2} size="h4" id="details-heading">
              Details
            </Title>
            {rights.work && !editing ? (
              <Button size="xs" variant="default" onClick={() => setEditing(true)}>
                Edit details
              </Button>
            ) : null}
          </Group>
          {editing ? (
            <DetailsForm incident={incident} onDone={() => setEditing(false)} />
          ) : (
            <Table variant="vertical" layout="fixed" withRowBorders={false} data-testid="incident-details">
              <Table.Tbody>
                <Fact label="Classification">{rsitText(incident.rsitClass, incident.rsitType)}</Fact>
                <Fact label="Severity">
                  <SeverityBadge severity={incident.severity} />
                </Fact>
                <Fact label="Impact">{incident.impact === '' ? '—' : incident.impact}</Fact>
                <Fact label="Assignee">
                  {incident.assigneeId === null ? 'Nobody' : personName(incident.assigneeId)}
                </Fact>
                <Fact label="Opened">
                  {formatDateTime(incident.createdAt)} by {personName(incident.createdBy)}
                </Fact>
                <Fact label="Description">
                  <Text component="span" style={{ whiteSpace: 'pre-wrap' }}>
                    {incident.description === '' ? '—' : incident.description}
                  </Text>
                </Fact>
              </Table.Tbody>
            </Table>
          )}
        </Paper>
        <Paper withBorder p="md" radius="md" component="section" aria-labelledby="sla-heading">
          <Title order={2} size="h4" id="sla-heading" mb="sm">
            SLA timers
          </Title>
          <Table aria-labelledby="sla-heading" data-testid="sla-timers">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Timer</Table.Th>
                <Table.Th>Due</Table.Th>
                <Table.Th>Done</Table.Th>
                <Table.Th>State</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {timers.map(({ name, timer }) => (
                <Table.Tr key={name} data-state={timer.state} data-due={timer.dueAt}>
                  <Table.Th scope="row" fw={500}>
                    {name}
                  </Table.Th>
                  <Table.Td>{formatDateTime(timer.dueAt)}</Table.Td>
                  <Table.Td>{formatDateTime(timer.doneAt)}</Table.Td>
                  <Table.Td>
                    <Badge variant="filled" color={SLA_STATE_COLOURS[timer.state]}>
                      {SLA_STATE_LABELS[timer.state]}
                    </Badge>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Text size="xs" c="dimmed" mt="xs">
            Acknowledged when the status first changes; resolved when it is resolved or closed.
          </Text>
        </Paper>
      </SimpleGrid>
      {incident.owned ? (
        <Paper withBorder p="md" radius="md" component="section" aria-labelledby="reports-heading">
          <Group justify="space-between" mb="sm">
            <Title order={2} size="h4" id="reports-heading">
              Reports
            </Title>
            {rights.work && incident.reportIds.length > 0 ? (
              <Button size="xs" variant="default" onClick={() => setSplitting(true)}>
                Split incident…
              </Button>
            ) : null}
          </Group>
          {rights.work ? (
            <SplitIncidentDialog opened={splitting} onClose={() => setSplitting(false)} incident={incident} />
          ) : null}
          {incident.reportIds.length === 0 ? (
            <Text size="sm" c="dimmed">
              Opened without a report. Merge reports into it from the{' '}
              <Anchor component={Link} to="/reports" size="sm">
                triage queue
              </Anchor>
              .
            </Text>
          ) : (
            <Table.ScrollContainer minWidth={600}>
              <Table aria-labelledby="reports-heading" data-testid="incident-reports">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Tracking id</Table.Th>
                    <Table.Th>What happened</Table.Th>
                    <Table.Th>Status</Table.Th>
                    <Table.Th>Received</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {incident.reportIds.map((id) => (
                    <LinkedReport key={id} reportId={id} />
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </Paper>
      ) : null}
    </Stack>
  )
}

function ActivePanel({ tab, incident }: { tab: IncidentTab; incident: IncidentWire }) {
  switch (tab) {
    case 'overview':
      return <OverviewPanel incident={incident} />
    case 'tasks':
      return <TasksPanel incident={incident} />
    case 'notes':
      return <NotesPanel incident={incident} />
    case 'observables':
      return <LinksPanel incident={incident} />
    case 'nis2':
      return <Nis2Panel incident={incident} />
    case 'notifications':
      return <NotificationsPanel incident={incident} />
    case 'sharing':
      return <SharingPanel incident={incident} />
    case 'timeline':
      return <TimelinePanel incident={incident} />
  }
}

/** Tabs that hold only the owner organisation's work. */
const OWNER_TABS: readonly IncidentTab[] = ['tasks', 'notifications']

function IncidentView({ incident }: { incident: IncidentWire }) {
  const rights = useIncidentRights(incident)
  const { tab } = incidentRouteApi.useSearch()
  const navigate = incidentRouteApi.useNavigate()
  const tabs = INCIDENT_TABS.filter((t) => incident.owned || !OWNER_TABS.includes(t))
  const active = tab !== undefined && tabs.includes(tab) ? tab : 'overview'
  const overdue = incident.nis2.deadlines.filter((d) => d.status === 'overdue').length
  const personName = usePeopleNames(incident.assigneeId === null ? [] : [incident.assigneeId])
  const splitNotice = useSplitNotice(incident.id)
  const select = (value: string | null) => {
    const next = tabs.find((candidate) => candidate === value)
    if (next !== undefined) {
      void navigate({ search: { tab: next === 'overview' ? undefined : next }, replace: true })
    }
  }
  return (
    <Stack gap="md">
      <Group justify="space-between" align="flex-start">
        <Stack gap={6} miw={0} style={{ flex: 1 }}>
          <Title order={1} style={{ overflowWrap: 'anywhere' }}>
            {incident.title}
          </Title>
          <Group gap="xs">
            <StatusBadge status={incident.status} />
            <SeverityBadge severity={incident.severity} />
            <Text size="sm" data-testid="incident-rsit">
              {rsitText(incident.rsitClass, incident.rsitType)}
            </Text>
            <LabelBadge label={incident.label} />
            <Text size="sm" c="dimmed" data-testid="incident-assignee">
              {incident.assigneeId === null ? 'Unassigned' : `Assigned to ${personName(incident.assigneeId)}`}
            </Text>
            {incident.nis2.significant === true ? (
              <Badge variant="filled" color={overdue > 0 ? 'red.8' : 'indigo.8'}>
                NIS2 significant{overdue > 0 ? `, ${overdue} overdue` : ''}
              </Badge>
            ) : null}
            {incident.owned ? null : (
              <Badge variant="light" color="gray">
                Shared with you
              </Badge>
            )}
          </Group>
        </Stack>
        {rights.work ? <WorkflowButtons incident={incident} /> : null}
      </Group>
      {splitNotice === undefined ? null : (
        <Alert variant="light" color="green" role="status" title="Incident split" data-testid="split-notice">
          {splitNotice.moved === 1 ? '1 report moved' : `${splitNotice.moved} reports moved`} here from{' '}
          <AnchorLink to="/incidents/$id" params={{ id: splitNotice.fromId }}>
            {splitNotice.fromTitle}
          </AnchorLink>
          .
        </Alert>
      )}
      <Tabs value={active} onChange={select}>
        <Tabs.List>
          {tabs.map((value) => (
            <Tabs.Tab key={value} value={value}>
              {INCIDENT_TAB_LABELS[value]}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        {/* Only the active panel is rendered, so each form's labels are unique on the page. */}
        <Tabs.Panel value={active} pt="md">
          <ActivePanel tab={active} incident={incident} />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  )
}

/** One incident: header with the workflow, and tabs for its details, work, NIS2 reporting and history. */
export function IncidentPage() {
  const { id } = incidentRouteApi.useParams()
  const incident = useQuery(incidentQuery(id))
  usePageTitle(incident.data ? `Incident: ${incident.data.title}` : 'Incident')
  const back = (
    <Anchor component={Link} to="/incidents" size="sm">
      Back to Incidents
    </Anchor>
  )
  if (ApiError.is(incident.error, 404) || ApiError.is(incident.error, 400)) {
    return <MissingRecord title="Incident not found" back={back} />
  }
  return (
    <Stack gap="md" maw={1300}>
      {back}
      <QueryStatus pending={incident.isPending} error={incident.error} what="the incident" />
      {incident.data ? <IncidentView incident={incident.data} /> : null}
      {incident.data ? (
        <Text size="xs" c="dimmed">
          Last changed {formatDateTime(incident.data.updatedAt)} · reference {incident.data.id}
        </Text>
      ) : null}
    </Stack>
  )
}
