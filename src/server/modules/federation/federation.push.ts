import { pushVerdict, type PushTarget } from '../../../core/federation/federation.js'
import { PROVENANCE_PROPERTY, Provenance, type InstanceRef } from '../../../core/federation/provenance.js'
import { markingDefinitionForTlp, tlp2DefinitionsFor, type StixObject } from '../../../core/stix/stix.js'
import { TLP_LEVELS } from '../../../core/trust/label.js'
import type { Db } from '../../store/store.js'
import { withTlpMarking } from '../intel/intel.export.js'
import { expiryOfRows } from '../intel/intel.expiry.js'
import { withVisibleRefs } from '../intel/intel.refs.js'
import {
  findDeletionsAfter,
  findProvenance,
  versionKeyText,
  type DeletionCursor,
} from '../intel/intel.provenance.js'
import { findLabels } from '../trust/label.repository.js'
import {
  deliveredKey,
  findDeliveredVersions,
  findPendingStatusIds,
  findReceiptsOfStatus,
  findVersionsAfter,
  updatePeerRow,
  upsertReceipts,
  versionReceipt,
  type AddedCursor,
} from './federation.repository.js'
import type { FederationReceiptRow, FederationReceiptTable } from './federation.table.js'
import { TaxiiClientError, type TaxiiClient, type TaxiiStatusResource } from './taxii.client.js'

/** A peer to push to, with its TAXII client and collection resolved. */
export interface PushDestination {
  readonly peerId: string
  /** The peer's organisation as a viewer, and the peer's instance id: what the push rule judges by. */
  readonly target: PushTarget
  readonly client: TaxiiClient
  readonly apiRootUrl: string
  readonly collectionId: string
  /** Largest POST body the peer accepts (its API root's `max_content_length`). */
  readonly maxContentLength: number
  /** Add `x_liaison_provenance` to what is sent (Liaison peers read it; others may refuse unknown properties). */
  readonly withProvenance: boolean
  readonly pageSize: number
  /** How long to wait for the peer to process a POST before moving on (its verdict is read next time). */
  readonly statusWaitMs: number
  /** Where the last push stopped: objects, and deletions. */
  readonly cursor: AddedCursor | null
  readonly deletionCursor: DeletionCursor | null
}

/** What a push did. */
export interface PushSummary {
  considered: number
  sent: number
  accepted: number
  rejected: number
  filtered: number
  deleted: number
}

/**
 * Pushes to a peer every local object version added since the last push that the push rule lets go
 * (`pushVerdict`: TLP, audience, the peer organisation's visibility, loops), each with the TLP
 * marking of its label, each envelope with the TLP 2.0 marking definitions its objects name (`send`),
 * then passes on the deletions of versions the peer was sent. Every version
 * considered gets a receipt (sent, then accepted or rejected by the peer's status; or filtered, with
 * the rule). Receipts and the cursor commit together, page by page.
 */
