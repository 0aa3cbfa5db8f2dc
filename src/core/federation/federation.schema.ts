import { Type, type Static } from 'typebox'
import { AUDIENCES, PAP_LEVELS } from '../trust/label.js'
import { DIRECTIONS, RECEIPT_ACTIONS, RECEIPT_STATUSES } from './federation.js'

/** TLP levels a pull may store under: TLP:RED never crosses instances. */
export const PULL_TLP_LEVELS = ['clear', 'green', 'amber', 'amber+strict'] as const

/** The label objects pulled from a peer get (each object's own stricter TLP marking tightens it). */
export const PullLabelSchema = Type.Object(
  {
    tlp: Type.Enum([...PULL_TLP_LEVELS], {
      description: 'TLP of pulled objects that are marked less strictly, or not at all (default green)',
    }),
    pap: Type.Enum([...PAP_LEVELS]),
    audience: Type.Enum([...AUDIENCES]),
    sharingGroups: Type.Array(Type.String({ format: 'uuid' }), { maxItems: 100 }),
  },
  { additionalProperties: false },
)
/** The label objects pulled from a peer get. */
export type PullLabel = Static<typeof PullLabelSchema>

/** How this instance authenticates to a peer. Sent on create or change; never returned. */
export const PeerCredentialsSchema = Type.Union([
  Type.Object(
    {
      kind: Type.Literal('bearer'),
      token: Type.String({ minLength: 1, maxLength: 4000, description: 'API key or token' }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('basic'),
      username: Type.String({ minLength: 1, maxLength: 500 }),
      password: Type.String({ minLength: 1, maxLength: 4000 }),
    },
    { additionalProperties: false },
  ),
  Type.Object({ kind: Type.Literal('none') }, { additionalProperties: false }),
])
/** How this instance authenticates to a peer. */
export type PeerCredentials = Static<typeof PeerCredentialsSchema>

const CollectionRef = Type.String({ minLength: 1, maxLength: 300, pattern: '^[^/?#\\s]+$' })

/** Body of `POST /api/v1/federation/peers`. */
export const CreatePeerBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    url: Type.String({
      format: 'uri',
      pattern: '^https?://',
      maxLength: 2000,
      description: 'the peer server, its TAXII discovery URL (…/taxii2/) or an API root',
    }),
    orgId: Type.String({
      format: 'uuid',
      description: 'the local organisation that stands for the peer (one per peer)',
    }),
    pullCollections: Type.Optional(Type.Array(CollectionRef, { maxItems: 50, uniqueItems: true })),
    pushCollection: Type.Optional(Type.Union([CollectionRef, Type.Null()])),
    pullLabel: Type.Optional(
      Type.Object(
        {
          tlp: Type.Optional(Type.Enum([...PULL_TLP_LEVELS])),
          pap: Type.Optional(Type.Enum([...PAP_LEVELS])),
          audience: Type.Optional(Type.Enum([...AUDIENCES])),
          sharingGroups: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { maxItems: 100 })),
        },
        { additionalProperties: false },
      ),
    ),
    intervalSeconds: Type.Optional(Type.Integer({ minimum: 10, maximum: 7 * 24 * 3600 })),
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    enabled: Type.Optional(Type.Boolean()),
    credentials: Type.Optional(PeerCredentialsSchema),
  },
  { additionalProperties: false },
)
/** Input to create a peer. */
export type CreatePeerInput = Static<typeof CreatePeerBody>

/** Body of `PATCH /api/v1/federation/peers/{id}`. */
export const UpdatePeerBody = Type.Object(
  {
    name: Type.Optional(CreatePeerBody.properties.name),
    url: Type.Optional(CreatePeerBody.properties.url),
    pullCollections: CreatePeerBody.properties.pullCollections,
    pushCollection: CreatePeerBody.properties.pushCollection,
    pullLabel: CreatePeerBody.properties.pullLabel,
    intervalSeconds: CreatePeerBody.properties.intervalSeconds,
    pageSize: CreatePeerBody.properties.pageSize,
    enabled: CreatePeerBody.properties.enabled,
    credentials: CreatePeerBody.properties.credentials,
  },
  { additionalProperties: false, minProperties: 1 },
)
/** Input to change a peer. */
export type UpdatePeerInput = Static<typeof UpdatePeerBody>

const Instant = Type.Union([Type.String({ format: 'date-time' }), Type.Null()])

/** Counts of a peer's receipts by status (only receipts of items the caller may see). */
export const ReceiptCountsSchema = Type.Object({
  sent: Type.Integer(),
  accepted: Type.Integer(),
  rejected: Type.Integer(),
  filtered: Type.Integer(),
})

