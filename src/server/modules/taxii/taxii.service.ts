import { randomUUID } from 'node:crypto'
import { ROLES, type Role } from '../../../core/account/account.js'
import type { Actor, UserPrincipal } from '../../../core/account/principal.js'
import {
  equivalentTimestamps,
  parseTaxiiTimestamp,
  TaxiiCursor,
  toTaxiiTimestamp,
  type TaxiiFilter,
  type VersionMatch,
} from '../../../core/taxii/taxii.js'
import { Audience, Pap, Tlp } from '../../../core/trust/label.js'
import { badInput, forbidden, notFound } from '../../errors.js'
import type { Db } from '../../store/store.js'
import { recordAudit } from '../audit/audit.service.js'
import { findGroupsByIds } from '../group/group.repository.js'
import { deleteOwnVersions } from '../intel/intel.delete.js'
import { expiryOfRows } from '../intel/intel.expiry.js'
import {
  findCopiesInScope,
  pageVersionsInScope,
  type ScopedVersionRow,
  type VersionSelection,
} from '../intel/intel.query.js'
import { withVisibleRefs } from '../intel/intel.refs.js'
import type { LabelScope } from '../trust/trust.sql.js'
import { isTlp2DefinitionId, isTlp2Member, tlp2Members } from './taxii.markings.js'
import {
  findCollectionByIdOrAlias,
  findCollectionsOfRoot,
  findGroupsWithCollections,
  insertCollections,
  updateCollectionRoles,
} from './taxii.repository.js'
import type { TaxiiCollectionRow } from './taxii.table.js'

/** The one API root of this server, at `/taxii2/liaison/`. */
export const TAXII_API_ROOT = 'liaison'
/** Items per page when the client gives no `limit`. */
export const TAXII_DEFAULT_PAGE = 1000
/** Most items per page, whatever `limit` asks. */
export const TAXII_MAX_PAGE = 10_000

/** Roles that may write to a new collection by default: everyone but viewers (who read intelligence only). */
const DEFAULT_WRITE_ROLES: readonly Role[] = ROLES.filter((r) => r !== 'viewer')

/** A collection as one caller sees it. */
export interface TaxiiCollection {
  readonly id: string
  readonly alias: string
  readonly title: string
  readonly description: string | null
  /** The labels it holds. */
  readonly scope: LabelScope
  /** The caller may GET its objects, manifest and versions. */
  readonly canRead: boolean
  /** The caller may POST objects (and, with `canRead`, DELETE them). */
  readonly canWrite: boolean
  /** The label a POST asks for (each object's own stricter TLP marking still tightens it). */
  readonly postLabel: {
    readonly tlp: Tlp
    readonly pap: Pap
    readonly audience: Audience
    readonly sharingGroups: readonly string[]
  }
  /** Roles that may read and write (for instance admins). */
  readonly readRoles: readonly Role[]
  readonly writeRoles: readonly Role[]
}

/** One page of a TAXII listing. */
export interface TaxiiPage<T> {
  readonly items: T[]
  /** More items follow (fetch them with `next`). */
  readonly more: boolean
  /** The cursor of the next page when `more`. */
  readonly next: string | null
}

/** One version of an object in a collection, as the versions endpoint lists it. */
export interface TaxiiVersion {
  readonly version: string
  readonly addedAt: string
}

// Sharing groups whose collection is known to exist, per store: checked once per process.
const ensuredGroups = new WeakMap<Db, Set<string>>()

/**
 * Creates the collections of the caller's sharing groups that do not exist yet (a group gets its
 * collection the first time one of its members uses TAXII). Idempotent across nodes: the unique key
 * keeps one collection per group.
 */
