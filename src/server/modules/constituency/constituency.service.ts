import { randomUUID } from 'node:crypto'
import type { Role } from '../../../core/account/account.schema.js'
import type { Actor } from '../../../core/account/principal.js'
import {
  lookupProbe,
  parseConstituencyCsv,
  parseRange,
  RANGE_KINDS,
  type ConstituentCsvRow,
  type CsvProblem,
  type RangeEntry,
  type RangeKind,
} from '../../../core/constituency/constituency.js'
import {
  AddRangeBody,
  CreateConstituentBody,
  UpdateConstituentBody,
  type CreateConstituentInput,
  type UpdateConstituentInput,
} from '../../../core/constituency/constituency.schema.js'
import { normaliseObservable } from '../../../core/intel/observable.js'
import { badInput, conflict, forbidden, LiaisonError, notFound } from '../../errors.js'
import type { Db, Trx } from '../../store/store.js'
import { validateInput } from '../../validation.js'
import { recordAudit } from '../audit/audit.service.js'
import { findInstanceOrganisation, findOrganisationById } from '../org/org.repository.js'
import { readPublicKey } from '../notify/signing.js'
import {
  deleteConstituentRow,
  deleteRangeRow,
  deleteRangesOf,
  findConstituentById,
  findConstituentByNameKey,
  findConstituents,
  findNetblocksContaining,
  findRange,
  findRangesByKeys,
  findRangesOf,
  insertConstituent,
  insertRanges,
  updateConstituentRow,
  type OwnedRange,
} from './constituency.repository.js'
import type { ConstituentRangeRow, ConstituentRow } from './constituency.table.js'

/** Roles of the instance's own organisation that read the register and the notifications. */
export const CONSTITUENCY_READ_ROLES: readonly Role[] = ['admin', 'handler', 'coordinator', 'viewer']
/** Roles of the instance's own organisation that change the register. */
export const CONSTITUENCY_WRITE_ROLES: readonly Role[] = ['admin', 'handler']
/** Roles of the instance's own organisation that send notifications. */
export const NOTIFY_ROLES: readonly Role[] = ['admin', 'handler', 'coordinator']

/**
 * Checks that the actor is a CLI operator, or a member of the instance's own organisation with one of
 * `roles`; the register is the instance CSIRT's working data, no other organisation sees it.
 */
export async function requireInstanceRole(
  db: Db | Trx,
  actor: Actor,
  roles: readonly Role[],
  what: string,
): Promise<void> {
  if (actor.kind === 'cli') {
    return
  }
  const instance = await findInstanceOrganisation(db)
  if (instance === undefined || actor.orgId !== instance.id || !roles.includes(actor.role)) {
    throw forbidden(`only ${roles.join(', ')} of the instance's own organisation ${what}`)
  }
}

/** A constituent with its ranges. */
export interface ConstituentView {
  readonly row: ConstituentRow
  readonly ranges: readonly ConstituentRangeRow[]
}

const KIND_FIELDS = { netblock: 'netblocks', asn: 'asns', domain: 'domains' } as const

function rangeRow(constituentId: string, entry: RangeEntry): ConstituentRangeRow {
  return {
    id: randomUUID(),
    constituent_id: constituentId,
    kind: entry.kind,
    value: entry.value,
    key: entry.key,
    family: entry.family,
    prefix: entry.prefix,
    range_start: entry.rangeStart,
    range_end: entry.rangeEnd,
  }
}

/** Parses the range lists of an input; errors name the field and index (`netblocks[2]`). */
function rangesOf(input: {
  netblocks?: readonly string[] | undefined
  asns?: readonly string[] | undefined
  domains?: readonly string[] | undefined
}): Map<RangeKind, RangeEntry[]> {
  const out = new Map<RangeKind, RangeEntry[]>()
  for (const kind of RANGE_KINDS) {
    const values = input[KIND_FIELDS[kind]]
    if (values === undefined) {
      continue
    }
    const seen = new Set<string>()
    const entries: RangeEntry[] = []
    for (const [index, value] of values.entries()) {
      const parsed = parseRange(kind, value)
      if (typeof parsed === 'string') {
        throw badInput(`${KIND_FIELDS[kind]}[${index}]`, parsed)
      }
      if (!seen.has(parsed.key)) {
        seen.add(parsed.key)
        entries.push(parsed)
      }
    }
    out.set(kind, entries)
  }
  return out
}

