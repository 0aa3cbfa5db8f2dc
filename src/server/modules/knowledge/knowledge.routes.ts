import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import {
  ChangeLabelBody,
  CreateDocumentBody,
  DOCUMENT_KINDS,
  DocumentSchema,
  UpdateDocumentBody,
} from '../../../core/knowledge/knowledge.schema.js'
import type { Viewer } from '../../../core/trust/label.js'
import { principalOf } from '../../http/auth.plugin.js'
import { IdParams, listOf, withErrors } from '../../http/schemas.js'
import type { Store } from '../../store/store.js'
import { presentDocument } from './knowledge.presenter.js'
import {
  changeDocumentLabel,
  countDocuments,
  createDocument,
  getDocument,
  listDocuments,
  updateDocument,
} from './knowledge.service.js'

const SearchQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 200, description: 'words the title contains' })),
    kind: Type.Optional(Type.Enum([...DOCUMENT_KINDS])),
  },
  { additionalProperties: false },
)

const ListQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 200, description: 'words the title contains' })),
    kind: Type.Optional(Type.Enum([...DOCUMENT_KINDS])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  },
  { additionalProperties: false },
)

/** Logged-in callers see by their principal; anonymous ones only public documents. */
function viewerOf(request: FastifyRequest): Viewer {
  return request.auth?.principal ?? { kind: 'anonymous' }
}

function filterOf(query: { q?: string; kind?: (typeof DOCUMENT_KINDS)[number] }) {
  return {
    ...(query.q === undefined ? {} : { q: query.q }),
    ...(query.kind === undefined ? {} : { kind: query.kind }),
  }
}

/** The shared repository of tools, methodologies, forms and procedures. */
export const knowledgeRoutes: FastifyPluginAsyncTypebox<{ store: Store; now: () => Date }> = async (
  app,
  { store, now },
) => {
  app.get(
    '/knowledge/documents',
    {
      config: { access: 'public' },
      schema: {
        tags: ['knowledge'],
        summary: 'Documents you may see (anonymous callers: public ones), newest first',
        querystring: ListQuery,
        response: withErrors({ 200: listOf(DocumentSchema) }),
      },
    },
    async (request) => {
      const { items, total } = await listDocuments(store.db, viewerOf(request), {
        ...filterOf(request.query),
        limit: request.query.limit ?? 50,
        offset: request.query.offset ?? 0,
      })
      return { items: items.map(presentDocument), total }
    },
  )

  app.get(
    '/knowledge/documents/count',
    {
      config: { access: 'public' },
      schema: {
        tags: ['knowledge'],
        summary: 'How many documents you may see',
        querystring: SearchQuery,
        response: withErrors({ 200: Type.Object({ count: Type.Integer() }) }),
      },
    },
    async (request) => ({
      count: await countDocuments(store.db, viewerOf(request), filterOf(request.query)),
    }),
  )

  app.get(
    '/knowledge/documents/:id',
    {
      config: { access: 'public' },
      schema: {
        tags: ['knowledge'],
        summary: 'One document (404 when missing or not visible to you)',
        params: IdParams,
        response: withErrors({ 200: DocumentSchema }),
      },
    },
    async (request) => presentDocument(await getDocument(store.db, viewerOf(request), request.params.id)),
  )

  app.post(
    '/knowledge/documents',
    {
      schema: {
        tags: ['knowledge'],
        summary: 'Create a document under a sharing label',
        body: CreateDocumentBody,
        response: withErrors({ 201: DocumentSchema }),
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(presentDocument(await createDocument(store.db, principalOf(request), request.body, now()))),
  )

  app.patch(
    '/knowledge/documents/:id',
    {
      schema: {
        tags: ['knowledge'],
        summary: 'Change a document’s title, kind or body (owner organisation)',
        params: IdParams,
        body: UpdateDocumentBody,
        response: withErrors({ 200: DocumentSchema }),
      },
    },
    async (request) =>
      presentDocument(
        await updateDocument(store.db, principalOf(request), request.params.id, request.body, now()),
      ),
  )

  app.put(
    '/knowledge/documents/:id/label',
    {
      schema: {
        tags: ['knowledge'],
        summary: 'Change a document’s sharing label; a downgrade needs a reason and is audited',
        params: IdParams,
        body: ChangeLabelBody,
        response: withErrors({ 200: DocumentSchema }),
      },
    },
    async (request) =>
      presentDocument(
        await changeDocumentLabel(store.db, principalOf(request), request.params.id, request.body, now()),
      ),
  )
}
