import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { canSee, type SharingLabel } from '../../src/core/trust/label.js'
import type { TestResponse } from '../helpers/http.js'
import { createLeakWorld, fullLabel, labelMatrix, type LeakWorld } from '../helpers/leak-harness.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { STORE_KINDS } from '../helpers/stores.js'
import { namingEvery } from '../helpers/stix.js'
import { createApiKey, ROOT, TaxiiClient, type EnvelopeBody, type ManifestBody } from '../helpers/taxii.js'

interface Collection {
  id: string
  alias: string
}

interface TaxiiPrincipal {
  name: string
  client: TaxiiClient
  viewer: Parameters<typeof canSee>[0]
}

interface Probe {
  id: string
  label: SharingLabel
  versions: string[]
}

/** The collection a label's records are in: its audience's, or (audience group) each of its groups'. */
function inCollection(label: SharingLabel, collection: Collection): boolean {
  if (collection.alias.startsWith('group-')) {
    return label.audience === 'group' && label.sharingGroups.includes(collection.alias.slice('group-'.length))
  }
  const audience = collection.alias === 'organisation' ? 'org' : collection.alias
  return label.audience === audience
}

/** Apart from the id itself, not a byte differs between "hidden" and "does not exist". */
function sameNotFound(
  hidden: TestResponse,
  missing: TestResponse,
  hiddenId: string,
  missingId: string,
): void {
  expect(hidden.status).toBe(404)
  expect(hidden.text.split(hiddenId).join('<id>')).toBe(missing.text.split(missingId).join('<id>'))
}