/** Checks an armored public key; answers its armored form and fingerprint. */
export async function checkPublicKey(
  field: string,
  armored: string,
): Promise<{ armored: string; fingerprint: string }> {
  let key
  try {
    key = await readPublicKey(armored)
  } catch (error) {
    throw badInput(field, `not an armored OpenPGP public key (${(error as Error).message})`)
  }
  try {
    await key.getEncryptionKey()
  } catch {
    throw badInput(field, 'the key has no valid encryption (sub)key')
  }
  return { armored: key.armor(), fingerprint: key.getFingerprint() }
}

async function checkOrg(db: Db | Trx, orgId: string | null | undefined): Promise<void> {
  if (orgId !== undefined && orgId !== null && (await findOrganisationById(db, orgId)) === undefined) {
    throw badInput('orgId', `no organisation ${orgId}`)
  }
}

async function viewOf(db: Db | Trx, row: ConstituentRow): Promise<ConstituentView> {
  return { row, ranges: await findRangesOf(db, [row.id]) }
}

function rangeSummary(ranges: readonly { kind: string; value: string }[]): Record<string, string[]> {
  const out: Record<string, string[]> = { netblocks: [], asns: [], domains: [] }
  for (const r of ranges) {
    out[KIND_FIELDS[r.kind as RangeKind]]?.push(r.value)
  }
  return out
}

/**
 * Adds a constituent with its abuse addresses, optional OpenPGP public key, optional Liaison
 * organisation and ranges; admins and handlers of the instance organisation, or the CLI.
 */
export async function createConstituent(
  db: Db,
  actor: Actor,
  input: CreateConstituentInput,
  now = new Date(),
): Promise<ConstituentView> {
  await requireInstanceRole(db, actor, CONSTITUENCY_WRITE_ROLES, 'change the constituency register')
  const valid = validateInput(CreateConstituentBody, input)
  const ranges = rangesOf(valid)
  const key =
    valid.pgpKey === undefined || valid.pgpKey === null ? null : await checkPublicKey('pgpKey', valid.pgpKey)
  const name = valid.name.trim()
  if (name === '') {
    throw badInput('name', 'must not be blank')
  }
  return db.transaction().execute(async (trx) => {
    if ((await findConstituentByNameKey(trx, name.toLowerCase())) !== undefined) {
      throw conflict('name', `a constituent named "${name}" exists already`)
    }
    await checkOrg(trx, valid.orgId)
    const at = now.toISOString()
    const row: ConstituentRow = {
      id: randomUUID(),
      name,
      name_key: name.toLowerCase(),
      abuse_emails: JSON.stringify(uniqueEmails(valid.abuseEmails)),
      pgp_key: key?.armored ?? null,
      pgp_fingerprint: key?.fingerprint ?? null,
      org_id: valid.orgId ?? null,
      created_at: at,
      updated_at: at,
    }
    await insertConstituent(trx, row)
    const rows = [...ranges.values()].flat().map((e) => rangeRow(row.id, e))
    await insertRanges(trx, rows)
    await recordAudit(
      trx,
      actor,
      {
        action: 'constituent.created',
        targetType: 'constituent',
        targetId: row.id,
        details: {
          name,
          abuseEmails: JSON.parse(row.abuse_emails) as string[],
          pgpFingerprint: row.pgp_fingerprint,
          orgId: row.org_id,
          ...rangeSummary(rows),
        },
      },
      now,
    )
    return { row, ranges: await findRangesOf(trx, [row.id]) }
  })
}

function uniqueEmails(emails: readonly string[]): string[] {
  return [...new Set(emails.map((e) => e.trim().toLowerCase()))]
}

