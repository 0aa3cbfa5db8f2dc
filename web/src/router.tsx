/* eslint-disable @typescript-eslint/only-throw-error -- TanStack Router guards throw redirect() Responses by design. */
import type { QueryClient } from '@tanstack/react-query'
import {
  createRootRouteWithContext,
  createRoute,
  createRouter,
  lazyRouteComponent,
  notFound,
  Outlet,
  redirect,
} from '@tanstack/react-router'
import type { MeWire } from '../../src/core/account/account.schema.js'
import { ChangePasswordPage } from './account/change-password.page.js'
import { LoginPage } from './account/login.page.js'
import { meQuery } from './account/session.api.js'
import { ApiError } from './lib/api.client.js'
import { AppLayout } from './shell/app.layout.js'
import { ComingSoonPage } from './shell/coming-soon.page.js'
import { HomePage } from './shell/home.page.js'
import { UPCOMING_MODULES, type UpcomingModuleKey } from './shell/modules.js'
import { NotFoundPage, RouteErrorPage } from './shell/fallback.page.js'
import { ADMIN_TABS, type AdminTab } from './admin/admin.tabs.js'
import { canReadConstituency } from './constituency/constituency.api.js'
import { isDocumentKind, type DocumentFilter } from './knowledge/knowledge.api.js'
import { parseIntelFilter } from './intel/intel.api.js'
import {
  INCIDENT_TABS,
  INCIDENT_WRITE_ROLES,
  isNis2Stage,
  parseIncidentFilter,
  type IncidentTab,
} from './incident/incident.search.js'
import { isReportStatus, REPORT_READ_ROLES, type ReportStatus } from './report/report.api.js'
import { parseFederationSearch } from './federation/federation.api.js'

/** What every route can reach through its context. */
export interface RouterContext {
  queryClient: QueryClient
}

/** A path inside this app, safe to go back to after login (no scheme, no other host). */
function parseRedirect(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\')) {
    return undefined
  }
  return value
}

const rootRoute = createRootRouteWithContext<RouterContext>()({
  component: Outlet,
  notFoundComponent: NotFoundPage,
  errorComponent: RouteErrorPage,
})

const loginRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/login',
  validateSearch: (search: Record<string, unknown>): { redirect?: string } => {
    const target = parseRedirect(search.redirect)
    return target === undefined ? {} : { redirect: target }
  },
  beforeLoad: async ({ context, search }) => {
    // A guard has just found no session: no need to ask again.
    if (context.queryClient.getQueryState(meQuery.queryKey)?.status === 'error') {
      return
    }
    let me: MeWire
    try {
      me = await context.queryClient.ensureQueryData(meQuery)
    } catch {
      // Not signed in (or the server is unreachable): the login form is the right page either way.
      return
    }
    if (me.user.mustChangePassword) {
      throw redirect({ to: '/change-password' })
    }
    throw redirect({ href: search.redirect ?? '/' })
  },
  component: LoginPage,
})

const changePasswordRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/change-password',
  beforeLoad: async ({ context, location }) => {
    try {
      await context.queryClient.ensureQueryData(meQuery)
    } catch (error) {
      if (ApiError.is(error, 401)) {
        throw redirect({ to: '/login', search: { redirect: location.href } })
      }
      if (!ApiError.is(error, 403, 'password_change_required')) {
        throw error
      }
    }
  },
  component: ChangePasswordPage,
})

/** The public report form: no account needed; signed-in constituents get their contact filled in. */
const reportFormRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/report',
  component: lazyRouteComponent(() => import('./report/report.page.js'), 'ReportPage'),
})

/** The reporter's status page, opened by the secret link (token in the fragment or `?token=`). */
const reportStatusRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/report/status/$trackingId',
  component: lazyRouteComponent(() => import('./report/status.page.js'), 'ReportStatusPage'),
})

