import {
  Alert,
  Anchor,
  Badge,
  Button,
  Checkbox,
  Group,
  NativeSelect,
  Paper,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { getRouteApi, Link } from '@tanstack/react-router'
import { useState, type FormEvent, type ReactNode } from 'react'
import type { GroupWire } from '../../../src/core/trust/group.schema.js'
import { isOrgType, ORG_TYPE_LABELS } from '../account/account.constants.js'
import { organisationsQuery } from '../directory/directory.api.js'
import { AnchorLink } from '../lib/anchor-link.js'
import { ApiError } from '../lib/api.client.js'
import { ConfirmDialog } from '../lib/confirm.dialog.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { formatDateTime } from '../lib/format.js'
import { MissingRecord } from '../lib/missing-record.js'
import { usePageTitle } from '../lib/page-title.js'
import { QueryStatus } from '../lib/query-status.js'
import { useMe } from '../shell/use-me.js'
import { addGroupMember, GROUPS_KEY, groupQuery, removeGroupMember, updateGroup } from './sharing.api.js'
import { HIDDEN_MEMBERSHIP_EXPLANATION } from './sharing.constants.js'

const groupRouteApi = getRouteApi('/app/sharing/groups/$groupId')

type Member = NonNullable<GroupWire['members']>[number]

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Table.Tr>
      <Table.Th scope="row" w="40%" fw={500} c="dimmed">
        {label}
      </Table.Th>
      <Table.Td>{children}</Table.Td>
    </Table.Tr>
  )
}

/** Keeps the answer of a change to a group, and refreshes the lists that show it. */
function useGroupSaved(groupId: string) {
  const queryClient = useQueryClient()
  return async (group: GroupWire) => {
    queryClient.setQueryData(groupQuery(groupId).queryKey, group)
    await queryClient.invalidateQueries({ queryKey: GROUPS_KEY, exact: true })
  }
}

function SettingsForm({ group }: { group: GroupWire }) {
  const saved = useGroupSaved(group.id)
  const [name, setName] = useState(group.name)
  const [description, setDescription] = useState(group.description ?? '')
  const [hiddenMembership, setHiddenMembership] = useState(group.hiddenMembership)
  const [done, setDone] = useState(false)

  const save = useMutation({
    mutationFn: (patch: Parameters<typeof updateGroup>[1]) => updateGroup(group.id, patch),
    onSuccess: async (updated) => {
      setDone(true)
      await saved(updated)
    },
  })

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    setDone(false)
    const nextDescription = description.trim() === '' ? null : description.trim()
    const patch: Parameters<typeof updateGroup>[1] = {}
    if (name.trim() !== group.name) {
      patch.name = name.trim()
    }
    if (nextDescription !== group.description) {
      patch.description = nextDescription
    }
    if (hiddenMembership !== group.hiddenMembership) {
      patch.hiddenMembership = hiddenMembership
    }
    if (Object.keys(patch).length === 0) {
      setDone(true)
      return
    }
    save.mutate(patch)
  }

  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="group-settings-heading">
      <Title order={2} size="h4" id="group-settings-heading" mb="sm">
        Settings
      </Title>
      <form onSubmit={submit} aria-labelledby="group-settings-heading" data-testid="group-settings-form">
        <Stack gap="sm">
          <ErrorAlert error={save.error} title="The group was not changed" />
          {done && !save.isPending ? (
            <Text size="sm" role="status" c="indigo.8">
              Saved.
            </Text>
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
          <Checkbox
            label="Hide the membership"
            description={HIDDEN_MEMBERSHIP_EXPLANATION}
            checked={hiddenMembership}
            onChange={(event) => setHiddenMembership(event.currentTarget.checked)}
          />
          <Group>
            <Button type="submit" loading={save.isPending}>
              Save changes
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  )
}

function AddMemberForm({ group }: { group: GroupWire }) {
  const saved = useGroupSaved(group.id)
  const organisations = useQuery(organisationsQuery)
  const [orgId, setOrgId] = useState('')
  const memberIds = new Set((group.members ?? []).map((member) => member.orgId))
  memberIds.add(group.ownerOrgId)
  const candidates = (organisations.data?.items ?? []).filter((org) => !memberIds.has(org.id))

  const add = useMutation({
    mutationFn: (id: string) => addGroupMember(group.id, id),
    onSuccess: async (updated) => {
      setOrgId('')
      await saved(updated)
    },
  })

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (orgId !== '') {
      add.mutate(orgId)
    }
  }

  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="add-member-heading">
      <Title order={2} size="h4" id="add-member-heading" mb="sm">
        Add member
      </Title>
      <form onSubmit={submit} aria-labelledby="add-member-heading">
        <Stack gap="sm">
          <ErrorAlert error={add.error} title="The organisation was not added" />
          <ErrorAlert error={organisations.error} title="Could not load the organisations" />
          <NativeSelect
            label="Organisation"
            required
            value={orgId}
            data={[
              { value: '', label: candidates.length === 0 ? 'No organisation left to add' : 'Choose…' },
              ...candidates.map((org) => ({ value: org.id, label: org.name })),
            ]}
            onChange={(event) => setOrgId(event.currentTarget.value)}
          />
          <Group>
            <Button type="submit" loading={add.isPending} disabled={orgId === ''}>
              Add member
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  )
}