export async function pushToPeer(
  db: Db,
  self: InstanceRef,
  dest: PushDestination,
  now: () => Date = () => new Date(),
): Promise<PushSummary> {
  const summary: PushSummary = { considered: 0, sent: 0, accepted: 0, rejected: 0, filtered: 0, deleted: 0 }
  await settlePendingStatuses(db, dest, summary, now)
  let cursor = dest.cursor
  for (;;) {
    const rows = await findVersionsAfter(db, cursor, dest.pageSize)
    const last = rows[rows.length - 1]
    if (last === undefined) {
      break
    }
    const labels = await findLabels(
      db,
      rows.map((r) => r.label_id),
    )
    const keys = rows.map((r) => ({ id: r.id, ownerOrgId: r.owner_org_id, modified: r.modified }))
    const provenance = await findProvenance(db, self, keys)
    const stamp = now().toISOString()
    const receipts: FederationReceiptTable[] = []
    const outgoing: { receipt: FederationReceiptTable; json: string }[] = []
    const expiries = await expiryOfRows(db, rows, stamp)
    // What the peer's organisation may not see is not named to it either (`withVisibleRefs`).
    const shown = new Map(
      (await withVisibleRefs(db, dest.target.viewer, rows, 'drop')).map((row) => [
        versionKeyText({ id: row.id, ownerOrgId: row.owner_org_id, modified: row.modified }),
        row.json,
      ]),
    )
    for (const [i, row] of rows.entries()) {
      summary.considered += 1
      const label = labels.get(row.label_id)
      const origin = provenance.get(
        versionKeyText({ id: row.id, ownerOrgId: row.owner_org_id, modified: row.modified }),
      )
      if (label === undefined || origin === undefined) {
        continue
      }
      const receipt = versionReceipt(dest.peerId, 'push', row, stamp)
      const verdict = pushVerdict(dest.target, label, origin)
      if (!verdict.deliver) {
        summary.filtered += 1
        receipts.push({ ...receipt, status: 'filtered', rule: verdict.rule, reason: verdict.reason })
        continue
      }
      const expiry = expiries[i] ?? null
      // Expired indicators leave no feed; a revocation always goes (the peer holds what it revokes).
      if (expiry !== null && row.revoked === 0) {
        summary.filtered += 1
        receipts.push({
          ...receipt,
          status: 'filtered',
          rule: 'expired',
          reason: `expired: ${expiry.reason === 'valid_until' ? 'valid_until' : 'retention period'} passed at ${expiry.at}`,
        })
        continue
      }
      const json = shown.get(
        versionKeyText({ id: row.id, ownerOrgId: row.owner_org_id, modified: row.modified }),
      )
      if (json === undefined) {
        summary.filtered += 1
        receipts.push({
          ...receipt,
          status: 'filtered',
          rule: 'references-not-visible',
          reason:
            'references-not-visible: no valid STIX without the objects it names that the peer may not see',
        })
        continue
      }
      const object = withTlpMarking(JSON.parse(json) as StixObject, label.tlp)
      const wire = dest.withProvenance
        ? { ...object, [PROVENANCE_PROPERTY]: Provenance.toWire(origin, self) }
        : object
      outgoing.push({ receipt, json: JSON.stringify(wire) })
    }
    // What the peer got before and may no longer have goes back out of it.
    receipts.push(
      ...(await retractFromPeer(
        db,
        dest,
        receipts.filter((r) => r.status === 'filtered' && r.rule !== 'loop' && r.rule !== 'expired'),
        summary,
      )),
    )
    for (const envelope of envelopes(outgoing, dest.maxContentLength - TLP2_DEFINITIONS_BYTES)) {
      receipts.push(...(await send(dest, envelope, summary)))
    }
    const next: AddedCursor = {
      addedAt: last.added_at,
      id: last.id,
      ownerOrgId: last.owner_org_id,
      modified: last.modified,
    }
    await db.transaction().execute(async (trx) => {
      await upsertReceipts(trx, receipts)
      await updatePeerRow(trx, dest.peerId, { push_cursor: JSON.stringify(next), updated_at: stamp })
    })
    cursor = next
    if (rows.length < dest.pageSize) {
      break
    }
  }
  await pushDeletions(db, dest, summary, now)
  return summary
}

/**
 * Deletes one version at the peer (TAXII DELETE) and says how it went, as a `delete` receipt: done
 * (`reason` when it was there), already absent, or refused by the peer for what was asked (4xx but
 * 401/429). Any other failure is thrown: the push stops with its cursors kept.
 */
async function deleteAtPeer(
  dest: PushDestination,
  receipt: FederationReceiptTable,
  summary: PushSummary,
  reason: string,
): Promise<FederationReceiptTable> {
  try {
    const found = await dest.client.deleteObject(
      dest.apiRootUrl,
      dest.collectionId,
      receipt.object_id,
      receipt.version === '' ? [] : [receipt.version],
    )
    summary.deleted += 1
    return found ? { ...receipt, reason } : { ...receipt, reason: 'already absent at the peer' }
  } catch (error) {
    if (
      error instanceof TaxiiClientError &&
      error.status !== null &&
      error.status >= 400 &&
      error.status < 500 &&
      error.status !== 401 &&
      error.status !== 429
    ) {
      return { ...receipt, status: 'rejected', rule: 'peer-refused', reason: error.message.slice(0, 2000) }
    }
    throw error
  }
}

/**
 * Versions the peer was sent before and may no longer have (their label tightened, say to
 * TLP:RED, or they now name what the peer may not see): deleted at the peer, each with a `delete`
 * receipt saying why.
 */
