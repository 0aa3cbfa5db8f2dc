import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { UserPrincipal } from '../../../core/account/principal.js'
import { isJsonObject, isStixId } from '../../../core/stix/stix.js'
import {
  acceptsTaxii,
  isTaxiiContentType,
  parseTaxiiFilter,
  TAXII_MEDIA_TYPE,
  toTaxiiTimestamp,
  type TaxiiFilter,
  type TaxiiFilterSet,
} from '../../../core/taxii/taxii.js'
import { forbidden, LiaisonError, notFound, unauthenticated } from '../../errors.js'
import { validationError } from '../../validation.js'
import type { ModuleDeps } from '../index.js'
import { PROVENANCE_HEADER, withProvenance } from '../federation/federation.envelope.js'
import { recordServedToPeer } from '../federation/federation.service.js'
import type { ScopedVersionRow } from '../intel/intel.query.js'
import { importerOf } from '../intel/intel.service.js'
import { findLabelTlps } from '../trust/label.repository.js'
import { readStatus, TaxiiIngestQueue, type TaxiiEnvelopeItem } from './taxii.ingest.js'
import { isTlp2Member } from './taxii.markings.js'
import {
  envelopeText,
  presentApiRoot,
  presentCollection,
  presentCollections,
  presentDiscovery,
  presentError,
  presentManifest,
  presentStatus,
  presentVersions,
} from './taxii.presenter.js'
import {
  deleteCollectionObject,
  getCollection,
  listCollections,
  readCollectionPage,
  readObjectVersions,
  TAXII_API_ROOT,
  type TaxiiCollection,
  type TaxiiPage,
} from './taxii.service.js'

/** Where TAXII lives: the discovery resource, with the API roots below it. */
export const TAXII_PATH_PREFIX = '/taxii2/'

const CHALLENGES = ['Basic realm="Liaison TAXII", charset="UTF-8"', 'Bearer realm="Liaison TAXII"']

interface RootParams {
  apiRoot: string
}
interface CollectionParams extends RootParams {
  collectionId: string
}
interface ObjectParams extends CollectionParams {
  objectId: string
}
interface StatusParams extends RootParams {
  statusId: string
}
type Query = Record<string, unknown>

/**
 * The caller of a TAXII request: an API key, by HTTP Basic (any user name, the key as password) or
 * Bearer. Sessions do not count: TAXII is for machines, and a cookie would let other sites write.
 */
function taxiiPrincipal(request: FastifyRequest): UserPrincipal {
  const auth = request.auth
  if (auth === null || auth.principal.authMethod !== 'apikey') {
    throw unauthenticated(
      'TAXII needs an API key: HTTP Basic (any user name, the key as password) or Authorization: Bearer <key>',
    )
  }
  if (auth.user.must_change_password === 1) {
    throw new LiaisonError(403, 'password_change_required', 'change your one-time password first')
  }
  return auth.principal
}

function assertApiRoot(apiRoot: string): void {
  if (apiRoot !== TAXII_API_ROOT) {
    throw notFound('API root', apiRoot)
  }
}

function filterOf(query: Query, set: TaxiiFilterSet): TaxiiFilter {
  const parsed = parseTaxiiFilter(query, set)
  if (!parsed.ok) {
    const { parameter, message } = parsed.problem
    throw new LiaisonError(400, 'validation_failed', `${parameter}: ${message}`, { field: parameter })
  }
  return parsed.filter
}

function hasStixId(item: Record<string, unknown>): item is TaxiiEnvelopeItem {
  return isStixId(item.id)
}

/**
 * The objects of a POSTed envelope (a bundle's `objects` are taken too): one or more, each a JSON
 * object with a STIX identifier, since a status names every object by its id (TAXII 2.1
 * `status-details`). Anything else is unprocessable content (422) naming the first item at fault,
 * before anything is stored. The objects' other properties are checked one by one in the
 * background, and reported in the status.
 */
