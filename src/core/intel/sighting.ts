/**
 * Sightings as Liaison records them: the three MISP sighting types written as the STIX objects the
 * MISP mapping (src/core/misp/to-stix.ts) produces for them, so that a posted sighting and an
 * imported MISP one read and export alike.
 */
import { randomUUID } from 'node:crypto'
import { isSco, type StixObject } from '../stix/stix.js'

/** What a report about an object says: seen, a false positive, or expired (MISP sighting types 0, 1, 2). */
export const SIGHTING_TYPES = ['sighting', 'false-positive', 'expiration'] as const
/** One of {@link SIGHTING_TYPES}. */
export type SightingType = (typeof SIGHTING_TYPES)[number]

/** The kind of a stored report about an object: a {@link SightingType}, or any other opinion. */
export type SightingKind = SightingType | 'opinion'

/** The MISP sighting type each {@link SightingType} carries in `x_misp_sighting_type`. */
export const MISP_SIGHTING_TYPE: Readonly<Record<SightingType, '0' | '1' | '2'>> = {
  sighting: '0',
  'false-positive': '1',
  expiration: '2',
}

/** The organisation that reports, as a STIX identity. */
export interface SightingReporter {
  /** `identity--…` id, used as `created_by_ref` and `where_sighted_refs`. */
  readonly identityId: string
  /** Its name, written to `authors` of opinions and notes. */
  readonly name: string
}

/** One sighting, false positive or expiration to record about some objects. */
export interface SightingRecord {
  readonly type: SightingType
  /** The objects it is about (ids and STIX types); at least one. */
  readonly targets: readonly { readonly id: string; readonly type: string }[]
  readonly reporter: SightingReporter
  /** Free text: the sensor, feed or person that saw it (MISP's `source`). */
  readonly source: string | null
  /** How often it was seen (sightings only). */
  readonly count: number
  /** When it was seen, or from when it is a false positive / expired (ISO 8601, milliseconds). */
  readonly seenAt: string
  /** When the record is made (ISO 8601, milliseconds). */
  readonly now: string
}

/**
 * The STIX objects that record a sighting report, after the MISP mapping: a `sighting` per target
 * (`sighting_of_ref` must name an SDO, so an SCO is sighted through an `observed-data` of the
 * reporter that contains it), one `opinion` (strongly-disagree) for a false positive, or one `note`
 * for an expiration, each about every target.
 *
 * @example
 * sightingObjects({ type: 'sighting', targets: [{ id: 'indicator--…', type: 'indicator' }], reporter,
 *   source: 'honeypot', count: 3, seenAt: '2026-11-24T10:00:00.000Z', now: '2026-11-24T10:05:00.000Z' })
 * // [{ type: 'sighting', sighting_of_ref: 'indicator--…', count: 3, where_sighted_refs: [reporter.identityId], … }]
 */
export function sightingObjects(record: SightingRecord, newUuid: () => string = randomUUID): StixObject[] {
  const { reporter, seenAt, now } = record
  if (record.type === 'sighting') {
    const out: StixObject[] = []
    for (const target of record.targets) {
      let sighted = target.id
      if (isSco(target.type)) {
        const observed: StixObject = {
          type: 'observed-data',
          spec_version: '2.1',
          id: `observed-data--${newUuid()}`,
          created_by_ref: reporter.identityId,
          created: now,
          modified: now,
          first_observed: seenAt,
          last_observed: seenAt,
          number_observed: record.count,
          object_refs: [target.id],
        }
        out.push(observed)
        sighted = observed.id
      }
      const sighting: StixObject = {
        type: 'sighting',
        spec_version: '2.1',
        id: `sighting--${newUuid()}`,
        created_by_ref: reporter.identityId,
        created: now,
        modified: now,
        first_seen: seenAt,
        last_seen: seenAt,
        count: record.count,
        sighting_of_ref: sighted,
        where_sighted_refs: [reporter.identityId],
      }
      if (sighted !== target.id) {
        sighting.observed_data_refs = [sighted]
      }
      if (record.source !== null) {
        sighting.description = record.source
      }
      out.push(sighting)
    }
    return out
  }
  // As the MISP mapping writes them: created at the time of the report, so MISP reads the date back.
  const common = {
    spec_version: '2.1',
    created_by_ref: reporter.identityId,
    created: seenAt,
    modified: seenAt,
    object_refs: record.targets.map((t) => t.id),
  }
  const report: StixObject =
    record.type === 'false-positive'
      ? {
          type: 'opinion',
          id: `opinion--${newUuid()}`,
          ...common,
          explanation: 'False positive Sighting',
          opinion: 'strongly-disagree',
        }
      : {
          type: 'note',
          id: `note--${newUuid()}`,
          ...common,
          abstract: 'MISP expiration sighting',
          content: `Considered expired from ${seenAt}.`,
        }
  report.authors = [reporter.name]
  report.x_misp_sighting_type = MISP_SIGHTING_TYPE[record.type]
  report.x_misp_author_ref = reporter.identityId
  if (record.source !== null) {
    report.x_misp_source = record.source
  }
  return [report]
}

/**
 * The kind of a stored report about an object, by the MISP mapping's conventions: every `sighting`;
 * an `opinion` that strongly disagrees (or says it is MISP type 1) is a false positive, any other
 * opinion just an opinion; a `note` only when it is a MISP expiration (type 2). Null otherwise.
 */
export function sightingKindOf(object: {
  type: string
  opinion?: unknown
  x_misp_sighting_type?: unknown
}): SightingKind | null {
  switch (object.type) {
    case 'sighting':
      return 'sighting'
    case 'opinion':
      return object.opinion === 'strongly-disagree' || object.x_misp_sighting_type === '1'
        ? 'false-positive'
        : 'opinion'
    case 'note':
      return object.x_misp_sighting_type === '2' ? 'expiration' : null
    default:
      return null
  }
}
