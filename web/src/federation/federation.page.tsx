import { Alert, Badge, Button, Group, SegmentedControl, Stack, Table, Text, Title } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { getRouteApi } from '@tanstack/react-router'
import { useState } from 'react'
import { AnchorLink } from '../lib/anchor-link.js'
import { ConfirmDialog } from '../lib/confirm.dialog.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { formatDateTime } from '../lib/format.js'
import { PagePagination } from '../lib/page-pagination.js'
import { usePageTitle } from '../lib/page-title.js'
import { QueryStatus } from '../lib/query-status.js'
import { useMe } from '../shell/use-me.js'
import {
  deletePeer,
  FEDERATION_KEY,
  formatLag,
  peersQuery,
  receiptsQuery,
  RECEIPTS_PAGE_SIZE,
  syncPeerNow,
  type FederationSearch,
  type PeerWire,
  type SyncSummary,
} from './federation.api.js'
import { PeerDialog } from './peer.dialog.js'
import { ReceiptCells, ReceiptHeadCells, STATUS_COLOURS, STATUS_LABELS } from './receipt-cells.js'

const route = getRouteApi('/app/federation')

function summaryText(summary: SyncSummary): string {
  const { pulled, pushed } = summary
  return `Pulled ${pulled.accepted} (${pulled.rejected} rejected, ${pulled.deleted} deleted); pushed ${pushed.sent} of ${pushed.considered} considered: ${pushed.accepted} accepted, ${pushed.rejected} rejected, ${pushed.filtered} filtered, ${pushed.deleted} deletions.`
}

function SyncButton({ peer }: { peer: PeerWire }) {
  const queryClient = useQueryClient()
  const sync = useMutation({
    mutationFn: () => syncPeerNow(peer.id),
    onSettled: () => queryClient.invalidateQueries({ queryKey: FEDERATION_KEY }),
  })
  return (
    <Stack gap={4} align="flex-start">
      <Button size="xs" variant="default" loading={sync.isPending} onClick={() => sync.mutate()}>
        Sync {peer.name} now
      </Button>
      <ErrorAlert error={sync.error} title="The sync did not start" />
      {sync.data ? (
        <Text
          size="xs"
          c={sync.data.error === null ? 'dimmed' : 'red'}
          role="status"
          data-testid="sync-result"
        >
          {sync.data.error === null ? summaryText(sync.data) : `Failed: ${sync.data.error}`}
        </Text>
      ) : null}
    </Stack>
  )
}

/** Props of {@link PeersTable}. */
interface PeersTableProps {
  peers: PeerWire[]
  chosen: string | undefined
  /** Opens the edit dialog (instance admins). */
  onEdit: (peer: PeerWire) => void
  /** Asks whether to remove the peer (instance admins). */
  onRemove: (peer: PeerWire) => void
}

