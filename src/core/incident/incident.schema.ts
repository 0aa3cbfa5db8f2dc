import { Type, type Static } from 'typebox'
import { OBSERVABLE_KINDS } from '../intel/observable.js'
import { LabelInputSchema, SharingLabelSchema } from '../trust/label.schema.js'
import { NIS2_STAGES } from './nis2.js'
import { RSIT_CLASS_VALUES } from './rsit.js'
import { INCIDENT_STATUSES, SEVERITIES } from './workflow.js'

const Uuid = Type.String({ format: 'uuid' })
const Instant = Type.String({ format: 'date-time' })
const NullableInstant = Type.Union([Instant, Type.Null()])

/** One SLA timer as the API returns it. */
export const SlaTimerSchema = Type.Object({
  dueAt: Instant,
  doneAt: NullableInstant,
  state: Type.Enum(['due', 'met', 'late', 'overdue']),
})

/** One NIS2 deadline at the time of the answer (`nis2Deadlines` in src/core/incident/nis2.ts). */
export const Nis2DeadlineSchema = Type.Object({
  stage: Type.Enum([...NIS2_STAGES]),
  dueAt: Type.Union([Instant, Type.Null()], { description: 'null while it cannot be known yet' }),
  submittedAt: NullableInstant,
  status: Type.Enum(['due', 'met', 'overdue', 'waiting']),
  late: Type.Boolean({ description: 'submitted after its due time' }),
  basis: Type.String({ description: 'where the due time comes from, in words' }),
})
/** Wire shape of a NIS2 deadline. */
export type Nis2DeadlineWire = Static<typeof Nis2DeadlineSchema>

/** An intermediate report the CSIRT or competent authority asked for (Art. 23(4)(c)). */
export const Nis2IntermediateSchema = Type.Object({
  id: Uuid,
  requestedAt: Instant,
  dueAt: Instant,
  submittedAt: NullableInstant,
  note: Type.Union([Type.String(), Type.Null()]),
})

const NullableFlag = Type.Union([Type.Boolean(), Type.Null()])
const NullableText = (maxLength: number) => Type.Union([Type.String({ maxLength }), Type.Null()])

/**
 * NIS2 Article 23 fields of an incident: the clock (awareness, trust service provider, the zone of
 * "one month"), what was submitted when, the authority's intermediate requests, the facts the
 * submissions are made of, and the deadlines as of the answer (empty unless significant with `awareAt`).
 */
export const Nis2FieldsSchema = Type.Object({
  significant: NullableFlag,
  trustServiceProvider: NullableFlag,
  timeZone: Type.String({ description: 'IANA zone in which "one month" is counted' }),
  awareAt: NullableInstant,
  earlyWarningSentAt: NullableInstant,
  notificationSentAt: NullableInstant,
  progressReportSentAt: NullableInstant,
  finalReportSentAt: NullableInstant,
  intermediateRequests: Type.Array(Nis2IntermediateSchema),
  suspectedMalicious: NullableFlag,
  crossBorder: NullableFlag,
  rootCause: Type.Union([Type.String(), Type.Null()]),
  mitigationApplied: Type.Union([Type.String(), Type.Null()]),
  mitigationOngoing: Type.Union([Type.String(), Type.Null()]),
  deadlines: Type.Array(Nis2DeadlineSchema),
})

/**
 * NIS2 fields as a client changes them; each optional. A submission time (`…SentAt`,
 * `intermediateReports[].submittedAt`) is set once and never changed: submissions are immutable.
 */
