import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { startFederationScheduler } from '../../src/server/modules/federation/federation.scheduler.js'
import { deleteOwnVersions } from '../../src/server/modules/intel/intel.delete.js'
import { createApiKey } from '../../src/server/modules/apikey/apikey.service.js'
import { createOrg, createUserWithPassword, TEST_OPERATOR } from '../helpers/factories.js'
import {
  createProducer,
  indicator,
  produce,
  receiptsOf,
  standFor,
  startInstance,
  type Instance,
} from '../helpers/federation.js'
import { errorCode, type ApiClient } from '../helpers/http.js'
import { STORE_KINDS } from '../helpers/stores.js'

interface PeerBody {
  id: string
  name: string
  credentials: string
  pushCollection: string | null
  receipts: { sent: number; accepted: number; rejected: number; filtered: number }
  lastError: string | null
  remoteInstance: { id: string; name: string } | null
}
interface ReceiptBody {
  objectId: string
  status: string
  rule: string | null
  reason: string | null
  direction: string
  action: string
}

describe.each(STORE_KINDS)('federation API (%s)', (kind) => {
  let alpha: Instance
  let bravo: Instance
  /** Alpha's instance admin, password changed. */
  let admin: ApiClient
  /** An analyst of another organisation on Alpha. */
  let outsider: ApiClient
  /** The producer on Alpha, logged in. */
  let producer: { orgId: string; userId: string; orgName: string }
  let producerClient: ApiClient
  let peerId: string
  let token: string
  const made = { red: indicator(), federation: indicator(), org: indicator() }

  beforeAll(async () => {
    alpha = await startInstance(kind, 'Alpha')
    bravo = await startInstance(kind, 'Bravo')
    admin = alpha.server.client()
    await admin.login(alpha.server.admin.email, alpha.server.admin.oneTimePassword)
    const changed = await admin.post('/api/v1/auth/password', {
      currentPassword: alpha.server.admin.oneTimePassword,
      newPassword: 'federation test passphrase',
    })
    expect(changed.status).toBe(200)
    outsider = (await alpha.server.loginAsNewUser({ role: 'analyst' })).client
    producer = await createProducer(alpha)
    const password = 'producer passphrase 1'
    const { user } = await createUserWithPassword(alpha.server.store, { orgId: producer.orgId, password })
    producerClient = alpha.server.client()
    await producerClient.login(user.email, password)
    await produce(alpha, producer, [made.red], { tlp: 'red', audience: 'org', recipients: [producer.userId] })
    await produce(alpha, producer, [made.federation], { tlp: 'green', audience: 'federation' })
    await produce(alpha, producer, [made.org], { tlp: 'amber', audience: 'org' })
    await standFor(bravo, alpha)
    token = alpha.keyAt.get('Bravo') ?? ''
  }, 60_000)
  afterAll(async () => {
    await Promise.all([alpha.server.close(), bravo.server.close()])
  })

  /** An organisation on Alpha with an analyst and that analyst's API key, as a client. */
  async function orgWithKey(name: string): Promise<{ orgId: string; userId: string; client: ApiClient }> {
    const orgId = (await createOrg(alpha.server.store, { name: `${name} ${Date.now()}` })).id
    const { user } = await createUserWithPassword(alpha.server.store, { orgId, role: 'analyst' })
    const { token: key } = await createApiKey(alpha.server.store.db, TEST_OPERATOR, {
      name: name.toLowerCase(),
      userId: user.id,
    })
    const client = alpha.server.client()
    client.bearer = key
    return { orgId, userId: user.id, client }
  }

  /** Makes an organisation of Alpha the one standing for a peer (Bravo's URL); returns the peer id. */
  async function standAsPeer(orgId: string, name: string): Promise<string> {
    const created = await admin.post<PeerBody>('/api/v1/federation/peers', {
      name: `${name} ${Date.now()}`,
      url: bravo.server.url,
      orgId,
      credentials: { kind: 'bearer', token },
    })
    expect(created.status, created.text).toBe(201)
    return created.body.id
  }

  async function removePeer(id: string): Promise<void> {
    const removed = await admin.request('DELETE', `/api/v1/federation/peers/${id}`)
    expect(removed.status, removed.text).toBeLessThan(300)
  }

  it('names this instance', async () => {
    const res = await outsider.get<{ id: string; name: string }>('/api/v1/federation/instance')
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ id: alpha.id, name: 'Alpha' })
  })

  it('lets instance admins alone add and change peers, and never returns credentials', async () => {
    const org = await createOrg(alpha.server.store, { name: 'Bravo on Alpha' })
    const body = {
      name: 'Bravo',
      url: bravo.server.url,
      orgId: org.id,
      credentials: { kind: 'bearer', token },
    }
    const refused = await outsider.post('/api/v1/federation/peers', body)
    expect(refused.status).toBe(403)
    expect(errorCode(refused)).toBe('forbidden')
    const created = await admin.post<PeerBody>('/api/v1/federation/peers', body)
    expect(created.status, created.text).toBe(201)
    expect(created.body.credentials).toBe('bearer')
    expect(created.text).not.toContain(token)
    peerId = created.body.id
    const twice = await admin.post('/api/v1/federation/peers', { ...body, name: 'Bravo again' })
    expect(twice.status).toBe(409)
    const stored = await alpha.server.store.db
      .selectFrom('federation_peers')
      .select('credentials')
      .where('id', '=', peerId)
      .executeTakeFirstOrThrow()
    expect(stored.credentials).not.toContain(token)
    expect(stored.credentials).toMatch(/^v1:bearer:/)

    const listed = await outsider.get<{ items: PeerBody[] }>('/api/v1/federation/peers')
    expect(listed.status).toBe(200)
    expect(listed.body.items.map((p) => p.name)).toEqual(['Bravo'])
    expect(listed.text).not.toContain(token)
    expect(
      (await outsider.patch(`/api/v1/federation/peers/${peerId}`, { pushCollection: 'federation' })).status,
    ).toBe(403)
    const changed = await admin.patch<PeerBody>(`/api/v1/federation/peers/${peerId}`, {
      pushCollection: 'federation',
    })
    expect(changed.status, changed.text).toBe(200)
    expect(changed.body.pushCollection).toBe('federation')
    const bad = await admin.patch(`/api/v1/federation/peers/${peerId}`, {
      pullLabel: { tlp: 'amber', audience: 'community' },
    })
    expect(bad.status).toBe(400)
    expect(bad.text).toContain('community-needs-clear-or-green')
  })

  it('syncs now on request and lists each receipt to those who may see its item', async () => {
    expect((await outsider.post(`/api/v1/federation/peers/${peerId}/sync`)).status).toBe(403)
    const synced = await admin.post<{
      error: string | null
      pushed: { considered: number; accepted: number; filtered: number }
    }>(`/api/v1/federation/peers/${peerId}/sync`)
    expect(synced.status, synced.text).toBe(200)
    expect(synced.body.error).toBeNull()
    // What the sync did, as the admin may know it: the two items kept home are not the admin's to see.
    expect(synced.body.pushed).toMatchObject({ considered: 1, accepted: 1, filtered: 0 })
    expect(synced.text).not.toContain(made.red.id)

    const mine = await producerClient.get<{ items: ReceiptBody[]; total: number }>(
      `/api/v1/federation/receipts?peerId=${peerId}`,
    )
    expect(mine.status).toBe(200)
    expect(mine.body.total).toBe(3)
    const byId = new Map(mine.body.items.map((r) => [r.objectId, r]))
    expect(byId.get(made.red.id)).toMatchObject({ status: 'filtered', rule: 'tlp-red-never-leaves' })
    expect(byId.get(made.org.id)).toMatchObject({ status: 'filtered', reason: 'audience org never leaves' })
    expect(byId.get(made.federation.id)).toMatchObject({
      status: 'accepted',
      direction: 'push',
      action: 'object',
    })

    // Another organisation, and the instance admin, see the receipt of what they may see, and no more:
    // not even the ids of the others, nor their count.
    for (const client of [outsider, admin]) {
      const theirs = await client.get<{ items: ReceiptBody[]; total: number }>(
        `/api/v1/federation/receipts?peerId=${peerId}`,
      )
      expect(theirs.body.total).toBe(1)
      expect(theirs.body.items.map((r) => r.objectId)).toEqual([made.federation.id])
      expect(theirs.text).not.toContain(made.red.id)
      expect(theirs.text).not.toContain(made.org.id)
      const filtered = await client.get<{ total: number }>(`/api/v1/federation/receipts?status=filtered`)
      expect(filtered.body.total).toBe(0)
      const peers = await client.get<{ items: PeerBody[] }>('/api/v1/federation/peers')
      expect(peers.body.items[0]?.receipts).toEqual({ sent: 0, accepted: 1, rejected: 0, filtered: 0 })
    }
    const peers = await producerClient.get<{ items: PeerBody[] }>('/api/v1/federation/peers')
    expect(peers.body.items[0]?.receipts).toEqual({ sent: 0, accepted: 1, rejected: 0, filtered: 2 })
    expect(peers.body.items[0]?.remoteInstance).toEqual({ id: bravo.id, name: 'Bravo' })

    // A second sync while one runs: 409.
    await alpha.server.store.db
      .updateTable('federation_peers')
      .set({ lease_owner: 'elsewhere', lease_until: new Date(Date.now() + 60_000).toISOString() })
      .where('id', '=', peerId)
      .execute()
    const busy = await admin.post(`/api/v1/federation/peers/${peerId}/sync`)
    expect(busy.status).toBe(409)
    expect(errorCode(busy)).toBe('conflict')
    await alpha.server.store.db
      .updateTable('federation_peers')
      .set({ lease_owner: null, lease_until: null })
      .where('id', '=', peerId)
      .execute()
  })

  it('starts a sync in the background with wait=false, and shows its outcome on the peer', async () => {
    expect((await outsider.post(`/api/v1/federation/peers/${peerId}/sync?wait=false`)).status).toBe(403)
    const unknown = await admin.post(`/api/v1/federation/peers/${randomUUID()}/sync?wait=false`)
    expect(unknown.status).toBe(404)
    const before = await admin.get<{ lastSyncAt: string | null }>(`/api/v1/federation/peers/${peerId}`)
    // Something new for the sync to carry, so that its outcome can be seen at Bravo.
    const fresh = indicator()
    await produce(alpha, producer, [fresh], { tlp: 'green', audience: 'federation' })
    const started = await admin.post<{ peerId: string; status: string }>(
      `/api/v1/federation/peers/${peerId}/sync?wait=false`,
    )
    expect(started.status, started.text).toBe(202)
    expect(started.body).toEqual({ peerId, status: 'started' })
    await expect
      .poll(
        async () =>
          (await admin.get<{ lastSyncAt: string | null }>(`/api/v1/federation/peers/${peerId}`)).body
            .lastSyncAt,
        { timeout: 20_000 },
      )
      .not.toBe(before.body.lastSyncAt)
    const peer = await admin.get<{ lastError: string | null }>(`/api/v1/federation/peers/${peerId}`)
    expect(peer.body.lastError).toBeNull()
    const atBravo = await bravo.server.store.db
      .selectFrom('stix_objects')
      .select('id')
      .where('id', '=', fresh.id)
      .execute()
    expect(atBravo).toHaveLength(1)
  })

  it('shows provenance in the object, the STIX export and the CSV export of the receiving instance', async () => {
    const reader = await bravo.server.loginAsNewUser({ role: 'analyst' })
    const detail = await reader.client.get<{
      provenance: { originInstance: { id: string; name: string }; originOrg: string; hops: unknown[] }
    }>(`/api/v1/intel/objects/${made.federation.id}`)
    expect(detail.status, detail.text).toBe(200)
    expect(detail.body.provenance).toEqual({
      originInstance: { id: alpha.id, name: 'Alpha' },
      originOrg: producer.orgName,
      hops: [{ id: alpha.id, name: 'Alpha' }],
    })
    const stix = await reader.client.get<{ objects: Record<string, unknown>[] }>(
      '/api/v1/intel/export?format=stix&type=indicator',
    )
    const exported = JSON.parse(stix.text) as { objects: Record<string, unknown>[] }
    const object = exported.objects.find((o) => o.id === made.federation.id)
    expect(object?.x_liaison_provenance).toEqual({
      origin_instance: { id: alpha.id, name: 'Alpha' },
      origin_org: producer.orgName,
      hops: [
        { id: alpha.id, name: 'Alpha' },
        { id: bravo.id, name: 'Bravo' },
      ],
    })
    const csv = await reader.client.get('/api/v1/intel/export?format=csv&type=indicator')
    const [header, ...lines] = csv.text.trim().split('\r\n')
    expect(header).toContain('origin_instance,origin_org,hops')
    const line = lines.find((l) => l.startsWith(made.federation.id))
    expect(line).toContain(`Alpha,${producer.orgName},Alpha`)
    // MISP: the attribute the indicator becomes carries machine tags naming origin and route; what
    // was made on Bravo itself carries none.
    const local = indicator()
    const imported = await reader.client.post('/api/v1/intel/import', {
      type: 'bundle',
      id: `bundle--${randomUUID()}`,
      objects: [local],
    })
    expect(imported.status, imported.text).toBe(200)
    const misp = await reader.client.get('/api/v1/intel/export?format=misp&type=indicator')
    expect(misp.status, misp.text).toBe(200)
    const events = (
      JSON.parse(misp.text) as {
        response: { Event: { Attribute?: { value: string; Tag?: { name: string }[] }[] } }[]
      }
    ).response
    const attributes = events.flatMap((e) => e.Event.Attribute ?? [])
    const federatedValue = /'([^']+)'/.exec(String(made.federation.pattern))?.[1]
    const federated = attributes.find((a) => a.value === federatedValue)
    expect(federated?.Tag?.map((t) => t.name)).toEqual(
      expect.arrayContaining([
        'liaison:origin-instance="Alpha"',
        `liaison:origin-org="${producer.orgName}"`,
        'liaison:route="Alpha → Bravo"',
      ]),
    )
    const localValue = /'([^']+)'/.exec(String(local.pattern))?.[1]
    const own = attributes.find((a) => a.value === localValue)
    expect(own).toBeDefined()
    expect((own?.Tag ?? []).filter((t) => t.name.startsWith('liaison:'))).toEqual([])
  })

  it('does not believe a provenance carried by content imported by hand: it is shown as made here', async () => {
    const reader = await bravo.server.loginAsNewUser({ role: 'analyst' })
    const forged = {
      ...indicator(),
      // Claims to have come from Alpha (Bravo's peer) by way of an instance that never sent it.
      x_liaison_provenance: {
        origin_instance: { id: alpha.id, name: 'Alpha' },
        origin_org: producer.orgName,
        hops: [{ id: alpha.id, name: 'Alpha' }],
      },
    }
    const imported = await reader.client.post('/api/v1/intel/import', {
      type: 'bundle',
      id: `bundle--${randomUUID()}`,
      objects: [forged],
    })
    expect(imported.status, imported.text).toBe(200)
    const detail = await reader.client.get<{
      provenance: { originInstance: { id: string }; hops: unknown[] }
    }>(`/api/v1/intel/objects/${forged.id}`)
    expect(detail.status, detail.text).toBe(200)
    expect(detail.body.provenance.originInstance.id).toBe(bravo.id)
    expect(detail.body.provenance.hops).toEqual([])
    const rows = await bravo.server.store.db
      .selectFrom('stix_provenance')
      .select('id')
      .where('id', '=', forged.id)
      .execute()
    expect(rows).toEqual([])
    // Nor is the claim kept in the stored object.
    const stored = await bravo.server.store.db
      .selectFrom('stix_objects')
      .select('json')
      .where('id', '=', forged.id)
      .executeTakeFirstOrThrow()
    expect(stored.json).not.toContain('x_liaison_provenance')
  })

  it('feeds deletions to those who could see what was deleted', async () => {
    for (const object of [made.federation, made.org]) {
      await deleteOwnVersions(alpha.server.store.db, TEST_OPERATOR, {
        id: object.id,
        ownerOrgId: producer.orgId,
        modified: ['2025-01-01T00:00:00.000Z'],
      })
    }
    const seen = await outsider.get<{ items: { id: string; version: string }[]; next: string | null }>(
      '/api/v1/federation/deletions',
    )
    expect(seen.status, seen.text).toBe(200)
    expect(seen.body.items.map((d) => d.id)).toEqual([made.federation.id])
    expect(seen.text).not.toContain(made.org.id)
    const own = await producerClient.get<{ items: { id: string }[] }>('/api/v1/federation/deletions')
    expect(own.body.items.map((d) => d.id).sort()).toEqual([made.federation.id, made.org.id].sort())
    const after = await outsider.get<{ items: unknown[]; next: string | null }>(
      `/api/v1/federation/deletions?after=${seen.body.next ?? ''}`,
    )
    expect(after.body.items).toEqual([])
    expect(after.body.next).toBe(seen.body.next)
    const bad = await outsider.get('/api/v1/federation/deletions?after=not-a-cursor')
    expect(bad.status).toBe(400)

    // The sync passes the deletion on to Bravo.
    const synced = await admin.post<{ pushed: { deleted: number } }>(
      `/api/v1/federation/peers/${peerId}/sync`,
    )
    expect(synced.body.pushed.deleted).toBe(1)
    const atBravo = await bravo.server.store.db
      .selectFrom('stix_objects')
      .select('id')
      .where('id', '=', made.federation.id)
      .execute()
    expect(atBravo).toEqual([])
  })

  it('prunes settled receipts and tombstones past their retention on the scheduler, keeps those still sent, and audits it', async () => {
    const db = alpha.server.store.db
    const receipts = await db
      .selectFrom('federation_receipts')
      .selectAll()
      .where('peer_id', '=', peerId)
      .execute()
    expect(receipts.length).toBeGreaterThanOrEqual(3)
    const [old, waiting, recent] = receipts
    if (old === undefined || waiting === undefined || recent === undefined) {
      throw new Error('receipts missing')
    }
    // Two receipts last changed 100 days ago: one settled, one still waiting for the peer's verdict.
    const longAgo = new Date(Date.now() - 100 * 24 * 3600_000).toISOString()
    const keyOf = (r: typeof old) =>
      db
        .updateTable('federation_receipts')
        .where('peer_id', '=', r.peer_id)
        .where('direction', '=', r.direction)
        .where('action', '=', r.action)
        .where('object_id', '=', r.object_id)
        .where('version', '=', r.version)
        .where('owner_org_id', '=', r.owner_org_id)
    await keyOf(old).set({ updated_at: longAgo, status: 'filtered' }).execute()
    await keyOf(waiting).set({ updated_at: longAgo, status: 'sent' }).execute()
    // And what the peer read from this instance long ago: sent, with no verdict to wait for.
    await db
      .insertInto('federation_receipts')
      .values({ ...old, direction: 'serve', status: 'sent', updated_at: longAgo })
      .execute()
    // An object the peer accepted long ago stays: the record of what it holds (its deletion follows it).
    const delivered = { ...old, object_id: `indicator--${randomUUID()}`, direction: 'push', action: 'object' }
    await db
      .insertInto('federation_receipts')
      .values({ ...delivered, status: 'accepted', updated_at: longAgo })
      .execute()
    // Tombstones: one of a deletion 400 days ago (past a year's retention), one of yesterday.
    const tombstone = (deletedAt: string) => ({
      deleted_at: deletedAt,
      id: `indicator--${randomUUID()}`,
      owner_org_id: old.owner_org_id,
      modified: '2025-01-01T00:00:00.000Z',
      type: 'indicator',
      label_id: old.label_id,
    })
    const ancient = tombstone(new Date(Date.now() - 400 * 24 * 3600_000).toISOString())
    const fresh = tombstone(new Date(Date.now() - 24 * 3600_000).toISOString())
    await db.insertInto('stix_deletions').values([ancient, fresh]).execute()
    const scheduler = startFederationScheduler(
      { db, config: alpha.server.config },
      pino({ level: 'silent' }),
      { tickMs: 50, receiptDays: 90, tombstoneDays: 365 },
    )
    try {
      await expect
        .poll(
          async () =>
            (
              await db
                .selectFrom('federation_receipts')
                .select('object_id')
                .where('peer_id', '=', peerId)
                .where('object_id', '=', old.object_id)
                .where('direction', 'in', [old.direction, 'serve'])
                .where('action', '=', old.action)
                .execute()
            ).length,
        )
        .toBe(0)
    } finally {
      await scheduler.close()
    }
    const left = await db
      .selectFrom('federation_receipts')
      .select(['object_id', 'direction', 'action', 'status'])
      .where('peer_id', '=', peerId)
      .execute()
    expect(left).toHaveLength(receipts.length)
    expect(left).toContainEqual({
      object_id: delivered.object_id,
      direction: 'push',
      action: 'object',
      status: 'accepted',
    })
    expect(left).toContainEqual({
      object_id: waiting.object_id,
      direction: waiting.direction,
      action: waiting.action,
      status: 'sent',
    })
    expect(left.map((r) => r.object_id)).toContain(recent.object_id)
    const audit = await db
      .selectFrom('audit_log')
      .select(['actor_type', 'details'])
      .where('action', '=', 'federation.receipts_pruned')
      .execute()
    expect(audit).toHaveLength(1)
    expect(audit[0]?.actor_type).toBe('system')
    expect(JSON.parse(String(audit[0]?.details))).toMatchObject({ deleted: 2, retentionDays: 90 })
    await expect
      .poll(async () =>
        (
          await db
            .selectFrom('stix_deletions')
            .select('id')
            .where('id', 'in', [ancient.id, fresh.id])
            .execute()
        ).map((r) => r.id),
      )
      .toEqual([fresh.id])
    const tombstonesAudit = await db
      .selectFrom('audit_log')
      .select(['actor_type', 'details'])
      .where('action', '=', 'intel.tombstones_pruned')
      .execute()
    expect(tombstonesAudit).toHaveLength(1)
    expect(JSON.parse(String(tombstonesAudit[0]?.details))).toMatchObject({ deleted: 1, retentionDays: 365 })
  })

  it('removes a peer with its receipts (instance admins)', async () => {
    expect((await outsider.delete(`/api/v1/federation/peers/${peerId}`)).status).toBe(403)
    expect((await admin.delete(`/api/v1/federation/peers/${peerId}`)).status).toBe(204)
    expect((await admin.get(`/api/v1/federation/peers/${peerId}`)).status).toBe(404)
    const left = await alpha.server.store.db
      .selectFrom('federation_receipts')
      .select('object_id')
      .where('peer_id', '=', peerId)
      .execute()
    expect(left).toEqual([])
  })

  it('syncs enabled peers on their interval when serve runs the scheduler', async () => {
    const org = await createOrg(alpha.server.store, { name: 'Bravo scheduled' })
    const created = await admin.post<PeerBody>('/api/v1/federation/peers', {
      name: 'Bravo scheduled',
      url: bravo.server.url,
      orgId: org.id,
      pushCollection: 'federation',
      intervalSeconds: 3600,
      credentials: { kind: 'bearer', token },
    })
    expect(created.status, created.text).toBe(201)
    const paused = await admin.post<PeerBody>('/api/v1/federation/peers', {
      name: 'Bravo paused',
      url: bravo.server.url,
      orgId: (await createOrg(alpha.server.store, { name: 'Bravo paused' })).id,
      enabled: false,
      credentials: { kind: 'bearer', token },
    })
    const log = pino({ level: 'silent' })
    const scheduler = startFederationScheduler(
      { db: alpha.server.store.db, config: alpha.server.config },
      log,
      {
        tickMs: 50,
        pushSoonMs: 200,
      },
    )
    try {
      await expect
        .poll(
          async () =>
            (
              await admin.get<PeerBody & { lastSyncAt: string | null }>(
                `/api/v1/federation/peers/${created.body.id}`,
              )
            ).body.lastSyncAt,
          {
            timeout: 20_000,
          },
        )
        .not.toBeNull()
      const first = (await admin.get<{ lastSyncAt: string }>(`/api/v1/federation/peers/${created.body.id}`))
        .body.lastSyncAt
      await new Promise((resolve) => setTimeout(resolve, 300))
      // Not due again for an hour; a disabled peer is never synced by the scheduler.
      expect(
        (await admin.get<{ lastSyncAt: string }>(`/api/v1/federation/peers/${created.body.id}`)).body
          .lastSyncAt,
      ).toBe(first)
      expect(
        (await admin.get<{ lastSyncAt: string | null }>(`/api/v1/federation/peers/${paused.body.id}`)).body
          .lastSyncAt,
      ).toBeNull()
      // Shared meanwhile: pushed soon after, not an hour later, and the next sync stays when it was.
      const fresh = indicator()
      await produce(alpha, producer, [fresh], { tlp: 'green', audience: 'federation' })
      // (Other peers of Alpha may push to Bravo too: this peer's own receipt says it went by it.)
      await expect
        .poll(
          async () =>
            (await receiptsOf(alpha, created.body.id, [fresh.id])).map((r) => `${r.direction}/${r.status}`),
          { timeout: 20_000 },
        )
        .toEqual(['push/accepted'])
      expect(
        (await admin.get<{ lastSyncAt: string }>(`/api/v1/federation/peers/${created.body.id}`)).body
          .lastSyncAt,
      ).toBe(first)
    } finally {
      await scheduler.close()
    }
  })

  it('keeps community items from an organisation once it stands for a peer, on the API and over TAXII', async () => {
    const community = indicator()
    const federation = indicator()
    await produce(alpha, producer, [community], { tlp: 'green', audience: 'community' })
    await produce(alpha, producer, [federation], { tlp: 'green', audience: 'federation' })
    // An organisation on Alpha with a key: first an ordinary member of Alpha's community.
    const { orgId, client } = await orgWithKey('Delta')
    const seen = async (): Promise<{ api: Set<string>; taxii: Set<string> }> => {
      const api = await client.get<{ items: { object: { id: string } }[] }>(
        '/api/v1/intel/objects?type=indicator&limit=500',
      )
      expect(api.status, api.text).toBe(200)
      const taxii = new Set<string>()
      for (const collection of ['community', 'federation']) {
        const res = await client.request<{ objects?: { id: string }[] }>(
          'GET',
          `/taxii2/liaison/collections/${collection}/objects/?limit=1000`,
          undefined,
          { accept: 'application/taxii+json;version=2.1' },
        )
        expect([200, 404], res.text).toContain(res.status)
        for (const o of res.body.objects ?? []) {
          taxii.add(o.id)
        }
      }
      return { api: new Set(api.body.items.map((o) => o.object.id)), taxii }
    }
    const before = await seen()
    expect(before.api.has(community.id)).toBe(true)
    expect(before.taxii.has(community.id)).toBe(true)
    // The organisation becomes the one standing for a peer: community items stay home.
    const peer = await standAsPeer(orgId, 'Delta')
    const after = await seen()
    expect(after.api.has(community.id)).toBe(false)
    expect(after.taxii.has(community.id)).toBe(false)
    expect(after.api.has(federation.id)).toBe(true)
    expect(after.taxii.has(federation.id)).toBe(true)
    const detail = await client.get(`/api/v1/intel/objects/${community.id}`)
    expect(detail.status).toBe(404)
    await removePeer(peer)
  })

  it('never lets TLP:RED leave through a peer: not even to a named user of its organisation, and refuses to name one', async () => {
    // A user of an ordinary organisation, named on a red object; then that organisation becomes the
    // one standing for a peer (its key is that peer's TAXII client).
    const { orgId, userId, client } = await orgWithKey('Echo')
    const red = indicator()
    await produce(alpha, producer, [red], {
      tlp: 'red',
      audience: 'org',
      recipients: [producer.userId, userId],
    })
    const taxiiIds = async (): Promise<string[]> => {
      const res = await client.request<{ objects?: { id: string }[] }>(
        'GET',
        `/taxii2/liaison/collections/organisation/objects/?limit=1000`,
        undefined,
        { accept: 'application/taxii+json;version=2.1' },
      )
      expect([200, 404], res.text).toContain(res.status)
      return (res.body.objects ?? []).map((o) => o.id)
    }
    expect((await client.get(`/api/v1/intel/objects/${red.id}`)).status).toBe(200)
    expect(await taxiiIds()).toContain(red.id)
    const peer = await standAsPeer(orgId, 'Echo')
    expect((await client.get(`/api/v1/intel/objects/${red.id}`)).status).toBe(404)
    expect(await taxiiIds()).not.toContain(red.id)
    const search = await client.get<{ items: { object: { id: string } }[] }>(
      `/api/v1/intel/objects?type=indicator&limit=500`,
    )
    expect(search.body.items.map((o) => o.object.id)).not.toContain(red.id)
    // Naming a user of a peer's organisation on a new red object is refused, with the rule.
    const named = await producerClient.post(
      `/api/v1/intel/import?tlp=red&recipient=${userId}&recipient=${producer.userId}`,
      { type: 'bundle', id: `bundle--${randomUUID()}`, objects: [indicator()] },
    )
    expect(named.status, named.text).toBe(400)
    expect(named.text).toMatch(/red-is-for-named-recipients-only/)
    await removePeer(peer)
  })
})
