import { Type, type Static } from 'typebox'
import { AUDIENCES } from '../trust/label.js'
import { ROLES } from '../account/account.js'

function roleList(description: string) {
  return Type.Array(
    Type.String({ minLength: 1, maxLength: 50, description: `a role: ${ROLES.join(', ')}` }),
    { maxItems: 50, description },
  )
}

/** Body of `PUT /api/v1/taxii/collections/{id}/roles`: the roles that may read and write, replacing both lists. */
export const CollectionRolesBody = Type.Object(
  {
    readRoles: roleList('roles that may GET objects, manifest and versions (empty: nobody)'),
    writeRoles: roleList(
      'roles that may POST (and, with read, DELETE) objects; viewers never write, whatever it says',
    ),
  },
  { additionalProperties: false },
)
/** Input to set who may read and write a collection (role names not checked yet). */
export type CollectionRolesInput = Static<typeof CollectionRolesBody>

/** `{ id }` of a collection route: its id or alias. */
export const CollectionRefParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 300, description: 'collection id or alias' }),
})

/** A TAXII collection with the roles that may read and write it, as instance admins see it. */
export const CollectionRolesSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  alias: Type.String(),
  title: Type.String(),
  audience: Type.Enum([...AUDIENCES]),
  /** For `group` collections: the sharing group. */
  sharingGroupId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
  readRoles: Type.Array(Type.Enum([...ROLES])),
  writeRoles: Type.Array(Type.Enum([...ROLES])),
})
/** Wire shape of a collection with its roles. */
export type CollectionRolesWire = Static<typeof CollectionRolesSchema>
