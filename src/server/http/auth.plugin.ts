import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { UserPrincipal } from '../../core/account/principal.js'
import { LiaisonError, unauthenticated } from '../errors.js'
import { authenticateApiKey } from '../modules/apikey/apikey.service.js'
import { authenticateSession } from '../modules/auth/auth.service.js'
import type { Authenticated } from '../modules/auth/principal.js'
import { safeEqual } from '../secrets.js'
import type { Store } from '../store/store.js'

/**
 * Who may call a route:
 * - `public`: anyone;
 * - `pending`: logged-in users, even those who must still change their password;
 * - `user` (default): logged-in users who have set their own password.
 */
export type Access = 'public' | 'pending' | 'user'

/** Name of the session cookie. */
export const SESSION_COOKIE = 'liaison_session'

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, or null when anonymous. Set for every request before handlers run. */
    auth: Authenticated | null
  }
  interface FastifyContextConfig {
    /** Who may call the route; default `user`. */
    access?: Access
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Options of {@link registerAuth}. */
export interface AuthOptions {
  /**
   * Path prefixes where HTTP Basic carries an API key as its password (any user name), for clients
   * that only speak Basic, such as TAXII clients. Elsewhere only `Bearer` is read.
   */
  readonly basicAuthPrefixes?: readonly string[]
}

/**
 * Resolves the caller (API key by bearer, or by Basic where allowed; else session cookie) on every
 * request, then enforces the route's access level, the forced password change, and CSRF for
 * cookie-authenticated writes.
 */
export function registerAuth(
  app: FastifyInstance,
  store: Store,
  now: () => Date,
  options: AuthOptions = {},
): void {
  app.decorateRequest('auth', null)
  const basicPrefixes = options.basicAuthPrefixes ?? []

  app.addHook('onRequest', async (request) => {
    const basic = basicPrefixes.some((prefix) => request.url.startsWith(prefix))
    request.auth = await resolveCaller(request, store, now(), basic)
  })

  // preValidation: callers learn nothing about a route's input rules before they are let in.
  app.addHook('preValidation', async (request: FastifyRequest, _reply: FastifyReply) => {
    // API routes are closed unless they say otherwise; static files and the API docs are open.
    const isApi = (request.routeOptions.url ?? '').startsWith('/api/v1/')
    const access = request.routeOptions.config.access ?? (isApi ? 'user' : 'public')
    if (access === 'public') {
      return
    }
    const auth = request.auth
    if (auth === null) {
      throw unauthenticated()
    }
    if (auth.session !== null && !SAFE_METHODS.has(request.method)) {
      const sent = request.headers['x-csrf-token']
      if (typeof sent !== 'string' || !safeEqual(sent, auth.session.csrfToken)) {
        throw new LiaisonError(403, 'csrf_failed', 'X-CSRF-Token header missing or wrong for this session')
      }
    }
    if (access === 'user' && auth.user.must_change_password === 1) {
      throw new LiaisonError(403, 'password_change_required', 'change your one-time password first')
    }
  })
}

/** The caller's principal inside a handler whose access level guarantees one. */
export function principalOf(request: FastifyRequest): UserPrincipal {
  if (request.auth === null) {
    throw unauthenticated()
  }
  return request.auth.principal
}

/** The caller inside a handler whose access level guarantees one. */
export function authOf(request: FastifyRequest): Authenticated {
  if (request.auth === null) {
    throw unauthenticated()
  }
  return request.auth
}

/** The API key an `Authorization` header carries: `Bearer <key>`, or (when allowed) Basic with the key as password. */
export function apiKeyOfAuthorization(header: string, allowBasic: boolean): string | null {
  const bearer = /^Bearer\s+(\S+)$/i.exec(header)
  if (bearer?.[1] !== undefined) {
    return bearer[1]
  }
  const basic = allowBasic ? /^Basic\s+([A-Za-z0-9+/]+=*)$/i.exec(header) : null
  if (basic?.[1] === undefined) {
    return null
  }
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon < 0 || colon === decoded.length - 1 ? null : decoded.slice(colon + 1)
}

async function resolveCaller(
  request: FastifyRequest,
  store: Store,
  now: Date,
  allowBasic: boolean,
): Promise<Authenticated | null> {
  const header = request.headers.authorization
  if (header !== undefined) {
    const key = apiKeyOfAuthorization(header, allowBasic)
    const auth = key === null ? null : await authenticateApiKey(store.db, key, now)
    if (auth === null) {
      // A wrong key is an error even on public routes: the client believes it is authenticated.
      throw unauthenticated('API key unknown, revoked or expired')
    }
    return auth
  }
  const token = request.cookies[SESSION_COOKIE]
  if (token === undefined || token === '') {
    return null
  }
  return authenticateSession(store.db, token, now)
}
