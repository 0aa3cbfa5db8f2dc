import {
  ACK_STATUSES,
  RAW_MESSAGE_OUTCOMES,
  type RawMessageWire,
} from '../../../core/incident/intake-mail.schema.js'
import type { MailProblem, RawMessageRow } from './intake-mail.table.js'

/** The only way a received mail goes out to JSON (never its bytes). */
export function presentRawMessage(row: Omit<RawMessageRow, 'raw'>): RawMessageWire {
  return {
    id: row.id,
    receivedAt: row.received_at,
    envelopeFrom: row.envelope_from,
    envelopeTo: JSON.parse(row.envelope_to) as string[],
    remoteAddress: row.remote_address,
    helo: row.helo,
    messageId: row.message_id,
    subject: row.subject,
    size: row.size,
    sha256: row.sha256,
    flagged: row.flagged === 1,
    problems: (JSON.parse(row.problems) as MailProblem[]).map((p) => ({ code: p.code, message: p.message })),
    outcome: RAW_MESSAGE_OUTCOMES.find((o) => o === row.outcome) ?? 'unprocessed',
    reportId: row.report_id,
    rsitHint: row.rsit_hint,
    xarf: row.xarf === null ? null : (JSON.parse(row.xarf) as Record<string, unknown>),
    ack: {
      status: ACK_STATUSES.find((s) => s === row.ack_status) ?? 'none',
      detail: row.ack_detail,
      messageId: row.ack_message_id,
      at: row.ack_at,
    },
  }
}