export const Nis2InputSchema = Type.Object(
  {
    significant: Type.Optional(NullableFlag),
    trustServiceProvider: Type.Optional(NullableFlag),
    timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'an IANA zone' })),
    awareAt: Type.Optional(NullableInstant),
    earlyWarningSentAt: Type.Optional(NullableInstant),
    notificationSentAt: Type.Optional(NullableInstant),
    progressReportSentAt: Type.Optional(NullableInstant),
    finalReportSentAt: Type.Optional(NullableInstant),
    intermediateReports: Type.Optional(
      Type.Array(Type.Object({ id: Uuid, submittedAt: Instant }, { additionalProperties: false }), {
        maxItems: 100,
        description: 'marks requested intermediate reports as submitted',
      }),
    ),
    suspectedMalicious: Type.Optional(NullableFlag),
    crossBorder: Type.Optional(NullableFlag),
    rootCause: Type.Optional(NullableText(2000)),
    mitigationApplied: Type.Optional(NullableText(20_000)),
    mitigationOngoing: Type.Optional(NullableText(20_000)),
  },
  { additionalProperties: false },
)
/** NIS2 input of a create or change. */
export type Nis2Input = Static<typeof Nis2InputSchema>

/** Body of `POST /api/v1/incidents/{id}/nis2/intermediate`: the authority asked for an intermediate report. */
export const IntermediateRequestBody = Type.Object(
  {
    dueAt: Instant,
    requestedAt: Type.Optional(
      Type.String({ format: 'date-time', description: 'when it was asked for; default now' }),
    ),
    note: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
  },
  { additionalProperties: false },
)
/** Input of an intermediate report request. */
export type IntermediateRequestInput = Static<typeof IntermediateRequestBody>

/** A NIS2 Article 23 submission generated from an incident (`nis2Document` in src/core/incident/nis2.ts). */
export const Nis2DocumentSchema = Type.Object({
  stage: Type.Enum([...NIS2_STAGES]),
  generatedAt: Instant,
  reference: Type.String({ description: 'the incident id' }),
  title: Type.String(),
  entity: Type.Object({ name: Type.String(), sector: Type.Union([Type.String(), Type.Null()]) }),
  awareAt: Instant,
  tlp: Type.String({ description: 'TLP of the incident, to head the document (TLP:AMBER, …)' }),
  fields: Type.Record(Type.String(), Type.Unknown(), {
    description: 'the fields Article 23 asks for at this stage, and those it may carry',
  }),
  missing: Type.Array(Type.String(), { description: 'required fields still without a value' }),
})
/** Wire shape of a NIS2 document. */
export type Nis2DocumentWire = Static<typeof Nis2DocumentSchema>

/** An incident as the API returns it. Owner-only parts (`reportIds`, `participants`) are empty for others. */
export const IncidentSchema = Type.Object({
  id: Uuid,
  title: Type.String(),
  description: Type.String(),
  status: Type.Enum([...INCIDENT_STATUSES]),
  severity: Type.Enum([...SEVERITIES]),
  impact: Type.String(),
  rsitClass: Type.Union([Type.String(), Type.Null()]),
  rsitType: Type.Union([Type.String(), Type.Null()]),
  assigneeId: Type.Union([Uuid, Type.Null()]),
  label: SharingLabelSchema,
  /** True when the caller's organisation owns (works) the incident. */
  owned: Type.Boolean(),
  participants: Type.Array(Uuid),
  reportIds: Type.Array(Uuid),
  sla: Type.Object({ acknowledge: SlaTimerSchema, resolve: SlaTimerSchema }),
  nis2: Nis2FieldsSchema,
  acknowledgedAt: NullableInstant,
  resolvedAt: NullableInstant,
  closedAt: NullableInstant,
  createdBy: Uuid,
  createdAt: Instant,
  updatedAt: Instant,
})
/** Wire shape of an incident. */
export type IncidentWire = Static<typeof IncidentSchema>

const Title = Type.String({ minLength: 1, maxLength: 300 })
const Description = Type.String({ maxLength: 100_000 })
const Impact = Type.String({ maxLength: 2000 })
const RsitClass = Type.Enum([...RSIT_CLASS_VALUES])
const RsitType = Type.String({ minLength: 1, maxLength: 100 })

