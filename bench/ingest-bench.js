// Ingestion benchmark: `npm run bench:ingest -- --count N [--database-url postgres://…]`.
// Generates N STIX indicators (~10 % of values shared, so correlation has work) and a MISP event
// with 300,000 attributes, imports them through the CLI's code path (a large bundle file read piece by
// piece, the MISP event whole), then measures
// correlation (single and bulk) and the raw limit: plain prepared inserts of the same rows into SQLite.
// Prints figures, ratios to the targets of issue 4, and a last line of JSON.
import { randomUUID } from 'node:crypto'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { indicator } from './fixtures.js'
import { scratchDatabase } from './scratch-database.js'

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback
}
const count = Number(option('count', '1000000'))
const mispAttributes = Number(option('misp-attributes', '300000'))
const databaseUrl = option('database-url', null)
if (!Number.isInteger(count) || count < 1) {
  console.error('--count must be a positive integer')
  process.exit(2)
}

const dist = new URL('../dist/src/', import.meta.url)
const { openStore } = await import(new URL('server/store/store.js', dist).href)
const { migrateToLatest } = await import(new URL('server/store/migrate.js', dist).href)
const { importContent } = await import(new URL('server/modules/intel/intel.service.js', dist).href)
const { importStixFile, isLargeFile } = await import(
  new URL('server/modules/intel/intel.stream.js', dist).href
)
const { correlateMany, correlateValues } = await import(
  new URL('server/modules/intel/intel.query.js', dist).href
)
const { createOrganisation } = await import(new URL('server/modules/org/org.service.js', dist).href)

const log = (text) => process.stderr.write(`${text}\n`)

const dataDir = mkdtempSync(path.join(tmpdir(), 'liaison-bench-'))
// PostgreSQL: a database of the run's own (an empty store, as on SQLite), dropped after.
const scratch = databaseUrl === null ? null : await scratchDatabase(databaseUrl)
const store = openStore({ dataDir, databaseUrl: scratch?.url ?? null })
await migrateToLatest(store)
const operator = { kind: 'cli', osUser: 'bench' }
const org = await createOrganisation(store.db, operator, {
  name: `Bench ${randomUUID().slice(0, 6)}`,
  type: 'national-csirt',
})
const importer = { actor: operator, orgId: org.id, groupIds: [], userId: randomUUID() }

// ~10 % of indicators share a value with another one.
const shared = Math.max(1, Math.floor(count / 10))
const valueOf = (i) => {
  const n = i % 10 === 0 ? i % shared : i
  return `${10 + ((n >>> 16) & 0xff)}.${(n >>> 8) & 0xff}.${n & 0xff}.${(n >>> 24) & 0xff}`
}
const uuidOf = (i) => `${i.toString(16).padStart(8, '0')}-0000-4000-8000-${'0'.repeat(12)}`
// The bundle is written to a file object by object and imported as the CLI imports a file: a large
// bundle is read piece by piece, never held whole.
const indicatorOf = (i) => indicator(`indicator--${uuidOf(i)}`, null, valueOf(i))
log(`writing ${count} indicators to a bundle file…`)
const bundleFile = path.join(dataDir, 'bundle.json')
{
  const fd = openSync(bundleFile, 'w')
  writeSync(fd, `{"type":"bundle","id":"bundle--${randomUUID()}","objects":[\n`)
  let chunk = []
  for (let i = 0; i < count; i++) {
    chunk.push(JSON.stringify(indicatorOf(i)))
    if (chunk.length === 10000 || i === count - 1) {
      writeSync(fd, chunk.join(',\n') + (i === count - 1 ? '\n' : ',\n'))
      chunk = []
    }
  }
  writeSync(fd, ']}\n')
  closeSync(fd)
}
const fileMb = Math.round(statSync(bundleFile).size / 1024 / 1024)

