import type { Direction, ReceiptStatus } from '../../../src/core/federation/federation.js'

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