/**
 * Changes a constituent; a range list given (`netblocks`, `asns`, `domains`) replaces that kind's
 * ranges, `pgpKey: null` removes the key.
 */
export async function updateConstituent(
  db: Db,
  actor: Actor,
  id: string,
  input: UpdateConstituentInput,
  now = new Date(),
): Promise<ConstituentView> {
  await requireInstanceRole(db, actor, CONSTITUENCY_WRITE_ROLES, 'change the constituency register')
  const valid = validateInput(UpdateConstituentBody, input)
  const ranges = rangesOf(valid)
  const key =
    valid.pgpKey === undefined || valid.pgpKey === null ? null : await checkPublicKey('pgpKey', valid.pgpKey)
  return db.transaction().execute(async (trx) => {
    const before = await findConstituentById(trx, id)
    if (before === undefined) {
      throw notFound('constituent', id)
    }
    const change: Partial<ConstituentRow> = { updated_at: now.toISOString() }
    if (valid.name !== undefined) {
      const name = valid.name.trim()
      if (name === '') {
        throw badInput('name', 'must not be blank')
      }
      const other = await findConstituentByNameKey(trx, name.toLowerCase())
      if (other !== undefined && other.id !== id) {
        throw conflict('name', `a constituent named "${name}" exists already`)
      }
      change.name = name
      change.name_key = name.toLowerCase()
    }
    if (valid.abuseEmails !== undefined) {
      change.abuse_emails = JSON.stringify(uniqueEmails(valid.abuseEmails))
    }
    if (valid.pgpKey !== undefined) {
      change.pgp_key = key?.armored ?? null
      change.pgp_fingerprint = key?.fingerprint ?? null
    }
    if (valid.orgId !== undefined) {
      await checkOrg(trx, valid.orgId)
      change.org_id = valid.orgId
    }
    const beforeRanges = await findRangesOf(trx, [id])
    await updateConstituentRow(trx, id, change)
    await deleteRangesOf(trx, id, [...ranges.keys()])
    await insertRanges(
      trx,
      [...ranges.values()].flat().map((e) => rangeRow(id, e)),
    )
    const view = await viewOf(trx, { ...before, ...change })
    await recordAudit(
      trx,
      actor,
      {
        action: 'constituent.updated',
        targetType: 'constituent',
        targetId: id,
        details: {
          name: view.row.name,
          before: {
            name: before.name,
            abuseEmails: JSON.parse(before.abuse_emails) as string[],
            pgpFingerprint: before.pgp_fingerprint,
            orgId: before.org_id,
            ...rangeSummary(beforeRanges),
          },
          after: {
            name: view.row.name,
            abuseEmails: JSON.parse(view.row.abuse_emails) as string[],
            pgpFingerprint: view.row.pgp_fingerprint,
            orgId: view.row.org_id,
            ...rangeSummary(view.ranges),
          },
        },
      },
      now,
    )
    return view
  })
}

/** Deletes a constituent and its ranges; its past notifications stay on record. */
export async function deleteConstituent(
  db: Db,
  actor: Actor,
  id: string,
  now = new Date(),
): Promise<ConstituentView> {
  await requireInstanceRole(db, actor, CONSTITUENCY_WRITE_ROLES, 'change the constituency register')
  return db.transaction().execute(async (trx) => {
    const before = await findConstituentById(trx, id)
    if (before === undefined) {
      throw notFound('constituent', id)
    }
    const view = await viewOf(trx, before)
    await deleteConstituentRow(trx, id)
    await recordAudit(
      trx,
      actor,
      {
        action: 'constituent.deleted',
        targetType: 'constituent',
        targetId: id,
        details: { name: before.name, ...rangeSummary(view.ranges) },
      },
      now,
    )
    return view
  })
}

