import {
  Alert,
  Badge,
  Button,
  Group,
  NativeSelect,
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
import type { Role, UserWire } from '../../../src/core/account/account.schema.js'
import { isRole, ROLE_LABELS, ROLE_OPTIONS } from '../account/account.constants.js'
import { ConfirmDialog } from '../lib/confirm.dialog.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { formatDateTime } from '../lib/format.js'
import { QueryStatus } from '../lib/query-status.js'
import { SecretBox } from '../lib/secret-box.js'
import { useMe } from '../shell/use-me.js'
import { createUser, organisationsQuery, updateUser, usersQuery, type CreatedUserWire } from './admin.api.js'

function UserStatus({ user }: { user: UserWire }) {
  if (user.disabled) {
    return (
      <Badge variant="outline" color="gray">
        Disabled
      </Badge>
    )
  }
  if (user.mustChangePassword) {
    return (
      <Badge variant="light" color="gray">
        Must change password
      </Badge>
    )
  }
  return <Badge variant="light">Active</Badge>
}

function CreateUserForm() {
  const me = useMe()
  const queryClient = useQueryClient()
  const organisations = useQuery(organisationsQuery)
  const [email, setEmail] = useState('')
  const [name, setName] = useState('')
  const [role, setRole] = useState<Role>('handler')
  const [orgId, setOrgId] = useState(me.organisation.id)
  const [created, setCreated] = useState<CreatedUserWire | null>(null)

  // Instance admins may add users anywhere; other admins only to their own organisation.
  const orgChoices = me.isInstanceAdmin ? (organisations.data?.items ?? [me.organisation]) : [me.organisation]

  const create = useMutation({
    mutationFn: createUser,
    onSuccess: async (result) => {
      setCreated(result)
      setEmail('')
      setName('')
      await queryClient.invalidateQueries({ queryKey: usersQuery.queryKey })
    },
  })

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    setCreated(null)
    create.mutate({ email: email.trim(), name: name.trim(), role, orgId })
  }

  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="create-user-heading">
      <Title order={2} size="h4" id="create-user-heading" mb="sm">
        Create user
      </Title>
      <Stack gap="sm">
        <form onSubmit={submit} aria-labelledby="create-user-heading">
          <Stack gap="sm">
            <ErrorAlert error={create.error} title="The user was not created" />
            <TextInput
              label="E-mail"
              type="email"
              required
              maxLength={254}
              autoComplete="off"
              value={email}
              onChange={(event) => setEmail(event.currentTarget.value)}
            />
            <TextInput
              label="Name"
              required
              maxLength={200}
              autoComplete="off"
              value={name}
              onChange={(event) => setName(event.currentTarget.value)}
            />
            <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
              <NativeSelect
                label="Role"
                required
                value={role}
                data={ROLE_OPTIONS}
                onChange={(event) => {
                  const value = event.currentTarget.value
                  if (isRole(value)) {
                    setRole(value)
                  }
                }}
              />
              <NativeSelect
                label="Organisation"
                required
                value={orgId}
                data={orgChoices.map((organisation) => ({
                  value: organisation.id,
                  label: organisation.name,
                }))}
                onChange={(event) => setOrgId(event.currentTarget.value)}
              />
            </SimpleGrid>
            <Text size="xs" c="dimmed">
              Liaison generates a one-time password and shows it here once.
            </Text>
            <Group>
              <Button type="submit" loading={create.isPending}>
                Create user
              </Button>
            </Group>
          </Stack>
        </form>
        {created?.oneTimePassword ? (
          <SecretBox
            label={`One-time password for ${created.user.email}`}
            value={created.oneTimePassword}
            description="Give it to the user through a trusted channel. Liaison shows it only once; the user must choose a new password at first login."
            testId="new-user-one-time-password"
            onDismiss={() => setCreated(null)}
          />
        ) : null}
        {created && created.oneTimePassword === null ? (
          <Alert color="indigo" variant="light" role="status" title="User created">
            {created.user.name} ({created.user.email}) can now log in.
          </Alert>
        ) : null}
      </Stack>
    </Paper>
  )
}