export async function ensureGroupCollections(
  db: Db,
  apiRoot: string,
  groupIds: readonly string[],
  now: Date,
): Promise<void> {
  let ensured = ensuredGroups.get(db)
  if (ensured === undefined) {
    ensured = new Set()
    ensuredGroups.set(db, ensured)
  }
  const known = ensured
  const missing = groupIds.filter((g) => !known.has(`${apiRoot}\u0000${g}`))
  if (missing.length === 0) {
    return
  }
  const existing = new Set(await findGroupsWithCollections(db, apiRoot, missing))
  await insertCollections(
    db,
    missing
      .filter((g) => !existing.has(g))
      .map((groupId) => ({
        id: randomUUID(),
        api_root: apiRoot,
        key: `group:${groupId}`,
        alias: `group-${groupId}`,
        title: null,
        description: null,
        audience: 'group',
        sharing_group_id: groupId,
        post_tlp: 'amber',
        post_pap: 'clear',
        read_roles: JSON.stringify(ROLES),
        write_roles: JSON.stringify(DEFAULT_WRITE_ROLES),
        created_at: now.toISOString(),
      })),
  )
  for (const groupId of missing) {
    known.add(`${apiRoot}\u0000${groupId}`)
  }
}

function rolesOf(json: string): Role[] {
  const parsed: unknown = JSON.parse(json)
  return Array.isArray(parsed) ? parsed.filter((r): r is Role => ROLES.includes(r as Role)) : []
}

function toCollection(
  row: TaxiiCollectionRow,
  principal: UserPrincipal,
  groupNames: ReadonlyMap<string, string>,
): TaxiiCollection {
  if (!Audience.is(row.audience) || !Tlp.is(row.post_tlp) || !Pap.is(row.post_pap)) {
    throw new Error(`TAXII collection ${row.id} holds an unknown audience or marking`)
  }
  const readRoles = rolesOf(row.read_roles)
  const writeRoles = rolesOf(row.write_roles)
  const groupId = row.sharing_group_id
  const groupName = groupId === null ? null : (groupNames.get(groupId) ?? groupId)
  const tlp = row.post_tlp.toUpperCase()
  return {
    id: row.id,
    alias: row.alias,
    title: row.title ?? `Sharing group ${groupName ?? ''}`,
    description:
      row.description ??
      `Intelligence shared with the member organisations of sharing group ${groupName ?? ''}. What you add is TLP:${tlp} for this group.`,
    scope: { audience: row.audience, sharingGroupId: groupId },
    canRead: readRoles.includes(principal.role),
    // Viewers read intelligence; they never import it, whatever a collection says.
    canWrite: writeRoles.includes(principal.role) && principal.role !== 'viewer',
    postLabel: {
      tlp: row.post_tlp,
      pap: row.post_pap,
      audience: row.audience,
      sharingGroups: groupId === null ? [] : [groupId],
    },
    readRoles,
    writeRoles,
  }
}

async function groupNamesOf(db: Db, rows: readonly TaxiiCollectionRow[]): Promise<Map<string, string>> {
  const ids = rows.flatMap((r) => (r.sharing_group_id === null ? [] : [r.sharing_group_id]))
  const groups = await findGroupsByIds(db, ids)
  return new Map(groups.map((g) => [g.id, g.name]))
}

/**
 * The collections of an API root the caller may use: one per audience, and one per sharing group of
 * the caller's organisation, in a stable order. Their flags describe the caller.
 */
export async function listCollections(
  db: Db,
  principal: UserPrincipal,
  apiRoot: string,
  now = new Date(),
): Promise<TaxiiCollection[]> {
  await ensureGroupCollections(db, apiRoot, principal.groupIds, now)
  const rows = await findCollectionsOfRoot(db, apiRoot, principal.groupIds)
  const names = await groupNamesOf(db, rows)
  return rows.map((row) => toCollection(row, principal, names))
}

/**
 * One collection by id or alias; 404 when it does not exist or belongs to a sharing group the
 * caller's organisation is not in (the two look the same).
 */
export async function getCollection(
  db: Db,
  principal: UserPrincipal,
  apiRoot: string,
  idOrAlias: string,
  now = new Date(),
): Promise<TaxiiCollection> {
  await ensureGroupCollections(db, apiRoot, principal.groupIds, now)
  const row = await findCollectionByIdOrAlias(db, apiRoot, idOrAlias)
  if (
    row === undefined ||
    (row.sharing_group_id !== null && !principal.groupIds.includes(row.sharing_group_id))
  ) {
    throw notFound('collection', idOrAlias)
  }
  return toCollection(row, principal, await groupNamesOf(db, [row]))
}