describe.each(STORE_KINDS)('TAXII never shows what the visibility rule hides (%s)', (kind) => {
  let server: TestServer
  let world: LeakWorld
  let principals: TaxiiPrincipal[]
  const probes: Probe[] = []
  let allCollections: Collection[] = []

  beforeAll(async () => {
    server = await startTestServer(kind)
    world = await createLeakWorld(server)
    principals = []
    for (const p of world.principals) {
      const token = p.viewer.kind === 'anonymous' ? null : await createApiKey(p.client)
      principals.push({ name: p.name, client: new TaxiiClient(server.url, token), viewer: p.viewer })
    }
    // Every kind of label, each object in two versions (one import each).
    for (const c of labelMatrix(world)) {
      const id = `indicator--${randomUUID()}`
      const versions = ['2025-05-01T00:00:00.000Z', '2025-06-01T00:00:00.000Z']
      const query = [
        `tlp=${encodeURIComponent(c.input.tlp)}`,
        `pap=${c.input.pap ?? 'clear'}`,
        `audience=${c.input.audience}`,
        ...(c.input.sharingGroups ?? []).map((g) => `group=${g}`),
        ...(c.input.recipients ?? []).map((r) => `recipient=${r}`),
        'source=taxii-leak',
      ].join('&')
      for (const modified of versions) {
        const res = await world.users[c.owner].client.post(`/api/v1/intel/import?${query}`, {
          type: 'indicator',
          spec_version: '2.1',
          id,
          created: versions[0],
          modified,
          pattern: "[domain-name:value = 'taxii-leak.example']",
          pattern_type: 'stix',
          valid_from: '2025-05-01T00:00:00Z',
        })
        expect(res.status, res.text).toBe(200)
      }
      probes.push({ id, label: fullLabel(world, c), versions })
    }
    // Every collection there is: those the users see between them (a1 sees G1's, b1 G2's).
    const seen = new Map<string, Collection>()
    for (const p of principals.filter((x) => x.viewer.kind === 'user')) {
      const res = await p.client.get<{ collections: Collection[] }>(`${ROOT}collections/`)
      expect(res.status).toBe(200)
      for (const c of res.body.collections) {
        seen.set(c.id, c)
      }
    }
    allCollections = [...seen.values()]
    expect(allCollections.map((c) => c.alias)).toEqual(
      expect.arrayContaining([
        `group-${world.groups.G1}`,
        `group-${world.groups.G2}`,
        'community',
        'organisation',
      ]),
    )
  })
  afterAll(async () => {
    await server.close()
  })

  it('lists exactly the collections of the caller: audiences, and the groups of their organisation', async () => {
    for (const p of principals) {
      const res = await p.client.get<{ collections?: Collection[] }>(`${ROOT}collections/`)
      if (p.viewer.kind !== 'user') {
        expect(res.status, p.name).toBe(401)
        continue
      }
      const groups = p.viewer.groupIds
      const expected = allCollections
        .filter((c) => !c.alias.startsWith('group-') || groups.includes(c.alias.slice('group-'.length)))
        .map((c) => c.id)
        .sort()
      expect((res.body.collections ?? []).map((c) => c.id).sort(), p.name).toEqual(expected)
    }
  })

  it('judges last, first and copies held by several organisations among what the caller may see', async () => {
    const { a1, b1 } = world.users
    const id = `malware--${randomUUID()}`
    const version = (modified: string) => ({
      type: 'malware',
      spec_version: '2.1',
      id,
      created: '2025-01-01T00:00:00.000Z',
      modified,
      name: modified,
      is_family: true,
    })
    const v1 = '2025-01-01T00:00:00.000Z'
    const v2 = '2025-02-01T00:00:00.000Z'
    // A shares v1 with the community, then keeps v2 to itself.
    expect(
      (await a1.client.post('/api/v1/intel/import?tlp=green&audience=community', version(v1))).status,
    ).toBe(200)
    expect((await a1.client.post('/api/v1/intel/import?tlp=amber&audience=org', version(v2))).status).toBe(
      200,
    )
    // B holds its own copy of v1 too, shared with group G2 only (E is in no group).
    expect(
      (
        await b1.client.post(
          `/api/v1/intel/import?tlp=amber&audience=group&group=${world.groups.G2}`,
          version(v1),
        )
      ).status,
    ).toBe(200)
    const as = (name: string): TaxiiClient => {
      const found = principals.find((p) => p.name === name)
      if (found === undefined) {
        throw new Error(`no principal ${name}`)
      }
      return found.client
    }
    for (const [name, expectedLast] of [
      ['e1', [v1]],
      ['c1', [v1]],
    ] as const) {
      const res = await as(name).get<EnvelopeBody>(`${ROOT}collections/community/objects/${id}/`)
      // The newest version E and C may see in the community collection is v1: v2 hides nothing, shifts nothing.
      expect(
        res.body.objects?.map((o) => o.modified),
        name,
      ).toEqual(expectedLast)
      const first = await as(name).get<EnvelopeBody>(
        `${ROOT}collections/community/objects/${id}/?match[version]=first`,
      )
      expect(
        first.body.objects?.map((o) => o.modified),
        name,
      ).toEqual([v1])
      const versions = await as(name).get<{ versions: string[] }>(
        `${ROOT}collections/community/objects/${id}/versions/`,
      )
      expect(versions.body.versions, name).toEqual([v1])
    }
    // A sees v2 in its own collection, v1 in the community's.
    const own = await as('a1').get<EnvelopeBody>(`${ROOT}collections/organisation/objects/${id}/`)
    expect(own.body.objects?.map((o) => o.modified)).toEqual([v2])
    // Each version once, even where two copies of it are visible (D sees community and G2 copies in
    // two collections, one copy in each).
    const d1 = as('d1')
    const community = await d1.get<ManifestBody>(
      `${ROOT}collections/community/manifest/?match[id]=${id}&match[version]=all`,
    )
    expect(community.body.objects?.map((o) => o.version)).toEqual([v1])
    const g2 = await d1.get<ManifestBody>(
      `${ROOT}collections/group-${world.groups.G2}/manifest/?match[id]=${id}&match[version]=all`,
    )
    expect(g2.body.objects?.map((o) => o.version)).toEqual([v1])
    // E cannot delete A's copy (403, it sees it); nor can C.
    expect((await as('e1').delete(`${ROOT}collections/community/objects/${id}/`)).status).toBe(403)
    expect(
      (await as('c1').delete(`${ROOT}collections/community/objects/${id}/?match[version]=all`)).status,
    ).toBe(403)
  })

  it('answers objects, manifest, object, versions and DELETE with exactly what canSee allows, counts and 404s included', async () => {
    const probeIds = new Set(probes.map((p) => p.id))
    const matchIds = `match[id]=${probes.map((p) => p.id).join(',')}`
    const missingId = `indicator--${randomUUID()}`
    for (const p of principals) {
      const where = `as ${p.name}`
      const reachable = new Set<string>()
      for (const collection of allCollections) {
        const base = `${ROOT}collections/${collection.id}/`
        if (p.viewer.kind !== 'user') {
          for (const target of [
            base,
            `${base}objects/`,
            `${base}manifest/`,
            `${base}objects/${probes[0]?.id ?? ''}/`,
          ]) {
            expect((await p.client.get(target)).status, `${target} ${where}`).toBe(401)
          }
          continue
        }
        const viewer = p.viewer
        const member =
          !collection.alias.startsWith('group-') || viewer.groupIds.includes(collection.alias.slice(6))
        if (!member) {
          // Another group's collection: as if it did not exist, whatever is asked of it.
          const unknown = randomUUID()
          for (const suffix of ['', 'objects/', 'manifest/', `objects/${probes[0]?.id ?? ''}/`]) {
            const hidden = await p.client.get(`${base}${suffix}`)
            const missing = await p.client.get(`${ROOT}collections/${unknown}/${suffix}`)
            sameNotFound(hidden, missing, collection.id, unknown)
          }
          continue
        }
        const visible = probes.filter(
          (probe) => canSee(viewer, probe.label) && inCollection(probe.label, collection),
        )
        const expected = visible.map((probe) => probe.id).sort()
        // Paged with a small limit: every page holds only what the caller may see.
        for (const endpoint of ['objects', 'manifest'] as const) {
          const ids: string[] = []
          const versions: string[] = []
          let next: string | undefined
          do {
            const res = await p.client.get<EnvelopeBody & ManifestBody>(
              `${base}${endpoint}/?match[version]=all&limit=3${next === undefined ? '' : `&next=${encodeURIComponent(next)}`}`,
            )
            expect(res.status, `${endpoint} ${collection.alias} ${where}: ${res.text}`).toBe(200)
            for (const item of res.body.objects ?? []) {
              if (probeIds.has(item.id)) {
                ids.push(item.id)
                versions.push(
                  `${item.id} ${endpoint === 'manifest' ? String(item.version) : String(item.modified)}`,
                )
              }
            }
            next = res.body.next
          } while (next !== undefined)
          expect([...new Set(ids)].sort(), `${endpoint} ${collection.alias} ${where}`).toEqual(expected)
          expect(versions.length, `${endpoint} versions ${collection.alias} ${where}`).toBe(
            expected.length * 2,
          )
        }
        // Counts: a page exactly as long as what may be seen says there is no more.
        const exact = await p.client.get<ManifestBody>(
          `${base}manifest/?${matchIds}&limit=${Math.max(1, expected.length)}`,
        )
        expect(exact.body.more, `more ${collection.alias} ${where}`).toBe(false)
        expect((exact.body.objects ?? []).map((o) => o.id).sort()).toEqual(expected)
        if (expected.length === 0) {
          expect(exact.headers.get('x-taxii-date-added-first'), `${collection.alias} ${where}`).toBeNull()
        }
        // One object, its versions, and DELETE: a hidden object answers exactly as a missing one.
        const missing = {
          object: await p.client.get(`${base}objects/${missingId}/`),
          versions: await p.client.get(`${base}objects/${missingId}/versions/`),
          delete: await p.client.delete(`${base}objects/${missingId}/?match[version]=all`),
        }
        for (const probe of probes) {
          const object = await p.client.get<EnvelopeBody>(`${base}objects/${probe.id}/?match[version]=all`)
          const versions = await p.client.get<{ versions?: string[] }>(`${base}objects/${probe.id}/versions/`)
          if (visible.includes(probe)) {
            reachable.add(probe.id)
            expect(object.status, `object ${probe.id} ${collection.alias} ${where}`).toBe(200)
            expect(object.body.objects?.map((o) => o.modified).sort()).toEqual(probe.versions)
            expect([...(versions.body.versions ?? [])].sort()).toEqual(probe.versions)
            continue
          }
          sameNotFound(object, missing.object, probe.id, missingId)
          sameNotFound(versions, missing.versions, probe.id, missingId)
          const deleted = await p.client.delete(`${base}objects/${probe.id}/?match[version]=all`)
          sameNotFound(deleted, missing.delete, probe.id, missingId)
        }
      }
      if (p.viewer.kind === 'user') {
        // And nothing the caller may see is out of reach: the collections cover the rule.
        const viewer = p.viewer
        const allowed = probes.filter((probe) => canSee(viewer, probe.label)).map((probe) => probe.id)
        expect([...reachable].sort(), `reachable ${where}`).toEqual(allowed.sort())
      }
    }
    // Nobody deleted anything on the way: every probe is still there for its owner.
    for (const probe of probes) {
      const owner = probe.label.ownerOrg === world.orgs.A ? 'a1' : 'b1'
      const client = principals.find((x) => x.name === owner)?.client
      const collection = allCollections.find((c) => inCollection(probe.label, c))
      const res = await client?.get(`${ROOT}collections/${collection?.id ?? ''}/objects/${probe.id}/`)
      expect(res?.status, probe.id).toBe(200)
    }
  })

  it('names to no caller an object it may not see: members of a report, ends of a relationship', async () => {
    const { report, relationships } = namingEvery(
      probes.map((probe) => probe.id),
      '2025-07-01T00:00:00.000Z',
    )
    const reportId = report.id
    const res = await world.users.a1.client.post(
      '/api/v1/intel/import?tlp=clear&audience=federation&source=taxii-leak-named',
      [report, ...relationships],
    )
    expect(res.status, res.text).toBe(200)
    const federation = allCollections.find((c) => c.alias === 'federation')
    expect(federation).toBeDefined()
    const base = `${ROOT}collections/${federation?.id ?? ''}/`
    for (const p of principals) {
      if (p.viewer.kind !== 'user') {
        continue
      }
      const viewer = p.viewer
      const visible = probes.filter((probe) => canSee(viewer, probe.label)).map((probe) => probe.id)
      const hidden = probes.filter((probe) => !canSee(viewer, probe.label)).map((probe) => probe.id)
      const byId = await p.client.get<EnvelopeBody>(`${base}objects/${reportId}/`)
      const listed = await p.client.get<EnvelopeBody>(
        `${base}objects/?match[type]=report,relationship&added_after=${encodeURIComponent('2025-01-01T00:00:00Z')}`,
      )
      expect(byId.status, byId.text).toBe(200)
      const shown = byId.body.objects?.[0] as { object_refs?: string[] } | undefined
      expect([...(shown?.object_refs ?? [])].sort(), `report as ${p.name}`).toEqual([...visible].sort())
      // A relationship without a source the caller may see is no STIX relationship: left out.
      expect(
        (listed.body.objects ?? [])
          .filter((o) => o.id.startsWith('relationship--'))
          .map((o) => o.id)
          .sort(),
        `relationships as ${p.name}`,
      ).toEqual(
        relationships
          .filter((r) => visible.includes(String(r.source_ref)))
          .map((r) => r.id)
          .sort(),
      )
      // The manifest lists exactly what the objects endpoint gives.
      const manifest = await p.client.get<ManifestBody>(
        `${base}manifest/?match[type]=report,relationship&added_after=${encodeURIComponent('2025-01-01T00:00:00Z')}`,
      )
      expect((manifest.body.objects ?? []).map((o) => o.id).sort(), `manifest as ${p.name}`).toEqual(
        (listed.body.objects ?? []).map((o) => o.id).sort(),
      )
      for (const text of [byId.text, listed.text]) {
        for (const id of hidden) {
          expect(text.includes(id), `${id} named to ${p.name}`).toBe(false)
        }
      }
    }
  })
})
