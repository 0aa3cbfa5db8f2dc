import { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { StoredInstant } from '../../../core/intel/instant.js'
import { extractIocs } from '../../../core/intel/ioc.js'
import { SIGHTING_TYPES } from '../../../core/intel/sighting.js'
import { AUDIENCES, PAP_LEVELS, TLP_LEVELS, type Viewer } from '../../../core/trust/label.js'
import { SharingLabelSchema } from '../../../core/trust/label.schema.js'
import { badInput, notFound } from '../../errors.js'
import { principalOf } from '../../http/auth.plugin.js'
import { withErrors } from '../../http/schemas.js'
import type { Config } from '../../config.js'
import type { Store } from '../../store/store.js'
import { ProvenanceSchema } from '../../../core/federation/federation.schema.js'
import { Provenance } from '../../../core/federation/provenance.js'
import { thisInstance } from '../federation/federation.service.js'
import { findProvenance, versionKeyText } from './intel.provenance.js'
import { findLabels } from '../trust/label.repository.js'
import { exportCsv, exportMispEvents, exportStixBundle, EXPORT_FORMATS } from './intel.export.js'
import { loadExpiryRule, expiryOfRows } from './intel.expiry.js'
import { presentExpiry, presentStoredObject } from './intel.presenter.js'
import { withVisibleRefs } from './intel.refs.js'
import {
  correlateMany,
  correlateValues,
  findVisibleNeighbours,
  findVisibleObject,
  findVisibleVersions,
  searchObjects,
} from './intel.query.js'
import { importContent, importerOf } from './intel.service.js'
import { countSightings, listSightings, recordSighting, summariseSightings } from './intel.sightings.js'
import { checkWarninglistValues } from '../warninglist/warninglist.service.js'

/**
 * Longest observable value a look-up takes (search, correlation, a sighting by value): real URLs
 * reach several kilobytes (a query string of session tokens). A GET's whole URL is bounded by the
 * server's header limit (16 KiB) besides.
 */
const VALUE_MAX = 16_384

const StixId = Type.String({ pattern: '^[a-z0-9-]+--[0-9a-fA-F-]{36}$', description: 'STIX id, type--UUID' })

const StoredObjectSchema = Type.Object({
  object: Type.Record(Type.String(), Type.Unknown(), { description: 'the STIX object as stored' }),
  label: SharingLabelSchema,
  ownerOrgId: Type.String({ format: 'uuid' }),
  source: Type.Union([Type.String(), Type.Null()]),
  addedAt: Type.String({ format: 'date-time' }),
  expired: Type.Boolean(),
})

/** An object another one names, or that names it, as the object page lists it. */
const RelatedSchema = Type.Object({
  direction: Type.Enum(['out', 'in']),
  property: Type.String(),
  id: Type.String(),
  type: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
})

/** Related objects each way on an object's own answer; the rest come a page at a time. */
const RELATED_ON_PAGE = 200

/** A page cursor of related objects, as the API gives it: the id of the last one listed. */
function encodeNeighbourCursor(id: string): string {
  return Buffer.from(id).toString('base64url')
}

function decodeNeighbourCursor(text: string): string {
  const id = Buffer.from(text, 'base64url').toString('utf8')
  if (!/^[a-z0-9-]+--[0-9a-fA-F-]{36}$/.test(id)) {
    throw badInput('after', 'is not a cursor this API gave (use relatedNext or next as they came)')
  }
  return id
}

/**
 * The stored JSON of an object with every top-level list longer than `max` cut to its first `max`
 * entries, and the names of the lists cut; null when none is that long (the JSON stays as stored).
 */
function withListsCut(json: string, max: number): { json: string; properties: string[] } | null {
  // A list of more than `max` entries takes two characters an entry at the least.
  if (json.length < 2 * max) {
    return null
  }
  const object = JSON.parse(json) as Record<string, unknown>
  const properties: string[] = []
  for (const [property, value] of Object.entries(object)) {
    if (Array.isArray(value) && value.length > max) {
      object[property] = value.slice(0, max)
      properties.push(property)
    }
  }
  return properties.length === 0 ? null : { json: JSON.stringify(object), properties }
}

const ExpirySchema = Type.Object({
  reason: Type.Enum(['valid_until', 'retention'], {
    description:
      "valid_until passed, or an indicator without valid_until older than its owner's retention period",
  }),
  at: Type.String({ format: 'date-time', description: 'when it expired' }),
  retentionDays: Type.Union([Type.Integer(), Type.Null()], { description: 'for retention: the period' }),
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
    Type.String({ maxLength: VALUE_MAX, description: 'objects carrying this observable value' }),
  ),
  name: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 500,
      description: 'objects whose name contains this text (case-insensitive, in every script)',
    }),
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
  warnings: Type.Object(
    { total: Type.Integer(), items: Type.Array(ProblemSchema, { description: 'at most 100' }) },
    {
      description:
        'what was read other than written and imported all the same (MISP: an attribute without to_ids read as false, proposals not imported, …)',
    },
  ),
  release: Type.Optional(
    Type.Union(
      [Type.Object({ id: Type.String({ format: 'uuid' }), status: Type.Enum(['pending']) }), Type.Null()],
      {
        description:
          "set when the organisation's four-eyes release holds the objects (organisation only) until a second member approves (GET /api/v1/intel/releases/{id}); null otherwise",
      },
    ),
  ),
  warninglistHits: Type.Object(
    {
      total: Type.Integer(),
      items: Type.Array(
        Type.Object({ objectId: Type.String(), value: Type.String(), warninglist: Type.String() }),
        { description: 'at most 1000' },
      ),
    },
    { description: 'imported values on enabled warninglists (known-benign): flag, do not block' },
  ),
})

