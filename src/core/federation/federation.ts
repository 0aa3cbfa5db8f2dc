// What may leave this instance for a federated peer, and what a pull may keep: pure rules on the
// sharing label, the one visibility rule (`canSee`) and the provenance of an object. No I/O.

import { canSee, tightenToTlp, type SharingLabel, type Tlp, type Viewer } from '../trust/label.js'
import { Provenance } from './provenance.js'

/** Outcomes of a delivery receipt. */
export const RECEIPT_STATUSES = ['sent', 'accepted', 'rejected', 'filtered'] as const
/** One of {@link RECEIPT_STATUSES}. */
export type ReceiptStatus = (typeof RECEIPT_STATUSES)[number]

/**
 * Directions of federation traffic: `push` (this instance sent it to the peer), `pull` (this
 * instance read it from the peer), `serve` (the peer read it from this instance's TAXII server).
 */
export const DIRECTIONS = ['push', 'pull', 'serve'] as const
/** One of {@link DIRECTIONS}. */
export type Direction = (typeof DIRECTIONS)[number]

/** What a receipt is about: an object version, or the deletion of one. */
export const RECEIPT_ACTIONS = ['object', 'delete'] as const
/** One of {@link RECEIPT_ACTIONS}. */
export type ReceiptAction = (typeof RECEIPT_ACTIONS)[number]

/** The named rules that keep an item home or refuse it; each receipt that is not delivered names one. */
export type FederationRule =
  | 'tlp-red-never-leaves'
  | 'audience-org-never-leaves'
  | 'audience-community-stays'
  | 'amber-strict-not-recipient'
  | 'amber-strict-no-onward-sharing'
  | 'group-not-member'
  | 'loop'
  | 'expired'
  | 'references-not-visible'
  | 'invalid'
  | 'peer-refused'

/** The decision on one item: deliver it, or not, with the rule and the reason in words. */
export type Verdict =
  | { readonly deliver: true }
  | { readonly deliver: false; readonly rule: FederationRule; readonly reason: string }

/** A peer as the push rule sees it. */
export interface PushTarget {
  /**
   * The local organisation that stands for the peer, as a viewer (no user: TLP:RED names people,
   * and no person of the peer is named here).
   */
  readonly viewer: Extract<Viewer, { kind: 'user' }>
  /** The peer's instance id (learnt from it, or a stand-in for other TAXII servers). */
  readonly instanceId: string
}

/**
 * May an item labelled `label`, with `provenance` (null: made here), be pushed to `peer`? The steps,
 * in order:
 * 1. TLP:RED never leaves the instance (it is for named people here).
 * 2. Audience `org` never leaves (organisation only).
 * 3. Audience `community` stays on this instance; `federation` and `public` are what peers get.
 * 4. Otherwise the visibility rule decides for the peer's organisation: a `group` item goes only
 *    when that organisation is in one of its sharing groups (for TLP:AMBER+STRICT: is a recipient).
 * 5. TLP:AMBER+STRICT that came from elsewhere is never passed on (no onward sharing: its
 *    recipients were chosen where it was made).
 * 6. An item never goes back to an instance it has already been on (loops).
 *
 * @example
 * pushVerdict({ viewer, instanceId }, { ...label, tlp: 'red' }, null)
 * // { deliver: false, rule: 'tlp-red-never-leaves', reason: 'tlp:red never leaves' }
 */
export function pushVerdict(peer: PushTarget, label: SharingLabel, provenance: Provenance | null): Verdict {
  if (label.tlp === 'red') {
    return refuse('tlp-red-never-leaves', 'tlp:red never leaves')
  }
  if (label.audience === 'org') {
    return refuse('audience-org-never-leaves', 'audience org never leaves')
  }
  if (label.audience === 'community') {
    return refuse('audience-community-stays', 'audience community stays on this instance')
  }
  if (!canSee(peer.viewer, label)) {
    return label.tlp === 'amber+strict'
      ? refuse('amber-strict-not-recipient', 'amber+strict: peer org not a recipient')
      : refuse('group-not-member', 'audience group: peer org not in its sharing groups')
  }
  if (label.tlp === 'amber+strict' && provenance !== null && provenance.hops.length > 0) {
    return refuse('amber-strict-no-onward-sharing', 'amber+strict: received from elsewhere, never passed on')
  }
  if (provenance !== null && Provenance.passedThrough(provenance, peer.instanceId)) {
    return refuse('loop', 'loop: peer already in hops')
  }
  return { deliver: true }
}

/**
 * The label of an object received from a peer: the receiving label, made stricter by the object's
 * own TLP marking as any import does, and kept for the receiving organisation alone when that
 * makes it TLP:AMBER+STRICT (TLP 2.0: recipients share it with members of their own organisation
 * only, so not with a sharing group here, nor onward).
 *
 * @example
 * receivedLabel({ ...groupLabel, tlp: 'amber' }, 'amber+strict', userId)
 * // { ...groupLabel, tlp: 'amber+strict', audience: 'org', sharingGroups: [] }
 */
export function receivedLabel(label: SharingLabel, tlp: Tlp | null, fallbackRecipient: string): SharingLabel {
  const stricter = tightenToTlp(label, tlp, fallbackRecipient)
  return stricter.tlp === 'amber+strict' && stricter.audience !== 'org'
    ? { ...stricter, audience: 'org', sharingGroups: [] }
    : stricter
}

/**
 * May a pulled object be kept here? Not when it has already been on this instance (a loop), and not
 * when it is TLP:RED (red is for named people on one instance; a peer should never send it).
 */
export function pullVerdict(
  selfInstanceId: string,
  tlp: string | null,
  provenance: Provenance | null,
): Verdict {
  if (provenance !== null && Provenance.passedThrough(provenance, selfInstanceId)) {
    return refuse('loop', 'loop: this instance already in hops')
  }
  if (tlp === 'red') {
    return refuse('tlp-red-never-leaves', 'tlp:red never leaves its instance: not stored')
  }
  return { deliver: true }
}

function refuse(rule: FederationRule, reason: string): Verdict {
  return { deliver: false, rule, reason }
}
