import { keepPreviousData, queryOptions } from '@tanstack/react-query'
import type { Role } from '../../../src/core/account/account.schema.js'
import type { ReleaseStatus, ReleaseWire } from '../../../src/core/intel/release.schema.js'
import type { WarninglistWire } from '../../../src/core/intel/warninglist.schema.js'
import { api, ApiError, getCsrfToken, type ListWire } from '../lib/api.client.js'
import { TLP_LEVELS, type LabelInput, type SharingLabel, type Tlp } from '../trust/label.constants.js'

/** A STIX object as the server stored it; only a few properties are read by name. */
export type StixObject = Record<string, unknown> & { id: string; type: string }

/** One object of `GET /api/v1/intel/objects`, with its sharing label. */
export interface StoredObjectWire {
  object: StixObject
  label: SharingLabel
  ownerOrgId: string
  source: string | null
  addedAt: string
  /** An indicator whose `valid_until` has passed. */
  expired: boolean
}

/** An object of another one's graph, as `GET /api/v1/intel/objects/{id}` lists it. */
export interface RelatedObjectWire {
  direction: 'out' | 'in'
  property: string
  id: string
  type: string
  name: string | null
}

/** Times seen and false-positive reports, from the sightings and opinions the caller may see. */
export interface SightingCountsWire {
  count: number
  falsePositives: number
}

/** What the sightings, false positives and expirations the caller may see say about an object. */
export interface SightingSummaryWire extends SightingCountsWire {
  reports: number
  firstSeen: string | null
  lastSeen: string | null
  expirations: number
  sightedBy: { id: string; name: string | null }[]
}

/** One object with its versions, related objects and sightings summary. */
export interface ObjectDetailWire extends StoredObjectWire {
  versions: { modified: string; addedAt: string }[]
  /** The first related objects each way. */
  related: RelatedObjectWire[]
  /** Where the rest of each way's related objects start (null: none left). */
  relatedNext: { out: string | null; in: string | null }
  /** List properties of `object` cut to their first entries (see {@link OBJECT_PAGE_LIST_ITEMS}). */
  truncatedLists: { property: string; shown: number }[]
  sightings: SightingSummaryWire
}

/**
 * Most entries of one list property the object page asks for: a report of a MISP mega-event lists
 * 1.5 million members, which a browser cannot take whole (the related objects page through them).
 */
export const OBJECT_PAGE_LIST_ITEMS = 1000

/** Related objects a "Show more" adds. */
export const RELATED_PAGE_SIZE = 200

/** A page of the objects an object names (`out`) or that name it (`in`), after a cursor. */
export function fetchRelated(
  id: string,
  direction: 'out' | 'in',
  after: string,
): Promise<{ items: RelatedObjectWire[]; next: string | null }> {
  const params = new URLSearchParams({ direction, after, limit: String(RELATED_PAGE_SIZE) })
  return api<{ items: RelatedObjectWire[]; next: string | null }>(
    `/api/v1/intel/objects/${encodeURIComponent(id)}/related?${params.toString()}`,
  )
}

/** Why an indicator has expired, as `GET /api/v1/intel/expired` says. */
export interface ExpiryWire {
  reason: 'valid_until' | 'retention'
  at: string
  retentionDays: number | null
}

/** One expired indicator, with why. */
export interface ExpiredObjectWire extends StoredObjectWire {
  expiry: ExpiryWire
}

/** What a report about an object says (MISP sighting types 0, 1, 2). */
export type SightingType = 'sighting' | 'false-positive' | 'expiration'

/** The reports `POST /api/v1/intel/sightings` records, as offered to the user. */
export const SIGHTING_TYPE_LABELS: Record<SightingType, string> = {
  sighting: 'Sighting',
  'false-positive': 'False positive',
  expiration: 'Expiration',
}

/** One stored report about an object: a sighting, false positive, expiration or other opinion. */
export interface SightingItemWire extends StoredObjectWire {
  id: string
  kind: SightingType | 'opinion'
}

/** A rule an imported object breaks. */
export interface ImportProblem {
  index: number
  id: string | null
  type?: string | null
  property: string
  rule: string
  message: string
}

