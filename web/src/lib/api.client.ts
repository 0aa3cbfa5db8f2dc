/** The `{ error: { code, message, details } }` body every failing endpoint returns. */
interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> | null }
}

/** An HTTP API call that did not succeed: the status plus the server's error code, message and details. */
export class ApiError extends Error {
  override readonly name = 'ApiError'

  constructor(
    /** HTTP status, or 0 when the server could not be reached. */
    readonly status: number,
    /** Machine-readable code, e.g. `invalid_credentials`. */
    readonly code: string,
    message: string,
    /** Extra information the server attached, if any. */
    readonly details: Record<string, unknown> | null = null,
  ) {
    super(message)
  }

  /** True when `error` is an {@link ApiError} with this status and, if given, this code. */
  static is(error: unknown, status: number, code?: string): error is ApiError {
    return error instanceof ApiError && error.status === status && (code === undefined || error.code === code)
  }
}

/** A page of items with the total count, as list endpoints return it. */
export interface ListWire<T> {
  items: T[]
  total: number
}

let csrfToken: string | null = null

/** Remembers the CSRF token from the latest login, password change or `GET /api/v1/me` answer. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token
}

/** The CSRF token to send with unsafe requests made without {@link api} (e.g. an upload with progress). */
export function getCsrfToken(): string | null {
  return csrfToken
}

/** Options of {@link api}. */
export interface ApiOptions {
  /** HTTP method; `GET` when omitted. */
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'
  /** Sent as JSON when present. */
  body?: unknown
  /** Aborts the request (TanStack Query passes one to every query). */
  signal?: AbortSignal
  /** Error statuses whose body is still the expected answer (e.g. 503 from a degraded health check). */
  acceptStatuses?: readonly number[]
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) {
    return false
  }
  const error = value.error
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'string' &&
    'message' in error &&
    typeof error.message === 'string'
  )
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text()
  if (text === '') {
    return null
  }
  try {
    return JSON.parse(text) as unknown
  } catch {
    return null
  }
}

/**
 * Calls the Liaison HTTP API with the session cookie, adding `X-CSRF-Token` to unsafe requests.
 *
 * @example
 * const health = await api<Health>('/api/v1/health')
 * await api('/api/v1/auth/logout', { method: 'POST' })
 */
export async function api<T>(path: string, options: ApiOptions = {}): Promise<T> {
  const method = options.method ?? 'GET'
  const headers = new Headers({ Accept: 'application/json' })
  if (options.body !== undefined) {
    headers.set('Content-Type', 'application/json')
  }
  if (!SAFE_METHODS.has(method) && csrfToken !== null) {
    headers.set('X-CSRF-Token', csrfToken)
  }
  let response: Response
  try {
    response = await fetch(path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: 'same-origin',
      signal: options.signal,
    })
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') {
      throw error
    }
    throw new ApiError(
      0,
      'network_error',
      'The server could not be reached. Check your connection and retry.',
    )
  }
  const payload = await readJson(response)
  if (!response.ok && !(options.acceptStatuses ?? []).includes(response.status)) {
    if (isErrorBody(payload)) {
      const { code, message, details } = payload.error
      throw new ApiError(response.status, code, message, details ?? null)
    }
    throw new ApiError(
      response.status,
      'http_error',
      `The server answered ${response.status} ${response.statusText}.`,
    )
  }
  // The body is trusted to match the documented contract of `path`; the server validates what it sends.
  return payload as T
}

/** A human-readable message for any error thrown while talking to the API. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    return error.message
  }
  if (error instanceof Error) {
    return error.message
  }
  return 'Something went wrong.'
}
