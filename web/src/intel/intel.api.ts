import { keepPreviousData, queryOptions } from '@tanstack/react-query'
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

/** One object with its versions and related objects. */
export interface ObjectDetailWire extends StoredObjectWire {
  versions: { modified: string; addedAt: string }[]
  related: RelatedObjectWire[]
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
}

/** Where a value was found among the objects the caller may see. */
export interface CorrelationWire {
  value: string
  kind: string | null
  key: string | null
  total: number
  hits: {
    id: string
    type: string
    name: string | null
    ownerOrgId: string
    matchedKey: string
    firstSeen: string | null
    lastSeen: string | null
    reports: string[]
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
  type?: string[]
  tlp?: Tlp[]
  /** 1-based page number. */
  page?: number
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
  const page = Number(search.page)
  if (Number.isInteger(page) && page > 1) {
    filter.page = page
  }
  return filter
}

function filterParams({ value, type, tlp }: IntelFilter): URLSearchParams {
  const params = new URLSearchParams()
  if (value !== undefined && value !== '') {
    params.set('value', value)
  }
  for (const t of type ?? []) {
    params.append('type', t)
  }
  for (const t of tlp ?? []) {
    params.append('tlp', t)
  }
  return params
}

/** One page of the objects the caller may see, newest first, with the total. */
export function objectsQuery(filter: IntelFilter) {
  const page = filter.page ?? 1
  const params = filterParams(filter)
  params.set('limit', String(INTEL_PAGE_SIZE))
  params.set('offset', String((page - 1) * INTEL_PAGE_SIZE))
  return queryOptions({
    queryKey: [
      ...INTEL_KEY,
      'list',
      { value: filter.value ?? '', type: filter.type ?? [], tlp: filter.tlp ?? [], page },
    ] as const,
    queryFn: ({ signal }) =>
      api<ListWire<StoredObjectWire>>(`/api/v1/intel/objects?${params.toString()}`, { signal }),
    placeholderData: keepPreviousData,
  })
}

/** One object; 404 when it is missing or the caller may not see it. */
export function objectQuery(id: string) {
  return queryOptions({
    queryKey: [...INTEL_KEY, 'object', id] as const,
    queryFn: ({ signal }) =>
      api<ObjectDetailWire>(`/api/v1/intel/objects/${encodeURIComponent(id)}`, { signal }),
  })
}

/** Where each of `values` appears among the objects the caller may see. */
export function correlationQuery(values: string[]) {
  return queryOptions({
    queryKey: [...INTEL_KEY, 'correlate', values] as const,
    queryFn: ({ signal }) =>
      api<{ results: CorrelationWire[] }>('/api/v1/intel/correlate', {
        method: 'POST',
        body: { values, limit: 20 },
        signal,
      }),
    enabled: values.length > 0,
  })
}

/** The IOCs in a text, defanged forms included. */
export function extractIocs(text: string): Promise<{ items: IocWire[] }> {
  return api<{ items: IocWire[] }>('/api/v1/intel/extract', { method: 'POST', body: { text } })
}

/** Export file formats. */
export type ExportFormat = 'stix' | 'misp' | 'csv'

/** The address of an export of what matches `filter` (a GET: the session cookie is enough). */
export function exportUrl(filter: IntelFilter, format: ExportFormat, includeExpired: boolean): string {
  const params = filterParams(filter)
  params.set('format', format)
  params.set('include_expired', String(includeExpired))
  return `/api/v1/intel/export?${params.toString()}`
}

/** Options of an import; without a label the server uses the content's strictest marking. */
export interface ImportOptions {
  label: LabelInput | null
  skipInvalid: boolean
}

/**
 * Uploads a JSON file (STIX bundle or MISP event) to `POST /api/v1/intel/import`, reporting the share
 * sent; rejects with an {@link ApiError} whose details carry the problems of a strict import.
 */
export function importFile(
  file: File,
  { label, skipInvalid }: ImportOptions,
  onProgress: (fraction: number) => void,
): Promise<ImportSummaryWire> {
  const params = new URLSearchParams({ format: 'auto', skipInvalid: String(skipInvalid), source: file.name })
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
