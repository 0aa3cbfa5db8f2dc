import { Type, type Static } from 'typebox'
import { ORG_TYPES, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, ROLES } from './account.js'

export { ORG_TYPES, OrgType, ROLES, Role, PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH } from './account.js'

const Id = Type.String({ format: 'uuid', description: 'UUID' })
const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601, UTC' })
const NullableTimestamp = Type.Union([Timestamp, Type.Null()])
const Country = Type.String({
  pattern: '^[A-Z]{2}$',
  description: 'ISO 3166-1 alpha-2 code (EU for EU bodies)',
})
const Email = Type.String({ format: 'email', maxLength: 254 })

/** An organisation's intelligence settings, as the API returns them. */
export const OrganisationSettingsSchema = Type.Object({
  fourEyesRelease: Type.Boolean({
    description:
      'intelligence its members import for an audience beyond the organisation is held (organisation only) until a second member approves it',
  }),
  intelRetentionDays: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
    description:
      'its indicators without valid_until count as expired this many days after their modified (or created) time; null: never',
  }),
})
/** Wire shape of an organisation's settings. */
export type OrganisationSettingsWire = Static<typeof OrganisationSettingsSchema>

/** An organisation as the API returns it. */
export const OrganisationSchema = Type.Object({
  id: Id,
  name: Type.String(),
  type: Type.Enum([...ORG_TYPES]),
  country: Type.Union([Country, Type.Null()]),
  sector: Type.Union([Type.String(), Type.Null()]),
  isInstanceOwner: Type.Boolean({ description: 'true for the organisation that runs this instance' }),
  description: Type.Union([Type.String(), Type.Null()]),
  website: Type.Union([Type.String(), Type.Null()]),
  securityContact: Type.Union([Type.String(), Type.Null()], {
    description: 'e-mail address for security reports',
  }),
  pgpKey: Type.Union([Type.String(), Type.Null()], { description: 'ASCII-armoured OpenPGP public key' }),
  private: Type.Union(
    [
      Type.Object({
        notes: Type.Union([Type.String(), Type.Null()]),
        internalContact: Type.Union([Type.String(), Type.Null()]),
      }),
      Type.Null(),
    ],
    {
      description: "the organisation's private profile: only its own members see it, null for everyone else",
    },
  ),
  settings: Type.Union([OrganisationSettingsSchema, Type.Null()], {
    description:
      "the organisation's intelligence settings: only its own members see them, null for everyone else",
  }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
})
/** Wire shape of an organisation. */
export type OrganisationWire = Static<typeof OrganisationSchema>

/** Body of `POST /api/v1/organisations`. */
export const CreateOrganisationBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    type: Type.Enum([...ORG_TYPES]),
    country: Type.Optional(Country),
    sector: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
)
/** Input to create an organisation. */
export type CreateOrganisationInput = Static<typeof CreateOrganisationBody>

/** A user as the API returns it (never with secrets). */
export const UserSchema = Type.Object({
  id: Id,
  email: Type.String(),
  name: Type.String(),
  role: Type.Enum([...ROLES]),
  orgId: Id,
  mustChangePassword: Type.Boolean(),
  disabled: Type.Boolean(),
  createdAt: Timestamp,
  lastLoginAt: NullableTimestamp,
})
/** Wire shape of a user. */
export type UserWire = Static<typeof UserSchema>

/** Body of `POST /api/v1/users`. */
export const CreateUserBody = Type.Object(
  {
    email: Email,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    role: Type.Enum([...ROLES]),
    orgId: Id,
    password: Type.Optional(
      Type.String({
        minLength: PASSWORD_MIN_LENGTH,
        maxLength: PASSWORD_MAX_LENGTH,
        description: 'initial password; when omitted a one-time password is generated and returned once',
      }),
    ),
  },
  { additionalProperties: false },
)
/** Input to create a user. */
export type CreateUserInput = Static<typeof CreateUserBody>

/** Body of `PATCH /api/v1/users/{id}`. */
export const UpdateUserBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    role: Type.Optional(Type.Enum([...ROLES])),
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
)
/** Input to update a user. */
export type UpdateUserInput = Static<typeof UpdateUserBody>

/** An API key as the API returns it (never with the token, except once at creation). */
export const ApiKeySchema = Type.Object({
  id: Id,
  name: Type.String(),
  userId: Id,
  prefix: Type.String({ description: 'first characters of the token, to recognise it' }),
  createdAt: Timestamp,
  lastUsedAt: NullableTimestamp,
  expiresAt: NullableTimestamp,
  revokedAt: NullableTimestamp,
})
/** Wire shape of an API key. */
export type ApiKeyWire = Static<typeof ApiKeySchema>

/** Body of `POST /api/v1/apikeys`. */
export const CreateApiKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    expiresAt: Type.Optional(Timestamp),
    userId: Type.Optional(Type.String({ format: 'uuid', description: 'admins only: create for this user' })),
  },
  { additionalProperties: false },
)
/** Input to create an API key. */
export type CreateApiKeyInput = Static<typeof CreateApiKeyBody>

/** Body of `POST /api/v1/auth/login`. */
export const LoginBody = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
  },
  { additionalProperties: false },
)

/** Body of `POST /api/v1/auth/password`. */
export const ChangePasswordBody = Type.Object(
  {
    currentPassword: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
    newPassword: Type.String({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH }),
  },
  { additionalProperties: false },
)

/** What `GET /api/v1/me` and a successful login return. */
export const MeSchema = Type.Object({
  user: UserSchema,
  organisation: OrganisationSchema,
  authMethod: Type.Enum(['session', 'apikey']),
  isInstanceAdmin: Type.Boolean(),
  csrfToken: Type.Union([
    Type.String({ description: 'send as X-CSRF-Token on every unsafe request made with the session cookie' }),
    Type.Null(),
  ]),
})
/** Wire shape of the caller. */
export type MeWire = Static<typeof MeSchema>

/** One audit log entry as the API returns it. */
export const AuditEntrySchema = Type.Object({
  seq: Type.Integer(),
  at: Timestamp,
  actorType: Type.Enum(['user', 'cli', 'system', 'anonymous']),
  actorUserId: Type.Union([Id, Type.Null()]),
  actorOrgId: Type.Union([Id, Type.Null()]),
  action: Type.String(),
  targetType: Type.String(),
  targetId: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown()),
  hash: Type.String(),
  prevHash: Type.String(),
})
/** Wire shape of an audit entry. */
export type AuditEntryWire = Static<typeof AuditEntrySchema>
