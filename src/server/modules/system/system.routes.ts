import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sql } from 'kysely'
import { Type } from 'typebox'
import type { Config } from '../../config.js'
import { withErrors } from '../../http/schemas.js'
import { packageVersion } from '../../paths.js'
import type { Store } from '../../store/store.js'

const HealthSchema = Type.Object({
  status: Type.Enum(['ok', 'degraded']),
  version: Type.String(),
  store: Type.Enum(['sqlite', 'postgres']),
  instanceName: Type.String(),
})

/** Health and version. */
export const systemRoutes: FastifyPluginAsyncTypebox<{ store: Store; config: Config }> = async (
  app,
  { store, config },
) => {
  app.get(
    '/health',
    {
      config: { access: 'public' },
      schema: {
        tags: ['system'],
        summary: 'Liveness: status, version and which store is in use',
        response: withErrors({ 200: HealthSchema, 503: HealthSchema }),
      },
    },
    async (_request, reply) => {
      let status: 'ok' | 'degraded' = 'ok'
      try {
        await sql`select 1`.execute(store.db)
      } catch {
        status = 'degraded'
      }
      return reply
        .code(status === 'ok' ? 200 : 503)
        .send({ status, version: packageVersion(), store: store.kind, instanceName: config.instanceName })
    },
  )
}
