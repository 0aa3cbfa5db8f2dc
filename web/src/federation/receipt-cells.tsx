import { Badge, Table, Text } from '@mantine/core'
import type { Direction, ReceiptStatus } from '../../../src/core/federation/federation.js'
import { formatDateTime } from '../lib/format.js'
import type { ReceiptWire } from './federation.api.js'

/** The colour of a receipt's status badge. */
export const STATUS_COLOURS: Record<ReceiptStatus, string> = {
  sent: 'blue',
  accepted: 'green',
  rejected: 'red',
  filtered: 'gray',
}

/** A receipt's status in words. */
export const STATUS_LABELS: Record<ReceiptStatus, string> = {
  sent: 'Sent',
  accepted: 'Accepted',
  rejected: 'Rejected',
  filtered: 'Filtered',
}

/** A receipt's direction in words. */
export const DIRECTION_LABELS: Record<Direction, string> = {
  push: 'Pushed',
  pull: 'Pulled',
  serve: 'Read by the peer (TAXII)',
}

/** The header cells of {@link ReceiptCells}. */
export function ReceiptHeadCells() {
  return (
    <>
      <Table.Th>Version</Table.Th>
      <Table.Th>What</Table.Th>
      <Table.Th>Status</Table.Th>
      <Table.Th>Why</Table.Th>
      <Table.Th>When</Table.Th>
    </>
  )
}

/**
 * What every receipt table shows of a receipt, after its own first column (the object on a peer's
 * page, the peer on an object's): version, direction and action, status, the reason with its rule,
 * and when.
 */
export function ReceiptCells({ receipt: r }: { receipt: ReceiptWire }) {
  return (
    <>
      <Table.Td>
        <Text size="xs">{r.version === '' ? '—' : r.version}</Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm">
          {DIRECTION_LABELS[r.direction]}
          {r.action === 'delete' ? ' deletion' : ''}
        </Text>
      </Table.Td>
      <Table.Td>
        <Badge
          variant="light"
          color={STATUS_COLOURS[r.status]}
          miw="max-content"
          data-testid="receipt-status"
        >
          {STATUS_LABELS[r.status]}
        </Badge>
      </Table.Td>
      <Table.Td data-testid="receipt-reason">
        <Text size="sm">{r.reason ?? '—'}</Text>
        {r.rule === null ? null : (
          <Text size="xs" c="dimmed">
            rule {r.rule}
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        <Text size="sm">{formatDateTime(r.updatedAt)}</Text>
      </Table.Td>
    </>
  )
}
