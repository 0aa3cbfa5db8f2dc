import multipart from '@fastify/multipart'
import rateLimit from '@fastify/rate-limit'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import {
  CreateReportBody,
  HANDLER_STATUSES,
  REPORT_LIMITS,
  REPORT_STATUSES,
  ReportMessageBody,
  ReportReceiptSchema,
  ReportSchema,
  ReportStatusSchema,
  ReportSummarySchema,
  UpdateReportBody,
} from '../../../core/incident/report.schema.js'
import { publicBaseUrl, type Config } from '../../config.js'
import { badInput, LiaisonError } from '../../errors.js'
import { principalOf } from '../../http/auth.plugin.js'
import { IdParams, listOf, withErrors } from '../../http/schemas.js'
import { safeEqual } from '../../secrets.js'
import type { Store } from '../../store/store.js'
import { validateInput } from '../../validation.js'
import { presentReport, presentReporterView, presentReportSummary } from './report.presenter.js'
import {
  addReporterMessage,
  changeReportStatus,
  createReport,
  fileTooLarge,
  getReport,
  getReportAttachment,
  listReports,
  replyToReport,
  reporterView,
  totalTooLarge,
  type AttachmentInput,
  type ReportSubmitter,
} from './report.service.js'

const ListQuery = Type.Object(
  {
    status: Type.Optional(Type.Enum([...REPORT_STATUSES])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  },
  { additionalProperties: false },
)

const TrackingParams = Type.Object({ trackingId: Type.String({ maxLength: 40 }) })

const TokenQuery = Type.Object(
  {
    token: Type.Optional(
      Type.String({ maxLength: 200, description: 'the status token (or X-Report-Token)' }),
    ),
  },
  { additionalProperties: false },
)

const AttachmentParams = Type.Object({
  id: Type.String({ format: 'uuid' }),
  attachmentId: Type.String({ format: 'uuid' }),
})

const RECEIPT_DESCRIPTION =
  'Public: anyone may report. Send JSON (the fields below), or `multipart/form-data` with the same ' +
  'JSON in the `report` field and the attachments as files ' +
  `(at most ${REPORT_LIMITS.files} files, ${REPORT_LIMITS.fileBytes / 1024 / 1024} MiB each, ` +
  `${REPORT_LIMITS.totalBytes / 1024 / 1024} MiB together; more answers 413). A logged-in ` +
  "constituent's report is linked to them and their organisation. Answers the tracking id and " +
  'the secret status link, shown once.'

const MESSAGE_DESCRIPTION =
  'JSON `{"body"}`, or `multipart/form-data` with a `body` field and attachments as files (same limits as a report).'

/** A submission read from JSON or multipart: the JSON fields and the files. */
interface Submission {
  readonly fields: unknown
  readonly files: AttachmentInput[]
}

function unsupportedMediaType(): LiaisonError {
  return new LiaisonError(
    415,
    'unsupported_media_type',
    'Content-Type: send application/json or multipart/form-data',
    { field: 'Content-Type', accepted: ['application/json', 'multipart/form-data'] },
  )
}

/**
 * Reads a JSON body, or a multipart form whose `field` holds the fields (JSON when `asJson`, else
 * the text of the one property `field`) and whose files are attachments; limits answer 413.
 */
async function readSubmission(request: FastifyRequest, field: string, asJson: boolean): Promise<Submission> {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  if (type === 'application/json') {
    return { fields: request.body, files: [] }
  }
  if (type !== 'multipart/form-data' || !request.isMultipart()) {
    throw unsupportedMediaType()
  }
  let fields: unknown = undefined
  const files: AttachmentInput[] = []
  let total = 0
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        const content = await part.toBuffer()
        total += content.length
        if (total > REPORT_LIMITS.totalBytes) {
          throw totalTooLarge()
        }
        files.push({ filename: part.filename, contentType: part.mimetype, content })
      } else if (part.fieldname === field) {
        if (part.valueTruncated) {
          throw new LiaisonError(413, 'payload_too_large', `${field}: the field is longer than 1 MiB`, {
            field,
            limit: 'fieldBytes',
          })
        }
        const text = typeof part.value === 'string' ? part.value : ''
        if (asJson) {
          try {
            fields = JSON.parse(text)
          } catch {
            throw badInput(field, 'must be the report as JSON')
          }
        } else {
          fields = { [field]: text }
        }
      } else {
        throw badInput(part.fieldname, `is not an allowed field (send \`${field}\` and files)`)
      }
    }
  } catch (error) {
    throw multipartError(error)
  }
  if (fields === undefined) {
    throw badInput(field, 'is required')
  }
  return { fields, files }
}

