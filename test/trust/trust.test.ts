import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { canSee } from '../../src/core/trust/label.js'
import { errorCode } from '../helpers/http.js'
import {
  assertExactVisibility,
  createLeakWorld,
  fullLabel,
  labelMatrix,
  type LeakWorld,
  type Probe,
} from '../helpers/leak-harness.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { STORE_KINDS } from '../helpers/stores.js'

interface Doc {
  id: string
  title: string
  label: { ownerOrg: string; tlp: string; audience: string; sharingGroups: string[]; recipients: string[] }
}

interface GroupWire {
  id: string
  members: { orgId: string }[] | null
  memberCount: number | null
  canManage: boolean
}

describe.each(STORE_KINDS)('the trust rule on every read path (%s)', (kind) => {
  let server: TestServer
  let world: LeakWorld

  beforeAll(async () => {
    server = await startTestServer(kind)
    world = await createLeakWorld(server)
  })
  afterAll(async () => {
    await server.close()
  })

  it('knowledge documents: lists, search, counts and details show exactly what canSee allows', async () => {
    const probes: Probe[] = []
    for (const c of labelMatrix(world)) {
      const title = `leakprobe ${c.input.tlp} ${c.input.audience} ${randomUUID().slice(0, 4)}`
      const res = await world.users[c.owner].client.post<Doc>('/api/v1/knowledge/documents', {
        title,
        kind: 'procedure',
        body: 'steps',
        label: c.input,
      })
      expect(res.status, res.text).toBe(201)
      const label = fullLabel(world, c)
      expect(res.body.label).toMatchObject({
        ownerOrg: label.ownerOrg,
        tlp: label.tlp,
        audience: label.audience,
      })
      probes.push({ id: res.body.id, visibleTo: (p) => canSee(p.viewer, label) })
    }
    // Every principal sees something and misses something: the matrix exercises the rule.
    for (const p of world.principals) {
      const seen = probes.filter((probe) => probe.visibleTo(p)).length
      expect(seen, p.name).toBeGreaterThan(0)
      expect(seen, p.name).toBeLessThan(probes.length)
    }
    await assertExactVisibility(world.principals, probes, {
      list: (client) => client.get('/api/v1/knowledge/documents?limit=500'),
      search: (client) => client.get('/api/v1/knowledge/documents?q=LEAKPROBE&limit=500'),
      count: (client) => client.get('/api/v1/knowledge/documents/count'),
      detail: (client, id) => client.get(`/api/v1/knowledge/documents/${id}`),
    })
    // Writes to an invisible record answer like a missing one, too.
    const redOfB = probes.find((p) => !p.visibleTo(world.principals[0]!))
    expect(redOfB).toBeDefined()
    const a1 = world.users.a1.client
    const invisible = await a1.patch(`/api/v1/knowledge/documents/${redOfB?.id ?? ''}`, { title: 'x' })
    const missing = await a1.patch(`/api/v1/knowledge/documents/${randomUUID()}`, { title: 'x' })
    expect(invisible.status).toBe(404)
    expect(errorCode(invisible)).toBe(errorCode(missing))
  })

  it('sharing groups: only owner and member organisations know a group exists', async () => {
    const { groups, orgs } = world
    const c1Group = await world.users.c1.client.post<{ id: string }>('/api/v1/groups', { name: 'C alone' })
    expect(c1Group.status).toBe(201)
    const members: Record<string, string[]> = {
      [groups.G1]: [orgs.A, orgs.C],
      [groups.G2]: [orgs.B, orgs.D],
      [c1Group.body.id]: [orgs.C],
    }
    const probes: Probe[] = Object.entries(members).map(([id, orgIds]) => ({
      id,
      visibleTo: (p) => p.viewer.kind === 'user' && orgIds.includes(p.viewer.orgId),
    }))
    await assertExactVisibility(
      world.principals,
      probes,
      {
        list: (client) => client.get('/api/v1/groups?limit=500'),
        detail: (client, id) => client.get(`/api/v1/groups/${id}`),
      },
      { anonymousGets401: true },
    )
  })

  it('hidden membership: members see the group but never who else is in it', async () => {
    const { users, groups, orgs } = world
    const asMember = await users.d1.client.get<GroupWire>(`/api/v1/groups/${groups.G2}`)
    expect(asMember.status).toBe(200)
    expect(asMember.body.members).toBeNull()
    expect(asMember.body.memberCount).toBeNull()
    expect(asMember.text).not.toContain(orgs.B === asMember.body.id ? '' : orgs.D)
    const listed = await users.d1.client.get<{ items: GroupWire[] }>('/api/v1/groups')
    const inList = listed.body.items.find((g) => g.id === groups.G2)
    expect(inList?.members).toBeNull()
    expect(inList?.memberCount).toBeNull()
    expect(listed.text).not.toContain(orgs.D)

    const asOwner = await users.b1.client.get<GroupWire>(`/api/v1/groups/${groups.G2}`)
    expect(asOwner.body.members?.map((m) => m.orgId).sort()).toEqual([orgs.B, orgs.D].sort())

    const open = await users.c1.client.get<GroupWire>(`/api/v1/groups/${groups.G1}`)
    expect(open.body.members?.map((m) => m.orgId).sort()).toEqual([orgs.A, orgs.C].sort())
    expect(open.body.canManage).toBe(false)
    const notManager = await users.c1.client.post(`/api/v1/groups/${groups.G1}/members`, { orgId: orgs.E })
    expect(notManager.status).toBe(403)
  })

  it('the directory: public profiles for the community, private fields for the own members only', async () => {
    const { orgs, users } = world
    const update = await users.a1.client.patch(`/api/v1/organisations/${orgs.A}`, {
      securityContact: 'CSIRT@a.example',
      website: 'https://a.example',
      private: { notes: 'escalate to the duty officer', internalContact: '+49 30 555 0100' },
    })
    // Coordinators are not admins: only the organisation's admins change its profile.
    expect(update.status).toBe(403)
    const admin = await server.loginAsNewUser({ role: 'admin', orgId: orgs.A })
    const ok = await admin.client.patch<{ securityContact: string }>(`/api/v1/organisations/${orgs.A}`, {
      securityContact: 'CSIRT@a.example',
      website: 'https://a.example',
      private: { notes: 'escalate to the duty officer', internalContact: '+49 30 555 0100' },
    })
    expect(ok.status, ok.text).toBe(200)
    expect(ok.body.securityContact).toBe('csirt@a.example')
    const rename = await admin.client.patch(`/api/v1/organisations/${orgs.A}`, { name: 'New name' })
    expect(rename.status).toBe(403)
    const other = await admin.client.patch(`/api/v1/organisations/${orgs.B}`, {
      website: 'https://evil.example',
    })
    expect(other.status).toBe(403)

    const probes: Probe[] = Object.values(orgs).map((id) => ({ id, visibleTo: () => true }))
    await assertExactVisibility(
      world.principals,
      probes,
      {
        list: (client) => client.get('/api/v1/organisations?limit=500'),
        detail: (client, id) => client.get(`/api/v1/organisations/${id}`),
      },
      { anonymousGets401: true, scope: 'probes' },
    )
    for (const principal of world.principals) {
      if (principal.viewer.kind !== 'user') {
        continue
      }
      const res = await principal.client.get<{ private: unknown; securityContact: string }>(
        `/api/v1/organisations/${orgs.A}`,
      )
      expect(res.body.securityContact).toBe('csirt@a.example')
      if (principal.viewer.orgId === orgs.A) {
        expect(res.body.private).toEqual({
          notes: 'escalate to the duty officer',
          internalContact: '+49 30 555 0100',
        })
      } else {
        expect(res.body.private, principal.name).toBeNull()
        expect(res.text).not.toContain('duty officer')
      }
      const list = await principal.client.get('/api/v1/organisations?limit=500')
      if (principal.viewer.orgId !== orgs.A) {
        expect(list.text).not.toContain('duty officer')
      }
    }
  })
})

