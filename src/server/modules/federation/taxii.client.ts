import { TAXII_MEDIA_TYPE } from '../../../core/taxii/taxii.js'
import { packageVersion } from '../../paths.js'

/** How a TAXII client authenticates: HTTP Basic (every TAXII server takes it), Bearer, or not at all. */
export type TaxiiAuth =
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'bearer'; readonly token: string }
  | { readonly kind: 'none' }

/** Options of a {@link TaxiiClient}. */
export interface TaxiiClientOptions {
  readonly auth: TaxiiAuth
  /** Milliseconds before a request is given up (default 30 s). */
  readonly timeoutMs?: number
  /** Extra headers on every request (e.g. `X-Liaison-Provenance: 1` to a Liaison peer). */
  readonly headers?: Readonly<Record<string, string>>
  /** The fetch to use (tests may wrap it). */
  readonly fetch?: typeof fetch
}

/** A failed TAXII exchange: what was asked, the HTTP status (null: no answer) and the server's words. */
export class TaxiiClientError extends Error {
  /** HTTP status, or null when there was no answer (network, timeout). */
  readonly status: number | null
  readonly url: string
  /** The TAXII error resource's `title` and `description`, when the server sent one. */
  readonly title: string | null
  readonly description: string | null

  constructor(
    message: string,
    details: { status: number | null; url: string; title?: string | null; description?: string | null },
  ) {
    super(message)
    this.name = 'TaxiiClientError'
    this.status = details.status
    this.url = details.url
    this.title = details.title ?? null
    this.description = details.description ?? null
  }
}

/** An API root found by discovery. */
export interface TaxiiApiRoot {
  /** Absolute URL, ending with `/`. */
  readonly url: string
  readonly title: string
  readonly versions: readonly string[]
  /** Largest POST body in bytes the API root accepts. */
  readonly maxContentLength: number
}

/** A collection as the server describes it to this client. */
export interface TaxiiCollectionInfo {
  readonly id: string
  readonly title: string
  readonly alias: string | null
  readonly canRead: boolean
  readonly canWrite: boolean
}

/** Filters of an objects request. */
export interface ObjectsQuery {
  /** `added_after`, a TAXII timestamp. */
  readonly addedAfter?: string | null
  /** `next`, from the previous page. */
  readonly next?: string | null
  readonly limit?: number
  readonly types?: readonly string[]
  /** `match[version]`: `all` for every version added (a TAXII server gives only the last by default). */
  readonly versions?: 'all' | 'last' | 'first'
}

/** One page of objects. */
export interface ObjectsPage {
  readonly objects: readonly unknown[]
  readonly more: boolean
  readonly next: string | null
  /** `X-TAXII-Date-Added-First` / `-Last` of the page, when the server sent them. */
  readonly dateAddedFirst: string | null
  readonly dateAddedLast: string | null
}

/** One object's outcome in a status resource. */
export interface TaxiiStatusDetail {
  readonly id: string
  readonly version: string
  readonly message: string | null
}

/** A status resource. */
export interface TaxiiStatusResource {
  readonly id: string
  readonly status: 'pending' | 'complete'
  readonly totalCount: number
  readonly successes: readonly TaxiiStatusDetail[]
  readonly failures: readonly TaxiiStatusDetail[]
  readonly pendings: readonly TaxiiStatusDetail[]
}

/**
 * A TAXII 2.1 client for any server: discovery, API root, collections, objects with `added_after`
 * and `next`/`more` paging, POST of envelopes with status polling, and DELETE. Every request sends
 * `Accept: application/taxii+json;version=2.1` (and the same `Content-Type` on POST) and gives up
 * after the timeout; every failure is a {@link TaxiiClientError} that says what was asked and what
 * the server answered.
 *
 * @example
 * const client = new TaxiiClient({ auth: { kind: 'basic', username: 'me', password: key } })
 * const root = await client.findApiRoot('https://peer.example/taxii2/')
 * const page = await client.getObjects(root.url, 'federation', { limit: 500 })
 */
