// A benchmark's own PostgreSQL database: created on the server a `--database-url` names, dropped when
// the run ends, so that every run starts from an empty store (the benchmarks count what they read back).
import { randomUUID } from 'node:crypto'
import pg from 'pg'

/** Creates an empty database beside the one `url` names; returns its URL and how to drop it. */
export async function scratchDatabase(url) {
  const name = `liaison_bench_${randomUUID().replaceAll('-', '').slice(0, 12)}`
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const scratch = new URL(url)
  scratch.pathname = `/${name}`
  return {
    url: scratch.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      await client.query(`drop database if exists ${name} with (force)`)
      await client.end()
    },
  }
}
