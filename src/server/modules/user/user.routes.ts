import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { CreateUserBody, UpdateUserBody, UserSchema } from '../../../core/account/account.schema.js'
import { principalOf } from '../../http/auth.plugin.js'
import { IdParams, listOf, withErrors } from '../../http/schemas.js'
import type { Store } from '../../store/store.js'
import { presentUser } from './user.presenter.js'
import { badInput } from '../../errors.js'
import { findPeopleByIds, searchPeople } from './user.repository.js'
import { createUser, getUser, listUsers, updateUser } from './user.service.js'

const UserListQuery = Type.Object(
  {
    orgId: Type.Optional(Type.String({ format: 'uuid' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  },
  { additionalProperties: false },
)

const CreatedUserSchema = Type.Object({
  user: UserSchema,
  oneTimePassword: Type.Union([Type.String(), Type.Null()], {
    description: 'generated password, shown only in this answer; null when one was given',
  }),
})

/** Users: list, read, create, change. */
export const userRoutes: FastifyPluginAsyncTypebox<{ store: Store; now: () => Date }> = async (
  app,
  { store, now },
) => {
  app.get(
    '/users',
    {
      schema: {
        tags: ['users'],
        summary: 'List users (instance admins: all; others: their own organisation)',
        querystring: UserListQuery,
        response: withErrors({ 200: listOf(UserSchema) }),
      },
    },
    async (request) => {
      const { rows, total } = await listUsers(store.db, principalOf(request), {
        ...(request.query.orgId === undefined ? {} : { orgId: request.query.orgId }),
        limit: request.query.limit ?? 100,
        offset: request.query.offset ?? 0,
      })
      return { items: rows.map(presentUser), total }
    },
  )

  app.get(
    '/users/:id',
    {
      schema: {
        tags: ['users'],
        summary: 'One user',
        params: IdParams,
        response: withErrors({ 200: UserSchema }),
      },
    },
    async (request) => presentUser(await getUser(store.db, principalOf(request), request.params.id)),
  )

  app.post(
    '/users',
    {
      schema: {
        tags: ['users'],
        summary: 'Create a user (admins of the organisation or the instance)',
        body: CreateUserBody,
        response: withErrors({ 201: CreatedUserSchema }),
      },
    },
    async (request, reply) => {
      const created = await createUser(store.db, principalOf(request), request.body, {}, now())
      return reply
        .code(201)
        .send({ user: presentUser(created.user), oneTimePassword: created.oneTimePassword })
    },
  )

  app.patch(
    '/users/:id',
    {
      schema: {
        tags: ['users'],
        summary: 'Change a user’s name, role or disabled flag',
        params: IdParams,
        body: UpdateUserBody,
        response: withErrors({ 200: UserSchema }),
      },
    },
    async (request) =>
      presentUser(await updateUser(store.db, principalOf(request), request.params.id, request.body, now())),
  )
}

const PersonSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  orgId: Type.String({ format: 'uuid' }),
  orgName: Type.String(),
})

/** The community's people, to name recipients of TLP:RED items. */
export const peopleRoutes: FastifyPluginAsyncTypebox<{ store: Store }> = async (app, { store }) => {
  app.get(
    '/people',
    {
      schema: {
        tags: ['users'],
        summary: 'Find people of the community by name or e-mail, or name them by id (TLP:RED recipients)',
        querystring: Type.Object(
          {
            q: Type.Optional(Type.String({ minLength: 2, maxLength: 100 })),
            ids: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { maxItems: 500 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 20 })),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 200: Type.Object({ items: Type.Array(PersonSchema) }) }),
      },
    },
    async (request) => {
      const { q, ids } = request.query
      if ((q === undefined) === (ids === undefined)) {
        throw badInput('q', 'give either q (a search) or ids (people to name)')
      }
      const rows =
        ids === undefined
          ? await searchPeople(store.db, q ?? '', request.query.limit ?? 20)
          : await findPeopleByIds(store.db, ids)
      return { items: rows.map((r) => ({ id: r.id, name: r.name, orgId: r.org_id, orgName: r.org_name })) }
    },
  )
}
