import { Type, type Static } from 'typebox'

/** What became of a received mail. */
export const RAW_MESSAGE_OUTCOMES = ['report', 'reply', 'xarf', 'duplicate', 'unprocessed'] as const

/** Whether the sender of a new report was answered with its tracking id. */
export const ACK_STATUSES = ['pending', 'sent', 'not_sent', 'suppressed', 'none'] as const

/** A mail received by the SMTP intake, as handlers see it (the bytes come from the `raw` route). */
export const RawMessageSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  receivedAt: Type.String({ format: 'date-time' }),
  envelopeFrom: Type.String({ description: "SMTP MAIL FROM; '' for the null sender of bounces" }),
  envelopeTo: Type.Array(Type.String()),
  remoteAddress: Type.Union([Type.String(), Type.Null()]),
  helo: Type.Union([Type.String(), Type.Null()]),
  messageId: Type.Union([Type.String(), Type.Null()]),
  subject: Type.Union([Type.String(), Type.Null()]),
  size: Type.Integer(),
  sha256: Type.String(),
  flagged: Type.Boolean({ description: 'something in it could not be read: see problems' }),
  problems: Type.Array(Type.Object({ code: Type.String(), message: Type.String() })),
  outcome: Type.Enum([...RAW_MESSAGE_OUTCOMES]),
  reportId: Type.Union([Type.String(), Type.Null()]),
  rsitHint: Type.Union([Type.String(), Type.Null()], {
    description: 'RSIT class/type an X-ARF report obviously corresponds to',
  }),
  xarf: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], {
    description: 'the X-ARF v4 report found in the mail',
  }),
  ack: Type.Object({
    status: Type.Enum([...ACK_STATUSES]),
    detail: Type.Union([Type.String(), Type.Null()]),
    messageId: Type.Union([Type.String(), Type.Null()]),
    at: Type.Union([Type.String(), Type.Null()]),
  }),
})
/** Wire shape of a received mail. */
export type RawMessageWire = Static<typeof RawMessageSchema>

/** Query of `GET /api/v1/mail/messages`. */
export const RawMessageListQuery = Type.Object(
  {
    flagged: Type.Optional(Type.Boolean({ description: 'only flagged (true) or only clean (false) mail' })),
    outcome: Type.Optional(Type.Enum([...RAW_MESSAGE_OUTCOMES])),
    reportId: Type.Optional(Type.String({ format: 'uuid' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  },
  { additionalProperties: false },
)
/** Filters of the received-mail list. */
export type RawMessageListInput = Static<typeof RawMessageListQuery>
