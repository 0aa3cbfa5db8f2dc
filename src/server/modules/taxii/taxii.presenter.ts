import { markingDefinitionForTlp, tlpOfMarkingRef, type StixObject } from '../../../core/stix/stix.js'
import {
  httpStatusTitle,
  STIX_MEDIA_TYPE,
  TAXII_MEDIA_TYPE,
  toTaxiiTimestamp,
} from '../../../core/taxii/taxii.js'
import type { Tlp } from '../../../core/trust/label.js'
import type { ScopedVersionRow } from '../intel/intel.query.js'
import type { StatusDetail, TaxiiStatus } from './taxii.ingest.js'
import { isTlp2Member } from './taxii.markings.js'
import { versionOf, type TaxiiCollection, type TaxiiPage, type TaxiiVersion } from './taxii.service.js'

/** The discovery resource: this server's one API root. */
export function presentDiscovery(instanceName: string, apiRoot: string): Record<string, unknown> {
  return {
    title: `${instanceName} TAXII server`,
    description:
      'TAXII 2.1 access to the threat intelligence shared on this Liaison instance. Collections map to audiences and sharing groups; what you read is exactly what the sharing rules let you see.',
    default: apiRoot,
    api_roots: [apiRoot],
  }
}

/** The API root resource. */
export function presentApiRoot(instanceName: string, maxContentLength: number): Record<string, unknown> {
  return {
    title: `${instanceName} intelligence`,
    description:
      'One collection per audience (organisation only, community, federation, public) and one per sharing group of your organisation.',
    versions: [TAXII_MEDIA_TYPE],
    max_content_length: maxContentLength,
  }
}

/** A collection resource: its flags describe the caller. */
export function presentCollection(collection: TaxiiCollection): Record<string, unknown> {
  return {
    id: collection.id,
    title: collection.title,
    ...(collection.description === null ? {} : { description: collection.description }),
    alias: collection.alias,
    can_read: collection.canRead,
    can_write: collection.canWrite,
    media_types: [STIX_MEDIA_TYPE],
  }
}

/** The collections resource; `{}` when there are none (TAXII lists are never empty). */
export function presentCollections(collections: readonly TaxiiCollection[]): Record<string, unknown> {
  return collections.length === 0 ? {} : { collections: collections.map(presentCollection) }
}

/** The manifest resource of one page. */
export function presentManifest(page: TaxiiPage<ScopedVersionRow>): Record<string, unknown> {
  return {
    more: page.more,
    ...(page.next === null ? {} : { next: page.next }),
    ...(page.items.length === 0
      ? {}
      : {
          objects: page.items.map((row) => ({
            id: row.id,
            date_added: toTaxiiTimestamp(row.added_at),
            version: versionOf(row),
            media_type: STIX_MEDIA_TYPE,
          })),
        }),
  }
}

/** The versions resource of one page. */
export function presentVersions(page: TaxiiPage<TaxiiVersion>): Record<string, unknown> {
  return {
    more: page.more,
    ...(page.next === null ? {} : { next: page.next }),
    ...(page.items.length === 0 ? {} : { versions: page.items.map((v) => v.version) }),
  }
}

/**
 * An envelope of stored objects as JSON text, built from the stored JSON. Each object leaves with the
 * TLP 2.0 marking of its label in `object_marking_refs` (its other markings kept), as every export
 * does: the label, not what the producer wrote, says how it may be shared. The TLP 2.0 marking
 * definitions every collection holds (`tlp2Members`) leave as OASIS wrote them.
 */
export function envelopeText(page: TaxiiPage<ScopedVersionRow>, tlps: ReadonlyMap<string, Tlp>): string {
  const objects: string[] = []
  for (const row of page.items) {
    const json = row.json
    if (json !== undefined && isTlp2Member(row)) {
      objects.push(json)
      continue
    }
    const tlp = tlps.get(row.label_id)
    if (tlp === undefined || json === undefined) {
      continue
    }
    objects.push(markedJson(row.type, json, tlp))
  }
  const head = `{"more":${page.more ? 'true' : 'false'}${page.next === null ? '' : `,"next":${JSON.stringify(page.next)}`}`
  return objects.length === 0 ? `${head}}` : `${head},"objects":[${objects.join(',')}]}`
}

function markedJson(type: string, json: string, tlp: Tlp): string {
  if (type === 'marking-definition') {
    return json
  }
  const marking = markingDefinitionForTlp(tlp).id
  // Stored JSON is one object as JSON.stringify wrote it: without any marking refs, the marking goes
  // in before its closing brace, without parsing it.
  if (!json.includes('"object_marking_refs"') && json.endsWith('}') && json.length > 2) {
    return `${json.slice(0, -1)},"object_marking_refs":["${marking}"]}`
  }
  const object = JSON.parse(json) as StixObject
  const refs = Array.isArray(object.object_marking_refs) ? object.object_marking_refs : []
  const others = refs.filter((ref): ref is string => typeof ref === 'string' && tlpOfMarkingRef(ref) === null)
  if (refs.length === others.length + 1 && refs[0] === marking) {
    // Already marked exactly so: the stored text goes out unchanged.
    return json
  }
  return JSON.stringify({ ...object, object_marking_refs: [marking, ...others] })
}

/** The status resource. */
export function presentStatus(status: TaxiiStatus): Record<string, unknown> {
  const { row } = status
  const list = (name: string, details: readonly StatusDetail[]) =>
    details.length === 0 ? {} : { [name]: details }
  return {
    id: row.id,
    status: row.status,
    request_timestamp: row.request_timestamp,
    total_count: row.total_count,
    success_count: row.success_count,
    ...list('successes', status.successes),
    failure_count: row.failure_count,
    ...list('failures', status.failures),
    pending_count: row.pending_count,
    ...list('pendings', status.pendings),
  }
}

/** The TAXII error resource. */
export function presentError(
  status: number,
  code: string,
  message: string,
  details: Record<string, unknown> | null,
): Record<string, unknown> {
  return {
    title: httpStatusTitle(status),
    description: message,
    error_code: code,
    http_status: String(status),
    ...(details === null ? {} : { details }),
  }
}
