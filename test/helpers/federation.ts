import { randomUUID } from 'node:crypto'
import type { CreatePeerInput, UpdatePeerInput } from '../../src/core/federation/federation.schema.js'
import type { StixObject } from '../../src/core/stix/stix.js'
import type { Audience, Tlp } from '../../src/core/trust/label.js'
import { createApiKey } from '../../src/server/modules/apikey/apikey.service.js'
import type { PullHooks } from '../../src/server/modules/federation/federation.pull.js'
import { createPeer, updatePeer } from '../../src/server/modules/federation/federation.service.js'
import { syncPeer, type SyncOutcome } from '../../src/server/modules/federation/federation.sync.js'
import { findGroupIdsOfOrg } from '../../src/server/modules/group/group.repository.js'
import { importContent } from '../../src/server/modules/intel/intel.service.js'
import type { StoreKind } from '../../src/server/config.js'
import { createOrg, createUserWithPassword, TEST_OPERATOR } from './factories.js'
import { startTestServer, type TestServer } from './server.js'

/** One live instance of a federation test, with the organisations that stand for its peers. */
export interface Instance {
  readonly name: string
  readonly server: TestServer
  /** Its stable instance id. */
  readonly id: string
  /** Local organisation standing for each peer instance, by the peer's name (made on first use). */
  readonly orgFor: Map<string, string>
  /** An API key on each peer instance (of a user of the organisation that stands for this one there). */
  readonly keyAt: Map<string, string>
  /** Its peer for each other instance made by {@link link}, by that instance's name. */
  readonly peers: Map<string, string>
}

/** Starts an instance named `name` (its `LIAISON_INSTANCE_NAME`). */
export async function startInstance(kind: StoreKind, name: string): Promise<Instance> {
  const server = await startTestServer(kind, { LIAISON_INSTANCE_NAME: name })
  const row = await server.store.db.selectFrom('instance_identity').select('id').executeTakeFirstOrThrow()
  return { name, server, id: row.id, orgFor: new Map(), keyAt: new Map(), peers: new Map() }
}

/** The organisation on `host` that stands for `peer` (made on first use, with an analyst and an API key for `peer`). */
export async function standFor(host: Instance, peer: Instance): Promise<string> {
  const known = host.orgFor.get(peer.name)
  if (known !== undefined) {
    return known
  }
  const org = await createOrg(host.server.store, { name: `${peer.name} peer ${randomUUID().slice(0, 6)}` })
  const { user } = await createUserWithPassword(host.server.store, { orgId: org.id, role: 'analyst' })
  const { token } = await createApiKey(host.server.store.db, TEST_OPERATOR, {
    name: `federation from ${peer.name}`,
    userId: user.id,
  })
  host.orgFor.set(peer.name, org.id)
  peer.keyAt.set(host.name, token)
  return org.id
}

/** Adds on `from` a peer for `to` (both organisations made as needed); returns the peer id. */
export async function addPeer(
  from: Instance,
  to: Instance,
  options: Partial<CreatePeerInput> & { orgId?: string } = {},
): Promise<string> {
  const orgId = options.orgId ?? (await standFor(from, to))
  await standFor(to, from)
  const token = from.keyAt.get(to.name) ?? ''
  const row = await createPeer(from.server.store.db, TEST_OPERATOR, from.server.config, {
    name: `${to.name} ${randomUUID().slice(0, 6)}`,
    url: to.server.url,
    pullCollections: [],
    pushCollection: null,
    credentials: { kind: 'bearer', token },
    ...options,
    orgId,
  })
  return row.id
}

/**
 * The peer on `from` for `to` (one per pair, made on first use), configured as given: the pull
 * collections, push collection and page size of the test that calls it.
 */
