import { Type, type Static } from 'typebox'
import { SharingLabelSchema } from '../trust/label.schema.js'

/** Where a four-eyes release stands. */
export const RELEASE_STATUSES = ['pending', 'approved', 'rejected'] as const
/** One of {@link RELEASE_STATUSES}. */
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number]

const Id = Type.String({ format: 'uuid' })
const Timestamp = Type.String({ format: 'date-time' })

/** A four-eyes release as the API returns it. */
export const ReleaseSchema = Type.Object({
  id: Id,
  orgId: Id,
  importId: Id,
  status: Type.Enum([...RELEASE_STATUSES]),
  source: Type.Union([Type.String(), Type.Null()]),
  requestedLabel: SharingLabelSchema,
  /** The organisation-only label the objects wait under until the release is approved. */
  heldLabel: SharingLabelSchema,
  requestedBy: Type.Union([Id, Type.Null()], {
    description: 'user who asked; null when a CLI operator imported without naming a user',
  }),
  requestedAt: Timestamp,
  decidedBy: Type.Union([Id, Type.Null()]),
  decidedAt: Type.Union([Timestamp, Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
  objectCount: Type.Union([Type.Integer(), Type.Null()], {
    description: 'stored object versions the approval relabelled; null until approved',
  }),
})
/** Wire shape of a release. */
export type ReleaseWire = Static<typeof ReleaseSchema>

/** Body of `POST /api/v1/intel/releases/{id}/approve` and `/reject`. */
export const DecideReleaseBody = Type.Object(
  { reason: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })) },
  { additionalProperties: false },
)
/** Input to approve or reject a release. */
export type DecideReleaseInput = Static<typeof DecideReleaseBody>