/** Pathless layout of every signed-in page: checks the session, then renders the app shell. */
const appRoute = createRoute({
  getParentRoute: () => rootRoute,
  id: 'app',
  beforeLoad: async ({ context, location }) => {
    let me: MeWire
    try {
      me = await context.queryClient.ensureQueryData(meQuery)
    } catch (error) {
      if (ApiError.is(error, 401)) {
        throw redirect({ to: '/login', search: { redirect: location.href } })
      }
      if (ApiError.is(error, 403, 'password_change_required')) {
        throw redirect({ to: '/change-password' })
      }
      throw error
    }
    if (me.user.mustChangePassword) {
      throw redirect({ to: '/change-password' })
    }
    return { me }
  },
  component: AppLayout,
})

const homeRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/',
  component: HomePage,
})

function createModuleRoute<const TKey extends UpcomingModuleKey>(key: TKey) {
  return createRoute({
    getParentRoute: () => appRoute,
    path: `/${key}`,
    component: () => <ComingSoonPage module={UPCOMING_MODULES[key]} />,
  })
}

const incidentsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/incidents',
  validateSearch: parseIncidentFilter,
  component: lazyRouteComponent(() => import('./incident/incidents.page.js'), 'IncidentsPage'),
})

const newIncidentRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/incidents/new',
  beforeLoad: ({ context }) => {
    if (!INCIDENT_WRITE_ROLES.includes(context.me.user.role)) {
      throw redirect({ to: '/incidents' })
    }
  },
  component: lazyRouteComponent(() => import('./incident/new-incident.page.js'), 'NewIncidentPage'),
})

const incidentRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/incidents/$id',
  validateSearch: (search: Record<string, unknown>): { tab?: IncidentTab } => {
    const tab = INCIDENT_TABS.find((candidate) => candidate === search.tab)
    return tab === undefined ? {} : { tab }
  },
  component: lazyRouteComponent(() => import('./incident/incident.page.js'), 'IncidentPage'),
})

const nis2DocumentRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/incidents/$id/nis2/$stage',
  params: {
    parse: (raw) => {
      if (!isNis2Stage(raw.stage)) {
        throw notFound()
      }
      return { id: raw.id, stage: raw.stage }
    },
    stringify: (params) => ({ id: params.id, stage: params.stage }),
  },
  component: lazyRouteComponent(() => import('./incident/nis2-document.page.js'), 'Nis2DocumentPage'),
})
const advisoriesRoute = createModuleRoute('advisories')
const cooperationRoute = createModuleRoute('cooperation')
const crisisRoute = createModuleRoute('crisis')
const metricsRoute = createModuleRoute('metrics')

const intelligenceRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/intelligence',
  validateSearch: parseIntelFilter,
  component: lazyRouteComponent(() => import('./intel/intel.page.js'), 'IntelligencePage'),
})

const intelImportRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/intelligence/import',
  beforeLoad: ({ context }) => {
    if (context.me.user.role === 'viewer') {
      throw redirect({ to: '/intelligence' })
    }
  },
  component: lazyRouteComponent(() => import('./intel/import.page.js'), 'ImportPage'),
})

const intelExtractRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/intelligence/extract',
  component: lazyRouteComponent(() => import('./intel/extract.page.js'), 'ExtractPage'),
})

const intelReleasesRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/intelligence/releases',
  component: lazyRouteComponent(() => import('./intel/releases.page.js'), 'ReleasesPage'),
})

const intelObjectRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/intelligence/objects/$id',
  component: lazyRouteComponent(() => import('./intel/object.page.js'), 'ObjectPage'),
})

const reportsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/reports',
  // No status: the reports awaiting triage (new); `all` for every status.
  validateSearch: (search: Record<string, unknown>): { status?: ReportStatus | 'all'; page?: number } => {
    const page = Number(search.page)
    return {
      ...(isReportStatus(search.status) || search.status === 'all' ? { status: search.status } : {}),
      ...(Number.isInteger(page) && page > 1 ? { page } : {}),
    }
  },
  beforeLoad: ({ context }) => {
    if (!REPORT_READ_ROLES.includes(context.me.user.role)) {
      throw redirect({ to: '/' })
    }
  },
  component: lazyRouteComponent(() => import('./report/reports.page.js'), 'ReportsPage'),
})

const reportRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/reports/$reportId',
  component: lazyRouteComponent(() => import('./report/report-detail.page.js'), 'ReportDetailPage'),
})

const constituencyRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/constituency',
  beforeLoad: ({ context }) => {
    if (!canReadConstituency(context.me)) {
      throw redirect({ to: '/' })
    }
  },
  component: lazyRouteComponent(() => import('./constituency/constituency.page.js'), 'ConstituencyPage'),
})

const directoryRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/directory',
  component: lazyRouteComponent(() => import('./directory/directory.page.js'), 'DirectoryPage'),
})

const organisationRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/directory/$orgId',
  component: lazyRouteComponent(() => import('./directory/organisation.page.js'), 'OrganisationPage'),
})

const sharingRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/sharing',
  component: lazyRouteComponent(() => import('./sharing/sharing.page.js'), 'SharingPage'),
})

const groupRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/sharing/groups/$groupId',
  component: lazyRouteComponent(() => import('./sharing/group.page.js'), 'GroupPage'),
})

/** The knowledge list's filters as they appear in its search parameters. */
function parseDocumentFilter(search: Record<string, unknown>): DocumentFilter {
  const filter: DocumentFilter = {}
  if (typeof search.q === 'string' && search.q.trim() !== '') {
    filter.q = search.q.trim().slice(0, 200)
  }
  if (isDocumentKind(search.kind)) {
    filter.kind = search.kind
  }
  const page = Number(search.page)
  if (Number.isInteger(page) && page > 1) {
    filter.page = page
  }
  return filter
}

const knowledgeRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/knowledge',
  validateSearch: parseDocumentFilter,
  component: lazyRouteComponent(() => import('./knowledge/knowledge.page.js'), 'KnowledgePage'),
})

const newDocumentRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/knowledge/new',
  beforeLoad: ({ context }) => {
    if (context.me.user.role === 'viewer') {
      throw redirect({ to: '/knowledge' })
    }
  },
  component: lazyRouteComponent(() => import('./knowledge/new-document.page.js'), 'NewDocumentPage'),
})

const documentRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/knowledge/$documentId',
  component: lazyRouteComponent(() => import('./knowledge/document.page.js'), 'DocumentPage'),
})

const federationRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/federation',
  validateSearch: parseFederationSearch,
  component: lazyRouteComponent(() => import('./federation/federation.page.js'), 'FederationPage'),
})

const adminRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/admin',
  validateSearch: (search: Record<string, unknown>): { tab?: AdminTab } => {
    const tab = ADMIN_TABS.find((candidate) => candidate === search.tab)
    return tab === undefined ? {} : { tab }
  },
  beforeLoad: ({ context }) => {
    if (context.me.user.role !== 'admin') {
      throw redirect({ to: '/' })
    }
  },
  component: lazyRouteComponent(() => import('./admin/admin.page.js'), 'AdminPage'),
})

const routeTree = rootRoute.addChildren([
  loginRoute,
  changePasswordRoute,
  reportFormRoute,
  reportStatusRoute,
  appRoute.addChildren([
    homeRoute,
    directoryRoute,
    organisationRoute,
    incidentsRoute,
    newIncidentRoute,
    incidentRoute,
    nis2DocumentRoute,
    reportsRoute,
    reportRoute,
    constituencyRoute,
    intelligenceRoute,
    intelImportRoute,
    intelExtractRoute,
    intelReleasesRoute,
    intelObjectRoute,
    sharingRoute,
    groupRoute,
    advisoriesRoute,
    cooperationRoute,
    crisisRoute,
    metricsRoute,
    knowledgeRoute,
    newDocumentRoute,
    documentRoute,
    federationRoute,
    adminRoute,
  ]),
])

/** Builds the router; the query client is shared with route guards through the context. */
export function buildRouter(queryClient: QueryClient) {
  return createRouter({
    routeTree,
    context: { queryClient },
    defaultPreload: 'intent',
    // Data freshness is TanStack Query's job; the router must not cache loader results on top.
    defaultPreloadStaleTime: 0,
    scrollRestoration: true,
  })
}

/** The app's router type. */
export type AppRouter = ReturnType<typeof buildRouter>

declare module '@tanstack/react-router' {
  interface Register {
    router: AppRouter
  }
}
