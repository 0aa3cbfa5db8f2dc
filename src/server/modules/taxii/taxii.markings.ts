import { markingDefinitionForTlp, TLP2_CREATED, tlp2OfMarkingRef } from '../../../core/stix/stix.js'
import { StoredInstant } from '../../../core/intel/instant.js'
import { TLP_LEVELS } from '../../../core/trust/label.js'
import type { ScopedVersionRow } from '../intel/intel.query.js'

/**
 * The date added of the first TLP 2.0 marking definition in every collection: the day OASIS
 * published them, before anything a collection holds (stored objects are dated when stored). Each
 * next one is a microsecond later, as stored versions are: no two share a date added.
 */
export const TLP2_DATE_ADDED = StoredInstant.normalize(TLP2_CREATED)

/**
 * The five OASIS TLP 2.0 marking definitions as members of a collection, in TAXII order (by id, a
 * microsecond apart from {@link TLP2_DATE_ADDED} on, so a client paging by `added_after` alone gets
 * each once). Every object Liaison serves names the TLP 2.0 definition of its label, and STIX
 * 2.1 predefines only the TLP 1.0 ones (stix21.md §9.4), so a client must be able to read them.
 *
 * Why members and not companions added to each page: a member is an ordinary item of the
 * collection, so every TAXII rule holds without exception. The manifest lists what the objects
 * endpoint returns; `limit` counts them; `match[type]`, `match[id]`, `match[version]` (one version,
 * `created`), `match[spec_version]` and `added_after` select them as they select anything; pages
 * stay in ascending date added with date headers that describe them. With their early date added a
 * client reading from the start gets them first, and one reading on with `added_after` (or `next`)
 * is not sent them again. Companions would break each of those (a `match[type]=indicator` page
 * holding marking definitions, a manifest without them or with records of no date added, a page
 * over its `limit`) and repeat on every page. All five are in every collection, whatever it holds:
 * a definition reveals nothing, and a fixed set keeps the date added honest (a definition that
 * joined a collection when its first AMBER object did would be dated in the past, and a client
 * reading on would never get it).
 *
 * They are nobody's: no owner organisation and no label (`owner_org_id` and `label_id` empty), so
 * they get no marking, no provenance and no receipts. A copy of one held as an object (imported with
 * content) is not listed beside them: the collection lists each definition once, as this one.
 */
export function tlp2Members(): ScopedVersionRow[] {
  const first = StoredInstant.toMicros(TLP2_DATE_ADDED) ?? 0
  return TLP_LEVELS.map((tlp) => markingDefinitionForTlp(tlp))
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .map((definition, i) => ({
      id: definition.id,
      modified: '',
      owner_org_id: '',
      type: definition.type,
      created: TLP2_CREATED,
      valid_until: null,
      label_id: '',
      added_at: StoredInstant.fromMicros(first + i),
      json: JSON.stringify(definition),
    }))
}

/** True for a row of {@link tlp2Members} (not a stored object version: those always have an owner). */
export function isTlp2Member(row: Pick<ScopedVersionRow, 'owner_org_id'>): boolean {
  return row.owner_org_id === ''
}

/** True when `id` is the id of an OASIS TLP 2.0 marking definition. */
export function isTlp2DefinitionId(id: string): boolean {
  return tlp2OfMarkingRef(id) !== null
}
