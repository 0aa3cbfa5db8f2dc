/** A response as tests look at it. */
export interface TestResponse<T = unknown> {
  status: number
  headers: Headers
  body: T
  text: string
}

/**
 * A small HTTP client against a live server: keeps the session cookie and CSRF token like a browser,
 * or sends a bearer API key like a script.
 */
export class ApiClient {
  readonly baseUrl: string
  cookie: string | null = null
  csrfToken: string | null = null
  bearer: string | null = null

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl
  }

  /** Sends a request; JSON bodies are encoded, JSON answers decoded. */
  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<TestResponse<T>> {
    const h: Record<string, string> = { ...headers }
    if (body !== undefined && h['content-type'] === undefined) {
      h['content-type'] = 'application/json'
    }
    if (this.cookie !== null) {
      h.cookie = this.cookie
    }
    if (this.csrfToken !== null && !['GET', 'HEAD'].includes(method) && h['x-csrf-token'] === undefined) {
      h['x-csrf-token'] = this.csrfToken
    }
    if (this.bearer !== null) {
      h.authorization = `Bearer ${this.bearer}`
    }
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: h,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      redirect: 'manual',
    })
    const setCookie = response.headers.get('set-cookie')
    if (setCookie !== null) {
      const first = setCookie.split(';')[0] ?? ''
      this.cookie = first.endsWith('=') ? null : first
    }
    const text = await response.text()
    let parsed: unknown = text
    if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') {
      parsed = JSON.parse(text)
    }
    return { status: response.status, headers: response.headers, body: parsed as T, text }
  }

  get<T = Record<string, unknown>>(path: string): Promise<TestResponse<T>> {
    return this.request<T>('GET', path)
  }

  post<T = Record<string, unknown>>(path: string, body?: unknown): Promise<TestResponse<T>> {
    return this.request<T>('POST', path, body ?? {})
  }

  patch<T = Record<string, unknown>>(path: string, body: unknown): Promise<TestResponse<T>> {
    return this.request<T>('PATCH', path, body)
  }

  delete<T = Record<string, unknown>>(path: string): Promise<TestResponse<T>> {
    return this.request<T>('DELETE', path)
  }

  /** Logs in with a password; keeps the cookie and CSRF token. Throws unless the login succeeds. */
  async login(email: string, password: string): Promise<Record<string, unknown>> {
    const res = await this.post('/api/v1/auth/login', { email, password })
    if (res.status !== 200) {
      throw new Error(`login as ${email} failed: ${res.status} ${res.text}`)
    }
    this.csrfToken = typeof res.body.csrfToken === 'string' ? res.body.csrfToken : null
    return res.body
  }
}

/** Asserts the one error shape and returns its code. */
export function errorCode(res: TestResponse): string {
  const body = res.body as { error?: { code?: unknown; message?: unknown; details?: unknown } }
  if (
    typeof body !== 'object' ||
    body === null ||
    body.error === undefined ||
    typeof body.error.code !== 'string' ||
    typeof body.error.message !== 'string' ||
    !('details' in body.error)
  ) {
    throw new Error(`not the error shape: ${res.status} ${res.text}`)
  }
  return body.error.code
}