/** Adds one netblock, ASN or domain to a constituent. */
export async function addConstituentRange(
  db: Db,
  actor: Actor,
  id: string,
  input: { kind: RangeKind; value: string },
  now = new Date(),
): Promise<ConstituentRangeRow> {
  await requireInstanceRole(db, actor, CONSTITUENCY_WRITE_ROLES, 'change the constituency register')
  const valid = validateInput(AddRangeBody, input)
  const parsed = parseRange(valid.kind, valid.value)
  if (typeof parsed === 'string') {
    throw badInput('value', parsed)
  }
  return db.transaction().execute(async (trx) => {
    const owner = await findConstituentById(trx, id)
    if (owner === undefined) {
      throw notFound('constituent', id)
    }
    if ((await findRangesOf(trx, [id])).some((r) => r.key === parsed.key)) {
      throw conflict('value', `${parsed.value} is registered for this constituent already`)
    }
    const row = rangeRow(id, parsed)
    await insertRanges(trx, [row])
    await updateConstituentRow(trx, id, { updated_at: now.toISOString() })
    await recordAudit(
      trx,
      actor,
      {
        action: 'constituent.range_added',
        targetType: 'constituent',
        targetId: id,
        details: { name: owner.name, kind: row.kind, value: row.value },
      },
      now,
    )
    return row
  })
}

/** Removes one range of a constituent. */
export async function removeConstituentRange(
  db: Db,
  actor: Actor,
  id: string,
  rangeId: string,
  now = new Date(),
): Promise<ConstituentRangeRow> {
  await requireInstanceRole(db, actor, CONSTITUENCY_WRITE_ROLES, 'change the constituency register')
  return db.transaction().execute(async (trx) => {
    const owner = await findConstituentById(trx, id)
    const range = owner === undefined ? undefined : await findRange(trx, id, rangeId)
    if (owner === undefined || range === undefined) {
      throw notFound('range', rangeId)
    }
    await deleteRangeRow(trx, rangeId)
    await updateConstituentRow(trx, id, { updated_at: now.toISOString() })
    await recordAudit(
      trx,
      actor,
      {
        action: 'constituent.range_removed',
        targetType: 'constituent',
        targetId: id,
        details: { name: owner.name, kind: range.kind, value: range.value },
      },
      now,
    )
    return range
  })
}

/** One constituent with its ranges (members of the instance organisation). */
export async function getConstituent(db: Db, actor: Actor, id: string): Promise<ConstituentView> {
  await requireInstanceRole(db, actor, CONSTITUENCY_READ_ROLES, 'read the constituency register')
  const row = await findConstituentById(db, id)
  if (row === undefined) {
    throw notFound('constituent', id)
  }
  return viewOf(db, row)
}

/** A constituent by id or (case-insensitive) name; for the CLI. */
export async function resolveConstituent(db: Db, ref: string): Promise<ConstituentRow> {
  const row =
    (await findConstituentById(db, ref)) ?? (await findConstituentByNameKey(db, ref.trim().toLowerCase()))
  if (row === undefined) {
    throw notFound('constituent', ref)
  }
  return row
}

/** Constituents by name, one page, with their ranges. */
export async function listConstituents(
  db: Db,
  actor: Actor,
  page: { q?: string; limit: number; offset: number },
): Promise<{ items: ConstituentView[]; total: number }> {
  await requireInstanceRole(db, actor, CONSTITUENCY_READ_ROLES, 'read the constituency register')
  const { rows, total } = await findConstituents(db, page)
  const ranges = await findRangesOf(
    db,
    rows.map((r) => r.id),
  )
  return {
    items: rows.map((row) => ({ row, ranges: ranges.filter((r) => r.constituent_id === row.id) })),
    total,
  }
}

/** One owner a value resolved to. */
export interface OwnerMatch {
  readonly constituentId: string
  readonly name: string
  readonly abuseEmails: string[]
  readonly kind: RangeKind
  /** The registered netblock, ASN or domain that matched. */
  readonly matched: string
}

/** The owners of one value, and the value as it was looked up. */
export interface OwnerLookup {
  readonly value: string
  /** Null when the value cannot have an owner (a hash, a file name, nothing recognisable). */
  readonly normalised: string | null
  readonly owners: OwnerMatch[]
}

function matchOf(r: OwnedRange): OwnerMatch {
  return {
    constituentId: r.constituent_id,
    name: r.constituent_name,
    abuseEmails: JSON.parse(r.abuse_emails) as string[],
    kind: r.kind as RangeKind,
    matched: r.value,
  }
}