function Members({ group }: { group: GroupWire }) {
  const saved = useGroupSaved(group.id)
  const [toRemove, setToRemove] = useState<Member | null>(null)

  const remove = useMutation({
    mutationFn: (member: Member) => removeGroupMember(group.id, member.orgId),
    onSuccess: async (updated) => {
      setToRemove(null)
      await saved(updated)
    },
  })

  return (
    <Stack gap="sm" component="section" aria-labelledby="members-heading">
      <Title order={2} size="h4" id="members-heading">
        Members{group.memberCount === null ? '' : ` (${group.memberCount})`}
      </Title>
      {group.members === null ? (
        <Alert
          color="gray"
          variant="light"
          title="The membership of this group is hidden"
          data-testid="members-hidden"
        >
          Members see the group but not who else is in it. Only {group.ownerOrgName}, which owns the group,
          sees the member list.
        </Alert>
      ) : (
        <Table.ScrollContainer minWidth={560}>
          <Table striped aria-labelledby="members-heading" data-testid="members-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Organisation</Table.Th>
                <Table.Th>Type</Table.Th>
                <Table.Th>Country</Table.Th>
                {group.canManage ? (
                  <Table.Th>
                    <VisuallyHidden>Actions</VisuallyHidden>
                  </Table.Th>
                ) : null}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {group.members.map((member) => (
                <Table.Tr key={member.orgId}>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <AnchorLink to="/directory/$orgId" params={{ orgId: member.orgId }}>
                        {member.name}
                      </AnchorLink>
                      {member.orgId === group.ownerOrgId ? (
                        <Badge size="xs" variant="light">
                          Owner
                        </Badge>
                      ) : null}
                    </Group>
                  </Table.Td>
                  <Table.Td>{isOrgType(member.type) ? ORG_TYPE_LABELS[member.type] : member.type}</Table.Td>
                  <Table.Td>{member.country ?? '—'}</Table.Td>
                  {group.canManage ? (
                    <Table.Td>
                      {member.orgId === group.ownerOrgId ? null : (
                        <Button
                          size="compact-xs"
                          variant="default"
                          aria-label={`Remove ${member.name} from the group`}
                          onClick={() => {
                            remove.reset()
                            setToRemove(member)
                          }}
                        >
                          Remove
                        </Button>
                      )}
                    </Table.Td>
                  ) : null}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <ConfirmDialog
        opened={toRemove !== null}
        title={`Remove ${toRemove?.name ?? 'this organisation'} from “${group.name}”?`}
        confirmLabel="Remove member"
        loading={remove.isPending}
        onCancel={() => setToRemove(null)}
        onConfirm={() => {
          if (toRemove) {
            remove.mutate(toRemove)
          }
        }}
      >
        <Stack gap="xs">
          <span>
            Its members will no longer see what is shared with this group, including what was shared before.
            You can add it again later.
          </span>
          <ErrorAlert error={remove.error} title="The organisation was not removed" />
        </Stack>
      </ConfirmDialog>
    </Stack>
  )
}

/** One sharing group: who owns it, its members (unless hidden), and for its managers the settings. */
export function GroupPage() {
  const { groupId } = groupRouteApi.useParams()
  const me = useMe()
  const group = useQuery(groupQuery(groupId))
  const missing = ApiError.is(group.error, 404)
  usePageTitle(group.data?.name ?? (missing ? 'Sharing group not found' : 'Sharing group'))

  const back = (
    <Anchor component={Link} to="/sharing" size="sm">
      Back to your sharing groups
    </Anchor>
  )
  if (missing) {
    return <MissingRecord title="Sharing group not found" back={back} />
  }
  const data = group.data
  if (data === undefined) {
    return (
      <Stack gap="md" maw={1200}>
        {back}
        <QueryStatus pending={group.isPending} error={group.error} what="the sharing group" />
      </Stack>
    )
  }

  return (
    <Stack gap="lg" maw={1200}>
      <Stack gap={4}>
        {back}
        <Group gap="sm" align="center">
          <Title order={1}>{data.name}</Title>
          {data.hiddenMembership ? (
            <Badge variant="light" color="gray">
              Hidden membership
            </Badge>
          ) : null}
        </Group>
        {data.description === null ? null : (
          <Text style={{ whiteSpace: 'pre-wrap' }}>{data.description}</Text>
        )}
      </Stack>

      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
        <Paper withBorder p="md" radius="md" component="section" aria-labelledby="group-facts-heading">
          <Title order={2} size="h4" id="group-facts-heading" mb="sm">
            About this group
          </Title>
          <Table variant="vertical" layout="fixed" withRowBorders={false}>
            <Table.Tbody>
              <Fact label="Owner organisation">{data.ownerOrgName}</Fact>
              <Fact label="Members">{data.memberCount ?? 'Hidden'}</Fact>
              <Fact label={me.organisation.name}>
                {data.ownerOrgId === me.organisation.id ? 'Owner' : 'Member'}
                {data.canManage ? ', you manage this group' : ''}
              </Fact>
              <Fact label="Created">{formatDateTime(data.createdAt)}</Fact>
              <Fact label="Updated">{formatDateTime(data.updatedAt)}</Fact>
            </Table.Tbody>
          </Table>
        </Paper>
        {data.canManage ? <SettingsForm key={data.id} group={data} /> : null}
      </SimpleGrid>

      <Members group={data} />
      {data.canManage ? <AddMemberForm group={data} /> : null}
    </Stack>
  )
}
