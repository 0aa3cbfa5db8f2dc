import {
  Alert,
  Badge,
  Button,
  Code,
  FileInput,
  Group,
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
import { ApiError } from '../lib/api.client.js'
import { ConfirmDialog } from '../lib/confirm.dialog.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { formatDateTime } from '../lib/format.js'
import { PagePagination } from '../lib/page-pagination.js'
import { usePageTitle } from '../lib/page-title.js'
import { QueryStatus } from '../lib/query-status.js'
import { useMe } from '../shell/use-me.js'
import {
  CONSTITUENCY_KEY,
  canWriteConstituency,
  CONSTITUENTS_PAGE_SIZE,
  constituentsQuery,
  createConstituent,
  deleteConstituent,
  importConstituencyCsv,
  lookupOwner,
  notificationsQuery,
  splitValues,
  updateConstituent,
  type ConstituentWire,
} from './constituency.api.js'

function LookupForm() {
  const [value, setValue] = useState('')
  const [asn, setAsn] = useState('')
  const lookup = useMutation({ mutationFn: () => lookupOwner(value, asn) })
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (value.trim() !== '') {
      lookup.mutate()
    }
  }
  const result = lookup.data
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="lookup-heading">
      <Title order={2} size="h4" id="lookup-heading" mb="sm">
        Who owns it?
      </Title>
      <form onSubmit={submit} aria-labelledby="lookup-heading" noValidate>
        <Stack gap="sm">
          <Group align="flex-end" wrap="wrap">
            <TextInput
              label="Value"
              description="IP, network, AS number, domain, URL or e-mail address"
              value={value}
              onChange={(e) => setValue(e.currentTarget.value)}
              required
              miw={280}
            />
            <TextInput
              label="AS seen in"
              description="Used when no netblock matches an IP"
              value={asn}
              onChange={(e) => setAsn(e.currentTarget.value)}
              w={180}
            />
            <Button type="submit" loading={lookup.isPending}>
              Look up
            </Button>
          </Group>
          <ErrorAlert error={lookup.error} title="The look-up failed" />
          {result ? (
            <div role="status" data-testid="lookup-result">
              {result.normalised === null ? (
                <Text size="sm">
                  {result.value} is not an IP, network, ASN, domain, URL or e-mail address.
                </Text>
              ) : result.owners.length === 0 ? (
                <Text size="sm">Nobody in the register owns {result.normalised}.</Text>
              ) : (
                <Stack gap={4}>
                  {result.owners.map((o) => (
                    <Text size="sm" key={o.constituentId}>
                      <strong>{o.name}</strong> ({o.abuseEmails.join(', ')}) owns {result.normalised}:{' '}
                      {o.kind} <Code>{o.matched}</Code>
                    </Text>
                  ))}
                </Stack>
              )}
            </div>
          ) : null}
        </Stack>
      </form>
    </Paper>
  )
}

interface Draft {
  name: string
  abuseEmails: string
  netblocks: string
  asns: string
  domains: string
  pgpKey: string
}

function draftOf(c: ConstituentWire | null): Draft {
  const of = (kind: string) =>
    (c?.ranges ?? [])
      .filter((r) => r.kind === kind)
      .map((r) => r.value)
      .join('\n')
  return {
    name: c?.name ?? '',
    abuseEmails: (c?.abuseEmails ?? []).join(', '),
    netblocks: of('netblock'),
    asns: of('asn'),
    domains: of('domain'),
    pgpKey: c?.pgpKey ?? '',
  }
}

function ConstituentForm({ editing, onDone }: { editing: ConstituentWire | null; onDone: () => void }) {
  const queryClient = useQueryClient()
  const [draft, setDraft] = useState<Draft>(() => draftOf(editing))
  const save = useMutation({
    mutationFn: () => {
      const body = {
        name: draft.name.trim(),
        abuseEmails: splitValues(draft.abuseEmails),
        netblocks: splitValues(draft.netblocks),
        asns: splitValues(draft.asns),
        domains: splitValues(draft.domains),
        pgpKey: draft.pgpKey.trim() === '' ? null : draft.pgpKey.trim(),
      }
      return editing === null ? createConstituent(body) : updateConstituent(editing.id, body)
    },
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: CONSTITUENCY_KEY })
      onDone()
    },
  })
  const field = (key: keyof Draft) => ({
    value: draft[key],
    onChange: (e: { currentTarget: { value: string } }) => {
      const next = e.currentTarget.value
      setDraft((d) => ({ ...d, [key]: next }))
    },
  })
  const fieldError = (name: string): string | undefined => {
    const error = save.error
    return error instanceof ApiError &&
      typeof error.details?.field === 'string' &&
      error.details.field.startsWith(name)
      ? error.message
      : undefined
  }
  const heading = editing === null ? 'Add a constituent' : `Edit ${editing.name}`
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="constituent-form-heading">
      <Title order={2} size="h4" id="constituent-form-heading" mb="sm">
        {heading}
      </Title>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          save.mutate()
        }}
        aria-labelledby="constituent-form-heading"
        noValidate
        data-testid="constituent-form"
      >
        <Stack gap="sm">
          <ErrorAlert error={save.error} title="The constituent was not saved" />
          <TextInput label="Name" required {...field('name')} error={fieldError('name')} />
          <TextInput
            label="Abuse addresses"
            description="One or more, separated by commas"
            required
            {...field('abuseEmails')}
            error={fieldError('abuseEmails')}
          />
          <Group grow align="flex-start">
            <Textarea
              label="Netblocks"
              description="IPv4/IPv6 CIDR, one per line"
              autosize
              minRows={3}
              {...field('netblocks')}
              error={fieldError('netblocks')}
            />
            <Textarea
              label="AS numbers"
              description="AS64500 or 64500"
              autosize
              minRows={3}
              {...field('asns')}
              error={fieldError('asns')}
            />
            <Textarea
              label="Domains"
              description="Subdomains are included"
              autosize
              minRows={3}
              {...field('domains')}
              error={fieldError('domains')}
            />
          </Group>
          <Textarea
            label="OpenPGP public key (optional)"
            description="Armored; notifications to this constituent are then encrypted"
            autosize
            minRows={2}
            maxRows={8}
            ff="monospace"
            {...field('pgpKey')}
            error={fieldError('pgpKey')}
          />
          <Group>
            <Button type="submit" loading={save.isPending}>
              {editing === null ? 'Add constituent' : 'Save changes'}
            </Button>
            <Button variant="default" onClick={onDone}>
              Cancel
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  )
}