function multipartError(error: unknown): unknown {
  const code = (error as { code?: unknown }).code
  switch (code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return fileTooLarge()
    case 'FST_FILES_LIMIT':
      return new LiaisonError(
        413,
        'payload_too_large',
        `attachments: at most ${REPORT_LIMITS.files} files may be attached`,
        { field: 'attachments', limit: 'files', max: REPORT_LIMITS.files },
      )
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new LiaisonError(413, 'payload_too_large', 'body: too many form fields', { field: 'body' })
    default:
      if (error instanceof LiaisonError || typeof code !== 'string') {
        return error
      }
      return badInput('body', `not a readable multipart form (${code})`)
  }
}

/** The status token: header `X-Report-Token`, else the `token` query parameter. */
function tokenOf(request: FastifyRequest<{ Querystring: { token?: string } }>): string | undefined {
  const header = request.headers['x-report-token']
  return typeof header === 'string' && header !== '' ? header : request.query.token
}

/** Who submits: the logged-in caller (cookie sessions must send their CSRF token), else anonymous. */
function submitterOf(request: FastifyRequest): ReportSubmitter {
  const auth = request.auth
  if (auth === null) {
    return { kind: 'anonymous', address: request.ip }
  }
  if (auth.session !== null) {
    const sent = request.headers['x-csrf-token']
    if (typeof sent !== 'string' || !safeEqual(sent, auth.session.csrfToken)) {
      throw new LiaisonError(403, 'csrf_failed', 'X-CSRF-Token header missing or wrong for this session')
    }
  }
  return auth.principal
}

function baseUrlOf(config: Config, request: FastifyRequest): string {
  return (
    config.publicUrl ??
    (request.host === '' ? publicBaseUrl(config) : `${request.protocol}://${request.host}`)
  )
}

