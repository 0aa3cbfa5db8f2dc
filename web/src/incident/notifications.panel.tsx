import {
  Alert,
  Badge,
  Button,
  Code,
  Group,
  NativeSelect,
  Paper,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { CONSTITUENCY_READ_ROLES } from '../constituency/constituency.api.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { formatDateTime } from '../lib/format.js'
import { QueryStatus } from '../lib/query-status.js'
import { useMe } from '../shell/use-me.js'
import {
  incidentNotificationsQuery,
  notifyOwners,
  type IncidentNotifyRequest,
  type IncidentWire,
  type NotificationWire,
  type NotifyResultWire,
} from './incident.api.js'
import { RSIT_CLASS_OPTIONS } from './incident.constants.js'
import { useIncidentRights, useIncidentTouched } from './incident.hooks.js'

/** The TLP markings a notification may carry, as `IncidentNotifyBody` accepts them. */
const NOTIFY_TLPS = ['TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER', 'TLP:AMBER+STRICT', 'TLP:RED'] as const
type NotifyTlp = (typeof NOTIFY_TLPS)[number]

function isNotifyTlp(value: string): value is NotifyTlp {
  return NOTIFY_TLPS.some((tlp) => tlp === value)
}

function NotificationsTable({
  items,
  caption,
  testId,
}: {
  items: readonly NotificationWire[]
  caption: string
  testId: string
}) {
  return (
    <Table.ScrollContainer minWidth={820}>
      <Table aria-label={caption} data-testid={testId}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Owner</Table.Th>
            <Table.Th>Sent to</Table.Th>
            <Table.Th>Observables</Table.Th>
            <Table.Th>Result</Table.Th>
            <Table.Th>When</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {items.map((n) => (
            <Table.Tr key={n.id}>
              <Table.Th scope="row" fw={500}>
                {n.constituentName}
              </Table.Th>
              <Table.Td style={{ overflowWrap: 'anywhere' }}>{n.recipients.join(', ')}</Table.Td>
              <Table.Td style={{ overflowWrap: 'anywhere' }}>
                {n.observables.slice(0, 5).join(', ')}
                {n.observables.length > 5 ? ` and ${n.observables.length - 5} more` : ''}
              </Table.Td>
              <Table.Td>
                <Group gap={4}>
                  <Badge color={n.status === 'sent' ? 'green.9' : 'red.8'} variant="filled">
                    {n.status === 'sent' ? 'Sent' : 'Failed'}
                  </Badge>
                  {n.signed ? <Badge variant="light">Signed</Badge> : null}
                  {n.encrypted ? <Badge variant="light">Encrypted</Badge> : null}
                </Group>
                {n.error !== null ? (
                  <Text size="xs" c="red.8">
                    {n.error}
                  </Text>
                ) : null}
              </Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(n.createdAt)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  )
}

function RunResult({ result }: { result: NotifyResultWire }) {
  const sent = result.notifications.filter((n) => n.status === 'sent').length
  const failed = result.notifications.length - sent
  return (
    <Paper withBorder p="md" radius="md" bg="indigo.0" role="status" data-testid="notify-result">
      <Stack gap="xs">
        <Text fw={600}>
          {result.notifications.length === 0
            ? 'No owner was found for the incident’s observables: nothing was sent.'
            : `${sent} ${sent === 1 ? 'owner' : 'owners'} notified${failed > 0 ? `, ${failed} failed` : ''}.`}
        </Text>
        {result.notifications.length > 0 ? (
          <NotificationsTable
            items={result.notifications}
            caption="Owners notified now"
            testId="notify-owners"
          />
        ) : null}
        {result.unmatched.length > 0 ? (
          <Text size="sm">
            No registered owner: <Code>{result.unmatched.join(', ')}</Code>
          </Text>
        ) : null}
        {result.ignored.length > 0 ? (
          <Text size="sm">
            Cannot have an owner (hashes, names): <Code>{result.ignored.join(', ')}</Code>
          </Text>
        ) : null}
      </Stack>
    </Paper>
  )
}

function NotifyForm({ incident }: { incident: IncidentWire }) {
  const queryClient = useQueryClient()
  const touched = useIncidentTouched(incident.id)
  const [subject, setSubject] = useState('')
  const [message, setMessage] = useState('')
  // The owner quotes the reference when replying; the incident's id finds the incident again.
  const [reference, setReference] = useState(incident.id)
  const [referenceError, setReferenceError] = useState<string | undefined>()
  const [tlp, setTlp] = useState<NotifyTlp>('TLP:AMBER')
  const [rsitClass, setRsitClass] = useState(incident.rsitClass ?? '')
  const notify = useMutation({
    mutationFn: () => {
      const input: IncidentNotifyRequest = { reference: reference.trim(), tlp }
      if (rsitClass !== '') {
        input.rsitClass = rsitClass
      }
      if (subject.trim() !== '') {
        input.subject = subject.trim()
      }
      if (message.trim() !== '') {
        input.message = message.trim()
      }
      return notifyOwners(incident.id, input)
    },
    onSuccess: async () => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: incidentNotificationsQuery(incident.id).queryKey }),
        touched(),
      ])
    },
  })
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (reference.trim() === '') {
      setReferenceError('Give a reference the owner can quote when replying.')
      return
    }
    setReferenceError(undefined)
    notify.mutate()
  }
  return (
    <Paper withBorder p="md" radius="md">
      <form onSubmit={submit} aria-labelledby="notify-heading" data-testid="notify-form" noValidate>
        <Stack gap="sm">
          <Title order={3} size="h5" id="notify-heading">
            Notify owners
          </Title>
          <Text size="sm" c="dimmed">
            Every owner in the constituency register of an observable of this incident (linked, or from its
            reports) gets one mail naming only its own values.
          </Text>
          <Group grow align="flex-start" wrap="wrap">
            <TextInput
              label="Reference"
              description="In the subject and the text; owners quote it when replying"
              required
              maxLength={100}
              miw={260}
              value={reference}
              error={referenceError}
              onChange={(event) => setReference(event.currentTarget.value.replace(/[\r\n]/g, ' '))}
            />
            <NativeSelect
              label="TLP"
              description="How the owner may share the mail"
              data={[...NOTIFY_TLPS]}
              miw={160}
              value={tlp}
              onChange={(event) => {
                const value = event.currentTarget.value
                if (isNotifyTlp(value)) {
                  setTlp(value)
                }
              }}
            />
            <NativeSelect
              label="RSIT class"
              description="Names the kind of incident in the mail"
              data={RSIT_CLASS_OPTIONS}
              miw={200}
              value={rsitClass}
              onChange={(event) => setRsitClass(event.currentTarget.value)}
            />
          </Group>
          <TextInput
            label="Subject"
            description="Leave empty for the standard subject"
            maxLength={200}
            value={subject}
            onChange={(event) => setSubject(event.currentTarget.value.replace(/[\r\n]/g, ' '))}
          />
          <Textarea
            label="Message"
            description="Leave empty for the standard text"
            autosize
            minRows={3}
            maxLength={20_000}
            value={message}
            onChange={(event) => setMessage(event.currentTarget.value)}
          />
          <ErrorAlert error={notify.error} title="No notification was sent" />
          <Group>
            <Button type="submit" loading={notify.isPending}>
              Notify owners
            </Button>
          </Group>
          {notify.data ? <RunResult result={notify.data} /> : null}
        </Stack>
      </form>
    </Paper>
  )
}

