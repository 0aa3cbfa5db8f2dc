import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { InstanceRef } from '../../../core/federation/provenance.js'
import type { Config } from '../../config.js'
import { LiaisonError, notFound } from '../../errors.js'
import type { Db } from '../../store/store.js'
import type { AuditActor } from '../audit/audit.service.js'
import { findGroupIdsOfOrg } from '../group/group.repository.js'
import { findOrganisationById } from '../org/org.repository.js'
import { loadSecretKey, openCredentials } from './federation.credentials.js'
import { PROVENANCE_HEADER } from './federation.envelope.js'
import { pullCollection, pullDeletions, type PullHooks } from './federation.pull.js'
import { pushToPeer } from './federation.push.js'
import {
  claimPeer,
  findPeerById,
  readAddedCursor,
  readDeletionCursor,
  releasePeer,
  updatePeerRow,
} from './federation.repository.js'
import { pullLabelOf, thisInstance } from './federation.service.js'
import type { FederationPeerRow } from './federation.table.js'
import { TaxiiClient, type TaxiiAuth } from './taxii.client.js'

/**
 * How long a sync's hold on a peer lasts unless renewed: a sync renews it every third of this while it
 * runs, so a process that dies mid-sync (killed, crashed) keeps the peer from the scheduler and from
 * a manual sync (409) this long at most, not for a whole long sync's length.
 */
export const SYNC_LEASE_MS = 2 * 60_000

/** What a sync needs besides the peer. */
export interface SyncDeps {
  readonly db: Db
  readonly config: Pick<Config, 'instanceName' | 'secretKey' | 'dataDir'>
  readonly now?: () => Date
  /** Milliseconds before one request to the peer is given up (default 30 s). */
  readonly timeoutMs?: number
  /** How long a push waits for the peer to process a POST (default 10 s; the verdict is read later otherwise). */
  readonly statusWaitMs?: number
  readonly fetch?: typeof fetch
  /** The hold on the peer, renewed while the sync runs (default {@link SYNC_LEASE_MS}). */
  readonly leaseMs?: number
}

/** What one sync should do. */
export interface SyncOptions {
  /** `pull`, `push` or both (default). */
  readonly only?: 'pull' | 'push'
  /** Hooks into the pulls (progress, tests). */
  readonly hooks?: PullHooks
  /** Called once the sync holds its peer's lease (a sync that cannot claim it throws instead). */
  readonly onClaimed?: () => void
  /**
   * Leave the peer's schedule (`last_sync_at`) as it is: a push the scheduler makes between two
   * syncs, soon after local writes, must not put off the next full sync (its pulls).
   */
  readonly keepSchedule?: boolean
}

/** What one sync did, all of it (for operators; the API shows each caller what they may see). */
export interface SyncOutcome {
  readonly peerId: string
  pulled: { pages: number; accepted: number; rejected: number; deleted: number }
  pushed: {
    considered: number
    sent: number
    accepted: number
    rejected: number
    filtered: number
    deleted: number
  }
  error: string | null
}

/** Who writes what a sync stores, in the audit log. */
const SYNC_ACTOR: AuditActor = { kind: 'system' }

/** Where a Liaison instance's API lives, from its TAXII API root (`…/taxii2/<root>/`). */
function liaisonApiBase(apiRootUrl: string): string | null {
  const url = new URL(apiRootUrl)
  const match = /^(.*)\/taxii2\/[^/]+\/$/.exec(url.pathname)
  return match === null ? null : `${url.origin}${match[1] ?? ''}/api/v1/`
}

/** The API key a Liaison peer's own API takes (Bearer): the token, or the password of Basic. */
function apiKeyOf(auth: TaxiiAuth): string | null {
  switch (auth.kind) {
    case 'bearer':
      return auth.token
    case 'basic':
      return auth.password
    case 'none':
      return null
  }
}