/** A peer as the API returns it: never its credentials. */
export const PeerSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  url: Type.String(),
  apiRootUrl: Type.Union([Type.String(), Type.Null()]),
  orgId: Type.String({ format: 'uuid' }),
  orgName: Type.String(),
  pullCollections: Type.Array(Type.String()),
  pushCollection: Type.Union([Type.String(), Type.Null()]),
  pullLabel: PullLabelSchema,
  intervalSeconds: Type.Integer(),
  pageSize: Type.Integer(),
  enabled: Type.Boolean(),
  /** What kind of credentials are stored (the secrets themselves never leave). */
  credentials: Type.Enum(['bearer', 'basic', 'none']),
  remoteInstance: Type.Union([Type.Object({ id: Type.String(), name: Type.String() }), Type.Null()]),
  lastSyncAt: Instant,
  lastSuccessAt: Instant,
  lastError: Type.Union([Type.String(), Type.Null()]),
  lastErrorAt: Instant,
  /** Seconds since the oldest local object version not yet considered for a push (null: none waiting, or no push). */
  pushLagSeconds: Type.Union([Type.Number(), Type.Null()]),
  /** Seconds since the last pull that completed (null: never, or no pull). */
  pullLagSeconds: Type.Union([Type.Number(), Type.Null()]),
  receipts: ReceiptCountsSchema,
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})
/** Wire shape of a peer. */
export type PeerWire = Static<typeof PeerSchema>

/** A delivery receipt: what happened to one item for one peer. */
export const ReceiptSchema = Type.Object({
  peerId: Type.String({ format: 'uuid' }),
  direction: Type.Enum([...DIRECTIONS]),
  action: Type.Enum([...RECEIPT_ACTIONS]),
  objectId: Type.String(),
  objectType: Type.String(),
  version: Type.String(),
  ownerOrgId: Type.String({ format: 'uuid' }),
  status: Type.Enum([...RECEIPT_STATUSES]),
  rule: Type.Union([Type.String(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})
/** Wire shape of a receipt. */
export type ReceiptWire = Static<typeof ReceiptSchema>

/** Query of `GET /api/v1/federation/receipts`. */
export const ReceiptQuery = Type.Object(
  {
    peerId: Type.Optional(Type.String({ format: 'uuid' })),
    direction: Type.Optional(Type.Enum([...DIRECTIONS])),
    status: Type.Optional(Type.Enum([...RECEIPT_STATUSES])),
    action: Type.Optional(Type.Enum([...RECEIPT_ACTIONS])),
    objectId: Type.Optional(Type.String({ maxLength: 300 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
  },
  { additionalProperties: false },
)
/** Filters of a receipt listing. */
export type ReceiptFilter = Static<typeof ReceiptQuery>

/** What one sync of a peer did, as the caller may know it: counts of the receipts of items they may see. */
export const SyncSummarySchema = Type.Object({
  peerId: Type.String({ format: 'uuid' }),
  pulled: Type.Object({ accepted: Type.Integer(), rejected: Type.Integer(), deleted: Type.Integer() }),
  pushed: Type.Object({
    considered: Type.Integer(),
    sent: Type.Integer(),
    accepted: Type.Integer(),
    rejected: Type.Integer(),
    filtered: Type.Integer(),
    deleted: Type.Integer(),
  }),
  error: Type.Union([Type.String(), Type.Null()]),
})
/** What one sync of a peer did, as the caller may know it. */
export type SyncSummary = Static<typeof SyncSummarySchema>

/** Options of "sync now": `wait=false` answers 202 once the sync holds the peer, and it goes on. */
export const SyncQuery = Type.Object(
  { wait: Type.Optional(Type.Boolean({ default: true })) },
  { additionalProperties: false },
)

/** A sync started in the background (`wait=false`): its outcome shows on the peer when it ends. */
export const SyncStartedSchema = Type.Object({
  peerId: Type.String({ format: 'uuid' }),
  status: Type.Literal('started'),
})

const InstanceRefSchema = Type.Object({ id: Type.String(), name: Type.String() })

/** Where an object came from: the instance and organisation that made it, and the instances it passed through. */
export const ProvenanceSchema = Type.Object({
  originInstance: InstanceRefSchema,
  originOrg: Type.String({ description: 'name of the organisation that made it, on its instance' }),
  hops: Type.Array(InstanceRefSchema, {
    description: 'instances it passed through before reaching this one, origin first (empty: made here)',
  }),
})

/** This instance as peers see it. */
export const InstanceSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
})

/** One deleted object version in the deletion feed. */
export const DeletionSchema = Type.Object({
  id: Type.String(),
  version: Type.String(),
  type: Type.String(),
  deletedAt: Type.String(),
})

/** Query of `GET /api/v1/federation/deletions`. */
export const DeletionQuery = Type.Object(
  {
    after: Type.Optional(Type.String({ maxLength: 2000, description: '`next` of the previous page' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 500 })),
  },
  { additionalProperties: false },
)

/** A page of the deletion feed. */
export const DeletionPageSchema = Type.Object({
  items: Type.Array(DeletionSchema),
  next: Type.Union([Type.String(), Type.Null()], {
    description:
      'the position after this page: give it as `after` to read on (null: the feed is empty so far)',
  }),
})
