import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { RawMessageListQuery, RawMessageSchema } from '../../../core/incident/intake-mail.schema.js'
import { principalOf } from '../../http/auth.plugin.js'
import { IdParams, listOf, withErrors } from '../../http/schemas.js'
import type { Store } from '../../store/store.js'
import { presentRawMessage } from './intake-mail.presenter.js'
import { getRawMessage, getRawMessageBytes, listRawMessages } from './intake-mail.service.js'

/** Mail received by the SMTP intake, for the receiving organisation's handlers: flags and raw bytes. */
export const intakeMailRoutes: FastifyPluginAsyncTypebox<{ store: Store }> = async (app, { store }) => {
  app.get(
    '/mail/messages',
    {
      schema: {
        tags: ['reports'],
        summary: 'Mail received by the SMTP intake, newest first (flagged: something could not be read)',
        description:
          'For admins, handlers, coordinators and viewers of the receiving organisation; mail that ' +
          'became part of a report only when you may see the report.',
        querystring: RawMessageListQuery,
        response: withErrors({ 200: listOf(RawMessageSchema) }),
      },
    },
    async (request) => {
      const { flagged, outcome, reportId } = request.query
      const { items, total } = await listRawMessages(store.db, principalOf(request), {
        ...(flagged === undefined ? {} : { flagged }),
        ...(outcome === undefined ? {} : { outcome }),
        ...(reportId === undefined ? {} : { reportId }),
        limit: request.query.limit ?? 50,
        offset: request.query.offset ?? 0,
      })
      return { items: items.map(presentRawMessage), total }
    },
  )

  app.get(
    '/mail/messages/:id',
    {
      schema: {
        tags: ['reports'],
        summary: 'One received mail: envelope, problems, outcome, acknowledgement',
        params: IdParams,
        response: withErrors({ 200: RawMessageSchema }),
      },
    },
    async (request) =>
      presentRawMessage(await getRawMessage(store.db, principalOf(request), request.params.id)),
  )

  app.get(
    '/mail/messages/:id/raw',
    {
      schema: {
        tags: ['reports'],
        summary: 'The mail exactly as received (.eml), always as a file, never shown inline',
        params: IdParams,
        response: withErrors({ 200: Type.Unknown({ description: 'the message, application/octet-stream' }) }),
      },
    },
    async (request, reply) => {
      const mail = await getRawMessageBytes(store.db, principalOf(request), request.params.id)
      return reply
        .header('content-type', 'application/octet-stream')
        .header('content-disposition', `attachment; filename="mail-${mail.id}.eml"`)
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('cache-control', 'no-store')
        .header('x-content-sha256', mail.sha256)
        .send(mail.raw)
    },
  )
}
