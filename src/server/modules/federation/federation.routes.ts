import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { Actor } from '../../../core/account/principal.js'
import {
  CreatePeerBody,
  DeletionPageSchema,
  DeletionQuery,
  InstanceSchema,
  PeerSchema,
  ReceiptQuery,
  ReceiptSchema,
  SyncQuery,
  SyncStartedSchema,
  SyncSummarySchema,
  UpdatePeerBody,
} from '../../../core/federation/federation.schema.js'
import { forbidden } from '../../errors.js'
import { principalOf } from '../../http/auth.plugin.js'
import { IdParams, listOf, withErrors } from '../../http/schemas.js'
import type { ModuleDeps } from '../index.js'
import { presentPeer, presentReceipt } from './federation.presenter.js'
import {
  createPeer,
  deletePeer,
  getPeer,
  listDeletions,
  listPeers,
  listReceipts,
  thisInstance,
  updatePeer,
  visibleSyncSummary,
} from './federation.service.js'
import { syncPeer } from './federation.sync.js'

const TAGS = ['federation']

/**
 * Federation between instances under `/api/v1/federation`: this instance's identity, peers (instance
 * admins write; every signed-in user reads, never credentials), sync now, delivery receipts and the
 * deletion feed (both through the visibility rule).
 */
export const federationRoutes: FastifyPluginAsyncTypebox<ModuleDeps> = async (
  app,
  { store, config, now },
) => {
  const db = store.db

  app.get(
    '/federation/instance',
    {
      schema: {
        tags: TAGS,
        summary: "This instance's stable id and name, as peers record it in provenance and hops",
        response: withErrors({ 200: InstanceSchema }),
      },
    },
    async () => thisInstance(db, config),
  )

  app.get(
    '/federation/peers',
    {
      schema: {
        tags: TAGS,
        summary:
          'Peers with their last sync, lag, last error and counts of the receipts you may see (never credentials)',
        response: withErrors({ 200: listOf(PeerSchema) }),
      },
    },
    async (request) => {
      const views = await listPeers(db, principalOf(request), now())
      return { items: views.map(presentPeer), total: views.length }
    },
  )

  app.post(
    '/federation/peers',
    {
      schema: {
        tags: TAGS,
        summary: 'Add a peer (instance admins); its credentials are sealed and never returned',
        body: CreatePeerBody,
        response: withErrors({ 201: PeerSchema }),
      },
    },
    async (request, reply) => {
      const principal = principalOf(request)
      const row = await createPeer(db, principal, config, request.body, now())
      return reply.code(201).send(presentPeer(await getPeer(db, principal, row.id, now())))
    },
  )

  app.get(
    '/federation/peers/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'One peer',
        params: IdParams,
        response: withErrors({ 200: PeerSchema }),
      },
    },
    async (request) => presentPeer(await getPeer(db, principalOf(request), request.params.id, now())),
  )

  app.patch(
    '/federation/peers/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'Change a peer (instance admins)',
        params: IdParams,
        body: UpdatePeerBody,
        response: withErrors({ 200: PeerSchema }),
      },
    },
    async (request) => {
      const principal = principalOf(request)
      await updatePeer(db, principal, config, request.params.id, request.body, now())
      return presentPeer(await getPeer(db, principal, request.params.id, now()))
    },
  )

  app.delete(
    '/federation/peers/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'Remove a peer with its cursors and receipts (instance admins); what it sent stays',
        params: IdParams,
        response: withErrors({ 204: Type.Null() }),
      },
    },
    async (request, reply) => {
      await deletePeer(db, principalOf(request), request.params.id, now())
      return reply.code(204).send(null)
    },
  )

  // Syncs started with `wait=false`: closing the app waits for them (they hold the store).
  const background = new Set<Promise<unknown>>()
  app.addHook('onClose', async () => {
    await Promise.allSettled([...background])
  })

  app.post(
    '/federation/peers/:id/sync',
    {
      schema: {
        tags: TAGS,
        summary:
          'Sync a peer now (instance admins): pull, then push; answers when done with what it did to items you may see, or with wait=false 202 once the sync holds the peer (its outcome then shows on the peer: last sync, last error). 409 while another sync of it runs',
        params: IdParams,
        querystring: SyncQuery,
        response: withErrors({ 200: SyncSummarySchema, 202: SyncStartedSchema }),
      },
    },
    async (request, reply) => {
      const principal = principalOf(request)
      if (!Actor.managesInstance(principal)) {
        throw forbidden('only instance admins sync federation peers')
      }
      const peerId = request.params.id
      if (request.query.wait === false) {
        // Answer once the sync holds the peer's lease (a 404 or 409 comes before), and let it run.
        await new Promise<void>((resolve, reject) => {
          let claimed = false
          const running = syncPeer({ db, config, now }, peerId, {
            onClaimed: () => {
              claimed = true
              resolve()
            },
          })
            .catch((error: unknown) => {
              if (!claimed) {
                reject(error instanceof Error ? error : new Error(String(error)))
                return
              }
              // A failure of the sync itself is recorded on the peer; this is anything else.
              request.log.error({ err: error, peerId }, 'federation sync failed')
            })
            .finally(() => background.delete(running))
          background.add(running)
        })
        return reply.code(202).send({ peerId, status: 'started' as const })
      }
      const since = now().toISOString()
      const outcome = await syncPeer({ db, config, now }, peerId)
      return visibleSyncSummary(db, principal, peerId, since, outcome.error)
    },
  )

  app.get(
    '/federation/receipts',
    {
      schema: {
        tags: TAGS,
        summary:
          'Delivery receipts (sent, accepted, rejected, filtered, with the rule) of the items you may see, newest first',
        querystring: ReceiptQuery,
        response: withErrors({ 200: listOf(ReceiptSchema) }),
      },
    },
    async (request) => {
      const { rows, total } = await listReceipts(db, principalOf(request), request.query)
      return { items: rows.map(presentReceipt), total }
    },
  )

  app.get(
    '/federation/deletions',
    {
      schema: {
        tags: TAGS,
        summary:
          'Object versions deleted here that you could see, oldest first: Liaison peers read it to pass deletions on',
        querystring: DeletionQuery,
        response: withErrors({ 200: DeletionPageSchema }),
      },
    },
    async (request) =>
      listDeletions(db, principalOf(request), request.query.after, request.query.limit ?? 500),
  )
}