/** Admin tab listing users, with a form to create one and a way to disable or re-enable accounts. */
export function UsersPanel() {
  const me = useMe()
  const queryClient = useQueryClient()
  const users = useQuery(usersQuery)
  const organisations = useQuery(organisationsQuery)
  const [toDisable, setToDisable] = useState<UserWire | null>(null)
  const items = users.data?.items ?? []
  const orgNames = new Map((organisations.data?.items ?? [me.organisation]).map((org) => [org.id, org.name]))

  const setDisabled = useMutation({
    mutationFn: ({ user, disabled }: { user: UserWire; disabled: boolean }) =>
      updateUser(user.id, { disabled }),
    onSuccess: async () => {
      setToDisable(null)
      await queryClient.invalidateQueries({ queryKey: usersQuery.queryKey })
    },
  })

  return (
    <Stack gap="lg">
      <Stack gap="sm" component="section" aria-labelledby="users-heading">
        <Title order={2} size="h4" id="users-heading">
          Users{users.data ? ` (${users.data.total})` : ''}
        </Title>
        <QueryStatus pending={users.isPending} error={users.error} what="users" />
        {toDisable === null ? (
          <ErrorAlert error={setDisabled.error} title="The user was not changed" />
        ) : null}
        {users.data && items.length === 0 ? <Text c="dimmed">No users yet.</Text> : null}
        {items.length > 0 ? (
          <Table.ScrollContainer minWidth={760}>
            <Table striped highlightOnHover aria-labelledby="users-heading" data-testid="users-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>E-mail</Table.Th>
                  <Table.Th>Organisation</Table.Th>
                  <Table.Th>Role</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Last login</Table.Th>
                  <Table.Th>
                    <VisuallyHidden>Actions</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((user) => (
                  <Table.Tr key={user.id}>
                    <Table.Td>{user.name}</Table.Td>
                    <Table.Td>{user.email}</Table.Td>
                    <Table.Td>{orgNames.get(user.orgId) ?? '—'}</Table.Td>
                    <Table.Td>{ROLE_LABELS[user.role]}</Table.Td>
                    <Table.Td>
                      <UserStatus user={user} />
                    </Table.Td>
                    <Table.Td>{formatDateTime(user.lastLoginAt, 'Never')}</Table.Td>
                    <Table.Td>
                      {user.id === me.user.id ? null : user.disabled ? (
                        <Button
                          size="compact-xs"
                          variant="default"
                          aria-label={`Enable ${user.email}`}
                          loading={setDisabled.isPending && setDisabled.variables?.user.id === user.id}
                          onClick={() => setDisabled.mutate({ user, disabled: false })}
                        >
                          Enable
                        </Button>
                      ) : (
                        <Button
                          size="compact-xs"
                          variant="default"
                          aria-label={`Disable ${user.email}`}
                          onClick={() => {
                            setDisabled.reset()
                            setToDisable(user)
                          }}
                        >
                          Disable
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        ) : null}
      </Stack>
      <CreateUserForm />
      <ConfirmDialog
        opened={toDisable !== null}
        title={`Disable ${toDisable?.email ?? 'user'}?`}
        confirmLabel="Disable user"
        loading={setDisabled.isPending}
        onCancel={() => setToDisable(null)}
        onConfirm={() => {
          if (toDisable) {
            setDisabled.mutate({ user: toDisable, disabled: true })
          }
        }}
      >
        <Stack gap="xs">
          <span>A disabled user can no longer log in. You can enable the account again later.</span>
          {toDisable !== null ? (
            <ErrorAlert error={setDisabled.error} title="The user was not disabled" />
          ) : null}
        </Stack>
      </ConfirmDialog>
    </Stack>
  )
}
