import { randomUUID } from 'node:crypto'
import path from 'node:path'
import Database from 'better-sqlite3'
import type { AddressInfo } from 'node:net'
import type { Kysely } from 'kysely'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { indicator } from '../helpers/stix.js'
import type { UserPrincipal } from '../../src/core/account/principal.js'
import { buildApp } from '../../src/server/app.js'
import { ensureInstance } from '../../src/server/bootstrap.js'
import { readConfig } from '../../src/server/config.js'
import { authenticateApiKey, createApiKey } from '../../src/server/modules/apikey/apikey.service.js'
import { createGroup } from '../../src/server/modules/group/group.service.js'
import { importerOf } from '../../src/server/modules/intel/intel.service.js'
import { updateOrganisation } from '../../src/server/modules/org/org.service.js'
import {
  readStatus,
  TAXII_INGEST_PART,
  TAXII_STALE_MS,
  TaxiiIngestQueue,
  type TaxiiEnvelopeItem,
} from '../../src/server/modules/taxii/taxii.ingest.js'
import { getCollection, TAXII_API_ROOT } from '../../src/server/modules/taxii/taxii.service.js'
import { updateUser } from '../../src/server/modules/user/user.service.js'
import * as durablePost from '../../src/server/store/migrations/2026-11-24T2000-taxii-durable-post.js'
import { openStore, type Store } from '../../src/server/store/store.js'
import { createOrg, createUserWithPassword, TEST_OPERATOR } from '../helpers/factories.js'
import { createStoreLocation, openTestStore, STORE_KINDS, type TestStoreLocation } from '../helpers/stores.js'
import { ROOT, TaxiiClient, type TaxiiStatusBody } from '../helpers/taxii.js'

/** An envelope's objects: `count` valid indicators, every 700th one broken (a failure). */
function envelopeObjects(count: number): {
  objects: (Record<string, unknown> & { id: string })[]
  valid: string[]
  invalid: string[]
} {
  const objects = Array.from({ length: count }, (_, i) =>
    i % 700 === 350 ? indicator({ pattern: "[ipv4-addr:value = '203.0.113.1'" }) : indicator(),
  )
  const invalid = objects.filter((_, i) => i % 700 === 350).map((o) => o.id)
  const valid = objects.filter((_, i) => i % 700 !== 350).map((o) => o.id)
  return { objects, valid, invalid }
}

const silent = pino({ level: 'silent' })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const later = (ms: number) => () => new Date(Date.now() + ms)

/** One Liaison process: its own store handle and an app listening on a loopback port. */
interface Node {
  readonly url: string
  readonly store: Store
  close(): Promise<void>
}