export class TaxiiClient {
  private readonly timeoutMs: number
  private readonly fetcher: typeof fetch

  constructor(private readonly options: TaxiiClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 30_000
    this.fetcher = options.fetch ?? fetch
  }

  /**
   * The API root a URL leads to: the URL itself when it is an API root, the discovery resource's
   * default (or only) API root when it is a discovery URL, and `<url>/taxii2/` when it is the bare
   * server.
   */
  async findApiRoot(url: string): Promise<TaxiiApiRoot> {
    const start = withSlash(url)
    const atServerRoot = !/\/taxii2\/$/.test(new URL(start).pathname)
    let first: { status: number; body: unknown }
    try {
      first = await this.request('GET', start)
    } catch (error) {
      // A bare server answers its root with something else (a web page, a 404): try its discovery.
      if (
        atServerRoot &&
        error instanceof TaxiiClientError &&
        error.status !== null &&
        error.status !== 401
      ) {
        return this.findApiRoot(new URL('taxii2/', start).toString())
      }
      throw error
    }
    const asRoot = apiRootOf(start, first.body)
    if (asRoot !== null) {
      return asRoot
    }
    const discovery = isRecord(first.body) && Array.isArray(first.body.api_roots) ? first.body : null
    if (discovery === null) {
      if (atServerRoot) {
        return this.findApiRoot(new URL('taxii2/', start).toString())
      }
      throw new TaxiiClientError(`${start} is neither a TAXII discovery resource nor an API root`, {
        status: first.status,
        url: start,
      })
    }
    const roots = (discovery.api_roots as unknown[]).filter((r): r is string => typeof r === 'string')
    const chosen =
      typeof discovery.default === 'string' ? discovery.default : roots.length === 1 ? roots[0] : undefined
    if (chosen === undefined) {
      throw new TaxiiClientError(
        `${start} lists ${roots.length} API roots and no default: give the API root's URL`,
        { status: first.status, url: start },
      )
    }
    const rootUrl = withSlash(new URL(chosen, start).toString())
    const root = await this.request('GET', rootUrl)
    const found = apiRootOf(rootUrl, root.body)
    if (found === null) {
      throw new TaxiiClientError(`${rootUrl} is not a TAXII 2.1 API root`, {
        status: root.status,
        url: rootUrl,
      })
    }
    return found
  }

  /** The collections of an API root this client may use. */
  async listCollections(apiRootUrl: string): Promise<TaxiiCollectionInfo[]> {
    const url = new URL('collections/', withSlash(apiRootUrl)).toString()
    const { body } = await this.request('GET', url)
    if (!isRecord(body)) {
      throw new TaxiiClientError(`${url} did not answer with a collections resource`, { status: 200, url })
    }
    const list = Array.isArray(body.collections) ? body.collections : []
    return list.flatMap((c): TaxiiCollectionInfo[] => {
      if (!isRecord(c) || typeof c.id !== 'string') {
        return []
      }
      return [
        {
          id: c.id,
          title: typeof c.title === 'string' ? c.title : c.id,
          alias: typeof c.alias === 'string' ? c.alias : null,
          canRead: c.can_read === true,
          canWrite: c.can_write === true,
        },
      ]
    })
  }

  /**
   * The id of the collection `ref` names (its id, alias or title); `ref` itself when the server does
   * not list it (it may still answer to it, as Liaison does to aliases).
   */
  async resolveCollection(apiRootUrl: string, ref: string): Promise<string> {
    let collections: TaxiiCollectionInfo[]
    try {
      collections = await this.listCollections(apiRootUrl)
    } catch {
      return ref
    }
    const found =
      collections.find((c) => c.id === ref) ??
      collections.find((c) => c.alias === ref) ??
      collections.find((c) => c.title === ref)
    return found?.id ?? ref
  }

