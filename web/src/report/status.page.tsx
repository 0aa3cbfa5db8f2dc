import {
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
  Title,
} from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { getRouteApi } from '@tanstack/react-router'
import { useState, type FormEvent } from 'react'
import { ApiError } from '../lib/api.client.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { formatDateTime } from '../lib/format.js'
import { usePageTitle } from '../lib/page-title.js'
import { QueryStatus } from '../lib/query-status.js'
import { PublicFrame } from './public.frame.js'
import { addReporterMessage, filesProblem, REPORT_STATUS_LABELS, reportStatusQuery } from './report.api.js'

const statusRouteApi = getRouteApi('/report/status/$trackingId')

/** The status token of the link: its fragment (`#token=…`, never sent to servers), else `?token=`. */
function tokenFromLocation(): string {
  const fragment = new URLSearchParams(window.location.hash.replace(/^#/, ''))
  return fragment.get('token') ?? new URLSearchParams(window.location.search).get('token') ?? ''
}

function formatBytes(size: number): string {
  if (size < 1024) {
    return `${size} B`
  }
  if (size < 1024 * 1024) {
    return `${(size / 1024).toFixed(1)} KiB`
  }
  return `${(size / 1024 / 1024).toFixed(1)} MiB`
}

/** The reporter's page: status, messages and files of one report, opened by its secret link. */
export function ReportStatusPage() {
  usePageTitle('Your report')
  const { trackingId } = statusRouteApi.useParams()
  const [token] = useState(tokenFromLocation)
  const queryClient = useQueryClient()
  const status = useQuery({ ...reportStatusQuery(trackingId, token), enabled: token !== '' })
  const [body, setBody] = useState('')
  const [files, setFiles] = useState<File[]>([])
  const [bodyError, setBodyError] = useState<string | undefined>()
  const fileProblem = filesProblem(files)

  const add = useMutation({
    mutationFn: addReporterMessage,
    onSuccess: (view) => {
      queryClient.setQueryData(reportStatusQuery(trackingId, token).queryKey, view)
      setBody('')
      setFiles([])
    },
  })

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (body.trim() === '') {
      setBodyError('Write what you want to add.')
      return
    }
    setBodyError(undefined)
    if (fileProblem === null) {
      add.mutate({ trackingId, token, body, files })
    }
  }

  const notFound = token === '' || ApiError.is(status.error, 404)
  const view = status.data

  return (
    <PublicFrame>
      <Stack gap={4}>
        <Title order={1}>Your report {trackingId}</Title>
        <Text c="dimmed" size="sm">
          This page is private to the holder of its link.
        </Text>
      </Stack>
      {notFound ? (
        <ErrorAlert
          error={new Error('No report matches this link. Check that you opened the whole link you received.')}
          title="Report not found"
        />
      ) : (
        <QueryStatus pending={status.isPending} error={status.error} what="your report" />
      )}
      {view ? (
        <>
          <Paper withBorder p="md" radius="md">
            <Stack gap="xs">
              <Group gap="sm">
                <Text fw={500}>Status</Text>
                <Badge data-testid="report-status" variant="light">
                  {REPORT_STATUS_LABELS[view.status]}
                </Badge>
              </Group>
              <Text style={{ overflowWrap: 'anywhere' }}>
                <Text span fw={500}>
                  What happened:{' '}
                </Text>
                {view.summary}
              </Text>
              <Text size="sm" c="dimmed">
                Sent {formatDateTime(view.submittedAt)}, last change {formatDateTime(view.updatedAt)}
              </Text>
            </Stack>
          </Paper>

          <Stack gap="sm" component="section" aria-labelledby="messages-heading">
            <Title order={2} size="h4" id="messages-heading">
              Messages
            </Title>
            {view.messages.length === 0 ? (
              <Text size="sm" c="dimmed">
                No messages yet.
              </Text>
            ) : (
              <Stack gap="xs" data-testid="messages">
                {view.messages.map((m) => (
                  <Paper
                    key={m.id}
                    withBorder
                    p="sm"
                    radius="md"
                    bg={m.from === 'handler' ? 'indigo.0' : undefined}
                  >
                    <Text size="xs" c="dimmed">
                      {m.from === 'handler' ? 'From the incident handlers' : 'From you'},{' '}
                      {formatDateTime(m.createdAt)}
                    </Text>
                    <Text style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>{m.body}</Text>
                  </Paper>
                ))}
              </Stack>
            )}
          </Stack>

          {view.attachments.length > 0 ? (
            <Stack gap="sm" component="section" aria-labelledby="files-heading">
              <Title order={2} size="h4" id="files-heading">
                Files you sent
              </Title>
              <Table.ScrollContainer minWidth={600}>
                <Table aria-labelledby="files-heading">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Name</Table.Th>
                      <Table.Th>Size</Table.Th>
                      <Table.Th>SHA-256</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {view.attachments.map((a) => (
                      <Table.Tr key={`${a.sha256}-${a.createdAt}-${a.filename}`}>
                        <Table.Td style={{ overflowWrap: 'anywhere' }}>{a.filename}</Table.Td>
                        <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatBytes(a.size)}</Table.Td>
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

          <form onSubmit={submit} aria-label="Add information" noValidate>
            <Stack gap="sm">
              <Title order={2} size="h4">
                Add information
              </Title>
              <ErrorAlert error={add.error} title="Your information was not sent" />
              <Textarea
                label="Message"
                autosize
                minRows={4}
                maxLength={100_000}
                required
                value={body}
                error={bodyError}
                onChange={(e) => setBody(e.currentTarget.value)}
              />
              <FileInput
                label="Files"
                description="Up to 10 files, 10 MiB each, 25 MiB together."
                multiple
                clearable
                value={files}
                error={fileProblem}
                onChange={setFiles}
              />
              <Group>
                <Button type="submit" loading={add.isPending} disabled={fileProblem !== null}>
                  Send
                </Button>
              </Group>
            </Stack>
          </form>
        </>
      ) : null}
    </PublicFrame>
  )
}
