import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

const TAXII = 'application/taxii+json;version=2.1'

/** One object a {@link FakeTaxiiServer} holds, with the date it was added. */
interface Held {
  readonly object: Record<string, unknown>
  readonly dateAdded: string
}

/**
 * Another vendor's TAXII 2.1 server, as small as the standard allows: discovery at `/taxii2/` naming
 * one API root elsewhere (`/feeds/`), HTTP Basic only, one collection, pages by `added_after` with
 * `more` and no `next`, POST answered with a complete status, DELETE. Any request it does not know
 * is recorded in `unexpected` (tests assert it stays empty).
 */
export class FakeTaxiiServer {
  readonly collectionId = randomUUID()
  readonly held: Held[] = []
  readonly posted: Record<string, unknown>[] = []
  /** The `objects` of each envelope taken (POSTs answered 202), in order. */
  readonly envelopes: Record<string, unknown>[][] = []
  readonly deleted: string[] = []
  readonly unexpected: string[] = []
  /** Every request, as `METHOD path`. */
  readonly requests: string[] = []
  /** When set, every POST is answered with this status (a permission or collection to fix here). */
  refusePosts: number | null = null
  /** Pages carry `X-TAXII-Date-Added-First/Last` (a server without them cannot be paged past page one). */
  dateHeaders = true
  /** A POST whose envelope holds one of these ids is refused whole with a 422, as some servers do. */
  readonly refuseObjects = new Set<string>()
  private server: Server | null = null
  private clock = Date.parse('2026-01-01T00:00:00.000Z')
  url = ''

  constructor(
    private readonly username: string,
    private readonly password: string,
  ) {}

  /** Adds objects, each with its own later date added. */
  add(objects: readonly Record<string, unknown>[]): void {
    for (const object of objects) {
      this.clock += 1000
      this.held.push({ object, dateAdded: new Date(this.clock).toISOString().replace('Z', '000Z') })
    }
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.unexpected.push(`error ${String(error)}`)
        res.writeHead(500).end()
      })
    })
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve))
    const { port } = this.server.address() as AddressInfo
    this.url = `http://127.0.0.1:${port}`
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()))
  }

  private send(
    res: ServerResponse,
    status: number,
    body?: unknown,
    headers: Record<string, string> = {},
  ): void {
    res.writeHead(status, { 'content-type': TAXII, ...headers })
    res.end(body === undefined ? '' : JSON.stringify(body))
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x')
    this.requests.push(`${req.method ?? ''} ${url.pathname}`)
    const expected = `Basic ${Buffer.from(`${this.username}:${this.password}`).toString('base64')}`
    if (req.headers.authorization !== expected) {
      this.send(res, 401, { title: 'Unauthorized' }, { 'www-authenticate': 'Basic realm="fake"' })
      return
    }
    if (!(req.headers.accept ?? '').includes('application/taxii+json')) {
      this.send(res, 406, { title: 'Not Acceptable' })
      return
    }
    const path = url.pathname
    const objectsPath = `/feeds/collections/${this.collectionId}/objects/`
    if (req.method === 'GET' && path === '/taxii2/') {
      this.send(res, 200, { title: 'Fake', default: '/feeds/', api_roots: ['/feeds/'] })
    } else if (req.method === 'GET' && path === '/feeds/') {
      this.send(res, 200, { title: 'Fake feeds', versions: [TAXII], max_content_length: 100_000 })
    } else if (req.method === 'GET' && path === '/feeds/collections/') {
      this.send(res, 200, {
        collections: [{ id: this.collectionId, title: 'Indicators', can_read: true, can_write: true }],
      })
    } else if (req.method === 'GET' && path === objectsPath) {
      const after = url.searchParams.get('added_after')
      const limit = Number(url.searchParams.get('limit') ?? '100')
      if (url.searchParams.has('next')) {
        this.unexpected.push('a next this server never gave')
      }
      const matching = this.held.filter((h) => after === null || Date.parse(h.dateAdded) > Date.parse(after))
      const page = matching.slice(0, limit)
      const first = page[0]
      const last = page[page.length - 1]
      this.send(
        res,
        200,
        {
          more: matching.length > page.length,
          ...(page.length === 0 ? {} : { objects: page.map((h) => h.object) }),
        },
        first === undefined || last === undefined || !this.dateHeaders
          ? {}
          : { 'x-taxii-date-added-first': first.dateAdded, 'x-taxii-date-added-last': last.dateAdded },
      )
    } else if (req.method === 'POST' && path === objectsPath) {
      const chunks: Buffer[] = []
      for await (const chunk of req) {
        chunks.push(chunk as Buffer)
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        objects: Record<string, unknown>[]
      }
      if (this.refusePosts !== null) {
        this.send(res, this.refusePosts, { title: `Refused (${this.refusePosts})` })
        return
      }
      const refused = body.objects.find((o) => this.refuseObjects.has(String(o.id)))
      if (refused !== undefined) {
        this.send(res, 422, {
          title: 'Unprocessable',
          description: `${String(refused.id)} is not acceptable here`,
        })
        return
      }
      this.posted.push(...body.objects)
      this.envelopes.push(body.objects)
      this.send(res, 202, {
        id: randomUUID(),
        status: 'complete',
        total_count: body.objects.length,
        success_count: body.objects.length,
        successes: body.objects.map((o) => ({ id: o.id, version: o.modified })),
        failure_count: 0,
        pending_count: 0,
      })
    } else if (req.method === 'DELETE' && path.startsWith(objectsPath)) {
      this.deleted.push(decodeURIComponent(path.slice(objectsPath.length).replace(/\/$/, '')))
      this.send(res, 200)
    } else {
      this.unexpected.push(`${req.method ?? ''} ${path}`)
      this.send(res, 404, { title: 'Not Found' })
    }
  }
}