log(`importing (${fileMb} MB)…`)
let t = performance.now()
const request = {
  format: 'stix',
  label: { tlp: 'green', audience: 'community' },
  skipInvalid: false,
  source: 'bench',
  onCheck: (done, total) => process.stderr.write(`\r  checking ${Math.round((done / total) * 100)} %`),
  onProgress: (done, total) => process.stderr.write(`\r  storing ${done}/${total}      `),
}
const summary = (await isLargeFile(bundleFile))
  ? await importStixFile(store.db, importer, bundleFile, request)
  : await importContent(store.db, importer, JSON.parse(readFileSync(bundleFile, 'utf8')), request)
const importSeconds = (performance.now() - t) / 1000
process.stderr.write('\n')
const objectsPerSecond = Math.round(summary.created / importSeconds)
// The high-water mark so far: the STIX import alone (the MISP event below holds its whole mapping).
const stixPeakRssMb = Math.round(process.resourceUsage().maxRSS / 1024)

// The MISP mega-event.
let mispEventSeconds = null
if (mispAttributes > 0) {
  log(`MISP event with ${mispAttributes} attributes…`)
  const attributes = new Array(mispAttributes)
  for (let i = 0; i < mispAttributes; i++) {
    attributes[i] = {
      uuid: randomUUID(),
      type: 'ip-dst',
      category: 'Network activity',
      value: valueOf(i + 7),
      to_ids: true,
      timestamp: '1735689600',
      distribution: '5',
    }
  }
  const event = {
    Event: {
      uuid: randomUUID(),
      info: 'Benchmark mega-event',
      date: '2025-01-01',
      threat_level_id: '2',
      analysis: '2',
      distribution: '1',
      timestamp: '1735689600',
      published: true,
      Attribute: attributes,
    },
  }
  t = performance.now()
  await importContent(store.db, importer, event, {
    format: 'misp',
    label: { tlp: 'green', audience: 'community' },
    skipInvalid: false,
    source: 'bench-misp',
  })
  mispEventSeconds = (performance.now() - t) / 1000
}

// Correlation: single look-ups, then one bulk call of 10,000 values.
const viewer = { kind: 'user', userId: importer.userId, orgId: org.id, groupIds: [] }
const singles = 2000
t = performance.now()
for (let i = 0; i < singles; i++) {
  await correlateValues(store.db, viewer, [valueOf((i * 7919) % count)], { limit: 10, offset: 0 })
}
const singleLookupsPerSecond = Math.round(singles / ((performance.now() - t) / 1000))
const bulkValues = Array.from({ length: 10000 }, (_, i) => valueOf((i * 104729) % count))
t = performance.now()
await correlateMany(store.db, viewer, bulkValues, 10)
const bulkCorrelate10kSeconds = (performance.now() - t) / 1000
// Again: the first call right after a large import reads pages the read connection has not cached
// yet (and, on SQLite, a WAL still being copied into the file); the second shows the steady state.
t = performance.now()
await correlateMany(store.db, viewer, bulkValues, 10)
const bulkCorrelate10kSecondsAgain = (performance.now() - t) / 1000
await store.close()

// The raw limit: the same rows, plain prepared inserts into SQLite, one transaction.
log('raw insert limit…')
const raw = new Database(path.join(dataDir, 'raw.db'))
raw.pragma('journal_mode = WAL')
raw.pragma('synchronous = NORMAL')
raw.exec(
  'create table t (id text, modified text, owner text, type text, json text, primary key (id, modified, owner))',
)
const insert = raw.prepare('insert into t values (?, ?, ?, ?, ?)')
t = performance.now()
raw.transaction(() => {
  for (let i = 0; i < count; i++) {
    const object = indicatorOf(i)
    insert.run(object.id, object.modified, org.id, object.type, JSON.stringify(object))
  }
})()
const rawPerSecond = Math.round(count / ((performance.now() - t) / 1000))
raw.close()