/** Answer of `POST /api/v1/intel/import`. */
export interface ImportSummaryWire {
  importId: string
  created: number
  updated: number
  unchanged: number
  rejected: number
  problems: ImportProblem[]
  upgradedFrom20: boolean
  /** What was read other than written and imported all the same: the first 100, and how many. */
  warnings: { total: number; items: ImportProblem[] }
  /** Set when the organisation's four-eyes release holds the objects until a second member approves. */
  release?: { id: string; status: 'pending' } | null
  /** Imported values on enabled warninglists (known-benign): flagged, not blocked. */
  warninglistHits: { total: number; items: { objectId: string; value: string; warninglist: string }[] }
}

/** Where a value was found among the objects the caller may see. */
export interface CorrelationWire {
  value: string
  kind: string | null
  key: string | null
  total: number
  /** Names of the enabled warninglists (known-benign values) the value is on. */
  warninglists: string[]
  hits: {
    id: string
    type: string
    name: string | null
    ownerOrgId: string
    matchedKey: string
    firstSeen: string | null
    lastSeen: string | null
    reports: string[]
    sightings: SightingCountsWire
  }[]
}

/** An IOC found in free text. */
export interface IocWire {
  kind: string
  value: string
  sco: Record<string, unknown>
}

/** STIX types offered by the type filter. */
export const STIX_TYPES = [
  'indicator',
  'malware',
  'threat-actor',
  'intrusion-set',
  'campaign',
  'attack-pattern',
  'tool',
  'vulnerability',
  'report',
  'identity',
  'course-of-action',
  'infrastructure',
  'location',
  'note',
  'observed-data',
  'opinion',
  'grouping',
  'relationship',
  'sighting',
  'ipv4-addr',
  'ipv6-addr',
  'domain-name',
  'url',
  'email-addr',
  'file',
  'autonomous-system',
  'mac-addr',
] as const

/** Query key of everything about intelligence objects; invalidate it after an import. */
export const INTEL_KEY = ['intel'] as const

/** How many objects a page of the search shows. */
export const INTEL_PAGE_SIZE = 25

/** What the object search is filtered by, as the URL keeps it. */
export interface IntelFilter {
  /** An observable value: IP, domain, URL, hash, e-mail address. */
  value?: string
  /** Text the object's name contains (a threat actor, a malware, a campaign, a report, …). */
  name?: string
  type?: string[]
  tlp?: Tlp[]
  /** Where the objects came from: the import's source (file name, feed, `api`, `sighting`, …). */
  source?: string
  /** Added on or after this day (YYYY-MM-DD, the reader's time zone). */
  addedAfter?: string
  /** Added on or before this day (YYYY-MM-DD, the reader's time zone). */
  addedBefore?: string
  /** `expired`: only expired indicators, with why. */
  view?: 'expired'
  /** 1-based page number. */
  page?: number
}

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/

function isDay(value: unknown): value is string {
  return typeof value === 'string' && DAY_PATTERN.test(value) && !Number.isNaN(new Date(value).getTime())
}

function asList(value: unknown): unknown[] {
  if (Array.isArray(value)) {
    return value
  }
  return value === undefined || value === null || value === '' ? [] : [value]
}

/** The search's filters from the URL's search parameters; anything unknown is dropped. */
export function parseIntelFilter(search: Record<string, unknown>): IntelFilter {
  const filter: IntelFilter = {}
  if (typeof search.value === 'string' && search.value.trim() !== '') {
    filter.value = search.value.trim().slice(0, 2000)
  }
  if (typeof search.name === 'string' && search.name.trim() !== '') {
    filter.name = search.name.trim().slice(0, 500)
  }
  const types = asList(search.type).filter(
    (t): t is string => typeof t === 'string' && /^[a-z0-9-]{1,100}$/.test(t),
  )
  if (types.length > 0) {
    filter.type = [...new Set(types)]
  }
  const tlps = asList(search.tlp).filter((t): t is Tlp => TLP_LEVELS.some((level) => level === t))
  if (tlps.length > 0) {
    filter.tlp = [...new Set(tlps)]
  }
  if (typeof search.source === 'string' && search.source.trim() !== '') {
    filter.source = search.source.trim().slice(0, 500)
  }
  if (isDay(search.addedAfter)) {
    filter.addedAfter = search.addedAfter
  }
  if (isDay(search.addedBefore)) {
    filter.addedBefore = search.addedBefore
  }
  if (search.view === 'expired') {
    filter.view = 'expired'
  }
  const page = Number(search.page)
  if (Number.isInteger(page) && page > 1) {
    filter.page = page
  }
  return filter
}

