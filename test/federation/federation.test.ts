import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { syncPeer } from '../../src/server/modules/federation/federation.sync.js'
import { createGroup } from '../../src/server/modules/group/group.service.js'
import { deleteOwnVersions } from '../../src/server/modules/intel/intel.delete.js'
import { createApiKey } from '../../src/server/modules/apikey/apikey.service.js'
import { createOrg, TEST_OPERATOR } from '../helpers/factories.js'
import {
  addPeer,
  createProducer,
  heldBy,
  indicator,
  labelsHeld,
  link,
  produce,
  receiptsOf,
  standFor,
  startInstance,
  sync,
  type Instance,
} from '../helpers/federation.js'
import { STORE_KINDS } from '../helpers/stores.js'
import { TaxiiClient } from '../helpers/taxii.js'
import { TLP2_MARKING_IDS } from '../../src/core/stix/stix.js'
import { OASIS_TLP2 } from '../helpers/stix.js'

describe.each(STORE_KINDS)('federation between live instances (%s)', (kind) => {
  let alpha: Instance
  let bravo: Instance
  let charlie: Instance
  /** A producer organisation on Alpha. */
  let producer: { orgId: string; userId: string; orgName: string }

  beforeAll(async () => {
    alpha = await startInstance(kind, 'Alpha')
    bravo = await startInstance(kind, 'Bravo')
    charlie = await startInstance(kind, 'Charlie')
    producer = await createProducer(alpha)
  }, 60_000)
  afterAll(async () => {
    await Promise.all([alpha.server.close(), bravo.server.close(), charlie.server.close()])
  })

  it('pulls a collection page by page with provenance and receipts; a second pull adds nothing', async () => {
    const objects = Array.from({ length: 12 }, () => indicator())
    await produce(alpha, producer, objects, { tlp: 'green', audience: 'federation' })
    const peer = await link(bravo, alpha, { pullCollections: ['federation'], pageSize: 5 })
    const summary = await sync(bravo, peer)
    expect(summary.error).toBeNull()
    expect(summary.pulled.pages).toBeGreaterThanOrEqual(3)
    const ids = objects.map((o) => o.id)
    const alphaOrg = bravo.orgFor.get('Alpha') ?? ''
    expect((await heldBy(bravo, alphaOrg, ids)).map((r) => r.id).sort()).toEqual([...ids].sort())
    const receipts = await receiptsOf(bravo, peer, ids)
    expect(receipts).toHaveLength(12)
    expect(new Set(receipts.map((r) => `${r.direction}/${r.status}`))).toEqual(new Set(['pull/accepted']))

    const provenance = await bravo.server.store.db
      .selectFrom('stix_provenance')
      .selectAll()
      .where('id', 'in', ids)
      .execute()
    expect(provenance).toHaveLength(12)
    for (const row of provenance) {
      expect(row.origin_instance_id).toBe(alpha.id)
      expect(row.origin_instance_name).toBe('Alpha')
      // Alpha's TAXII server told who made it (Liaison peers ask for provenance).
      expect(row.origin_org).toBe(producer.orgName)
      expect(JSON.parse(row.hops)).toEqual([{ id: alpha.id, name: 'Alpha' }])
      expect(row.peer_id).toBe(peer)
    }

    const again = await sync(bravo, peer)
    expect(again.error).toBeNull()
    expect(await heldBy(bravo, alphaOrg, ids)).toHaveLength(12)
    expect(await receiptsOf(bravo, peer, ids)).toHaveLength(12)
  })

  it('leaves a receipt on the serving instance for each version a peer reads from its TAXII server', async () => {
    const objects = Array.from({ length: 4 }, () => indicator())
    await produce(alpha, producer, objects, { tlp: 'green', audience: 'federation' })
    const kept = indicator()
    await produce(alpha, producer, [kept], { tlp: 'green', audience: 'community' })
    // Alpha knows Bravo as a peer: the organisation Bravo's client reads as stands for it.
    const bravoOnAlpha = await link(alpha, bravo)
    const peer = await link(bravo, alpha, { pullCollections: ['federation'], pageSize: 3 })
    expect((await sync(bravo, peer, { only: 'pull' })).error).toBeNull()
    const ids = objects.map((o) => o.id)
    const served = await receiptsOf(alpha, bravoOnAlpha, [...ids, kept.id])
    expect(served.map((r) => `${r.object_id} ${r.direction}/${r.status}`).sort()).toEqual(
      ids.map((id) => `${id} serve/sent`).sort(),
    )
    expect(served[0]?.reason).toMatch(/^read by the peer from TAXII collection /)
    // A reader that stands for no peer leaves none.
    const before = await alpha.server.store.db
      .selectFrom('federation_receipts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    const { token } = await createApiKey(alpha.server.store.db, TEST_OPERATOR, {
      name: 'local reader',
      userId: producer.userId,
    })
    const local = new TaxiiClient(alpha.server.url, token, 'bearer')
    const collections = await local.get<{ collections: { id: string; alias: string }[] }>(
      '/taxii2/liaison/collections/',
    )
    const federation = collections.body.collections.find((c) => c.alias === 'federation')
    const read = await local.get(`/taxii2/liaison/collections/${federation?.id ?? ''}/objects/`)
    expect(read.status).toBe(200)
    const after = await alpha.server.store.db
      .selectFrom('federation_receipts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    expect(Number(after.n)).toBe(Number(before.n))
  })

  it('reads on from the last object it got when the last page of a pull comes empty', async () => {
    // An instance of its own as the source, so that pages fall where this test says.
    const source = await startInstance(kind, 'Foxtrot')
    const reader = await startInstance(kind, 'Echo')
    try {
      const made = await createProducer(source)
      const live = Array.from({ length: 4 }, () => indicator())
      // Expired indicators leave the feed after paging: the second page of 9 comes empty (the first
      // holds the five TLP 2.0 marking definitions every collection has, and the live ones).
      const expired = Array.from({ length: 3 }, () => indicator({ valid_until: '2025-02-01T00:00:00.000Z' }))
      await produce(source, made, live, { tlp: 'green', audience: 'federation' })
      await produce(source, made, expired, { tlp: 'green', audience: 'federation' })
      const peer = await link(reader, source, { pullCollections: ['federation'], pageSize: 9 })
      const first = await sync(reader, peer, { only: 'pull' })
      expect(first.error).toBeNull()
      expect(first.pulled).toMatchObject({ pages: 2, accepted: 4 })
      const cursor = await reader.server.store.db
        .selectFrom('federation_pull_cursors')
        .select('added_after')
        .where('source_key', '=', peer)
        .where('collection', '=', 'federation')
        .executeTakeFirstOrThrow()
      expect(cursor.added_after).not.toBeNull()
      // Read on from the last object got: only the expired ones are after it (one empty page).
      const again = await sync(reader, peer, { only: 'pull' })
      expect(again.error).toBeNull()
      expect(again.pulled).toMatchObject({ pages: 1, accepted: 0 })
    } finally {
      await Promise.all([source.server.close(), reader.server.close()])
    }
  })

  it('sends a peer the TLP 2.0 marking definitions its objects name; a Liaison peer stores none, and no receipt names one', async () => {
    // Instances of their own: what each holds is this test's alone.
    const source = await startInstance(kind, 'Golf')
    const peerInstance = await startInstance(kind, 'Hotel')
    const definitionIds = Object.values(OASIS_TLP2).map((d) => d.id)
    const definitionsHeld = (instance: Instance) =>
      instance.server.store.db
        .selectFrom('stix_objects')
        .select('id')
        .where('type', '=', 'marking-definition')
        .execute()
    try {
      const made = await createProducer(source)
      const green = indicator()
      const clear = indicator()
      await produce(source, made, [green], { tlp: 'green', audience: 'federation' })
      await produce(source, made, [clear], { tlp: 'clear', audience: 'public' })
      const push = await link(source, peerInstance, { pushCollection: 'federation' })
      const pushed = await sync(source, push, { only: 'push' })
      expect(pushed.error).toBeNull()
      expect(pushed.pushed).toMatchObject({ considered: 2, sent: 2, accepted: 2, rejected: 0 })
      // The envelope carried the definitions of TLP:GREEN and TLP:CLEAR (and no other): the peer
      // answered a success for each, and stored nothing for them.
      const parts = await peerInstance.server.store.db
        .selectFrom('taxii_status_parts')
        .select(['successes', 'failures'])
        .execute()
      const successes = parts.flatMap(
        (p) => JSON.parse(p.successes) as { id: string; version: string; message?: string }[],
      )
      expect(parts.flatMap((p) => JSON.parse(p.failures) as unknown[])).toEqual([])
      const definitions = successes.filter((s) => definitionIds.includes(s.id))
      expect(definitions.map((s) => s.id).sort()).toEqual([OASIS_TLP2.clear.id, OASIS_TLP2.green.id].sort())
      for (const success of definitions) {
        expect(success.message).toMatch(/TLP 2.0 marking definition.*not stored/)
      }
      expect(await definitionsHeld(peerInstance)).toEqual([])
      const golfAtHotel = peerInstance.orgFor.get('Golf') ?? ''
      expect(await heldBy(peerInstance, golfAtHotel, [green.id, clear.id])).toHaveLength(2)
      expect(await receiptsOf(source, push, definitionIds)).toEqual([])
      expect((await receiptsOf(source, push, [green.id, clear.id])).map((r) => r.status)).toEqual([
        'accepted',
        'accepted',
      ])

      // Pulling, the peer reads the definitions every collection holds, and keeps none of them;
      // neither side has a receipt for them.
      const pull = await link(peerInstance, source, { pullCollections: ['federation'] })
      const pulled = await sync(peerInstance, pull, { only: 'pull' })
      expect(pulled.error).toBeNull()
      expect(await definitionsHeld(peerInstance)).toEqual([])
      expect(await receiptsOf(peerInstance, pull, definitionIds)).toEqual([])
      expect(await receiptsOf(source, push, definitionIds)).toEqual([])
    } finally {
      await Promise.all([source.server.close(), peerInstance.server.close()])
    }
  })

  it('pulls every version added since the last pull, not only the last one', async () => {
    const v1 = indicator()
    const v2 = { ...v1, modified: '2025-02-01T00:00:00.000Z', name: 'second version' }
    await produce(alpha, producer, [v1], { tlp: 'green', audience: 'federation' })
    await produce(alpha, producer, [v2], { tlp: 'green', audience: 'federation' })
    const peer = await link(bravo, alpha, { pullCollections: ['federation'] })
    expect((await sync(bravo, peer, { only: 'pull' })).error).toBeNull()
    const held = await heldBy(bravo, bravo.orgFor.get('Alpha') ?? '', [v1.id])
    expect(held.map((v) => `${v.modified} ${v.is_latest}`).sort()).toEqual([
      '2025-01-01T00:00:00.000Z 0',
      '2025-02-01T00:00:00.000Z 1',
    ])
    await link(bravo, alpha, { pullCollections: [] })
  })

  it('resumes a pull that died part way without losing or repeating an object', async () => {
    // A sharing group's collection holds only this test's objects.
    const group = await createGroup(alpha.server.store.db, TEST_OPERATOR, {
      name: `Crash ${Date.now()}`,
      ownerOrgId: producer.orgId,
      memberOrgIds: [await standFor(alpha, bravo)],
    })
    const objects = Array.from({ length: 23 }, () => indicator())
    await produce(alpha, producer, objects, {
      tlp: 'green',
      audience: 'group',
      sharingGroups: [group.group.id],
    })
    const owner = (await createOrg(bravo.server.store, { name: `Alpha groups ${Date.now()}` })).id
    const peer = await addPeer(bravo, alpha, {
      orgId: owner,
      pullCollections: [`group-${group.group.id}`],
      pageSize: 5,
    })
    const ids = objects.map((o) => o.id)

    const crashed = await sync(bravo, peer, {
      hooks: {
        inPage: (page) => {
          if (page === 4) {
            throw new Error('crash while storing page 4')
          }
        },
      },
    })
    expect(crashed.error).toContain('crash while storing page 4')
    // Pages 1 to 3 committed with their cursor (page 1: the five TLP 2.0 marking definitions every
    // collection has, which a pull does not store); page 4 rolled back whole.
    expect(await heldBy(bravo, owner, ids)).toHaveLength(10)
    expect(await receiptsOf(bravo, peer, ids)).toHaveLength(10)
    const peerRow = await bravo.server.store.db
      .selectFrom('federation_peers')
      .select(['last_error', 'lease_owner'])
      .where('id', '=', peer)
      .executeTakeFirstOrThrow()
    expect(peerRow.last_error).toContain('crash')
    expect(peerRow.lease_owner).toBeNull()

    const resumed = await sync(bravo, peer)
    expect(resumed.error).toBeNull()
    // The rest came, none twice.
    expect(resumed.pulled.accepted).toBe(13)
    const held = await heldBy(bravo, owner, ids)
    expect(held.map((r) => r.id).sort()).toEqual([...ids].sort())
    const receipts = await receiptsOf(bravo, peer, ids)
    expect(receipts).toHaveLength(23)
    expect(receipts.every((r) => r.status === 'accepted')).toBe(true)
    const imports = await bravo.server.store.db
      .selectFrom('stix_objects')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('owner_org_id', '=', owner)
      .executeTakeFirstOrThrow()
    expect(Number(imports.n)).toBe(23)
  })

  it('holds a peer while it syncs, renewing its short lease, and takes over one a dead process held', async () => {
    const peer = await link(bravo, alpha, { pullCollections: ['federation'] })
    const db = bravo.server.store.db
    const leaseOf = () =>
      db
        .selectFrom('federation_peers')
        .select(['lease_owner', 'lease_until'])
        .where('id', '=', peer)
        .executeTakeFirstOrThrow()
    const deps = { db, config: bravo.server.config, timeoutMs: 20_000, statusWaitMs: 20_000, leaseMs: 600 }
    // A process died holding the peer: refused while its lease lasts, taken over once it has run out.
    await db
      .updateTable('federation_peers')
      .set({ lease_owner: 'a process that died', lease_until: new Date(Date.now() + 600).toISOString() })
      .where('id', '=', peer)
      .execute()
    await expect(syncPeer(deps, peer, { only: 'pull' })).rejects.toMatchObject({ status: 409 })
    await sleep(700)
    // A slow peer: each request takes a while, and the sync renews its hold meanwhile.
    const held = new Set<string>()
    const slow: typeof fetch = async (input, init) => {
      await sleep(250)
      held.add((await leaseOf()).lease_until ?? 'none')
      return fetch(input, init)
    }
    const outcome = await syncPeer({ ...deps, fetch: slow }, peer, { only: 'pull' })
    expect(outcome.error).toBeNull()
    expect(held.has('none')).toBe(false)
    expect(held.size).toBeGreaterThan(1)
    expect(await leaseOf()).toEqual({ lease_owner: null, lease_until: null })
    await link(bravo, alpha, { pullCollections: [] })
  })

  it('pushes to each peer what the visibility rule lets it see, and names the rule for the rest', async () => {
    const bravoOrg = await standFor(alpha, bravo)
    const group = await createGroup(alpha.server.store.db, TEST_OPERATOR, {
      name: `Bravo circle ${Date.now()}`,
      ownerOrgId: producer.orgId,
      memberOrgIds: [bravoOrg],
    })
    const g = group.group.id
    const made = {
      red: indicator(),
      strict: indicator(),
      amber: indicator(),
      community: indicator(),
      federation: indicator(),
      public: indicator(),
      org: indicator(),
    }
    await produce(alpha, producer, [made.red], { tlp: 'red', audience: 'org', recipients: [producer.userId] })
    await produce(alpha, producer, [made.strict], {
      tlp: 'amber+strict',
      audience: 'group',
      sharingGroups: [g],
    })
    await produce(alpha, producer, [made.amber], { tlp: 'amber', audience: 'group', sharingGroups: [g] })
    await produce(alpha, producer, [made.community], { tlp: 'green', audience: 'community' })
    await produce(alpha, producer, [made.federation], { tlp: 'green', audience: 'federation' })
    await produce(alpha, producer, [made.public], { tlp: 'clear', audience: 'public' })
    await produce(alpha, producer, [made.org], { tlp: 'amber', audience: 'org' })
    const toBravo = await link(alpha, bravo, { pushCollection: 'federation' })
    const toCharlie = await link(alpha, charlie, { pushCollection: 'federation' })
    for (const peer of [toBravo, toCharlie]) {
      const summary = await sync(alpha, peer)
      expect(summary.error).toBeNull()
    }
    const ids = Object.values(made).map((o) => o.id)
    const outcome = async (peer: string) => {
      const receipts = await receiptsOf(alpha, peer, ids)
      return Object.fromEntries(
        Object.entries(made).map(([name, object]) => {
          const r = receipts.find((x) => x.object_id === object.id)
          return [name, r === undefined ? 'none' : `${r.status}${r.rule === null ? '' : ` ${r.rule}`}`]
        }),
      )
    }
    expect(await outcome(toBravo)).toEqual({
      red: 'filtered tlp-red-never-leaves',
      strict: 'accepted',
      amber: 'accepted',
      community: 'filtered audience-community-stays',
      federation: 'accepted',
      public: 'accepted',
      org: 'filtered audience-org-never-leaves',
    })
    expect(await outcome(toCharlie)).toEqual({
      red: 'filtered tlp-red-never-leaves',
      strict: 'filtered amber-strict-not-recipient',
      amber: 'filtered group-not-member',
      community: 'filtered audience-community-stays',
      federation: 'accepted',
      public: 'accepted',
      org: 'filtered audience-org-never-leaves',
    })
    const reasons = await receiptsOf(alpha, toCharlie, [made.red.id, made.strict.id, made.org.id])
    expect(reasons.map((r) => r.reason).sort()).toEqual(
      ['amber+strict: peer org not a recipient', 'audience org never leaves', 'tlp:red never leaves'].sort(),
    )
    // What arrived, and under which TLP: the label's marking travelled with each object.
    const byId = await labelsHeld(bravo, bravo.orgFor.get('Alpha') ?? '', ids)
    expect(byId.get(made.strict.id)).toBe('amber+strict/org')
    expect(byId.get(made.amber.id)).toBe('amber/org')
    expect(byId.get(made.federation.id)).toBe('green/federation')
    expect(byId.has(made.red.id)).toBe(false)
    expect(byId.has(made.community.id)).toBe(false)
    const atCharlie = await heldBy(charlie, charlie.orgFor.get('Alpha') ?? '', ids)
    expect(atCharlie.map((r) => r.id).sort()).toEqual([made.federation.id, made.public.id].sort())
  })

  it('pushes what a four-eyes release lets out once approved, though an earlier push passed it while held', async () => {
    const careful = await createProducer(alpha)
    const admin = await alpha.server.loginAsNewUser({ role: 'admin', orgId: careful.orgId })
    const on = await admin.client.patch(`/api/v1/organisations/${careful.orgId}`, {
      settings: { fourEyesRelease: true },
    })
    expect(on.status, on.text).toBe(200)
    const analyst = await alpha.server.loginAsNewUser({ role: 'analyst', orgId: careful.orgId })
    const object = indicator()
    const imported = await analyst.client.request<{ release: { id: string } | null }>(
      'POST',
      '/api/v1/intel/import?tlp=green&audience=federation',
      [object],
    )
    expect(imported.status, imported.text).toBe(200)
    const releaseId = imported.body.release?.id ?? ''
    expect(releaseId).not.toBe('')
    const toBravo = await link(alpha, bravo, { pushCollection: 'federation' })
    // Held, it stays: the push passes it with the rule that kept it.
    expect((await sync(alpha, toBravo, { only: 'push' })).error).toBeNull()
    expect((await receiptsOf(alpha, toBravo, [object.id])).map((r) => `${r.status} ${r.rule}`)).toEqual([
      'filtered audience-org-never-leaves',
    ])
    const alphaAtBravo = bravo.orgFor.get('Alpha') ?? ''
    expect(await heldBy(bravo, alphaAtBravo, [object.id])).toEqual([])

    const approved = await admin.client.post(`/api/v1/intel/releases/${releaseId}/approve`)
    expect(approved.status, approved.text).toBe(200)
    // Released, it is added for the federation now: the next push sends it.
    expect((await sync(alpha, toBravo, { only: 'push' })).error).toBeNull()
    expect((await receiptsOf(alpha, toBravo, [object.id])).map((r) => `${r.status} ${r.rule}`)).toEqual([
      'accepted null',
    ])
    expect((await heldBy(bravo, alphaAtBravo, [object.id])).map((r) => r.id)).toEqual([object.id])
  })

  it('takes back from a peer a version it was sent whose label has since tightened', async () => {
    const shared = indicator()
    await produce(alpha, producer, [shared], { tlp: 'green', audience: 'federation' })
    const toBravo = await link(alpha, bravo, { pushCollection: 'federation' })
    expect((await sync(alpha, toBravo, { only: 'push' })).error).toBeNull()
    const alphaAtBravo = bravo.orgFor.get('Alpha') ?? ''
    expect(await heldBy(bravo, alphaAtBravo, [shared.id])).toHaveLength(1)
    // The producer sends the same version again, now marked TLP:RED: it may no longer be at Bravo.
    await produce(alpha, producer, [{ ...shared, object_marking_refs: [TLP2_MARKING_IDS.red] }], {
      tlp: 'green',
      audience: 'federation',
    })
    const after = await sync(alpha, toBravo, { only: 'push' })
    expect(after.error).toBeNull()
    expect(await heldBy(bravo, alphaAtBravo, [shared.id])).toEqual([])
    const receipts = await receiptsOf(alpha, toBravo, [shared.id])
    expect(receipts.map((r) => `${r.action} ${r.status} ${r.rule ?? ''}`.trim()).sort()).toEqual([
      'delete accepted tlp-red-never-leaves',
      'object filtered tlp-red-never-leaves',
    ])
    expect(receipts.find((r) => r.action === 'delete')?.reason).toMatch(/^retracted at the peer: tlp:red/)
  })

  it('passes revocations and deletions on, by push and by pull', async () => {
    const pushed = indicator()
    const pulled = indicator()
    await produce(alpha, producer, [pushed, pulled], { tlp: 'green', audience: 'federation' })
    const toBravo = await link(alpha, bravo, { pushCollection: 'federation' })
    expect((await sync(alpha, toBravo)).error).toBeNull()
    const alphaAtBravo = bravo.orgFor.get('Alpha') ?? ''
    expect(await heldBy(bravo, alphaAtBravo, [pushed.id])).toHaveLength(1)

    // A revocation is a new version: it goes like any change.
    const revoked = { ...pushed, modified: '2025-06-01T00:00:00.000Z', revoked: true }
    await produce(alpha, producer, [revoked], { tlp: 'green', audience: 'federation' })
    expect((await sync(alpha, toBravo)).error).toBeNull()
    const versions = await heldBy(bravo, alphaAtBravo, [pushed.id])
    expect(versions.map((v) => [v.modified, v.revoked, v.is_latest])).toEqual([
      ['2025-01-01T00:00:00.000Z', 0, 0],
      ['2025-06-01T00:00:00.000Z', 1, 1],
    ])

    // A deletion reaches the peer that was sent the versions.
    await deleteOwnVersions(alpha.server.store.db, TEST_OPERATOR, {
      id: pushed.id,
      ownerOrgId: producer.orgId,
      modified: ['2025-01-01T00:00:00.000Z', '2025-06-01T00:00:00.000Z'],
    })
    const afterDelete = await sync(alpha, toBravo)
    expect(afterDelete.error).toBeNull()
    expect(afterDelete.pushed.deleted).toBe(2)
    expect(await heldBy(bravo, alphaAtBravo, [pushed.id])).toEqual([])
    const deletions = (await receiptsOf(alpha, toBravo, [pushed.id])).filter((r) => r.action === 'delete')
    expect(deletions.map((r) => r.status)).toEqual(['accepted', 'accepted'])

    // By pull: Bravo reads Alpha's deletion feed and deletes its copy.
    const fromAlpha = await addPeer(bravo, alpha, {
      orgId: (await createOrg(bravo.server.store)).id,
      pullCollections: ['federation'],
    })
    expect((await sync(bravo, fromAlpha)).error).toBeNull()
    const owner = (
      await bravo.server.store.db
        .selectFrom('federation_peers')
        .select('org_id')
        .where('id', '=', fromAlpha)
        .executeTakeFirstOrThrow()
    ).org_id
    expect(await heldBy(bravo, owner, [pulled.id])).toHaveLength(1)
    await deleteOwnVersions(alpha.server.store.db, TEST_OPERATOR, {
      id: pulled.id,
      ownerOrgId: producer.orgId,
      modified: ['2025-01-01T00:00:00.000Z'],
    })
    const afterPullDelete = await sync(bravo, fromAlpha)
    expect(afterPullDelete.error).toBeNull()
    expect(afterPullDelete.pulled.deleted).toBe(1)
    expect(await heldBy(bravo, owner, [pulled.id])).toEqual([])
    const pullDeletion = (await receiptsOf(bravo, fromAlpha, [pulled.id])).filter(
      (r) => r.action === 'delete',
    )
    expect(pullDeletion.map((r) => `${r.direction}/${r.status}`)).toEqual(['pull/accepted'])
  })

  it('never sends an object back round a ring of three instances', async () => {
    const ring = indicator()
    await produce(alpha, producer, [ring], { tlp: 'green', audience: 'federation' })
    const ab = await link(alpha, bravo, { pushCollection: 'federation' })
    const bc = await link(bravo, charlie, { pushCollection: 'federation' })
    const ca = await link(charlie, alpha, { pushCollection: 'federation' })
    expect((await sync(alpha, ab)).error).toBeNull()
    expect((await sync(bravo, bc)).error).toBeNull()
    const bravoAtCharlie = charlie.orgFor.get('Bravo') ?? ''
    expect(await heldBy(charlie, bravoAtCharlie, [ring.id])).toHaveLength(1)
    const atCharlie = await charlie.server.store.db
      .selectFrom('stix_provenance')
      .selectAll()
      .where('id', '=', ring.id)
      .executeTakeFirstOrThrow()
    expect(atCharlie.origin_instance_id).toBe(alpha.id)
    expect(JSON.parse(atCharlie.hops)).toEqual([
      { id: alpha.id, name: 'Alpha' },
      { id: bravo.id, name: 'Bravo' },
    ])
    const back = await sync(charlie, ca)
    expect(back.error).toBeNull()
    expect(await receiptsOf(charlie, ca, [ring.id])).toEqual([
      expect.objectContaining({ status: 'filtered', rule: 'loop', reason: 'loop: peer already in hops' }),
    ])
    // Alpha holds its own copy only.
    const copies = await alpha.server.store.db
      .selectFrom('stix_objects')
      .select('owner_org_id')
      .where('id', '=', ring.id)
      .execute()
    expect(copies.map((c) => c.owner_org_id)).toEqual([producer.orgId])
  })

  it('keeps TLP:AMBER+STRICT received from a peer with the receiving organisation, and never passes it on', async () => {
    // Alpha shares with Bravo's organisation there through a sharing group: one AMBER+STRICT, one AMBER.
    const bravoOrg = await standFor(alpha, bravo)
    const atAlpha = await createGroup(alpha.server.store.db, TEST_OPERATOR, {
      name: `Strict circle ${Date.now()}`,
      ownerOrgId: producer.orgId,
      memberOrgIds: [bravoOrg],
    })
    const made = { strict: indicator(), amber: indicator() }
    await produce(alpha, producer, [made.strict], {
      tlp: 'amber+strict',
      audience: 'group',
      sharingGroups: [atAlpha.group.id],
    })
    await produce(alpha, producer, [made.amber], {
      tlp: 'amber',
      audience: 'group',
      sharingGroups: [atAlpha.group.id],
    })
    // Bravo pulls that group's collection into a sharing group of its own, with Charlie in it.
    const alphaAtBravo = await standFor(bravo, alpha)
    const charlieAtBravo = await standFor(bravo, charlie)
    const atBravo = await createGroup(bravo.server.store.db, TEST_OPERATOR, {
      name: `Bravo circle ${Date.now()}`,
      ownerOrgId: alphaAtBravo,
      memberOrgIds: [charlieAtBravo],
    })
    const fromAlpha = await link(bravo, alpha, {
      pullCollections: [`group-${atAlpha.group.id}`],
      pullLabel: { tlp: 'green', audience: 'group', sharingGroups: [atBravo.group.id] },
    })
    expect((await sync(bravo, fromAlpha, { only: 'pull' })).error).toBeNull()
    const labels = (ids: string[]) => labelsHeld(bravo, alphaAtBravo, ids)
    const pulled = await labels([made.strict.id, made.amber.id])
    expect(pulled.get(made.strict.id)).toBe('amber+strict/org')
    expect(pulled.get(made.amber.id)).toBe('amber/group')
    const [strictReceipt, ...more] = await receiptsOf(bravo, fromAlpha, [made.strict.id])
    expect(more).toEqual([])
    expect(strictReceipt?.status).toBe('accepted')
    expect(strictReceipt?.reason).toMatch(/peer organisation only: TLP:AMBER\+STRICT/)

    // Alpha's TAXII client posts into Bravo's group collection: Alpha chose the group as recipients,
    // so the items are the group's; but they are recorded as received from Alpha.
    const posted = { strict: indicator(), amber: indicator() }
    const strictMarked = { ...posted.strict, object_marking_refs: [TLP2_MARKING_IDS['amber+strict']] }
    const client = new TaxiiClient(bravo.server.url, alpha.keyAt.get('Bravo') ?? '')
    const status = await client.postAndWait(`group-${atBravo.group.id}`, [strictMarked, posted.amber])
    expect(status.success_count, JSON.stringify(status)).toBe(2)
    const postedLabels = await labels([posted.strict.id, posted.amber.id])
    expect(postedLabels.get(posted.strict.id)).toBe('amber+strict/group')
    expect(postedLabels.get(posted.amber.id)).toBe('amber/group')
    const origins = await bravo.server.store.db
      .selectFrom('stix_provenance')
      .select(['id', 'origin_instance_id'])
      .where('id', 'in', [posted.strict.id, posted.amber.id])
      .execute()
    expect(origins.map((o) => o.origin_instance_id)).toEqual([alpha.id, alpha.id])
    // What a peer relays keeps the route it tells, with the peer itself put last when it left
    // itself off (it cannot hide that it passed the object on).
    const relayed = {
      ...indicator(),
      x_liaison_provenance: {
        origin_instance: { id: charlie.id, name: 'Charlie' },
        origin_org: 'Somebody at Charlie',
        hops: [{ id: charlie.id, name: 'Charlie' }],
      },
    }
    const relay = await client.postAndWait(`group-${atBravo.group.id}`, [relayed])
    expect(relay.success_count, JSON.stringify(relay)).toBe(1)
    const route = await bravo.server.store.db
      .selectFrom('stix_provenance')
      .select(['origin_instance_id', 'origin_org', 'hops'])
      .where('id', '=', relayed.id)
      .executeTakeFirstOrThrow()
    expect(route.origin_instance_id).toBe(charlie.id)
    expect(route.origin_org).toBe('Somebody at Charlie')
    expect((JSON.parse(route.hops) as { id: string }[]).map((h) => h.id)).toEqual([charlie.id, alpha.id])

    // Bravo pushes on to Charlie (in the group): AMBER goes, AMBER+STRICT never (pulled: kept for
    // the pulling organisation; posted: recipients chosen at the origin); nothing goes back to Alpha.
    const toCharlie = await link(bravo, charlie, { pushCollection: 'federation' })
    expect((await sync(bravo, toCharlie, { only: 'push' })).error).toBeNull()
    const all = [made.strict.id, made.amber.id, posted.strict.id, posted.amber.id]
    const outcome = new Map(
      (await receiptsOf(bravo, toCharlie, all)).map((r) => [r.object_id, `${r.status} ${r.rule}`]),
    )
    expect(outcome.get(made.strict.id)).toBe('filtered audience-org-never-leaves')
    expect(outcome.get(posted.strict.id)).toBe('filtered amber-strict-no-onward-sharing')
    expect(outcome.get(made.amber.id)).not.toMatch(/^filtered/)
    expect(outcome.get(posted.amber.id)).not.toMatch(/^filtered/)
    await link(bravo, alpha, { pullCollections: [], pushCollection: 'federation' })
    expect((await sync(bravo, fromAlpha, { only: 'push' })).error).toBeNull()
    const back = await receiptsOf(bravo, fromAlpha, [posted.amber.id])
    expect(back.filter((r) => r.direction === 'push')).toEqual([
      expect.objectContaining({ status: 'filtered', rule: 'loop' }),
    ])
    await link(bravo, alpha, { pushCollection: null })
  })

  it('cuts a pull loop: what an instance made does not come back to it through a peer', async () => {
    const made = indicator()
    await produce(alpha, producer, [made], { tlp: 'green', audience: 'federation' })
    // Bravo pulls from Alpha and shares on with its federation; Alpha then pulls from Bravo.
    const bravoFromAlpha = await link(bravo, alpha, {
      pullCollections: ['federation'],
      pullLabel: { audience: 'federation' },
    })
    expect((await sync(bravo, bravoFromAlpha)).error).toBeNull()
    const alphaFromBravo = await link(alpha, bravo, { pullCollections: ['federation'] })
    const back = await sync(alpha, alphaFromBravo, { only: 'pull' })
    expect(back.error).toBeNull()
    // Alpha's receipts for Bravo: Bravo read it from Alpha (serve), and it came back refused (pull).
    expect(
      (await receiptsOf(alpha, alphaFromBravo, [made.id])).sort((a, b) =>
        a.direction.localeCompare(b.direction),
      ),
    ).toEqual([
      expect.objectContaining({
        direction: 'pull',
        status: 'rejected',
        rule: 'loop',
        reason: 'loop: this instance already in hops',
      }),
      expect.objectContaining({ direction: 'serve', status: 'sent' }),
    ])
    expect(await heldBy(alpha, alpha.orgFor.get('Bravo') ?? '', [made.id])).toEqual([])
    await link(alpha, bravo, { pullCollections: [] })
    await link(bravo, alpha, { pullLabel: { audience: 'community' } })
  })
})