describe.each(STORE_KINDS)('TAXII POSTs survive a restart (%s)', (kind) => {
  let location: TestStoreLocation
  /** A store handle of the test itself (as an operator would look at the database). */
  let store: Store

  /** Starts a process on the suite's store, with its own connection(s); `now` pins its clock. */
  async function startNode(now?: () => Date): Promise<Node> {
    const config = readConfig({
      ...location.env,
      LIAISON_HOST: '127.0.0.1',
      LIAISON_PORT: '0',
      LIAISON_LOG_LEVEL: 'silent',
    })
    const nodeStore = await openTestStore(location)
    const app = await buildApp(config, { store: nodeStore, ...(now === undefined ? {} : { now }) })
    await app.listen({ host: '127.0.0.1', port: 0 })
    const { port } = app.server.address() as AddressInfo
    return {
      url: `http://127.0.0.1:${port}`,
      store: nodeStore,
      async close() {
        await app.close()
        await nodeStore.close()
      },
    }
  }

  /** A new analyst in a new organisation (or the one given), with an API key. */
  async function createPoster(orgId?: string): Promise<{ token: string; orgId: string; userId: string }> {
    const org = orgId ?? (await createOrg(store)).id
    const { user } = await createUserWithPassword(store, { orgId: org, role: 'analyst' })
    const { token } = await createApiKey(store.db, TEST_OPERATOR, { name: 'taxii', userId: user.id })
    return { token, orgId: org, userId: user.id }
  }

  /** A new sharing group of the organisation with its collection: its source names this test alone. */
  async function freshGroupCollection(orgId: string): Promise<string> {
    const group = await createGroup(store.db, TEST_OPERATOR, {
      name: `G ${randomUUID().slice(0, 8)}`,
      ownerOrgId: orgId,
      memberOrgIds: [],
    })
    return `group-${group.group.id}`
  }

  async function principalOf(db: Store['db'], token: string): Promise<UserPrincipal> {
    const auth = await authenticateApiKey(db, token)
    if (auth === null) {
      throw new Error('the test API key does not authenticate')
    }
    return auth.principal
  }

  /**
   * A process that accepts a POST and stops before storing any of it: a paused queue (it records
   * the status and the objects, claimed, and does nothing else).
   */
  async function acceptPaused(
    token: string,
    collection: string,
    objects: readonly TaxiiEnvelopeItem[],
  ): Promise<{ queue: TaxiiIngestQueue; statusId: string }> {
    const principal = await principalOf(store.db, token)
    const queue = new TaxiiIngestQueue(store.db, () => new Date(), silent, { paused: true })
    const status = await queue.accept(
      principal,
      importerOf(principal),
      await getCollection(store.db, principal, TAXII_API_ROOT, collection),
      objects,
      TAXII_API_ROOT,
    )
    return { queue, statusId: status.row.id }
  }

  /** Waits until a status is complete, reading the store (for queues without an app). */
  async function waitComplete(statusId: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const row = await store.db
        .selectFrom('taxii_statuses')
        .select('status')
        .where('id', '=', statusId)
        .executeTakeFirstOrThrow()
      if (row.status === 'complete') {
        return
      }
      if (Date.now() > deadline) {
        throw new Error(`status ${statusId} still pending`)
      }
      await sleep(25)
    }
  }

  /** Where a status stands in the store: parts recorded, pending count, payload and its claim. */
  async function stateOf(statusId: string) {
    const status = await store.db
      .selectFrom('taxii_statuses')
      .selectAll()
      .where('id', '=', statusId)
      .executeTakeFirstOrThrow()
    const parts = await store.db
      .selectFrom('taxii_status_parts')
      .select(['part', 'successes', 'failures'])
      .where('status_id', '=', statusId)
      .orderBy('part')
      .execute()
    const payload = await store.db
      .selectFrom('taxii_status_payloads')
      .select(['claimed_by', 'claimed_at', 'held_import'])
      .where('status_id', '=', statusId)
      .executeTakeFirst()
    return { status, parts, payload }
  }

  /**
   * The POST is complete with every outcome listed once, its objects stored once (one row each, and
   * one import per part with valid objects: no part stored twice), its parts numbered without gap
   * and its payload gone.
   */
  async function expectCompleteOnce(
    statusId: string,
    orgId: string,
    expected: { valid: string[]; invalid: string[]; total: number },
    body?: TaxiiStatusBody,
  ): Promise<void> {
    const { status, parts, payload } = await stateOf(statusId)
    expect(status).toMatchObject({
      status: 'complete',
      total_count: expected.total,
      success_count: expected.valid.length,
      failure_count: expected.invalid.length,
      pending_count: 0,
    })
    expect(payload).toBeUndefined()
    const partCount = Math.ceil(expected.total / TAXII_INGEST_PART)
    expect(parts.map((p) => p.part)).toEqual(Array.from({ length: partCount }, (_, i) => i))
    const successes = parts.flatMap((p) => JSON.parse(p.successes) as { id: string }[]).map((s) => s.id)
    const failures = parts.flatMap((p) => JSON.parse(p.failures) as { id: string }[]).map((f) => f.id)
    expect(successes.sort()).toEqual([...expected.valid].sort())
    expect(failures.sort()).toEqual([...expected.invalid].sort())
    if (body !== undefined) {
      expect(body.successes?.map((s) => s.id).sort()).toEqual([...expected.valid].sort())
      expect(body.failures?.map((f) => f.id).sort()).toEqual([...expected.invalid].sort())
    }
    const rows = await store.db
      .selectFrom('stix_objects')
      .select('id')
      .where('owner_org_id', '=', orgId)
      .execute()
    const ids = rows.map((r) => r.id).sort()
    expect(ids.length).toBe(expected.valid.length)
    expect(ids).toEqual([...expected.valid].sort())
    const imports = await store.db
      .selectFrom('intel_imports')
      .select('id')
      .where('org_id', '=', orgId)
      .execute()
    // Every part here has valid objects, each part one import.
    expect(imports.length).toBe(partCount)
  }

  beforeAll(async () => {
    location = await createStoreLocation(kind)
    store = await openTestStore(location)
    const config = readConfig({ ...location.env, LIAISON_LOG_LEVEL: 'silent' })
    await ensureInstance(store, config)
  })
  afterAll(async () => {
    await store.close()
    await location.drop()
  })

  it('keeps the objects of a 202 until they are stored; a process stopped between parts is finished by the next', async () => {
    const poster = await createPoster()
    const node = await startNode()
    const collection = await freshGroupCollection(poster.orgId)
    const { objects, valid, invalid } = envelopeObjects(16 * TAXII_INGEST_PART)
    const client = new TaxiiClient(node.url, poster.token)
    const res = await client.post(`${ROOT}collections/${collection}/objects/`, { objects })
    expect(res.status, res.text).toBe(202)
    const statusId = res.body.id
    // The process stops right after its 202 (it finishes the part in progress, gives up its claim).
    // The test shares the server's event loop, so a few parts get stored before: hence 16 of them.
    await node.close()
    // Acknowledged: the objects not stored yet are in the store with the status.
    const cut = await stateOf(statusId)
    expect(cut.status.status).toBe('pending')
    expect(cut.status.pending_count).toBeGreaterThan(0)
    expect(cut.parts.length).toBe((objects.length - cut.status.pending_count) / TAXII_INGEST_PART)
    expect(cut.payload).toMatchObject({ claimed_by: null, claimed_at: null, held_import: null })

    const restarted = await startNode()
    try {
      const done = await new TaxiiClient(restarted.url, poster.token).waitForStatus(statusId, 60_000)
      expect(done).toMatchObject({ status: 'complete', success_count: valid.length, pending_count: 0 })
      await expectCompleteOnce(statusId, poster.orgId, { valid, invalid, total: objects.length }, done)
    } finally {
      await restarted.close()
    }
  })

  it('resumes a POST stopped before its first part once the lease of the stopped process expires; meanwhile it reads pending, not interrupted', async () => {
    const poster = await createPoster()
    const collection = await freshGroupCollection(poster.orgId)
    const { objects, valid, invalid } = envelopeObjects(3 * TAXII_INGEST_PART + 17)
    const stopped = await acceptPaused(poster.token, collection, objects)
    const { statusId } = stopped
    try {
      expect((await stateOf(statusId)).payload?.claimed_by).toBe(stopped.queue.owner)
      // Another process does not take a claim renewed less than the lease ago.
      const other = new TaxiiIngestQueue(store.db, () => new Date(), silent)
      expect(await other.resume()).not.toContain(statusId)
      await other.close()
      // Kept objects are never reported interrupted, however long ago the status last moved.
      const principal = await principalOf(store.db, poster.token)
      const bystander = new TaxiiIngestQueue(store.db, () => new Date(), silent, { paused: true })
      const read = await readStatus(
        store.db,
        principal,
        TAXII_API_ROOT,
        statusId,
        bystander,
        new Date(Date.now() + 2 * TAXII_STALE_MS),
      )
      expect(read.row).toMatchObject({ status: 'pending', pending_count: objects.length })
      expect(read.failures).toEqual([])
      expect(read.pendings.length).toBe(objects.length)

      // A process whose clock is past the lease takes the work over from the first object.
      const node = await startNode(later(TAXII_STALE_MS + 60_000))
      try {
        const done = await new TaxiiClient(node.url, poster.token).waitForStatus(statusId, 60_000)
        await expectCompleteOnce(statusId, poster.orgId, { valid, invalid, total: objects.length }, done)
      } finally {
        await node.close()
      }
    } finally {
      await stopped.queue.close()
    }
  })

  it('reads a pending status without kept objects (accepted before they were kept) as interrupted after the lease', async () => {
    const poster = await createPoster()
    const object = indicator()
    const stopped = await acceptPaused(poster.token, 'organisation', [object])
    await stopped.queue.close()
    // As a status accepted before this version kept the objects of POSTs.
    await store.db.deleteFrom('taxii_status_payloads').where('status_id', '=', stopped.statusId).execute()
    const principal = await principalOf(store.db, poster.token)
    const queue = new TaxiiIngestQueue(store.db, () => new Date(), silent, { paused: true })
    const soon = await readStatus(store.db, principal, TAXII_API_ROOT, stopped.statusId, queue, new Date())
    expect(soon.row.status).toBe('pending')
    const read = await readStatus(
      store.db,
      principal,
      TAXII_API_ROOT,
      stopped.statusId,
      queue,
      new Date(Date.now() + TAXII_STALE_MS + 60_000),
    )
    expect(read.row).toMatchObject({ status: 'complete', failure_count: 1, pending_count: 0 })
    expect(read.failures.map((f) => f.id)).toEqual([object.id])
    expect(read.failures[0]?.message).toMatch(/interrupted/)
  })

  it('reads who posted again on resume: objects of an account disabled meanwhile fail, saying why', async () => {
    const poster = await createPoster()
    const principal = await principalOf(store.db, poster.token)
    const { objects } = envelopeObjects(3)
    const stopped = await acceptPaused(poster.token, 'organisation', objects)
    await stopped.queue.close()
    await updateUser(store.db, TEST_OPERATOR, poster.userId, { disabled: true })
    const queue = new TaxiiIngestQueue(store.db, () => new Date(), silent)
    try {
      expect(await queue.resume()).toContain(stopped.statusId)
      await waitComplete(stopped.statusId)
    } finally {
      await queue.close()
    }
    const read = await readStatus(store.db, principal, TAXII_API_ROOT, stopped.statusId, queue, new Date())
    expect(read.row).toMatchObject({ status: 'complete', success_count: 0, failure_count: 3 })
    expect(read.failures.map((f) => f.id)).toEqual(objects.map((o) => o.id))
    expect(read.failures[0]?.message).toMatch(/disabled/)
    expect((await stateOf(stopped.statusId)).payload).toBeUndefined()
    const stored = await store.db
      .selectFrom('stix_objects')
      .select('id')
      .where('owner_org_id', '=', poster.orgId)
      .execute()
    expect(stored).toEqual([])
  })

  it('resumes a four-eyes POST: stored once, held, with one release requested', async () => {
    const poster = await createPoster()
    await updateOrganisation(store.db, TEST_OPERATOR, poster.orgId, { settings: { fourEyesRelease: true } })
    const held = indicator()
    const stopped = await acceptPaused(poster.token, 'community', [
      held,
      indicator({ pattern: "[ipv4-addr:value = '203.0.113.1'" }),
    ])
    await stopped.queue.close()
    const node = await startNode()
    try {
      const done = await new TaxiiClient(node.url, poster.token).waitForStatus(stopped.statusId, 60_000)
      expect(done).toMatchObject({ status: 'complete', success_count: 1, failure_count: 1 })
      expect(done.successes?.[0]?.message).toMatch(/release [0-9a-f-]{36} \(four-eyes release\)/)
      const stored = await store.db
        .selectFrom('stix_objects')
        .select(['id', 'import_id'])
        .where('owner_org_id', '=', poster.orgId)
        .execute()
      expect(stored.map((r) => r.id)).toEqual([held.id])
      const releases = await store.db
        .selectFrom('intel_releases')
        .select(['id', 'import_id'])
        .where('org_id', '=', poster.orgId)
        .execute()
      expect(releases.map((r) => r.import_id)).toEqual([stored[0]?.import_id])
      expect(done.successes?.[0]?.message).toContain(releases[0]?.id)
      expect((await stateOf(stopped.statusId)).payload).toBeUndefined()
      // Held for the organisation only: another organisation does not see it in the collection.
      const outsider = await createPoster()
      const seen = await new TaxiiClient(node.url, outsider.token).get(
        `${ROOT}collections/community/objects/${held.id}/`,
      )
      expect(seen.status).toBe(404)
    } finally {
      await node.close()
    }
  })

  it.runIf(kind === 'sqlite')(
    'keeps a part pending while another process holds the store past the wait, and stores it after',
    async () => {
      const poster = await createPoster()
      const principal = await principalOf(store.db, poster.token)
      const objects = [indicator(), indicator()]
      // A connection of "another process" (the CLI importing a large file) takes the write lock
      // right before the part is stored: on the queue's second reading of its clock (the first is
      // the 202's).
      const other = new Database(path.join(location.dataDir, 'liaison.db'))
      let clockReadings = 0
      const clock = () => {
        clockReadings += 1
        if (clockReadings === 2) {
          other.exec('begin immediate')
        }
        return new Date()
      }
      const impatient = openStore({ dataDir: location.dataDir, databaseUrl: null }, { lockWaitMs: 150 })
      const queue = new TaxiiIngestQueue(impatient.db, clock, silent)
      try {
        const accepted = await queue.accept(
          principal,
          importerOf(principal),
          await getCollection(impatient.db, principal, TAXII_API_ROOT, 'organisation'),
          objects,
          TAXII_API_ROOT,
        )
        // Several waits of the part have run out meanwhile: still pending, nothing failed or stored.
        await sleep(700)
        expect(other.inTransaction).toBe(true)
        const waiting = await stateOf(accepted.row.id)
        expect(waiting.status).toMatchObject({ status: 'pending', failure_count: 0, pending_count: 2 })
        expect(waiting.parts).toEqual([])
        expect(waiting.payload).toBeDefined()
        other.exec('commit')
        await waitComplete(accepted.row.id)
        const done = await readStatus(
          impatient.db,
          principal,
          TAXII_API_ROOT,
          accepted.row.id,
          queue,
          new Date(),
        )
        expect(done.row).toMatchObject({ status: 'complete', success_count: 2, failure_count: 0 })
        const stored = await store.db
          .selectFrom('stix_objects')
          .select('id')
          .where('owner_org_id', '=', poster.orgId)
          .execute()
        expect(stored.map((r) => r.id).sort()).toEqual(objects.map((o) => o.id).sort())
      } finally {
        if (other.inTransaction) {
          other.exec('rollback')
        }
        other.close()
        await queue.close()
        await impatient.close()
      }
    },
  )

  it('lets two processes resume distinct POSTs, never one POST twice', async () => {
    const poster = await createPoster()
    const collection = await freshGroupCollection(poster.orgId)
    const posts: { statusId: string; valid: string[]; invalid: string[]; total: number }[] = []
    for (let i = 0; i < 6; i++) {
      const { objects, valid, invalid } = envelopeObjects(TAXII_INGEST_PART + 100 * i)
      const stopped = await acceptPaused(poster.token, collection, objects)
      // Stopped cleanly: the claim is given up, so both processes below may take it at once.
      await stopped.queue.close()
      posts.push({ statusId: stopped.statusId, valid, invalid, total: objects.length })
    }
    // Two processes: on PostgreSQL each with its own connections; a SQLite store has one writer
    // (two handles in one test process would wait on each other's locks synchronously).
    const secondStore = kind === 'postgres' ? await openTestStore(location) : store
    const first = new TaxiiIngestQueue(store.db, () => new Date(), silent)
    const second = new TaxiiIngestQueue(secondStore.db, () => new Date(), silent)
    try {
      const [a, b] = await Promise.all([first.resume(), second.resume()])
      expect(a.filter((id) => b.includes(id))).toEqual([])
      const ours = new Set(posts.map((p) => p.statusId))
      expect([...a, ...b].filter((id) => ours.has(id)).sort()).toEqual([...ours].sort())
      for (const post of posts) {
        await waitComplete(post.statusId)
      }
    } finally {
      await first.close()
      await second.close()
      if (secondStore !== store) {
        await secondStore.close()
      }
    }
    const statuses = await store.db
      .selectFrom('taxii_statuses')
      .select(['id', 'success_count', 'failure_count', 'pending_count'])
      .where(
        'id',
        'in',
        posts.map((p) => p.statusId),
      )
      .execute()
    for (const post of posts) {
      const { parts } = await stateOf(post.statusId)
      expect(parts.map((p) => p.part)).toEqual(
        Array.from({ length: Math.ceil(post.total / TAXII_INGEST_PART) }, (_, i) => i),
      )
      const successes = parts.flatMap((p) => JSON.parse(p.successes) as { id: string }[]).map((s) => s.id)
      expect(successes.sort()).toEqual([...post.valid].sort())
      expect(statuses.find((s) => s.id === post.statusId)).toMatchObject({
        success_count: post.valid.length,
        failure_count: post.invalid.length,
        pending_count: 0,
      })
    }
    const rows = await store.db
      .selectFrom('stix_objects')
      .select('id')
      .where('owner_org_id', '=', poster.orgId)
      .execute()
    expect(rows.map((r) => r.id).sort()).toEqual(posts.flatMap((p) => p.valid).sort())
    // Each valid object created by exactly one import (POSTs of one account may share a part).
    const imports = await store.db
      .selectFrom('intel_imports')
      .select(['id', 'created'])
      .where('org_id', '=', poster.orgId)
      .execute()
    expect(imports.reduce((n, i) => n + i.created, 0)).toBe(posts.reduce((n, p) => n + p.valid.length, 0))
  })

  it('stores POSTs queued by one account into one collection in shared parts, each status exact; never with another account', async () => {
    const first = await createPoster()
    const second = await createPoster(first.orgId)
    const collection = await freshGroupCollection(first.orgId)
    const size = Math.floor(TAXII_INGEST_PART / 3) + 50
    const posts: { statusId: string; userId: string; valid: string[]; invalid: string[]; total: number }[] =
      []
    // Interleaved, as clients post: the first account's, then the second's, and so on.
    for (const poster of [first, second, first, second, first]) {
      const { objects, valid, invalid } = envelopeObjects(size)
      const stopped = await acceptPaused(poster.token, collection, objects)
      await stopped.queue.close()
      posts.push({ statusId: stopped.statusId, userId: poster.userId, valid, invalid, total: objects.length })
    }
    const queue = new TaxiiIngestQueue(store.db, () => new Date(), silent)
    try {
      await queue.resume()
      for (const post of posts) {
        await waitComplete(post.statusId)
      }
    } finally {
      await queue.close()
    }
    for (const post of posts) {
      const { status, parts, payload } = await stateOf(post.statusId)
      expect(status).toMatchObject({
        success_count: post.valid.length,
        failure_count: post.invalid.length,
        pending_count: 0,
      })
      expect(payload).toBeUndefined()
      // Parts numbered without gap, each object listed once.
      expect(parts.map((p) => p.part)).toEqual(parts.map((_, i) => i))
      const listed = parts.flatMap((p) => [
        ...(JSON.parse(p.successes) as { id: string }[]),
        ...(JSON.parse(p.failures) as { id: string }[]),
      ])
      expect(listed.map((o) => o.id).sort()).toEqual([...post.valid, ...post.invalid].sort())
    }
    const imports = await store.db
      .selectFrom('intel_imports')
      .select(['id', 'user_id', 'created'])
      .where('org_id', '=', first.orgId)
      .execute()
    // The first account's three POSTs fit in one part: fewer imports than POSTs.
    const ofFirst = imports.filter((i) => i.user_id === first.userId)
    expect(ofFirst.length).toBeLessThan(3)
    expect(ofFirst.reduce((n, i) => n + i.created, 0)).toBe(
      posts.filter((p) => p.userId === first.userId).reduce((n, p) => n + p.valid.length, 0),
    )
    // No import holds another account's objects.
    const rows = await store.db
      .selectFrom('stix_objects')
      .select(['id', 'import_id'])
      .where('owner_org_id', '=', first.orgId)
      .execute()
    const userOfImport = new Map(imports.map((i) => [i.id, i.user_id]))
    const userOfObject = new Map(posts.flatMap((p) => p.valid.map((id) => [id, p.userId] as const)))
    expect(rows.length).toBe(userOfObject.size)
    for (const row of rows) {
      expect(userOfImport.get(row.import_id ?? '')).toBe(userOfObject.get(row.id))
    }
  })

  it('hands a POST over when its lease expires: the process that lost it stores nothing more of it', async () => {
    const poster = await createPoster()
    const collection = await freshGroupCollection(poster.orgId)
    const { objects, valid, invalid } = envelopeObjects(12 * TAXII_INGEST_PART)
    const principal = await principalOf(store.db, poster.token)
    const lines: string[] = []
    const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) })
    const slow = new TaxiiIngestQueue(store.db, () => new Date(), log)
    // Its clock is past the lease of the first: to it, the first process looks stopped.
    const secondStore = kind === 'postgres' ? await openTestStore(location) : store
    const taker = new TaxiiIngestQueue(secondStore.db, later(TAXII_STALE_MS + 60_000), silent)
    try {
      const status = await slow.accept(
        principal,
        importerOf(principal),
        await getCollection(store.db, principal, TAXII_API_ROOT, collection),
        objects,
        TAXII_API_ROOT,
      )
      expect(await taker.resume()).toContain(status.row.id)
      await waitComplete(status.row.id)
      await expectCompleteOnce(status.row.id, poster.orgId, { valid, invalid, total: objects.length })
      expect(slow.holds(status.row.id)).toBe(false)
      expect(slow.queuedObjects).toBe(0)
      expect(lines.join('\n')).toMatch(/taken over by another process/)
    } finally {
      await slow.close()
      await taker.close()
      if (secondStore !== store) {
        await secondStore.close()
      }
    }
  })

  it('migrates the payload table down and up again', async () => {
    // A migration gets an untyped handle, as Kysely's Migrator gives it.
    const schemaDb = store.db as unknown as Kysely<unknown>
    await durablePost.down(schemaDb)
    const gone = await store.db.introspection.getTables()
    expect(gone.map((t) => t.name)).not.toContain('taxii_status_payloads')
    await durablePost.up(schemaDb)
    const back = await store.db.introspection.getTables()
    expect(
      back
        .find((t) => t.name === 'taxii_status_payloads')
        ?.columns.map((c) => c.name)
        .sort(),
    ).toEqual(['claimed_at', 'claimed_by', 'created_at', 'held_import', 'objects', 'status_id'])
  })
})
