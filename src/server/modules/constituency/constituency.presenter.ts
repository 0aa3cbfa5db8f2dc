import type { RangeKind } from '../../../core/constituency/constituency.js'
import type {
  ConstituentRangeWire,
  ConstituentWire,
  NotificationWire,
} from '../../../core/constituency/constituency.schema.js'
import type { ConstituentView } from './constituency.service.js'
import type { ConstituentRangeRow, NotificationRow } from './constituency.table.js'

/** The only way a range leaves as JSON. */
export function presentRange(row: ConstituentRangeRow): ConstituentRangeWire {
  return { id: row.id, kind: row.kind as RangeKind, value: row.value }
}

/** The only way a constituent leaves as JSON. */
export function presentConstituent(view: ConstituentView): ConstituentWire {
  const { row } = view
  return {
    id: row.id,
    name: row.name,
    abuseEmails: JSON.parse(row.abuse_emails) as string[],
    pgpFingerprint: row.pgp_fingerprint,
    pgpKey: row.pgp_key,
    orgId: row.org_id,
    ranges: view.ranges.map(presentRange),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/** The only way a notification record leaves as JSON. */
export function presentNotification(row: NotificationRow): NotificationWire {
  return {
    id: row.id,
    constituentId: row.constituent_id,
    constituentName: row.constituent_name,
    recipients: JSON.parse(row.recipients) as string[],
    subject: row.subject,
    body: row.body,
    observables: JSON.parse(row.observables) as string[],
    incidentId: row.incident_id,
    messageId: row.message_id,
    status: row.status === 'sent' ? 'sent' : 'failed',
    error: row.error,
    signed: row.signed === 1,
    encrypted: row.encrypted === 1,
    sentBy: row.sent_by_user_id,
    createdAt: row.created_at,
  }
}
