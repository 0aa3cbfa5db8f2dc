import type { Selectable } from 'kysely'

/** What became of a received message. */
export type RawMessageOutcome = 'report' | 'reply' | 'xarf' | 'duplicate' | 'unprocessed'

/** Whether the sender was answered with the tracking id. */
export type AckStatus = 'pending' | 'sent' | 'not_sent' | 'suppressed' | 'none'

/** One thing that could not be read in a message. */
export interface MailProblem {
  /** Stable code, e.g. `mime_unparseable`, `multipart_unterminated`, `charset_unknown`, `xarf_invalid`. */
  readonly code: string
  /** What is wrong, for handlers. */
  readonly message: string
}

/**
 * `raw_messages`: every message the SMTP intake accepted, stored before anything else is made of it,
 * so a message that was acknowledged at the SMTP level is never lost, however broken it is.
 */
export interface RawMessageTable {
  id: string
  received_at: string
  /** Envelope sender; '' for the null reverse-path of bounces. */
  envelope_from: string
  /** JSON array of the accepted envelope recipients. */
  envelope_to: string
  remote_address: string | null
  helo: string | null
  /** The `Message-ID` header, when there is one. */
  message_id: string | null
  subject: string | null
  size: number
  /** SHA-256 (hex) of `raw`. */
  sha256: string
  /** The message as received, byte for byte. */
  raw: Buffer
  /** JSON array of {@link MailProblem}. */
  problems: string
  /** 1 when `problems` is not empty. */
  flagged: number
  outcome: RawMessageOutcome
  /** The report the message created or was added to. */
  report_id: string | null
  /** The X-ARF v4 report found in the message (JSON, `_internal` removed), if any. */
  xarf: string | null
  /** RSIT `class/type` the X-ARF category and type obviously correspond to. */
  rsit_hint: string | null
  ack_status: AckStatus
  /** Why the acknowledgement was not sent or was suppressed. */
  ack_detail: string | null
  /** `Message-ID` of the acknowledgement that was sent. */
  ack_message_id: string | null
  ack_at: string | null
}

/** A row read from `raw_messages`. */
export type RawMessageRow = Selectable<RawMessageTable>