/** The instant a day starts (or, with `end`, ends) in the reader's time zone, as ISO 8601. */
function dayBoundary(day: string, end: boolean): string {
  const [year = 0, month = 1, date = 1] = day.split('-').map(Number)
  return end
    ? new Date(year, month - 1, date, 23, 59, 59, 999).toISOString()
    : new Date(year, month - 1, date).toISOString()
}

function filterParams({
  value,
  name,
  type,
  tlp,
  source,
  addedAfter,
  addedBefore,
}: IntelFilter): URLSearchParams {
  const params = new URLSearchParams()
  if (value !== undefined && value !== '') {
    params.set('value', value)
  }
  if (name !== undefined && name !== '') {
    params.set('name', name)
  }
  for (const t of type ?? []) {
    params.append('type', t)
  }
  for (const t of tlp ?? []) {
    params.append('tlp', t)
  }
  if (source !== undefined) {
    params.set('source', source)
  }
  if (addedAfter !== undefined) {
    params.set('added_after', dayBoundary(addedAfter, false))
  }
  if (addedBefore !== undefined) {
    params.set('added_before', dayBoundary(addedBefore, true))
  }
  return params
}

function filterKey(filter: IntelFilter) {
  return {
    value: filter.value ?? '',
    name: filter.name ?? '',
    type: filter.type ?? [],
    tlp: filter.tlp ?? [],
    source: filter.source ?? '',
    addedAfter: filter.addedAfter ?? '',
    addedBefore: filter.addedBefore ?? '',
    page: filter.page ?? 1,
  }
}

/** One page of the objects the caller may see, newest first, with the total. */
export function objectsQuery(filter: IntelFilter) {
  const page = filter.page ?? 1
  const params = filterParams(filter)
  params.set('limit', String(INTEL_PAGE_SIZE))
  params.set('offset', String((page - 1) * INTEL_PAGE_SIZE))
  return queryOptions({
    queryKey: [...INTEL_KEY, 'list', filterKey(filter)] as const,
    queryFn: ({ signal }) =>
      api<ListWire<StoredObjectWire>>(`/api/v1/intel/objects?${params.toString()}`, { signal }),
    placeholderData: keepPreviousData,
  })
}

/** One page of the expired indicators the caller may see, newest first, each with why it expired. */
export function expiredQuery(filter: IntelFilter) {
  const page = filter.page ?? 1
  const params = filterParams(filter)
  params.set('limit', String(INTEL_PAGE_SIZE))
  params.set('offset', String((page - 1) * INTEL_PAGE_SIZE))
  return queryOptions({
    queryKey: [...INTEL_KEY, 'expired', filterKey(filter)] as const,
    queryFn: ({ signal }) =>
      api<ListWire<ExpiredObjectWire>>(`/api/v1/intel/expired?${params.toString()}`, { signal }),
    placeholderData: keepPreviousData,
  })
}

/** How many reports a page of an object's sightings shows. */
export const SIGHTINGS_PAGE_SIZE = 10

/** One page of the sightings, false positives, expirations and opinions about an object, newest first. */
export function sightingsQuery(id: string, page: number) {
  const params = new URLSearchParams({
    limit: String(SIGHTINGS_PAGE_SIZE),
    offset: String((page - 1) * SIGHTINGS_PAGE_SIZE),
  })
  return queryOptions({
    queryKey: [...INTEL_KEY, 'sightings', id, page] as const,
    queryFn: ({ signal }) =>
      api<ListWire<SightingItemWire>>(
        `/api/v1/intel/objects/${encodeURIComponent(id)}/sightings?${params.toString()}`,
        { signal },
      ),
    placeholderData: keepPreviousData,
  })
}

