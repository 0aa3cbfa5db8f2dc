import { DOCUMENT_KINDS, type DocumentWire } from '../../../core/knowledge/knowledge.schema.js'
import type { LabelledDocument } from './knowledge.service.js'

/** The only way a document leaves as JSON. */
export function presentDocument({ row, label }: LabelledDocument): DocumentWire {
  return {
    id: row.id,
    title: row.title,
    kind: DOCUMENT_KINDS.find((k) => k === row.kind) ?? 'other',
    body: row.body,
    label: {
      ownerOrg: label.ownerOrg,
      tlp: label.tlp,
      pap: label.pap,
      audience: label.audience,
      sharingGroups: [...label.sharingGroups],
      recipients: [...label.recipients],
    },
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}
