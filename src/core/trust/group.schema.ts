import { Type, type Static } from 'typebox'

/** A sharing group as the API returns it; `members` is null when its membership is hidden from the caller. */
export const GroupSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  ownerOrgId: Type.String({ format: 'uuid' }),
  ownerOrgName: Type.String(),
  hiddenMembership: Type.Boolean(),
  members: Type.Union([
    Type.Array(
      Type.Object({
        orgId: Type.String({ format: 'uuid' }),
        name: Type.String(),
        type: Type.String(),
        country: Type.Union([Type.String(), Type.Null()]),
      }),
    ),
    Type.Null(),
  ]),
  memberCount: Type.Union([Type.Integer(), Type.Null()]),
  yourOrgIsMember: Type.Boolean(),
  canManage: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})
/** Wire shape of a sharing group. */
export type GroupWire = Static<typeof GroupSchema>

/** Body of `POST /api/v1/groups`. */
export const CreateGroupBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 4000 })),
    hiddenMembership: Type.Optional(Type.Boolean()),
    memberOrgIds: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { maxItems: 1000 })),
    ownerOrgId: Type.Optional(
      Type.String({
        format: 'uuid',
        description: 'instance admins only: the organisation that will manage it',
      }),
    ),
  },
  { additionalProperties: false },
)
/** Input to create a group. */
export type CreateGroupInput = Static<typeof CreateGroupBody>

/** Body of `PATCH /api/v1/groups/{id}`. */
export const UpdateGroupBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 4000 }), Type.Null()])),
    hiddenMembership: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
)
/** Input to change a group. */
export type UpdateGroupInput = Static<typeof UpdateGroupBody>