/** Body of `POST /api/v1/intel/sightings` about one object. */
export interface RecordSightingRequest {
  objectId: string
  type: SightingType
  source?: string
  count?: number
  seenAt?: string
  label: LabelInput
}

/** Records a sighting, false positive or expiration of an object (stored through an import). */
export function recordSighting(input: RecordSightingRequest): Promise<{ objectIds: string[] }> {
  const { label, ...rest } = input
  return api<{ objectIds: string[] }>('/api/v1/intel/sightings', {
    method: 'POST',
    body: {
      ...rest,
      label: {
        tlp: label.tlp,
        pap: label.pap,
        audience: label.audience,
        sharingGroups: label.sharingGroups,
        recipients: label.recipients,
      },
    },
  })
}

/** One object; 404 when it is missing or the caller may not see it. */
export function objectQuery(id: string) {
  return queryOptions({
    queryKey: [...INTEL_KEY, 'object', id] as const,
    queryFn: ({ signal }) =>
      api<ObjectDetailWire>(
        `/api/v1/intel/objects/${encodeURIComponent(id)}?maxListItems=${OBJECT_PAGE_LIST_ITEMS}`,
        { signal },
      ),
  })
}

/** How many hits per value a page of correlations shows. */
export const CORRELATION_PAGE_SIZE = 20

/** Where each of `values` appears among the objects the caller may see: the first page of each. */
export function correlationQuery(values: string[]) {
  return queryOptions({
    queryKey: [...INTEL_KEY, 'correlate', values] as const,
    queryFn: ({ signal }) =>
      api<{ results: CorrelationWire[] }>('/api/v1/intel/correlate', {
        method: 'POST',
        body: { values, limit: CORRELATION_PAGE_SIZE },
        signal,
      }),
    enabled: values.length > 0,
  })
}

/** A further page of the hits of one value (`page` ≥ 2; the first comes with {@link correlationQuery}). */
export function correlationPageQuery(value: string, page: number) {
  const params = new URLSearchParams({
    value,
    limit: String(CORRELATION_PAGE_SIZE),
    offset: String((page - 1) * CORRELATION_PAGE_SIZE),
  })
  return queryOptions({
    queryKey: [...INTEL_KEY, 'correlate-page', value, page] as const,
    queryFn: ({ signal }) =>
      api<{ results: CorrelationWire[] }>(`/api/v1/intel/correlate?${params.toString()}`, { signal }),
    enabled: page > 1,
    placeholderData: keepPreviousData,
  })
}

/** Answer of `POST /api/v1/intel/extract`; `import` is set when the IOCs were also imported. */
export interface ExtractWire {
  items: IocWire[]
  import: ImportSummaryWire | null
}

/** The IOCs in a text, defanged forms included; with `label`, also imported under it. */
export function extractIocs({
  text,
  label,
}: {
  text: string
  label: LabelInput | null
}): Promise<ExtractWire> {
  return api<ExtractWire>('/api/v1/intel/extract', {
    method: 'POST',
    body:
      label === null
        ? { text }
        : {
            text,
            store: true,
            label: {
              tlp: label.tlp,
              pap: label.pap,
              audience: label.audience,
              sharingGroups: label.sharingGroups,
              recipients: label.recipients,
            },
          },
  })
}

/** Export file formats. */
export type ExportFormat = 'stix' | 'misp' | 'csv'

/** Options of an export besides its format and filters. */
export interface ExportOptions {
  includeExpired: boolean
  /** Leave out revoked objects, and indicators and observables on enabled warninglists (known-benign values). */
  forBlocking: boolean
  /** Every version, not only each copy's latest (STIX and CSV; MISP has no versions). */
  allVersions: boolean
}

/** The address of an export of what matches `filter` (a GET: the session cookie is enough). */
export function exportUrl(
  filter: IntelFilter,
  format: ExportFormat,
  { includeExpired, forBlocking, allVersions }: ExportOptions,
): string {
  const params = filterParams(filter)
  params.set('format', format)
  params.set('include_expired', String(includeExpired))
  params.set('forBlocking', String(forBlocking))
  if (allVersions && format !== 'misp') {
    params.set('versions', 'all')
  }
  return `/api/v1/intel/export?${params.toString()}`
}

