import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ChangePasswordBody, LoginBody, MeSchema, type MeWire } from '../../../core/account/account.schema.js'
import type { Config } from '../../config.js'
import { authOf, SESSION_COOKIE } from '../../http/auth.plugin.js'
import { withErrors } from '../../http/schemas.js'
import type { Store } from '../../store/store.js'
import { presentOrganisation } from '../org/org.presenter.js'
import { presentUser } from '../user/user.presenter.js'
import { changeOwnPassword, login, logout } from './auth.service.js'
import type { Authenticated } from './principal.js'

/** Options of {@link authRoutes}. */
export interface AuthRoutesOptions {
  store: Store
  config: Config
  now: () => Date
}

/** The only way the caller leaves as JSON. */
export function presentMe(auth: Authenticated): MeWire {
  return {
    user: presentUser(auth.user),
    organisation: presentOrganisation(auth.org, auth.org.id),
    authMethod: auth.principal.authMethod,
    isInstanceAdmin: auth.principal.isInstanceAdmin,
    csrfToken: auth.session?.csrfToken ?? null,
  }
}

/** Login, logout, password change and `GET /me`. */
export const authRoutes: FastifyPluginAsyncTypebox<AuthRoutesOptions> = async (
  app,
  { store, config, now },
) => {
  app.post(
    '/auth/login',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Log in with e-mail and password; sets the session cookie',
        body: LoginBody,
        response: withErrors({ 200: MeSchema }),
      },
    },
    async (request, reply) => {
      const result = await login(
        store.db,
        config,
        {
          email: request.body.email,
          password: request.body.password,
          address: request.ip,
          userAgent: request.headers['user-agent'] ?? null,
        },
        now(),
      )
      void reply.setCookie(SESSION_COOKIE, result.token, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: config.cookieSecure,
        maxAge: config.sessionHours * 3600,
      })
      return presentMe(result.auth)
    },
  )

  app.post(
    '/auth/logout',
    {
      config: { access: 'pending' },
      schema: {
        tags: ['auth'],
        summary: 'End the current session',
        response: withErrors({ 204: Type.Null() }),
      },
    },
    async (request, reply) => {
      await logout(store.db, authOf(request), now())
      void reply.clearCookie(SESSION_COOKIE, { path: '/' })
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/auth/password',
    {
      config: { access: 'pending' },
      schema: {
        tags: ['auth'],
        summary: 'Change your own password (required after a one-time password)',
        body: ChangePasswordBody,
        response: withErrors({ 200: MeSchema }),
      },
    },
    async (request) => presentMe(await changeOwnPassword(store.db, authOf(request), request.body, now())),
  )

  app.get(
    '/me',
    {
      config: { access: 'pending' },
      schema: {
        tags: ['auth'],
        summary: 'The caller: user, organisation, role',
        response: withErrors({ 200: MeSchema }),
      },
    },
    (request) => Promise.resolve(presentMe(authOf(request))),
  )
}
