import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Role } from '../../src/core/account/account.schema.js'
import { canSee, normaliseLabel, type SharingLabel } from '../../src/core/trust/label.js'
import { createUserWithPassword } from '../helpers/factories.js'
import { errorCode, type ApiClient, type TestResponse } from '../helpers/http.js'
import {
  assertExactVisibility,
  createLeakWorld,
  fullLabel,
  type LabelCase,
  type LeakWorld,
  type Probe,
} from '../helpers/leak-harness.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { narrowEvent } from '../helpers/misp.js'
import { STORE_KINDS } from '../helpers/stores.js'
import { createApiKey, ROOT, TaxiiClient, type EnvelopeBody, type ManifestBody } from '../helpers/taxii.js'

const TLP2 = {
  amber: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421',
  'amber+strict': 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
  red: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1',
} as const

interface LabelWire {
  ownerOrg: string
  tlp: string
  pap: string
  audience: string
  sharingGroups: string[]
  recipients: string[]
}

interface ImportAnswer {
  importId: string
  created: number
  updated: number
  unchanged: number
  release: { id: string; status: string } | null
}

interface ReleaseWire {
  id: string
  orgId: string
  importId: string
  status: string
  source: string | null
  requestedLabel: LabelWire
  heldLabel: LabelWire
  requestedBy: string | null
  requestedAt: string
  decidedBy: string | null
  decidedAt: string | null
  reason: string | null
  objectCount: number | null
}

interface ObjectsAnswer {
  items: { object: { id: string }; label: LabelWire }[]
  total: number
}

let counter = 0

/** An indicator with a fresh id and its own address; `marking` adds a TLP 2.0 marking of its own. */
function indicator(marking?: keyof typeof TLP2): Record<string, unknown> {
  counter += 1
  return {
    type: 'indicator',
    spec_version: '2.1',
    id: `indicator--${randomUUID()}`,
    created: '2031-01-01T00:00:00.000Z',
    modified: '2031-01-01T00:00:00.000Z',
    pattern: `[ipv4-addr:value = '203.0.113.${counter % 250}']`,
    pattern_type: 'stix',
    valid_from: '2031-01-01T00:00:00Z',
    ...(marking === undefined ? {} : { object_marking_refs: [TLP2[marking]] }),
  }
}

function labelQuery(input: LabelCase['input'], source: string): string {
  return (
    `?tlp=${encodeURIComponent(input.tlp)}&pap=${input.pap ?? 'clear'}&audience=${input.audience}` +
    (input.sharingGroups ?? []).map((g) => `&group=${g}`).join('') +
    (input.recipients ?? []).map((r) => `&recipient=${r}`).join('') +
    `&source=${source}`
  )
}

async function importAs(
  client: ApiClient,
  objects: Record<string, unknown>[],
  query: string,
): Promise<ImportAnswer> {
  const res = await client.request<ImportAnswer>('POST', `/api/v1/intel/import${query}`, objects)
  expect(res.status, res.text).toBe(200)
  return res.body
}

async function visibleIds(client: ApiClient, source: string): Promise<string[]> {
  const res = await client.get<ObjectsAnswer>(`/api/v1/intel/objects?source=${source}&limit=1000`)
  expect(res.status, res.text).toBe(200)
  return res.body.items.map((i) => i.object.id).sort()
}

async function labelOf(client: ApiClient, id: string): Promise<LabelWire> {
  const res = await client.get<{ label: LabelWire }>(`/api/v1/intel/objects/${id}`)
  expect(res.status, res.text).toBe(200)
  return res.body.label
}

function ids(objects: Record<string, unknown>[]): string[] {
  return objects.map((o) => String(o.id)).sort()
}

