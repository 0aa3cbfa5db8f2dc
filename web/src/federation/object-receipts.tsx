import { Paper, Table, Text, Title } from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { AnchorLink } from '../lib/anchor-link.js'
import { QueryStatus } from '../lib/query-status.js'
import { OBJECT_RECEIPTS_LIMIT, objectReceiptsQuery, peersQuery } from './federation.api.js'
import { ReceiptCells, ReceiptHeadCells } from './receipt-cells.js'

/**
 * Where one object went and came from across every peer: its delivery receipts (pushed, pulled, read
 * by the peer), each with its status and the rule that decided, newest first. Only the receipts of
 * versions the caller may see are listed (the server reads them through the visibility rule).
 */
export function ObjectReceipts({ objectId }: { objectId: string }) {
  const receipts = useQuery(objectReceiptsQuery(objectId))
  const peers = useQuery(peersQuery)
  const peerName = (id: string) => peers.data?.items.find((p) => p.id === id)?.name ?? id
  const items = receipts.data?.items ?? []
  const total = receipts.data?.total ?? 0
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="object-receipts-heading">
      <Title order={2} size="h4" id="object-receipts-heading" mb="xs">
        Federation
      </Title>
      <QueryStatus pending={receipts.isPending} error={receipts.error} what="delivery receipts" />
      {receipts.data && items.length === 0 ? (
        <Text size="sm" c="dimmed" data-testid="object-receipts-none">
          No peer has sent, received or read this object.
        </Text>
      ) : null}
      {items.length > 0 ? (
        <Table.ScrollContainer minWidth={720}>
          <Table striped aria-labelledby="object-receipts-heading" data-testid="object-receipts">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Peer</Table.Th>
                <ReceiptHeadCells />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((r) => (
                <Table.Tr
                  key={`${r.peerId}/${r.direction}/${r.action}/${r.version}/${r.ownerOrgId}`}
                  data-testid="object-receipt-row"
                >
                  <Table.Td>
                    <AnchorLink to="/federation" search={{ peer: r.peerId }} size="sm">
                      {peerName(r.peerId)}
                    </AnchorLink>
                  </Table.Td>
                  <ReceiptCells receipt={r} />
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
      {total > items.length ? (
        <Text size="xs" c="dimmed" mt="xs">
          The {OBJECT_RECEIPTS_LIMIT} latest of {total} receipts; the federation page lists them all per peer.
        </Text>
      ) : null}
    </Paper>
  )
}
