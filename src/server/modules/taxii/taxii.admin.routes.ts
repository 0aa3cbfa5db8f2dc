import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import {
  CollectionRefParams,
  CollectionRolesBody,
  CollectionRolesSchema,
} from '../../../core/taxii/taxii.admin.schema.js'
import { principalOf } from '../../http/auth.plugin.js'
import { listOf, withErrors } from '../../http/schemas.js'
import type { ModuleDeps } from '../index.js'
import { presentCollectionRoles } from './taxii.admin.presenter.js'
import { changeCollectionRoles, listCollectionRoles } from './taxii.admin.service.js'
import { TAXII_API_ROOT } from './taxii.service.js'

const TAGS = ['taxii']

/**
 * Who may read and write the TAXII collections, under `/api/v1/taxii` (instance admins): the
 * collections with their roles, and a change of them. TAXII itself is served under `/taxii2/`.
 */
export const taxiiAdminRoutes: FastifyPluginAsyncTypebox<ModuleDeps> = async (app, { store, now }) => {
  const db = store.db

  app.get(
    '/taxii/collections',
    {
      schema: {
        tags: TAGS,
        summary:
          'Every TAXII collection of this server with the roles that may read and write it (instance admins)',
        response: withErrors({ 200: listOf(CollectionRolesSchema) }),
      },
    },
    async (request) => {
      const items = await listCollectionRoles(db, principalOf(request), TAXII_API_ROOT)
      return { items: items.map(presentCollectionRoles), total: items.length }
    },
  )

  app.put(
    '/taxii/collections/:id/roles',
    {
      schema: {
        tags: TAGS,
        summary:
          'Set which roles may read and write a TAXII collection, by id or alias (instance admins; audited). Visibility is untouched: roles only narrow what the rule allows',
        params: CollectionRefParams,
        body: CollectionRolesBody,
        response: withErrors({ 204: Type.Null() }),
      },
    },
    async (request, reply) => {
      await changeCollectionRoles(
        db,
        principalOf(request),
        TAXII_API_ROOT,
        request.params.id,
        request.body,
        now(),
      )
      return reply.code(204).send(null)
    },
  )
}
