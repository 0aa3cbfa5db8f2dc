import { randomUUID } from 'node:crypto'
import { Actor } from '../../../core/account/principal.js'
import {
  interpretValue,
  parseWarninglist,
  probeObservable,
  resolveProbe,
  substringNeedle,
  warninglistKinds,
  type KeyedEntry,
  type MatchableList,
  type NetworkPrefixes,
  type ObservableLike,
  type SubstringEntry,
  type Warninglist,
  type WarninglistProblem,
} from '../../../core/intel/warninglist.js'
import { UpdateWarninglistBody, type UpdateWarninglistInput } from '../../../core/intel/warninglist.schema.js'
import { forbidden, LiaisonError, notFound } from '../../errors.js'
import type { Db } from '../../store/store.js'
import { validateInput } from '../../validation.js'
import { recordAudit } from '../audit/audit.service.js'
import {
  deleteWarninglistRow,
  findEnabledWarninglists,
  findEntriesByKeys,
  findKeyedEntries,
  findNetworkPrefixes,
  findSubstringEntries,
  findWarninglistById,
  findWarninglistByNameKey,
  findWarninglists,
  insertWarninglist,
  replaceWarninglistEntries,
  updateWarninglistRow,
} from './warninglist.repository.js'
import type { WarninglistEntryRow, WarninglistRow } from './warninglist.table.js'

/** What an import did: the list as stored, and the version it replaced (if any). */
export interface ImportedWarninglist {
  readonly row: WarninglistRow
  /** The version of the list of the same name that this import replaced; null for a new list. */
  readonly replacedVersion: number | null
}

function requireInstanceManager(actor: Actor): void {
  if (!Actor.managesInstance(actor)) {
    throw forbidden('only instance admins manage warninglists')
  }
}

function problemsError(problems: readonly WarninglistProblem[], problemCount: number): LiaisonError {
  const first = problems[0] ?? { field: 'body', message: 'is not a MISP warninglist' }
  const more = problemCount > 1 ? ` (and ${problemCount - 1} more)` : ''
  return new LiaisonError(400, 'validation_failed', `${first.field}: ${first.message}${more}`, {
    field: first.field,
    problems,
    problemCount,
  })
}

function entryRows(id: string, list: Warninglist): WarninglistEntryRow[] {
  return list.entries.map((e) => ({
    warninglist_id: id,
    match: e.match,
    key: e.key,
    value: e.value,
    kind: e.kind,
    prefix: e.prefix,
    range_start: e.rangeStart,
    range_end: e.rangeEnd,
  }))
}

/**
 * Imports a MISP warninglist (`list.json` content); instance admins and CLI operators only. A list
 * with the name of an existing one (regardless of case) replaces it in one transaction, keeping its
 * id and enabled flag; a new list is enabled. A bad list is refused whole with every problem named.
 */
export async function importWarninglist(
  db: Db,
  actor: Actor,
  json: unknown,
  now = new Date(),
): Promise<ImportedWarninglist> {
  requireInstanceManager(actor)
  const parsed = parseWarninglist(json)
  if (!parsed.ok) {
    throw problemsError(parsed.problems, parsed.problemCount)
  }
  const list = parsed.warninglist
  const at = now.toISOString()
  return db.transaction().execute(async (trx) => {
    const existing = await findWarninglistByNameKey(trx, list.name.toLowerCase())
    const row: WarninglistRow = {
      id: existing?.id ?? randomUUID(),
      name: list.name,
      name_key: list.name.toLowerCase(),
      version: list.version,
      type: list.type,
      description: list.description,
      category: list.category,
      matching_attributes: JSON.stringify(list.matchingAttributes),
      entry_count: list.entries.length,
      enabled: existing?.enabled ?? 1,
      revision: (existing?.revision ?? 0) + 1,
      imported_at: at,
      updated_at: at,
    }
    if (existing === undefined) {
      await insertWarninglist(trx, row)
    } else {
      const { id: _id, ...change } = row
      await updateWarninglistRow(trx, row.id, change)
    }
    await replaceWarninglistEntries(trx, row.id, entryRows(row.id, list))
    await recordAudit(
      trx,
      actor,
      {
        action: existing === undefined ? 'warninglist.imported' : 'warninglist.replaced',
        targetType: 'warninglist',
        targetId: row.id,
        details: {
          name: row.name,
          version: row.version,
          type: row.type,
          values: list.listedValues,
          entries: row.entry_count,
          ...(existing === undefined ? {} : { previousVersion: existing.version }),
        },
      },
      now,
    )
    return { row, replacedVersion: existing?.version ?? null }
  })
}

