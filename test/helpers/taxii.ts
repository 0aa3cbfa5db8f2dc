import { expect } from 'vitest'
import { TLP2_MARKING_IDS } from '../../src/core/stix/stix.js'
import type { ApiClient, TestResponse } from './http.js'

/** The media type of every TAXII 2.1 request and answer. */
export const TAXII = 'application/taxii+json;version=2.1'
/** The API root of a Liaison server. */
export const ROOT = '/taxii2/liaison/'

/** The ids of the five OASIS TLP 2.0 marking definitions every collection holds, in TAXII order. */
export const TLP2_DEFINITION_IDS: readonly string[] = Object.values(TLP2_MARKING_IDS).sort()

/**
 * The items of a listing (objects or manifest) other than the TLP 2.0 marking definitions every
 * collection holds: what was stored in it.
 */
export function storedItems<T extends { id: string }>(items: readonly T[] | undefined): T[] {
  return (items ?? []).filter((item) => !TLP2_DEFINITION_IDS.includes(item.id))
}

/** A TAXII status resource. */
export interface TaxiiStatusBody {
  id: string
  status: 'pending' | 'complete'
  request_timestamp?: string
  total_count: number
  success_count: number
  successes?: { id: string; version: string; message?: string }[]
  failure_count: number
  failures?: { id: string; version: string; message?: string }[]
  pending_count: number
  pendings?: { id: string; version: string }[]
}

/** A TAXII envelope. */
export interface EnvelopeBody {
  more?: boolean
  next?: string
  objects?: { id: string; type: string; modified?: string; [key: string]: unknown }[]
}

/** A manifest resource. */
export interface ManifestBody {
  more?: boolean
  next?: string
  objects?: { id: string; date_added: string; version: string; media_type?: string }[]
}

/**
 * A TAXII client as a TAXII tool speaks: an API key by HTTP Basic (default) or Bearer, the TAXII
 * media type in `Accept` (and `Content-Type` on POST); any header may be overridden, or left out by
 * setting it to null.
 */
export class TaxiiClient {
  constructor(
    readonly baseUrl: string,
    readonly token: string | null,
    readonly scheme: 'basic' | 'bearer' = 'basic',
  ) {}

  /** Sends a request; TAXII answers are decoded. */
  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string | null> } = {},
  ): Promise<TestResponse<T>> {
    const headers: Record<string, string | null> = { accept: TAXII }
    if (this.token !== null) {
      headers.authorization =
        this.scheme === 'basic'
          ? `Basic ${Buffer.from(`taxii-user:${this.token}`).toString('base64')}`
          : `Bearer ${this.token}`
    }
    if (options.body !== undefined) {
      headers['content-type'] = TAXII
    }
    Object.assign(headers, options.headers ?? {})
    const sent: Record<string, string> = {}
    for (const [name, value] of Object.entries(headers)) {
      if (value !== null) {
        sent[name] = value
      }
    }
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: sent,
      body:
        options.body === undefined
          ? undefined
          : typeof options.body === 'string'
            ? options.body
            : JSON.stringify(options.body),
    })
    const text = await response.text()
    let body: unknown = text
    if (text !== '' && (response.headers.get('content-type') ?? '').includes('json')) {
      body = JSON.parse(text)
    }
    return { status: response.status, headers: response.headers, body: body as T, text }
  }

  get<T = Record<string, unknown>>(path: string): Promise<TestResponse<T>> {
    return this.request<T>('GET', path)
  }

  post<T = TaxiiStatusBody>(path: string, envelope: unknown): Promise<TestResponse<T>> {
    return this.request<T>('POST', path, { body: envelope })
  }

  delete<T = Record<string, unknown>>(path: string): Promise<TestResponse<T>> {
    return this.request<T>('DELETE', path)
  }

  /** Polls a status until it is complete (or fails the test after `timeoutMs`). */
  async waitForStatus(statusId: string, timeoutMs = 30_000): Promise<TaxiiStatusBody> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const res = await this.get<TaxiiStatusBody>(`${ROOT}status/${statusId}/`)
      expect(res.status, res.text).toBe(200)
      if (res.body.status === 'complete') {
        return res.body
      }
      if (Date.now() > deadline) {
        throw new Error(`status ${statusId} still pending: ${res.text.slice(0, 300)}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  /** POSTs an envelope to a collection and waits until its status is complete. */
  async postAndWait(collection: string, objects: unknown[]): Promise<TaxiiStatusBody> {
    const res = await this.post(`${ROOT}collections/${collection}/objects/`, { objects })
    expect(res.status, res.text).toBe(202)
    return this.waitForStatus(res.body.id)
  }
}

/** Creates an API key for a logged-in client and returns its token. */
export async function createApiKey(client: ApiClient, name = 'taxii'): Promise<string> {
  const res = await client.post<{ token: string }>('/api/v1/apikeys', { name })
  expect(res.status, res.text).toBe(201)
  return res.body.token
}

/** The TAXII error shape: asserts it, and that `http_status` is the status; returns `error_code`. */
export function taxiiErrorCode(res: TestResponse): string {
  const body = res.body as Record<string, unknown>
  expect(res.headers.get('content-type')).toBe(TAXII)
  expect(typeof body.title, res.text).toBe('string')
  expect(body.http_status, res.text).toBe(String(res.status))
  return String(body.error_code)
}