/** Body of `POST /api/v1/incidents`: a new incident, made from reports when `reportIds` is given. */
export const CreateIncidentBody = Type.Object(
  {
    title: Title,
    description: Type.Optional(Description),
    severity: Type.Optional(Type.Enum([...SEVERITIES])),
    impact: Type.Optional(Impact),
    rsitClass: Type.Optional(RsitClass),
    rsitType: Type.Optional(RsitType),
    assigneeId: Type.Optional(Type.Union([Uuid, Type.Null()])),
    label: Type.Optional(LabelInputSchema),
    reportIds: Type.Optional(Type.Array(Uuid, { maxItems: 500, uniqueItems: true })),
    nis2: Type.Optional(Nis2InputSchema),
  },
  { additionalProperties: false },
)
/** Input to create an incident. */
export type CreateIncidentInput = Static<typeof CreateIncidentBody>

/** Body of `PATCH /api/v1/incidents/{id}`. */
export const UpdateIncidentBody = Type.Object(
  {
    title: Type.Optional(Title),
    description: Type.Optional(Description),
    status: Type.Optional(Type.Enum([...INCIDENT_STATUSES])),
    severity: Type.Optional(Type.Enum([...SEVERITIES])),
    impact: Type.Optional(Impact),
    rsitClass: Type.Optional(Type.Union([RsitClass, Type.Null()])),
    rsitType: Type.Optional(Type.Union([RsitType, Type.Null()])),
    assigneeId: Type.Optional(Type.Union([Uuid, Type.Null()])),
    nis2: Type.Optional(Nis2InputSchema),
  },
  { additionalProperties: false, minProperties: 1 },
)
/** Input to change an incident. */
export type UpdateIncidentInput = Static<typeof UpdateIncidentBody>

/** A task as the API returns it. */
export const TaskSchema = Type.Object({
  id: Uuid,
  incidentId: Uuid,
  title: Type.String(),
  dueAt: NullableInstant,
  done: Type.Boolean(),
  doneAt: NullableInstant,
  overdue: Type.Boolean(),
  assigneeId: Type.Union([Uuid, Type.Null()]),
  createdBy: Uuid,
  createdAt: Instant,
  updatedAt: Instant,
})
/** Wire shape of a task. */
export type TaskWire = Static<typeof TaskSchema>

/** Body of `POST /api/v1/incidents/{id}/tasks`. */
export const CreateTaskBody = Type.Object(
  {
    title: Title,
    dueAt: Type.Optional(Type.Union([Instant, Type.Null()])),
    assigneeId: Type.Optional(Type.Union([Uuid, Type.Null()])),
  },
  { additionalProperties: false },
)
/** Input to create a task. */
export type CreateTaskInput = Static<typeof CreateTaskBody>