function envelopeObjectsOf(body: unknown): TaxiiEnvelopeItem[] {
  if (!isJsonObject(body) || !Array.isArray(body.objects) || body.objects.length === 0) {
    throw new LiaisonError(
      422,
      'unprocessable_content',
      'the body must be a TAXII envelope: an object whose "objects" lists one or more STIX objects',
      { field: 'objects' },
    )
  }
  const items: unknown[] = body.objects
  const objects: TaxiiEnvelopeItem[] = []
  for (const [index, item] of items.entries()) {
    const refused = (reason: 'not_an_object' | 'no_id' | 'malformed_id', why: string) =>
      new LiaisonError(
        422,
        'unprocessable_content',
        `objects[${index}]: ${why}; nothing of this envelope was stored`,
        { field: `objects[${index}]`, index, reason },
      )
    if (!isJsonObject(item)) {
      throw refused('not_an_object', 'not a JSON object')
    }
    if (!hasStixId(item)) {
      throw item.id === undefined
        ? refused('no_id', 'no "id"')
        : refused('malformed_id', '"id" is not a STIX identifier (<type>--<UUID>)')
    }
    objects.push(item)
  }
  return objects
}

/** `X-TAXII-Date-Added-First/Last` of the items of a page (none when it is empty). */
function dateHeaders(reply: FastifyReply, page: TaxiiPage<{ added_at?: string; addedAt?: string }>): void {
  const first = page.items[0]
  const last = page.items[page.items.length - 1]
  const at = (item: { added_at?: string; addedAt?: string }) =>
    toTaxiiTimestamp(item.added_at ?? item.addedAt ?? '')
  if (first !== undefined && last !== undefined) {
    void reply.header('x-taxii-date-added-first', at(first))
    void reply.header('x-taxii-date-added-last', at(last))
  }
}

/** The status, code, message and details of any error, for the TAXII error resource. */
function rendered(error: FastifyError | LiaisonError): {
  status: number
  code: string
  message: string
  details: Record<string, unknown> | null
} {
  if (error instanceof LiaisonError) {
    return { status: error.status, code: error.code, message: error.message, details: error.details }
  }
  if (error.validation !== undefined) {
    const v = validationError(error.validation, error.validationContext ?? 'body')
    return { status: 400, code: v.code, message: v.message, details: v.details }
  }
  const status = error.statusCode ?? 500
  if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    // A body that is not JSON at all: unprocessable content (TAXII 2.1 §3), not a bad request.
    return {
      status: 422,
      code: 'unprocessable_content',
      message:
        error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
          ? 'the body is empty: POST an envelope ({"objects": […]})'
          : 'the body is not JSON: POST an envelope ({"objects": […]})',
      details: { reason: error.code },
    }
  }
  if (status >= 400 && status < 500) {
    const code =
      status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : 'bad_request'
    return { status, code, message: error.message, details: { reason: error.code } }
  }
  return { status: 500, code: 'internal', message: 'internal error; it has been logged', details: null }
}

/**
 * TAXII 2.1 under `/taxii2/`: discovery, the API root, collections, objects (GET, POST, DELETE),
 * object by id, manifest, versions and status. Every answer, errors included, is
 * `application/taxii+json;version=2.1`; errors have the TAXII error shape.
 */
