import { randomUUID } from 'node:crypto'
import { expect } from 'vitest'
import { normaliseLabel, type SharingLabel, type Viewer } from '../../src/core/trust/label.js'
import type { LabelInput } from '../../src/core/trust/label.schema.js'
import { createPeer } from '../../src/server/modules/federation/federation.service.js'
import { createOrg, createUserWithPassword, TEST_OPERATOR } from './factories.js'
import type { ApiClient } from './http.js'
import { errorCode, type TestResponse } from './http.js'
import type { TestServer } from './server.js'

/** Someone who reads: a named client with the viewer `canSee` judges them as. */
export interface Principal {
  readonly name: string
  readonly client: ApiClient
  readonly viewer: Viewer
}

/**
 * A small community to test visibility in:
 * - A owns group G1 (members A, C); B owns group G2 (members B, D; membership hidden);
 * - users: a1, a2 (A), b1 (B), c1 (C), d1 (D), e1 (E: no group at all), an instance admin, a user of an
 *   organisation that stands for a federated peer (outside the community), and anonymous.
 */
export interface LeakWorld {
  readonly server: TestServer
  readonly orgs: Record<'A' | 'B' | 'C' | 'D' | 'E', string>
  readonly users: Record<'a1' | 'a2' | 'b1' | 'c1' | 'd1' | 'e1', { id: string; client: ApiClient }>
  readonly groups: Record<'G1' | 'G2', string>
  /** Every kind of principal: same org, other org in / out of the groups, named recipient, anonymous. */
  readonly principals: readonly Principal[]
}

/** Builds the {@link LeakWorld} on a running server. */
export async function createLeakWorld(server: TestServer): Promise<LeakWorld> {
  const orgs = {
    A: (await createOrg(server.store, { name: `A ${randomUUID().slice(0, 6)}` })).id,
    B: (await createOrg(server.store, { name: `B ${randomUUID().slice(0, 6)}` })).id,
    C: (await createOrg(server.store, { name: `C ${randomUUID().slice(0, 6)}` })).id,
    D: (await createOrg(server.store, { name: `D ${randomUUID().slice(0, 6)}` })).id,
    E: (await createOrg(server.store, { name: `E ${randomUUID().slice(0, 6)}` })).id,
  }
  const homes = { a1: orgs.A, a2: orgs.A, b1: orgs.B, c1: orgs.C, d1: orgs.D, e1: orgs.E } as const
  const users = {} as Record<keyof typeof homes, { id: string; client: ApiClient }>
  for (const [name, orgId] of Object.entries(homes) as [keyof typeof homes, string][]) {
    // Coordinators: they may create groups and records.
    const { user, password } = await createUserWithPassword(server.store, { orgId, role: 'coordinator' })
    const client = server.client()
    await client.login(user.email, password)
    users[name] = { id: user.id, client }
  }
  const g1 = await users.a1.client.post<{ id: string }>('/api/v1/groups', {
    name: 'G1',
    memberOrgIds: [orgs.C],
  })
  const g2 = await users.b1.client.post<{ id: string }>('/api/v1/groups', {
    name: 'G2',
    memberOrgIds: [orgs.D],
    hiddenMembership: true,
  })
  expect(g1.status, g1.text).toBe(201)
  expect(g2.status, g2.text).toBe(201)
  const groups = { G1: g1.body.id, G2: g2.body.id }
  const membership: Record<string, string[]> = {
    [orgs.A]: [groups.G1],
    [orgs.C]: [groups.G1],
    [orgs.B]: [groups.G2],
    [orgs.D]: [groups.G2],
    [orgs.E]: [],
  }
  const principals: Principal[] = (Object.keys(users) as (keyof typeof users)[]).map((name) => ({
    name,
    client: users[name].client,
    viewer: {
      kind: 'user',
      userId: users[name].id,
      orgId: homes[name],
      groupIds: membership[homes[name]] ?? [],
      peer: false,
    },
  }))
  // An instance admin manages accounts but gets no bypass of the visibility rule.
  const instanceAdmin = await createUserWithPassword(server.store, {
    orgId: server.admin.orgId,
    role: 'admin',
  })
  const adminClient = server.client()
  const me = await adminClient.login(instanceAdmin.user.email, instanceAdmin.password)
  expect(me).toMatchObject({ isInstanceAdmin: true })
  principals.push({
    name: 'instance-admin',
    client: adminClient,
    viewer: {
      kind: 'user',
      userId: instanceAdmin.user.id,
      orgId: server.admin.orgId,
      groupIds: [],
      peer: false,
    },
  })
  // An organisation that stands for a federated peer instance: outside this instance's community.
  const peerOrg = await createOrg(server.store, { name: `P ${randomUUID().slice(0, 6)}` })
  await createPeer(server.store.db, TEST_OPERATOR, server.config, {
    name: `Peer ${randomUUID().slice(0, 6)}`,
    url: 'http://127.0.0.1:9/taxii2/',
    pullCollections: [],
    pushCollection: null,
    orgId: peerOrg.id,
  })
  const peerUser = await createUserWithPassword(server.store, { orgId: peerOrg.id, role: 'coordinator' })
  const peerClient = server.client()
  await peerClient.login(peerUser.user.email, peerUser.password)
  principals.push({
    name: 'peer',
    client: peerClient,
    viewer: { kind: 'user', userId: peerUser.user.id, orgId: peerOrg.id, groupIds: [], peer: true },
  })
  principals.push({ name: 'anonymous', client: server.client(), viewer: { kind: 'anonymous' } })
  return { server, orgs, users, groups, principals }
}

