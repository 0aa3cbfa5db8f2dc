import { createHash } from 'node:crypto'
import { normaliseLabel, type SharingLabel, Audience, Pap, Tlp } from '../../../core/trust/label.js'
import type { Db, Trx } from '../../store/store.js'

/** The id of a label: SHA-256 of its canonical form, so equal labels share one row. */
export function labelId(label: SharingLabel): string {
  const n = normaliseLabel(label)
  return createHash('sha256')
    .update(JSON.stringify([n.ownerOrg, n.tlp, n.pap, n.audience, n.sharingGroups, n.recipients]))
    .digest('hex')
}

/** Stores a label unless an equal one exists; returns its id. */
export async function ensureLabel(trx: Trx, label: SharingLabel, now: Date): Promise<string> {
  const id = labelId(label)
  const existing = await trx.selectFrom('labels').select('id').where('id', '=', id).executeTakeFirst()
  if (existing !== undefined) {
    return id
  }
  const n = normaliseLabel(label)
  await trx
    .insertInto('labels')
    .values({
      id,
      owner_org_id: n.ownerOrg,
      tlp: n.tlp,
      pap: n.pap,
      audience: n.audience,
      created_at: now.toISOString(),
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute()
  if (n.sharingGroups.length > 0) {
    await trx
      .insertInto('label_groups')
      .values(n.sharingGroups.map((group_id) => ({ label_id: id, group_id })))
      .onConflict((oc) => oc.columns(['label_id', 'group_id']).doNothing())
      .execute()
  }
  if (n.recipients.length > 0) {
    await trx
      .insertInto('label_recipients')
      .values(n.recipients.map((user_id) => ({ label_id: id, user_id })))
      .onConflict((oc) => oc.columns(['label_id', 'user_id']).doNothing())
      .execute()
  }
  return id
}

/** Labels by id, whole (with groups and recipients). */
export async function findLabels(db: Db | Trx, ids: readonly string[]): Promise<Map<string, SharingLabel>> {
  const unique = [...new Set(ids)]
  const out = new Map<string, SharingLabel>()
  if (unique.length === 0) {
    return out
  }
  const [rows, groups, recipients] = await Promise.all([
    db.selectFrom('labels').selectAll().where('id', 'in', unique).execute(),
    db.selectFrom('label_groups').selectAll().where('label_id', 'in', unique).execute(),
    db.selectFrom('label_recipients').selectAll().where('label_id', 'in', unique).execute(),
  ])
  for (const row of rows) {
    if (!Tlp.is(row.tlp) || !Pap.is(row.pap) || !Audience.is(row.audience)) {
      throw new Error(`label ${row.id} holds an unknown marking`)
    }
    out.set(row.id, {
      ownerOrg: row.owner_org_id,
      tlp: row.tlp,
      pap: row.pap,
      audience: row.audience,
      sharingGroups: groups
        .filter((g) => g.label_id === row.id)
        .map((g) => g.group_id)
        .sort(),
      recipients: recipients
        .filter((r) => r.label_id === row.id)
        .map((r) => r.user_id)
        .sort(),
    })
  }
  return out
}

// Labels never change (a label's id is the hash of its content): their TLP can be kept for good.
const tlpCache = new Map<string, Tlp>()
const TLP_CACHE_LIMIT = 100_000

/**
 * The TLP of each of some labels, by id: from memory when seen before (labels are immutable), else
 * in one small query. For answers that show only the TLP, such as TAXII envelopes.
 */
export async function findLabelTlps(db: Db | Trx, ids: readonly string[]): Promise<Map<string, Tlp>> {
  const out = new Map<string, Tlp>()
  const missing: string[] = []
  for (const id of new Set(ids)) {
    const tlp = tlpCache.get(id)
    if (tlp === undefined) {
      missing.push(id)
    } else {
      out.set(id, tlp)
    }
  }
  if (missing.length === 0) {
    return out
  }
  if (tlpCache.size > TLP_CACHE_LIMIT) {
    tlpCache.clear()
  }
  const rows = await db.selectFrom('labels').select(['id', 'tlp']).where('id', 'in', missing).execute()
  for (const row of rows) {
    if (!Tlp.is(row.tlp)) {
      throw new Error(`label ${row.id} holds an unknown TLP`)
    }
    tlpCache.set(row.id, row.tlp)
    out.set(row.id, row.tlp)
  }
  return out
}
