import { Alert, Button, Code, Group, Stack, Table, Text, Textarea, Title } from '@mantine/core'
import { useMutation, useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import type { AuditEntryWire } from '../../../src/core/account/account.schema.js'
import { formatDateTime } from '../lib/format.js'
import { QueryStatus } from '../lib/query-status.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { AUDIT_LIMIT, auditQuery, usersQuery, verifyAudit } from './admin.api.js'

const ACTOR_LABELS: Record<AuditEntryWire['actorType'], string> = {
  user: 'User',
  cli: 'Command line',
  system: 'System',
  anonymous: 'Anonymous',
}

function describeDetails(details: Record<string, unknown>): string {
  return Object.keys(details).length === 0 ? '' : JSON.stringify(details)
}

/**
 * Checks the whole chain on the server. The head it shows (`SEQ:HASH`) is meant to be kept outside
 * Liaison; heads kept so and pasted back must still be in the chain (a log rewritten whole, every
 * hash recomputed, no longer holds them).
 */
function VerifyChain() {
  const [anchors, setAnchors] = useState('')
  const verify = useMutation({
    mutationFn: () =>
      verifyAudit(
        anchors
          .split(/\s+/)
          .map((line) => line.trim())
          .filter((line) => line !== ''),
      ),
  })
  const result = verify.data
  return (
    <Stack gap="xs" data-testid="audit-verify">
      <Textarea
        label="Heads recorded earlier (optional)"
        description="One SEQ:HASH per line, as earlier checks showed the head: each must still be in the chain."
        autosize
        minRows={1}
        value={anchors}
        onChange={(event) => setAnchors(event.currentTarget.value)}
      />
      <Group>
        <Button size="xs" onClick={() => verify.mutate()} loading={verify.isPending}>
          Verify the chain
        </Button>
      </Group>
      <ErrorAlert error={verify.error} title="The chain was not checked" />
      {result === undefined ? null : result.ok ? (
        <Alert color="green" title="The chain is whole" data-testid="audit-verify-result">
          {result.entries} entries checked. Keep the head outside Liaison to check against later:{' '}
          <Code data-testid="audit-head">
            {result.headSeq}:{result.headHash}
          </Code>
        </Alert>
      ) : (
        <Alert
          color="red"
          title={`Broken at entry ${result.brokenSeq ?? '?'}`}
          data-testid="audit-verify-result"
        >
          {result.reason}
        </Alert>
      )}
    </Stack>
  )
}

/** Admin tab with the most recent audit log entries (instance admins only). */
export function AuditPanel() {
  const audit = useQuery(auditQuery)
  const users = useQuery(usersQuery)
  const userNames = new Map((users.data?.items ?? []).map((user) => [user.id, user.email]))
  const items = audit.data?.items ?? []

  const actorOf = (entry: AuditEntryWire): string => {
    if (entry.actorUserId === null) {
      return ACTOR_LABELS[entry.actorType]
    }
    const who = userNames.get(entry.actorUserId) ?? entry.actorUserId
    return entry.actorType === 'user' ? who : `${who} (${ACTOR_LABELS[entry.actorType].toLowerCase()})`
  }

  return (
    <Stack gap="sm" component="section" aria-labelledby="audit-heading">
      <Group justify="space-between" align="center">
        <Title order={2} size="h4" id="audit-heading">
          Audit log
        </Title>
        <Button size="xs" variant="default" onClick={() => void audit.refetch()} loading={audit.isFetching}>
          Refresh
        </Button>
      </Group>
      <VerifyChain />
      <Text size="sm" c="dimmed">
        The {AUDIT_LIMIT} most recent entries, newest first.
      </Text>
      <QueryStatus pending={audit.isPending} error={audit.error} what="the audit log" />
      {audit.data && items.length === 0 ? <Text c="dimmed">The audit log is empty.</Text> : null}
      {items.length > 0 ? (
        <Table.ScrollContainer minWidth={860}>
          <Table striped aria-labelledby="audit-heading" data-testid="audit-table" verticalSpacing="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>#</Table.Th>
                <Table.Th>When</Table.Th>
                <Table.Th>Actor</Table.Th>
                <Table.Th>Action</Table.Th>
                <Table.Th>Target</Table.Th>
                <Table.Th>Details</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((entry) => (
                <Table.Tr key={entry.seq}>
                  <Table.Td>{entry.seq}</Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>
                    <time dateTime={entry.at}>{formatDateTime(entry.at)}</time>
                  </Table.Td>
                  <Table.Td style={{ overflowWrap: 'anywhere' }}>{actorOf(entry)}</Table.Td>
                  <Table.Td>
                    <Code>{entry.action}</Code>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{entry.targetType}</Text>
                    {entry.targetId === null ? null : (
                      <Text size="xs" c="dimmed" ff="monospace" style={{ overflowWrap: 'anywhere' }}>
                        {entry.targetId}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs" ff="monospace" lineClamp={3} style={{ wordBreak: 'break-all' }}>
                      {describeDetails(entry.details)}
                    </Text>
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
