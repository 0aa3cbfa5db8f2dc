// Everyday reads on a large store: `npm run bench:reads -- [--count 300000] [--database-url postgres://…]`.
// Fills a store of its own with `count` indicators (three imports), a report over the first 1,000 and
// sightings of the first 10, starts the API on a loopback port, and times the requests an analyst's
// screens make (search with each filter, a deep page, an object and its sightings, expired
// indicators, a correlation, small exports) over HTTP with an API key: the median of three, in ms.
// No issue names limits for these; what it guards against is a read that walks the whole store (a
// search by value once took 0.6 s at 300,000 objects, a page of search results 170 ms). The last line
// is JSON.
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { analystWithKey, CREATED, indicator } from './fixtures.js'
import { scratchDatabase } from './scratch-database.js'

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback
}
const count = Number(option('count', '300000'))
if (!Number.isInteger(count) || count < 1000) {
  console.error('--count must be an integer of at least 1000')
  process.exit(2)
}
const databaseUrl = option('database-url', null)
const log = (text) => process.stderr.write(`${text}\n`)
const dist = new URL('../dist/src/', import.meta.url)
const { readConfig } = await import(new URL('server/config.js', dist).href)
const { openStore } = await import(new URL('server/store/store.js', dist).href)
const { migrateToLatest } = await import(new URL('server/store/migrate.js', dist).href)
const { buildApp } = await import(new URL('server/app.js', dist).href)
const { importContent } = await import(new URL('server/modules/intel/intel.service.js', dist).href)

const dataDir = mkdtempSync(path.join(tmpdir(), 'liaison-reads-bench-'))
const scratch = databaseUrl === null ? null : await scratchDatabase(databaseUrl)
const config = readConfig({
  LIAISON_DATA_DIR: dataDir,
  LIAISON_HOST: '127.0.0.1',
  LIAISON_PORT: '0',
  LIAISON_LOG_LEVEL: 'silent',
  ...(scratch === null ? {} : { LIAISON_DATABASE_URL: scratch.url }),
})
const store = openStore(config)
await migrateToLatest(store)
const { operator, org, user, token } = await analystWithKey(store)
const importer = { actor: operator, orgId: org.id, groupIds: [], userId: user.id }
const label = { tlp: 'green', audience: 'community' }
const created = CREATED
const valueOf = (i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
const bundle = (objects) => ({ type: 'bundle', id: `bundle--${randomUUID()}`, objects })

log(`filling a store with ${count} indicators…`)
let t = performance.now()
const ids = []
const part = Math.ceil(count / 3)
for (let start = 0; start < count; start += part) {
  const objects = []
  for (let i = start; i < Math.min(count, start + part); i++) {
    const id = `indicator--${randomUUID()}`
    ids.push(id)
    objects.push(indicator(id, `indicator ${i}`, valueOf(i)))
  }
  await importContent(store.db, importer, bundle(objects), {
    format: 'stix',
    label,
    skipInvalid: false,
    source: 'bulk',
  })
}
const sensor = `identity--${randomUUID()}`
await importContent(
  store.db,
  importer,
  bundle([
    {
      type: 'identity',
      spec_version: '2.1',
      id: sensor,
      created,
      modified: created,
      name: 'Sensor',
      identity_class: 'organization',
    },
    {
      type: 'report',
      spec_version: '2.1',
      id: `report--${randomUUID()}`,
      created,
      modified: created,
      name: 'Campaign',
      published: created,
      object_refs: ids.slice(0, 1000),
    },
    ...ids.slice(0, 10).map((id) => ({
      type: 'sighting',
      spec_version: '2.1',
      id: `sighting--${randomUUID()}`,
      created,
      modified: created,
      sighting_of_ref: id,
      where_sighted_refs: [sensor],
      count: 3,
    })),
  ]),
  { format: 'stix', label, skipInvalid: false, source: 'analysis' },
)
log(`filled in ${((performance.now() - t) / 1000).toFixed(1)} s`)

const app = await buildApp(config, { store })
await app.listen({ host: '127.0.0.1', port: 0 })
const base = `http://127.0.0.1:${app.server.address().port}/api/v1`
const headers = { authorization: `Bearer ${token}` }
const results = {}
async function time(name, target) {
  const ms = []
  for (let k = 0; k < 3; k++) {
    const start = performance.now()
    const res = await fetch(base + target, { headers })
    await res.text()
    if (res.status !== 200) {
      throw new Error(`GET ${target}: ${res.status}`)
    }
    ms.push(performance.now() - start)
  }
  const median = ms.sort((a, b) => a - b)[1]
  results[name] = Number(median.toFixed(1))
  log(`${name.padEnd(34)} ${median.toFixed(1).padStart(8)} ms`)
}
const id = ids[5]
await time('search', '/intel/objects?limit=50')
await time('search by type (common)', '/intel/objects?limit=50&type=indicator')
await time('search by type (rare)', '/intel/objects?limit=50&type=report')
await time('search by value', `/intel/objects?limit=50&value=${valueOf(5)}`)
await time('search by source (rare)', '/intel/objects?limit=50&source=analysis')
await time('search by name (rare)', '/intel/objects?limit=50&name=campaign')
await time('search by name (common)', '/intel/objects?limit=50&name=indicator%201')
await time('search by TLP', '/intel/objects?limit=50&tlp=green')
await time('search added after (none)', '/intel/objects?limit=50&added_after=2999-01-01T00:00:00Z')
await time('search, page at offset 10,000', '/intel/objects?limit=50&offset=10000')
await time('object', `/intel/objects/${id}`)
await time('object sightings', `/intel/objects/${id}/sightings`)
await time('expired indicators', '/intel/expired?limit=50')
await time('correlate one value', `/intel/correlate?value=${valueOf(5)}`)
await time('export CSV of a rare type', '/intel/export?format=csv&type=report')
await time('export STIX of a rare source', '/intel/export?format=stix&source=analysis')
await app.close()
await store.close()
await scratch?.drop()
rmSync(dataDir, { recursive: true, force: true })
console.log(JSON.stringify({ store: scratch === null ? 'sqlite' : 'postgres', objects: count, ms: results }))
