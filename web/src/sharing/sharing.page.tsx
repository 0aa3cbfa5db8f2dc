import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Group,
  MultiSelect,
  Paper,
  Pill,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import type { GroupWire } from '../../../src/core/trust/group.schema.js'
import { organisationsQuery } from '../directory/directory.api.js'
import { AnchorLink } from '../lib/anchor-link.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { usePageTitle } from '../lib/page-title.js'
import { QueryStatus } from '../lib/query-status.js'
import { MODULES } from '../shell/modules.js'
import { useMe } from '../shell/use-me.js'
import { createGroup, GROUPS_KEY, groupsQuery } from './sharing.api.js'
import { HIDDEN_MEMBERSHIP_EXPLANATION, useCanCreateGroups } from './sharing.constants.js'

function CreateGroupForm() {
  const me = useMe()
  const queryClient = useQueryClient()
  const organisations = useQuery(organisationsQuery)
  const [name, setName] = useState('')
  const [description, setDescription] = useState('')
  const [hiddenMembership, setHiddenMembership] = useState(false)
  const [memberOrgIds, setMemberOrgIds] = useState<string[]>([])
  const [created, setCreated] = useState<GroupWire | null>(null)

  const orgOptions = (organisations.data?.items ?? [])
    .filter((org) => org.id !== me.organisation.id)
    .map((org) => ({ value: org.id, label: org.name }))

  const create = useMutation({
    mutationFn: createGroup,
    onSuccess: async (group) => {
      setCreated(group)
      setName('')
      setDescription('')
      setHiddenMembership(false)
      setMemberOrgIds([])
      await queryClient.invalidateQueries({ queryKey: GROUPS_KEY })
    },
  })

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    setCreated(null)
    create.mutate({
      name: name.trim(),
      ...(description.trim() === '' ? {} : { description: description.trim() }),
      hiddenMembership,
      memberOrgIds,
    })
  }

  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="create-group-heading">
      <Title order={2} size="h4" id="create-group-heading" mb="sm">
        Create sharing group
      </Title>
      <form onSubmit={submit} aria-labelledby="create-group-heading" data-testid="create-group-form">
        <Stack gap="sm">
          <ErrorAlert error={create.error} title="The group was not created" />
          {created ? (
            <Alert color="indigo" variant="light" role="status" title="Group created">
              <AnchorLink to="/sharing/groups/$groupId" params={{ groupId: created.id }}>
                {created.name}
              </AnchorLink>{' '}
              can now be chosen as the audience of what you share.
            </Alert>
          ) : null}
          <TextInput
            label="Name"
            required
            maxLength={200}
            autoComplete="off"
            value={name}
            onChange={(event) => setName(event.currentTarget.value)}
          />
          <Textarea
            label="Description"
            description="Optional. What the group is for; its members see it."
            autosize
            minRows={2}
            maxRows={8}
            maxLength={4000}
            value={description}
            onChange={(event) => setDescription(event.currentTarget.value)}
          />
          <MultiSelect
            label="Member organisations"
            description={`${me.organisation.name} is always a member. You can add or remove members later.`}
            placeholder={memberOrgIds.length === 0 ? 'Choose organisations' : undefined}
            data={orgOptions}
            value={memberOrgIds}
            onChange={setMemberOrgIds}
            searchable
            nothingFoundMessage="No organisation matches"
            renderPill={({ option, onRemove, disabled }) => (
              <Pill
                withRemoveButton={!disabled}
                onRemove={onRemove}
                removeButtonProps={{ 'aria-label': `Remove ${option.label}` }}
              >
                {option.label}
              </Pill>
            )}
          />
          <ErrorAlert error={organisations.error} title="Could not load the organisations" />
          <Checkbox
            label="Hide the membership"
            description={HIDDEN_MEMBERSHIP_EXPLANATION}
            checked={hiddenMembership}
            onChange={(event) => setHiddenMembership(event.currentTarget.checked)}
          />
          <Group>
            <Button type="submit" loading={create.isPending}>
              Create sharing group
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  )
}

/** Sharing: the caller's sharing groups, and a form to create one (admins and coordinators). */
export function SharingPage() {
  usePageTitle(MODULES.sharing.title)
  const me = useMe()
  const canCreate = useCanCreateGroups()
  const groups = useQuery(groupsQuery)
  const items = groups.data?.items ?? []

  return (
    <Stack gap="lg" maw={1200}>
      <Stack gap={4}>
        <Title order={1}>{MODULES.sharing.title}</Title>
        <Text c="dimmed" size="sm">
          {MODULES.sharing.purpose}
        </Text>
      </Stack>
      <Stack gap="sm" component="section" aria-labelledby="groups-heading">
        <Title order={2} size="h4" id="groups-heading">
          Your sharing groups{groups.data ? ` (${groups.data.total})` : ''}
        </Title>
        <QueryStatus pending={groups.isPending} error={groups.error} what="sharing groups" />
        {groups.data && items.length === 0 ? (
          <Text c="dimmed">{me.organisation.name} is in no sharing group yet.</Text>
        ) : null}
        {items.length > 0 ? (
          <Table.ScrollContainer minWidth={640}>
            <Table striped highlightOnHover aria-labelledby="groups-heading" data-testid="groups-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Owner organisation</Table.Th>
                  <Table.Th>Members</Table.Th>
                  <Table.Th>Your organisation</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((group) => (
                  <Table.Tr key={group.id}>
                    <Table.Td>
                      <AnchorLink to="/sharing/groups/$groupId" params={{ groupId: group.id }}>
                        {group.name}
                      </AnchorLink>
                    </Table.Td>
                    <Table.Td>{group.ownerOrgName}</Table.Td>
                    <Table.Td>
                      {group.memberCount === null ? (
                        <Badge variant="light" color="gray" size="sm">
                          Hidden
                        </Badge>
                      ) : (
                        group.memberCount
                      )}
                    </Table.Td>
                    <Table.Td>
                      <Group gap="xs" wrap="nowrap">
                        <span>{group.ownerOrgId === me.organisation.id ? 'Owner' : 'Member'}</span>
                        {group.canManage ? (
                          <Badge variant="light" size="xs">
                            You manage it
                          </Badge>
                        ) : null}
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        ) : null}
      </Stack>
      {canCreate ? (
        <CreateGroupForm />
      ) : (
        <Text size="sm" c="dimmed">
          Admins and coordinators of {me.organisation.name} create sharing groups.
        </Text>
      )}
    </Stack>
  )
}
