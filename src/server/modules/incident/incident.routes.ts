import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import { Type } from 'typebox'
import {
  IncidentNotifyBody,
  NotificationSchema,
  NotifyResultSchema,
} from '../../../core/constituency/constituency.schema.js'
import {
  CreateIncidentBody,
  CreateLinkBody,
  CreateNoteBody,
  CreateTaskBody,
  EventSchema,
  HintSchema,
  IncidentSchema,
  IntermediateRequestBody,
  LinkSchema,
  Nis2DocumentSchema,
  NoteSchema,
  ReportIdsBody,
  SharingBody,
  SlaSettingsSchema,
  TaskSchema,
  UpdateIncidentBody,
  UpdateTaskBody,
} from '../../../core/incident/incident.schema.js'
import { NIS2_STAGES } from '../../../core/incident/nis2.js'
import { RSIT_CLASS_VALUES } from '../../../core/incident/rsit.js'
import { INCIDENT_STATUSES, SEVERITIES } from '../../../core/incident/workflow.js'
import { principalOf } from '../../http/auth.plugin.js'
import { IdParams, listOf, withErrors } from '../../http/schemas.js'
import type { Config } from '../../config.js'
import type { Store } from '../../store/store.js'
import { presentNotification } from '../constituency/constituency.presenter.js'
import { createMailer, type Mailer } from '../notify/mailer.js'
import {
  presentEvent,
  presentHint,
  presentIncident,
  presentLink,
  presentNis2Document,
  presentNote,
  presentTask,
} from './incident.presenter.js'
import {
  addNote,
  countIncidents,
  createIncident,
  createTask,
  deleteTask,
  duplicateHints,
  getIncident,
  getNis2Document,
  getSlaPolicy,
  linkToIncident,
  listEvents,
  listIncidentNotifications,
  listIncidents,
  listLinks,
  listNis2Overdue,
  listNotes,
  listTasks,
  mergeReportsInto,
  notifyIncidentOwners,
  requestIntermediateReport,
  setSlaPolicy,
  shareIncident,
  splitIncident,
  unlinkFromIncident,
  updateIncident,
  updateTask,
  visibleIncidentPages,
} from './incident.service.js'
import { incidentToCsvLine, incidentToStix, INCIDENT_CSV_COLUMNS } from './incident.stix.js'
import type { IncidentFilter } from './incident.repository.js'

const FilterFields = {
  status: Type.Optional(Type.Enum([...INCIDENT_STATUSES])),
  rsitClass: Type.Optional(Type.Enum([...RSIT_CLASS_VALUES])),
  severity: Type.Optional(Type.Enum([...SEVERITIES])),
  assigneeId: Type.Optional(Type.String({ format: 'uuid' })),
  overdue: Type.Optional(Type.Boolean({ description: 'only incidents with an SLA timer past due' })),
  nis2Overdue: Type.Optional(Type.Boolean({ description: 'only incidents with a NIS2 deadline past due' })),
}

const CountQuery = Type.Object(FilterFields, { additionalProperties: false })

const ListQuery = Type.Object(
  {
    ...FilterFields,
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  },
  { additionalProperties: false },
)

const ExportQuery = Type.Object(
  { ...FilterFields, format: Type.Enum(['stix', 'csv']) },
  { additionalProperties: false },
)

const TaskParams = Type.Object({
  id: Type.String({ format: 'uuid' }),
  taskId: Type.String({ format: 'uuid' }),
})
const LinkParams = Type.Object({
  id: Type.String({ format: 'uuid' }),
  linkId: Type.String({ format: 'uuid' }),
})
const Nis2Params = Type.Object({
  id: Type.String({ format: 'uuid' }),
  stage: Type.Enum([...NIS2_STAGES]),
})
const PageQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  },
  { additionalProperties: false },
)

function filterOf(
  query: {
    status?: string
    rsitClass?: string
    severity?: string
    assigneeId?: string
    overdue?: boolean
    nis2Overdue?: boolean
  },
  now: Date,
): IncidentFilter {
  return {
    ...(query.status === undefined ? {} : { status: query.status }),
    ...(query.rsitClass === undefined ? {} : { rsitClass: query.rsitClass }),
    ...(query.severity === undefined ? {} : { severity: query.severity }),
    ...(query.assigneeId === undefined ? {} : { assigneeId: query.assigneeId }),
    ...(query.overdue === true ? { overdueAt: now.toISOString() } : {}),
    ...(query.nis2Overdue === true ? { nis2OverdueAt: now.toISOString() } : {}),
  }
}

/**
 * Incidents: triage from reports, workflow, tasks, notes, timeline, links, sharing, SLA, NIS2
 * reporting, owner notification, export.
 */