/**
 * Sets which roles may read and write a collection: instance admins and CLI operators only, audited
 * as `taxii.collection_roles_changed`. Visibility is untouched: roles only narrow what the rule allows.
 */
export async function setCollectionRoles(
  db: Db,
  actor: Actor,
  apiRoot: string,
  idOrAlias: string,
  roles: { readRoles: readonly Role[]; writeRoles: readonly Role[] },
  now = new Date(),
): Promise<void> {
  if (actor.kind === 'user' && !actor.isInstanceAdmin) {
    throw forbidden('only instance admins set who may read and write TAXII collections')
  }
  const row = await findCollectionByIdOrAlias(db, apiRoot, idOrAlias)
  if (row === undefined) {
    throw notFound('collection', idOrAlias)
  }
  for (const [field, list] of [
    ['readRoles', roles.readRoles],
    ['writeRoles', roles.writeRoles],
  ] as const) {
    const bad = list.find((r) => !ROLES.includes(r))
    if (bad !== undefined) {
      throw badInput(field, `unknown role ${bad}`)
    }
  }
  await db.transaction().execute(async (trx) => {
    await updateCollectionRoles(trx, row.id, {
      read_roles: JSON.stringify([...new Set(roles.readRoles)]),
      write_roles: JSON.stringify([...new Set(roles.writeRoles)]),
    })
    await recordAudit(
      trx,
      actor,
      {
        action: 'taxii.collection_roles_changed',
        targetType: 'taxii_collection',
        targetId: row.id,
        details: { readRoles: roles.readRoles, writeRoles: roles.writeRoles },
      },
      now,
    )
  })
}

function assertReadable(collection: TaxiiCollection): void {
  if (!collection.canRead) {
    throw forbidden(`your role may not read collection ${collection.id}`)
  }
}

/** `match[version]` as the store's version selection: exact versions in every spelling. */
function selectionOf(match: VersionMatch): VersionSelection {
  if (match.all) {
    return { all: true }
  }
  return {
    all: false,
    first: match.first,
    last: match.last,
    modified: match.at.flatMap(equivalentTimestamps),
    addedAt: match.at.flatMap((t) => {
      const instant = parseTaxiiTimestamp(t)
      return instant === null ? [] : [instant]
    }),
  }
}

/** False when `match[spec_version]` excludes STIX 2.1, the only version the store holds (2.0 is upgraded). */
function specVersionMatches(filter: TaxiiFilter): boolean {
  return filter.specVersions === null || filter.specVersions.includes('2.1')
}

function pageSize(filter: TaxiiFilter): number {
  return Math.min(filter.limit ?? TAXII_DEFAULT_PAGE, TAXII_MAX_PAGE)
}

type Ordered = { added_at: string; id: string; owner_org_id: string; modified: string }

function paged<T extends Ordered>(rows: readonly T[], limit: number): TaxiiPage<T> {
  const items = rows.slice(0, limit)
  const more = rows.length > limit
  const last = items[items.length - 1]
  return {
    items,
    more,
    next:
      more && last !== undefined
        ? TaxiiCursor.encode({
            addedAt: last.added_at,
            id: last.id,
            ownerOrgId: last.owner_org_id,
            modified: last.modified,
          })
        : null,
  }
}

/**
 * One page of the object versions of a collection the caller may see, oldest date added first, with
 * the filters applied (`withJson` for objects, without for the manifest). Reads go through the
 * visibility rule (`pageVersionsInScope`), before the limit, so pages, `more` and the date headers
 * only ever reflect what the caller may see. The TLP 2.0 marking definitions are members of every
 * collection (`tlp2Members`), paged and filtered as any item.
 */
