import {
  Anchor,
  Badge,
  Button,
  Group,
  Modal,
  SegmentedControl,
  Stack,
  Table,
  Text,
  Textarea,
  Title,
} from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { Link } from '@tanstack/react-router'
import { useState, type FormEvent } from 'react'
import { describeLabel } from '../../../src/core/trust/describe.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { formatDateTime } from '../lib/format.js'
import { PagePagination } from '../lib/page-pagination.js'
import { usePageTitle } from '../lib/page-title.js'
import { QueryStatus } from '../lib/query-status.js'
import { useMe } from '../shell/use-me.js'
import { LabelBadge } from '../trust/label-badge.js'
import { useLabelNames } from '../trust/trust.api.js'
import {
  decideRelease,
  INTEL_KEY,
  peopleByIdQuery,
  RELEASE_DECIDER_ROLES,
  releasesQuery,
  RELEASES_PAGE_SIZE,
  type ReleaseStatus,
  type ReleaseWire,
} from './intel.api.js'

const STATUS_LABELS: Record<ReleaseStatus, string> = {
  pending: 'Pending',
  approved: 'Approved',
  rejected: 'Rejected',
}

const STATUS_COLOURS: Record<ReleaseStatus, string> = {
  pending: 'yellow',
  approved: 'green',
  rejected: 'gray',
}

type StatusChoice = ReleaseStatus | 'all'

function isStatusChoice(value: string): value is StatusChoice {
  return value === 'all' || value === 'pending' || value === 'approved' || value === 'rejected'
}

function DecideDialog({
  release,
  decision,
  onClose,
}: {
  release: ReleaseWire
  decision: 'approve' | 'reject'
  onClose: () => void
}) {
  const names = useLabelNames()
  const queryClient = useQueryClient()
  const [reason, setReason] = useState('')
  const decide = useMutation({
    mutationFn: () => decideRelease(release.id, decision, reason),
    onSuccess: async () => {
      // An approval relabels objects: every intelligence answer may change.
      await queryClient.invalidateQueries({ queryKey: INTEL_KEY })
      onClose()
    },
  })
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    decide.mutate()
  }
  const approving = decision === 'approve'
  return (
    <Modal
      opened
      onClose={onClose}
      title={approving ? 'Approve the release' : 'Reject the release'}
      closeButtonProps={{ 'aria-label': 'Cancel' }}
    >
      <form onSubmit={submit} aria-label={approving ? 'Approve the release' : 'Reject the release'}>
        <Stack gap="md">
          <ErrorAlert error={decide.error} title="The release was not decided" />
          <Text size="sm">
            {approving
              ? `The objects of this import will be shared as asked: ${describeLabel(release.requestedLabel, names)}`
              : 'The objects of this import stay with your organisation only.'}
          </Text>
          <Textarea
            label="Reason"
            description="Optional. Kept with the decision and in the audit log."
            autosize
            minRows={2}
            maxRows={8}
            maxLength={2000}
            value={reason}
            onChange={(event) => setReason(event.currentTarget.value)}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" color={approving ? undefined : 'red'} loading={decide.isPending}>
              {approving ? 'Approve release' : 'Reject release'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  )
}

