import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import {
  AddRangeBody,
  ConstituentRangeSchema,
  ConstituentSchema,
  CreateConstituentBody,
  ImportCsvBody,
  LookupSchema,
  NotificationSchema,
  NotifyBody,
  NotifyResultSchema,
  UpdateConstituentBody,
} from '../../../core/constituency/constituency.schema.js'
import type { Config } from '../../config.js'
import { notFound } from '../../errors.js'
import { principalOf } from '../../http/auth.plugin.js'
import { IdParams, listOf, withErrors } from '../../http/schemas.js'
import type { Store } from '../../store/store.js'
import { createMailer, type Mailer } from '../notify/mailer.js'
import { listNotifications, notifyOwners } from '../notify/notify.service.js'
import { presentConstituent, presentNotification, presentRange } from './constituency.presenter.js'
import {
  addConstituentRange,
  CONSTITUENCY_READ_ROLES,
  createConstituent,
  deleteConstituent,
  getConstituent,
  importConstituencyCsv,
  listConstituents,
  lookupOwners,
  removeConstituentRange,
  requireInstanceRole,
  updateConstituent,
} from './constituency.service.js'

const TAG = 'constituency'

/**
 * The constituency register (list, create, change, delete constituents and their ranges, CSV
 * import, owner look-up) and owner notification (send, list what was sent). Members of the
 * instance's own organisation only; see the roles in constituency.service.ts.
 */
