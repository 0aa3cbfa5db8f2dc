import { Type, type Static } from 'typebox'
import { RANGE_KINDS } from './constituency.js'

const Email = Type.String({
  minLength: 3,
  maxLength: 254,
  pattern: '^[^\\s@<>",;]+@[^\\s@<>",;]+\\.[^\\s@<>",;]+$',
})
const RangeValues = Type.Array(Type.String({ minLength: 1, maxLength: 300 }), { maxItems: 10000 })
const ArmoredKey = Type.String({ maxLength: 200_000, description: 'armored OpenPGP public key' })

/** A registered netblock, ASN or domain. */
export const ConstituentRangeSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  kind: Type.Enum([...RANGE_KINDS]),
  value: Type.String({ description: 'normalised: 198.51.100.0/24, AS64500, example.net' }),
})
/** Wire shape of a range. */
export type ConstituentRangeWire = Static<typeof ConstituentRangeSchema>

/** A constituent (an organisation Liaison notifies about its resources), as the API returns it. */
export const ConstituentSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  abuseEmails: Type.Array(Type.String()),
  pgpFingerprint: Type.Union([Type.String(), Type.Null()], {
    description: 'of the public key notifications are encrypted to; null: none',
  }),
  pgpKey: Type.Union([Type.String(), Type.Null()]),
  orgId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], {
    description: 'the Liaison organisation this constituent is, if any',
  }),
  ranges: Type.Array(ConstituentRangeSchema),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})
/** Wire shape of a constituent. */
export type ConstituentWire = Static<typeof ConstituentSchema>

/** Body of `POST /api/v1/constituency/constituents`. */
export const CreateConstituentBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    abuseEmails: Type.Array(Email, { minItems: 1, maxItems: 20 }),
    pgpKey: Type.Optional(Type.Union([ArmoredKey, Type.Null()])),
    orgId: Type.Optional(Type.Union([Type.String({ format: 'uuid' }), Type.Null()])),
    netblocks: Type.Optional(RangeValues),
    asns: Type.Optional(RangeValues),
    domains: Type.Optional(RangeValues),
  },
  { additionalProperties: false },
)
/** Input to create a constituent. */
export type CreateConstituentInput = Static<typeof CreateConstituentBody>

/** Body of `PATCH /api/v1/constituency/constituents/{id}`; a range list given replaces that kind's ranges. */
export const UpdateConstituentBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    abuseEmails: Type.Optional(Type.Array(Email, { minItems: 1, maxItems: 20 })),
    pgpKey: Type.Optional(Type.Union([ArmoredKey, Type.Null()])),
    orgId: Type.Optional(Type.Union([Type.String({ format: 'uuid' }), Type.Null()])),
    netblocks: Type.Optional(RangeValues),
    asns: Type.Optional(RangeValues),
    domains: Type.Optional(RangeValues),
  },
  { additionalProperties: false },
)
/** Input to change a constituent. */
export type UpdateConstituentInput = Static<typeof UpdateConstituentBody>

/** Body of `POST /api/v1/constituency/constituents/{id}/ranges`. */
export const AddRangeBody = Type.Object(
  { kind: Type.Enum([...RANGE_KINDS]), value: Type.String({ minLength: 1, maxLength: 300 }) },
  { additionalProperties: false },
)

/** One owner a value resolved to, and the registered range that matched. */
export const LookupMatchSchema = Type.Object({
  constituentId: Type.String({ format: 'uuid' }),
  name: Type.String(),
  abuseEmails: Type.Array(Type.String()),
  kind: Type.Enum([...RANGE_KINDS]),
  matched: Type.String({ description: 'the registered netblock, ASN or domain that matched' }),
})
/** Wire shape of a look-up match. */
export type LookupMatchWire = Static<typeof LookupMatchSchema>

/** Answer of `GET /api/v1/constituency/lookup`. */
export const LookupSchema = Type.Object({
  value: Type.String(),
  normalised: Type.Union([Type.String(), Type.Null()], {
    description: 'the value as looked up (IP, network, ASN or domain); null when it cannot have an owner',
  }),
  owners: Type.Array(LookupMatchSchema, {
    description: 'most specific netblock (then ASN), or most specific domain; several only on a tie',
  }),
})

/** An observable to notify about: a value, optionally with the AS it was seen in (for IPs outside every netblock). */
export const NotifyObservable = Type.Union([
  Type.String({ minLength: 1, maxLength: 2000 }),
  Type.Object(
    {
      value: Type.String({ minLength: 1, maxLength: 2000 }),
      asn: Type.Optional(Type.Union([Type.String({ maxLength: 20 }), Type.Integer({ minimum: 0 })])),
    },
    { additionalProperties: false },
  ),
])
/** One observable input of a notification. */
export type NotifyObservableInput = Static<typeof NotifyObservable>

/** The template fields of a notification. */
export const NotifyFields = {
  subject: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\r\\n]*$' })),
  message: Type.Optional(Type.String({ minLength: 1, maxLength: 20_000 })),
  reference: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  rsitClass: Type.Optional(
    Type.String({ minLength: 1, maxLength: 100, pattern: '^[a-z0-9-]+(/[a-z0-9-]+)?$' }),
  ),
  tlp: Type.Optional(Type.Enum(['TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER', 'TLP:AMBER+STRICT', 'TLP:RED'])),
}

/** Body of `POST /api/v1/constituency/notify`. */
export const NotifyBody = Type.Object(
  {
    observables: Type.Array(NotifyObservable, { minItems: 1, maxItems: 10000 }),
    incidentId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    ...NotifyFields,
  },
  { additionalProperties: false },
)
/** Input of a notification run. */
export type NotifyInput = Static<typeof NotifyBody>

/** Body of `POST /api/v1/incidents/{id}/notify` (the observables come from the incident). */
export const IncidentNotifyBody = Type.Object({ ...NotifyFields }, { additionalProperties: false })

/** A sent (or failed) notification, as recorded. */
export const NotificationSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  constituentId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
  constituentName: Type.String(),
  recipients: Type.Array(Type.String()),
  subject: Type.String(),
  body: Type.String(),
  observables: Type.Array(Type.String()),
  incidentId: Type.Union([Type.String(), Type.Null()]),
  messageId: Type.Union([Type.String(), Type.Null()]),
  status: Type.Enum(['sent', 'failed']),
  error: Type.Union([Type.String(), Type.Null()]),
  signed: Type.Boolean(),
  encrypted: Type.Boolean(),
  sentBy: Type.Union([Type.String(), Type.Null()], { description: 'user id; null for the CLI' }),
  createdAt: Type.String({ format: 'date-time' }),
})
/** Wire shape of a notification. */
export type NotificationWire = Static<typeof NotificationSchema>

/** Answer of a notification run. */
export const NotifyResultSchema = Type.Object({
  notifications: Type.Array(NotificationSchema),
  unmatched: Type.Array(Type.String(), { description: 'observables no constituent owns' }),
  ignored: Type.Array(Type.String(), { description: 'values that cannot have an owner (hashes, names)' }),
})

/** Body of `POST /api/v1/constituency/import`. */
export const ImportCsvBody = Type.Object(
  { csv: Type.String({ minLength: 1, maxLength: 20_000_000 }) },
  { additionalProperties: false },
)