  /** One page of a collection's objects. */
  async getObjects(apiRootUrl: string, collectionId: string, query: ObjectsQuery = {}): Promise<ObjectsPage> {
    const url = new URL(`collections/${encodeURIComponent(collectionId)}/objects/`, withSlash(apiRootUrl))
    if (query.addedAfter !== undefined && query.addedAfter !== null) {
      url.searchParams.set('added_after', query.addedAfter)
    }
    if (query.limit !== undefined) {
      url.searchParams.set('limit', String(query.limit))
    }
    if (query.next !== undefined && query.next !== null) {
      url.searchParams.set('next', query.next)
    }
    if (query.types !== undefined && query.types.length > 0) {
      url.searchParams.set('match[type]', query.types.join(','))
    }
    if (query.versions !== undefined) {
      url.searchParams.set('match[version]', query.versions)
    }
    const { body, headers } = await this.request('GET', url.toString())
    if (!isRecord(body)) {
      throw new TaxiiClientError(`${url.toString()} did not answer with an envelope`, {
        status: 200,
        url: url.toString(),
      })
    }
    if (body.objects !== undefined && !Array.isArray(body.objects)) {
      throw new TaxiiClientError(`${url.toString()}: the envelope's "objects" is not a list`, {
        status: 200,
        url: url.toString(),
      })
    }
    return {
      objects: Array.isArray(body.objects) ? (body.objects as unknown[]) : [],
      more: body.more === true,
      next: typeof body.next === 'string' && body.next !== '' ? body.next : null,
      dateAddedFirst: headers.get('x-taxii-date-added-first'),
      dateAddedLast: headers.get('x-taxii-date-added-last'),
    }
  }

  /** POSTs an envelope of objects to a collection; the server answers with a status resource (202). */
  async postObjects(
    apiRootUrl: string,
    collectionId: string,
    objects: readonly unknown[],
  ): Promise<TaxiiStatusResource> {
    const url = new URL(`collections/${encodeURIComponent(collectionId)}/objects/`, withSlash(apiRootUrl))
    const { body } = await this.request('POST', url.toString(), JSON.stringify({ objects }))
    return statusOf(url.toString(), body)
  }

  /** A status resource. */
  async getStatus(apiRootUrl: string, statusId: string): Promise<TaxiiStatusResource> {
    const url = new URL(`status/${encodeURIComponent(statusId)}/`, withSlash(apiRootUrl)).toString()
    const { body } = await this.request('GET', url)
    return statusOf(url, body)
  }