/** Owner notification: notify the owners of the incident's observables, and what was sent before. */
export function NotificationsPanel({ incident }: { incident: IncidentWire }) {
  const me = useMe()
  const rights = useIncidentRights(incident)
  const mayRead = incident.owned && CONSTITUENCY_READ_ROLES.includes(me.user.role)
  // The register is the instance organisation's working data: only its handlers notify from it.
  const mayNotify = rights.work && me.organisation.isInstanceOwner
  const notifications = useQuery({ ...incidentNotificationsQuery(incident.id), enabled: mayRead })
  const items = notifications.data?.items ?? []
  return (
    <Stack gap="md" component="section" aria-labelledby="notifications-heading">
      <Title order={2} size="h4" id="notifications-heading">
        Notifications
      </Title>
      {mayNotify ? <NotifyForm incident={incident} /> : null}
      {mayRead ? (
        <Stack gap="xs">
          <Title order={3} size="h5">
            Sent for this incident
          </Title>
          <QueryStatus pending={notifications.isPending} error={notifications.error} what="notifications" />
          {notifications.data && items.length === 0 ? (
            <Text size="sm" c="dimmed">
              Nothing sent yet.
            </Text>
          ) : null}
          {items.length > 0 ? (
            <NotificationsTable items={items} caption="Notifications sent" testId="notifications-table" />
          ) : null}
        </Stack>
      ) : (
        <Alert variant="light" color="gray">
          Owners are notified, and the notifications read, by the organisation that owns the incident.
        </Alert>
      )}
    </Stack>
  )
}