export const incidentRoutes: FastifyPluginAsyncTypebox<{
  store: Store
  config: Config
  now: () => Date
  mailer?: Mailer
}> = async (app, { store, config, now, mailer: given }) => {
  const db = store.db
  const mailer = given ?? createMailer(config)
  app.addHook('onClose', () => {
    mailer.close()
  })

  app.get(
    '/incidents/nis2/overdue',
    {
      schema: {
        tags: ['incidents'],
        summary:
          'Incidents you may see with a NIS2 deadline past due (early warning, notification, intermediate, progress or final report), longest overdue first',
        querystring: PageQuery,
        response: withErrors({ 200: listOf(IncidentSchema) }),
      },
    },
    async (request) => {
      const at = now()
      const { items, total } = await listNis2Overdue(
        db,
        principalOf(request),
        { limit: request.query.limit ?? 50, offset: request.query.offset ?? 0 },
        at,
      )
      return { items: items.map((i) => presentIncident(i, at)), total }
    },
  )

  app.get(
    '/incidents',
    {
      schema: {
        tags: ['incidents'],
        summary: 'Incidents you may see (owned, labelled for you, or shared with your organisation)',
        querystring: ListQuery,
        response: withErrors({ 200: listOf(IncidentSchema) }),
      },
    },
    async (request) => {
      const at = now()
      const { items, total } = await listIncidents(db, principalOf(request), {
        ...filterOf(request.query, at),
        limit: request.query.limit ?? 50,
        offset: request.query.offset ?? 0,
      })
      return { items: items.map((i) => presentIncident(i, at)), total }
    },
  )

  app.get(
    '/incidents/count',
    {
      schema: {
        tags: ['incidents'],
        summary: 'How many incidents you may see',
        querystring: CountQuery,
        response: withErrors({ 200: Type.Object({ count: Type.Integer() }) }),
      },
    },
    async (request) => ({
      count: await countIncidents(db, principalOf(request), filterOf(request.query, now())),
    }),
  )

  app.get(
    '/incidents/export',
    {
      schema: {
        tags: ['incidents'],
        summary:
          'Export the incidents you may see as STIX 2.1 incident objects (Incident Core extension) or CSV',
        querystring: ExportQuery,
        response: withErrors({ 200: Type.Unknown({ description: 'the STIX bundle or CSV, streamed' }) }),
      },
    },
    async (request, reply) => {
      const principal = principalOf(request)
      const format = request.query.format
      const pages = visibleIncidentPages(db, principal, filterOf(request.query, now()))
      async function* csv(): AsyncGenerator<string> {
        yield `${INCIDENT_CSV_COLUMNS.join(',')}\r\n`
        for await (const page of pages) {
          yield page.map(incidentToCsvLine).join('')
        }
      }
      async function* stix(): AsyncGenerator<string> {
        yield `{"type":"bundle","id":"bundle--${randomUUID()}","objects":[`
        let first = true
        for await (const page of pages) {
          for (const incident of page) {
            yield `${first ? '' : ','}${JSON.stringify(incidentToStix(incident))}`
            first = false
          }
        }
        yield ']}'
      }
      return reply
        .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/stix+json;version=2.1')
        .header(
          'content-disposition',
          `attachment; filename="liaison-incidents.${format === 'csv' ? 'csv' : 'json'}"`,
        )
        .send(Readable.from(format === 'csv' ? csv() : stix()))
    },
  )

  app.get(
    '/incidents/sla',
    {
      schema: {
        tags: ['incidents'],
        summary: 'Your organisation’s SLA targets per severity (defaults unless set)',
        response: withErrors({ 200: SlaSettingsSchema }),
      },
    },
    async (request) => getSlaPolicy(db, principalOf(request).orgId),
  )

  app.put(
    '/incidents/sla',
    {
      schema: {
        tags: ['incidents'],
        summary:
          'Set your organisation’s SLA targets (admins and coordinators); new deadlines apply to new incidents and severity changes',
        body: SlaSettingsSchema,
        response: withErrors({ 200: SlaSettingsSchema }),
      },
    },
    async (request) => setSlaPolicy(db, principalOf(request), request.body, now()),
  )

  app.post(
    '/incidents',
    {
      schema: {
        tags: ['incidents'],
        summary: 'Create an incident, from reports when reportIds is given (triage)',
        body: CreateIncidentBody,
        response: withErrors({ 201: IncidentSchema }),
      },
    },
    async (request, reply) => {
      const at = now()
      return reply
        .code(201)
        .send(presentIncident(await createIncident(db, principalOf(request), request.body, at), at))
    },
  )

  app.get(
    '/incidents/:id',
    {
      schema: {
        tags: ['incidents'],
        summary: 'One incident (404 when missing or not visible to you)',
        params: IdParams,
        response: withErrors({ 200: IncidentSchema }),
      },
    },
    async (request) => presentIncident(await getIncident(db, principalOf(request), request.params.id), now()),
  )

  app.patch(
    '/incidents/:id',
    {
      schema: {
        tags: ['incidents'],
        summary:
          'Change classification, severity, impact, assignee, NIS2 fields or status (allowed transitions only)',
        params: IdParams,
        body: UpdateIncidentBody,
        response: withErrors({ 200: IncidentSchema }),
      },
    },
    async (request) => {
      const at = now()
      return presentIncident(
        await updateIncident(db, principalOf(request), request.params.id, request.body, at),
        at,
      )
    },
  )

  app.post(
    '/incidents/:id/reports',
    {
      schema: {
        tags: ['incidents'],
        summary: 'Merge reports into the incident',
        params: IdParams,
        body: ReportIdsBody,
        response: withErrors({ 200: IncidentSchema }),
      },
    },
    async (request) => {
      const at = now()
      return presentIncident(
        await mergeReportsInto(db, principalOf(request), request.params.id, request.body, at),
        at,
      )
    },
  )

  app.post(
    '/incidents/:id/split',
    {
      schema: {
        tags: ['incidents'],
        summary: 'Move some of the incident’s reports to a new incident',
        params: IdParams,
        body: ReportIdsBody,
        response: withErrors({ 201: IncidentSchema }),
      },
    },
    async (request, reply) => {
      const at = now()
      return reply
        .code(201)
        .send(
          presentIncident(
            await splitIncident(db, principalOf(request), request.params.id, request.body, at),
            at,
          ),
        )
    },
  )

  app.put(
    '/incidents/:id/sharing',
    {
      schema: {
        tags: ['incidents'],
        summary: 'Share the incident: its label, and the organisations named as participants',
        params: IdParams,
        body: SharingBody,
        response: withErrors({ 200: IncidentSchema }),
      },
    },
    async (request) => {
      const at = now()
      return presentIncident(
        await shareIncident(db, principalOf(request), request.params.id, request.body, at),
        at,
      )
    },
  )

  app.get(
    '/incidents/:id/tasks',
    {
      schema: {
        tags: ['incidents'],
        summary: 'The incident’s tasks (its owner organisation’s; empty for participants)',
        params: IdParams,
        response: withErrors({ 200: listOf(TaskSchema) }),
      },
    },
    async (request) => {
      const at = now()
      const rows = await listTasks(db, principalOf(request), request.params.id)
      return { items: rows.map((r) => presentTask(r, at)), total: rows.length }
    },
  )

  app.post(
    '/incidents/:id/tasks',
    {
      schema: {
        tags: ['incidents'],
        summary: 'Add a task',
        params: IdParams,
        body: CreateTaskBody,
        response: withErrors({ 201: TaskSchema }),
      },
    },
    async (request, reply) => {
      const at = now()
      return reply
        .code(201)
        .send(
          presentTask(await createTask(db, principalOf(request), request.params.id, request.body, at), at),
        )
    },
  )

  app.patch(
    '/incidents/:id/tasks/:taskId',
    {
      schema: {
        tags: ['incidents'],
        summary: 'Change a task (title, due date, assignee, done)',
        params: TaskParams,
        body: UpdateTaskBody,
        response: withErrors({ 200: TaskSchema }),
      },
    },
    async (request) => {
      const at = now()
      return presentTask(
        await updateTask(
          db,
          principalOf(request),
          request.params.id,
          request.params.taskId,
          request.body,
          at,
        ),
        at,
      )
    },
  )

  app.delete(
    '/incidents/:id/tasks/:taskId',
    {
      schema: {
        tags: ['incidents'],
        summary: 'Delete a task',
        params: TaskParams,
        response: withErrors({ 204: Type.Null() }),
      },
    },
    async (request, reply) => {
      await deleteTask(db, principalOf(request), request.params.id, request.params.taskId, now())
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/incidents/:id/notes',
    {
      schema: {
        tags: ['incidents'],
        summary: 'Notes you may see: those labelled for you and those shared with the incident',
        params: IdParams,
        response: withErrors({ 200: listOf(NoteSchema) }),
      },
    },
    async (request) => {
      const notes = await listNotes(db, principalOf(request), request.params.id)
      return { items: notes.map(presentNote), total: notes.length }
    },
  )

  app.post(
    '/incidents/:id/notes',
    {
      schema: {
        tags: ['incidents'],
        summary: 'Add a note under its own sharing label (owner and participants)',
        params: IdParams,
        body: CreateNoteBody,
        response: withErrors({ 201: NoteSchema }),
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(presentNote(await addNote(db, principalOf(request), request.params.id, request.body, now()))),
  )

  app.get(
    '/incidents/:id/timeline',
    {
      schema: {
        tags: ['incidents'],
        summary: 'Everything that happened to the incident that you may see, attributed, in order',
        params: IdParams,
        response: withErrors({ 200: listOf(EventSchema) }),
      },
    },
    async (request) => {
      const rows = await listEvents(db, principalOf(request), request.params.id)
      return { items: rows.map(presentEvent), total: rows.length }
    },
  )

  app.get(
    '/incidents/:id/links',
    {
      schema: {
        tags: ['incidents'],
        summary: 'Observables and intelligence objects linked to the incident',
        params: IdParams,
        response: withErrors({ 200: listOf(LinkSchema) }),
      },
    },
    async (request) => {
      const rows = await listLinks(db, principalOf(request), request.params.id)
      return { items: rows.map(presentLink), total: rows.length }
    },
  )

  app.post(
    '/incidents/:id/links',
    {
      schema: {
        tags: ['incidents'],
        summary: 'Link an observable (normalised) or an intelligence object you may see',
        params: IdParams,
        body: CreateLinkBody,
        response: withErrors({ 201: LinkSchema }),
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          presentLink(await linkToIncident(db, principalOf(request), request.params.id, request.body, now())),
        ),
  )

  app.delete(
    '/incidents/:id/links/:linkId',
    {
      schema: {
        tags: ['incidents'],
        summary: 'Remove a link',
        params: LinkParams,
        response: withErrors({ 204: Type.Null() }),
      },
    },
    async (request, reply) => {
      await unlinkFromIncident(db, principalOf(request), request.params.id, request.params.linkId, now())
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/reports/:id/hints',
    {
      schema: {
        tags: ['incidents'],
        summary: 'Possible duplicates of a report: shared observables or the same reporter address',
        params: IdParams,
        response: withErrors({ 200: listOf(HintSchema) }),
      },
    },
    async (request) => {
      const hints = await duplicateHints(db, principalOf(request), request.params.id)
      return { items: hints.map(presentHint), total: hints.length }
    },
  )

  app.get(
    '/incidents/:id/nis2/:stage',
    {
      schema: {
        tags: ['incidents'],
        summary:
          'The NIS2 Article 23 submission of a stage, generated from the incident: the fields it must contain, indicators from the linked observables, and which are missing (409 unless the incident is significant with awareAt)',
        params: Nis2Params,
        response: withErrors({ 200: Nis2DocumentSchema }),
      },
    },
    async (request) =>
      presentNis2Document(
        await getNis2Document(db, principalOf(request), request.params.id, request.params.stage, now()),
      ),
  )

  app.post(
    '/incidents/:id/nis2/intermediate',
    {
      schema: {
        tags: ['incidents'],
        summary:
          'Record that the CSIRT or authority asked for an intermediate report, due at dueAt; mark it submitted with PATCH nis2.intermediateReports',
        params: IdParams,
        body: IntermediateRequestBody,
        response: withErrors({ 201: IncidentSchema }),
      },
    },
    async (request, reply) => {
      const at = now()
      return reply
        .code(201)
        .send(
          presentIncident(
            await requestIntermediateReport(db, principalOf(request), request.params.id, request.body, at),
            at,
          ),
        )
    },
  )

  app.post(
    '/incidents/:id/notify',
    {
      schema: {
        tags: ['incidents'],
        summary:
          'Notify the owners of the incident’s observables (linked and from its reports): one mail per owner with its own values only (handlers, admins, coordinators of the owner organisation, which must be the instance’s own)',
        params: IdParams,
        body: IncidentNotifyBody,
        response: withErrors({ 200: NotifyResultSchema }),
      },
    },
    async (request) => {
      const result = await notifyIncidentOwners(db, principalOf(request), request.params.id, request.body, {
        mailer,
        instanceName: config.instanceName,
        now,
      })
      return {
        notifications: result.notifications.map(presentNotification),
        unmatched: result.unmatched,
        ignored: result.ignored,
      }
    },
  )

  app.get(
    '/incidents/:id/notifications',
    {
      schema: {
        tags: ['incidents'],
        summary:
          'Notifications sent (or failed) for the incident, newest first (readers of the owner organisation; empty for others)',
        params: IdParams,
        querystring: PageQuery,
        response: withErrors({ 200: listOf(NotificationSchema) }),
      },
    },
    async (request) => {
      const page = await listIncidentNotifications(db, principalOf(request), request.params.id, {
        limit: request.query.limit ?? 50,
        offset: request.query.offset ?? 0,
      })
      return { items: page.rows.map(presentNotification), total: page.total }
    },
  )
}