/** A label to create records under, and who owns (creates) them. */
export interface LabelCase {
  readonly owner: 'a1' | 'b1'
  readonly input: LabelInput
}

/** Every kind of label, owned by two organisations: each audience, each TLP it allows, groups, recipients. */
export function labelMatrix(world: LeakWorld): LabelCase[] {
  const { groups, users } = world
  const cases: LabelCase[] = []
  for (const owner of ['a1', 'b1'] as const) {
    const ownGroup = owner === 'a1' ? groups.G1 : groups.G2
    const otherRecipient = owner === 'a1' ? users.c1.id : users.d1.id
    cases.push(
      { owner, input: { tlp: 'clear', pap: 'clear', audience: 'public' } },
      { owner, input: { tlp: 'green', pap: 'green', audience: 'community' } },
      { owner, input: { tlp: 'clear', pap: 'amber', audience: 'federation' } },
      { owner, input: { tlp: 'amber', pap: 'amber', audience: 'group', sharingGroups: [ownGroup] } },
      { owner, input: { tlp: 'amber+strict', pap: 'red', audience: 'group', sharingGroups: [ownGroup] } },
      { owner, input: { tlp: 'green', pap: 'clear', audience: 'org' } },
      { owner, input: { tlp: 'amber+strict', pap: 'red', audience: 'org' } },
      { owner, input: { tlp: 'red', pap: 'red', audience: 'org', recipients: [otherRecipient] } },
      {
        owner,
        input: { tlp: 'red', pap: 'red', audience: 'org', recipients: [users.e1.id, otherRecipient] },
      },
    )
  }
  // a2 is named on a red item of B: a same-org colleague of a1 who is a recipient where a1 is not.
  cases.push({ owner: 'b1', input: { tlp: 'red', pap: 'amber', audience: 'org', recipients: [users.a2.id] } })
  return cases
}

/** The full label a {@link LabelCase} stands for, as `canSee` judges it. */
export function fullLabel(world: LeakWorld, c: LabelCase): SharingLabel {
  return normaliseLabel({
    ownerOrg: c.owner === 'a1' ? world.orgs.A : world.orgs.B,
    tlp: c.input.tlp,
    pap: c.input.pap ?? 'clear',
    audience: c.input.audience,
    sharingGroups: c.input.sharingGroups ?? [],
    recipients: c.input.recipients ?? [],
  })
}

