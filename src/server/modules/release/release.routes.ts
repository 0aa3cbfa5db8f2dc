import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { DecideReleaseBody, RELEASE_STATUSES, ReleaseSchema } from '../../../core/intel/release.schema.js'
import { principalOf } from '../../http/auth.plugin.js'
import { IdParams, listOf, withErrors } from '../../http/schemas.js'
import type { Store } from '../../store/store.js'
import { presentRelease } from './release.presenter.js'
import { approveRelease, getRelease, listReleases, rejectRelease } from './release.service.js'

/** Four-eyes release of intelligence: the organisation's held imports, approved or rejected by a second person. */
export const releaseRoutes: FastifyPluginAsyncTypebox<{ store: Store; now: () => Date }> = async (
  app,
  { store, now },
) => {
  app.get(
    '/intel/releases',
    {
      schema: {
        tags: ['intel'],
        summary: "Your organisation's four-eyes releases (pending and decided), newest first",
        querystring: Type.Object(
          {
            status: Type.Optional(Type.Enum([...RELEASE_STATUSES])),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
            offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 200: listOf(ReleaseSchema) }),
      },
    },
    async (request) => {
      const { items, total } = await listReleases(store.db, principalOf(request), {
        ...(request.query.status === undefined ? {} : { status: request.query.status }),
        limit: request.query.limit ?? 100,
        offset: request.query.offset ?? 0,
      })
      return { items: items.map(presentRelease), total }
    },
  )

  app.get(
    '/intel/releases/:id',
    {
      schema: {
        tags: ['intel'],
        summary: 'One release of your organisation',
        params: IdParams,
        response: withErrors({ 200: ReleaseSchema }),
      },
    },
    async (request) => presentRelease(await getRelease(store.db, principalOf(request), request.params.id)),
  )

  // A POST without a body (no content type) skips body validation and arrives as undefined.
  app.post(
    '/intel/releases/:id/approve',
    {
      schema: {
        tags: ['intel'],
        summary:
          'Release a held import under the label asked for (an admin, analyst or coordinator of the organisation other than the requester)',
        params: IdParams,
        body: DecideReleaseBody,
        response: withErrors({ 200: ReleaseSchema }),
      },
    },
    async (request) =>
      presentRelease(
        await approveRelease(store.db, principalOf(request), request.params.id, request.body ?? {}, now()),
      ),
  )

  app.post(
    '/intel/releases/:id/reject',
    {
      schema: {
        tags: ['intel'],
        summary:
          'Refuse a held import: its objects stay organisation only (an admin, analyst or coordinator other than the requester)',
        params: IdParams,
        body: DecideReleaseBody,
        response: withErrors({ 200: ReleaseSchema }),
      },
    },
    async (request) =>
      presentRelease(
        await rejectRelease(store.db, principalOf(request), request.params.id, request.body ?? {}, now()),
      ),
  )
}
