import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGroup } from '../../src/server/modules/group/group.service.js'
import { importContent } from '../../src/server/modules/intel/intel.service.js'
import { TEST_OPERATOR } from '../helpers/factories.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { indicator, OASIS_TLP2 } from '../helpers/stix.js'
import { STORE_KINDS } from '../helpers/stores.js'
import {
  createApiKey,
  ROOT,
  storedItems,
  taxiiErrorCode,
  TaxiiClient,
  TLP2_DEFINITION_IDS,
  type EnvelopeBody,
  type ManifestBody,
} from '../helpers/taxii.js'

/** The five definitions in TAXII order (by id, each a microsecond after the one before). */
const DEFINITIONS = Object.values(OASIS_TLP2).sort((a, b) => (a.id < b.id ? -1 : 1))
const GREEN = OASIS_TLP2.green.id
/** The date added of the first definition, as TAXII writes it, and their one version. */
const DEFINITIONS_ADDED = '2022-10-01T00:00:00.000000Z'
/** The date added of each definition: a microsecond apart, in id order (no two share one). */
const ADDED_OF = new Map(TLP2_DEFINITION_IDS.map((id, i) => [id, `2022-10-01T00:00:00.00000${i}Z`]))
const LAST_DEFINITION_ADDED = '2022-10-01T00:00:00.000004Z'
const DEFINITIONS_VERSION = '2022-10-01T00:00:00.000Z'

/** The TAXII version of an object the objects endpoint returns: `modified`, else `created`. */
function versionOf(object: { modified?: string; [key: string]: unknown }): string {
  return object.modified ?? String(object.created)
}