/** Body of `PATCH /api/v1/incidents/{id}/tasks/{taskId}`. */
export const UpdateTaskBody = Type.Object(
  {
    title: Type.Optional(Title),
    dueAt: Type.Optional(Type.Union([Instant, Type.Null()])),
    assigneeId: Type.Optional(Type.Union([Uuid, Type.Null()])),
    done: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
)
/** Input to change a task. */
export type UpdateTaskInput = Static<typeof UpdateTaskBody>

/** A note as the API returns it. */
export const NoteSchema = Type.Object({
  id: Uuid,
  incidentId: Uuid,
  body: Type.String(),
  label: SharingLabelSchema,
  shared: Type.Boolean(),
  authorId: Uuid,
  authorOrgId: Uuid,
  createdAt: Instant,
})
/** Wire shape of a note. */
export type NoteWire = Static<typeof NoteSchema>

/** Body of `POST /api/v1/incidents/{id}/notes`. */
export const CreateNoteBody = Type.Object(
  {
    body: Type.String({ minLength: 1, maxLength: 100_000 }),
    label: LabelInputSchema,
    shared: Type.Optional(
      Type.Boolean({
        description:
          'true: every organisation that sees the incident sees the note; false (default): only whom its label names',
      }),
    ),
  },
  { additionalProperties: false },
)
/** Input to add a note. */
export type CreateNoteInput = Static<typeof CreateNoteBody>

/** One timeline entry. */
export const EventSchema = Type.Object({
  id: Uuid,
  position: Type.Integer(),
  at: Instant,
  actorId: Uuid,
  actorOrgId: Uuid,
  action: Type.String(),
  details: Type.Record(Type.String(), Type.Unknown()),
})
/** Wire shape of a timeline entry. */
export type EventWire = Static<typeof EventSchema>

/** A linked observable or intelligence object. */
export const LinkSchema = Type.Object({
  id: Uuid,
  kind: Type.Enum(['observable', 'object']),
  ref: Type.String({ description: 'observable key (kind:value) or STIX id' }),
  observableKind: Type.Union([Type.String(), Type.Null()]),
  value: Type.String(),
  createdBy: Uuid,
  createdAt: Instant,
})
/** Wire shape of a link. */
export type LinkWire = Static<typeof LinkSchema>

/** Body of `POST /api/v1/incidents/{id}/links`: an observable value (kind optional) or a STIX id. */
export const CreateLinkBody = Type.Object(
  {
    observable: Type.Optional(
      Type.Object(
        {
          kind: Type.Optional(Type.Enum([...OBSERVABLE_KINDS])),
          value: Type.String({ minLength: 1, maxLength: 4000 }),
        },
        { additionalProperties: false },
      ),
    ),
    objectId: Type.Optional(Type.String({ pattern: '^[a-z0-9-]+--[0-9a-f-]{36}$', maxLength: 300 })),
  },
  { additionalProperties: false, minProperties: 1, maxProperties: 1 },
)
/** Input to link an observable or object. */
export type CreateLinkInput = Static<typeof CreateLinkBody>

/** Body of `PUT /api/v1/incidents/{id}/sharing`: the incident's label and the organisations named. */
export const SharingBody = Type.Object(
  {
    label: LabelInputSchema,
    participants: Type.Array(Uuid, { maxItems: 100, uniqueItems: true }),
    reason: Type.Optional(Type.String({ maxLength: 2000, description: 'required for a downgrade' })),
  },
  { additionalProperties: false },
)
/** Input to share an incident. */
export type SharingInput = Static<typeof SharingBody>

/** Body of `POST /api/v1/incidents/{id}/reports` (merge) and of `…/split`. */
export const ReportIdsBody = Type.Object(
  {
    reportIds: Type.Array(Uuid, { minItems: 1, maxItems: 500, uniqueItems: true }),
    title: Type.Optional(Title),
  },
  { additionalProperties: false },
)
/** Input naming reports. */
export type ReportIdsInput = Static<typeof ReportIdsBody>

/** A possible duplicate of a report. */
export const HintSchema = Type.Object({
  reportId: Uuid,
  trackingId: Type.String(),
  incidentId: Type.Union([Uuid, Type.Null()]),
  reasons: Type.Array(Type.Enum(['observable', 'reporter'])),
  sharedObservables: Type.Array(Type.String()),
})
/** Wire shape of a duplicate hint. */
export type HintWire = Static<typeof HintSchema>

const SlaTargetSchema = Type.Object(
  {
    acknowledgeMinutes: Type.Integer({ minimum: 1, maximum: 525_600 }),
    resolveMinutes: Type.Integer({ minimum: 1, maximum: 5_256_000 }),
  },
  { additionalProperties: false },
)

/** An organisation's SLA targets per severity (body and answer of `/api/v1/incidents/sla`). */
export const SlaSettingsSchema = Type.Object(
  {
    critical: SlaTargetSchema,
    high: SlaTargetSchema,
    medium: SlaTargetSchema,
    low: SlaTargetSchema,
  },
  { additionalProperties: false },
)
/** SLA settings of an organisation. */
export type SlaSettingsInput = Static<typeof SlaSettingsSchema>