const SightingCountsSchema = Type.Object(
  {
    count: Type.Integer({ description: "times seen: the sum of the sightings' count (1 when absent)" }),
    falsePositives: Type.Integer({ description: 'false-positive reports' }),
  },
  { description: 'from the sightings and opinions you may see' },
)

const SightingSummarySchema = Type.Object(
  {
    ...SightingCountsSchema.properties,
    reports: Type.Integer({ description: 'sighting objects' }),
    firstSeen: Type.Union([Type.String(), Type.Null()]),
    lastSeen: Type.Union([Type.String(), Type.Null()]),
    expirations: Type.Integer({ description: 'expiration reports (MISP sighting type 2)' }),
    sightedBy: Type.Array(
      Type.Object({ id: Type.String(), name: Type.Union([Type.String(), Type.Null()]) }),
      { description: 'where_sighted_refs of the sightings (at most 100), named when you may see them' },
    ),
  },
  {
    description:
      'what the sightings, false positives (opinions) and expirations you may see say; an observable also counts those of the observed-data containing it',
  },
)

const CorrelationSchema = Type.Object({
  value: Type.String(),
  kind: Type.Union([Type.String(), Type.Null()]),
  key: Type.Union([Type.String(), Type.Null()], {
    description:
      'normalised key of the value: `kind:value`, or `kind#sha256:<hex>` for a value over 1,024 bytes or with a NUL character',
  }),
  total: Type.Integer(),
  warninglists: Type.Array(Type.String(), {
    description: 'names of the enabled warninglists (known-benign values) the value is on',
  }),
  hits: Type.Array(
    Type.Object({
      id: Type.String(),
      type: Type.String(),
      name: Type.Union([Type.String(), Type.Null()]),
      ownerOrgId: Type.String(),
      matchedKey: Type.String(),
      firstSeen: Type.Union([Type.String(), Type.Null()], {
        description:
          'its own first_seen, first_observed, valid_from or created; an observable (SCO): the earliest first_observed of the observed-data you may see that contain it, else when it was added here',
      }),
      lastSeen: Type.Union([Type.String(), Type.Null()], {
        description:
          'its own last_seen, last_observed, modified or created; an observable (SCO): the latest last_observed of the observed-data you may see that contain it, else when it was added here',
      }),
      reports: Type.Array(Type.String()),
      sightings: SightingCountsSchema,
    }),
  ),
})

/** The label of content a write stores (as the import's query fields); omitted parts get the defaults. */
const LabelRequestSchema = Type.Object(
  {
    tlp: Type.Optional(Type.Enum([...TLP_LEVELS])),
    pap: Type.Optional(Type.Enum([...PAP_LEVELS])),
    audience: Type.Optional(Type.Enum([...AUDIENCES])),
    sharingGroups: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { maxItems: 100 })),
    recipients: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { maxItems: 500 })),
  },
  {
    additionalProperties: false,
    description: 'default: TLP:AMBER, PAP:CLEAR, your organisation only (TLP:RED: you as recipient)',
  },
)