export const constituencyRoutes: FastifyPluginAsyncTypebox<{
  store: Store
  config: Config
  now: () => Date
  mailer?: Mailer
}> = async (app, { store, config, now, mailer: given }) => {
  const mailer = given ?? createMailer(config)
  app.addHook('onClose', () => {
    mailer.close()
  })

  app.get(
    '/constituency/constituents',
    {
      schema: {
        tags: [TAG],
        summary: 'Constituents by name, with their netblocks, ASNs and domains',
        querystring: Type.Object(
          {
            q: Type.Optional(Type.String({ maxLength: 200, description: 'part of the name' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
            offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 200: listOf(ConstituentSchema) }),
      },
    },
    async (request) => {
      const { q, limit = 100, offset = 0 } = request.query
      const page = await listConstituents(store.db, principalOf(request), {
        ...(q === undefined ? {} : { q }),
        limit,
        offset,
      })
      return { items: page.items.map(presentConstituent), total: page.total }
    },
  )

  app.post(
    '/constituency/constituents',
    {
      schema: {
        tags: [TAG],
        summary: 'Add a constituent (admins and handlers of the instance organisation)',
        body: CreateConstituentBody,
        response: withErrors({ 201: ConstituentSchema }),
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          presentConstituent(await createConstituent(store.db, principalOf(request), request.body, now())),
        ),
  )

  app.get(
    '/constituency/constituents/:id',
    {
      schema: {
        tags: [TAG],
        summary: 'One constituent',
        params: IdParams,
        response: withErrors({ 200: ConstituentSchema }),
      },
    },
    async (request) =>
      presentConstituent(await getConstituent(store.db, principalOf(request), request.params.id)),
  )

  app.patch(
    '/constituency/constituents/:id',
    {
      schema: {
        tags: [TAG],
        summary: 'Change a constituent; a range list given replaces that kind of ranges',
        params: IdParams,
        body: UpdateConstituentBody,
        response: withErrors({ 200: ConstituentSchema }),
      },
    },
    async (request) =>
      presentConstituent(
        await updateConstituent(store.db, principalOf(request), request.params.id, request.body, now()),
      ),
  )

  app.delete(
    '/constituency/constituents/:id',
    {
      schema: {
        tags: [TAG],
        summary: 'Delete a constituent and its ranges (its notifications stay on record)',
        params: IdParams,
        response: withErrors({ 200: ConstituentSchema }),
      },
    },
    async (request) =>
      presentConstituent(await deleteConstituent(store.db, principalOf(request), request.params.id, now())),
  )

  app.post(
    '/constituency/constituents/:id/ranges',
    {
      schema: {
        tags: [TAG],
        summary: 'Add a netblock, ASN or domain to a constituent',
        params: IdParams,
        body: AddRangeBody,
        response: withErrors({ 201: ConstituentRangeSchema }),
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          presentRange(
            await addConstituentRange(store.db, principalOf(request), request.params.id, request.body, now()),
          ),
        ),
  )

  app.delete(
    '/constituency/constituents/:id/ranges/:rangeId',
    {
      schema: {
        tags: [TAG],
        summary: 'Remove a range of a constituent',
        params: Type.Object({
          id: Type.String({ format: 'uuid' }),
          rangeId: Type.String({ format: 'uuid' }),
        }),
        response: withErrors({ 200: ConstituentRangeSchema }),
      },
    },
    async (request) =>
      presentRange(
        await removeConstituentRange(
          store.db,
          principalOf(request),
          request.params.id,
          request.params.rangeId,
          now(),
        ),
      ),
  )

  app.post(
    '/constituency/import',
    {
      bodyLimit: 25 * 1024 * 1024,
      schema: {
        tags: [TAG],
        summary:
          'Import a constituency CSV (name, abuse_email, netblocks, asns, domains); all rows or none, problems named by row and column',
        body: ImportCsvBody,
        response: withErrors({
          200: Type.Object({
            created: Type.Integer(),
            updated: Type.Integer(),
            constituents: Type.Array(
              Type.Object({
                line: Type.Integer(),
                id: Type.String({ format: 'uuid' }),
                name: Type.String(),
                action: Type.Enum(['created', 'updated']),
              }),
            ),
          }),
        }),
      },
    },
    async (request) => importConstituencyCsv(store.db, principalOf(request), request.body.csv, {}, now()),
  )

  app.get(
    '/constituency/lookup',
    {
      schema: {
        tags: [TAG],
        summary:
          'Owner of a value: IP (most specific netblock, then the ASN given), network, ASN, domain/URL/e-mail (most specific registered domain)',
        querystring: Type.Object(
          {
            value: Type.String({ minLength: 1, maxLength: 2000 }),
            asn: Type.Optional(Type.String({ maxLength: 20, description: 'AS the IP was seen in' })),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 200: LookupSchema }),
      },
    },
    async (request) => lookupOwners(store.db, principalOf(request), request.query.value, request.query.asn),
  )

  app.post(
    '/constituency/notify',
    {
      schema: {
        tags: [TAG],
        summary:
          'Notify the owners of observables: one mail per owner with its own observables only, signed when a key is configured (handlers, admins, coordinators of the instance organisation)',
        body: NotifyBody,
        response: withErrors({ 200: NotifyResultSchema }),
      },
    },
    async (request) => {
      const result = await notifyOwners(store.db, principalOf(request), request.body, {
        mailer,
        instanceName: config.instanceName,
        now,
      })
      return {
        notifications: result.notifications.map(presentNotification),
        unmatched: result.unmatched,
        ignored: result.ignored,
      }
    },
  )

  app.get(
    '/constituency/notifications',
    {
      schema: {
        tags: [TAG],
        summary: 'Notifications sent (or failed), newest first',
        querystring: Type.Object(
          {
            incidentId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            constituentId: Type.Optional(Type.String({ format: 'uuid' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
            offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 200: listOf(NotificationSchema) }),
      },
    },
    async (request) => {
      const { incidentId, constituentId, limit = 100, offset = 0 } = request.query
      const page = await listNotifications(store.db, principalOf(request), {
        ...(incidentId === undefined ? {} : { incidentId }),
        ...(constituentId === undefined ? {} : { constituentId }),
        limit,
        offset,
      })
      return { items: page.rows.map(presentNotification), total: page.total }
    },
  )

  app.get(
    '/constituency/signing-key',
    {
      schema: {
        tags: [TAG],
        summary: 'The public OpenPGP key notifications are signed with (404 when mail goes out unsigned)',
        response: withErrors({
          200: Type.Object({ fingerprint: Type.String(), publicKey: Type.String() }),
        }),
      },
    },
    async (request) => {
      await requireInstanceRole(
        store.db,
        principalOf(request),
        CONSTITUENCY_READ_ROLES,
        'read the signing key',
      )
      const key = await mailer.signingKey()
      if (key === null) {
        throw notFound('signing key', 'LIAISON_OPENPGP_KEY_FILE')
      }
      return { fingerprint: key.fingerprint, publicKey: key.publicKeyArmored }
    },
  )
}
