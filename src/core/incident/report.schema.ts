import { Type, type Static } from 'typebox'
import { SharingLabelSchema } from '../trust/label.schema.js'

/** How a report reached the instance. */
export const REPORT_CHANNELS = ['web', 'api', 'email', 'xarf'] as const
/** One of {@link REPORT_CHANNELS}. */
export type ReportChannel = (typeof REPORT_CHANNELS)[number]

/**
 * Where a report stands: `new` (not looked at), `triaged` (a handler looked at it), `closed`, or
 * `linked` (made part of an incident by the incident module).
 */
export const REPORT_STATUSES = ['new', 'triaged', 'closed', 'linked'] as const
/** One of {@link REPORT_STATUSES}. */
export type ReportStatus = (typeof REPORT_STATUSES)[number]

/** Statuses a handler may set by hand (`linked` is set by the incident module). */
export const HANDLER_STATUSES = ['new', 'triaged', 'closed'] as const

/** Who wrote a message of a report. */
export const MESSAGE_SENDERS = ['reporter', 'handler'] as const
/** One of {@link MESSAGE_SENDERS}. */
export type MessageSender = (typeof MESSAGE_SENDERS)[number]

/** NIS2 kinds of entity (Directive (EU) 2022/2555, art. 3). */
export const NIS2_ENTITY_TYPES = ['essential', 'important', 'neither', 'unknown'] as const

/** Size limits of a report, the same for every channel. */
export const REPORT_LIMITS = {
  /** Bytes of one attachment. */
  fileBytes: 10 * 1024 * 1024,
  /** Bytes of all attachments of one report or message. */
  totalBytes: 25 * 1024 * 1024,
  /** Attachments of one report or message. */
  files: 10,
  /** Characters of the free text and of a message. */
  textChars: 100_000,
} as const

/** The optional NIS2 questions of the form. */
export const Nis2AnswersSchema = Type.Object(
  {
    entityType: Type.Optional(
      Type.Enum([...NIS2_ENTITY_TYPES], {
        description: 'is the reporter an essential or important entity under NIS2',
      }),
    ),
    suspectedMalicious: Type.Optional(
      Type.Boolean({ description: 'the incident is suspected to be caused by an unlawful or malicious act' }),
    ),
    crossBorderImpact: Type.Optional(
      Type.Boolean({ description: 'the incident has or may have a cross-border impact' }),
    ),
  },
  { additionalProperties: false },
)
/** Answers to the NIS2 questions. */
export type Nis2Answers = Static<typeof Nis2AnswersSchema>

/** How to reach the reporter. */
export const ReporterContactSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    email: Type.String({ format: 'email', maxLength: 320 }),
    phone: Type.Optional(Type.String({ maxLength: 50 })),
    organisation: Type.Optional(Type.String({ maxLength: 300 })),
  },
  { additionalProperties: false },
)

/**
 * Body of `POST /api/v1/reports` (as JSON, or as the `report` field of a multipart form whose files
 * are the attachments).
 */
export const CreateReportBody = Type.Object(
  {
    reporter: ReporterContactSchema,
    summary: Type.String({ minLength: 1, maxLength: 500, description: 'what happened, in a line' }),
    occurredAt: Type.Optional(Type.String({ format: 'date-time', description: 'when it happened' })),
    affectedSystems: Type.Optional(Type.String({ maxLength: 5000 })),
    description: Type.Optional(
      Type.String({ maxLength: REPORT_LIMITS.textChars, description: 'free text: everything else' }),
    ),
    nis2: Type.Optional(Nis2AnswersSchema),
  },
  { additionalProperties: false },
)
/** Input to create a report. */
export type CreateReportInput = Static<typeof CreateReportBody>

/** Body of `POST …/messages` (JSON, or the `body` field of a multipart form with attachments). */
export const ReportMessageBody = Type.Object(
  { body: Type.String({ minLength: 1, maxLength: REPORT_LIMITS.textChars }) },
  { additionalProperties: false },
)
/** Input of a message. */
export type ReportMessageInput = Static<typeof ReportMessageBody>

/** Body of `PATCH /api/v1/reports/{id}`. */
export const UpdateReportBody = Type.Object(
  { status: Type.Enum([...HANDLER_STATUSES]) },
  { additionalProperties: false },
)

/** Answer of `POST /api/v1/reports`: the tracking id and the secret status link. */
export const ReportReceiptSchema = Type.Object({
  trackingId: Type.String(),
  statusUrl: Type.String({
    description: 'secret link to the status page, shown once: its fragment holds the token (`#token=…`)',
  }),
})

/** An attachment as the API describes it (the bytes come from the download route). */
export const AttachmentSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  messageId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
  filename: Type.String(),
  contentType: Type.String({ description: 'as declared by the sender; never trusted' }),
  size: Type.Integer(),
  sha256: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
})

/** A message as the API returns it. */
export const ReportMessageSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  from: Type.Enum([...MESSAGE_SENDERS]),
  body: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
})

/** What the reporter sees through the status link: only their report, nothing handler-internal. */
export const ReportStatusSchema = Type.Object({
  trackingId: Type.String(),
  status: Type.Enum([...REPORT_STATUSES]),
  summary: Type.String(),
  submittedAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  messages: Type.Array(ReportMessageSchema),
  attachments: Type.Array(
    Type.Object({
      filename: Type.String(),
      size: Type.Integer(),
      sha256: Type.String(),
      createdAt: Type.String({ format: 'date-time' }),
    }),
  ),
})
/** Wire shape of the reporter's view. */
export type ReportStatusWire = Static<typeof ReportStatusSchema>

/** A report in the triage queue. */
export const ReportSummarySchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  trackingId: Type.String(),
  channel: Type.Enum([...REPORT_CHANNELS]),
  status: Type.Enum([...REPORT_STATUSES]),
  summary: Type.String(),
  reporterEmail: Type.String(),
  attachmentCount: Type.Integer(),
  incidentId: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})
/** Wire shape of a queue entry. */
export type ReportSummaryWire = Static<typeof ReportSummarySchema>

/** A report as handlers see it. */
export const ReportSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  trackingId: Type.String(),
  channel: Type.Enum([...REPORT_CHANNELS]),
  status: Type.Enum([...REPORT_STATUSES]),
  summary: Type.String(),
  occurredAt: Type.Union([Type.String(), Type.Null()]),
  affectedSystems: Type.Union([Type.String(), Type.Null()]),
  description: Type.String(),
  reporter: Type.Object({
    name: Type.Union([Type.String(), Type.Null()]),
    email: Type.String(),
    phone: Type.Union([Type.String(), Type.Null()]),
    organisation: Type.Union([Type.String(), Type.Null()]),
    userId: Type.Union([Type.String(), Type.Null()]),
    orgId: Type.Union([Type.String(), Type.Null()]),
    address: Type.Union([Type.String(), Type.Null()]),
  }),
  nis2: Type.Object({
    entityType: Type.Union([Type.Enum([...NIS2_ENTITY_TYPES]), Type.Null()]),
    suspectedMalicious: Type.Union([Type.Boolean(), Type.Null()]),
    crossBorderImpact: Type.Union([Type.Boolean(), Type.Null()]),
  }),
  incidentId: Type.Union([Type.String(), Type.Null()]),
  label: SharingLabelSchema,
  messages: Type.Array(ReportMessageSchema),
  attachments: Type.Array(AttachmentSchema),
  observables: Type.Array(Type.Object({ kind: Type.String(), key: Type.String(), value: Type.String() })),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})
/** Wire shape of a report. */
export type ReportWire = Static<typeof ReportSchema>