describe.each(STORE_KINDS)('four-eyes release (%s)', (kind) => {
  let server: TestServer
  let world: LeakWorld
  let instanceAdmin: ApiClient
  /** Extra members of A by role, and a second member of B. */
  const staff = {} as Record<
    'admin' | 'analyst' | 'handler' | 'liaison' | 'viewer',
    { client: ApiClient; userId: string }
  >
  let b2: { client: ApiClient; userId: string }

  async function auditOf(action: string, targetId: string): Promise<Record<string, unknown>[]> {
    const rows = await server.store.db
      .selectFrom('audit_log')
      .select(['details', 'actor_user_id'])
      .where('action', '=', action)
      .where('target_id', '=', targetId)
      .execute()
    return rows.map((r) => ({
      ...(JSON.parse(r.details) as Record<string, unknown>),
      actor: r.actor_user_id,
    }))
  }

  beforeAll(async () => {
    server = await startTestServer(kind)
    world = await createLeakWorld(server)
    const admin = world.principals.find((p) => p.name === 'instance-admin')
    if (admin === undefined) {
      throw new Error('the leak world has an instance admin')
    }
    instanceAdmin = admin.client
    for (const role of ['admin', 'analyst', 'handler', 'liaison', 'viewer'] as const satisfies Role[]) {
      const user = await server.loginAsNewUser({ role, orgId: world.orgs.A })
      staff[role] = { client: user.client, userId: user.userId }
    }
    const user = await server.loginAsNewUser({ role: 'analyst', orgId: world.orgs.B })
    b2 = { client: user.client, userId: user.userId }
  })
  afterAll(async () => {
    await server.close()
  })

  it('is an organisation setting its admins and instance admins change, and only its members see', async () => {
    const orgA = `/api/v1/organisations/${world.orgs.A}`
    const byCoordinator = await world.users.a1.client.patch(orgA, { settings: { fourEyesRelease: true } })
    expect(byCoordinator.status).toBe(403)
    expect(errorCode(byCoordinator)).toBe('forbidden')
    const byOtherOrg = await world.users.b1.client.patch(orgA, { settings: { fourEyesRelease: true } })
    expect(byOtherOrg.status).toBe(403)
    const bad = await staff.admin.client.patch(orgA, { settings: { fourEyesRelease: 'yes' } })
    expect(bad.status).toBe(400)
    expect(errorCode(bad)).toBe('validation_failed')

    const before = await world.users.a2.client.get<{ settings: unknown }>(orgA)
    expect(before.body.settings).toEqual({ fourEyesRelease: false, intelRetentionDays: null })
    const on = await staff.admin.client.patch<{ settings: unknown }>(orgA, {
      settings: { fourEyesRelease: true },
    })
    expect(on.status, on.text).toBe(200)
    expect(on.body.settings).toEqual({ fourEyesRelease: true, intelRetentionDays: null })
    // An instance admin turns it on for B (whose own settings it does not see).
    const onB = await instanceAdmin.patch<{ settings: unknown }>(`/api/v1/organisations/${world.orgs.B}`, {
      settings: { fourEyesRelease: true },
    })
    expect(onB.status, onB.text).toBe(200)
    expect(onB.body.settings).toBeNull()
    expect((await world.users.b1.client.get<{ settings: unknown }>(orgA)).body.settings).toBeNull()
    expect(
      (await world.users.a1.client.get<{ settings: { fourEyesRelease: boolean } }>(orgA)).body.settings
        .fourEyesRelease,
    ).toBe(true)

    const audit = await auditOf('organisation.updated', world.orgs.A)
    expect(audit.at(-1)).toMatchObject({
      actor: staff.admin.userId,
      before: { settings: { fourEyesRelease: false } },
      after: { settings: { fourEyesRelease: true } },
    })
  })

  it('holds an import for the community until a second person approves; the requester cannot', async () => {
    const source = `held-${randomUUID().slice(0, 8)}`
    const plain = indicator()
    const amber = indicator('amber')
    const imported = await importAs(
      world.users.a1.client,
      [plain, amber],
      `?tlp=green&audience=community&source=${source}`,
    )
    expect(imported.created).toBe(2)
    expect(imported.release).toMatchObject({ status: 'pending' })
    const releaseId = imported.release?.id ?? ''

    // Stored organisation only: the requester's colleagues see it, the community does not.
    expect(await visibleIds(world.users.a2.client, source)).toEqual(ids([plain, amber]))
    expect(await labelOf(world.users.a2.client, String(plain.id))).toMatchObject({
      tlp: 'green',
      audience: 'org',
    })
    expect(await visibleIds(world.users.b1.client, source)).toEqual([])
    expect((await world.users.b1.client.get(`/api/v1/intel/objects/${String(plain.id)}`)).status).toBe(404)
    const exportedByB = await world.users.b1.client.get<{ objects: { id: string }[] }>(
      `/api/v1/intel/export?format=stix&source=${source}`,
    )
    expect(exportedByB.body.objects.filter((o) => o.id === plain.id)).toEqual([])

    const listed = await world.users.a2.client.get<{ items: ReleaseWire[]; total: number }>(
      '/api/v1/intel/releases?status=pending',
    )
    expect(listed.status, listed.text).toBe(200)
    const release = listed.body.items.find((r) => r.id === releaseId)
    expect(release).toMatchObject({
      orgId: world.orgs.A,
      importId: imported.importId,
      status: 'pending',
      source,
      requestedBy: world.users.a1.id,
      requestedLabel: { ownerOrg: world.orgs.A, tlp: 'green', audience: 'community' },
      heldLabel: { ownerOrg: world.orgs.A, tlp: 'green', audience: 'org' },
      decidedBy: null,
      objectCount: null,
    })

    // The requester may not approve it; nor may members whose role does not decide on sharing;
    // other organisations (their instance admin too) do not even see it.
    const self = await world.users.a1.client.post(`/api/v1/intel/releases/${releaseId}/approve`)
    expect(self.status).toBe(403)
    expect(errorCode(self)).toBe('forbidden')
    expect((self.body as { error: { message: string } }).error.message).toMatch(/you asked for this release/)
    for (const role of ['handler', 'liaison', 'viewer'] as const) {
      const res = await staff[role].client.post(`/api/v1/intel/releases/${releaseId}/approve`)
      expect(res.status, role).toBe(403)
    }
    const missing = await world.users.b1.client.post(`/api/v1/intel/releases/${randomUUID()}/approve`)
    for (const outsider of [world.users.b1.client, instanceAdmin]) {
      const res = await outsider.post(`/api/v1/intel/releases/${releaseId}/approve`)
      expect(res.status).toBe(404)
      expect(errorCode(res)).toBe(errorCode(missing))
      expect((await outsider.get(`/api/v1/intel/releases/${releaseId}`)).status).toBe(404)
    }
    expect(await visibleIds(world.users.b1.client, source)).toEqual([])

    const approved = await world.users.a2.client.post<ReleaseWire>(
      `/api/v1/intel/releases/${releaseId}/approve`,
      {
        reason: 'checked, no victim data',
      },
    )
    expect(approved.status, approved.text).toBe(200)
    expect(approved.body).toMatchObject({
      status: 'approved',
      decidedBy: world.users.a2.id,
      reason: 'checked, no victim data',
      objectCount: 2,
    })
    // The community sees it now, except the object whose own marking (amber) does not fit it.
    expect(await visibleIds(world.users.b1.client, source)).toEqual([plain.id])
    expect(await visibleIds(world.users.e1.client, source)).toEqual([plain.id])
    expect(await labelOf(world.users.b1.client, String(plain.id))).toMatchObject({
      ownerOrg: world.orgs.A,
      tlp: 'green',
      audience: 'community',
    })
    expect(await labelOf(world.users.a1.client, String(amber.id))).toMatchObject({
      tlp: 'amber',
      audience: 'org',
    })
    const again = await staff.analyst.client.post(`/api/v1/intel/releases/${releaseId}/approve`)
    expect(again.status).toBe(409)
    expect(errorCode(again)).toBe('conflict')

    expect(await auditOf('intel.release_requested', releaseId)).toEqual([
      expect.objectContaining({
        actor: world.users.a1.id,
        importId: imported.importId,
        requestedBy: world.users.a1.id,
        tlp: 'green',
        audience: 'community',
      }),
    ])
    expect(await auditOf('intel.released', releaseId)).toEqual([
      expect.objectContaining({
        actor: world.users.a2.id,
        importId: imported.importId,
        requestedBy: world.users.a1.id,
        approvedBy: world.users.a2.id,
        tlp: 'green',
        audience: 'community',
        objectCount: 2,
        reason: 'checked, no victim data',
      }),
    ])
  })

  it('dates released objects at the release, so TAXII clients that read past them get them next', async () => {
    const source = `dated-${randomUUID().slice(0, 8)}`
    const released = indicator()
    const held = await importAs(
      world.users.a1.client,
      [released],
      `?tlp=green&audience=community&source=${source}`,
    )
    expect(held.release).toMatchObject({ status: 'pending' })
    // C (no four-eyes) shares with the community after A's import: its object is dated later.
    const shared = indicator()
    const direct = await importAs(
      world.users.c1.client,
      [shared],
      `?tlp=green&audience=community&source=${source}`,
    )
    expect(direct.release).toBeNull()

    // B's TAXII client reads the community collection to its end and keeps where it stopped.
    const taxii = new TaxiiClient(server.url, await createApiKey(world.users.b1.client))
    const objectsOf = (res: TestResponse<EnvelopeBody>) => (res.body.objects ?? []).map((o) => o.id)
    let page = await taxii.get<EnvelopeBody>(`${ROOT}collections/community/objects/?limit=10000`)
    expect(page.status, page.text).toBe(200)
    expect(page.body.more).toBe(false)
    expect(objectsOf(page)).toContain(shared.id)
    expect(objectsOf(page)).not.toContain(released.id)
    const cursor = page.headers.get('x-taxii-date-added-last') ?? ''
    expect(cursor).not.toBe('')

    const approved = await world.users.a2.client.post<ReleaseWire>(
      `/api/v1/intel/releases/${held.release?.id ?? ''}/approve`,
    )
    expect(approved.status, approved.text).toBe(200)
    // Released now: after the client's cursor, and only what is new to it.
    page = await taxii.get<EnvelopeBody>(
      `${ROOT}collections/community/objects/?added_after=${encodeURIComponent(cursor)}`,
    )
    expect(page.status, page.text).toBe(200)
    expect(objectsOf(page)).toEqual([released.id])
    const manifest = await taxii.get<ManifestBody>(
      `${ROOT}collections/community/manifest/?match[id]=${String(released.id)}`,
    )
    expect((manifest.body.objects?.[0]?.date_added ?? '') > cursor).toBe(true)
  })

  it('labels each released object as an import without four-eyes would: own markings stay stricter', async () => {
    const objects = [indicator(), indicator('amber'), indicator('amber+strict'), indicator('red')]
    const [plain, amber, strict, red] = objects.map((o) => String(o.id)) as [string, string, string, string]
    const sourceA = `tighten-a-${randomUUID().slice(0, 8)}`
    const sourceC = `tighten-c-${randomUUID().slice(0, 8)}`
    const query = `?tlp=green&audience=group&group=${world.groups.G1}`
    const held = await importAs(world.users.a1.client, objects, `${query}&source=${sourceA}`)
    expect(held.release).not.toBeNull()
    // C has no four-eyes release: the same content under the same label is stored at once.
    const direct = await importAs(world.users.c1.client, objects, `${query}&source=${sourceC}`)
    expect(direct.release).toBeNull()
    expect(await visibleIds(world.users.c1.client, sourceA)).toEqual([])

    const approved = await staff.analyst.client.post<ReleaseWire>(
      `/api/v1/intel/releases/${held.release?.id ?? ''}/approve`,
    )
    expect(approved.status, approved.text).toBe(200)
    expect(approved.body.objectCount).toBe(4)
    // C, in G1, sees what G1 may see; E sees nothing; TLP:RED stays with its named recipient.
    expect(await visibleIds(world.users.c1.client, sourceA)).toEqual([plain, amber, strict].sort())
    expect(await visibleIds(world.users.e1.client, sourceA)).toEqual([])
    for (const id of [plain, amber, strict, red]) {
      const mine = await labelOf(world.users.a1.client, id)
      const theirs = await labelOf(world.users.c1.client, id)
      expect(theirs.ownerOrg).toBe(world.orgs.C)
      // Each importer is the named recipient of its own copy of the red object.
      expect({
        ...mine,
        ownerOrg: '',
        recipients: mine.recipients.map((r) => (r === world.users.a1.id ? 'importer' : r)),
      }).toEqual({
        ...theirs,
        ownerOrg: '',
        recipients: theirs.recipients.map((r) => (r === world.users.c1.id ? 'importer' : r)),
      })
    }
    expect(await labelOf(world.users.a1.client, red)).toMatchObject({
      tlp: 'red',
      audience: 'org',
      recipients: [world.users.a1.id],
    })
  })

  it('releases a MISP event without widening an attribute shared narrower than the event', async () => {
    const event = narrowEvent()
    const imported = await world.users.a1.client.post<ImportAnswer>('/api/v1/intel/import', event)
    expect(imported.status, imported.text).toBe(200)
    expect(imported.body.release).toMatchObject({ status: 'pending' })
    const approved = await world.users.a2.client.post(
      `/api/v1/intel/releases/${imported.body.release?.id ?? ''}/approve`,
      {
        reason: 'checked',
      },
    )
    expect(approved.status, approved.text).toBe(200)
    const [narrow, inherit] = event.Event.Attribute.map((a) => a.uuid)
    const status = async (id: string) =>
      (await world.users.b1.client.get(`/api/v1/intel/objects/${id}`)).status
    expect(await status(`indicator--${inherit}`)).toBe(200)
    expect(await status(`indicator--${narrow}`)).toBe(404)
    expect(await labelOf(world.users.a1.client, `indicator--${narrow}`)).toMatchObject({ audience: 'org' })
  })

  it('a rejected release leaves the objects with the organisation; the rejection is audited', async () => {
    const source = `rejected-${randomUUID().slice(0, 8)}`
    const object = indicator()
    const imported = await importAs(
      world.users.a2.client,
      [object],
      `?tlp=clear&audience=public&source=${source}`,
    )
    const releaseId = imported.release?.id ?? ''
    expect((await world.users.a2.client.post(`/api/v1/intel/releases/${releaseId}/reject`)).status).toBe(403)
    expect((await staff.viewer.client.post(`/api/v1/intel/releases/${releaseId}/reject`)).status).toBe(403)
    expect((await world.users.b1.client.post(`/api/v1/intel/releases/${releaseId}/reject`)).status).toBe(404)
    const rejected = await staff.admin.client.post<ReleaseWire>(
      `/api/v1/intel/releases/${releaseId}/reject`,
      {
        reason: 'contains a victim address',
      },
    )
    expect(rejected.status, rejected.text).toBe(200)
    expect(rejected.body).toMatchObject({
      status: 'rejected',
      decidedBy: staff.admin.userId,
      reason: 'contains a victim address',
      objectCount: null,
    })
    expect(await visibleIds(server.client(), source)).toEqual([])
    expect(await visibleIds(world.users.b1.client, source)).toEqual([])
    expect(await visibleIds(world.users.a1.client, source)).toEqual([object.id])
    expect((await world.users.a1.client.post(`/api/v1/intel/releases/${releaseId}/approve`)).status).toBe(409)
    expect(await auditOf('intel.release_rejected', releaseId)).toEqual([
      expect.objectContaining({
        actor: staff.admin.userId,
        requestedBy: world.users.a2.id,
        rejectedBy: staff.admin.userId,
        tlp: 'clear',
        audience: 'public',
        reason: 'contains a victim address',
      }),
    ])
    expect(await auditOf('intel.released', releaseId)).toEqual([])
    const decided = await world.users.a1.client.get<{ items: ReleaseWire[] }>(
      '/api/v1/intel/releases?status=rejected',
    )
    expect(decided.body.items.map((r) => r.id)).toContain(releaseId)
    const pending = await world.users.a1.client.get<{ items: ReleaseWire[] }>(
      '/api/v1/intel/releases?status=pending',
    )
    expect(pending.body.items.map((r) => r.id)).not.toContain(releaseId)
  })

  it('holds nothing that stays in the organisation, nor imports of organisations without four-eyes', async () => {
    const source = `unheld-${randomUUID().slice(0, 8)}`
    const own = await importAs(
      world.users.a1.client,
      [indicator()],
      `?tlp=amber&audience=org&source=${source}`,
    )
    expect(own.release).toBeNull()
    const red = await importAs(world.users.a1.client, [indicator()], `?tlp=red&source=${source}`)
    expect(red.release).toBeNull()
    const other = indicator()
    const byE = await importAs(
      world.users.e1.client,
      [other],
      `?tlp=green&audience=community&source=${source}`,
    )
    expect(byE.release).toBeNull()
    expect(await visibleIds(world.users.b1.client, source)).toEqual([other.id])
    // Turned off again, A's imports go out at once.
    const off = await staff.admin.client.patch(`/api/v1/organisations/${world.orgs.A}`, {
      settings: { fourEyesRelease: false },
    })
    expect(off.status, off.text).toBe(200)
    const now = indicator()
    const direct = await importAs(
      world.users.a1.client,
      [now],
      `?tlp=green&audience=community&source=${source}`,
    )
    expect(direct.release).toBeNull()
    expect(await visibleIds(world.users.b1.client, source)).toEqual(ids([other, now]))
    expect(
      (
        await staff.admin.client.patch(`/api/v1/organisations/${world.orgs.A}`, {
          settings: { fourEyesRelease: true },
        })
      ).status,
    ).toBe(200)
  })

  it('shows releases to their organisation only, and their objects as the rule allows before and after', async () => {
    const source = `relleak-${randomUUID().slice(0, 8)}`
    const cases: LabelCase[] = [
      { owner: 'a1', input: { tlp: 'green', pap: 'green', audience: 'community' } },
      { owner: 'a1', input: { tlp: 'clear', pap: 'clear', audience: 'federation' } },
      {
        owner: 'a1',
        input: { tlp: 'amber', pap: 'amber', audience: 'group', sharingGroups: [world.groups.G1] },
      },
      { owner: 'b1', input: { tlp: 'clear', pap: 'clear', audience: 'public' } },
      {
        owner: 'b1',
        input: { tlp: 'amber+strict', pap: 'red', audience: 'group', sharingGroups: [world.groups.G2] },
      },
    ]
    const releases: Probe[] = []
    const held: { id: string; before: SharingLabel; after: SharingLabel }[] = []
    const decisions: { releaseId: string; approver: ApiClient }[] = []
    for (const c of cases) {
      const object = indicator()
      const imported = await importAs(world.users[c.owner].client, [object], labelQuery(c.input, source))
      const releaseId = imported.release?.id
      expect(releaseId).toBeDefined()
      const owner = c.owner === 'a1' ? world.orgs.A : world.orgs.B
      releases.push({
        id: releaseId ?? '',
        visibleTo: (p) => p.viewer.kind === 'user' && p.viewer.orgId === owner,
      })
      const after = fullLabel(world, c)
      const before = normaliseLabel({ ...after, audience: 'org', sharingGroups: [] })
      held.push({ id: String(object.id), before, after })
      decisions.push({
        releaseId: releaseId ?? '',
        approver: c.owner === 'a1' ? world.users.a2.client : b2.client,
      })
    }
    const releasePaths = {
      list: (client: ApiClient) => client.get('/api/v1/intel/releases?limit=500'),
      detail: (client: ApiClient, id: string) => client.get(`/api/v1/intel/releases/${id}`),
    }
    const objectPaths = {
      list: (client: ApiClient) => client.get(`/api/v1/intel/objects?source=${source}&limit=1000`),
      detail: (client: ApiClient, id: string): Promise<TestResponse> =>
        client.get(`/api/v1/intel/objects/${id}`),
      idsOf: (body: unknown) => ((body as ObjectsAnswer).items ?? []).map((i) => i.object.id),
      missingId: () => `indicator--${randomUUID()}`,
    }
    await assertExactVisibility(world.principals, releases, releasePaths, {
      anonymousGets401: true,
      scope: 'probes',
    })
    await assertExactVisibility(
      world.principals,
      held.map((h) => ({ id: h.id, visibleTo: (p) => canSee(p.viewer, h.before) })),
      objectPaths,
    )
    for (const { releaseId, approver } of decisions) {
      const res = await approver.post(`/api/v1/intel/releases/${releaseId}/approve`)
      expect(res.status, res.text).toBe(200)
    }
    await assertExactVisibility(world.principals, releases, releasePaths, {
      anonymousGets401: true,
      scope: 'probes',
    })
    await assertExactVisibility(
      world.principals,
      held.map((h) => ({ id: h.id, visibleTo: (p) => canSee(p.viewer, h.after) })),
      objectPaths,
    )
    // Some principal in each requested audience could not see the objects before and can now.
    for (const h of held) {
      expect(world.principals.some((p) => !canSee(p.viewer, h.before) && canSee(p.viewer, h.after))).toBe(
        true,
      )
    }
  })

  it('holds a CLI import made for a user, who then cannot approve it', async () => {
    const user = await createUserWithPassword(server.store, { orgId: world.orgs.A, role: 'analyst' })
    const file = path.join(server.location.dataDir, 'cli-release.json')
    const object = indicator()
    writeFileSync(file, JSON.stringify({ type: 'bundle', id: `bundle--${randomUUID()}`, objects: [object] }))
    const env: Record<string, string> = {}
    for (const [key, value] of Object.entries(process.env)) {
      if (!key.startsWith('LIAISON_') && value !== undefined) {
        env[key] = value
      }
    }
    const bin = path.resolve(import.meta.dirname, '..', '..', 'bin', 'liaison.js')
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        bin,
        'import',
        file,
        '--org',
        world.orgs.A,
        '--user',
        user.user.email,
        '--tlp',
        'green',
        '--audience',
        'community',
        '--json',
      ],
      { env: { ...env, ...server.location.env, LIAISON_LOG_LEVEL: 'silent' } },
    )
    const summary = JSON.parse(stdout) as ImportAnswer
    expect(summary.release).toMatchObject({ status: 'pending' })
    const client = server.client()
    await client.login(user.user.email, user.password)
    const release = await client.get<ReleaseWire>(`/api/v1/intel/releases/${summary.release?.id ?? ''}`)
    expect(release.body).toMatchObject({
      requestedBy: user.user.id,
      status: 'pending',
      source: 'file:cli-release.json',
    })
    expect((await client.post(`/api/v1/intel/releases/${release.body.id}/approve`)).status).toBe(403)
    expect((await world.users.b1.client.get(`/api/v1/intel/objects/${String(object.id)}`)).status).toBe(404)
    expect(
      (await world.users.a2.client.post(`/api/v1/intel/releases/${release.body.id}/approve`)).status,
    ).toBe(200)
    expect((await world.users.b1.client.get(`/api/v1/intel/objects/${String(object.id)}`)).status).toBe(200)
  })
})