describe.each(STORE_KINDS)('TAXII serves the TLP 2.0 marking definitions (%s)', (kind) => {
  let server: TestServer
  let analyst: TaxiiClient
  let analystOrg: string
  let analystId: string

  /** A new sharing group of the analyst's organisation, with its (empty) collection. */
  async function freshGroupCollection(): Promise<{ id: string; groupId: string }> {
    const group = await createGroup(server.store.db, TEST_OPERATOR, {
      name: `M ${randomUUID().slice(0, 8)}`,
      ownerOrgId: analystOrg,
      memberOrgIds: [],
    })
    const res = await analyst.get<{ id: string }>(`${ROOT}collections/group-${group.group.id}/`)
    expect(res.status, res.text).toBe(200)
    return { id: res.body.id, groupId: group.group.id }
  }

  beforeAll(async () => {
    server = await startTestServer(kind)
    const a = await server.loginAsNewUser({ role: 'analyst' })
    analystOrg = a.orgId
    analystId = a.userId
    analyst = new TaxiiClient(server.url, await createApiKey(a.client))
  })
  afterAll(async () => {
    await server.close()
  })

  it('gives a client reading a collection from the start every definition its objects name, first, as OASIS wrote them; reading on does not repeat them', async () => {
    const { id: collection } = await freshGroupCollection()
    const posted = [indicator(), indicator({ object_marking_refs: [OASIS_TLP2['amber+strict'].id] })]
    expect((await analyst.postAndWait(collection, posted)).success_count).toBe(2)

    const read = await analyst.get<EnvelopeBody>(`${ROOT}collections/${collection}/objects/`)
    expect(read.status, read.text).toBe(200)
    const objects = read.body.objects ?? []
    expect(objects.slice(0, 5)).toEqual(DEFINITIONS)
    expect(read.headers.get('x-taxii-date-added-first')).toBe(DEFINITIONS_ADDED)
    // Each marking an object names is a definition read before it (TLP:AMBER of the collection's
    // label, TLP:AMBER+STRICT of the object's own marking).
    // (Objects of one POST are stored in id order, each at its own date added.)
    const postedIds = posted.map((o) => o.id).sort()
    expect(storedItems(objects).map((o) => o.id)).toEqual(postedIds)
    for (const [i, object] of objects.entries()) {
      const refs = (object.object_marking_refs ?? []) as string[]
      for (const ref of refs) {
        expect(
          objects.slice(0, i).map((o) => o.id),
          `${object.id} names ${ref}`,
        ).toContain(ref)
      }
    }
    expect(objects.find((o) => o.id === posted[0]?.id)?.object_marking_refs).toEqual([OASIS_TLP2.amber.id])
    expect(objects.find((o) => o.id === posted[1]?.id)?.object_marking_refs).toEqual([
      OASIS_TLP2['amber+strict'].id,
    ])

    // A client reading on from where it stopped gets no definition again.
    const last = read.headers.get('x-taxii-date-added-last') ?? ''
    const on = await analyst.get<EnvelopeBody>(
      `${ROOT}collections/${collection}/objects/?added_after=${encodeURIComponent(last)}`,
    )
    expect(on.body).toEqual({ more: false })
    const later = indicator()
    await analyst.postAndWait(collection, [later])
    const next = await analyst.get<EnvelopeBody>(
      `${ROOT}collections/${collection}/objects/?added_after=${encodeURIComponent(last)}`,
    )
    expect(next.body.objects?.map((o) => o.id)).toEqual([later.id])
    // Paged by cursor, the definitions come once, on the first pages.
    const seen: string[] = []
    let cursor: string | undefined
    do {
      const page = await analyst.get<EnvelopeBody>(
        `${ROOT}collections/${collection}/objects/?limit=2${cursor === undefined ? '' : `&next=${encodeURIComponent(cursor)}`}`,
      )
      expect(page.body.objects?.length ?? 0).toBeLessThanOrEqual(2)
      seen.push(...(page.body.objects ?? []).map((o) => o.id))
      cursor = page.body.next
    } while (cursor !== undefined)
    expect(seen).toEqual([...TLP2_DEFINITION_IDS, ...postedIds, later.id])
  })

  it('lists in the manifest exactly what the objects endpoint returns, whatever the filters', async () => {
    const { id: collection } = await freshGroupCollection()
    const posted = [indicator(), indicator()]
    await analyst.postAndWait(collection, posted)
    const cases: [string, number][] = [
      ['', 7],
      ['match[type]=marking-definition', 5],
      ['match[type]=indicator', 2],
      [`match[id]=${GREEN},${posted[0]?.id ?? ''}`, 2],
      [`match[version]=${DEFINITIONS_VERSION}`, 5],
      ['match[version]=first', 7],
      ['match[version]=all', 7],
      ['match[spec_version]=2.1', 7],
      ['match[spec_version]=2.0', 0],
      ['added_after=2022-09-30T23:59:59Z', 7],
      [`added_after=${DEFINITIONS_ADDED}`, 6],
      [`added_after=${LAST_DEFINITION_ADDED}`, 2],
      ['match[type]=marking-definition&added_after=2022-10-01T00:00:00Z', 4],
      [`match[type]=marking-definition&added_after=${LAST_DEFINITION_ADDED}`, 0],
      ['limit=3', 3],
      ['limit=5&match[version]=all', 5],
    ]
    for (const [query, count] of cases) {
      const objects = await analyst.get<EnvelopeBody>(`${ROOT}collections/${collection}/objects/?${query}`)
      const manifest = await analyst.get<ManifestBody>(`${ROOT}collections/${collection}/manifest/?${query}`)
      expect(objects.status, `objects?${query}: ${objects.text}`).toBe(200)
      expect(manifest.status, `manifest?${query}`).toBe(200)
      const fromObjects = (objects.body.objects ?? []).map((o) => `${o.id} ${versionOf(o)}`)
      const fromManifest = (manifest.body.objects ?? []).map((m) => `${m.id} ${m.version}`)
      expect(fromManifest, query).toEqual(fromObjects)
      expect(fromObjects, query).toHaveLength(count)
      expect(manifest.body.more, query).toBe(objects.body.more)
      for (const header of ['x-taxii-date-added-first', 'x-taxii-date-added-last']) {
        expect(manifest.headers.get(header), `${header} ${query}`).toBe(objects.headers.get(header))
      }
    }
    const definitions = await analyst.get<ManifestBody>(
      `${ROOT}collections/${collection}/manifest/?match[type]=marking-definition`,
    )
    expect(definitions.body.objects).toEqual(
      TLP2_DEFINITION_IDS.map((id) => ({
        id,
        date_added: ADDED_OF.get(id),
        version: DEFINITIONS_VERSION,
        media_type: 'application/stix+json;version=2.1',
      })),
    )
  })

  it('lists each definition once, also when a copy of it was imported with content; a POSTed copy stores nothing', async () => {
    const { id: collection, groupId } = await freshGroupCollection()
    const held = () =>
      server.store.db
        .selectFrom('stix_objects')
        .select('id')
        .where('id', '=', GREEN)
        .where('owner_org_id', '=', analystOrg)
        .execute()
    const posted = await analyst.postAndWait(collection, [OASIS_TLP2.green, indicator()])
    expect(posted).toMatchObject({ success_count: 2, failure_count: 0 })
    expect(posted.successes?.find((s) => s.id === GREEN)).toEqual({
      id: GREEN,
      version: DEFINITIONS_VERSION,
      message: expect.stringMatching(/every collection holds the OASIS definition/) as unknown,
    })
    expect(await held()).toEqual([])

    // Imported with content (not by TAXII), the definition is kept as an object of the importer's.
    await importContent(
      server.store.db,
      { actor: TEST_OPERATOR, orgId: analystOrg, groupIds: [groupId], userId: analystId },
      [OASIS_TLP2.green, indicator({ object_marking_refs: [GREEN] })],
      {
        format: 'stix',
        label: { tlp: 'amber', audience: 'group', sharingGroups: [groupId] },
        skipInvalid: false,
        source: 'markings-test',
      },
    )
    expect(await held()).toHaveLength(1)
    for (const endpoint of ['objects', 'manifest']) {
      for (const query of [
        '',
        '?match[version]=all',
        `?match[id]=${GREEN}`,
        '?match[type]=marking-definition',
      ]) {
        const res = await analyst.get<EnvelopeBody>(`${ROOT}collections/${collection}/${endpoint}/${query}`)
        const ids = (res.body.objects ?? []).map((o) => o.id)
        expect(
          ids.filter((id) => id === GREEN),
          `${endpoint}${query}`,
        ).toHaveLength(1)
        expect(new Set(ids).size, `${endpoint}${query}`).toBe(ids.length)
      }
    }
    const byId = await analyst.get<EnvelopeBody>(`${ROOT}collections/${collection}/objects/${GREEN}/`)
    expect(byId.body.objects).toEqual([OASIS_TLP2.green])
    const versions = await analyst.get<{ versions?: string[] }>(
      `${ROOT}collections/${collection}/objects/${GREEN}/versions/`,
    )
    expect(versions.body.versions).toEqual([DEFINITIONS_VERSION])
  })

  it('answers a definition by id and its one version in every readable collection; DELETE of it is refused', async () => {
    const { id: collection } = await freshGroupCollection()
    for (const target of [collection, 'public', 'community']) {
      const one = await analyst.get<EnvelopeBody>(`${ROOT}collections/${target}/objects/${GREEN}/`)
      expect(one.status, one.text).toBe(200)
      expect(one.body).toEqual({ more: false, objects: [OASIS_TLP2.green] })
      expect(one.headers.get('x-taxii-date-added-first')).toBe(ADDED_OF.get(GREEN))
    }
    const versions = await analyst.get<{ more: boolean; versions?: string[] }>(
      `${ROOT}collections/${collection}/objects/${GREEN}/versions/`,
    )
    expect(versions.body).toEqual({ more: false, versions: [DEFINITIONS_VERSION] })
    const later = await analyst.get<{ more: boolean; versions?: string[] }>(
      `${ROOT}collections/${collection}/objects/${GREEN}/versions/?added_after=${ADDED_OF.get(GREEN) ?? ''}`,
    )
    expect(later.body).toEqual({ more: false })
    // Another version of it is no error: the object is there, that version is not.
    const other = await analyst.get<EnvelopeBody>(
      `${ROOT}collections/${collection}/objects/${GREEN}/?match[version]=2025-01-01T00:00:00.000Z`,
    )
    expect(other.status).toBe(200)
    expect(other.body).toEqual({ more: false })

    const deleted = await analyst.delete(`${ROOT}collections/${collection}/objects/${GREEN}/`)
    expect(deleted.status, deleted.text).toBe(403)
    expect(taxiiErrorCode(deleted)).toBe('forbidden')
    const still = await analyst.get<EnvelopeBody>(`${ROOT}collections/${collection}/objects/${GREEN}/`)
    expect(still.body.objects).toEqual([OASIS_TLP2.green])
  })
})
