import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { AuditEntrySchema } from '../../../core/account/account.schema.js'
import { forbidden } from '../../errors.js'
import { principalOf } from '../../http/auth.plugin.js'
import { withErrors } from '../../http/schemas.js'
import type { Store } from '../../store/store.js'
import { presentAuditEntry } from './audit.presenter.js'
import { listRecentAudit, parseAuditAnchor, verifyAuditChain } from './audit.service.js'

/** The audit log, for instance admins. */
export const auditRoutes: FastifyPluginAsyncTypebox<{ store: Store }> = async (app, { store }) => {
  app.get(
    '/audit',
    {
      schema: {
        tags: ['audit'],
        summary: 'Recent audit entries, newest first (instance admins)',
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
            before: Type.Optional(
              Type.Integer({ minimum: 1, description: 'only entries with a smaller seq' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 200: Type.Object({ items: Type.Array(AuditEntrySchema) }) }),
      },
    },
    async (request) => {
      if (!principalOf(request).isInstanceAdmin) {
        throw forbidden('only instance admins read the audit log')
      }
      const rows = await listRecentAudit(store.db, request.query.limit ?? 50, request.query.before)
      return { items: rows.map(presentAuditEntry) }
    },
  )

  app.get(
    '/audit/verify',
    {
      schema: {
        tags: ['audit'],
        summary: 'Check the whole hash chain (instance admins)',
        querystring: Type.Object(
          {
            anchor: Type.Optional(
              Type.Array(Type.String({ pattern: '^[0-9]+:[0-9a-fA-F]{64}$' }), {
                description:
                  'an entry recorded outside the store earlier (SEQ:HASH, as the head is given); repeatable: a log rewritten whole no longer holds it',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: withErrors({
          200: Type.Object({
            ok: Type.Boolean(),
            entries: Type.Integer(),
            headSeq: Type.Optional(Type.Integer()),
            headHash: Type.Optional(Type.String()),
            brokenSeq: Type.Optional(Type.Integer()),
            reason: Type.Optional(Type.String()),
          }),
        }),
      },
    },
    async (request) => {
      if (!principalOf(request).isInstanceAdmin) {
        throw forbidden('only instance admins verify the audit log')
      }
      const anchors = (request.query.anchor ?? []).flatMap((text) => {
        const anchor = parseAuditAnchor(text)
        return anchor === null ? [] : [anchor]
      })
      return verifyAuditChain(store.db, undefined, anchors)
    },
  )
}