// The floor of Liaison's own schema: the same object and observable rows, plain prepared inserts into
// the migrated tables with all their indexes. The gap between this and the raw limit is the cost of
// the indexes that search, correlation and versions need; the gap between Liaison and this is ours.
log('schema floor…')
const floorDir = path.join(dataDir, 'floor')
const floorStore = openStore({ dataDir: floorDir, databaseUrl: null })
await migrateToLatest(floorStore)
await floorStore.close()
const floor = new Database(path.join(floorDir, 'liaison.db'))
floor.pragma('journal_mode = WAL')
floor.pragma('synchronous = NORMAL')
floor.pragma('cache_size = -262144')
floor.pragma('foreign_keys = OFF')
const insertObject = floor.prepare(
  'insert into stix_objects (id, modified, owner_org_id, type, created, valid_until, revoked, is_latest, label_id, json, name, source, import_id, added_at) values (?, ?, ?, ?, ?, null, 0, 1, ?, ?, ?, ?, ?, ?)',
)
const insertObservable = floor.prepare(
  "insert into observables (object_id, owner_org_id, kind, key, range_start, range_end, network, origin) values (?, ?, 'ipv4-addr', ?, ?, ?, 0, 'pattern')",
)
const floorLabel = randomUUID()
const floorImport = randomUUID()
const addedAt = new Date().toISOString()
t = performance.now()
floor.transaction(() => {
  for (let i = 0; i < count; i++) {
    const object = indicatorOf(i)
    const value = valueOf(i)
    insertObject.run(
      object.id,
      object.modified,
      org.id,
      object.type,
      object.created,
      floorLabel,
      JSON.stringify(object),
      typeof object.name === 'string' ? object.name : null,
      'bench',
      floorImport,
      addedAt,
    )
    insertObservable.run(object.id, org.id, `ipv4-addr:${value}`, value, value)
  }
})()
const floorPerSecond = Math.round(count / ((performance.now() - t) / 1000))
floor.close()
rmSync(dataDir, { recursive: true, force: true })
await scratch?.drop()

const result = {
  objects: summary.created,
  objectsPerSecond,
  mispEventSeconds: mispEventSeconds === null ? null : Number(mispEventSeconds.toFixed(2)),
  bulkCorrelate10kSeconds: Number(bulkCorrelate10kSeconds.toFixed(3)),
  bulkCorrelate10kSecondsAgain: Number(bulkCorrelate10kSecondsAgain.toFixed(3)),
  // The kernel's high-water mark (kilobytes): exact even while synchronous work keeps timers from firing.
  peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  stixPeakRssMb,
  rawInsertRatio: Number((objectsPerSecond / rawPerSecond).toFixed(3)),
  schemaFloorRatio: Number((objectsPerSecond / floorPerSecond).toFixed(3)),
}
const ratio = (value, target, higherIsBetter) =>
  `${(higherIsBetter ? value / target : target / value).toFixed(2)}× target`
console.log(`store: ${databaseUrl === null ? 'sqlite' : 'postgres'}; ${count} indicators`)
console.log(`import: ${objectsPerSecond} objects/s (${ratio(objectsPerSecond, 100000, true)} of 100,000/s)`)
console.log(
  `raw SQLite inserts: ${rawPerSecond} rows/s; Liaison reaches ${(result.rawInsertRatio * 100).toFixed(1)} % of it`,
)
console.log(
  `schema floor (same rows into Liaison's tables and indexes): ${floorPerSecond} objects/s; Liaison reaches ${(result.schemaFloorRatio * 100).toFixed(1)} % of it`,
)
if (mispEventSeconds !== null) {
  console.log(
    `MISP event, ${mispAttributes} attributes: ${result.mispEventSeconds} s (${ratio(result.mispEventSeconds, 10, false)} of < 10 s)`,
  )
}
console.log(
  `correlation: ${singleLookupsPerSecond} single look-ups/s; 10,000 values in one bulk call: ${result.bulkCorrelate10kSeconds} s (${ratio(result.bulkCorrelate10kSeconds, 1, false)} of < 1 s), the same call again: ${result.bulkCorrelate10kSecondsAgain} s`,
)
console.log(
  `peak RSS: ${result.peakRssMb} MB (${ratio(result.peakRssMb, 1536, false)} of < 1.5 GB); during the STIX import of ${count} objects: ${stixPeakRssMb} MB (${ratio(stixPeakRssMb, 1536, false)})`,
)
console.log(JSON.stringify(result))
