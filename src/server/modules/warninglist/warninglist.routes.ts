import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import {
  UpdateWarninglistBody,
  WarninglistCheckSchema,
  WarninglistSchema,
} from '../../../core/intel/warninglist.schema.js'
import { principalOf } from '../../http/auth.plugin.js'
import { IdParams, withErrors } from '../../http/schemas.js'
import type { Store } from '../../store/store.js'
import { presentWarninglist } from './warninglist.presenter.js'
import {
  checkWarninglistValues,
  deleteWarninglist,
  importWarninglist,
  listWarninglists,
  updateWarninglist,
} from './warninglist.service.js'

/** MISP warninglists: list and check (logged-in users); import, enable, disable, delete (instance admins). */
export const warninglistRoutes: FastifyPluginAsyncTypebox<{ store: Store; now: () => Date }> = async (
  app,
  { store, now },
) => {
  app.get(
    '/intel/warninglists',
    {
      schema: {
        tags: ['intel'],
        summary: 'The warninglists of known-benign values, by name',
        response: withErrors({ 200: Type.Object({ items: Type.Array(WarninglistSchema) }) }),
      },
    },
    async () => ({ items: (await listWarninglists(store.db)).map(presentWarninglist) }),
  )

  app.post(
    '/intel/warninglists',
    {
      bodyLimit: 256 * 1024 * 1024,
      schema: {
        tags: ['intel'],
        summary:
          'Import a MISP warninglist (list.json); one of the same name is replaced atomically (instance admins)',
        body: Type.Unknown({
          description:
            'MISP warninglist: name, version, description, type (cidr, string, hostname, substring; regex is refused), list, matching_attributes, category',
        }),
        response: withErrors({
          200: Type.Object({
            warninglist: WarninglistSchema,
            replacedVersion: Type.Union([Type.Integer(), Type.Null()]),
          }),
          201: Type.Object({ warninglist: WarninglistSchema, replacedVersion: Type.Null() }),
        }),
      },
    },
    async (request, reply) => {
      const imported = await importWarninglist(store.db, principalOf(request), request.body, now())
      return reply
        .code(imported.replacedVersion === null ? 201 : 200)
        .send({ warninglist: presentWarninglist(imported.row), replacedVersion: imported.replacedVersion })
    },
  )

  app.get(
    '/intel/warninglists/check',
    {
      schema: {
        tags: ['intel'],
        summary: 'Which enabled warninglists a value is on (under any reading: IP, domain, URL, hash, text)',
        querystring: Type.Object(
          { value: Type.String({ minLength: 1, maxLength: 2000 }) },
          { additionalProperties: false },
        ),
        response: withErrors({ 200: WarninglistCheckSchema }),
      },
    },
    async (request) => {
      const [hits] = await checkWarninglistValues(store.db, [request.query.value])
      return {
        value: request.query.value,
        matches: (hits ?? []).map((h) => ({ id: h.warninglistId, name: h.name, entry: h.entry })),
      }
    },
  )

  app.patch(
    '/intel/warninglists/:id',
    {
      schema: {
        tags: ['intel'],
        summary: 'Enable or disable a warninglist (instance admins)',
        params: IdParams,
        body: UpdateWarninglistBody,
        response: withErrors({ 200: WarninglistSchema }),
      },
    },
    async (request) =>
      presentWarninglist(
        await updateWarninglist(store.db, principalOf(request), request.params.id, request.body, now()),
      ),
  )

  app.delete(
    '/intel/warninglists/:id',
    {
      schema: {
        tags: ['intel'],
        summary: 'Delete a warninglist and its entries (instance admins)',
        params: IdParams,
        response: withErrors({ 200: WarninglistSchema }),
      },
    },
    async (request) =>
      presentWarninglist(await deleteWarninglist(store.db, principalOf(request), request.params.id, now())),
  )
}