/** The organisation's four-eyes releases of intelligence, with approve and reject for eligible members. */
export function ReleasesPage() {
  usePageTitle('Releases')
  const me = useMe()
  const [status, setStatus] = useState<StatusChoice>('pending')
  const [page, setPage] = useState(1)
  const [deciding, setDeciding] = useState<{ release: ReleaseWire; decision: 'approve' | 'reject' } | null>(
    null,
  )
  const releases = useQuery(releasesQuery(status === 'all' ? null : status, page))
  const items = releases.data?.items ?? []
  const total = releases.data?.total ?? 0
  const pages = Math.max(1, Math.ceil(total / RELEASES_PAGE_SIZE))
  const people = useQuery(
    peopleByIdQuery(
      items.flatMap((r) => [r.requestedBy, r.decidedBy]).filter((id): id is string => id !== null),
    ),
  )
  const personName = (id: string | null): string => {
    if (id === null) {
      return 'a CLI operator'
    }
    if (id === me.user.id) {
      return `${me.user.name} (you)`
    }
    return people.data?.items.find((person) => person.id === id)?.name ?? 'a member'
  }
  const mayDecide = RELEASE_DECIDER_ROLES.includes(me.user.role)

  return (
    <Stack gap="md" maw={1200}>
      <Stack gap={4}>
        <Anchor component={Link} to="/intelligence" size="sm">
          Back to Intelligence
        </Anchor>
        <Title order={1}>Releases</Title>
        <Text c="dimmed" size="sm">
          When {me.organisation.name} releases intelligence with four eyes, an import shared beyond the
          organisation stays organisation only until another admin, analyst or coordinator approves it. The
          person who imported it cannot approve their own release.
        </Text>
        {mayDecide ? null : (
          <Text size="sm" data-testid="releases-role-note">
            Only admins, analysts and coordinators approve or reject releases.
          </Text>
        )}
      </Stack>
      <SegmentedControl
        aria-label="Status of the releases"
        w="fit-content"
        value={status}
        data={[
          { value: 'pending', label: 'Pending' },
          { value: 'approved', label: 'Approved' },
          { value: 'rejected', label: 'Rejected' },
          { value: 'all', label: 'All' },
        ]}
        onChange={(value) => {
          if (isStatusChoice(value)) {
            setStatus(value)
            setPage(1)
          }
        }}
      />
      <QueryStatus pending={releases.isPending} error={releases.error} what="releases" />
      {releases.data ? (
        <Text size="sm" c="dimmed" role="status" data-testid="releases-total">
          {total === 1 ? '1 release' : `${total} releases`}
        </Text>
      ) : null}
      {items.length > 0 ? (
        <Table.ScrollContainer minWidth={900}>
          <Table
            striped
            aria-label="Releases"
            data-testid="releases-table"
            style={{ opacity: releases.isPlaceholderData ? 0.6 : 1 }}
          >
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Asked</Table.Th>
                <Table.Th>Source</Table.Th>
                <Table.Th>Label asked for</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Decision</Table.Th>
                <Table.Th>Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((release) => {
                const own = release.requestedBy === me.user.id
                return (
                  <Table.Tr key={release.id} data-testid="release-row">
                    <Table.Td>
                      <Text size="sm">{formatDateTime(release.requestedAt)}</Text>
                      <Text size="xs" c="dimmed">
                        by {personName(release.requestedBy)}
                      </Text>
                    </Table.Td>
                    <Table.Td style={{ overflowWrap: 'anywhere' }}>{release.source ?? '—'}</Table.Td>
                    <Table.Td>
                      <LabelBadge label={release.requestedLabel} withPap />
                    </Table.Td>
                    <Table.Td>
                      <Badge
                        variant="light"
                        miw="max-content"
                        color={STATUS_COLOURS[release.status]}
                        data-testid="release-status"
                      >
                        {STATUS_LABELS[release.status]}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      {release.decidedAt === null ? (
                        '—'
                      ) : (
                        <>
                          <Text size="sm">
                            {formatDateTime(release.decidedAt)} by {personName(release.decidedBy)}
                          </Text>
                          {release.objectCount === null ? null : (
                            <Text size="xs" c="dimmed">
                              {release.objectCount === 1
                                ? '1 object released'
                                : `${release.objectCount} objects released`}
                            </Text>
                          )}
                          {release.reason === null ? null : (
                            <Text size="xs" style={{ whiteSpace: 'pre-wrap' }}>
                              {release.reason}
                            </Text>
                          )}
                        </>
                      )}
                    </Table.Td>
                    <Table.Td>
                      {release.status !== 'pending' ? null : own ? (
                        <Text size="xs" c="dimmed" data-testid="release-own">
                          You asked for it: another member must decide.
                        </Text>
                      ) : mayDecide ? (
                        <Group gap="xs" wrap="nowrap">
                          <Button size="xs" onClick={() => setDeciding({ release, decision: 'approve' })}>
                            Approve
                          </Button>
                          <Button
                            size="xs"
                            variant="default"
                            onClick={() => setDeciding({ release, decision: 'reject' })}
                          >
                            Reject
                          </Button>
                        </Group>
                      ) : null}
                    </Table.Td>
                  </Table.Tr>
                )
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
      {releases.data && total === 0 ? (
        <Text size="sm" c="dimmed">
          No release here.
        </Text>
      ) : null}
      <PagePagination pages={pages} page={page} onChange={setPage} />
      {deciding === null ? null : (
        <DecideDialog
          key={`${deciding.release.id}/${deciding.decision}`}
          release={deciding.release}
          decision={deciding.decision}
          onClose={() => setDeciding(null)}
        />
      )}
    </Stack>
  )
}