/** Asks a server whether it is a Liaison instance, and which: null when it is not (or does not say). */
async function findRemoteInstance(
  apiBase: string | null,
  token: string | null,
  timeoutMs: number,
  fetcher: typeof fetch,
): Promise<InstanceRef | null> {
  if (apiBase === null || token === null) {
    return null
  }
  try {
    const response = await fetcher(new URL('federation/instance', apiBase), {
      headers: { accept: 'application/json', authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(timeoutMs),
    })
    if (!response.ok) {
      return null
    }
    const body = (await response.json()) as { id?: unknown; name?: unknown }
    return typeof body.id === 'string' && typeof body.name === 'string'
      ? { id: body.id, name: body.name }
      : null
  } catch {
    return null
  }
}

/**
 * Syncs one peer: finds its API root (and whether it is a Liaison instance), pulls each of its pull
 * collections from where the last pull stopped (and, from a Liaison peer, its deletions), then pushes
 * what the push rule lets go and the deletions of what it was sent. One process at a time per peer
 * (a lease on its row); another's sync in progress is a 409. The outcome (last sync, success, error)
 * is kept on the peer; a failure is reported in the summary, not thrown.
 */
export async function syncPeer(
  deps: SyncDeps,
  peerId: string,
  options: SyncOptions = {},
): Promise<SyncOutcome> {
  const now = deps.now ?? (() => new Date())
  const db = deps.db
  const owner = `${hostname()}:${process.pid}:${randomUUID()}`
  const leaseMs = deps.leaseMs ?? SYNC_LEASE_MS
  const claim = (at: Date) =>
    claimPeer(db, peerId, owner, at.toISOString(), new Date(at.getTime() + leaseMs).toISOString())
  if (!(await claim(now()))) {
    if ((await findPeerById(db, peerId)) === undefined) {
      throw notFound('peer', peerId)
    }
    throw new LiaisonError(
      409,
      'conflict',
      `peer ${peerId} is being synced already; try again when that sync ends`,
      {
        field: 'peer',
      },
    )
  }
  options.onClaimed?.()
  // Renewed while the sync runs (on the wall clock: the lease is about this process being alive).
  let lost = false
  const renewal = setInterval(() => {
    claim(new Date()).then(
      (held) => {
        lost ||= !held
      },
      () => {
        // The store is busy or gone: the next renewal tries again; the lease lasts meanwhile.
      },
    )
  }, leaseMs / 3)
  renewal.unref()
  const summary: SyncOutcome = {
    peerId,
    pulled: { pages: 0, accepted: 0, rejected: 0, deleted: 0 },
    pushed: { considered: 0, sent: 0, accepted: 0, rejected: 0, filtered: 0, deleted: 0 },
    error: null,
  }
  try {
    const peer = await findPeerById(db, peerId)
    if (peer === undefined) {
      throw notFound('peer', peerId)
    }
    await run(deps, peer, options, summary, now)
    if (lost) {
      // Another process may have synced the peer meanwhile: what was done is kept (cursors and
      // receipts are written once), but say so.
      throw new Error('this sync lost its hold on the peer part way (paused longer than its lease?)')
    }
    const at = now().toISOString()
    await updatePeerRow(db, peerId, {
      ...(options.keepSchedule === true ? {} : { last_sync_at: at }),
      last_success_at: at,
      last_error: null,
      last_error_at: null,
    })
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    summary.error = message
    const at = now().toISOString()
    await updatePeerRow(db, peerId, {
      ...(options.keepSchedule === true ? {} : { last_sync_at: at }),
      last_error: message.slice(0, 2000),
      last_error_at: at,
    })
  } finally {
    clearInterval(renewal)
    await releasePeer(db, peerId, owner)
  }
  return summary
}

async function run(
  deps: SyncDeps,
  peer: FederationPeerRow,
  options: SyncOptions,
  summary: SyncOutcome,
  now: () => Date,
): Promise<void> {
  const db = deps.db
  const timeoutMs = deps.timeoutMs ?? 30_000
  const fetcher = deps.fetch ?? fetch
  const self = await thisInstance(db, deps.config)
  const auth = openCredentials(peer.credentials, loadSecretKey(deps.config), peer.id)
  const client = new TaxiiClient({
    auth,
    timeoutMs,
    headers: { [PROVENANCE_HEADER]: '1' },
    fetch: fetcher,
  })
  const root = await client.findApiRoot(peer.url)
  const apiBase = liaisonApiBase(root.url)
  const remote = await findRemoteInstance(apiBase, apiKeyOf(auth), timeoutMs, fetcher)
  if (remote !== null && remote.id === self.id) {
    throw new Error(`peer ${peer.name} is this instance itself`)
  }
  await updatePeerRow(db, peer.id, {
    api_root_url: root.url,
    remote_instance_id: remote?.id ?? null,
    remote_instance_name: remote?.name ?? null,
  })
  // Other TAXII servers have no instance id: the peer's own id stands in, so what came from it is
  // still recognised when it would go back.
  const remoteRef: InstanceRef = remote ?? { id: `peer:${peer.id}`, name: peer.name }
  const org = await findOrganisationById(db, peer.org_id)
  if (org === undefined) {
    throw new Error(`the organisation of peer ${peer.name} no longer exists`)
  }
  if (options.only !== 'push') {
    const label = pullLabelOf(peer)
    for (const collection of JSON.parse(peer.pull_collections) as string[]) {
      const pulled = await pullCollection(
        db,
        self,
        {
          sourceKey: peer.id,
          peerId: peer.id,
          client,
          apiRootUrl: root.url,
          collection,
          ownerOrgId: peer.org_id,
          label,
          pageSize: peer.page_size,
          fallback: { originInstance: remoteRef, originOrg: org.name, hops: [remoteRef] },
          source: `peer:${peer.name}`,
          actor: SYNC_ACTOR,
        },
        options.hooks,
        now,
      )
      summary.pulled.pages += pulled.pages
      summary.pulled.accepted += pulled.accepted
      summary.pulled.rejected += pulled.rejected
    }
    const token = apiKeyOf(auth)
    if (
      remote !== null &&
      apiBase !== null &&
      token !== null &&
      (JSON.parse(peer.pull_collections) as string[]).length > 0
    ) {
      summary.pulled.deleted += await pullDeletions(
        db,
        { sourceKey: peer.id, peerId: peer.id, ownerOrgId: peer.org_id, actor: SYNC_ACTOR },
        { url: new URL('federation/deletions', apiBase).toString(), token, timeoutMs, fetch: fetcher },
        now,
      )
    }
  }
  if (options.only !== 'pull' && peer.push_collection !== null) {
    const current = await findPeerById(db, peer.id)
    const pushed = await pushToPeer(
      db,
      self,
      {
        peerId: peer.id,
        target: {
          viewer: {
            kind: 'user',
            // Nobody of the peer is a named recipient here: TLP:RED never matches.
            userId: `peer:${peer.id}`,
            orgId: peer.org_id,
            groupIds: await findGroupIdsOfOrg(db, peer.org_id),
            peer: true,
          },
          instanceId: remoteRef.id,
        },
        client,
        apiRootUrl: root.url,
        collectionId: await client.resolveCollection(root.url, peer.push_collection),
        maxContentLength: root.maxContentLength,
        withProvenance: remote !== null,
        pageSize: peer.page_size,
        statusWaitMs: deps.statusWaitMs ?? 10_000,
        cursor: readAddedCursor(current?.push_cursor),
        deletionCursor: readDeletionCursor(current?.deletion_cursor),
      },
      now,
    )
    summary.pushed = pushed
  }
}
