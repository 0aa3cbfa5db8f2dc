import { randomUUID } from 'node:crypto'
import {
  ChangeLabelBody,
  CreateDocumentBody,
  UpdateDocumentBody,
  type ChangeLabelInput,
  type CreateDocumentInput,
  type UpdateDocumentInput,
} from '../../../core/knowledge/knowledge.schema.js'
import type { UserPrincipal } from '../../../core/account/principal.js'
import type { SharingLabel, Viewer } from '../../../core/trust/label.js'
import { forbidden, notFound } from '../../errors.js'
import type { Db } from '../../store/store.js'
import { validateInput } from '../../validation.js'
import { recordAudit } from '../audit/audit.service.js'
import { ensureLabel, findLabels } from '../trust/label.repository.js'
import { auditLabelChange, labelFromInput } from '../trust/label.service.js'
import {
  countVisibleDocuments,
  findVisibleDocument,
  findVisibleDocuments,
  insertDocument,
  updateDocumentRow,
  type DocumentFilter,
} from './knowledge.repository.js'
import type { DocumentRow } from './knowledge.table.js'

/** A document with its sharing label. */
export interface LabelledDocument {
  readonly row: DocumentRow
  readonly label: SharingLabel
}

async function withLabels(db: Db, rows: DocumentRow[]): Promise<LabelledDocument[]> {
  const labels = await findLabels(
    db,
    rows.map((r) => r.label_id),
  )
  return rows.map((row) => {
    const label = labels.get(row.label_id)
    if (label === undefined) {
      throw new Error(`document ${row.id} has no label ${row.label_id}`)
    }
    return { row, label }
  })
}

function assertMayWrite(principal: UserPrincipal): void {
  if (principal.role === 'viewer') {
    throw forbidden('viewers read documents; they do not write them')
  }
}

/** Creates a document under a sharing label owned by the caller's organisation. */
export async function createDocument(
  db: Db,
  principal: UserPrincipal,
  input: CreateDocumentInput,
  now = new Date(),
): Promise<LabelledDocument> {
  const valid = validateInput(CreateDocumentBody, input)
  assertMayWrite(principal)
  const label = await labelFromInput(db, principal, valid.label)
  const at = now.toISOString()
  const title = valid.title.trim()
  const row: DocumentRow = {
    id: randomUUID(),
    title,
    title_key: title.toLowerCase(),
    kind: valid.kind,
    body: valid.body,
    label_id: '',
    created_by: principal.userId,
    created_at: at,
    updated_at: at,
  }
  await db.transaction().execute(async (trx) => {
    row.label_id = await ensureLabel(trx, label, now)
    await insertDocument(trx, row)
    await recordAudit(
      trx,
      principal,
      {
        action: 'document.created',
        targetType: 'document',
        targetId: row.id,
        details: { title, kind: row.kind, label },
      },
      now,
    )
  })
  return { row, label }
}

/** The documents `viewer` may see, newest first, one page, with the total. */
export async function listDocuments(
  db: Db,
  viewer: Viewer,
  filter: DocumentFilter & { limit: number; offset: number },
): Promise<{ items: LabelledDocument[]; total: number }> {
  const { rows, total } = await findVisibleDocuments(db, viewer, filter)
  return { items: await withLabels(db, rows), total }
}

/** How many documents `viewer` may see. */
export async function countDocuments(db: Db, viewer: Viewer, filter: DocumentFilter): Promise<number> {
  return countVisibleDocuments(db, viewer, filter)
}

/** One document `viewer` may see; 404 when it is missing or not visible (the two look the same). */
export async function getDocument(db: Db, viewer: Viewer, id: string): Promise<LabelledDocument> {
  const row = await findVisibleDocument(db, viewer, id)
  if (row === undefined) {
    throw notFound('document', id)
  }
  const [doc] = await withLabels(db, [row])
  if (doc === undefined) {
    throw notFound('document', id)
  }
  return doc
}

async function ownedDocument(db: Db, principal: UserPrincipal, id: string): Promise<LabelledDocument> {
  const doc = await getDocument(db, principal, id)
  assertMayWrite(principal)
  if (doc.label.ownerOrg !== principal.orgId) {
    throw forbidden('only the owner organisation changes a document')
  }
  return doc
}

/** Changes a document's title, kind or body (owner organisation only). */
export async function updateDocument(
  db: Db,
  principal: UserPrincipal,
  id: string,
  input: UpdateDocumentInput,
  now = new Date(),
): Promise<LabelledDocument> {
  const valid = validateInput(UpdateDocumentBody, input)
  const doc = await ownedDocument(db, principal, id)
  const change: Partial<DocumentRow> = { updated_at: now.toISOString() }
  if (valid.title !== undefined) {
    change.title = valid.title.trim()
    change.title_key = change.title.toLowerCase()
  }
  if (valid.kind !== undefined) {
    change.kind = valid.kind
  }
  if (valid.body !== undefined) {
    change.body = valid.body
  }
  await db.transaction().execute(async (trx) => {
    await updateDocumentRow(trx, id, change)
    await recordAudit(
      trx,
      principal,
      {
        action: 'document.updated',
        targetType: 'document',
        targetId: id,
        details: { changed: Object.keys(valid), title: change.title ?? doc.row.title },
      },
      now,
    )
  })
  return { row: { ...doc.row, ...change }, label: doc.label }
}

/**
 * Changes a document's label (owner organisation only). A downgrade needs a reason and is audited
 * as `label.downgraded`.
 */
export async function changeDocumentLabel(
  db: Db,
  principal: UserPrincipal,
  id: string,
  input: ChangeLabelInput,
  now = new Date(),
): Promise<LabelledDocument> {
  const valid = validateInput(ChangeLabelBody, input)
  const doc = await ownedDocument(db, principal, id)
  const label = await labelFromInput(db, principal, valid.label)
  const at = now.toISOString()
  let labelId = doc.row.label_id
  await db.transaction().execute(async (trx) => {
    await auditLabelChange(trx, principal, { type: 'document', id }, doc.label, label, valid.reason, now)
    labelId = await ensureLabel(trx, label, now)
    await updateDocumentRow(trx, id, { label_id: labelId, updated_at: at })
  })
  return { row: { ...doc.row, label_id: labelId, updated_at: at }, label }
}
