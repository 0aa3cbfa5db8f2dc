import { rsitMachineTag } from '../../../core/incident/rsit.js'
import { TLP2_MARKING_IDS } from '../../../core/stix/stix.js'
import type { LabelledIncident } from './incident.service.js'

/** The Incident Core extension (community extension of STIX 2.1), a property-extension on `incident`. */
export const INCIDENT_CORE_EXTENSION = 'extension-definition--ef765651-680c-498d-9894-99799f2fa126'

const INVESTIGATION_STATUS: Record<string, 'new' | 'open' | 'closed'> = {
  new: 'new',
  triage: 'open',
  in_progress: 'open',
  resolved: 'closed',
  closed: 'closed',
}

const CRITICALITY: Record<string, number> = { critical: 100, high: 75, medium: 50, low: 25 }

/**
 * An incident as a STIX 2.1 `incident` object with the Incident Core extension (required
 * `determination`, `investigation_status`; `criticality` from the severity) and its TLP 2.0 marking.
 * The RSIT classification travels as a machinetag in `labels`.
 */
export function incidentToStix({ row, label }: LabelledIncident): Record<string, unknown> {
  return {
    type: 'incident',
    spec_version: '2.1',
    id: `incident--${row.id}`,
    created: row.created_at,
    modified: row.updated_at,
    name: row.title,
    ...(row.description === '' ? {} : { description: row.description }),
    ...(row.rsit_class !== null && row.rsit_type !== null
      ? { labels: [rsitMachineTag(row.rsit_class, row.rsit_type)] }
      : row.rsit_class !== null
        ? { labels: [`rsit:${row.rsit_class}`] }
        : {}),
    object_marking_refs: [TLP2_MARKING_IDS[label.tlp]],
    extensions: {
      [INCIDENT_CORE_EXTENSION]: {
        extension_type: 'property-extension',
        // Liaison records no determination of its own: an incident handled here is a suspected one
        // (value from the extension's vocabulary as in the standards digest).
        determination: 'suspected',
        investigation_status: INVESTIGATION_STATUS[row.status] ?? 'open',
        criticality: CRITICALITY[row.severity] ?? 50,
      },
    },
  }
}

/** CSV columns of the incident export. */
export const INCIDENT_CSV_COLUMNS = [
  'id',
  'title',
  'status',
  'severity',
  'impact',
  'rsit_class',
  'rsit_type',
  'assignee_id',
  'tlp',
  'created_at',
  'updated_at',
  'acknowledged_at',
  'acknowledge_due_at',
  'resolved_at',
  'resolve_due_at',
  'closed_at',
] as const

function csvCell(value: unknown): string {
  if (value === null || value === undefined) {
    return ''
  }
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  // Neutralise spreadsheet formulas (CSV injection); quote when needed.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

/** One CSV line (CRLF-terminated) of an incident. */
export function incidentToCsvLine({ row, label }: LabelledIncident): string {
  const values: Record<(typeof INCIDENT_CSV_COLUMNS)[number], unknown> = {
    id: row.id,
    title: row.title,
    status: row.status,
    severity: row.severity,
    impact: row.impact,
    rsit_class: row.rsit_class,
    rsit_type: row.rsit_type,
    assignee_id: row.assignee_id,
    tlp: label.tlp,
    created_at: row.created_at,
    updated_at: row.updated_at,
    acknowledged_at: row.acknowledged_at,
    acknowledge_due_at: row.acknowledge_due_at,
    resolved_at: row.resolved_at,
    resolve_due_at: row.resolve_due_at,
    closed_at: row.closed_at,
  }
  return `${INCIDENT_CSV_COLUMNS.map((c) => csvCell(values[c])).join(',')}\r\n`
}