/** The rows tied for the first place of an ordered list (by `rank`). */
function best<T>(rows: readonly T[], rank: (row: T) => number): T[] {
  const first = rows[0]
  return first === undefined ? [] : rows.filter((r) => rank(r) === rank(first))
}

/**
 * Finds the owners of one value without an access check (callers check): an IP or network by the
 * most specific registered netblock containing it, else by `asn` when given; an ASN by itself; a
 * domain, URL host or e-mail domain by the most specific registered domain among itself and its
 * parents down to the registered domain. Several owners only when they registered the same range.
 */
export async function findOwners(db: Db | Trx, value: string, asn?: string | number): Promise<OwnerLookup> {
  const probe = lookupProbe(value)
  if (probe === null) {
    return { value, normalised: null, owners: [] }
  }
  let owners: OwnerMatch[] = []
  switch (probe.kind) {
    case 'ip':
    case 'network': {
      const [start, end] = probe.kind === 'ip' ? [probe.hex, probe.hex] : [probe.start, probe.end]
      const rows = await findNetblocksContaining(db, probe.family, start, end)
      owners = best(rows, (r) => r.prefix ?? 0).map(matchOf)
      if (owners.length === 0 && asn !== undefined && String(asn).trim() !== '') {
        const asKey = normaliseObservable('asn', String(asn))
        if (asKey === null) {
          throw badInput('asn', `"${String(asn)}" is not an AS number`)
        }
        owners = (await findRangesByKeys(db, [asKey.key])).map(matchOf)
      }
      break
    }
    case 'asn':
      owners = (await findRangesByKeys(db, [probe.key])).map(matchOf)
      break
    case 'domain': {
      const rows = await findRangesByKeys(db, probe.keys)
      const rank = (r: OwnedRange): number => r.value.split('.').length
      owners = best(
        [...rows].sort((a, b) => rank(b) - rank(a)),
        rank,
      ).map(matchOf)
      break
    }
  }
  return { value, normalised: probe.value, owners }
}

/** {@link findOwners} for members of the instance organisation. */
export async function lookupOwners(db: Db, actor: Actor, value: string, asn?: string): Promise<OwnerLookup> {
  await requireInstanceRole(db, actor, CONSTITUENCY_READ_ROLES, 'read the constituency register')
  return findOwners(db, value, asn)
}

/** What a CSV import did. */
export interface CsvImportResult {
  readonly created: number
  readonly updated: number
  readonly constituents: { line: number; id: string; name: string; action: 'created' | 'updated' }[]
}

function problemsError(problems: readonly CsvProblem[]): LiaisonError {
  const first = problems[0] ?? { row: 1, column: 'name', message: 'invalid' }
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''
  return new LiaisonError(
    400,
    'validation_failed',
    `row ${first.row}, column ${first.column}: ${first.message}${more}`,
    { field: first.column, row: first.row, problems: problems.slice(0, 1000), problemCount: problems.length },
  )
}

/**
 * Imports a constituency CSV (columns `name`, `abuse_email`, `netblocks`, `asns`, `domains`,
 * `pgp_key_file`; see README): one constituent per row, matched by name — a new name is created, a
 * known one gets the row's abuse addresses and ranges (replacing its ranges; an empty `pgp_key_file`
 * keeps its key). All or nothing: any bad cell refuses the whole file, every problem named by row and
 * column. `readKeyFile` reads a `pgp_key_file` (the CLI resolves it next to the CSV); without it,
 * key files are refused.
 */
