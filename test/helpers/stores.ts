import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll } from 'vitest'
import type { StoreKind } from '../../src/server/config.js'
import { migrateToLatest } from '../../src/server/store/migrate.js'
import { openStore, type Store } from '../../src/server/store/store.js'
import type { Importer } from '../../src/server/modules/intel/intel.service.js'
import { cliImporter } from './factories.js'

/** Stores every store test runs on: SQLite always, PostgreSQL when LIAISON_TEST_DATABASE_URL is set. */
export const STORE_KINDS: StoreKind[] = process.env.LIAISON_TEST_DATABASE_URL
  ? ['sqlite', 'postgres']
  : ['sqlite']

/** A fresh, empty store location for one suite, and how to throw it away. */
export interface TestStoreLocation {
  readonly kind: StoreKind
  /** Data folder (always set: SQLite keeps its file there, both keep other files there). */
  readonly dataDir: string
  /** PostgreSQL URL of the suite's own database, or null for SQLite. */
  readonly databaseUrl: string | null
  /** Environment for a `liaison` subprocess acting on this store. */
  readonly env: Record<string, string>
  /** Drops the database / deletes the folder. */
  drop(): Promise<void>
}

/** Makes a new empty store location: a temp folder, plus a new PostgreSQL database for `postgres`. */
export async function createStoreLocation(kind: StoreKind): Promise<TestStoreLocation> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'liaison-test-'))
  if (kind === 'sqlite') {
    return {
      kind,
      dataDir,
      databaseUrl: null,
      env: { LIAISON_DATA_DIR: dataDir },
      drop: () => Promise.resolve(rmSync(dataDir, { recursive: true, force: true })),
    }
  }
  const adminUrl = process.env.LIAISON_TEST_DATABASE_URL
  if (adminUrl === undefined) {
    throw new Error('LIAISON_TEST_DATABASE_URL is not set')
  }
  const name = `liaison_t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const databaseUrl = url.toString()
  return {
    kind,
    dataDir,
    databaseUrl,
    env: { LIAISON_DATA_DIR: dataDir, LIAISON_DATABASE_URL: databaseUrl },
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl })
      await client.connect()
      await client.query(`drop database if exists ${name} with (force)`)
      await client.end()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** Opens and migrates a store at a location. */
export async function openTestStore(location: TestStoreLocation): Promise<Store> {
  const store = openStore({ dataDir: location.dataDir, databaseUrl: location.databaseUrl })
  await migrateToLatest(store)
  return store
}

/** A suite's own store and an organisation importing into it from the CLI (see {@link importerSuite}). */
export interface ImporterSuite {
  readonly location: TestStoreLocation
  readonly store: Store
  readonly importer: Importer
}

/**
 * Opens a store of the suite's own (migrated, on `kind`) with an organisation named `orgName` that
 * imports as the CLI user `osUser`, before the suite's tests; closes and drops it after them. Call
 * it in a `describe` body; read `store` and `importer` in hooks and tests.
 */
export function importerSuite(kind: StoreKind, orgName: string, osUser: string): ImporterSuite {
  let opened: ImporterSuite | undefined
  let location: TestStoreLocation | undefined
  beforeAll(async () => {
    location = await createStoreLocation(kind)
    const store = await openTestStore(location)
    opened = { location, store, importer: await cliImporter(store, orgName, osUser) }
  })
  afterAll(async () => {
    await opened?.store.close()
    await location?.drop()
  })
  const current = (): ImporterSuite => {
    if (opened === undefined) {
      throw new Error('importerSuite: read store and importer in hooks and tests, not while collecting')
    }
    return opened
  }
  return {
    get location() {
      return current().location
    },
    get store() {
      return current().store
    },
    get importer() {
      return current().importer
    },
  }
}
