import { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { extractIocs } from '../../../core/intel/ioc.js'
import { AUDIENCES, PAP_LEVELS, TLP_LEVELS, type Viewer } from '../../../core/trust/label.js'
import { SharingLabelSchema } from '../../../core/trust/label.schema.js'
import { notFound } from '../../errors.js'
import { principalOf } from '../../http/auth.plugin.js'
import { withErrors } from '../../http/schemas.js'
import type { Store } from '../../store/store.js'
import { findLabels } from '../trust/label.repository.js'
import { exportCsv, exportMispEvents, exportStixBundle, EXPORT_FORMATS } from './intel.export.js'
import { presentStoredObject } from './intel.presenter.js'
import {
  correlateMany,
  correlateValues,
  findVisibleNeighbours,
  findVisibleObject,
  findVisibleVersions,
  searchObjects,
} from './intel.query.js'
import { importContent, importerOf } from './intel.service.js'

const StixId = Type.String({ pattern: '^[a-z0-9-]+--[0-9a-fA-F-]{36}$', description: 'STIX id, type--UUID' })

const StoredObjectSchema = Type.Object({
  object: Type.Record(Type.String(), Type.Unknown(), { description: 'the STIX object as stored' }),
  label: SharingLabelSchema,
  ownerOrgId: Type.String({ format: 'uuid' }),
  source: Type.Union([Type.String(), Type.Null()]),
  addedAt: Type.String({ format: 'date-time' }),
  expired: Type.Boolean(),
})

const FilterQuery = {
  type: Type.Optional(
    Type.Array(Type.String({ pattern: '^[a-z0-9-]+$' }), { description: 'STIX types (repeatable)' }),
  ),
  added_after: Type.Optional(Type.String({ format: 'date-time' })),
  added_before: Type.Optional(Type.String({ format: 'date-time' })),
  tlp: Type.Optional(Type.Array(Type.Enum([...TLP_LEVELS]))),
  source: Type.Optional(Type.String({ maxLength: 500 })),
  value: Type.Optional(
    Type.String({ maxLength: 2000, description: 'objects carrying this observable value' }),
  ),
}

const ProblemSchema = Type.Object({
  index: Type.Integer(),
  id: Type.Union([Type.String(), Type.Null()]),
  type: Type.Union([Type.String(), Type.Null()]),
  property: Type.String(),
  rule: Type.String(),
  message: Type.String(),
})

const ImportSummarySchema = Type.Object({
  importId: Type.String({ format: 'uuid' }),
  created: Type.Integer(),
  updated: Type.Integer(),
  unchanged: Type.Integer(),
  rejected: Type.Integer(),
  problems: Type.Array(ProblemSchema),
  upgradedFrom20: Type.Boolean(),
})

const CorrelationSchema = Type.Object({
  value: Type.String(),
  kind: Type.Union([Type.String(), Type.Null()]),
  key: Type.Union([Type.String(), Type.Null()]),
  total: Type.Integer(),
  hits: Type.Array(
    Type.Object({
      id: Type.String(),
      type: Type.String(),
      name: Type.Union([Type.String(), Type.Null()]),
      ownerOrgId: Type.String(),
      matchedKey: Type.String(),
      firstSeen: Type.Union([Type.String(), Type.Null()]),
      lastSeen: Type.Union([Type.String(), Type.Null()]),
      reports: Type.Array(Type.String()),
    }),
  ),
})

/** Logged-in callers see by their principal; anonymous ones only public objects. */
function viewerOf(request: FastifyRequest): Viewer {
  return request.auth?.principal ?? { kind: 'anonymous' }
}

function filterOf(query: {
  type?: string[]
  added_after?: string
  added_before?: string
  tlp?: string[]
  source?: string
  value?: string
}) {
  return {
    ...(query.type === undefined ? {} : { types: query.type }),
    ...(query.added_after === undefined ? {} : { addedAfter: new Date(query.added_after).toISOString() }),
    ...(query.added_before === undefined ? {} : { addedBefore: new Date(query.added_before).toISOString() }),
    ...(query.tlp === undefined ? {} : { tlp: query.tlp }),
    ...(query.source === undefined ? {} : { source: query.source }),
    ...(query.value === undefined ? {} : { value: query.value }),
  }
}

function firstAndLast(object: Record<string, unknown>): {
  firstSeen: string | null
  lastSeen: string | null
} {
  const pick = (...keys: string[]) => {
    for (const key of keys) {
      const value = object[key]
      if (typeof value === 'string') {
        return value
      }
    }
    return null
  }
  return {
    firstSeen: pick('first_seen', 'first_observed', 'valid_from', 'created'),
    lastSeen: pick('last_seen', 'last_observed', 'modified', 'created'),
  }
}

/** Threat intelligence: import, search, read, correlate, export, extract. */
export const intelRoutes: FastifyPluginAsyncTypebox<{ store: Store; now: () => Date }> = async (
  app,
  { store, now },
) => {
  app.post(
    '/intel/import',
    {
      bodyLimit: 256 * 1024 * 1024,
      schema: {
        tags: ['intel'],
        summary: 'Import a STIX bundle (2.1, or 2.0 upgraded) or MISP event(s); atomic unless skipInvalid',
        querystring: Type.Object(
          {
            format: Type.Optional(Type.Enum(['auto', 'stix', 'misp'], { default: 'auto' })),
            tlp: Type.Optional(Type.Enum([...TLP_LEVELS])),
            pap: Type.Optional(Type.Enum([...PAP_LEVELS])),
            audience: Type.Optional(Type.Enum([...AUDIENCES])),
            group: Type.Optional(
              Type.Array(Type.String({ format: 'uuid' }), { description: 'sharing group (repeatable)' }),
            ),
            recipient: Type.Optional(
              Type.Array(Type.String({ format: 'uuid' }), { description: 'named recipient (repeatable)' }),
            ),
            skipInvalid: Type.Optional(Type.Boolean({ default: false })),
            source: Type.Optional(Type.String({ maxLength: 500 })),
          },
          { additionalProperties: false },
        ),
        body: Type.Unknown({
          description: 'STIX bundle, object or array; MISP event, {"Event":…} or {"response":[…]}',
        }),
        response: withErrors({ 200: ImportSummarySchema }),
      },
    },
    async (request) => {
      const q = request.query
      return importContent(
        store.db,
        importerOf(principalOf(request)),
        request.body,
        {
          format: q.format ?? 'auto',
          label: {
            ...(q.tlp === undefined ? {} : { tlp: q.tlp }),
            ...(q.pap === undefined ? {} : { pap: q.pap }),
            ...(q.audience === undefined ? {} : { audience: q.audience }),
            ...(q.group === undefined ? {} : { sharingGroups: q.group }),
            ...(q.recipient === undefined ? {} : { recipients: q.recipient }),
          },
          skipInvalid: q.skipInvalid ?? false,
          source: q.source ?? 'api',
        },
        now(),
      )
    },
  )

  app.get(
    '/intel/objects',
    {
      config: { access: 'public' },
      schema: {
        tags: ['intel'],
        summary: 'Search the objects you may see (latest versions), newest first',
        querystring: Type.Object(
          {
            ...FilterQuery,
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
            offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
          },
          { additionalProperties: false },
        ),
        response: withErrors({
          200: Type.Object({ items: Type.Array(StoredObjectSchema), total: Type.Integer() }),
        }),
      },
    },
    async (request) => {
      const viewer = viewerOf(request)
      const { rows, total } = await searchObjects(store.db, viewer, {
        ...filterOf(request.query),
        limit: request.query.limit ?? 100,
        offset: request.query.offset ?? 0,
      })
      const labels = await findLabels(
        store.db,
        rows.map((r) => r.label_id),
      )
      const at = now().toISOString()
      return {
        items: rows.flatMap((row) => {
          const label = labels.get(row.label_id)
          return label === undefined ? [] : [presentStoredObject(row, label, at)]
        }),
        total,
      }
    },
  )

  app.get(
    '/intel/objects/:id',
    {
      config: { access: 'public' },
      schema: {
        tags: ['intel'],
        summary: 'One object (your copy first), its versions and related objects you may see',
        params: Type.Object({ id: StixId }),
        response: withErrors({
          200: Type.Object({
            ...StoredObjectSchema.properties,
            versions: Type.Array(Type.Object({ modified: Type.String(), addedAt: Type.String() })),
            related: Type.Array(
              Type.Object({
                direction: Type.Enum(['out', 'in']),
                property: Type.String(),
                id: Type.String(),
                type: Type.String(),
                name: Type.Union([Type.String(), Type.Null()]),
              }),
            ),
          }),
        }),
      },
    },
    async (request) => {
      const viewer = viewerOf(request)
      const row = await findVisibleObject(store.db, viewer, request.params.id)
      if (row === undefined) {
        throw notFound('object', request.params.id)
      }
      const label = (await findLabels(store.db, [row.label_id])).get(row.label_id)
      if (label === undefined) {
        throw notFound('object', request.params.id)
      }
      const versions = await findVisibleVersions(store.db, viewer, row.id, row.owner_org_id)
      const neighbours = await findVisibleNeighbours(store.db, viewer, row.id, row.owner_org_id, 200)
      return {
        ...presentStoredObject(row, label, now().toISOString()),
        versions: versions.map((v) => ({ modified: v.modified, addedAt: v.added_at })),
        related: neighbours.map((n) => {
          const object = JSON.parse(n.row.json) as Record<string, unknown>
          return {
            direction: n.direction,
            property: n.property,
            id: n.row.id,
            type: n.row.type,
            name: typeof object.name === 'string' ? object.name : null,
          }
        }),
      }
    },
  )

  const correlate = async (request: FastifyRequest, values: string[], limit: number, offset: number) => {
    const results =
      values.length === 1
        ? await correlateValues(store.db, viewerOf(request), values, { limit, offset })
        : await correlateMany(store.db, viewerOf(request), values, limit)
    return {
      results: results.map((r) => ({
        value: r.value,
        kind: r.observable?.kind ?? null,
        key: r.observable?.key ?? null,
        total: r.total,
        hits: r.hits.map((h) => {
          const object = JSON.parse(h.row.json) as Record<string, unknown>
          return {
            id: h.row.id,
            type: h.row.type,
            name: typeof object.name === 'string' ? object.name : null,
            ownerOrgId: h.row.owner_org_id,
            matchedKey: h.matchedKey,
            ...firstAndLast(object),
            reports: h.reports,
          }
        }),
      })),
    }
  }

  app.get(
    '/intel/correlate',
    {
      config: { access: 'public' },
      schema: {
        tags: ['intel'],
        summary: 'Where, among what you may see, does this value appear?',
        querystring: Type.Object(
          {
            value: Type.String({ minLength: 1, maxLength: 2000 }),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
            offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 200: Type.Object({ results: Type.Array(CorrelationSchema) }) }),
      },
    },
    async (request) =>
      correlate(request, [request.query.value], request.query.limit ?? 50, request.query.offset ?? 0),
  )

  app.post(
    '/intel/correlate',
    {
      config: { access: 'public' },
      bodyLimit: 16 * 1024 * 1024,
      schema: {
        tags: ['intel'],
        summary: 'Correlate many values at once (at most `limit` hits per value)',
        body: Type.Object(
          {
            values: Type.Array(Type.String({ minLength: 1, maxLength: 2000 }), {
              minItems: 1,
              maxItems: 100_000,
            }),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 200: Type.Object({ results: Type.Array(CorrelationSchema) }) }),
      },
    },
    async (request) => correlate(request, request.body.values, request.body.limit ?? 10, 0),
  )

  app.get(
    '/intel/export',
    {
      config: { access: 'public' },
      schema: {
        tags: ['intel'],
        summary:
          'Export what you may see as a STIX 2.1 bundle or CSV (expired indicators left out by default)',
        querystring: Type.Object(
          {
            format: Type.Enum([...EXPORT_FORMATS]),
            ...FilterQuery,
            include_expired: Type.Optional(Type.Boolean({ default: false })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const filter = {
        ...filterOf(request.query),
        excludeExpired: request.query.include_expired !== true,
        now: now().toISOString(),
      }
      const viewer = viewerOf(request)
      const format = request.query.format
      const body =
        format === 'csv'
          ? exportCsv(store.db, viewer, filter)
          : format === 'misp'
            ? exportMispEvents(store.db, viewer, filter)
            : exportStixBundle(store.db, viewer, filter)
      return reply
        .type(
          format === 'csv'
            ? 'text/csv; charset=utf-8'
            : format === 'misp'
              ? 'application/json'
              : 'application/stix+json;version=2.1',
        )
        .header(
          'content-disposition',
          `attachment; filename="liaison-export.${format === 'csv' ? 'csv' : 'json'}"`,
        )
        .send(Readable.from(body))
    },
  )

  app.post(
    '/intel/extract',
    {
      bodyLimit: 4 * 1024 * 1024,
      schema: {
        tags: ['intel'],
        summary: 'Find IOCs in free text (defanged forms too) and return them as STIX observables',
        body: Type.Object({ text: Type.String({ maxLength: 2_000_000 }) }, { additionalProperties: false }),
        response: withErrors({
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                kind: Type.String(),
                value: Type.String(),
                sco: Type.Record(Type.String(), Type.Unknown()),
              }),
            ),
          }),
        }),
      },
    },
    async (request) => ({
      items: extractIocs(request.body.text).map((i) => ({
        kind: i.observable.kind,
        value: i.observable.value,
        sco: i.sco,
      })),
    }),
  )
}