/** How an import reads its file: detected, or said. */
export type ImportFormat = 'auto' | 'stix' | 'misp'

/** Options of an import; without a label the server uses the content's strictest marking. */
export interface ImportOptions {
  label: LabelInput | null
  skipInvalid: boolean
  format: ImportFormat
}

/**
 * Uploads a JSON file (STIX bundle or MISP event) to `POST /api/v1/intel/import`, reporting the share
 * sent; rejects with an {@link ApiError} whose details carry the problems of a strict import.
 */
export function importFile(
  file: File,
  { label, skipInvalid, format }: ImportOptions,
  onProgress: (fraction: number) => void,
): Promise<ImportSummaryWire> {
  const params = new URLSearchParams({ format, skipInvalid: String(skipInvalid), source: file.name })
  if (label !== null) {
    params.set('tlp', label.tlp)
    params.set('pap', label.pap)
    params.set('audience', label.audience)
    for (const id of label.sharingGroups) {
      params.append('group', id)
    }
    for (const id of label.recipients) {
      params.append('recipient', id)
    }
  }
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest()
    request.open('POST', `/api/v1/intel/import?${params.toString()}`)
    request.withCredentials = true
    request.setRequestHeader('Accept', 'application/json')
    request.setRequestHeader('Content-Type', 'application/json')
    const token = getCsrfToken()
    if (token !== null) {
      request.setRequestHeader('X-CSRF-Token', token)
    }
    request.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable && event.total > 0) {
        onProgress(event.loaded / event.total)
      }
    })
    request.addEventListener('error', () => {
      reject(
        new ApiError(0, 'network_error', 'The server could not be reached. Check your connection and retry.'),
      )
    })
    request.addEventListener('load', () => {
      let payload: unknown = null
      try {
        payload = JSON.parse(request.responseText) as unknown
      } catch {
        payload = null
      }
      if (request.status >= 200 && request.status < 300) {
        resolve(payload as ImportSummaryWire)
        return
      }
      const error =
        typeof payload === 'object' && payload !== null && 'error' in payload
          ? (payload.error as { code?: unknown; message?: unknown; details?: unknown })
          : {}
      reject(
        new ApiError(
          request.status,
          typeof error.code === 'string' ? error.code : 'http_error',
          typeof error.message === 'string' ? error.message : `The server answered ${request.status}.`,
          typeof error.details === 'object' && error.details !== null
            ? (error.details as Record<string, unknown>)
            : null,
        ),
      )
    })
    request.send(file)
  })
}

/** The problems a failed strict import reports in its error details. */
export function problemsOf(error: unknown): ImportProblem[] {
  if (!(error instanceof ApiError) || error.details === null) {
    return []
  }
  const problems = error.details.problems
  return Array.isArray(problems) ? (problems as ImportProblem[]) : []
}

/** The words to show for an object in a list: its name, value, pattern or, failing all, its id. */
export function objectTitle(object: StixObject): string {
  for (const key of ['name', 'value', 'pattern', 'path', 'number']) {
    const value = object[key]
    if (typeof value === 'string' && value !== '') {
      return value
    }
    if (typeof value === 'number') {
      return String(value)
    }
  }
  if (object.type === 'relationship' && typeof object.relationship_type === 'string') {
    return `${String(object.source_ref)} ${object.relationship_type} ${String(object.target_ref)}`
  }
  const hashes = object.hashes
  if (typeof hashes === 'object' && hashes !== null) {
    const first: unknown = Object.values(hashes)[0]
    if (typeof first === 'string') {
      return first
    }
  }
  return object.id
}

/**
 * The observable values of an indicator or cyber-observable, to correlate: its `value`, its hashes,
 * or the quoted values of its pattern.
 */
export function correlationValues(object: StixObject): string[] {
  const values = new Set<string>()
  if (typeof object.value === 'string') {
    values.add(object.value)
  }
  if (typeof object.hashes === 'object' && object.hashes !== null) {
    for (const hash of Object.values(object.hashes)) {
      if (typeof hash === 'string') {
        values.add(hash)
      }
    }
  }
  if (typeof object.pattern === 'string') {
    for (const match of object.pattern.matchAll(/'((?:[^'\\]|\\.)*)'/g)) {
      const value = (match[1] ?? '').replace(/\\(.)/g, '$1')
      if (value !== '') {
        values.add(value)
      }
    }
  }
  return [...values].slice(0, 100)
}