export async function importConstituencyCsv(
  db: Db,
  actor: Actor,
  text: string,
  options: { readKeyFile?: (file: string) => Promise<string> } = {},
  now = new Date(),
): Promise<CsvImportResult> {
  await requireInstanceRole(db, actor, CONSTITUENCY_WRITE_ROLES, 'change the constituency register')
  const { rows, problems } = parseConstituencyCsv(text)
  const keys = new Map<number, { armored: string; fingerprint: string }>()
  for (const row of rows) {
    if (row.pgpKeyFile === null) {
      continue
    }
    if (options.readKeyFile === undefined) {
      problems.push({
        row: row.line,
        column: 'pgp_key_file',
        message: 'key files are read by the CLI import only; set the key on the constituent instead',
      })
      continue
    }
    let armored: string
    try {
      armored = await options.readKeyFile(row.pgpKeyFile)
    } catch (error) {
      problems.push({
        row: row.line,
        column: 'pgp_key_file',
        message: `cannot read ${row.pgpKeyFile} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      })
      continue
    }
    try {
      keys.set(row.line, await checkPublicKey('pgp_key_file', armored))
    } catch (error) {
      problems.push({
        row: row.line,
        column: 'pgp_key_file',
        message: (error as Error).message.replace(/^pgp_key_file: /, `${row.pgpKeyFile}: `),
      })
    }
  }
  if (problems.length > 0) {
    throw problemsError(problems.sort((a, b) => a.row - b.row))
  }
  return db.transaction().execute(async (trx) => {
    const result: CsvImportResult = { created: 0, updated: 0, constituents: [] }
    for (const row of rows) {
      const imported = await importRow(trx, actor, row, keys.get(row.line) ?? null, now)
      result.constituents.push({ line: row.line, ...imported })
      if (imported.action === 'created') {
        ;(result as { created: number }).created++
      } else {
        ;(result as { updated: number }).updated++
      }
    }
    await recordAudit(
      trx,
      actor,
      {
        action: 'constituency.imported',
        targetType: 'constituency',
        targetId: null,
        details: { rows: rows.length, created: result.created, updated: result.updated },
      },
      now,
    )
    return result
  })
}

async function importRow(
  trx: Trx,
  actor: Actor,
  row: ConstituentCsvRow,
  key: { armored: string; fingerprint: string } | null,
  now: Date,
): Promise<{ id: string; name: string; action: 'created' | 'updated' }> {
  const at = now.toISOString()
  const existing = await findConstituentByNameKey(trx, row.name.toLowerCase())
  const id = existing?.id ?? randomUUID()
  const entries: RangeEntry[] = []
  const seen = new Set<string>()
  for (const [kind, values] of [
    ['netblock', row.netblocks],
    ['asn', row.asns],
    ['domain', row.domains],
  ] as const) {
    for (const value of values) {
      const parsed = parseRange(kind, value)
      if (typeof parsed !== 'string' && !seen.has(parsed.key)) {
        seen.add(parsed.key)
        entries.push(parsed)
      }
    }
  }
  const ranges = entries.map((e) => rangeRow(id, e))
  const abuseEmails = uniqueEmails(row.abuseEmails)
  if (existing === undefined) {
    await insertConstituent(trx, {
      id,
      name: row.name,
      name_key: row.name.toLowerCase(),
      abuse_emails: JSON.stringify(abuseEmails),
      pgp_key: key?.armored ?? null,
      pgp_fingerprint: key?.fingerprint ?? null,
      org_id: null,
      created_at: at,
      updated_at: at,
    })
  } else {
    await updateConstituentRow(trx, id, {
      name: row.name,
      abuse_emails: JSON.stringify(abuseEmails),
      ...(key === null ? {} : { pgp_key: key.armored, pgp_fingerprint: key.fingerprint }),
      updated_at: at,
    })
    await deleteRangesOf(trx, id, [...RANGE_KINDS])
  }
  await insertRanges(trx, ranges)
  await recordAudit(
    trx,
    actor,
    {
      action: existing === undefined ? 'constituent.created' : 'constituent.updated',
      targetType: 'constituent',
      targetId: id,
      details: {
        name: row.name,
        abuseEmails,
        pgpFingerprint: key?.fingerprint ?? existing?.pgp_fingerprint ?? null,
        ...rangeSummary(ranges),
        source: 'csv',
        line: row.line,
      },
    },
    now,
  )
  return { id, name: row.name, action: existing === undefined ? 'created' : 'updated' }
}