export async function readCollectionPage(
  db: Db,
  principal: UserPrincipal,
  collection: TaxiiCollection,
  filter: TaxiiFilter,
  options: { withJson: boolean; objectId?: string },
): Promise<TaxiiPage<ScopedVersionRow>> {
  assertReadable(collection)
  const limit = pageSize(filter)
  const ids = options.objectId === undefined ? filter.ids : [options.objectId]
  const selection = selectionOf(filter.versions)
  const stored = specVersionMatches(filter)
    ? await pageVersionsInScope(db, principal, collection.scope, {
        ...(ids === null ? {} : { ids }),
        ...(filter.types === null ? {} : { types: filter.types }),
        ...(filter.addedAfter === null ? {} : { addedAfter: filter.addedAfter }),
        ...(filter.next === null ? {} : { after: filter.next }),
        versions: selection,
        limit: limit + 1,
        // The manifest too: what it lists must be what the objects endpoint gives (below).
        withJson: true,
      })
    : []
  const members = specVersionMatches(filter) ? tlp2MembersMatching(filter, ids, selection) : []
  // Both lists are in TAXII order and the stored one holds the first limit + 1 of its kind: merged,
  // their first limit + 1 are the collection's.
  const rows = [...members, ...stored].sort(compareOrder).slice(0, limit + 1)
  if (
    options.objectId !== undefined &&
    rows.length === 0 &&
    filter.next === null &&
    !isTlp2DefinitionId(options.objectId)
  ) {
    // A filter that matches no version of a visible object is an empty answer; an object that is
    // missing, or hidden from the caller, is a 404 (the same 404).
    const copies = await findCopiesInScope(db, principal, collection.scope, options.objectId)
    if (copies.length === 0) {
      throw notFound('object', options.objectId)
    }
  }
  const read = paged(rows, limit)
  const fixed = read.items.filter(isTlp2Member)
  // A TLP 2.0 definition held as an object (imported with content) is the member listed above: the
  // collection lists it once. What leaves names nothing the caller may not see: references to such
  // objects are removed, and an object that is no valid STIX without them is left out
  // (`withVisibleRefs`), of the objects and of the manifest alike. Paging stays as read: `more` and
  // `next` follow every row.
  let shown = await withVisibleRefs(
    db,
    principal,
    read.items.filter((row) => !isTlp2Member(row) && !isTlp2DefinitionId(row.id)),
    'drop',
  )
  if (options.objectId === undefined) {
    // Expired indicators leave the feed (listings and manifest), as they leave exports; asked for by
    // id they are still there.
    const expiry = await expiryOfRows(db, shown, new Date().toISOString())
    shown = shown.filter((_, i) => expiry[i] === null)
  }
  const items = [...fixed, ...shown].sort(compareOrder)
  return {
    ...read,
    items: options.withJson ? items : items.map(({ json: _, ...row }) => row),
  }
}

/** The TLP 2.0 members of a collection that a listing's filters select (all have one version). */
function tlp2MembersMatching(
  filter: TaxiiFilter,
  ids: readonly string[] | null,
  selection: VersionSelection,
): ScopedVersionRow[] {
  const after = filter.next
  return tlp2Members().filter(
    (row) =>
      (ids === null || ids.includes(row.id)) &&
      (filter.types === null || filter.types.includes(row.type)) &&
      (filter.addedAfter === null || row.added_at > filter.addedAfter) &&
      (after === null ||
        compareOrder(row, {
          added_at: after.addedAt,
          id: after.id,
          owner_org_id: after.ownerOrgId,
          modified: after.modified,
        }) > 0) &&
      // The one version is `created` (no `modified`): first, last and all select it, as does its
      // timestamp.
      (selection.all ||
        selection.first ||
        selection.last ||
        (row.created !== null && selection.modified.includes(row.created))),
  )
}

/**
 * The versions of one object in a collection the caller may see, oldest date added first; 404 when
 * the caller sees no copy of it there.
 */
