import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { CreateGroupBody, GroupSchema, UpdateGroupBody } from '../../../core/trust/group.schema.js'
import { principalOf } from '../../http/auth.plugin.js'
import { IdParams, listOf, PageQuery, withErrors } from '../../http/schemas.js'
import type { Store } from '../../store/store.js'
import { presentGroup } from './group.presenter.js'
import {
  addGroupMember,
  createGroup,
  getGroup,
  listGroups,
  removeGroupMember,
  updateGroup,
} from './group.service.js'

/** Sharing groups (trust circles): list, read, create, change, members. */
export const groupRoutes: FastifyPluginAsyncTypebox<{ store: Store; now: () => Date }> = async (
  app,
  { store, now },
) => {
  app.get(
    '/groups',
    {
      schema: {
        tags: ['sharing groups'],
        summary: 'Sharing groups your organisation owns or belongs to',
        querystring: PageQuery,
        response: withErrors({ 200: listOf(GroupSchema) }),
      },
    },
    async (request) => {
      const { items, total } = await listGroups(store.db, principalOf(request), {
        limit: request.query.limit ?? 100,
        offset: request.query.offset ?? 0,
      })
      return { items: items.map(presentGroup), total }
    },
  )

  app.get(
    '/groups/:id',
    {
      schema: {
        tags: ['sharing groups'],
        summary: 'One sharing group (members hidden when its membership is)',
        params: IdParams,
        response: withErrors({ 200: GroupSchema }),
      },
    },
    async (request) => presentGroup(await getGroup(store.db, principalOf(request), request.params.id)),
  )

  app.post(
    '/groups',
    {
      schema: {
        tags: ['sharing groups'],
        summary: 'Create a sharing group managed by your organisation (admins, coordinators)',
        body: CreateGroupBody,
        response: withErrors({ 201: GroupSchema }),
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(presentGroup(await createGroup(store.db, principalOf(request), request.body, now()))),
  )

  app.patch(
    '/groups/:id',
    {
      schema: {
        tags: ['sharing groups'],
        summary: 'Rename a group, change its description, hide or show its membership',
        params: IdParams,
        body: UpdateGroupBody,
        response: withErrors({ 200: GroupSchema }),
      },
    },
    async (request) =>
      presentGroup(await updateGroup(store.db, principalOf(request), request.params.id, request.body, now())),
  )

  app.post(
    '/groups/:id/members',
    {
      schema: {
        tags: ['sharing groups'],
        summary: 'Add a member organisation',
        params: IdParams,
        body: Type.Object({ orgId: Type.String({ format: 'uuid' }) }, { additionalProperties: false }),
        response: withErrors({ 200: GroupSchema }),
      },
    },
    async (request) =>
      presentGroup(
        await addGroupMember(store.db, principalOf(request), request.params.id, request.body.orgId, now()),
      ),
  )

  app.delete(
    '/groups/:id/members/:orgId',
    {
      schema: {
        tags: ['sharing groups'],
        summary: 'Remove a member organisation',
        params: Type.Object({ id: Type.String({ format: 'uuid' }), orgId: Type.String({ format: 'uuid' }) }),
        response: withErrors({ 200: GroupSchema }),
      },
    },
    async (request) =>
      presentGroup(
        await removeGroupMember(
          store.db,
          principalOf(request),
          request.params.id,
          request.params.orgId,
          now(),
        ),
      ),
  )
}