async function retractFromPeer(
  db: Db,
  dest: PushDestination,
  filtered: readonly FederationReceiptTable[],
  summary: PushSummary,
): Promise<FederationReceiptTable[]> {
  if (filtered.length === 0) {
    return []
  }
  const delivered = await findDeliveredVersions(
    db,
    dest.peerId,
    filtered.map((r) => ({ id: r.object_id, ownerOrgId: r.owner_org_id, modified: r.version })),
  )
  const out: FederationReceiptTable[] = []
  for (const r of filtered) {
    if (!delivered.has(deliveredKey(r.object_id, r.owner_org_id, r.version))) {
      continue
    }
    out.push(
      await deleteAtPeer(
        dest,
        { ...r, action: 'delete', status: 'accepted', rule: r.rule, reason: null },
        summary,
        `retracted at the peer: ${r.reason ?? r.rule ?? 'no longer for it'}`,
      ),
    )
  }
  return out
}

/** Bytes the five TLP 2.0 marking definitions take in an envelope: room kept for them in each. */
const TLP2_DEFINITIONS_BYTES = TLP_LEVELS.reduce(
  (n, tlp) => n + Buffer.byteLength(JSON.stringify(markingDefinitionForTlp(tlp))) + 1,
  0,
)

/** Splits outgoing objects into envelopes below a size (the room the peer's largest POST body leaves). */
function envelopes<T extends { json: string }>(items: readonly T[], maxBytes: number): T[][] {
  const out: T[][] = []
  let current: T[] = []
  let size = 16
  for (const item of items) {
    const bytes = Buffer.byteLength(item.json) + 1
    if (current.length > 0 && size + bytes > maxBytes) {
      out.push(current)
      current = []
      size = 16
    }
    current.push(item)
    size += bytes
  }
  if (current.length > 0) {
    out.push(current)
  }
  return out
}

/**
 * POSTs one envelope and waits a while for the peer's verdict; returns the receipts.
 *
 * The envelope opens with the TLP 2.0 marking definitions its objects name, then any marking
 * definitions among the objects: STIX predefines only the TLP 1.0 ones, so a peer that is not
 * Liaison could not resolve the marking otherwise (a Liaison peer knows them and stores nothing for
 * them). The definitions added are not versions of ours: no receipts, and the peer's verdict on them
 * is not read.
 *
 * A peer that refuses the envelope as a whole for its content (400, 413, 422) gets it again in two
 * halves, down to single objects: one bad or oversized object does not take the others with it, and
 * the object the peer refuses alone is rejected with its words. A refusal that is not about the
 * content (401, 403, 404, 405, 406, 415, 429; no answer; a server error) stops the push: the
 * cursor stays, the peer shows the error, and the next sync sends again, so a permission or
 * collection to fix at the peer loses nothing.
 */
async function send(
  dest: PushDestination,
  envelope: readonly { receipt: FederationReceiptTable; json: string }[],
  summary: PushSummary,
): Promise<FederationReceiptTable[]> {
  const objects = envelope.map((e) => JSON.parse(e.json) as StixObject)
  // Marking definitions first, ours and any held as objects: a reader taking the envelope in order
  // knows each marking before the objects that name it.
  const body = [
    ...tlp2DefinitionsFor(objects),
    ...objects.filter((o) => o.type === 'marking-definition'),
    ...objects.filter((o) => o.type !== 'marking-definition'),
  ]
  let status: TaxiiStatusResource
  try {
    status = await dest.client.postObjects(dest.apiRootUrl, dest.collectionId, body)
  } catch (error) {
    if (
      !(error instanceof TaxiiClientError) ||
      error.status === null ||
      !CONTENT_REFUSALS.has(error.status)
    ) {
      throw error
    }
    if (envelope.length > 1) {
      const half = Math.ceil(envelope.length / 2)
      return [
        ...(await send(dest, envelope.slice(0, half), summary)),
        ...(await send(dest, envelope.slice(half), summary)),
      ]
    }
    summary.rejected += envelope.length
    return envelope.map((e) => ({
      ...e.receipt,
      status: 'rejected',
      rule: 'peer-refused',
      reason: `the peer refused it: ${error.message}`.slice(0, 2000),
    }))
  }
  summary.sent += envelope.length
  const settled = await dest.client.waitForStatus(dest.apiRootUrl, status, dest.statusWaitMs)
  return envelope.map((e) => applyOutcome({ ...e.receipt, status_id: settled.id }, settled, summary))
}