function PeersTable({ peers, chosen, onEdit, onRemove }: PeersTableProps) {
  const me = useMe()
  return (
    <Table.ScrollContainer minWidth={1000}>
      <Table striped aria-label="Peers" data-testid="peers-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Peer</Table.Th>
            <Table.Th>Stands for</Table.Th>
            <Table.Th>Pulls / pushes</Table.Th>
            <Table.Th>Last sync</Table.Th>
            <Table.Th>Lag (push / pull)</Table.Th>
            <Table.Th>Receipts you may see</Table.Th>
            <Table.Th>Last error</Table.Th>
            {me.isInstanceAdmin ? <Table.Th>Actions</Table.Th> : null}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {peers.map((peer) => (
            <Table.Tr key={peer.id} data-testid={`peer-row-${peer.name}`} aria-selected={peer.id === chosen}>
              <Table.Td>
                <AnchorLink to="/federation" search={{ peer: peer.id }} fw={500}>
                  {peer.name}
                </AnchorLink>
                <Text size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
                  {peer.apiRootUrl ?? peer.url}
                </Text>
                {peer.remoteInstance === null ? null : (
                  <Text size="xs" c="dimmed">
                    Liaison instance {peer.remoteInstance.name}
                  </Text>
                )}
                {peer.enabled ? null : (
                  <Badge size="xs" color="gray" variant="light">
                    Scheduled syncs off
                  </Badge>
                )}
              </Table.Td>
              <Table.Td>{peer.orgName}</Table.Td>
              <Table.Td>
                <Text size="sm">
                  Pull: {peer.pullCollections.length === 0 ? '—' : peer.pullCollections.join(', ')}
                </Text>
                <Text size="sm">Push: {peer.pushCollection ?? '—'}</Text>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{formatDateTime(peer.lastSyncAt, 'never')}</Text>
                <Text size="xs" c="dimmed">
                  every {formatLag(peer.intervalSeconds)}
                </Text>
              </Table.Td>
              <Table.Td data-testid="peer-lag">
                {formatLag(peer.pushLagSeconds)} / {formatLag(peer.pullLagSeconds)}
              </Table.Td>
              <Table.Td data-testid="peer-counts">
                <Group gap={4}>
                  {(['accepted', 'sent', 'rejected', 'filtered'] as const).map((status) => (
                    <Badge
                      key={status}
                      size="sm"
                      variant="light"
                      color={STATUS_COLOURS[status]}
                      miw="max-content"
                    >
                      {peer.receipts[status]} {STATUS_LABELS[status].toLowerCase()}
                    </Badge>
                  ))}
                </Group>
              </Table.Td>
              <Table.Td data-testid="peer-error">
                {peer.lastError === null ? (
                  '—'
                ) : (
                  <Text size="sm" c="red" style={{ overflowWrap: 'anywhere' }}>
                    {peer.lastError}
                    <Text component="span" size="xs" c="dimmed" display="block">
                      {formatDateTime(peer.lastErrorAt)}
                    </Text>
                  </Text>
                )}
              </Table.Td>
              {me.isInstanceAdmin ? (
                <Table.Td>
                  <Stack gap={6} align="flex-start">
                    <SyncButton peer={peer} />
                    <Group gap={6}>
                      <Button
                        size="xs"
                        variant="subtle"
                        aria-label={`Edit peer ${peer.name}`}
                        onClick={() => onEdit(peer)}
                      >
                        Edit
                      </Button>
                      <Button
                        size="xs"
                        variant="subtle"
                        color="red"
                        aria-label={`Remove peer ${peer.name}`}
                        onClick={() => onRemove(peer)}
                      >
                        Remove
                      </Button>
                    </Group>
                  </Stack>
                </Table.Td>
              ) : null}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  )
}

function Receipts({ peer, search }: { peer: PeerWire; search: FederationSearch }) {
  const navigate = route.useNavigate()
  const receipts = useQuery(receiptsQuery(peer.id, search))
  const items = receipts.data?.items ?? []
  const total = receipts.data?.total ?? 0
  const pages = Math.max(1, Math.ceil(total / RECEIPTS_PAGE_SIZE))
  const set = (change: Partial<FederationSearch>) =>
    void navigate({ search: (previous) => ({ ...previous, ...change, page: undefined }) })
  return (
    <Stack gap="sm" data-testid="receipts">
      <Title order={2}>Receipts for {peer.name}</Title>
      <Text size="sm" c="dimmed">
        One receipt per object version considered for a push to this peer or received from it: sent, accepted
        or rejected by the peer, or filtered here with the rule that kept it home. You see the receipts of the
        objects you may see.
      </Text>
      <Group gap="md">
        <SegmentedControl
          aria-label="Status of the receipts"
          value={search.status ?? 'all'}
          data={[
            { value: 'all', label: 'All' },
            { value: 'sent', label: 'Sent' },
            { value: 'accepted', label: 'Accepted' },
            { value: 'rejected', label: 'Rejected' },
            { value: 'filtered', label: 'Filtered' },
          ]}
          onChange={(value) =>
            set({
              status:
                value === 'sent' || value === 'accepted' || value === 'rejected' || value === 'filtered'
                  ? value
                  : undefined,
            })
          }
        />
        <SegmentedControl
          aria-label="Direction of the receipts"
          value={search.direction ?? 'both'}
          data={[
            { value: 'both', label: 'Both ways' },
            { value: 'push', label: 'Pushed' },
            { value: 'pull', label: 'Pulled' },
            { value: 'serve', label: 'Read by the peer' },
          ]}
          onChange={(value) =>
            set({ direction: value === 'push' || value === 'pull' || value === 'serve' ? value : undefined })
          }
        />
      </Group>
      <QueryStatus pending={receipts.isPending} error={receipts.error} what="receipts" />
      {receipts.data ? (
        <Text size="sm" c="dimmed" role="status" data-testid="receipts-total">
          {total === 1 ? '1 receipt' : `${total} receipts`}
        </Text>
      ) : null}
      {items.length > 0 ? (
        <Table.ScrollContainer minWidth={900}>
          <Table striped aria-label={`Receipts for ${peer.name}`} data-testid="receipts-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Object</Table.Th>
                <ReceiptHeadCells />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((r) => (
                <Table.Tr
                  key={`${r.direction}/${r.action}/${r.objectId}/${r.version}/${r.ownerOrgId}`}
                  data-testid="receipt-row"
                >
                  <Table.Td style={{ overflowWrap: 'anywhere' }}>
                    {r.direction !== 'pull' || r.status === 'accepted' ? (
                      <AnchorLink to="/intelligence/objects/$id" params={{ id: r.objectId }} size="sm">
                        {r.objectId}
                      </AnchorLink>
                    ) : (
                      <Text size="sm">{r.objectId}</Text>
                    )}
                    <Text size="xs" c="dimmed">
                      {r.objectType}
                    </Text>
                  </Table.Td>
                  <ReceiptCells receipt={r} />
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : receipts.data ? (
        <Text size="sm">No receipts match.</Text>
      ) : null}
      <PagePagination
        pages={pages}
        page={search.page ?? 1}
        onChange={(page) =>
          void navigate({ search: (previous) => ({ ...previous, page: page > 1 ? page : undefined }) })
        }
      />
    </Stack>
  )
}

/** Asks before removing a peer, then removes it and forgets it as the chosen peer. */
function RemovePeerDialog({ peer, onClose }: { peer: PeerWire | null; onClose: () => void }) {
  const queryClient = useQueryClient()
  const navigate = route.useNavigate()
  const remove = useMutation({
    mutationFn: (target: PeerWire) => deletePeer(target.id),
    onSuccess: async (_nothing, target) => {
      await navigate({
        search: (previous) => (previous.peer === target.id ? {} : previous),
        replace: true,
      })
      await queryClient.invalidateQueries({ queryKey: FEDERATION_KEY })
      onClose()
    },
  })
  const close = () => {
    remove.reset()
    onClose()
  }
  return (
    <ConfirmDialog
      opened={peer !== null}
      title={`Remove peer ${peer?.name ?? ''}?`}
      confirmLabel="Remove peer"
      loading={remove.isPending}
      onConfirm={() => {
        if (peer !== null) {
          remove.mutate(peer)
        }
      }}
      onCancel={close}
    >
      <Stack gap="xs">
        <Text size="sm">
          This instance stops syncing with {peer?.name ?? 'the peer'}; its cursors and receipts are removed.
          What it sent stays here, owned by {peer?.orgName ?? 'its organisation'}, and its stored credentials
          are deleted.
        </Text>
        <ErrorAlert error={remove.error} title="The peer was not removed" />
      </Stack>
    </ConfirmDialog>
  )
}

/** Federation: the peers of this instance with their lag and last error, and each peer's receipts. */
export function FederationPage() {
  usePageTitle('Federation')
  const search = route.useSearch()
  const navigate = route.useNavigate()
  const me = useMe()
  const peers = useQuery(peersQuery)
  const [editing, setEditing] = useState<{ peer: PeerWire | null } | null>(null)
  const [removing, setRemoving] = useState<PeerWire | null>(null)
  const items = peers.data?.items ?? []
  const chosen = items.find((p) => p.id === search.peer) ?? (items.length === 1 ? items[0] : undefined)
  return (
    <Stack gap="md" maw={1400}>
      <Stack gap={4}>
        <Group justify="space-between" align="flex-start">
          <Title order={1}>Federation</Title>
          {me.isInstanceAdmin ? <Button onClick={() => setEditing({ peer: null })}>Add peer</Button> : null}
        </Group>
        <Text c="dimmed" size="sm">
          Other instances (and TAXII servers) this one pulls intelligence from and pushes it to. What may go
          to a peer is decided by what the organisation standing for it may see here: TLP:RED, organisation
          only and community-only items never leave; TLP:AMBER+STRICT goes only to peers whose organisation is
          a recipient.
        </Text>
      </Stack>
      <QueryStatus pending={peers.isPending} error={peers.error} what="peers" />
      {peers.data && items.length === 0 ? (
        <Alert color="gray" title="No peers yet">
          This instance does not federate with any other yet.
          {me.isInstanceAdmin ? ' Add a peer to start.' : ''}
        </Alert>
      ) : null}
      {items.length > 0 ? (
        <PeersTable
          peers={items}
          chosen={chosen?.id}
          onEdit={(peer) => setEditing({ peer })}
          onRemove={setRemoving}
        />
      ) : null}
      {chosen === undefined ? (
        items.length > 1 ? (
          <Text size="sm">Choose a peer to see its receipts.</Text>
        ) : null
      ) : (
        <Receipts peer={chosen} search={search} />
      )}
      {me.isInstanceAdmin ? (
        <>
          <PeerDialog
            opened={editing !== null}
            peer={editing?.peer ?? null}
            peers={items}
            onClose={() => setEditing(null)}
            onSaved={(saved) => {
              setEditing(null)
              void navigate({ search: (previous) => ({ ...previous, peer: saved.id, page: undefined }) })
            }}
          />
          <RemovePeerDialog peer={removing} onClose={() => setRemoving(null)} />
        </>
      ) : null}
    </Stack>
  )
}
