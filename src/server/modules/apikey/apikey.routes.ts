import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ApiKeySchema, CreateApiKeyBody } from '../../../core/account/account.schema.js'
import { principalOf } from '../../http/auth.plugin.js'
import { IdParams, withErrors } from '../../http/schemas.js'
import type { Store } from '../../store/store.js'
import { presentApiKey } from './apikey.presenter.js'
import { createApiKey, listApiKeys, revokeApiKey } from './apikey.service.js'

const CreatedApiKeySchema = Type.Object({
  apiKey: ApiKeySchema,
  token: Type.String({ description: 'send as `Authorization: Bearer <token>`; shown only in this answer' }),
})

/** API keys: list, create, revoke. */
export const apiKeyRoutes: FastifyPluginAsyncTypebox<{ store: Store; now: () => Date }> = async (
  app,
  { store, now },
) => {
  app.get(
    '/apikeys',
    {
      schema: {
        tags: ['apikeys'],
        summary: 'Your API keys (admins: `userId` for a user they manage)',
        querystring: Type.Object(
          { userId: Type.Optional(Type.String({ format: 'uuid' })) },
          { additionalProperties: false },
        ),
        response: withErrors({ 200: Type.Object({ items: Type.Array(ApiKeySchema) }) }),
      },
    },
    async (request) => {
      const rows = await listApiKeys(store.db, principalOf(request), request.query.userId)
      return { items: rows.map(presentApiKey) }
    },
  )

  app.post(
    '/apikeys',
    {
      schema: {
        tags: ['apikeys'],
        summary: 'Create an API key; the token is returned once',
        body: CreateApiKeyBody,
        response: withErrors({ 201: CreatedApiKeySchema }),
      },
    },
    async (request, reply) => {
      const created = await createApiKey(store.db, principalOf(request), request.body, now())
      return reply.code(201).send({ apiKey: presentApiKey(created.key), token: created.token })
    },
  )

  app.delete(
    '/apikeys/:id',
    {
      schema: {
        tags: ['apikeys'],
        summary: 'Revoke an API key',
        params: IdParams,
        response: withErrors({ 200: ApiKeySchema }),
      },
    },
    async (request) =>
      presentApiKey(await revokeApiKey(store.db, principalOf(request), request.params.id, now())),
  )
}
