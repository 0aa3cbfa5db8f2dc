import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { canSee } from '../../src/core/trust/label.js'
import type { ApiClient } from '../helpers/http.js'
import {
  assertExactVisibility,
  createLeakWorld,
  fullLabel,
  labelMatrix,
  type LeakWorld,
  type Principal,
  type Probe,
} from '../helpers/leak-harness.js'
import type { TestServer } from '../helpers/server.js'
import { STORE_KINDS } from '../helpers/stores.js'
import { fileReport, fixedClock, startClockedServer, type Incident, type Page } from './incident-helpers.js'

interface Note {
  id: string
}

describe.each(STORE_KINDS)('no incident read path leaks (%s)', (kind) => {
  const clock = fixedClock('2026-06-01T08:00:00.000Z')
  let server: TestServer
  let world: LeakWorld
  /** One incident per label of the matrix, plus two shared with a participant by name. */
  const probes: Probe[] = []

  beforeAll(async () => {
    server = await startClockedServer(kind, clock)
    world = await createLeakWorld(server)
    const make = async (
      owner: 'a1' | 'b1',
      label: Record<string, unknown>,
      participants: string[] = [],
    ): Promise<string> => {
      const client = world.users[owner].client
      const res = await client.post<Incident>('/api/v1/incidents', {
        title: `leakprobe ${randomUUID().slice(0, 6)}`,
        label,
        // Significant and aware long ago: every probe has overdue NIS2 deadlines.
        nis2: { significant: true, awareAt: '2026-01-01T00:00:00.000Z' },
      })
      expect(res.status, res.text).toBe(201)
      const id = res.body.id
      expect((await client.post(`/api/v1/incidents/${id}/tasks`, { title: 'owner task' })).status).toBe(201)
      expect(
        (await client.post(`/api/v1/incidents/${id}/links`, { observable: { value: '198.51.100.200' } }))
          .status,
      ).toBe(201)
      const note = await client.post(`/api/v1/incidents/${id}/notes`, {
        body: 'owner only',
        label: { tlp: 'amber', audience: 'org' },
      })
      expect(note.status, note.text).toBe(201)
      if (participants.length > 0) {
        const shared = await client.request('PUT', `/api/v1/incidents/${id}/sharing`, {
          label,
          participants,
          reason: 'need to know',
        })
        expect(shared.status, shared.text).toBe(200)
      }
      return id
    }
    for (const c of labelMatrix(world)) {
      const label = fullLabel(world, c)
      probes.push({ id: await make(c.owner, c.input), visibleTo: (p) => canSee(p.viewer, label) })
    }
    const strict = { tlp: 'amber+strict', pap: 'red', audience: 'org' }
    for (const [owner, participant] of [
      ['a1', world.orgs.E],
      ['b1', world.orgs.C],
    ] as const) {
      const label = fullLabel(world, { owner, input: { tlp: 'amber+strict', pap: 'red', audience: 'org' } })
      probes.push({
        id: await make(owner, strict, [participant]),
        visibleTo: (p) =>
          canSee(p.viewer, label) || (p.viewer.kind === 'user' && p.viewer.orgId === participant),
      })
    }
  })
  afterAll(async () => {
    await server.close()
  })

  it('the matrix exercises the rule: everyone signed in sees some probes and misses some', () => {
    for (const p of world.principals.filter((p) => p.viewer.kind === 'user')) {
      const seen = probes.filter((probe) => probe.visibleTo(p)).length
      expect(seen, p.name).toBeGreaterThan(0)
      expect(seen, p.name).toBeLessThan(probes.length)
    }
  })

  it('list, count, overdue list and detail show exactly what the rule allows', async () => {
    await assertExactVisibility(
      world.principals,
      probes,
      {
        list: (c) => c.get('/api/v1/incidents?limit=500'),
        search: (c) => c.get('/api/v1/incidents/nis2/overdue?limit=500'),
        count: (c) => c.get('/api/v1/incidents/count?nis2Overdue=true'),
        detail: (c, id) => c.get(`/api/v1/incidents/${id}`),
      },
      { anonymousGets401: true },
    )
    await assertExactVisibility(
      world.principals,
      probes,
      {
        list: (c) => c.get('/api/v1/incidents?limit=500&nis2Overdue=true'),
        count: (c) => c.get('/api/v1/incidents/count'),
      },
      { anonymousGets401: true },
    )
  })

  it('every per-incident read answers a hidden incident exactly like a missing one', async () => {
    for (const suffix of [
      'notes',
      'tasks',
      'timeline',
      'links',
      'notifications',
      'nis2/early-warning',
      'nis2/notification',
      'nis2/final',
    ]) {
      await assertExactVisibility(
        world.principals,
        probes,
        { detail: (c, id) => c.get(`/api/v1/incidents/${id}/${suffix}`) },
        { anonymousGets401: true },
      )
    }
  })

  it('exports (STIX and CSV) hold exactly the visible incidents', async () => {
    const stixIds = (body: unknown): string[] =>
      ((body as { objects?: { id: string }[] }).objects ?? []).map((o) => o.id.replace(/^incident--/, ''))
    const csvIds = (body: unknown): string[] =>
      String(body)
        .split('\r\n')
        .slice(1)
        .filter((line) => line !== '')
        .map((line) => line.split(',')[0] ?? '')
    for (const [path, idsOf] of [
      ['/api/v1/incidents/export?format=stix', stixIds],
      ['/api/v1/incidents/export?format=csv', csvIds],
    ] as const) {
      await assertExactVisibility(
        world.principals,
        probes,
        { list: (c) => c.get(path), idsOf },
        { anonymousGets401: true, scope: 'probes' },
      )
    }
  })

  it('inside a visible incident: others see no owner tasks, notes and timeline entries only as their labels allow', async () => {
    const a1 = world.users.a1.client
    const incident = await a1.post<Incident>('/api/v1/incidents', {
      title: 'community incident',
      label: { tlp: 'green', audience: 'community' },
    })
    expect(incident.status).toBe(201)
    const path = `/api/v1/incidents/${incident.body.id}`
    await a1.post(`${path}/tasks`, { title: 'owner task' })
    const notes: Probe[] = []
    for (const c of labelMatrix(world)) {
      const label = fullLabel(world, c)
      const res = await world.users[c.owner].client.post<Note>(`${path}/notes`, {
        body: 'note',
        label: c.input,
      })
      expect(res.status, res.text).toBe(201)
      notes.push({ id: res.body.id, visibleTo: (p) => canSee(p.viewer, label) })
    }
    // A shared note is for whoever sees the incident, whatever its label says.
    const shared = await world.users.b1.client.post<Note>(`${path}/notes`, {
      body: 'for everyone on the incident',
      label: { tlp: 'amber', audience: 'org' },
      shared: true,
    })
    expect(shared.status).toBe(201)
    notes.push({ id: shared.body.id, visibleTo: (p) => p.viewer.kind === 'user' })
    // A peer's organisation is outside the community: the incident itself is missing for it.
    const insiders = world.principals.filter((p: Principal) => !(p.viewer.kind === 'user' && p.viewer.peer))
    for (const outsider of world.principals.filter((p: Principal) => !insiders.includes(p))) {
      for (const part of ['', '/notes', '/tasks', '/timeline']) {
        const res = await outsider.client.get(`${path}${part}`)
        expect(res.status, `${outsider.name} ${part}`).toBe(404)
      }
    }
    await assertExactVisibility(
      insiders,
      notes,
      {
        list: (c) => c.get(`${path}/notes`),
        // The timeline names a note only where the note itself is visible.
        search: async (c: ApiClient) => {
          const res = await c.get<Page<{ action: string; details: { noteId?: string } }>>(`${path}/timeline`)
          if (res.status !== 200) {
            return res
          }
          const items = res.body.items
            .filter((e) => e.action === 'incident.note_added')
            .map((e) => ({ id: e.details.noteId ?? '' }))
          return { ...res, body: { items, total: items.length } }
        },
      },
      { anonymousGets401: true },
    )
    for (const principal of insiders.filter((p: Principal) => p.viewer.kind === 'user')) {
      const owner = principal.viewer.kind === 'user' && principal.viewer.orgId === world.orgs.A
      const tasks = await principal.client.get<Page<unknown>>(`${path}/tasks`)
      expect(tasks.body.total, principal.name).toBe(owner ? 1 : 0)
      const detail = await principal.client.get<Incident>(path)
      expect(detail.body.owned, principal.name).toBe(owner)
      const timeline = await principal.client.get<Page<{ action: string }>>(`${path}/timeline`)
      expect(
        timeline.body.items.some((e) => e.action === 'incident.task_added'),
        principal.name,
      ).toBe(owner)
    }
  })

  it('duplicate hints: only readers of the reports see them, and only reports they may see', async () => {
    const first = await fileReport(server, { description: 'Scanner 203.0.113.201' })
    const second = await fileReport(server, { description: 'Scanner 203.0.113.201 again' })
    const reports: Probe[] = [first, second].map((r) => ({
      id: r.id,
      // Reports belong to the instance organisation; of the world, only its admin reads them.
      visibleTo: (p) => p.name === 'instance-admin',
    }))
    await assertExactVisibility(
      world.principals,
      reports,
      { detail: (c, id) => c.get(`/api/v1/reports/${id}/hints`) },
      { anonymousGets401: true },
    )
    const admin = world.principals.find((p) => p.name === 'instance-admin')
    const hints = await admin?.client.get<Page<{ reportId: string }>>(`/api/v1/reports/${first.id}/hints`)
    expect(hints?.body.items.map((h) => h.reportId)).toEqual([second.id])
  })
})