/** Every warninglist, by name; any logged-in user may read them (they are instance configuration). */
export async function listWarninglists(db: Db): Promise<WarninglistRow[]> {
  return findWarninglists(db)
}

/** Enables or disables a warninglist; instance admins and CLI operators only. */
export async function updateWarninglist(
  db: Db,
  actor: Actor,
  id: string,
  input: UpdateWarninglistInput,
  now = new Date(),
): Promise<WarninglistRow> {
  requireInstanceManager(actor)
  const valid = validateInput(UpdateWarninglistBody, input)
  return db.transaction().execute(async (trx) => {
    const before = await findWarninglistById(trx, id)
    if (before === undefined) {
      throw notFound('warninglist', id)
    }
    const change = {
      enabled: valid.enabled ? 1 : 0,
      revision: before.revision + 1,
      updated_at: now.toISOString(),
    }
    await updateWarninglistRow(trx, id, change)
    await recordAudit(
      trx,
      actor,
      {
        action: valid.enabled ? 'warninglist.enabled' : 'warninglist.disabled',
        targetType: 'warninglist',
        targetId: id,
        details: { name: before.name, before: { enabled: before.enabled === 1 }, after: valid },
      },
      now,
    )
    return { ...before, ...change }
  })
}

/** Deletes a warninglist and its entries; instance admins and CLI operators only. */
export async function deleteWarninglist(
  db: Db,
  actor: Actor,
  id: string,
  now = new Date(),
): Promise<WarninglistRow> {
  requireInstanceManager(actor)
  return db.transaction().execute(async (trx) => {
    const before = await findWarninglistById(trx, id)
    if (before === undefined) {
      throw notFound('warninglist', id)
    }
    await deleteWarninglistRow(trx, id)
    await recordAudit(
      trx,
      actor,
      {
        action: 'warninglist.deleted',
        targetType: 'warninglist',
        targetId: id,
        details: { name: before.name, version: before.version, entries: before.entry_count },
      },
      now,
    )
    return before
  })
}

/** One enabled list a value matched, and the entry of it that did. */
export interface WarninglistHit {
  readonly warninglistId: string
  readonly name: string
  /** The entry as the list writes it (e.g. `10.0.0.0/8`). */
  readonly entry: string
}

/** Matches values against the enabled warninglists as they were when it was opened. */
export interface WarninglistMatcher {
  /** True when no list is enabled: callers may skip gathering values. */
  readonly isEmpty: boolean
  /** For each observable (as the index keeps it), the enabled lists it matches, by name. */
  matchObservables(observables: readonly ObservableLike[]): Promise<WarninglistHit[][]>
  /** For each free-standing value, the enabled lists it matches under any reading of it. */
  matchValues(values: readonly string[]): Promise<WarninglistHit[][]>
}

/** Options of {@link openWarninglistMatcher}. */
export interface MatcherOptions {
  /**
   * Entries of the enabled lists up to which they are held in memory (loaded once per change of
   * the lists); above it every look-up queries the store by key. Default {@link IN_MEMORY_ENTRY_LIMIT}.
   */
  memoryLimit?: number
}

/** Default entry count up to which enabled lists are matched in memory (about 40 MB at most). */
export const IN_MEMORY_ENTRY_LIMIT = 250_000

const EMPTY_MATCHER: WarninglistMatcher = {
  isEmpty: true,
  matchObservables: (observables) => Promise.resolve(observables.map(() => [])),
  matchValues: (values) => Promise.resolve(values.map(() => [])),
}

/** In-memory entries per store handle, with the list revisions they were loaded at. */
const memory = new WeakMap<Db, { signature: string; byKey: Map<string, KeyedEntry[]> }>()

function groupByKey(
  rows: readonly Pick<WarninglistEntryRow, 'warninglist_id' | 'match' | 'key' | 'value'>[],
) {
  const byKey = new Map<string, KeyedEntry[]>()
  for (const row of rows) {
    const found = byKey.get(row.key) ?? []
    found.push({ listId: row.warninglist_id, match: row.match as KeyedEntry['match'], value: row.value })
    byKey.set(row.key, found)
  }
  return byKey
}

