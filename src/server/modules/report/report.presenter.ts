import {
  MESSAGE_SENDERS,
  NIS2_ENTITY_TYPES,
  REPORT_CHANNELS,
  REPORT_STATUSES,
  type ReportStatusWire,
  type ReportSummaryWire,
  type ReportWire,
} from '../../../core/incident/report.schema.js'
import type { AttachmentMeta } from './report.repository.js'
import type { ReportDetails, ReporterView } from './report.service.js'
import type { ReportMessageRow, ReportRow } from './report.table.js'

function channelOf(row: ReportRow) {
  return REPORT_CHANNELS.find((c) => c === row.channel) ?? 'web'
}

function statusOf(row: ReportRow) {
  return REPORT_STATUSES.find((s) => s === row.status) ?? 'new'
}

function boolOf(value: number | null): boolean | null {
  return value === null ? null : value === 1
}

function presentMessage(row: ReportMessageRow) {
  return {
    id: row.id,
    from: MESSAGE_SENDERS.find((s) => s === row.sender) ?? 'reporter',
    body: row.body,
    createdAt: row.created_at,
  }
}

function presentAttachment(row: AttachmentMeta) {
  return {
    id: row.id,
    messageId: row.message_id,
    filename: row.filename,
    contentType: row.content_type,
    size: Number(row.size),
    sha256: row.sha256,
    createdAt: row.created_at,
  }
}

/** The only way a report reaches its reporter: status, messages and file names, nothing handler-internal. */
export function presentReporterView({ row, messages, attachments }: ReporterView): ReportStatusWire {
  return {
    trackingId: row.tracking_id,
    status: statusOf(row),
    summary: row.summary,
    submittedAt: row.created_at,
    updatedAt: row.updated_at,
    messages: messages.map(presentMessage),
    attachments: attachments.map((a) => ({
      filename: a.filename,
      size: Number(a.size),
      sha256: a.sha256,
      createdAt: a.created_at,
    })),
  }
}

/** A report as a triage-queue entry. */
export function presentReportSummary(row: ReportRow & { attachment_count: number }): ReportSummaryWire {
  return {
    id: row.id,
    trackingId: row.tracking_id,
    channel: channelOf(row),
    status: statusOf(row),
    summary: row.summary,
    reporterEmail: row.reporter_email,
    attachmentCount: row.attachment_count,
    incidentId: row.incident_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/** The only way a whole report leaves as JSON (handlers). */
export function presentReport({ row, label, messages, attachments, observables }: ReportDetails): ReportWire {
  return {
    id: row.id,
    trackingId: row.tracking_id,
    channel: channelOf(row),
    status: statusOf(row),
    summary: row.summary,
    occurredAt: row.occurred_at,
    affectedSystems: row.affected_systems,
    description: row.description,
    reporter: {
      name: row.reporter_name,
      email: row.reporter_email,
      phone: row.reporter_phone,
      organisation: row.reporter_organisation,
      userId: row.reporter_user_id,
      orgId: row.reporter_org_id,
      address: row.source_address,
    },
    nis2: {
      entityType: NIS2_ENTITY_TYPES.find((t) => t === row.nis2_entity_type) ?? null,
      suspectedMalicious: boolOf(row.nis2_suspected_malicious),
      crossBorderImpact: boolOf(row.nis2_cross_border),
    },
    incidentId: row.incident_id,
    label: {
      ownerOrg: label.ownerOrg,
      tlp: label.tlp,
      pap: label.pap,
      audience: label.audience,
      sharingGroups: [...label.sharingGroups],
      recipients: [...label.recipients],
    },
    messages: messages.map(presentMessage),
    attachments: attachments.map(presentAttachment),
    observables: observables.map((o) => ({ kind: o.kind, key: o.key, value: o.value })),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}
