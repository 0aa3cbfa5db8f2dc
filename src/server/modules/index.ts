import type { FastifyInstance } from 'fastify'
import type { Config } from '../config.js'
import type { Store } from '../store/store.js'
import { apiKeyRoutes } from './apikey/apikey.routes.js'
import { auditRoutes } from './audit/audit.routes.js'
import { authRoutes } from './auth/auth.routes.js'
import { constituencyRoutes } from './constituency/constituency.routes.js'
import { federationRoutes } from './federation/federation.routes.js'
import { groupRoutes } from './group/group.routes.js'
import { incidentRoutes } from './incident/incident.routes.js'
import { intakeMailRoutes } from './intake-mail/intake-mail.routes.js'
import { intelRoutes } from './intel/intel.routes.js'
import { knowledgeRoutes } from './knowledge/knowledge.routes.js'
import { orgRoutes } from './org/org.routes.js'
import { releaseRoutes } from './release/release.routes.js'
import { reportRoutes } from './report/report.routes.js'
import { systemRoutes } from './system/system.routes.js'
import { taxiiAdminRoutes } from './taxii/taxii.admin.routes.js'
import { taxiiRoutes } from './taxii/taxii.routes.js'
import { peopleRoutes, userRoutes } from './user/user.routes.js'
import { warninglistRoutes } from './warninglist/warninglist.routes.js'

/** What every module's routes receive. */
export interface ModuleDeps {
  store: Store
  config: Config
  now: () => Date
}

/**
 * Registers every module's routes under `/api/v1`, and TAXII 2.1 at its own place (`/taxii2/`, with
 * its own media types and error shape). The list is explicit: nothing registers itself.
 */
export async function registerModules(app: FastifyInstance, deps: ModuleDeps): Promise<void> {
  await app.register(
    async (api) => {
      await api.register(systemRoutes, deps)
      await api.register(authRoutes, deps)
      await api.register(orgRoutes, deps)
      await api.register(userRoutes, deps)
      await api.register(peopleRoutes, deps)
      await api.register(apiKeyRoutes, deps)
      await api.register(auditRoutes, deps)
      await api.register(groupRoutes, deps)
      await api.register(knowledgeRoutes, deps)
      await api.register(intelRoutes, deps)
      await api.register(releaseRoutes, deps)
      await api.register(warninglistRoutes, deps)
      await api.register(constituencyRoutes, deps)
      await api.register(reportRoutes, deps)
      await api.register(intakeMailRoutes, deps)
      await api.register(incidentRoutes, deps)
      await api.register(federationRoutes, deps)
      await api.register(taxiiAdminRoutes, deps)
    },
    { prefix: '/api/v1' },
  )
  await app.register(taxiiRoutes, { ...deps, prefix: '/taxii2' })
}
