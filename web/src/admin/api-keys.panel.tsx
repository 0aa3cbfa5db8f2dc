import {
  Badge,
  Button,
  Group,
  Paper,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import type { ApiKeyWire } from '../../../src/core/account/account.schema.js'
import { ConfirmDialog } from '../lib/confirm.dialog.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { formatDateTime } from '../lib/format.js'
import { QueryStatus } from '../lib/query-status.js'
import { SecretBox } from '../lib/secret-box.js'
import { apiKeysQuery, createApiKey, revokeApiKey, type CreatedApiKeyWire } from './admin.api.js'

type ApiKeyStatus = 'active' | 'expired' | 'revoked'

function statusOf(key: ApiKeyWire, now: number): ApiKeyStatus {
  if (key.revokedAt !== null) {
    return 'revoked'
  }
  if (key.expiresAt !== null && Date.parse(key.expiresAt) <= now) {
    return 'expired'
  }
  return 'active'
}

function StatusBadge({ status }: { status: ApiKeyStatus }) {
  switch (status) {
    case 'active':
      return <Badge variant="light">Active</Badge>
    case 'expired':
      return (
        <Badge variant="light" color="gray">
          Expired
        </Badge>
      )
    case 'revoked':
      return (
        <Badge variant="outline" color="gray">
          Revoked
        </Badge>
      )
  }
}

/** Today as `YYYY-MM-DD` in the reader's time zone, the earliest expiry date offered. */
function today(): string {
  const now = new Date()
  const month = String(now.getMonth() + 1).padStart(2, '0')
  const day = String(now.getDate()).padStart(2, '0')
  return `${now.getFullYear()}-${month}-${day}`
}

function CreateApiKeyForm() {
  const queryClient = useQueryClient()
  const [created, setCreated] = useState<CreatedApiKeyWire | null>(null)
  const [name, setName] = useState('')
  const [expiresOn, setExpiresOn] = useState('')

  const create = useMutation({
    mutationFn: createApiKey,
    onSuccess: async (result) => {
      setCreated(result)
      setName('')
      setExpiresOn('')
      await queryClient.invalidateQueries({ queryKey: apiKeysQuery.queryKey })
    },
  })

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    setCreated(null)
    // The key stays valid until the end of the chosen day, in the reader's time zone.
    const expiresAt = expiresOn === '' ? undefined : new Date(`${expiresOn}T23:59:59`).toISOString()
    create.mutate(expiresAt === undefined ? { name: name.trim() } : { name: name.trim(), expiresAt })
  }

  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="create-api-key-heading">
      <Title order={2} size="h4" id="create-api-key-heading" mb="sm">
        Create API key
      </Title>
      <form onSubmit={submit} aria-labelledby="create-api-key-heading">
        <Stack gap="sm">
          <ErrorAlert error={create.error} title="The API key was not created" />
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <TextInput
              label="Name"
              description="What the key is for, e.g. the program that uses it."
              required
              maxLength={100}
              autoComplete="off"
              value={name}
              onChange={(event) => setName(event.currentTarget.value)}
            />
            <TextInput
              label="Expires on"
              description="Optional; without a date the key stays valid until revoked."
              type="date"
              min={today()}
              value={expiresOn}
              onChange={(event) => setExpiresOn(event.currentTarget.value)}
            />
          </SimpleGrid>
          <Group>
            <Button type="submit" loading={create.isPending}>
              Create API key
            </Button>
          </Group>
        </Stack>
      </form>
      {created ? (
        <SecretBox
          mt="md"
          label="New API key token"
          value={created.token}
          description={`Token of the key “${created.apiKey.name}”. Copy it now and keep it safe: Liaison shows it only once.`}
          testId="new-api-key-token"
          onDismiss={() => setCreated(null)}
        />
      ) : null}
    </Paper>
  )
}

/** Admin tab with the caller's own API keys: create one (token shown once) or revoke one. */
export function ApiKeysPanel() {
  const queryClient = useQueryClient()
  const apiKeys = useQuery(apiKeysQuery)
  const [toRevoke, setToRevoke] = useState<ApiKeyWire | null>(null)
  const items = apiKeys.data?.items ?? []
  const now = Date.now()

  const revoke = useMutation({
    mutationFn: (key: ApiKeyWire) => revokeApiKey(key.id),
    onSuccess: async () => {
      setToRevoke(null)
      await queryClient.invalidateQueries({ queryKey: apiKeysQuery.queryKey })
    },
  })

  return (
    <Stack gap="lg">
      <Stack gap="sm" component="section" aria-labelledby="api-keys-heading">
        <Title order={2} size="h4" id="api-keys-heading">
          Your API keys
        </Title>
        <Text size="sm" c="dimmed">
          API keys let programs call Liaison on your behalf, with your rights.
        </Text>
        <QueryStatus pending={apiKeys.isPending} error={apiKeys.error} what="API keys" />
        {apiKeys.data && items.length === 0 ? <Text c="dimmed">You have no API keys.</Text> : null}
        {items.length > 0 ? (
          <Table.ScrollContainer minWidth={760}>
            <Table striped highlightOnHover aria-labelledby="api-keys-heading" data-testid="api-keys-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Prefix</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>Last used</Table.Th>
                  <Table.Th>Expires</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>
                    <VisuallyHidden>Actions</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((key) => {
                  const status = statusOf(key, now)
                  return (
                    <Table.Tr key={key.id} data-status={status}>
                      <Table.Td>{key.name}</Table.Td>
                      <Table.Td>
                        <Text component="code" ff="monospace" size="sm">
                          {key.prefix}
                        </Text>
                      </Table.Td>
                      <Table.Td>{formatDateTime(key.createdAt)}</Table.Td>
                      <Table.Td>{formatDateTime(key.lastUsedAt, 'Never')}</Table.Td>
                      <Table.Td>{formatDateTime(key.expiresAt, 'Never')}</Table.Td>
                      <Table.Td>
                        <StatusBadge status={status} />
                      </Table.Td>
                      <Table.Td>
                        {status === 'active' ? (
                          <Button
                            size="compact-xs"
                            variant="default"
                            aria-label={`Revoke API key ${key.name}`}
                            onClick={() => {
                              revoke.reset()
                              setToRevoke(key)
                            }}
                          >
                            Revoke
                          </Button>
                        ) : null}
                      </Table.Td>
                    </Table.Tr>
                  )
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        ) : null}
      </Stack>
      <CreateApiKeyForm />
      <ConfirmDialog
        opened={toRevoke !== null}
        title={`Revoke API key “${toRevoke?.name ?? ''}”?`}
        confirmLabel="Revoke key"
        loading={revoke.isPending}
        onCancel={() => setToRevoke(null)}
        onConfirm={() => {
          if (toRevoke) {
            revoke.mutate(toRevoke)
          }
        }}
      >
        <Stack gap="xs">
          <span>Programs using this key will be refused from now on. This cannot be undone.</span>
          <ErrorAlert error={revoke.error} title="The key was not revoked" />
        </Stack>
      </ConfirmDialog>
    </Stack>
  )
}
