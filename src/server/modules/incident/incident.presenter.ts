import type {
  EventWire,
  HintWire,
  IncidentWire,
  LinkWire,
  Nis2DocumentWire,
  NoteWire,
  TaskWire,
} from '../../../core/incident/incident.schema.js'
import { slaTimer } from '../../../core/incident/sla.js'
import { INCIDENT_STATUSES, SEVERITIES } from '../../../core/incident/workflow.js'
import type { SharingLabel } from '../../../core/trust/label.js'
import { intermediateRequestsOf, nis2DeadlinesOf } from './incident.nis2.js'
import type {
  DuplicateHint,
  LabelledIncident,
  LabelledNis2Document,
  LabelledNote,
} from './incident.service.js'
import type { IncidentEventRow, IncidentLinkRow, IncidentTaskRow } from './incident.table.js'

function presentLabel(label: SharingLabel): IncidentWire['label'] {
  return {
    ownerOrg: label.ownerOrg,
    tlp: label.tlp,
    pap: label.pap,
    audience: label.audience,
    sharingGroups: [...label.sharingGroups],
    recipients: [...label.recipients],
  }
}

function flag(value: number | null): boolean | null {
  return value === null ? null : value === 1
}

/** The only way an incident leaves as JSON; SLA states as of `now`. */
export function presentIncident(incident: LabelledIncident, now: Date): IncidentWire {
  const { row } = incident
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    status: INCIDENT_STATUSES.find((s) => s === row.status) ?? 'new',
    severity: SEVERITIES.find((s) => s === row.severity) ?? 'medium',
    impact: row.impact,
    rsitClass: row.rsit_class,
    rsitType: row.rsit_type,
    assigneeId: row.assignee_id,
    label: presentLabel(incident.label),
    owned: incident.owned,
    participants: [...incident.participants],
    reportIds: [...incident.reportIds],
    sla: {
      acknowledge: slaTimer(row.acknowledge_due_at, row.acknowledged_at, now),
      resolve: slaTimer(row.resolve_due_at, row.resolved_at ?? row.closed_at, now),
    },
    nis2: {
      significant: flag(row.nis2_significant),
      trustServiceProvider: flag(row.trust_service_provider),
      timeZone: row.nis2_time_zone,
      awareAt: row.aware_at,
      earlyWarningSentAt: row.early_warning_sent_at,
      notificationSentAt: row.notification_sent_at,
      progressReportSentAt: row.progress_report_sent_at,
      finalReportSentAt: row.final_report_sent_at,
      intermediateRequests: intermediateRequestsOf(row).map((r) => ({
        id: r.id,
        requestedAt: r.requestedAt,
        dueAt: r.dueAt,
        submittedAt: r.submittedAt,
        note: r.note,
      })),
      suspectedMalicious: flag(row.nis2_suspected_malicious),
      crossBorder: flag(row.nis2_cross_border),
      rootCause: row.nis2_root_cause,
      mitigationApplied: row.nis2_mitigation_applied,
      mitigationOngoing: row.nis2_mitigation_ongoing,
      deadlines: nis2DeadlinesOf(row, now).map((d) => ({ ...d })),
    },
    acknowledgedAt: row.acknowledged_at,
    resolvedAt: row.resolved_at,
    closedAt: row.closed_at,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/** The only way a NIS2 document leaves as JSON; `tlp` heads it as TLP 2.0 asks of documents. */
export function presentNis2Document({ document, tlp }: LabelledNis2Document): Nis2DocumentWire {
  return {
    stage: document.stage,
    generatedAt: document.generatedAt,
    reference: document.reference,
    title: document.title,
    entity: { name: document.entity.name, sector: document.entity.sector },
    awareAt: document.awareAt,
    tlp: `TLP:${tlp.toUpperCase()}`,
    fields: { ...document.fields },
    missing: [...document.missing],
  }
}

/** The only way a task leaves as JSON. */
export function presentTask(row: IncidentTaskRow, now: Date): TaskWire {
  return {
    id: row.id,
    incidentId: row.incident_id,
    title: row.title,
    dueAt: row.due_at,
    done: row.done_at !== null,
    doneAt: row.done_at,
    overdue: row.done_at === null && row.due_at !== null && Date.parse(row.due_at) < now.getTime(),
    assigneeId: row.assignee_id,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/** The only way a note leaves as JSON. */
export function presentNote({ row, label }: LabelledNote): NoteWire {
  return {
    id: row.id,
    incidentId: row.incident_id,
    body: row.body,
    label: presentLabel(label),
    shared: row.shared === 1,
    authorId: row.author_user_id,
    authorOrgId: row.author_org_id,
    createdAt: row.created_at,
  }
}

/** The only way a timeline entry leaves as JSON. */
export function presentEvent(row: IncidentEventRow): EventWire {
  return {
    id: row.id,
    position: row.position,
    at: row.at,
    actorId: row.actor_user_id,
    actorOrgId: row.actor_org_id,
    action: row.action,
    details: JSON.parse(row.details) as Record<string, unknown>,
  }
}

/** The only way a link leaves as JSON. */
export function presentLink(row: IncidentLinkRow): LinkWire {
  return {
    id: row.id,
    kind: row.kind === 'object' ? 'object' : 'observable',
    ref: row.ref,
    observableKind: row.observable_kind,
    value: row.value,
    createdBy: row.created_by,
    createdAt: row.created_at,
  }
}

/** The only way a duplicate hint leaves as JSON. */
export function presentHint(hint: DuplicateHint): HintWire {
  return { ...hint, reasons: [...hint.reasons], sharedObservables: [...hint.sharedObservables] }
}
