// TAXII 2.1 benchmark: `npm run bench:taxii -- [--count 10000] [--batch 500] [--page 1000] [--gets 2000] [--concurrency 1]
// [--database-url postgres://… [--analyze]] [--profile <dir>]`.
// Starts Liaison in a child process (a real server on a loopback port, its own store), then, as a TAXII
// client over HTTP with an API key: POSTs `count` indicators in envelopes of `batch` to a collection and
// polls the statuses until every object is stored (while a reader asks for the collection every 5 ms,
// to show whether the POSTs hold other requests up); pages through all objects with `limit=page`; and
// fetches `gets` single objects by `match[id]`. Prints objects/s and p50/p99 latencies, the ratio to the
// targets of issue 6 (POST ≥ 50,000 objects/s, page-through ≥ 100,000 objects/s, single GET p99 < 5 ms),
// and a last line of JSON.
import { spawn } from 'node:child_process'
import http from 'node:http'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { analystWithKey, indicator } from './fixtures.js'
import { scratchDatabase } from './scratch-database.js'

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback
}
const databaseUrl = option('database-url', null)
const dist = new URL('../dist/src/', import.meta.url)

if (args.includes('--serve')) {
  await serve(option('data-dir', ''))
} else {
  await client()
}

/** The server side: a migrated store, an organisation, an analyst with an API key, and the app. */
async function serve(dataDir) {
  const { readConfig } = await import(new URL('server/config.js', dist).href)
  const { openStore } = await import(new URL('server/store/store.js', dist).href)
  const { migrateToLatest } = await import(new URL('server/store/migrate.js', dist).href)
  const { buildApp } = await import(new URL('server/app.js', dist).href)
  const config = readConfig({
    LIAISON_DATA_DIR: dataDir,
    LIAISON_HOST: '127.0.0.1',
    LIAISON_PORT: '0',
    LIAISON_LOG_LEVEL: 'silent',
    ...(databaseUrl === null ? {} : { LIAISON_DATABASE_URL: databaseUrl }),
  })
  const store = openStore(config)
  await migrateToLatest(store)
  const { token } = await analystWithKey(store)
  const app = await buildApp(config, { store })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address()
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}`, token })}\n`)
  process.stdin.resume()
  process.stdin.on('end', () => {
    void app
      .close()
      .then(() => store.close())
      .then(() => process.exit(0))
  })
}

