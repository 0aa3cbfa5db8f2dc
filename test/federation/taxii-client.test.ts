import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CreatePeerInput } from '../../src/core/federation/federation.schema.js'
import { runCli } from '../../src/cli/main.js'
import type { Output } from '../../src/cli/output.js'
import { findPeerById } from '../../src/server/modules/federation/federation.repository.js'
import { createPeer, updatePeer } from '../../src/server/modules/federation/federation.service.js'
import { deleteOwnVersions } from '../../src/server/modules/intel/intel.delete.js'
import { FakeTaxiiServer } from '../helpers/fake-taxii.js'
import { createOrg, createUserWithPassword, TEST_OPERATOR } from '../helpers/factories.js'
import { TLP2_MARKING_IDS } from '../../src/core/stix/stix.js'
import {
  createProducer,
  heldBy,
  indicator,
  produce,
  receiptsOf,
  startInstance,
  sync,
  type Instance,
} from '../helpers/federation.js'
import { OASIS_TLP2 } from '../helpers/stix.js'
import { STORE_KINDS } from '../helpers/stores.js'

/** Runs the CLI in this process against an instance's store; returns the exit code and what it printed. */
async function cli(
  instance: Instance,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const output: Output = { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) }
  const code = await runCli(
    ['node', 'liaison', ...args],
    {
      ...instance.server.location.env,
      LIAISON_LOG_LEVEL: 'silent',
      LIAISON_INSTANCE_NAME: instance.name,
      ...env,
    },
    output,
  )
  return { code, out, err }
}

