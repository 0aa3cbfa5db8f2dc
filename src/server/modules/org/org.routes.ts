import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { CreateOrganisationBody, OrganisationSchema } from '../../../core/account/account.schema.js'
import { principalOf } from '../../http/auth.plugin.js'
import { IdParams, listOf, PageQuery, withErrors } from '../../http/schemas.js'
import type { Store } from '../../store/store.js'
import { presentOrganisation } from './org.presenter.js'
import {
  createOrganisation,
  getOrganisation,
  listOrganisations,
  updateOrganisation,
  UpdateOrganisationBody,
} from './org.service.js'

/** Organisations: list, read, create, change. */
export const orgRoutes: FastifyPluginAsyncTypebox<{ store: Store; now: () => Date }> = async (
  app,
  { store, now },
) => {
  app.get(
    '/organisations',
    {
      schema: {
        tags: ['organisations'],
        summary: 'The organisation directory: public profiles (and your own private one)',
        querystring: PageQuery,
        response: withErrors({ 200: listOf(OrganisationSchema) }),
      },
    },
    async (request) => {
      const { rows, total } = await listOrganisations(store.db, principalOf(request), {
        limit: request.query.limit ?? 100,
        offset: request.query.offset ?? 0,
      })
      const viewerOrg = principalOf(request).orgId
      return { items: rows.map((row) => presentOrganisation(row, viewerOrg)), total }
    },
  )

  app.get(
    '/organisations/:id',
    {
      schema: {
        tags: ['organisations'],
        summary: 'One organisation',
        params: IdParams,
        response: withErrors({ 200: OrganisationSchema }),
      },
    },
    async (request) => {
      const principal = principalOf(request)
      return presentOrganisation(
        await getOrganisation(store.db, principal, request.params.id),
        principal.orgId,
      )
    },
  )

  app.post(
    '/organisations',
    {
      schema: {
        tags: ['organisations'],
        summary: 'Create an organisation (instance admins)',
        body: CreateOrganisationBody,
        response: withErrors({ 201: OrganisationSchema }),
      },
    },
    async (request, reply) => {
      const row = await createOrganisation(store.db, principalOf(request), request.body, now())
      return reply.code(201).send(presentOrganisation(row, principalOf(request).orgId))
    },
  )

  app.patch(
    '/organisations/:id',
    {
      schema: {
        tags: ['organisations'],
        summary:
          'Change an organisation: its profile (its admins) or name, type, country, sector (instance admins)',
        params: IdParams,
        body: UpdateOrganisationBody,
        response: withErrors({ 200: OrganisationSchema }),
      },
    },
    async (request) => {
      const principal = principalOf(request)
      const row = await updateOrganisation(store.db, principal, request.params.id, request.body, now())
      return presentOrganisation(row, principal.orgId)
    },
  )
}