/** One record under test and who may see it. */
export interface Probe {
  readonly id: string
  readonly visibleTo: (principal: Principal) => boolean
}

/** The read paths of one endpoint family; each optional. */
export interface ReadPaths {
  /** A list answering `{ items: [{ id }], total }`, or 401 for callers who may not list at all. */
  list?: (client: ApiClient) => Promise<TestResponse>
  /** A search that should match every probe (a term they all share), same shape as `list`. */
  search?: (client: ApiClient) => Promise<TestResponse>
  /** A count answering `{ count }` for the same records as `list`. */
  count?: (client: ApiClient) => Promise<TestResponse>
  /** One record by id. */
  detail?: (client: ApiClient, id: string) => Promise<TestResponse>
  /** Ids in a list answer (default: `body.items[].id`). */
  idsOf?: (body: unknown) => string[]
  /** A well-formed id that exists nowhere (default: a random UUID). */
  missingId?: () => string
}

function defaultIds(body: unknown): string[] {
  const items = (body as { items?: { id: string }[] }).items ?? []
  return items.map((i) => i.id)
}

function sameNotFound(
  invisible: TestResponse,
  missing: TestResponse,
  invisibleId: string,
  missingId: string,
): void {
  expect(invisible.status).toBe(404)
  expect(errorCode(invisible)).toBe(errorCode(missing))
  // Apart from the id itself, not a byte differs between "invisible" and "does not exist".
  expect(invisible.text.split(invisibleId).join('<id>')).toBe(missing.text.split(missingId).join('<id>'))
}

/**
 * Checks, for every principal, that each read path returns exactly the probes it may see: lists and
 * searches (ids and totals), counts, and details (an invisible id answers 404, same as a missing one).
 * `scope` limits lists to the probes (when the store holds other records the paths also return).
 */
export async function assertExactVisibility(
  principals: readonly Principal[],
  probes: readonly Probe[],
  paths: ReadPaths,
  options: { anonymousGets401?: boolean; scope?: 'all' | 'probes' } = {},
): Promise<void> {
  const idsOf = paths.idsOf ?? defaultIds
  const probeIds = new Set(probes.map((p) => p.id))
  for (const principal of principals) {
    const expected = probes.filter((p) => p.visibleTo(principal)).map((p) => p.id)
    const where = `as ${principal.name}`
    const locked = options.anonymousGets401 === true && principal.viewer.kind === 'anonymous'
    for (const [name, call] of [
      ['list', paths.list],
      ['search', paths.search],
    ] as const) {
      if (call === undefined) {
        continue
      }
      const res = await call(principal.client)
      if (locked) {
        expect(res.status, `${name} ${where}`).toBe(401)
        continue
      }
      expect(res.status, `${name} ${where}: ${res.text}`).toBe(200)
      let ids = idsOf(res.body)
      if (options.scope === 'probes') {
        ids = ids.filter((id) => probeIds.has(id))
      } else {
        expect((res.body as { total?: number }).total, `${name} total ${where}`).toBe(ids.length)
      }
      expect([...ids].sort(), `${name} ${where}`).toEqual([...expected].sort())
    }
    if (paths.count !== undefined) {
      const res = await paths.count(principal.client)
      if (locked) {
        expect(res.status, `count ${where}`).toBe(401)
      } else {
        expect((res.body as { count: number }).count, `count ${where}`).toBe(expected.length)
      }
    }
    if (paths.detail !== undefined) {
      const missingId = paths.missingId?.() ?? randomUUID()
      const missing = await paths.detail(principal.client, missingId)
      for (const probe of probes) {
        const res = await paths.detail(principal.client, probe.id)
        if (locked) {
          expect(res.status, `detail ${probe.id} ${where}`).toBe(401)
        } else if (probe.visibleTo(principal)) {
          expect(res.status, `detail ${probe.id} ${where}: ${res.text}`).toBe(200)
        } else {
          sameNotFound(res, missing, probe.id, missingId)
        }
      }
    }
  }
}