export const taxiiRoutes: FastifyPluginAsync<ModuleDeps> = async (app, { store, config, now }) => {
  const db = store.db
  const queue = new TaxiiIngestQueue(db, now, app.log)
  // POSTs a stopped process (this one before a restart, or another node) left unfinished resume here.
  app.addHook('onReady', async () => queue.start())
  app.addHook('onClose', async () => queue.close())

  // Bodies: the TAXII and STIX media types only (anything else is a 415), parsed as JSON with
  // prototype poisoning refused, up to the API root's max_content_length.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(
    /^application\/(?:taxii|stix)\+json(?:\s*;.*)?$/i,
    { parseAs: 'string', bodyLimit: config.taxiiMaxContentLength },
    app.getDefaultJsonParser('error', 'error'),
  )

  app.setErrorHandler((error: FastifyError | LiaisonError, request, reply) => {
    const r = rendered(error)
    if (r.status >= 500) {
      request.log.error({ err: error }, 'TAXII request failed')
    }
    if (r.status === 401) {
      void reply.header('www-authenticate', CHALLENGES)
    }
    if (r.status === 429 || r.status === 503) {
      const retry = r.details?.retryAfterSeconds
      void reply.header('retry-after', typeof retry === 'number' ? String(retry) : '10')
    }
    return reply
      .code(r.status)
      .type(TAXII_MEDIA_TYPE)
      .send(presentError(r.status, r.code, r.message, r.details))
  })
  app.setNotFoundHandler(async (request) => {
    taxiiPrincipal(request)
    throw new LiaisonError(404, 'not_found', `no TAXII resource at ${request.url.split('?')[0] ?? ''}`, null)
  })

  // Who, then what they accept, then what they send: 401, 406, 415, before any work.
  app.addHook('onRequest', async (request) => {
    if (request.method !== 'POST') {
      // Only a POST has a body here: a Content-Type on a GET or DELETE (some clients always send
      // one) says nothing, and must not make the server read an absent body.
      delete request.headers['content-type']
    }
    taxiiPrincipal(request)
    if (!acceptsTaxii(request.headers.accept)) {
      throw new LiaisonError(406, 'not_acceptable', `Accept must allow ${TAXII_MEDIA_TYPE}`, {
        accepted: [TAXII_MEDIA_TYPE],
      })
    }
    if (request.method === 'POST' && !isTaxiiContentType(request.headers['content-type'])) {
      throw new LiaisonError(
        415,
        'unsupported_media_type',
        `Content-Type must be ${TAXII_MEDIA_TYPE} (an envelope) or application/stix+json;version=2.1`,
        { accepted: [TAXII_MEDIA_TYPE, 'application/stix+json;version=2.1'] },
      )
    }
  })
  app.addHook('onSend', async (_request, reply, payload) => {
    void reply.header('content-type', TAXII_MEDIA_TYPE)
    void reply.header('cache-control', 'no-store')
    // How long the server worked on the answer (RFC Server-Timing), for clients and benchmarks.
    void reply.header('server-timing', `app;dur=${reply.elapsedTime.toFixed(2)}`)
    return payload
  })

  const hidden = { schema: { hide: true } }

  /**
   * A page whose stored objects carry `x_liaison_provenance` when the client asks (Liaison peers
   * do); the TLP 2.0 definitions every collection holds are nobody's and carry none.
   */
  const provenanceAsked = async (
    request: FastifyRequest,
    page: TaxiiPage<ScopedVersionRow>,
  ): Promise<TaxiiPage<ScopedVersionRow>> => {
    if (request.headers[PROVENANCE_HEADER] !== '1') {
      return page
    }
    const stored = page.items.filter((row) => !isTlp2Member(row))
    const marked = await withProvenance(db, config, stored)
    const byRow = new Map(stored.map((row, i) => [row, marked[i] ?? row]))
    return { ...page, items: page.items.map((row) => byRow.get(row) ?? row) }
  }

  /**
   * The envelope text of a page of objects; records the serve receipts of what a peer read (of the
   * stored versions only: the TLP 2.0 definitions every collection holds are nobody's versions).
   */
  const servedEnvelope = async (
    request: FastifyRequest,
    principal: UserPrincipal,
    collection: TaxiiCollection,
    page: TaxiiPage<ScopedVersionRow>,
  ): Promise<string> => {
    const stored = page.items.filter((row) => !isTlp2Member(row))
    const tlps = await findLabelTlps(
      db,
      stored.map((r) => r.label_id),
    )
    const text = envelopeText(await provenanceAsked(request, page), tlps)
    await recordServedToPeer(db, principal, collection, stored, now())
    return text
  }

  /** Who asks, and the collection the path names (401, then 404 for another API root or collection). */
  const collectionFor = async (request: FastifyRequest<{ Params: CollectionParams }>) => {
    const principal = taxiiPrincipal(request)
    const { apiRoot, collectionId } = request.params
    assertApiRoot(apiRoot)
    return { principal, collection: await getCollection(db, principal, apiRoot, collectionId, now()) }
  }

  app.get('/', hidden, async () =>
    presentDiscovery(config.instanceName, `${TAXII_PATH_PREFIX}${TAXII_API_ROOT}/`),
  )

  app.get<{ Params: RootParams }>('/:apiRoot/', hidden, async (request) => {
    assertApiRoot(request.params.apiRoot)
    return presentApiRoot(config.instanceName, config.taxiiMaxContentLength)
  })

  app.get<{ Params: StatusParams }>('/:apiRoot/status/:statusId/', hidden, async (request) => {
    const principal = taxiiPrincipal(request)
    assertApiRoot(request.params.apiRoot)
    return presentStatus(
      await readStatus(db, principal, request.params.apiRoot, request.params.statusId, queue, now()),
    )
  })

  app.get<{ Params: RootParams }>('/:apiRoot/collections/', hidden, async (request) => {
    const principal = taxiiPrincipal(request)
    assertApiRoot(request.params.apiRoot)
    return presentCollections(await listCollections(db, principal, request.params.apiRoot, now()))
  })

  app.get<{ Params: CollectionParams }>('/:apiRoot/collections/:collectionId/', hidden, async (request) => {
    const principal = taxiiPrincipal(request)
    const { apiRoot, collectionId } = request.params
    assertApiRoot(apiRoot)
    return presentCollection(await getCollection(db, principal, apiRoot, collectionId, now()))
  })

  app.get<{ Params: CollectionParams; Querystring: Query }>(
    '/:apiRoot/collections/:collectionId/manifest/',
    hidden,
    async (request, reply) => {
      const { principal, collection } = await collectionFor(request)
      const filter = filterOf(request.query, 'objects')
      const page = await readCollectionPage(db, principal, collection, filter, { withJson: false })
      dateHeaders(reply, page)
      return presentManifest(page)
    },
  )

  app.get<{ Params: CollectionParams; Querystring: Query }>(
    '/:apiRoot/collections/:collectionId/objects/',
    hidden,
    async (request, reply) => {
      const { principal, collection } = await collectionFor(request)
      const filter = filterOf(request.query, 'objects')
      const page = await readCollectionPage(db, principal, collection, filter, { withJson: true })
      dateHeaders(reply, page)
      return reply.send(await servedEnvelope(request, principal, collection, page))
    },
  )

  app.post<{ Params: CollectionParams }>(
    '/:apiRoot/collections/:collectionId/objects/',
    { ...hidden, bodyLimit: config.taxiiMaxContentLength },
    async (request, reply) => {
      const { principal, collection } = await collectionFor(request)
      if (!collection.canWrite) {
        throw forbidden(`your role may not add objects to collection ${collection.id}`)
      }
      const objects = envelopeObjectsOf(request.body)
      const status = await queue.accept(
        principal,
        importerOf(principal),
        collection,
        objects,
        request.params.apiRoot,
      )
      return reply.code(202).send(presentStatus(status))
    },
  )

  app.get<{ Params: ObjectParams; Querystring: Query }>(
    '/:apiRoot/collections/:collectionId/objects/:objectId/',
    hidden,
    async (request, reply) => {
      const { principal, collection } = await collectionFor(request)
      const { objectId } = request.params
      const filter = filterOf(request.query, 'object')
      const page = await readCollectionPage(db, principal, collection, filter, { withJson: true, objectId })
      dateHeaders(reply, page)
      return reply.send(await servedEnvelope(request, principal, collection, page))
    },
  )

  app.delete<{ Params: ObjectParams; Querystring: Query }>(
    '/:apiRoot/collections/:collectionId/objects/:objectId/',
    hidden,
    async (request, reply) => {
      const { principal, collection } = await collectionFor(request)
      const { objectId } = request.params
      const filter = filterOf(request.query, 'delete')
      await deleteCollectionObject(db, principal, collection, objectId, filter, now())
      return reply.code(200).send('')
    },
  )

  app.get<{ Params: ObjectParams; Querystring: Query }>(
    '/:apiRoot/collections/:collectionId/objects/:objectId/versions/',
    hidden,
    async (request, reply) => {
      const { principal, collection } = await collectionFor(request)
      const { objectId } = request.params
      const filter = filterOf(request.query, 'versions')
      const page = await readObjectVersions(db, principal, collection, objectId, filter)
      dateHeaders(reply, page)
      return presentVersions(page)
    },
  )
}