export async function readObjectVersions(
  db: Db,
  principal: UserPrincipal,
  collection: TaxiiCollection,
  objectId: string,
  filter: TaxiiFilter,
): Promise<TaxiiPage<TaxiiVersion>> {
  assertReadable(collection)
  // A TLP 2.0 definition is the collection's member, whatever copies of it are held as objects.
  const copies = isTlp2DefinitionId(objectId)
    ? tlp2Members().filter((row) => row.id === objectId)
    : await findCopiesInScope(db, principal, collection.scope, objectId)
  if (copies.length === 0) {
    throw notFound('object', objectId)
  }
  if (!specVersionMatches(filter)) {
    return { items: [], more: false, next: null }
  }
  // One entry per version: the copy added first (then by owner), as objects and manifest do.
  const byVersion = new Map<string, ScopedVersionRow>()
  for (const copy of copies) {
    const held = byVersion.get(copy.modified)
    if (held === undefined || compareOrder(copy, held) < 0) {
      byVersion.set(copy.modified, copy)
    }
  }
  const after = filter.next
  const rows = [...byVersion.values()]
    .sort(compareOrder)
    .filter((r) => filter.addedAfter === null || r.added_at > filter.addedAfter)
    .filter(
      (r) =>
        after === null ||
        compareOrder(r, {
          added_at: after.addedAt,
          id: after.id,
          owner_org_id: after.ownerOrgId,
          modified: after.modified,
        }) > 0,
    )
  const limit = pageSize(filter)
  const page = paged(rows, limit)
  return {
    ...page,
    items: page.items.map((r) => ({ version: versionOf(r), addedAt: r.added_at })),
  }
}

/** The order of TAXII listings: date added, then id, owner and version, so equal dates stay stable. */
function compareOrder(a: Ordered, b: Ordered): number {
  for (const key of ['added_at', 'id', 'owner_org_id', 'modified'] as const) {
    if (a[key] !== b[key]) {
      return a[key] < b[key] ? -1 : 1
    }
  }
  return 0
}

/**
 * The TAXII version of a stored object version: its `modified`, else its `created`, else (an SCO,
 * which has neither) the date it was added, as a TAXII timestamp.
 */
export function versionOf(row: Pick<ScopedVersionRow, 'modified' | 'created' | 'added_at'>): string {
  if (row.modified !== '') {
    return row.modified
  }
  if (row.created !== null) {
    return row.created
  }
  return toTaxiiTimestamp(row.added_at)
}

/**
 * Deletes the versions `match[version]` selects (the latest by default) of one object from a
 * collection: the caller's organisation's copies of them. Needs both flags (neither: 404, one: 403).
 * A version that another organisation's copy still shows the caller in this collection cannot be
 * deleted by the caller (403), so after a 200 the caller no longer finds it there.
 */
export async function deleteCollectionObject(
  db: Db,
  principal: UserPrincipal,
  collection: TaxiiCollection,
  objectId: string,
  filter: TaxiiFilter,
  now = new Date(),
): Promise<number> {
  if (!collection.canRead && !collection.canWrite) {
    throw notFound('object', objectId)
  }
  if (!collection.canRead || !collection.canWrite) {
    throw forbidden(`your role may not delete objects of collection ${collection.id}`)
  }
  if (isTlp2DefinitionId(objectId)) {
    // After a 200 the object must be gone from the collection; these never are.
    throw forbidden(
      `${objectId} is a TLP 2.0 marking definition: every collection holds the five, and they are not deleted`,
    )
  }
  const selected = specVersionMatches(filter)
    ? await pageVersionsInScope(db, principal, collection.scope, {
        ids: [objectId],
        versions: selectionOf(filter.versions),
        limit: TAXII_MAX_PAGE,
        withJson: false,
      })
    : []
  if (selected.length === 0) {
    throw notFound('object', objectId)
  }
  const versions = new Set(selected.map((r) => r.modified))
  const copies = (await findCopiesInScope(db, principal, collection.scope, objectId)).filter((c) =>
    versions.has(c.modified),
  )
  if (copies.some((c) => c.owner_org_id !== principal.orgId)) {
    throw forbidden(
      `object ${objectId} is also held by another organisation whose copy you see in this collection; only an owner deletes its copy`,
    )
  }
  return deleteOwnVersions(
    db,
    principal,
    { id: objectId, ownerOrgId: principal.orgId, modified: [...new Set(copies.map((c) => c.modified))] },
    now,
  )
}