  /**
   * Polls a status resource until it is complete or `waitMs` has passed; returns the last one read.
   */
  async waitForStatus(
    apiRootUrl: string,
    status: TaxiiStatusResource,
    waitMs: number,
  ): Promise<TaxiiStatusResource> {
    const deadline = Date.now() + waitMs
    let current = status
    let pause = 25
    while (current.status !== 'complete' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, pause))
      pause = Math.min(pause * 2, 1000)
      current = await this.getStatus(apiRootUrl, current.id)
    }
    return current
  }

  /**
   * Deletes an object (the given versions, else the server's default: the latest) from a collection.
   * A 404 is reported as false (nothing there, or nothing visible), success as true.
   */
  async deleteObject(
    apiRootUrl: string,
    collectionId: string,
    objectId: string,
    versions: readonly string[] = [],
  ): Promise<boolean> {
    const url = new URL(
      `collections/${encodeURIComponent(collectionId)}/objects/${encodeURIComponent(objectId)}/`,
      withSlash(apiRootUrl),
    )
    if (versions.length > 0) {
      url.searchParams.set('match[version]', versions.join(','))
    }
    try {
      await this.request('DELETE', url.toString())
      return true
    } catch (error) {
      if (error instanceof TaxiiClientError && error.status === 404) {
        return false
      }
      throw error
    }
  }

  /** Sends one request with the TAXII headers; answers other than 2xx become {@link TaxiiClientError}s. */
  private async request(
    method: string,
    url: string,
    body?: string,
  ): Promise<{ status: number; headers: Headers; body: unknown }> {
    const headers: Record<string, string> = {
      accept: TAXII_MEDIA_TYPE,
      'user-agent': `Liaison/${packageVersion()} (TAXII 2.1 client)`,
      ...this.options.headers,
    }
    const auth = this.options.auth
    if (auth.kind === 'basic') {
      headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`
    } else if (auth.kind === 'bearer') {
      headers.authorization = `Bearer ${auth.token}`
    }
    if (body !== undefined) {
      headers['content-type'] = TAXII_MEDIA_TYPE
    }
    let response: Response
    try {
      response = await this.fetcher(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      })
    } catch (error) {
      const timedOut =
        error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : ''
      throw new TaxiiClientError(
        timedOut
          ? `${method} ${url}: no answer within ${this.timeoutMs} ms`
          : `${method} ${url}: ${error instanceof Error ? error.message : String(error)}${cause}`,
        { status: null, url },
      )
    }
    const text = await response.text()
    let parsed: unknown = null
    if (text !== '') {
      try {
        parsed = JSON.parse(text) as unknown
      } catch {
        parsed = null
      }
    }
    if (!response.ok) {
      const title = isRecord(parsed) && typeof parsed.title === 'string' ? parsed.title : null
      const description =
        isRecord(parsed) && typeof parsed.description === 'string' ? parsed.description : null
      const words = description ?? title ?? (text.slice(0, 200) || response.statusText)
      throw new TaxiiClientError(`${method} ${url}: HTTP ${response.status}: ${words}`, {
        status: response.status,
        url,
        title,
        description,
      })
    }
    if (text !== '' && parsed === null) {
      throw new TaxiiClientError(`${method} ${url}: the answer is not JSON`, { status: response.status, url })
    }
    const type = response.headers.get('content-type') ?? ''
    if (text !== '' && !/json/i.test(type)) {
      throw new TaxiiClientError(
        `${method} ${url}: answered ${type || 'no content type'}, not ${TAXII_MEDIA_TYPE}`,
        {
          status: response.status,
          url,
        },
      )
    }
    return { status: response.status, headers: response.headers, body: parsed }
  }
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function apiRootOf(url: string, body: unknown): TaxiiApiRoot | null {
  if (!isRecord(body) || !Array.isArray(body.versions)) {
    return null
  }
  const versions = body.versions.filter((v): v is string => typeof v === 'string')
  if (!versions.some((v) => /^application\/taxii\+json;\s*version=2\.1$/i.test(v))) {
    throw new TaxiiClientError(`${url} does not speak TAXII 2.1 (versions: ${versions.join(', ')})`, {
      status: 200,
      url,
    })
  }
  const max =
    typeof body.max_content_length === 'number' && body.max_content_length > 0
      ? body.max_content_length
      : 10 * 1024 * 1024
  return {
    url,
    title: typeof body.title === 'string' ? body.title : url,
    versions,
    maxContentLength: max,
  }
}

function detailsOf(value: unknown): TaxiiStatusDetail[] {
  if (!Array.isArray(value)) {
    return []
  }
  return value.flatMap((d): TaxiiStatusDetail[] =>
    isRecord(d) && typeof d.id === 'string'
      ? [
          {
            id: d.id,
            version: typeof d.version === 'string' ? d.version : '',
            message: typeof d.message === 'string' ? d.message : null,
          },
        ]
      : [],
  )
}

function statusOf(url: string, body: unknown): TaxiiStatusResource {
  if (
    !isRecord(body) ||
    typeof body.id !== 'string' ||
    (body.status !== 'pending' && body.status !== 'complete')
  ) {
    throw new TaxiiClientError(`${url} did not answer with a TAXII status resource`, { status: 200, url })
  }
  return {
    id: body.id,
    status: body.status,
    totalCount: typeof body.total_count === 'number' ? body.total_count : 0,
    successes: detailsOf(body.successes),
    failures: detailsOf(body.failures),
    pendings: detailsOf(body.pendings),
  }
}