describe.each(STORE_KINDS)('the TAXII client against another vendor’s server (%s)', (kind) => {
  let delta: Instance
  let fake: FakeTaxiiServer

  beforeAll(async () => {
    delta = await startInstance(kind, 'Delta')
    fake = new FakeTaxiiServer('feeder', 'feed password')
    await fake.start()
  })
  afterAll(async () => {
    await fake.close()
    await delta.server.close()
  })

  /** A peer on Delta for the fake vendor's server, standing for an organisation of its own. */
  async function fakeVendor(
    name: string,
    settings: Pick<CreatePeerInput, 'pullCollections' | 'pushCollection'> & Partial<CreatePeerInput>,
  ): Promise<{ org: { id: string }; peer: string }> {
    const org = await createOrg(delta.server.store, { name })
    const { id: peer } = await createPeer(delta.server.store.db, TEST_OPERATOR, delta.server.config, {
      name,
      orgId: org.id,
      url: `${fake.url}/taxii2/`,
      credentials: { kind: 'basic', username: 'feeder', password: 'feed password' },
      ...settings,
    })
    return { org, peer }
  }

  it('pulls with liaison taxii pull (Basic, discovery elsewhere, added_after paging), resumes, never twice', async () => {
    const objects = Array.from({ length: 10 }, () => indicator())
    fake.add(objects)
    const org = await createOrg(delta.server.store, { name: 'Feed owner' })
    const args = [
      'taxii',
      'pull',
      `${fake.url}/taxii2/`,
      '--collection',
      'Indicators',
      '--org',
      org.name,
      '--user',
      'feeder',
      '--page-size',
      '4',
      '--json',
    ]
    const env = { LIAISON_TAXII_PASSWORD: 'feed password' }
    const wrong = await cli(delta, args, { LIAISON_TAXII_PASSWORD: 'wrong' })
    expect(wrong.code).toBe(1)
    expect(wrong.err).toContain('HTTP 401')

    const first = await cli(delta, [...args, '--max-pages', '2'], env)
    expect(first.code, first.err).toBe(0)
    expect(JSON.parse(first.out)).toMatchObject({ pages: 2, accepted: 8, rejected: 0, complete: false })
    const ids = objects.map((o) => o.id)
    expect(await heldBy(delta, org.id, ids)).toHaveLength(8)

    const rest = await cli(delta, args, env)
    expect(rest.code, rest.err).toBe(0)
    expect(JSON.parse(rest.out)).toMatchObject({ accepted: 2, complete: true })
    expect((await heldBy(delta, org.id, ids)).map((r) => r.id).sort()).toEqual([...ids].sort())

    const again = await cli(delta, args, env)
    expect(JSON.parse(again.out)).toMatchObject({ accepted: 0, complete: true })
    const rows = await delta.server.store.db
      .selectFrom('stix_objects')
      .select(['id', 'json'])
      .where('owner_org_id', '=', org.id)
      .execute()
    expect(rows).toHaveLength(10)
    const provenance = await delta.server.store.db
      .selectFrom('stix_provenance')
      .selectAll()
      .where('owner_org_id', '=', org.id)
      .execute()
    expect(provenance).toHaveLength(10)
    expect(provenance[0]?.origin_instance_id).toBe(`taxii:${fake.url}/feeds/`)
    expect(provenance[0]?.origin_org).toBe('Fake feeds')
    expect(fake.unexpected).toEqual([])
  })

  it('syncs a peer that is not Liaison: pulls, pushes without Liaison properties, never sends back what it got', async () => {
    const fromFake = Array.from({ length: 3 }, () => indicator())
    fake.add(fromFake)
    const producer = await createProducer(delta)
    const local = indicator()
    await produce(delta, producer, [local], { tlp: 'green', audience: 'federation' })
    const { org, peer } = await fakeVendor('Fake vendor', {
      pullCollections: ['Indicators'],
      pushCollection: fake.collectionId,
      pullLabel: { audience: 'federation' },
    })
    const summary = await sync(delta, peer)
    expect(summary.error).toBeNull()
    expect(
      await heldBy(
        delta,
        org.id,
        fromFake.map((o) => o.id),
      ),
    ).toHaveLength(3)
    // What came from the fake server stays; what was made here went, as it was made (plus its TLP marking).
    const back = await receiptsOf(
      delta,
      peer,
      fromFake.map((o) => o.id),
    )
    expect(back.filter((r) => r.direction === 'push').map((r) => `${r.status} ${r.rule ?? ''}`)).toEqual([
      'filtered loop',
      'filtered loop',
      'filtered loop',
    ])
    const sent = fake.posted.find((o) => o.id === local.id)
    expect(sent).toBeDefined()
    expect(sent?.x_liaison_provenance).toBeUndefined()
    expect(sent?.object_marking_refs).toEqual(['marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb'])
    expect(await receiptsOf(delta, peer, [local.id])).toEqual([
      expect.objectContaining({ direction: 'push', status: 'accepted' }),
    ])

    await deleteOwnVersions(delta.server.store.db, TEST_OPERATOR, {
      id: local.id,
      ownerOrgId: producer.orgId,
      modified: ['2025-01-01T00:00:00.000Z'],
    })
    expect((await sync(delta, peer)).error).toBeNull()
    expect(fake.deleted).toEqual([local.id])
    expect(fake.unexpected).toEqual([])
  })

  it('opens each pushed envelope with the TLP 2.0 marking definitions its objects name, once each, as OASIS wrote them', async () => {
    const producer = await createProducer(delta)
    const green = indicator()
    const clear = indicator()
    await produce(delta, producer, [green], { tlp: 'green', audience: 'federation' })
    await produce(delta, producer, [clear], { tlp: 'clear', audience: 'public' })
    // A copy of TLP:GREEN's definition imported with content goes as one of the objects: the
    // envelope still holds the definition once.
    const withCopy = indicator()
    await produce(delta, producer, [OASIS_TLP2.green, withCopy], { tlp: 'green', audience: 'federation' })
    const { peer } = await fakeVendor('Marking reader', {
      pullCollections: [],
      pushCollection: fake.collectionId,
    })
    const before = fake.envelopes.length
    expect((await sync(delta, peer)).error).toBeNull()
    // This peer is sent everything Delta may push it (earlier tests' objects too): every envelope
    // must resolve its own TLP 2.0 markings.
    const envelopes = fake.envelopes.slice(before)
    const definitions = new Map(Object.values(OASIS_TLP2).map((d) => [d.id, d]))
    for (const envelope of envelopes) {
      const ids = envelope.map((o) => String(o.id))
      const named = new Set(
        envelope.flatMap((o) =>
          (Array.isArray(o.object_marking_refs) ? (o.object_marking_refs as string[]) : []).filter((ref) =>
            definitions.has(ref),
          ),
        ),
      )
      expect(named.size).toBeGreaterThan(0)
      // Exactly the definitions named, each once, before everything that names it.
      expect(ids.filter((id) => definitions.has(id)).sort()).toEqual([...named].sort())
      for (const ref of named) {
        const at = ids.indexOf(ref)
        expect(envelope[at]).toEqual(definitions.get(ref))
        const firstNaming = envelope.findIndex(
          (o) => Array.isArray(o.object_marking_refs) && o.object_marking_refs.includes(ref),
        )
        expect(at).toBeLessThan(firstNaming)
      }
    }
    const carrying = (id: string) => envelopes.find((e) => e.some((o) => o.id === id)) ?? []
    expect(carrying(green.id).map((o) => o.id)).toContain(OASIS_TLP2.green.id)
    expect(carrying(clear.id).map((o) => o.id)).toContain(OASIS_TLP2.clear.id)
    // Only the imported copy has a receipt (it is an object of Delta's); the definitions sent with
    // the objects have none.
    const receipts = await receiptsOf(
      delta,
      peer,
      Object.values(OASIS_TLP2).map((d) => d.id),
    )
    expect(receipts.map((r) => `${r.object_id} ${r.status}`)).toEqual([`${OASIS_TLP2.green.id} accepted`])
    expect(fake.unexpected).toEqual([])
  })

  it('keeps the backlog when the peer refuses a push for its permissions, and one refused object takes no other with it', async () => {
    const producer = await createProducer(delta)
    const made = Array.from({ length: 5 }, () => indicator())
    await produce(delta, producer, made, { tlp: 'green', audience: 'federation' })
    const { peer } = await fakeVendor('Fussy vendor', {
      pullCollections: [],
      pushCollection: fake.collectionId,
    })
    const ids = made.map((o) => o.id)
    // The account may not write to the collection (yet): the push stops, nothing is marked done.
    fake.refusePosts = 403
    const refused = await sync(delta, peer)
    expect(refused.error).toMatch(/403/)
    expect(await receiptsOf(delta, peer, ids)).toEqual([])
    // Fixed at the peer; one object it will not take: the rest go, that one is rejected with its words.
    fake.refusePosts = null
    const bad = made[2]?.id ?? ''
    fake.refuseObjects.add(bad)
    const done = await sync(delta, peer)
    expect(done.error).toBeNull()
    const receipts = await receiptsOf(delta, peer, ids)
    expect(
      receipts
        .filter((r) => r.status === 'accepted')
        .map((r) => r.object_id)
        .sort(),
    ).toEqual(ids.filter((id) => id !== bad).sort())
    expect(receipts.find((r) => r.object_id === bad)).toMatchObject({
      status: 'rejected',
      rule: 'peer-refused',
      reason: expect.stringContaining('not acceptable here') as unknown,
    })
    expect(
      fake.posted
        .filter((o) => ids.includes(String(o.id)))
        .map((o) => o.id)
        .sort(),
    ).toEqual(ids.filter((id) => id !== bad).sort())
    fake.refuseObjects.clear()
    // Another push collection is another destination: the next push starts from the beginning.
    const before = await findPeerById(delta.server.store.db, peer)
    expect(before?.push_cursor).not.toBeNull()
    await updatePeer(delta.server.store.db, TEST_OPERATOR, delta.server.config, peer, {
      pushCollection: 'other',
    })
    expect((await findPeerById(delta.server.store.db, peer))?.push_cursor).toBeNull()
  })

  it('keeps the receipts of what a pull refused from the pull’s audience: TLP:RED and invalid objects', async () => {
    const red = indicator({ object_marking_refs: [TLP2_MARKING_IDS.red] })
    const broken = indicator({ pattern: "[ipv4-addr:value = '198.51.100.9'" })
    const fine = indicator()
    fake.add([red, broken, fine])
    const { peer } = await fakeVendor('Red vendor', {
      pullCollections: ['Indicators'],
      pushCollection: null,
      pullLabel: { audience: 'federation' },
    })
    expect((await sync(delta, peer)).error).toBeNull()
    const outcome = new Map(
      (await receiptsOf(delta, peer, [red.id, broken.id, fine.id])).map((r) => [
        r.object_id,
        `${r.status} ${r.rule ?? ''}`.trim(),
      ]),
    )
    expect(Object.fromEntries(outcome)).toEqual({
      [red.id]: 'rejected tlp-red-never-leaves',
      [broken.id]: 'rejected invalid',
      [fine.id]: 'accepted',
    })
    // A member of this instance's federation sees what was kept, and nothing of what was refused.
    const member = await createOrg(delta.server.store, { name: `Member ${randomUUID().slice(0, 6)}` })
    const { user, password } = await createUserWithPassword(delta.server.store, { orgId: member.id })
    const client = delta.server.client()
    await client.login(user.email, password)
    const listed = await client.get<{ items: { objectId: string }[] }>(
      `/api/v1/federation/receipts?peerId=${peer}&limit=500`,
    )
    expect(listed.status, listed.text).toBe(200)
    const ids = listed.body.items.map((r) => r.objectId)
    expect(ids).toContain(fine.id)
    expect(ids).not.toContain(red.id)
    expect(ids).not.toContain(broken.id)
  })

  it('upgrades STIX 2.0 objects a server still serves, and refuses with why one that does not convert', async () => {
    const at = '2025-03-01T00:00:00.000Z'
    const old = {
      type: 'indicator',
      id: `indicator--${randomUUID()}`,
      created: at,
      modified: at,
      labels: ['malicious-activity'],
      pattern: "[ipv4-addr:value = '198.51.100.20']",
      valid_from: at,
    }
    const observation = {
      type: 'observed-data',
      id: `observed-data--${randomUUID()}`,
      created: at,
      modified: at,
      first_observed: at,
      last_observed: at,
      number_observed: 1,
      objects: { '0': { type: 'ipv4-addr', value: '198.51.100.21' } },
    }
    const broken = {
      ...observation,
      id: `observed-data--${randomUUID()}`,
      objects: { '0': { type: 'network-traffic', src_ref: '5', protocols: ['tcp'] } },
    }
    fake.add([old, observation, broken])
    const { org, peer } = await fakeVendor('Old vendor', {
      pullCollections: ['Indicators'],
      pushCollection: null,
    })
    expect((await sync(delta, peer)).error).toBeNull()
    const ids = [old.id, observation.id, broken.id]
    const receipts = await receiptsOf(delta, peer, ids)
    expect(
      Object.fromEntries(receipts.map((r) => [r.object_id, `${r.status} ${r.rule ?? ''}`.trim()])),
    ).toEqual({
      [old.id]: 'accepted',
      [observation.id]: 'accepted',
      [broken.id]: 'rejected invalid',
    })
    expect(receipts.find((r) => r.object_id === broken.id)?.reason).toMatch(/STIX 2\.0 .*src_ref/)
    expect((await heldBy(delta, org.id, ids)).map((r) => r.id).sort()).toEqual(
      [old.id, observation.id].sort(),
    )
    const stored = await delta.server.store.db
      .selectFrom('stix_objects')
      .select(['id', 'json'])
      .where('owner_org_id', '=', org.id)
      .where('id', 'in', [old.id, observation.id])
      .orderBy('id')
      .execute()
    const [indicatorStored, observedStored] = stored.map((r) => JSON.parse(r.json) as Record<string, unknown>)
    expect(indicatorStored).toMatchObject({ spec_version: '2.1', indicator_types: ['malicious-activity'] })
    // The observed address became an SCO of its own, with its deterministic id, held too.
    const refs = observedStored?.object_refs as string[]
    expect(refs).toHaveLength(1)
    expect(refs[0]).toMatch(/^ipv4-addr--/)
    expect(await heldBy(delta, org.id, refs)).toHaveLength(1)
  })

  it('pushes no expired indicator, and names to the peer nothing its organisation may not see', async () => {
    const producer = await createProducer(delta)
    const at = '2025-01-01T00:00:00.000Z'
    const live = indicator()
    const expired = indicator({ valid_until: '2025-02-01T00:00:00.000Z' })
    const revocation = indicator({ valid_until: '2025-02-01T00:00:00.000Z', revoked: true })
    // Kept for the producer's organisation only: the peer's organisation may not see it.
    const secret = indicator()
    await produce(delta, producer, [secret], { tlp: 'green', audience: 'org' })
    const report = {
      type: 'report',
      spec_version: '2.1',
      id: `report--${randomUUID()}`,
      created: at,
      modified: at,
      name: 'Campaign',
      published: at,
      object_refs: [live.id, secret.id],
    }
    const onlySecret = { ...report, id: `report--${randomUUID()}`, object_refs: [secret.id] }
    const relationship = {
      type: 'relationship',
      spec_version: '2.1',
      id: `relationship--${randomUUID()}`,
      created: at,
      modified: at,
      relationship_type: 'related-to',
      source_ref: secret.id,
      target_ref: live.id,
    }
    await produce(delta, producer, [live, expired, revocation, report, onlySecret, relationship], {
      tlp: 'green',
      audience: 'federation',
    })
    const { peer } = await fakeVendor('Careful vendor', {
      pullCollections: [],
      pushCollection: fake.collectionId,
    })
    expect((await sync(delta, peer)).error).toBeNull()
    const ids = [live.id, expired.id, revocation.id, secret.id, report.id, onlySecret.id, relationship.id]
    const outcome = new Map(
      (await receiptsOf(delta, peer, ids)).map((r) => [r.object_id, `${r.status} ${r.rule ?? ''}`.trim()]),
    )
    expect(Object.fromEntries(ids.map((id) => [id, outcome.get(id)]))).toEqual({
      [live.id]: 'accepted',
      [expired.id]: 'filtered expired',
      [revocation.id]: 'accepted',
      [secret.id]: 'filtered audience-org-never-leaves',
      [report.id]: 'accepted',
      [onlySecret.id]: 'filtered references-not-visible',
      [relationship.id]: 'filtered references-not-visible',
    })
    const sent = fake.posted.find((o) => o.id === report.id)
    expect(sent?.object_refs).toEqual([live.id])
    // The secret's id went nowhere.
    expect(JSON.stringify(fake.posted)).not.toContain(secret.id)
  })

  it('says so when a server has more but gives no way to read it, instead of calling the pull complete', async () => {
    fake.add(Array.from({ length: 3 }, () => indicator()))
    fake.dateHeaders = false
    try {
      const { org, peer } = await fakeVendor('Headerless vendor', {
        pullCollections: ['Indicators'],
        pushCollection: null,
        pageSize: 1,
      })
      const outcome = await sync(delta, peer)
      expect(outcome.error).toMatch(/more after page 1 .* neither a next nor an X-TAXII-Date-Added-Last/)
      expect(await heldBy(delta, org.id, [String(fake.held[0]?.object.id)])).toHaveLength(1)
    } finally {
      fake.dateHeaders = true
    }
  })

  it('manages a peer from the CLI: add (credentials sealed, never shown), list, sync, remove', async () => {
    const org = await createOrg(delta.server.store, { name: 'CLI vendor' })
    const env = { LIAISON_TAXII_PASSWORD: 'feed password' }
    const added = await cli(
      delta,
      [
        'peer',
        'add',
        '--name',
        'Vendor',
        '--url',
        `${fake.url}/taxii2/`,
        '--org',
        org.name,
        '--pull',
        'Indicators',
        '--user',
        'feeder',
        '--json',
      ],
      env,
    )
    expect(added.code, added.err).toBe(0)
    expect(JSON.parse(added.out)).toMatchObject({
      name: 'Vendor',
      credentials: 'basic',
      pullCollections: ['Indicators'],
    })
    expect(added.out).not.toContain('feed password')
    const listed = await cli(delta, ['peer', 'list'])
    expect(listed.code).toBe(0)
    expect(listed.out).toContain('Vendor')
    expect(listed.out).not.toContain('feed password')
    const synced = await cli(delta, ['peer', 'sync', 'vendor', '--json'])
    expect(synced.code, synced.err).toBe(0)
    expect(JSON.parse(synced.out)).toMatchObject({ error: null })
    expect((await cli(delta, ['peer', 'sync', 'no such peer'])).code).toBe(2)
    const removed = await cli(delta, ['peer', 'remove', 'Vendor'])
    expect(removed.code).toBe(0)
    expect((await cli(delta, ['peer', 'list', '--json'])).out).not.toContain('Vendor')
    expect(fake.unexpected).toEqual([])
  })
})