/** HTTP statuses by which a TAXII server refuses what an envelope holds (not who sends it, nor where). */
const CONTENT_REFUSALS = new Set([400, 413, 422])

/** A receipt with the peer's verdict from a status resource, when it gives one. */
function applyOutcome<T extends FederationReceiptTable | FederationReceiptRow>(
  receipt: T,
  status: TaxiiStatusResource,
  summary: PushSummary,
): T {
  const match = (d: { id: string; version: string }) =>
    d.id === receipt.object_id && (receipt.version === '' || d.version === receipt.version)
  const success = status.successes.find(match)
  if (success !== undefined) {
    summary.accepted += 1
    return { ...receipt, status: 'accepted', rule: null, reason: success.message, status_id: null }
  }
  const failure = status.failures.find(match)
  if (failure !== undefined) {
    summary.rejected += 1
    return {
      ...receipt,
      status: 'rejected',
      rule: 'peer-refused',
      reason: (failure.message ?? 'refused by the peer').slice(0, 2000),
      status_id: null,
    }
  }
  return receipt
}

/** Reads the verdicts of earlier POSTs that were still pending when their push moved on. */
async function settlePendingStatuses(
  db: Db,
  dest: PushDestination,
  summary: PushSummary,
  now: () => Date,
): Promise<void> {
  for (const statusId of await findPendingStatusIds(db, dest.peerId, 50)) {
    const receipts = await findReceiptsOfStatus(db, dest.peerId, statusId)
    let status: TaxiiStatusResource
    try {
      status = await dest.client.getStatus(dest.apiRootUrl, statusId)
    } catch (error) {
      if (error instanceof TaxiiClientError && error.status === 404) {
        // The peer no longer keeps the status: the objects went, their fate is unknown.
        await upsertReceipts(
          db,
          receipts.map((r) => ({
            ...r,
            status_id: null,
            reason: 'sent; the peer no longer keeps the status of that POST',
            updated_at: now().toISOString(),
          })),
        )
        continue
      }
      throw error
    }
    const stamp = now().toISOString()
    await upsertReceipts(
      db,
      receipts.map((r) => {
        const settled = applyOutcome(r, status, summary)
        return settled === r ? r : { ...settled, updated_at: stamp }
      }),
    )
  }
}

/**
 * Passes on to the peer the deletion of every local version it was sent (TAXII DELETE of that
 * version), with a receipt each; deletions of versions it never got are not its business.
 */
async function pushDeletions(
  db: Db,
  dest: PushDestination,
  summary: PushSummary,
  now: () => Date,
): Promise<void> {
  let cursor = dest.deletionCursor
  for (;;) {
    const tombstones = await findDeletionsAfter(db, cursor, dest.pageSize, null)
    const last = tombstones[tombstones.length - 1]
    if (last === undefined) {
      return
    }
    const delivered = await findDeliveredVersions(
      db,
      dest.peerId,
      tombstones.map((t) => ({ id: t.id, ownerOrgId: t.owner_org_id, modified: t.modified })),
    )
    const receipts: FederationReceiptTable[] = []
    for (const t of tombstones) {
      if (!delivered.has(deliveredKey(t.id, t.owner_org_id, t.modified))) {
        continue
      }
      const receipt = versionReceipt(dest.peerId, 'push', t, now().toISOString())
      receipts.push(
        await deleteAtPeer(
          dest,
          { ...receipt, action: 'delete', status: 'accepted' },
          summary,
          'deleted at the peer',
        ),
      )
    }
    const next: DeletionCursor = {
      deletedAt: last.deleted_at,
      id: last.id,
      ownerOrgId: last.owner_org_id,
      modified: last.modified,
    }
    await db.transaction().execute(async (trx) => {
      await upsertReceipts(trx, receipts)
      await updatePeerRow(trx, dest.peerId, { deletion_cursor: JSON.stringify(next) })
    })
    cursor = next
    if (tombstones.length < dest.pageSize) {
      return
    }
  }
}