function CsvImportForm() {
  const queryClient = useQueryClient()
  const [file, setFile] = useState<File | null>(null)
  const upload = useMutation({
    mutationFn: async (chosen: File) => importConstituencyCsv(await chosen.text()),
    onSuccess: async () => {
      setFile(null)
      await queryClient.invalidateQueries({ queryKey: CONSTITUENCY_KEY })
    },
  })
  const problems =
    upload.error instanceof ApiError && Array.isArray(upload.error.details?.problems)
      ? (upload.error.details.problems as { row: number; column: string; message: string }[])
      : []
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="csv-heading">
      <Title order={2} size="h4" id="csv-heading" mb="sm">
        Import from CSV
      </Title>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          if (file !== null) {
            upload.mutate(file)
          }
        }}
        aria-labelledby="csv-heading"
        noValidate
      >
        <Stack gap="sm">
          {problems.length > 0 ? (
            <Alert color="red" variant="light" role="alert" title="Nothing was imported">
              <Stack gap={2}>
                {problems.slice(0, 50).map((p) => (
                  <Text size="sm" key={`${p.row}-${p.column}-${p.message}`}>
                    Row {p.row}, column {p.column}: {p.message}
                  </Text>
                ))}
              </Stack>
            </Alert>
          ) : (
            <ErrorAlert error={upload.error} title="Nothing was imported" />
          )}
          {upload.data ? (
            <Alert color="indigo" variant="light" role="status" title="Imported">
              {upload.data.created} created, {upload.data.updated} updated.
            </Alert>
          ) : null}
          <FileInput
            label="CSV file"
            description="Columns: name, abuse_email, netblocks, asns, domains (several values per cell separated by spaces or ;). A known name is updated; a bad cell refuses the whole file."
            placeholder="Choose a file"
            accept="text/csv,.csv"
            clearable
            clearButtonProps={{ 'aria-label': 'Remove the chosen file' }}
            value={file}
            onChange={(next) => {
              setFile(next)
              upload.reset()
            }}
          />
          <Group>
            <Button type="submit" loading={upload.isPending} disabled={file === null}>
              Import
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  )
}

