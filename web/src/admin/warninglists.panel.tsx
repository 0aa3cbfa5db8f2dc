import {
  Alert,
  Button,
  FileInput,
  Group,
  Paper,
  Stack,
  Switch,
  Table,
  Text,
  Title,
  VisuallyHidden,
} from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { ApiError } from '../lib/api.client.js'
import { ConfirmDialog } from '../lib/confirm.dialog.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { formatDateTime } from '../lib/format.js'
import { QueryStatus } from '../lib/query-status.js'
import {
  deleteWarninglist,
  importWarninglist,
  setWarninglistEnabled,
  WARNINGLISTS_KEY,
  warninglistsQuery,
  type WarninglistWire,
} from '../intel/intel.api.js'

/** Reads a chosen `list.json`; a file that is not JSON is refused here, before any upload. */
async function readListFile(file: File): Promise<unknown> {
  const text = await file.text()
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw new ApiError(0, 'bad_file', `${file.name} is not JSON: choose a MISP warninglist list.json file.`)
  }
}

function ImportWarninglistForm() {
  const queryClient = useQueryClient()
  const [file, setFile] = useState<File | null>(null)
  const [fileError, setFileError] = useState<string | undefined>()
  const upload = useMutation({
    mutationFn: async (chosen: File) => importWarninglist(await readListFile(chosen)),
    onSuccess: async () => {
      setFile(null)
      await queryClient.invalidateQueries({ queryKey: WARNINGLISTS_KEY })
    },
  })

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (file === null) {
      setFileError('Choose a list.json file of the MISP warninglist format.')
      return
    }
    setFileError(undefined)
    upload.mutate(file)
  }

  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="import-warninglist-heading">
      <Title order={2} size="h4" id="import-warninglist-heading" mb="sm">
        Import a warninglist
      </Title>
      <form
        onSubmit={submit}
        aria-labelledby="import-warninglist-heading"
        noValidate
        data-testid="warninglist-form"
      >
        <Stack gap="sm">
          <ErrorAlert error={upload.error} title="The warninglist was not imported" />
          {upload.data ? (
            <Alert color="indigo" variant="light" role="status" title="Warninglist imported">
              {upload.data.warninglist.name}, version {upload.data.warninglist.version}:{' '}
              {upload.data.warninglist.entryCount} entries
              {upload.data.replacedVersion === null
                ? '.'
                : ` (replaces version ${upload.data.replacedVersion}).`}
            </Alert>
          ) : null}
          <FileInput
            label="List file"
            description="A list.json of the MISP warninglist format (types cidr, string, hostname, substring). A list of the same name is replaced."
            placeholder="Choose a file"
            accept="application/json,.json"
            required
            clearable
            clearButtonProps={{ 'aria-label': 'Remove the chosen file' }}
            value={file}
            error={fileError}
            onChange={(next) => {
              setFile(next)
              upload.reset()
            }}
          />
          <Group>
            <Button type="submit" loading={upload.isPending}>
              Import warninglist
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  )
}

/** Admin tab of the instance admins: MISP warninglists of known-benign values (import, enable, delete). */
export function WarninglistsPanel() {
  const queryClient = useQueryClient()
  const lists = useQuery(warninglistsQuery)
  const [toDelete, setToDelete] = useState<WarninglistWire | null>(null)
  const items = lists.data?.items ?? []

  const toggle = useMutation({
    mutationFn: ({ list, enabled }: { list: WarninglistWire; enabled: boolean }) =>
      setWarninglistEnabled(list.id, enabled),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: WARNINGLISTS_KEY })
    },
  })
  const remove = useMutation({
    mutationFn: (list: WarninglistWire) => deleteWarninglist(list.id),
    onSuccess: async () => {
      setToDelete(null)
      await queryClient.invalidateQueries({ queryKey: WARNINGLISTS_KEY })
    },
  })

  return (
    <Stack gap="lg">
      <Stack gap="sm" component="section" aria-labelledby="warninglists-heading">
        <Title order={2} size="h4" id="warninglists-heading">
          Warninglists{lists.data ? ` (${items.length})` : ''}
        </Title>
        <Text size="sm" c="dimmed">
          Known-benign values: private networks, sinkholes, URL shorteners, hashes of empty files… Enabled
          lists flag values on import and in correlation, and exports for blocking leave them out.
        </Text>
        <QueryStatus pending={lists.isPending} error={lists.error} what="warninglists" />
        <ErrorAlert error={toggle.error} title="The warninglist was not changed" />
        {lists.data && items.length === 0 ? <Text c="dimmed">No warninglists yet.</Text> : null}
        {items.length > 0 ? (
          <Table.ScrollContainer minWidth={860}>
            <Table striped aria-labelledby="warninglists-heading" data-testid="warninglists-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Type</Table.Th>
                  <Table.Th>Version</Table.Th>
                  <Table.Th>Entries</Table.Th>
                  <Table.Th>Updated</Table.Th>
                  <Table.Th>Enabled</Table.Th>
                  <Table.Th>
                    <VisuallyHidden>Actions</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((list) => (
                  <Table.Tr key={list.id} data-enabled={list.enabled}>
                    <Table.Td>
                      <Text size="sm" fw={500}>
                        {list.name}
                      </Text>
                      <Text size="xs" c="dimmed">
                        {list.description}
                      </Text>
                    </Table.Td>
                    <Table.Td>{list.type}</Table.Td>
                    <Table.Td>{list.version}</Table.Td>
                    <Table.Td>{list.entryCount}</Table.Td>
                    <Table.Td>{formatDateTime(list.updatedAt)}</Table.Td>
                    <Table.Td>
                      <Switch
                        checked={list.enabled}
                        aria-label={`Enabled: ${list.name}`}
                        onChange={(event) => toggle.mutate({ list, enabled: event.currentTarget.checked })}
                      />
                    </Table.Td>
                    <Table.Td>
                      <Button
                        size="compact-xs"
                        variant="default"
                        color="red"
                        aria-label={`Delete warninglist ${list.name}`}
                        onClick={() => {
                          remove.reset()
                          setToDelete(list)
                        }}
                      >
                        Delete
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        ) : null}
      </Stack>
      <ImportWarninglistForm />
      <ConfirmDialog
        opened={toDelete !== null}
        title={`Delete warninglist “${toDelete?.name ?? ''}”?`}
        confirmLabel="Delete warninglist"
        loading={remove.isPending}
        onConfirm={() => {
          if (toDelete !== null) {
            remove.mutate(toDelete)
          }
        }}
        onCancel={() => setToDelete(null)}
      >
        <Stack gap="xs">
          <ErrorAlert error={remove.error} title="The warninglist was not deleted" />
          <Text size="sm">
            Its values are no longer flagged, and exports for blocking include them again. Import the list
            again to bring it back.
          </Text>
        </Stack>
      </ConfirmDialog>
    </Stack>
  )
}