/** A value for Content-Disposition that no file name can break out of. */
function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\;]/g, '_')
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`
}

/** Incident reports: the public form and the reporter's status link, and the handlers' triage queue. */
export const reportRoutes: FastifyPluginAsyncTypebox<{
  store: Store
  config: Config
  now: () => Date
}> = async (app, { store, config, now }) => {
  // Both plugins apply to these routes only (this plugin is encapsulated).
  await app.register(multipart, {
    limits: {
      fileSize: REPORT_LIMITS.fileBytes,
      files: REPORT_LIMITS.files,
      fields: 5,
      fieldSize: 1024 * 1024,
      parts: REPORT_LIMITS.files + 5,
    },
  })
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new LiaisonError(
        429,
        'rate_limited',
        `too many reports from this address; try again in ${context.after}`,
        {
          retryAfterSeconds: Math.ceil(context.ttl / 1000),
          max: context.max,
        },
      ),
  })
  const perAddress = { max: config.reportMaxPerAddress, timeWindow: 60 * 60 * 1000 }

  app.post(
    '/reports',
    {
      config: { access: 'public', rateLimit: perAddress },
      schema: {
        tags: ['reports'],
        summary: 'Report an incident (public form, constituents, scripts)',
        description: RECEIPT_DESCRIPTION,
        consumes: ['application/json', 'multipart/form-data'],
        response: withErrors({ 201: ReportReceiptSchema }),
      },
    },
    async (request, reply) => {
      const submitter = submitterOf(request)
      const { fields, files } = await readSubmission(request, 'report', true)
      if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
        throw badInput('body', 'must be the report as a JSON object')
      }
      const input = validateInput(CreateReportBody, fields)
      const channel = submitter.kind === 'user' && submitter.authMethod === 'apikey' ? 'api' : 'web'
      const { report, statusToken } = await createReport(
        store.db,
        { ...input, attachments: files, submitter },
        channel,
        now(),
      )
      const statusUrl = `${baseUrlOf(config, request)}/report/status/${report.tracking_id}#token=${statusToken}`
      return reply.code(201).send({ trackingId: report.tracking_id, statusUrl })
    },
  )

  app.get(
    '/reports/status/:trackingId',
    {
      config: { access: 'public' },
      schema: {
        tags: ['reports'],
        summary: "The reporter's view of one report, opened by its status token",
        description:
          'The token comes in the `X-Report-Token` header or the `token` query parameter. A wrong ' +
          'token answers exactly like an unknown tracking id: 404.',
        params: TrackingParams,
        querystring: TokenQuery,
        response: withErrors({ 200: ReportStatusSchema }),
      },
    },
    async (request, reply) => {
      void reply.header('cache-control', 'no-store')
      return presentReporterView(await reporterView(store.db, request.params.trackingId, tokenOf(request)))
    },
  )

  app.post(
    '/reports/status/:trackingId/messages',
    {
      config: { access: 'public', rateLimit: { ...perAddress, max: perAddress.max * 5 } },
      schema: {
        tags: ['reports'],
        summary: 'The reporter adds information (and files) to their report',
        description: MESSAGE_DESCRIPTION,
        consumes: ['application/json', 'multipart/form-data'],
        params: TrackingParams,
        querystring: TokenQuery,
        response: withErrors({ 201: ReportStatusSchema }),
      },
    },
    async (request, reply) => {
      const token = tokenOf(request)
      const { fields, files } = await readSubmission(request, 'body', false)
      const { body } = validateInput(ReportMessageBody, fields)
      const actor = request.auth?.principal ?? { kind: 'anonymous' as const, address: request.ip }
      const view = await addReporterMessage(
        store.db,
        request.params.trackingId,
        token,
        body,
        files,
        now(),
        actor,
      )
      return reply.code(201).header('cache-control', 'no-store').send(presentReporterView(view))
    },
  )

  app.get(
    '/reports',
    {
      schema: {
        tags: ['reports'],
        summary: 'The triage queue: reports you may see, newest first',
        description:
          'For admins, handlers, coordinators and viewers; reports belong to the instance organisation.',
        querystring: ListQuery,
        response: withErrors({ 200: listOf(ReportSummarySchema) }),
      },
    },
    async (request) => {
      const { items, total } = await listReports(store.db, principalOf(request), {
        ...(request.query.status === undefined ? {} : { status: request.query.status }),
        limit: request.query.limit ?? 50,
        offset: request.query.offset ?? 0,
      })
      return { items: items.map(presentReportSummary), total }
    },
  )

  app.get(
    '/reports/:id',
    {
      schema: {
        tags: ['reports'],
        summary: 'One report with messages, attachments and IOCs (404 when missing or not visible)',
        params: IdParams,
        response: withErrors({ 200: ReportSchema }),
      },
    },
    async (request) => presentReport(await getReport(store.db, principalOf(request), request.params.id)),
  )

  app.patch(
    '/reports/:id',
    {
      schema: {
        tags: ['reports'],
        summary: `Set a report's status (${HANDLER_STATUSES.join(', ')})`,
        params: IdParams,
        body: UpdateReportBody,
        response: withErrors({ 200: ReportSchema }),
      },
    },
    async (request) =>
      presentReport(
        await changeReportStatus(
          store.db,
          principalOf(request),
          request.params.id,
          request.body.status,
          now(),
        ),
      ),
  )

  app.get(
    '/reports/:id/attachments/:attachmentId',
    {
      schema: {
        tags: ['reports'],
        summary: 'Download an attachment (always as a file, never shown inline)',
        params: AttachmentParams,
        response: withErrors({ 200: Type.Unknown({ description: 'the file, application/octet-stream' }) }),
      },
    },
    async (request, reply) => {
      const file = await getReportAttachment(
        store.db,
        principalOf(request),
        request.params.id,
        request.params.attachmentId,
      )
      return reply
        .header('content-type', 'application/octet-stream')
        .header('content-disposition', contentDisposition(file.filename))
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('cache-control', 'no-store')
        .header('x-content-sha256', file.sha256)
        .send(Buffer.from(file.content))
    },
  )

  app.post(
    '/reports/:id/messages',
    {
      schema: {
        tags: ['reports'],
        summary: 'Answer the reporter (shown on their status page)',
        description: MESSAGE_DESCRIPTION,
        consumes: ['application/json', 'multipart/form-data'],
        params: IdParams,
        response: withErrors({ 201: ReportSchema }),
      },
    },
    async (request, reply) => {
      const principal = principalOf(request)
      const { fields, files } = await readSubmission(request, 'body', false)
      const { body } = validateInput(ReportMessageBody, fields)
      return reply
        .code(201)
        .send(presentReport(await replyToReport(store.db, principal, request.params.id, body, files, now())))
    },
  )
}
