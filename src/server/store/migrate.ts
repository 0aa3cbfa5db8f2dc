import { Migrator, type MigrationResult } from 'kysely'
import { MIGRATIONS } from './migrations/index.js'
import { stateSqliteStatistics } from './planner-statistics.js'
import type { Store } from './store.js'

/** What a migration run did. */
export interface MigrationReport {
  /** Names of the migrations applied by this run, in order. */
  readonly applied: string[]
  /** Name of the newest migration now in the store. */
  readonly current: string | null
}

/** Brings the store to the newest schema; throws naming the migration that failed. */
export async function migrateToLatest(store: Store): Promise<MigrationReport> {
  const migrator = new Migrator({
    db: store.db,
    provider: { getMigrations: () => Promise.resolve(MIGRATIONS) },
  })
  const { error, results } = await migrator.migrateToLatest()
  const failed = results?.find((r: MigrationResult) => r.status === 'Error')
  if (error !== undefined) {
    const name = failed ? failed.migrationName : 'unknown'
    const reason = error instanceof Error ? error.message : 'unknown error'
    throw new Error(`migration ${name} failed: ${reason}`, { cause: error })
  }
  // SQLite plans by statistics the schema states (planner-statistics.ts): present after every run.
  await stateSqliteStatistics(store.db)
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
  const all = await migrator.getMigrations()
  const executed = all.filter((m) => m.executedAt !== undefined)
  return { applied, current: executed.at(-1)?.name ?? null }
}
