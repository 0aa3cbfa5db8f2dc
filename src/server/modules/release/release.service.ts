import { randomUUID } from 'node:crypto'
import type { Role } from '../../../core/account/account.schema.js'
import type { UserPrincipal } from '../../../core/account/principal.js'
import {
  DecideReleaseBody,
  type DecideReleaseInput,
  type ReleaseStatus,
} from '../../../core/intel/release.schema.js'
import {
  normaliseLabel,
  tightenToTlp,
  TLP_LEVELS,
  type SharingLabel,
  type Tlp,
  type Viewer,
} from '../../../core/trust/label.js'
import { conflict, forbidden, notFound } from '../../errors.js'
import type { Db } from '../../store/store.js'
import { validateInput } from '../../validation.js'
import { recordAudit, type AuditActor } from '../audit/audit.service.js'
import { claimIntelInstants, holdIntelClock } from '../intel/intel.repository.js'
import { intelSettingsOf } from '../org/org.service.js'
import { ensureLabel, findLabels, labelId } from '../trust/label.repository.js'
import { labelFromInput } from '../trust/label.service.js'
import {
  decidePendingRelease,
  findVisibleRelease,
  findVisibleReleases,
  insertRelease,
  findImportedVersions,
  relabelImportedObjects,
  setReleaseObjectCount,
  type ReleaseFilter,
} from './release.repository.js'
import type { IntelReleaseRow } from './release.table.js'

/**
 * Roles that may approve or reject a release of their own organisation: analysts (who share
 * intelligence), coordinators (who run sharing for the community) and admins (who answer for the
 * organisation). Handlers, liaison officers and viewers do not decide what leaves the organisation.
 */
export const RELEASE_ROLES: readonly Role[] = ['admin', 'analyst', 'coordinator']

/** A release with its two labels. */
export interface LabelledRelease {
  readonly row: IntelReleaseRow
  /** The organisation-only label the import's objects wait under. */
  readonly held: SharingLabel
  /** The label the importer asked for. */
  readonly requested: SharingLabel
}

/**
 * The label an import's objects must wait under, or null when they need not wait: an import for an
 * audience beyond the owner organisation waits when that organisation has four-eyes release on. The
 * held label keeps TLP and PAP and narrows the audience to the organisation.
 */
export async function heldLabelFor(db: Db, requested: SharingLabel): Promise<SharingLabel | null> {
  if (requested.audience === 'org') {
    return null
  }
  const settings = (await intelSettingsOf(db, [requested.ownerOrg])).get(requested.ownerOrg)
  if (settings?.fourEyesRelease !== true) {
    return null
  }
  return normaliseLabel({ ...requested, audience: 'org', sharingGroups: [], recipients: [] })
}

/** Who asked for a release: the audit actor, the organisation, and the user ('' for none). */
export interface ReleaseRequester {
  readonly actor: AuditActor
  readonly orgId: string
  readonly userId: string
}

/**
 * Records that an import's objects (stored under `held`) wait for a second person to release them
 * under `requested`; audited as `intel.release_requested`.
 */
export async function requestRelease(
  db: Db,
  requester: ReleaseRequester,
  request: { importId: string; held: SharingLabel; requested: SharingLabel; source: string | null },
  now = new Date(),
): Promise<IntelReleaseRow> {
  return db.transaction().execute(async (trx) => {
    const row: IntelReleaseRow = {
      id: randomUUID(),
      org_id: requester.orgId,
      import_id: request.importId,
      held_label_id: await ensureLabel(trx, request.held, now),
      requested_label_id: await ensureLabel(trx, request.requested, now),
      source: request.source,
      requested_by: requester.userId === '' ? null : requester.userId,
      requested_at: now.toISOString(),
      status: 'pending',
      decided_by: null,
      decided_at: null,
      reason: null,
      object_count: null,
    }
    await insertRelease(trx, row)
    await recordAudit(
      trx,
      requester.actor,
      {
        action: 'intel.release_requested',
        targetType: 'release',
        targetId: row.id,
        details: {
          importId: row.import_id,
          orgId: row.org_id,
          requestedBy: row.requested_by,
          tlp: request.requested.tlp,
          pap: request.requested.pap,
          audience: request.requested.audience,
          sharingGroups: request.requested.sharingGroups,
          heldAs: request.held,
        },
      },
      now,
    )
    return row
  })
}

