import type { FastifyBaseLogger } from 'fastify'
import { LiaisonError } from '../../errors.js'
import { findDeletionsAfter } from '../intel/intel.provenance.js'
import {
  findFirstAddedAfter,
  findPeers,
  readAddedCursor,
  readDeletionCursor,
} from './federation.repository.js'
import type { FederationPeerRow } from './federation.table.js'
import { pruneReceipts, pruneTombstones } from './federation.service.js'
import { syncPeer, type SyncDeps } from './federation.sync.js'

/** How often the scheduler looks for peers that are due. */
const TICK_MS = 5_000
/**
 * How soon after local writes a peer with a push collection is pushed to, between its syncs (at
 * most this often per peer): what is shared goes in seconds, not at the next interval.
 */
const PUSH_SOON_MS = 10_000
/** How often it deletes settled receipts and tombstones past their retention. */
const PRUNE_MS = 3600_000

/** A running scheduler. */
export interface FederationScheduler {
  /** Stops scheduling and waits for the sync in progress. */
  close(): Promise<void>
}

/**
 * Syncs every enabled peer when its interval has passed since its last sync, one peer at a time.
 * Safe on several nodes: a sync holds a lease on its peer, and a peer another node holds is skipped.
 * Started by `liaison serve` unless `LIAISON_FEDERATION_SYNC=false`; never by `buildApp` (tests).
 */
export function startFederationScheduler(
  deps: SyncDeps,
  log: FastifyBaseLogger,
  options: { tickMs?: number; receiptDays?: number; tombstoneDays?: number; pushSoonMs?: number } = {},
): FederationScheduler {
  const now = deps.now ?? (() => new Date())
  let closed = false
  let running: Promise<void> | null = null
  let prunedAt = 0
  /** When this process last pushed to each peer between its syncs. */
  const pushedSoonAt = new Map<string, number>()
  const pushSoonMs = options.pushSoonMs ?? PUSH_SOON_MS
  const tick = async (): Promise<void> => {
    // Settled receipts and tombstones past their retention go, once an hour (the first tick included).
    if (now().getTime() - prunedAt >= PRUNE_MS) {
      prunedAt = now().getTime()
      if (options.receiptDays !== undefined) {
        const deleted = await pruneReceipts(deps.db, options.receiptDays, now())
        if (deleted > 0) {
          log.info({ deleted, retentionDays: options.receiptDays }, 'federation receipts pruned')
        }
      }
      if (options.tombstoneDays !== undefined) {
        const deleted = await pruneTombstones(deps.db, options.tombstoneDays, now())
        if (deleted > 0) {
          log.info({ deleted, retentionDays: options.tombstoneDays }, 'tombstones pruned')
        }
      }
    }
    const peers = await findPeers(deps.db)
    for (const peer of peers) {
      if (closed) {
        return
      }
      const free = peer.lease_until === null || peer.lease_until < now().toISOString()
      const due =
        peer.enabled === 1 &&
        (peer.last_sync_at === null ||
          Date.parse(peer.last_sync_at) + peer.interval_seconds * 1000 <= now().getTime()) &&
        free
      if (!due) {
        // Between syncs: a push soon after local writes (not while the peer's last sync failed:
        // its interval paces the retries).
        const soon =
          peer.enabled === 1 &&
          free &&
          peer.push_collection !== null &&
          peer.last_sync_at !== null &&
          peer.last_error === null &&
          now().getTime() - (pushedSoonAt.get(peer.id) ?? 0) >= pushSoonMs
        if (soon && (await hasPushBacklog(deps.db, peer))) {
          pushedSoonAt.set(peer.id, now().getTime())
          try {
            const summary = await syncPeer(deps, peer.id, { only: 'push', keepSchedule: true })
            if (summary.error !== null) {
              log.warn({ peer: peer.name, error: summary.error }, 'federation push failed')
            }
          } catch (error) {
            if (!(error instanceof LiaisonError && error.status === 409)) {
              log.error({ err: error, peer: peer.name }, 'federation push failed')
            }
          }
        }
        continue
      }
      try {
        const summary = await syncPeer(deps, peer.id)
        if (summary.error !== null) {
          log.warn({ peer: peer.name, error: summary.error }, 'federation sync failed')
        } else {
          log.info(
            { peer: peer.name, pulled: summary.pulled, pushed: summary.pushed },
            'federation sync done',
          )
        }
      } catch (error) {
        // Another node took the peer between the listing and the claim: its turn.
        if (!(error instanceof LiaisonError && error.status === 409)) {
          log.error({ err: error, peer: peer.name }, 'federation sync failed')
        }
      }
    }
  }
  const timer = setInterval(() => {
    if (running !== null || closed) {
      return
    }
    running = tick()
      .catch((error: unknown) => log.error({ err: error }, 'federation scheduler'))
      .finally(() => {
        running = null
      })
  }, options.tickMs ?? TICK_MS)
  timer.unref()
  return {
    async close() {
      closed = true
      clearInterval(timer)
      await running
    },
  }
}

/** True when local versions or deletions wait past the peer's push cursors. */
async function hasPushBacklog(db: SyncDeps['db'], peer: FederationPeerRow): Promise<boolean> {
  const cursor = readAddedCursor(peer.push_cursor)
  if ((await findFirstAddedAfter(db, cursor, null)) !== null) {
    return true
  }
  const deletions = readDeletionCursor(peer.deletion_cursor)
  return (await findDeletionsAfter(db, deletions, 1, null)).length > 0
}