/** Logged-in callers see by their principal; anonymous ones only public objects. */
function viewerOf(request: FastifyRequest): Viewer {
  return request.auth?.principal ?? { kind: 'anonymous' }
}

/** A `date-time` the schema let through, in the stored format; sub-microsecond digits carried up. */
function storedInstantOf(value: string): string {
  return StoredInstant.parse(value, 'up') ?? StoredInstant.fromDate(new Date(value))
}

function filterOf(query: {
  type?: string[]
  added_after?: string
  added_before?: string
  tlp?: string[]
  source?: string
  value?: string
  name?: string
}) {
  return {
    ...(query.type === undefined ? {} : { types: query.type }),
    // In the stored format (microseconds), carried up: the filters are `>=` and `<`.
    ...(query.added_after === undefined ? {} : { addedAfter: storedInstantOf(query.added_after) }),
    ...(query.added_before === undefined ? {} : { addedBefore: storedInstantOf(query.added_before) }),
    ...(query.tlp === undefined ? {} : { tlp: query.tlp }),
    ...(query.source === undefined ? {} : { source: query.source }),
    ...(query.value === undefined ? {} : { value: query.value }),
    ...(query.name === undefined ? {} : { name: query.name }),
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
export const intelRoutes: FastifyPluginAsyncTypebox<{
  store: Store
  config: Pick<Config, 'instanceName'>
  now: () => Date
}> = async (app, { store, config, now }) => {
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
          description:
            'STIX bundle, object or array; MISP event, {"Event":…} or {"response":[…]}, or MISP attributes or objects of no event (restSearch, {"Object":[…]})',
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
      const found = await searchObjects(store.db, viewer, {
        ...filterOf(request.query),
        limit: request.query.limit ?? 100,
        offset: request.query.offset ?? 0,
      })
      const { total } = found
      const rows = await withVisibleRefs(store.db, viewer, found.rows, 'keep')
      const labels = await findLabels(
        store.db,
        rows.map((r) => r.label_id),
      )
      const expiries = await expiryOfRows(store.db, rows, now().toISOString())
      return {
        items: rows.flatMap((row, i) => {
          const label = labels.get(row.label_id)
          return label === undefined ? [] : [presentStoredObject(row, label, expiries[i] ?? null)]
        }),
        total,
      }
    },
  )

  app.get(
    '/intel/expired',
    {
      config: { access: 'public' },
      schema: {
        tags: ['intel'],
        summary:
          "Expired indicators you may see (valid_until passed, or the owner's retention period), newest first, with why",
        querystring: Type.Object(
          {
            ...FilterQuery,
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
            offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
          },
          { additionalProperties: false },
        ),
        response: withErrors({
          200: Type.Object({
            items: Type.Array(Type.Object({ ...StoredObjectSchema.properties, expiry: ExpirySchema })),
            total: Type.Integer(),
          }),
        }),
      },
    },
    async (request) => {
      const at = now().toISOString()
      const viewer = viewerOf(request)
      const found = await searchObjects(store.db, viewer, {
        ...filterOf(request.query),
        onlyExpired: true,
        expiry: await loadExpiryRule(store.db, at),
        limit: request.query.limit ?? 100,
        offset: request.query.offset ?? 0,
      })
      const { total } = found
      const rows = await withVisibleRefs(store.db, viewer, found.rows, 'keep')
      const labels = await findLabels(
        store.db,
        rows.map((r) => r.label_id),
      )
      const expiries = await expiryOfRows(store.db, rows, at)
      return {
        items: rows.flatMap((row, i) => {
          const label = labels.get(row.label_id)
          const expiry = expiries[i] ?? null
          return label === undefined || expiry === null
            ? []
            : [{ ...presentStoredObject(row, label, expiry), expiry: presentExpiry(expiry) }]
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
        querystring: Type.Object(
          {
            maxListItems: Type.Optional(
              Type.Integer({
                minimum: 1,
                maximum: 100_000,
                description:
                  'cut every list property of the object to its first N entries (a report of a MISP mega-event lists 1.5 M members); `truncatedLists` names what was cut. Without it the object comes whole',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: withErrors({
          200: Type.Object({
            ...StoredObjectSchema.properties,
            versions: Type.Array(Type.Object({ modified: Type.String(), addedAt: Type.String() })),
            related: Type.Array(RelatedSchema, {
              description: `the first ${RELATED_ON_PAGE} objects each way; relatedNext says where the rest start`,
            }),
            relatedNext: Type.Object(
              {
                out: Type.Union([Type.String(), Type.Null()]),
                in: Type.Union([Type.String(), Type.Null()]),
              },
              { description: 'cursors for GET /intel/objects/{id}/related (null: nothing more that way)' },
            ),
            truncatedLists: Type.Array(
              Type.Object({
                property: Type.String(),
                shown: Type.Integer({ description: 'entries left in the object as returned' }),
              }),
              { description: 'list properties cut by maxListItems (empty when nothing was cut)' },
            ),
            sightings: SightingSummarySchema,
            provenance: ProvenanceSchema,
          }),
        }),
      },
    },
    async (request) => {
      const viewer = viewerOf(request)
      const found = await findVisibleObject(store.db, viewer, request.params.id)
      if (found === undefined) {
        throw notFound('object', request.params.id)
      }
      const maxListItems = request.query.maxListItems
      const cut = maxListItems === undefined ? null : withListsCut(found.json, maxListItems)
      const [row = found] = await withVisibleRefs(
        store.db,
        viewer,
        [cut === null ? found : { ...found, json: cut.json }],
        'keep',
      )
      const label = (await findLabels(store.db, [row.label_id])).get(row.label_id)
      if (label === undefined) {
        throw notFound('object', request.params.id)
      }
      const versions = await findVisibleVersions(store.db, viewer, row.id, row.owner_org_id)
      const [out, into] = await Promise.all(
        (['out', 'in'] as const).map((direction) =>
          findVisibleNeighbours(store.db, viewer, row.id, row.owner_org_id, {
            direction,
            limit: RELATED_ON_PAGE,
          }),
        ),
      )
      const sightings = await summariseSightings(store.db, viewer, { id: row.id, type: row.type })
      const [expiry] = await expiryOfRows(store.db, [row], now().toISOString())
      const key = { id: row.id, ownerOrgId: row.owner_org_id, modified: row.modified }
      const self = await thisInstance(store.db, config)
      const provenance =
        (await findProvenance(store.db, self, [key])).get(versionKeyText(key)) ??
        Provenance.local(self, row.owner_org_id)
      const presented = presentStoredObject(row, label, expiry ?? null)
      return {
        ...presented,
        provenance: {
          originInstance: provenance.originInstance,
          originOrg: provenance.originOrg,
          hops: [...provenance.hops],
        },
        versions: versions.map((v) => ({ modified: v.modified, addedAt: v.added_at })),
        related: [...(out?.items ?? []), ...(into?.items ?? [])],
        relatedNext: {
          out: out?.next ? encodeNeighbourCursor(out.next) : null,
          in: into?.next ? encodeNeighbourCursor(into.next) : null,
        },
        truncatedLists: (cut?.properties ?? []).map((property) => {
          const list = presented.object[property]
          return { property, shown: Array.isArray(list) ? list.length : 0 }
        }),
        sightings,
      }
    },
  )

  app.get(
    '/intel/objects/:id/related',
    {
      config: { access: 'public' },
      schema: {
        tags: ['intel'],
        summary:
          'The objects you may see that an object names (out) or that name it (in), a page at a time in id order',
        params: Type.Object({ id: StixId }),
        querystring: Type.Object(
          {
            direction: Type.Enum(['out', 'in']),
            after: Type.Optional(
              Type.String({
                maxLength: 2000,
                description: 'relatedNext of the object, or next of the page before',
              }),
            ),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          },
          { additionalProperties: false },
        ),
        response: withErrors({
          200: Type.Object({
            items: Type.Array(RelatedSchema),
            next: Type.Union([Type.String(), Type.Null()], { description: 'null: this was the last page' }),
          }),
        }),
      },
    },
    async (request) => {
      const viewer = viewerOf(request)
      const found = await findVisibleObject(store.db, viewer, request.params.id)
      if (found === undefined) {
        throw notFound('object', request.params.id)
      }
      const after = request.query.after === undefined ? null : decodeNeighbourCursor(request.query.after)
      const page = await findVisibleNeighbours(store.db, viewer, found.id, found.owner_org_id, {
        direction: request.query.direction,
        limit: request.query.limit ?? 100,
        after,
      })
      return { items: page.items, next: page.next === null ? null : encodeNeighbourCursor(page.next) }
    },
  )

  app.get(
    '/intel/objects/:id/sightings',
    {
      config: { access: 'public' },
      schema: {
        tags: ['intel'],
        summary:
          'The sightings, opinions and expirations you may see about an object (observables: also of the observed-data containing them), newest first',
        params: Type.Object({ id: StixId }),
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
            offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
          },
          { additionalProperties: false },
        ),
        response: withErrors({
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                ...StoredObjectSchema.properties,
                id: Type.String(),
                kind: Type.Enum([...SIGHTING_TYPES, 'opinion'], {
                  description: 'sighting, false-positive (opinion), expiration (note), or another opinion',
                }),
              }),
            ),
            total: Type.Integer(),
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
      const listed = await listSightings(
        store.db,
        viewer,
        { id: row.id, type: row.type },
        { limit: request.query.limit ?? 100, offset: request.query.offset ?? 0 },
      )
      const { total } = listed
      const shown = await withVisibleRefs(
        store.db,
        viewer,
        listed.items.map((item) => item.row),
        'keep',
      )
      const items = listed.items.map((item, i) => ({ ...item, row: shown[i] ?? item.row }))
      const labels = await findLabels(
        store.db,
        items.map((i) => i.row.label_id),
      )
      const expiries = await expiryOfRows(
        store.db,
        items.map((i) => i.row),
        now().toISOString(),
      )
      return {
        items: items.flatMap((item, i) => {
          const label = labels.get(item.row.label_id)
          return label === undefined
            ? []
            : [
                {
                  ...presentStoredObject(item.row, label, expiries[i] ?? null),
                  id: item.row.id,
                  kind: item.kind,
                },
              ]
        }),
        total,
      }
    },
  )

  app.post(
    '/intel/sightings',
    {
      schema: {
        tags: ['intel'],
        summary:
          'Record a sighting, false positive or expiration of an object, or of every object you may see carrying a value (like MISP sightings/add)',
        body: Type.Object(
          {
            objectId: Type.Optional(StixId),
            value: Type.Optional(
              Type.String({ minLength: 1, maxLength: VALUE_MAX, description: 'instead of objectId' }),
            ),
            type: Type.Optional(Type.Enum([...SIGHTING_TYPES], { default: 'sighting' })),
            source: Type.Optional(
              Type.String({ maxLength: 500, description: 'the sensor, feed or person that saw it' }),
            ),
            count: Type.Optional(
              Type.Integer({ minimum: 1, maximum: 999_999_999, description: 'sightings only; default 1' }),
            ),
            seenAt: Type.Optional(Type.String({ format: 'date-time', description: 'default: now' })),
            label: Type.Optional(LabelRequestSchema),
          },
          { additionalProperties: false },
        ),
        response: withErrors({
          201: Type.Object({
            type: Type.Enum([...SIGHTING_TYPES]),
            targets: Type.Array(Type.Object({ id: Type.String(), type: Type.String() })),
            objectIds: Type.Array(Type.String(), {
              description: 'the sighting (and observed-data), opinion or note objects stored',
            }),
            import: ImportSummarySchema,
          }),
        }),
      },
    },
    async (request, reply) => {
      const body = request.body
      const recorded = await recordSighting(
        store.db,
        principalOf(request),
        {
          type: body.type ?? 'sighting',
          label: body.label ?? {},
          ...(body.objectId === undefined ? {} : { objectId: body.objectId }),
          ...(body.value === undefined ? {} : { value: body.value }),
          ...(body.source === undefined ? {} : { source: body.source }),
          ...(body.count === undefined ? {} : { count: body.count }),
          ...(body.seenAt === undefined ? {} : { seenAt: body.seenAt }),
        },
        now(),
      )
      return reply.code(201).send(recorded)
    },
  )

  const correlate = async (request: FastifyRequest, values: string[], limit: number, offset: number) => {
    const results =
      values.length === 1
        ? await correlateValues(store.db, viewerOf(request), values, { limit, offset })
        : await correlateMany(store.db, viewerOf(request), values, limit)
    // One grouped query for the whole page (per 500 hits), not one per hit.
    const sightings = await countSightings(
      store.db,
      viewerOf(request),
      results.flatMap((r) => r.hits.map((h) => ({ id: h.row.id, type: h.row.type }))),
    )
    const flagged = await checkWarninglistValues(
      store.db,
      results.map((r) => r.value),
    )
    return {
      results: results.map((r, i) => ({
        value: r.value,
        kind: r.observable?.kind ?? null,
        key: r.observable?.key ?? null,
        total: r.total,
        warninglists: (flagged[i] ?? []).map((h) => h.name),
        hits: r.hits.map((h) => {
          const object = JSON.parse(h.row.json) as Record<string, unknown>
          return {
            id: h.row.id,
            type: h.row.type,
            name: typeof object.name === 'string' ? object.name : null,
            ownerOrgId: h.row.owner_org_id,
            matchedKey: h.matchedKey,
            ...(h.seen ?? firstAndLast(object)),
            reports: h.reports,
            sightings: sightings.get(h.row.id) ?? { count: 0, falsePositives: 0 },
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
            value: Type.String({ minLength: 1, maxLength: VALUE_MAX }),
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
            values: Type.Array(Type.String({ minLength: 1, maxLength: VALUE_MAX }), {
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
            versions: Type.Optional(
              Type.Enum(['latest', 'all'], {
                default: 'latest',
                description:
                  'latest: the latest version of each copy; all: every version you may see (STIX and CSV; MISP has no versions)',
              }),
            ),
            forBlocking: Type.Optional(
              Type.Boolean({
                default: false,
                description:
                  'leave out revoked objects, and indicators and observables on enabled warninglists (known-benign)',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: withErrors({
          200: Type.Unknown({ description: 'the STIX bundle, MISP events or CSV, streamed' }),
        }),
      },
    },
    async (request, reply) => {
      const filter = {
        ...filterOf(request.query),
        excludeExpired: request.query.include_expired !== true,
        now: now().toISOString(),
        forBlocking: request.query.forBlocking === true,
        allVersions: request.query.versions === 'all',
        instance: await thisInstance(store.db, config),
      }
      const viewer = viewerOf(request)
      const format = request.query.format
      if (filter.allVersions && format === 'misp') {
        // Refused before the answer starts (a stream cannot turn into an error half-way).
        throw badInput('versions', 'MISP has no versions: versions=all is for STIX and CSV exports')
      }
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
        summary:
          'Find IOCs in free text (defanged forms too) and return them as STIX observables with their deterministic ids; store: true imports them',
        body: Type.Object(
          {
            text: Type.String({ maxLength: 2_000_000 }),
            store: Type.Optional(
              Type.Boolean({
                default: false,
                description: 'import the observables found (as an import does)',
              }),
            ),
            label: Type.Optional(LabelRequestSchema),
            source: Type.Optional(
              Type.String({ maxLength: 500, description: 'with store; default extract' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: withErrors({
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                kind: Type.String(),
                value: Type.String(),
                sco: Type.Object(
                  { type: Type.String(), id: StixId },
                  {
                    additionalProperties: true,
                    description:
                      'STIX 2.1 SCO with its deterministic id (UUIDv5 of its ID-contributing properties)',
                  },
                ),
              }),
            ),
            import: Type.Union([ImportSummarySchema, Type.Null()], {
              description: 'with store: the import of the observables found (null when none were found)',
            }),
          }),
        }),
      },
    },
    async (request) => {
      const body = request.body
      const found = extractIocs(body.text)
      const summary =
        body.store === true && found.length > 0
          ? await importContent(
              store.db,
              importerOf(principalOf(request)),
              found.map((i) => i.sco),
              {
                format: 'stix',
                label: body.label ?? {},
                skipInvalid: false,
                source: body.source ?? 'extract',
              },
              now(),
            )
          : null
      return {
        items: found.map((i) => ({ kind: i.observable.kind, value: i.observable.value, sco: i.sco })),
        import: summary,
      }
    },
  )
}