async function withLabels(db: Db, rows: readonly IntelReleaseRow[]): Promise<LabelledRelease[]> {
  const labels = await findLabels(
    db,
    rows.flatMap((r) => [r.held_label_id, r.requested_label_id]),
  )
  return rows.map((row) => {
    const held = labels.get(row.held_label_id)
    const requested = labels.get(row.requested_label_id)
    if (held === undefined || requested === undefined) {
      throw new Error(`release ${row.id} points to a missing label`)
    }
    return { row, held, requested }
  })
}

/** The releases of the caller's organisation (pending and decided), newest first, one page, with the total. */
export async function listReleases(
  db: Db,
  viewer: Viewer,
  filter: ReleaseFilter & { limit: number; offset: number },
): Promise<{ items: LabelledRelease[]; total: number }> {
  const { rows, total } = await findVisibleReleases(db, viewer, filter)
  return { items: await withLabels(db, rows), total }
}

/** One release of the caller's organisation; 404 when it is missing or another organisation's. */
export async function getRelease(db: Db, viewer: Viewer, id: string): Promise<LabelledRelease> {
  const row = await findVisibleRelease(db, viewer, id)
  const [release] = row === undefined ? [] : await withLabels(db, [row])
  if (release === undefined) {
    throw notFound('release', id)
  }
  return release
}

function reasonOf(input: DecideReleaseInput): string | null {
  const reason = input.reason?.trim() ?? ''
  return reason === '' ? null : reason
}

/**
 * The four-eyes rule for deciding: a member of the organisation (others got a 404 already) with a
 * role of {@link RELEASE_ROLES}, who is not the person who asked.
 */
function assertMayDecide(
  principal: UserPrincipal,
  release: LabelledRelease,
  verb: 'approve' | 'reject',
): void {
  if (!RELEASE_ROLES.includes(principal.role)) {
    throw forbidden(`only admins, analysts and coordinators ${verb} releases, not ${principal.role}s`)
  }
  if (release.row.requested_by === principal.userId) {
    throw forbidden(
      `you asked for this release: another admin, analyst or coordinator of your organisation must ${verb} it (four-eyes release)`,
    )
  }
  if (release.row.status !== 'pending') {
    throw conflict('status', `the release was already ${release.row.status}`)
  }
}

/**
 * Approves a pending release: the import's stored objects (every version, this organisation's
 * copies) move from the held label to the requested one, each made strict enough for its own TLP
 * marking exactly as an import does (`tightenToTlp`), in one transaction with the `intel.released`
 * audit entry (requester, approver, TLP, audience, object count). The requested label is checked
 * again (its sharing groups must still include the organisation).
 */