/** The client side: the three workloads over HTTP. */
async function client() {
  const count = Number(option('count', '10000'))
  const batch = Number(option('batch', '500'))
  const pageSize = Number(option('page', '1000'))
  const gets = Number(option('gets', '2000'))
  const concurrency = Number(option('concurrency', '1'))
  const log = (text) => process.stderr.write(`${text}\n`)
  const dataDir = mkdtempSync(path.join(tmpdir(), 'liaison-taxii-bench-'))
  // `--profile <dir>` writes a CPU profile of the server there.
  const profile = option('profile', null)
  // The server runs with the flags of `npm start`.
  const nodeArgs = [
    '--max-semi-space-size=64',
    ...(profile === null ? [] : ['--cpu-prof', `--cpu-prof-dir=${profile}`]),
  ]
  // PostgreSQL: a database of the run's own (the counts below assume an empty store), dropped after.
  const scratch = databaseUrl === null ? null : await scratchDatabase(databaseUrl)
  const serverArgs =
    scratch === null ? args : args.map((a, i) => (args[i - 1] === '--database-url' ? scratch.url : a))
  const child = spawn(
    process.execPath,
    [...nodeArgs, new URL(import.meta.url).pathname, '--serve', '--data-dir', dataDir, ...serverArgs],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  )
  const first = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout })
    lines.once('line', resolve)
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)))
  })
  const { url, token } = JSON.parse(first)
  const headers = {
    accept: 'application/taxii+json;version=2.1',
    authorization: `Basic ${Buffer.from(`bench:${token}`).toString('base64')}`,
  }
  const root = `${url}/taxii2/liaison/`
  // Node's own HTTP client on kept-alive connections: the client shares the two cores with the
  // server, and fetch (undici's web streams) spends about as much CPU on a small answer as the
  // server does.
  const agent = new http.Agent({ keepAlive: true, maxSockets: Math.max(1, concurrency) })
  const request = (method, target, payload) =>
    new Promise((resolve, reject) => {
      const t = performance.now()
      const requestHeaders =
        payload === undefined
          ? headers
          : {
              ...headers,
              'content-type': 'application/taxii+json;version=2.1',
              'content-length': Buffer.byteLength(payload),
            }
      const req = http.request(target, { method, agent, headers: requestHeaders }, (res) => {
        const chunks = []
        res.on('data', (chunk) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          // Until the whole answer is in: the server's work and the transfer, not the client's JSON parsing.
          const received = performance.now() - t
          if (res.statusCode >= 400) {
            reject(new Error(`${method} ${target}: ${res.statusCode} ${text.slice(0, 300)}`))
            return
          }
          const body = text === '' ? null : JSON.parse(text)
          const serverMs = Number(/dur=([0-9.]+)/.exec(res.headers['server-timing'] ?? '')?.[1] ?? NaN)
          resolve({ status: res.statusCode, body, ms: performance.now() - t, received, serverMs })
        })
      })
      req.on('error', reject)
      req.end(payload)
    })
  const percentile = (values, p) => {
    const sorted = [...values].sort((a, b) => a - b)
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0
  }
  const round = (ms) => Number(ms.toFixed(2))

  const collection = (await request('GET', `${root}collections/community/`)).body.id
  const ids = []
  const envelopes = []
  for (let start = 0; start < count; start += batch) {
    const objects = []
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const id = `indicator--${randomUUID()}`
      ids.push(id)
      objects.push(
        indicator(id, `bench ${i}`, `${10 + ((i >>> 16) & 0xff)}.${(i >>> 8) & 0xff}.${i & 0xff}.1`),
      )
    }
    envelopes.push(JSON.stringify({ objects }))
  }

  // 1. POST in envelopes of `batch`, then poll until every status is complete.
  log(`POST ${count} indicators in ${envelopes.length} envelopes of ${batch}…`)
  let t = performance.now()
  const postLatencies = []
  const statuses = []
  // Meanwhile a reader asks for the collection every 5 ms on a connection of its own: how long other
  // requests wait while POSTs are stored (they must not be held up).
  const readerAgent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  const readerLatencies = []
  let reading = true
  const reader = (async () => {
    while (reading) {
      const started = performance.now()
      await new Promise((resolve, reject) => {
        const req = http.request(
          `${root}collections/${collection}/`,
          { method: 'GET', agent: readerAgent, headers },
          (res) => {
            res.resume()
            res.on('end', resolve)
          },
        )
        req.on('error', reject)
        req.end()
      })
      readerLatencies.push(performance.now() - started)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  })()
  // `concurrency` POSTs in flight at a time (a client need not wait for one 202 to send the next).
  let nextEnvelope = 0
  const sender = async () => {
    while (nextEnvelope < envelopes.length) {
      const envelope = envelopes[nextEnvelope]
      nextEnvelope += 1
      const res = await request('POST', `${root}collections/${collection}/objects/`, envelope)
      postLatencies.push(res.ms)
      statuses.push(res.body.id)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, sender))
  // Every envelope answered 202: the objects are accepted (recorded with their pending status).
  const acceptedPerSecond = Math.round(count / ((performance.now() - t) / 1000))
  let stored = 0
  for (const id of statuses) {
    for (;;) {
      const res = await request('GET', `${root}status/${id}/`)
      if (res.body.status === 'complete') {
        if (res.body.failure_count > 0) {
          throw new Error(`status ${id}: ${JSON.stringify(res.body.failures?.slice(0, 3))}`)
        }
        stored += res.body.success_count
        break
      }
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }
  const postSeconds = (performance.now() - t) / 1000
  const postPerSecond = Math.round(stored / postSeconds)
  reading = false
  await reader
  readerAgent.destroy()

  // `--analyze` (PostgreSQL): refresh the planner's statistics, as autovacuum does within a minute or
  // so of a bulk load; without it the reads below are planned on the statistics of an empty table.
  if (args.includes('--analyze') && databaseUrl !== null) {
    const { default: pg } = await import('pg')
    const client = new pg.Client({ connectionString: scratch?.url ?? databaseUrl })
    await client.connect()
    await client.query('analyze')
    await client.end()
    log('statistics refreshed (analyze)')
  }

  // 2. Page through everything with limit=pageSize.
  log(`page through with limit=${pageSize}…`)
  t = performance.now()
  const pageLatencies = []
  const pageReceived = []
  const pageServer = []
  let paged = 0
  let next = null
  do {
    const res = await request(
      'GET',
      `${root}collections/${collection}/objects/?limit=${pageSize}${next === null ? '' : `&next=${encodeURIComponent(next)}`}`,
    )
    pageLatencies.push(res.ms)
    pageReceived.push(res.received)
    pageServer.push(res.serverMs)
    paged += res.body.objects?.length ?? 0
    next = res.body.next ?? null
  } while (next !== null)
  const pageSeconds = (performance.now() - t) / 1000
  const pagePerSecond = Math.round(paged / pageSeconds)
  // The same pages without the client's JSON parsing (what the server and the transfer take).
  const pageServedPerSecond = Math.round(paged / (pageReceived.reduce((a, b) => a + b, 0) / 1000))
  // The indicators posted, and the five TLP 2.0 marking definitions every collection holds.
  if (paged !== count + 5) {
    throw new Error(`paged ${paged} objects, expected ${count + 5}`)
  }

  // 3. Single objects by match[id].
  log(`${gets} single GETs by match[id]…`)
  const getLatencies = []
  const getServer = []
  for (let i = 0; i < gets; i++) {
    const id = ids[(i * 7919) % ids.length]
    const res = await request('GET', `${root}collections/${collection}/objects/?match[id]=${id}`)
    if (res.body.objects?.[0]?.id !== id) {
      throw new Error(`GET ${id} did not return it`)
    }
    getLatencies.push(res.ms)
    getServer.push(res.serverMs)
  }

  agent.destroy()
  child.stdin.end()
  await new Promise((resolve) => child.once('exit', resolve))
  rmSync(dataDir, { recursive: true, force: true })
  await scratch?.drop()

  const result = {
    store: databaseUrl === null ? 'sqlite' : 'postgres',
    objects: count,
    postObjectsPerSecond: postPerSecond,
    postAcceptedObjectsPerSecond: acceptedPerSecond,
    postLatencyMs: { p50: round(percentile(postLatencies, 50)), p99: round(percentile(postLatencies, 99)) },
    readerDuringPostMs: {
      p50: round(percentile(readerLatencies, 50)),
      p99: round(percentile(readerLatencies, 99)),
    },
    pageObjectsPerSecond: pagePerSecond,
    pageServedObjectsPerSecond: pageServedPerSecond,
    pageLatencyMs: { p50: round(percentile(pageLatencies, 50)), p99: round(percentile(pageLatencies, 99)) },
    pageServerMs: { p50: round(percentile(pageServer, 50)), p99: round(percentile(pageServer, 99)) },
    getLatencyMs: { p50: round(percentile(getLatencies, 50)), p99: round(percentile(getLatencies, 99)) },
    getServerMs: { p50: round(percentile(getServer, 50)), p99: round(percentile(getServer, 99)) },
    loadAverage: Number(loadavg()[0].toFixed(2)),
  }
  const ratio = (value, target, higherIsBetter) =>
    `${(higherIsBetter ? value / target : target / value).toFixed(2)}× target`
  console.log(
    `store: ${result.store}; ${count} indicators, envelopes of ${batch} (${concurrency} in flight), pages of ${pageSize}`,
  )
  console.log(
    `POST until stored: ${postPerSecond} objects/s (${ratio(postPerSecond, 50000, true)} of ≥ 50,000/s); until every envelope is accepted (202): ${acceptedPerSecond} objects/s; 202 latency p50 ${result.postLatencyMs.p50} ms, p99 ${result.postLatencyMs.p99} ms`,
  )
  console.log(
    `a reader during the POSTs (one GET of the collection every 5 ms): p50 ${result.readerDuringPostMs.p50} ms, p99 ${result.readerDuringPostMs.p99} ms`,
  )
  console.log(
    `page-through: ${pagePerSecond} objects/s with the client's JSON parsing (${ratio(pagePerSecond, 100000, true)} of ≥ 100,000/s), ${pageServedPerSecond} objects/s served and received (${ratio(pageServedPerSecond, 100000, true)}); page latency p50 ${result.pageLatencyMs.p50} ms, p99 ${result.pageLatencyMs.p99} ms, in the server p50 ${result.pageServerMs.p50} ms`,
  )
  console.log(
    `single GET by match[id]: p50 ${result.getLatencyMs.p50} ms, p99 ${result.getLatencyMs.p99} ms (${ratio(result.getLatencyMs.p99, 5, false)} of p99 < 5 ms); in the server (Server-Timing) p50 ${result.getServerMs.p50} ms, p99 ${result.getServerMs.p99} ms`,
  )
  console.log(`machine load (1 min average) at the end: ${result.loadAverage} on ${cpus().length} cores`)
  console.log(JSON.stringify(result))
}