describe.each(STORE_KINDS)('labels are checked and downgrades are deliberate (%s)', (kind) => {
  let server: TestServer
  let world: LeakWorld

  beforeAll(async () => {
    server = await startTestServer(kind)
    world = await createLeakWorld(server)
  })
  afterAll(async () => {
    await server.close()
  })

  it('rejects labels that break TLP with a 400 naming the rule, and stores nothing', async () => {
    const client = world.users.a1.client
    const before = await client.get<{ count: number }>('/api/v1/knowledge/documents/count')
    const cases: [Record<string, unknown>, string, string][] = [
      [{ tlp: 'amber', audience: 'public' }, 'public-needs-clear', 'label.tlp'],
      [{ tlp: 'red', audience: 'org' }, 'red-needs-named-recipients', 'label.recipients'],
      [
        { tlp: 'amber+strict', audience: 'community' },
        'amber-strict-stays-with-recipients',
        'label.audience',
      ],
      [{ tlp: 'amber', audience: 'community' }, 'community-needs-clear-or-green', 'label.tlp'],
      [{ tlp: 'amber', audience: 'group' }, 'group-needs-sharing-groups', 'label.sharingGroups'],
      [
        { tlp: 'green', audience: 'org', recipients: [world.users.b1.id] },
        'recipients-only-for-red',
        'label.recipients',
      ],
    ]
    for (const [label, rule, field] of cases) {
      const res = await client.post('/api/v1/knowledge/documents', {
        title: 'bad',
        kind: 'other',
        body: '',
        label,
      })
      expect(res.status, JSON.stringify(label)).toBe(400)
      expect(res.body).toMatchObject({ error: { code: 'validation_failed', details: { rule, field } } })
      expect((res.body as { error: { message: string } }).error.message).toContain(rule)
    }
    // A group the caller's organisation is not in, and unknown people, are refused too.
    const foreignGroup = await client.post('/api/v1/knowledge/documents', {
      title: 'bad',
      kind: 'other',
      body: '',
      label: { tlp: 'amber', audience: 'group', sharingGroups: [world.groups.G2] },
    })
    expect(foreignGroup.status).toBe(400)
    expect(foreignGroup.body).toMatchObject({ error: { details: { field: 'label.sharingGroups' } } })
    const ghost = await client.post('/api/v1/knowledge/documents', {
      title: 'bad',
      kind: 'other',
      body: '',
      label: { tlp: 'red', audience: 'org', recipients: [randomUUID()] },
    })
    expect(ghost.status).toBe(400)
    const after = await client.get<{ count: number }>('/api/v1/knowledge/documents/count')
    expect(after.body.count).toBe(before.body.count)
  })

  it('audits a downgrade as its own action, with who, when, from, to and why', async () => {
    const { users, groups } = world
    const created = await users.a1.client.post<Doc>('/api/v1/knowledge/documents', {
      title: 'Ransomware playbook',
      kind: 'procedure',
      body: '1. isolate',
      label: { tlp: 'amber', pap: 'amber', audience: 'group', sharingGroups: [groups.G1] },
    })
    expect(created.status).toBe(201)
    const id = created.body.id
    expect((await users.e1.client.get(`/api/v1/knowledge/documents/${id}`)).status).toBe(404)

    const noReason = await users.a1.client.request('PUT', `/api/v1/knowledge/documents/${id}/label`, {
      label: { tlp: 'green', pap: 'green', audience: 'community' },
    })
    expect(noReason.status).toBe(400)
    expect(noReason.body).toMatchObject({ error: { details: { field: 'reason' } } })
    expect((await users.e1.client.get(`/api/v1/knowledge/documents/${id}`)).status).toBe(404)

    const byOther = await users.c1.client.request('PUT', `/api/v1/knowledge/documents/${id}/label`, {
      label: { tlp: 'clear', audience: 'public' },
      reason: 'mine now',
    })
    expect(byOther.status).toBe(403)

    const downgraded = await users.a1.client.request<Doc>('PUT', `/api/v1/knowledge/documents/${id}/label`, {
      label: { tlp: 'green', pap: 'green', audience: 'community' },
      reason: 'the campaign is public knowledge now',
    })
    expect(downgraded.status, downgraded.text).toBe(200)
    expect(downgraded.body.label).toMatchObject({ tlp: 'green', audience: 'community', sharingGroups: [] })
    expect((await users.e1.client.get(`/api/v1/knowledge/documents/${id}`)).status).toBe(200)

    const entry = await server.store.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'label.downgraded')
      .where('target_id', '=', id)
      .executeTakeFirstOrThrow()
    expect(entry.actor_user_id).toBe(users.a1.id)
    expect(entry.at).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect(JSON.parse(entry.details)).toMatchObject({
      from: { tlp: 'amber', audience: 'group', sharingGroups: [groups.G1] },
      to: { tlp: 'green', audience: 'community' },
      reason: 'the campaign is public knowledge now',
    })

    const tightened = await users.a1.client.request('PUT', `/api/v1/knowledge/documents/${id}/label`, {
      label: { tlp: 'amber+strict', pap: 'red', audience: 'org' },
    })
    expect(tightened.status).toBe(200)
    const changed = await server.store.db
      .selectFrom('audit_log')
      .select('action')
      .where('target_id', '=', id)
      .orderBy('seq')
      .execute()
    expect(changed.map((r) => r.action)).toEqual(['document.created', 'label.downgraded', 'label.changed'])
    expect((await users.e1.client.get(`/api/v1/knowledge/documents/${id}`)).status).toBe(404)
  })

  it('finds people to name as TLP:RED recipients, without their e-mail addresses', async () => {
    const res = await world.users.a1.client.get<{ items: { id: string; orgName: string }[] }>(
      '/api/v1/people?q=test',
    )
    expect(res.status).toBe(200)
    expect(res.body.items.length).toBeGreaterThan(0)
    expect(res.text).not.toContain('@example.org')
    expect((await world.users.a1.client.get('/api/v1/people?q=a')).status).toBe(400)
    expect((await world.users.a1.client.get('/api/v1/people')).status).toBe(400)
    const named = await world.users.a1.client.get<{ items: { id: string; name: string }[] }>(
      `/api/v1/people?ids=${world.users.c1.id}&ids=${world.users.d1.id}`,
    )
    expect(named.body.items.map((p) => p.id).sort()).toEqual([world.users.c1.id, world.users.d1.id].sort())
    expect((await server.client().get('/api/v1/people?q=test')).status).toBe(401)
  })
})