export async function approveRelease(
  db: Db,
  principal: UserPrincipal,
  id: string,
  input: DecideReleaseInput,
  now = new Date(),
): Promise<LabelledRelease> {
  const valid = validateInput(DecideReleaseBody, input)
  const release = await getRelease(db, principal, id)
  assertMayDecide(principal, release, 'approve')
  const { held, requested, row } = release
  await labelFromInput(
    db,
    principal,
    {
      tlp: requested.tlp,
      pap: requested.pap,
      audience: requested.audience,
      sharingGroups: [...requested.sharingGroups],
      recipients: [...requested.recipients],
    },
    'requestedLabel',
  )
  // The import named its user as the recipient of objects marked TLP:RED; the held rows carry them.
  const fallbackRecipient = row.requested_by ?? ''
  const decided = await db.transaction().execute(async (trx) => {
    // First: the clock, held until commit, so the released objects are added for their audience in
    // commit order; each moved version then gets an instant of its own.
    await holdIntelClock(trx, now)
    const decision = {
      status: 'approved' satisfies ReleaseStatus,
      decided_by: principal.userId,
      decided_at: now.toISOString(),
      reason: reasonOf(valid),
    }
    if (!(await decidePendingRelease(trx, id, decision))) {
      throw conflict('status', 'the release was decided meanwhile')
    }
    // Rows were stored under tightenToTlp(held, own TLP): each such label moves to its twin under
    // the requested label. Labels repeat across TLP levels at or below the import's own TLP.
    const moves = new Map<string, Tlp | null>()
    for (const tlp of [null, ...TLP_LEVELS]) {
      if (tlp === 'red' && fallbackRecipient === '') {
        // Without a user the import refused TLP:RED objects: there are none to move.
        continue
      }
      const from = labelId(tightenToTlp(held, tlp, fallbackRecipient))
      if (!moves.has(from)) {
        moves.set(from, tlp)
      }
    }
    let objectCount = 0
    for (const [fromLabelId, tlp] of moves) {
      const toLabelId = await ensureLabel(trx, tightenToTlp(requested, tlp, fallbackRecipient), now)
      const key = { importId: row.import_id, ownerOrgId: row.org_id, fromLabelId }
      const versions = await findImportedVersions(trx, key)
      const instants = await claimIntelInstants(trx, now, versions.length)
      objectCount += await relabelImportedObjects(trx, { ...key, toLabelId }, versions, (i) => instants.at(i))
    }
    await setReleaseObjectCount(trx, id, objectCount)
    await recordAudit(
      trx,
      principal,
      {
        action: 'intel.released',
        targetType: 'release',
        targetId: id,
        details: {
          importId: row.import_id,
          orgId: row.org_id,
          requestedBy: row.requested_by,
          approvedBy: principal.userId,
          tlp: requested.tlp,
          pap: requested.pap,
          audience: requested.audience,
          sharingGroups: requested.sharingGroups,
          objectCount,
          from: held,
          to: requested,
          ...(decision.reason === null ? {} : { reason: decision.reason }),
        },
      },
      now,
    )
    return { ...row, ...decision, object_count: objectCount }
  })
  return { row: decided, held, requested }
}

/**
 * Rejects a pending release: the objects stay organisation only. Audited as `intel.release_rejected`
 * with the reason, if given.
 */
export async function rejectRelease(
  db: Db,
  principal: UserPrincipal,
  id: string,
  input: DecideReleaseInput,
  now = new Date(),
): Promise<LabelledRelease> {
  const valid = validateInput(DecideReleaseBody, input)
  const release = await getRelease(db, principal, id)
  assertMayDecide(principal, release, 'reject')
  const { held, requested, row } = release
  const decided = await db.transaction().execute(async (trx) => {
    const decision = {
      status: 'rejected' satisfies ReleaseStatus,
      decided_by: principal.userId,
      decided_at: now.toISOString(),
      reason: reasonOf(valid),
    }
    if (!(await decidePendingRelease(trx, id, decision))) {
      throw conflict('status', 'the release was decided meanwhile')
    }
    await recordAudit(
      trx,
      principal,
      {
        action: 'intel.release_rejected',
        targetType: 'release',
        targetId: id,
        details: {
          importId: row.import_id,
          orgId: row.org_id,
          requestedBy: row.requested_by,
          rejectedBy: principal.userId,
          tlp: requested.tlp,
          pap: requested.pap,
          audience: requested.audience,
          sharingGroups: requested.sharingGroups,
          ...(decision.reason === null ? {} : { reason: decision.reason }),
        },
      },
      now,
    )
    return { ...row, ...decision }
  })
  return { row: decided, held, requested }
}