function NotificationsList() {
  const notifications = useQuery(notificationsQuery)
  const items = notifications.data?.items ?? []
  return (
    <Stack gap="sm" component="section" aria-labelledby="notifications-heading">
      <Title order={2} size="h4" id="notifications-heading">
        Notifications sent
      </Title>
      <QueryStatus pending={notifications.isPending} error={notifications.error} what="notifications" />
      {notifications.data && items.length === 0 ? (
        <Text size="sm">No notification has been sent yet.</Text>
      ) : null}
      {items.length > 0 ? (
        <Table.ScrollContainer minWidth={640}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">When</Table.Th>
                <Table.Th scope="col">To</Table.Th>
                <Table.Th scope="col">Subject</Table.Th>
                <Table.Th scope="col">Values</Table.Th>
                <Table.Th scope="col">Status</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((n) => (
                <Table.Tr key={n.id}>
                  <Table.Td>{formatDateTime(n.createdAt)}</Table.Td>
                  <Table.Td>
                    {n.constituentName}
                    <Text size="xs" c="dimmed">
                      {n.recipients.join(', ')}
                    </Text>
                  </Table.Td>
                  <Table.Td>{n.subject}</Table.Td>
                  <Table.Td>{n.observables.join(', ')}</Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      <Badge color={n.status === 'sent' ? 'green' : 'red'} variant="light">
                        {n.status}
                      </Badge>
                      {n.signed ? <Badge variant="outline">signed</Badge> : null}
                      {n.encrypted ? <Badge variant="outline">encrypted</Badge> : null}
                    </Group>
                    {n.error === null ? null : (
                      <Text size="xs" c="red">
                        {n.error}
                      </Text>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
    </Stack>
  )
}

/** The constituency register: look-up, list, add/edit, CSV import, notifications sent. */
export function ConstituencyPage() {
  usePageTitle('Constituency')
  const me = useMe()
  const canWrite = canWriteConstituency(me)
  const queryClient = useQueryClient()
  const [q, setQ] = useState('')
  const [page, setPage] = useState(1)
  const [editing, setEditing] = useState<ConstituentWire | 'new' | null>(null)
  const [toDelete, setToDelete] = useState<ConstituentWire | null>(null)
  const list = useQuery(constituentsQuery(q, page))
  const items = list.data?.items ?? []
  const remove = useMutation({
    mutationFn: (c: ConstituentWire) => deleteConstituent(c.id),
    onSuccess: async () => {
      setToDelete(null)
      await queryClient.invalidateQueries({ queryKey: CONSTITUENCY_KEY })
    },
  })

  return (
    <Stack gap="lg">
      <Title order={1}>Constituency</Title>
      <Text size="sm" c="dimmed">
        The organisations this team notifies about their own networks, AS numbers and domains. An IP belongs
        to the most specific netblock containing it; a domain to the most specific registered domain above it.
      </Text>
      <LookupForm />
      <Stack gap="sm" component="section" aria-labelledby="register-heading">
        <Group justify="space-between">
          <Title order={2} size="h4" id="register-heading">
            Register{list.data ? ` (${list.data.total})` : ''}
          </Title>
          {canWrite ? (
            <Button variant="light" onClick={() => setEditing('new')}>
              Add constituent
            </Button>
          ) : null}
        </Group>
        <TextInput
          label="Filter by name"
          value={q}
          onChange={(e) => {
            setQ(e.currentTarget.value)
            setPage(1)
          }}
          maw={320}
        />
        <QueryStatus pending={list.isPending} error={list.error} what="the register" />
        {editing !== null ? (
          <ConstituentForm
            key={editing === 'new' ? 'new' : editing.id}
            editing={editing === 'new' ? null : editing}
            onDone={() => setEditing(null)}
          />
        ) : null}
        {list.data && items.length === 0 ? <Text size="sm">No constituent matches.</Text> : null}
        {items.length > 0 ? (
          <Table.ScrollContainer minWidth={720}>
            <Table striped data-testid="constituents-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Name</Table.Th>
                  <Table.Th scope="col">Abuse addresses</Table.Th>
                  <Table.Th scope="col">Netblocks, ASNs, domains</Table.Th>
                  <Table.Th scope="col">OpenPGP</Table.Th>
                  {canWrite ? <Table.Th scope="col">Actions</Table.Th> : null}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((c) => (
                  <Table.Tr key={c.id}>
                    <Table.Th scope="row">{c.name}</Table.Th>
                    <Table.Td>{c.abuseEmails.join(', ')}</Table.Td>
                    <Table.Td>
                      <Group gap={4}>
                        {c.ranges.map((r) => (
                          <Badge key={r.id} variant="light" color="gray" tt="none">
                            {r.value}
                          </Badge>
                        ))}
                      </Group>
                    </Table.Td>
                    <Table.Td>
                      {c.pgpFingerprint === null ? (
                        '—'
                      ) : (
                        <Code>{c.pgpFingerprint.slice(-16).toUpperCase()}</Code>
                      )}
                    </Table.Td>
                    {canWrite ? (
                      <Table.Td>
                        <Group gap="xs" wrap="nowrap">
                          <Button
                            size="xs"
                            variant="default"
                            onClick={() => setEditing(c)}
                            aria-label={`Edit ${c.name}`}
                          >
                            Edit
                          </Button>
                          <Button
                            size="xs"
                            variant="subtle"
                            color="red"
                            onClick={() => setToDelete(c)}
                            aria-label={`Delete ${c.name}`}
                          >
                            Delete
                          </Button>
                        </Group>
                      </Table.Td>
                    ) : null}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        ) : null}
        {list.data && list.data.total > CONSTITUENTS_PAGE_SIZE ? (
          <PagePagination
            pages={Math.ceil(list.data.total / CONSTITUENTS_PAGE_SIZE)}
            page={page}
            onChange={setPage}
          />
        ) : null}
      </Stack>
      {canWrite ? <CsvImportForm /> : null}
      <NotificationsList />
      <ConfirmDialog
        opened={toDelete !== null}
        title={`Delete ${toDelete?.name ?? ''}?`}
        confirmLabel="Delete"
        onConfirm={() => {
          if (toDelete !== null) {
            remove.mutate(toDelete)
          }
        }}
        onCancel={() => setToDelete(null)}
        loading={remove.isPending}
      >
        <ErrorAlert error={remove.error} title="The constituent was not deleted" />
        Its netblocks, AS numbers and domains are removed; the notifications already sent stay on record.
      </ConfirmDialog>
    </Stack>
  )
}
