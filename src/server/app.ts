import { existsSync } from 'node:fs'
import path from 'node:path'
import cookie from '@fastify/cookie'
import fastifyStatic from '@fastify/static'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify'
import helmet from 'helmet'
import type { Config } from './config.js'
import { LiaisonError, type ErrorCode } from './errors.js'
import { registerAuth } from './http/auth.plugin.js'
import { registerModules } from './modules/index.js'
import { TAXII_PATH_PREFIX } from './modules/taxii/taxii.routes.js'
import { packageVersion } from './paths.js'
import type { Store } from './store/store.js'
import { validationError } from './validation.js'

/** What the app needs from outside: the open store and, for tests, a clock. */
export interface AppDeps {
  /** The open, migrated store. */
  store: Store
  /** Current time; tests may pin it. */
  now?: () => Date
}

/**
 * Builds the whole HTTP app (API, docs, web UI) without listening, so tests and `main.ts` share it.
 *
 * @example
 * const app = await buildApp(config, { store })
 * await app.listen({ host: config.host, port: config.port })
 */
export async function buildApp(config: Config, deps: AppDeps): Promise<FastifyInstance> {
  const now = deps.now ?? (() => new Date())
  const app = Fastify({
    logger: {
      level: config.logLevel,
      serializers: {
        // A reporter's status token may come as `?token=`: it never reaches the log.
        req: (request: FastifyRequest) => ({
          method: request.method,
          url: redactSecretParams(request.url),
          host: request.host,
          remoteAddress: request.ip,
        }),
      },
    },
    trustProxy: config.trustProxy,
    bodyLimit: 1024 * 1024,
    // STIX ids go in paths (`/objects/{id}/`): a custom type may be 250 characters, and the id 288
    // with its UUID; Fastify's default of 100 answered 404 to every id past that.
    routerOptions: { maxParamLength: 1000 },
  }).withTypeProvider<TypeBoxTypeProvider>()

  // Query strings, path parameters and headers are text: coerce them to the schema's types. JSON
  // bodies are typed already: a number where a string belongs is bad input, not something to fix up.
  const coercing = new Ajv({
    coerceTypes: 'array',
    useDefaults: true,
    allErrors: true,
    removeAdditional: false,
    strict: false,
  })
  const strictBodies = new Ajv({
    coerceTypes: false,
    useDefaults: true,
    allErrors: true,
    removeAdditional: false,
    strict: false,
  })
  addFormats.default(coercing)
  addFormats.default(strictBodies)
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? strictBodies : coercing).compile(schema),
  )

  app.setErrorHandler((error: FastifyError | LiaisonError, request, reply) => {
    const rendered = renderError(error)
    if (rendered.status >= 500) {
      request.log.error({ err: error }, 'request failed')
    }
    if (
      rendered.status === 429 &&
      rendered.details !== null &&
      typeof rendered.details.retryAfterSeconds === 'number'
    ) {
      void reply.header('retry-after', String(rendered.details.retryAfterSeconds))
    }
    return reply
      .code(rendered.status)
      .send({ error: { code: rendered.code, message: rendered.message, details: rendered.details } })
  })

  await app.register(cookie)
  // Security headers on every answer. The middleware is built once: @fastify/helmet built it anew for
  // each request (parsing the CSP directives every time), which cost a tenth of a TAXII GET.
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // Mantine writes its CSS variables into a style element at run time.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        upgradeInsecureRequests: null,
      },
    },
    hsts: config.cookieSecure,
  })
  app.addHook('onRequest', (request, reply, done) => {
    securityHeaders(request.raw, reply.raw, (error) => {
      done(error instanceof Error ? error : undefined)
    })
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Liaison API',
        version: packageVersion(),
        description:
          'Incident handling and trust-based sharing for CSIRTs, ISACs and law enforcement. ' +
          'Errors always have the shape `{ "error": { "code", "message", "details" } }`.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'API key from POST /api/v1/apikeys' },
          cookieAuth: { type: 'apiKey', in: 'cookie', name: 'liaison_session' },
        },
      },
      security: [{ bearerAuth: [] }, { cookieAuth: [] }],
    },
  })
  await app.register(swaggerUi, { routePrefix: '/api/docs', staticCSP: true })

  registerAuth(app, deps.store, now, { basicAuthPrefixes: [TAXII_PATH_PREFIX] })
  await registerModules(app, { store: deps.store, config, now })

  const indexFile = path.join(config.webDir, 'index.html')
  const hasWeb = existsSync(indexFile)
  if (hasWeb) {
    await app.register(fastifyStatic, { root: config.webDir, prefix: '/', wildcard: false, index: false })
  }

  app.setNotFoundHandler((request, reply) => {
    const isApi = request.url.startsWith('/api/') || request.url === '/api'
    if (!isApi && (request.method === 'GET' || request.method === 'HEAD')) {
      if (hasWeb) {
        // The SPA routes on the client: every non-API page is its index.
        return reply.type('text/html').sendFile('index.html')
      }
      return reply
        .code(503)
        .type('text/plain')
        .send('The web UI is not built. Run `npm run build` (npm install does it) and restart.')
    }
    return reply.code(404).send({
      error: {
        code: 'not_found',
        message: `no route ${request.method} ${request.url.split('?')[0] ?? ''}`,
        details: null,
      },
    })
  })

  return app
}

/** A request address with the values of secret query parameters (`token`) replaced by `***`. */
export function redactSecretParams(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/gi, '$1***')
}

interface RenderedError {
  status: number
  code: ErrorCode
  message: string
  details: Record<string, unknown> | null
}

/** Maps any thrown error to the API's one error shape; unknown errors become a bare 500. */
function renderError(error: FastifyError | LiaisonError): RenderedError {
  if (error instanceof LiaisonError) {
    return { status: error.status, code: error.code, message: error.message, details: error.details }
  }
  if (error.validation !== undefined) {
    const rendered = validationError(error.validation, error.validationContext ?? 'body')
    return { status: 400, code: rendered.code, message: rendered.message, details: rendered.details }
  }
  const dbCode = (error as { code?: unknown }).code
  if (dbCode === '22021' || dbCode === '22P05') {
    // PostgreSQL holds no NUL character (\u0000) in text; SQLite does, so only this store refuses it.
    return {
      status: 400,
      code: 'validation_failed',
      message: 'a text contains a NUL character (\\u0000), which the store cannot hold',
      details: { reason: 'nul_character' },
    }
  }
  const status = error.statusCode ?? 500
  if (status >= 400 && status < 500) {
    return { status, code: codeForStatus(status), message: error.message, details: { reason: error.code } }
  }
  return { status: 500, code: 'internal', message: 'internal error; it has been logged', details: null }
}

function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 401:
      return 'unauthenticated'
    case 404:
      return 'not_found'
    case 409:
      return 'conflict'
    case 413:
      return 'payload_too_large'
    case 415:
      return 'unsupported_media_type'
    case 429:
      return 'rate_limited'
    default:
      return 'bad_request'
  }
}