function byName(a: WarninglistHit, b: WarninglistHit): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0
}

/**
 * Opens a matcher over the enabled warninglists: a few small queries, then look-ups by the same
 * normalised keys as the observable index, in memory while the lists are small enough and by key
 * in the store (500 keys a query) otherwise. Open one per request or per export.
 */
export async function openWarninglistMatcher(
  db: Db,
  options: MatcherOptions = {},
): Promise<WarninglistMatcher> {
  const rows = await findEnabledWarninglists(db)
  if (rows.length === 0) {
    return EMPTY_MATCHER
  }
  const ids = rows.map((r) => r.id)
  const lists = new Map<string, MatchableList>(
    rows.map((r) => [
      r.id,
      { id: r.id, name: r.name, kinds: warninglistKinds(JSON.parse(r.matching_attributes) as string[]) },
    ]),
  )
  const v4 = new Set<number>()
  const v6 = new Set<number>()
  for (const { kind, prefix } of await findNetworkPrefixes(db, ids)) {
    if (prefix !== null) {
      ;(kind === 'ipv4' ? v4 : v6).add(prefix)
    }
  }
  const prefixes: NetworkPrefixes = {
    ipv4: [...v4].sort((a, b) => a - b),
    ipv6: [...v6].sort((a, b) => a - b),
  }
  const substrings: SubstringEntry[] = (await findSubstringEntries(db, ids)).map((r) => ({
    listId: r.warninglist_id,
    needle: substringNeedle(r.value),
    value: r.value,
  }))
  const total = rows.reduce((n, r) => n + r.entry_count, 0)
  let lookup: (keys: readonly string[]) => Promise<ReadonlyMap<string, readonly KeyedEntry[]>>
  if (total <= (options.memoryLimit ?? IN_MEMORY_ENTRY_LIMIT)) {
    const signature = rows.map((r) => `${r.id}:${r.revision}`).join(',')
    let held = memory.get(db)
    if (held?.signature !== signature) {
      held = { signature, byKey: groupByKey(await findKeyedEntries(db, ids)) }
      memory.set(db, held)
    }
    const byKey = held.byKey
    lookup = () => Promise.resolve(byKey)
  } else {
    lookup = async (keys) => groupByKey(await findEntriesByKeys(db, ids, keys))
  }
  const matchObservables = async (observables: readonly ObservableLike[]): Promise<WarninglistHit[][]> => {
    const probes = observables.map((o) => probeObservable(o, prefixes))
    const byKey = await lookup([...new Set(probes.flatMap((p) => p.keys))])
    return probes.map((probe) =>
      resolveProbe(probe, byKey, substrings, lists).map((m) => ({
        warninglistId: m.listId,
        name: m.name,
        entry: m.entry,
      })),
    )
  }
  return {
    isEmpty: false,
    matchObservables,
    async matchValues(values) {
      const readings = values.map((v) => interpretValue(v))
      const hits = await matchObservables(readings.flat())
      let at = 0
      return readings.map((reading) => {
        const found = new Map<string, WarninglistHit>()
        for (let i = 0; i < reading.length; i++) {
          for (const hit of hits[at + i] ?? []) {
            if (!found.has(hit.warninglistId)) {
              found.set(hit.warninglistId, hit)
            }
          }
        }
        at += reading.length
        return [...found.values()].sort(byName)
      })
    },
  }
}

/** Which enabled warninglists each value matches (any logged-in user may ask). */
export async function checkWarninglistValues(
  db: Db,
  values: readonly string[],
  options: MatcherOptions = {},
): Promise<WarninglistHit[][]> {
  const matcher = await openWarninglistMatcher(db, options)
  return matcher.matchValues(values)
}

/** Finds a warninglist by id or by name (for the CLI); 404 when neither matches. */
export async function resolveWarninglist(db: Db, ref: string): Promise<WarninglistRow> {
  const byId = /^[0-9a-f-]{36}$/i.test(ref) ? await findWarninglistById(db, ref) : undefined
  const row = byId ?? (await findWarninglistByNameKey(db, ref.trim().toLowerCase()))
  if (row === undefined) {
    throw notFound('warninglist', ref)
  }
  return row
}