/** True for STIX objects whose values can be correlated: indicators and cyber-observables. */
export function isCorrelatable(object: StixObject): boolean {
  return correlationValues(object).length > 0
}

/** Query key of the organisation's four-eyes releases. */
export const RELEASES_KEY = [...INTEL_KEY, 'releases'] as const

/** How many releases a page shows. */
export const RELEASES_PAGE_SIZE = 25

export type { ReleaseStatus, ReleaseWire } from '../../../src/core/intel/release.schema.js'

/** One page of the caller's organisation's releases, newest first; `status` narrows them. */
export function releasesQuery(status: ReleaseStatus | null, page: number) {
  const params = new URLSearchParams({
    limit: String(RELEASES_PAGE_SIZE),
    offset: String((page - 1) * RELEASES_PAGE_SIZE),
  })
  if (status !== null) {
    params.set('status', status)
  }
  return queryOptions({
    queryKey: [...RELEASES_KEY, status ?? 'all', page] as const,
    queryFn: ({ signal }) =>
      api<ListWire<ReleaseWire>>(`/api/v1/intel/releases?${params.toString()}`, { signal }),
    placeholderData: keepPreviousData,
  })
}

/** Approves or rejects a release; `reason` is optional. */
export function decideRelease(
  id: string,
  decision: 'approve' | 'reject',
  reason: string,
): Promise<ReleaseWire> {
  return api<ReleaseWire>(`/api/v1/intel/releases/${encodeURIComponent(id)}/${decision}`, {
    method: 'POST',
    body: reason.trim() === '' ? {} : { reason: reason.trim() },
  })
}

/** Roles that may approve or reject a release of their organisation (never their own). */
export const RELEASE_DECIDER_ROLES: readonly Role[] = ['admin', 'analyst', 'coordinator']

/** A person as `GET /api/v1/people?ids=…` names them. */
export interface NamedPersonWire {
  id: string
  name: string
  orgId: string
  orgName: string
}

/** The names of some people, by id (at most 500). */
export function peopleByIdQuery(ids: string[]) {
  const sorted = [...new Set(ids)].sort().slice(0, 500)
  const params = new URLSearchParams()
  for (const id of sorted) {
    params.append('ids', id)
  }
  return queryOptions({
    queryKey: ['people', 'by-ids', sorted] as const,
    queryFn: ({ signal }) =>
      api<{ items: NamedPersonWire[] }>(`/api/v1/people?${params.toString()}`, { signal }),
    enabled: sorted.length > 0,
    staleTime: 60_000,
  })
}

/** Query key of the warninglists. */
export const WARNINGLISTS_KEY = [...INTEL_KEY, 'warninglists'] as const

export type { WarninglistWire } from '../../../src/core/intel/warninglist.schema.js'

/** The warninglists of known-benign values, by name. */
export const warninglistsQuery = queryOptions({
  queryKey: WARNINGLISTS_KEY,
  queryFn: ({ signal }) => api<{ items: WarninglistWire[] }>('/api/v1/intel/warninglists', { signal }),
})

/** Imports a MISP warninglist (`list.json` content); one of the same name is replaced. */
export function importWarninglist(
  content: unknown,
): Promise<{ warninglist: WarninglistWire; replacedVersion: number | null }> {
  return api('/api/v1/intel/warninglists', { method: 'POST', body: content })
}

/** Enables or disables a warninglist. */
export function setWarninglistEnabled(id: string, enabled: boolean): Promise<WarninglistWire> {
  return api<WarninglistWire>(`/api/v1/intel/warninglists/${encodeURIComponent(id)}`, {
    method: 'PATCH',
    body: { enabled },
  })
}

/** Deletes a warninglist and its entries. */
export function deleteWarninglist(id: string): Promise<WarninglistWire> {
  return api<WarninglistWire>(`/api/v1/intel/warninglists/${encodeURIComponent(id)}`, { method: 'DELETE' })
}