export async function link(from: Instance, to: Instance, settings: UpdatePeerInput = {}): Promise<string> {
  let peerId = from.peers.get(to.name)
  if (peerId === undefined) {
    peerId = await addPeer(from, to)
    from.peers.set(to.name, peerId)
  }
  if (Object.keys(settings).length > 0) {
    await updatePeer(from.server.store.db, TEST_OPERATOR, from.server.config, peerId, settings)
  }
  return peerId
}

/** Syncs a peer of an instance (as the scheduler would); the POST wait is short but enough on loopback. */
export async function sync(
  instance: Instance,
  peerId: string,
  options: { only?: 'pull' | 'push'; hooks?: PullHooks } = {},
): Promise<SyncOutcome> {
  return syncPeer(
    { db: instance.server.store.db, config: instance.server.config, timeoutMs: 20_000, statusWaitMs: 20_000 },
    peerId,
    options,
  )
}

/** A producer organisation on an instance with a user, ready to import. */
export async function createProducer(
  instance: Instance,
): Promise<{ orgId: string; userId: string; orgName: string }> {
  const org = await createOrg(instance.server.store, { name: `Producer ${randomUUID().slice(0, 6)}` })
  const { user } = await createUserWithPassword(instance.server.store, { orgId: org.id, role: 'analyst' })
  return { orgId: org.id, userId: user.id, orgName: org.name }
}

export { indicator } from './stix.js'

/** Imports objects on an instance as a producer, under one label. */
export async function produce(
  instance: Instance,
  producer: { orgId: string; userId: string },
  objects: readonly StixObject[],
  label: { tlp: Tlp; audience: Audience; sharingGroups?: string[]; recipients?: string[] },
): Promise<void> {
  await importContent(
    instance.server.store.db,
    {
      actor: TEST_OPERATOR,
      orgId: producer.orgId,
      groupIds: await findGroupIdsOfOrg(instance.server.store.db, producer.orgId),
      userId: producer.userId,
    },
    [...objects],
    { format: 'stix', label, skipInvalid: false, source: 'federation-test' },
  )
}

/** The versions (id, modified, revoked, latest) an organisation holds of some objects. */
export async function heldBy(
  instance: Instance,
  orgId: string,
  ids: readonly string[],
): Promise<{ id: string; modified: string; revoked: number; is_latest: number }[]> {
  if (ids.length === 0) {
    return []
  }
  return instance.server.store.db
    .selectFrom('stix_objects')
    .select(['id', 'modified', 'revoked', 'is_latest'])
    .where('owner_org_id', '=', orgId)
    .where('id', 'in', [...ids])
    .orderBy('id')
    .orderBy('modified')
    .execute()
}

/** The labels an organisation holds some objects under, as `tlp/audience` by object id. */
export async function labelsHeld(
  instance: Instance,
  orgId: string,
  ids: readonly string[],
): Promise<Map<string, string>> {
  if (ids.length === 0) {
    return new Map()
  }
  const rows = await instance.server.store.db
    .selectFrom('stix_objects as s')
    .innerJoin('labels as l', 'l.id', 's.label_id')
    .select(['s.id', 'l.tlp', 'l.audience'])
    .where('s.owner_org_id', '=', orgId)
    .where('s.id', 'in', [...ids])
    .execute()
  return new Map(rows.map((r) => [r.id, `${r.tlp}/${r.audience}`]))
}

/** The receipts a peer has of some objects. */
export async function receiptsOf(
  instance: Instance,
  peerId: string,
  ids: readonly string[],
): Promise<
  {
    object_id: string
    version: string
    direction: string
    action: string
    status: string
    rule: string | null
    reason: string | null
  }[]
> {
  if (ids.length === 0) {
    return []
  }
  return instance.server.store.db
    .selectFrom('federation_receipts')
    .select(['object_id', 'version', 'direction', 'action', 'status', 'rule', 'reason'])
    .where('peer_id', '=', peerId)
    .where('object_id', 'in', [...ids])
    .orderBy('object_id')
    .orderBy('version')
    .orderBy('action')
    .execute()
}
