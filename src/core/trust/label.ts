// Plain values and rules only (no TypeBox): the web UI's label picker imports this file.

/** TLP 2.0 levels, least to most restrictive. */
export const TLP_LEVELS = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const
/** One of {@link TLP_LEVELS}. */
export type Tlp = (typeof TLP_LEVELS)[number]

/** PAP levels, least to most restrictive. */
export const PAP_LEVELS = ['clear', 'green', 'amber', 'red'] as const
/** One of {@link PAP_LEVELS}. */
export type Pap = (typeof PAP_LEVELS)[number]

/** Who receives a record on this instance, narrowest first. */
export const AUDIENCES = ['org', 'group', 'community', 'federation', 'public'] as const
/** One of {@link AUDIENCES}. */
export type Audience = (typeof AUDIENCES)[number]

/**
 * The sharing label every shareable record carries: who owns it, how it may be passed on (TLP), what
 * may be done with it (PAP), and who receives it (audience, sharing groups, named recipients).
 */
export interface SharingLabel {
  /** Organisation that created the record; its members always see it. */
  readonly ownerOrg: string
  readonly tlp: Tlp
  readonly pap: Pap
  readonly audience: Audience
  /** Sharing group ids; one or more exactly when `audience` is `group`. */
  readonly sharingGroups: readonly string[]
  /** User ids of the named recipients; one or more exactly when `tlp` is `red`. */
  readonly recipients: readonly string[]
}

/** Companion helpers for {@link Tlp}. */
export const Tlp = {
  /** True when `value` is a TLP 2.0 level. */
  is(value: unknown): value is Tlp {
    return typeof value === 'string' && (TLP_LEVELS as readonly string[]).includes(value)
  },
  /** 0 (clear) … 4 (red). */
  rank(tlp: Tlp): number {
    return TLP_LEVELS.indexOf(tlp)
  },
}

/** Companion helpers for {@link Pap}. */
export const Pap = {
  /** True when `value` is a PAP level. */
  is(value: unknown): value is Pap {
    return typeof value === 'string' && (PAP_LEVELS as readonly string[]).includes(value)
  },
  /** 0 (clear) … 3 (red). */
  rank(pap: Pap): number {
    return PAP_LEVELS.indexOf(pap)
  },
}

/** Companion helpers for {@link Audience}. */
export const Audience = {
  /** True when `value` is an audience. */
  is(value: unknown): value is Audience {
    return typeof value === 'string' && (AUDIENCES as readonly string[]).includes(value)
  },
  /** 0 (org, narrowest) … 4 (public, widest). */
  breadth(audience: Audience): number {
    return AUDIENCES.indexOf(audience)
  },
}

/** TLP levels each audience allows (architecture, "The trust rule", rule 1). */
export const TLP_ALLOWED_FOR_AUDIENCE: Readonly<Record<Audience, readonly Tlp[]>> = {
  public: ['clear'],
  community: ['clear', 'green'],
  federation: ['clear', 'green'],
  group: ['clear', 'green', 'amber', 'amber+strict'],
  org: ['clear', 'green', 'amber', 'amber+strict', 'red'],
}

/** The named rules a label can break; each appears in the 400 that rejects it. */
export type LabelRule =
  | 'public-needs-clear'
  | 'community-needs-clear-or-green'
  | 'amber-strict-stays-with-recipients'
  | 'red-needs-named-recipients'
  | 'red-is-for-named-recipients-only'
  | 'recipients-only-for-red'
  | 'group-needs-sharing-groups'
  | 'sharing-groups-only-for-group'

/** One broken rule: which, which field, and why in words. */
export interface LabelProblem {
  readonly rule: LabelRule
  readonly field: 'tlp' | 'audience' | 'sharingGroups' | 'recipients'
  readonly message: string
}

/**
 * Every rule a label breaks (empty when it is valid). The rules are those of TLP 2.0 as the
 * architecture maps them onto audiences.
 *
 * @example
 * checkLabel({ ownerOrg: o, tlp: 'amber', pap: 'green', audience: 'public', sharingGroups: [], recipients: [] })
 * // [{ rule: 'public-needs-clear', field: 'tlp', … }]
 */
export function checkLabel(label: SharingLabel): LabelProblem[] {
  const problems: LabelProblem[] = []
  const { tlp, audience } = label
  if (audience === 'public' && tlp !== 'clear') {
    problems.push({
      rule: 'public-needs-clear',
      field: 'tlp',
      message: `audience public needs TLP:CLEAR, not TLP:${tlp.toUpperCase()}`,
    })
  }
  if ((audience === 'community' || audience === 'federation') && tlp !== 'clear' && tlp !== 'green') {
    if (tlp === 'amber+strict') {
      problems.push({
        rule: 'amber-strict-stays-with-recipients',
        field: 'audience',
        message: `TLP:AMBER+STRICT stays within the recipient organisations: audience must be org or group, not ${audience}`,
      })
    } else {
      problems.push({
        rule: 'community-needs-clear-or-green',
        field: 'tlp',
        message: `audience ${audience} allows TLP:CLEAR or TLP:GREEN, not TLP:${tlp.toUpperCase()}`,
      })
    }
  }
  if (tlp === 'red' && label.recipients.length === 0) {
    problems.push({
      rule: 'red-needs-named-recipients',
      field: 'recipients',
      message: 'TLP:RED needs at least one named recipient',
    })
  }
  if (tlp === 'red' && audience !== 'org') {
    problems.push({
      rule: 'red-is-for-named-recipients-only',
      field: 'audience',
      message: `TLP:RED goes to the named recipients only: audience must be org, not ${audience}`,
    })
  }
  if (tlp !== 'red' && label.recipients.length > 0) {
    problems.push({
      rule: 'recipients-only-for-red',
      field: 'recipients',
      message: 'named recipients are only for TLP:RED; use audience org or group for the others',
    })
  }
  if (audience === 'group' && label.sharingGroups.length === 0) {
    problems.push({
      rule: 'group-needs-sharing-groups',
      field: 'sharingGroups',
      message: 'audience group needs at least one sharing group',
    })
  }
  if (audience !== 'group' && label.sharingGroups.length > 0) {
    problems.push({
      rule: 'sharing-groups-only-for-group',
      field: 'sharingGroups',
      message: `sharing groups apply only to audience group, not ${audience}`,
    })
  }
  return problems
}

/** A label with its lists de-duplicated and sorted, so equal labels compare equal. */
export function normaliseLabel(label: SharingLabel): SharingLabel {
  return {
    ownerOrg: label.ownerOrg,
    tlp: label.tlp,
    pap: label.pap,
    audience: label.audience,
    sharingGroups: [...new Set(label.sharingGroups)].sort(),
    recipients: [...new Set(label.recipients)].sort(),
  }
}

/** Who is looking: a logged-in user (with the sharing groups of their organisation), or anyone. */
export type Viewer =
  | {
      readonly kind: 'user'
      readonly userId: string
      readonly orgId: string
      /** Sharing groups the user's organisation belongs to. */
      readonly groupIds: readonly string[]
      /**
       * The user's organisation stands for a federated peer instance: it is outside this instance's
       * community, so it sees `federation` records but not `community` ones.
       */
      readonly peer: boolean
    }
  | { readonly kind: 'anonymous' }

/**
 * The one visibility rule: may `viewer` see a record labelled `label`? Its SQL twin is
 * `visibleLabelIds` in src/server/modules/trust/trust.sql.ts; a property test keeps the two equal.
 * There is no bypass, not for instance admins either.
 */
export function canSee(viewer: Viewer, label: SharingLabel): boolean {
  // 1. Public records are for anyone, logged in or not (their TLP is always CLEAR).
  if (label.audience === 'public') {
    return true
  }
  // 2. Everything else needs a logged-in user of this instance.
  if (viewer.kind !== 'user') {
    return false
  }
  // 3. The owner organisation always sees its own records.
  if (label.ownerOrg === viewer.orgId) {
    return true
  }
  // 4. TLP:RED goes to the named individuals and nobody else, and never off this instance: not to
  //    a user of an organisation that stands for a peer (a TAXII client of that peer), named or not.
  if (label.tlp === 'red') {
    return viewer.peer !== true && label.recipients.includes(viewer.userId)
  }
  switch (label.audience) {
    // 5. Organisation-only records stay with the owner.
    case 'org':
      return false
    // 6. Group records reach the member organisations of any of their groups.
    case 'group':
      return label.sharingGroups.some((g) => viewer.groupIds.includes(g))
    // 7. Community records reach every organisation of this instance, federation records its peers
    //    too; an organisation that stands for a peer instance is not of this community.
    case 'community':
      return viewer.peer !== true
    case 'federation':
      return true
  }
}

/**
 * True when going from `from` to `to` lets more people see the record, or do more with it: that is
 * a downgrade, which must be deliberate (a reason) and is audited on its own.
 */
export function isDowngrade(from: SharingLabel, to: SharingLabel): boolean {
  if (Tlp.rank(to.tlp) < Tlp.rank(from.tlp) || Pap.rank(to.pap) < Pap.rank(from.pap)) {
    return true
  }
  if (Audience.breadth(to.audience) > Audience.breadth(from.audience) || to.ownerOrg !== from.ownerOrg) {
    return true
  }
  // New groups or recipients widen the record only when it was not already visible community-wide.
  if (Audience.breadth(from.audience) >= Audience.breadth('community')) {
    return false
  }
  if (to.audience === 'group' && to.sharingGroups.some((g) => !from.sharingGroups.includes(g))) {
    return true
  }
  return to.tlp === 'red' && to.recipients.some((r) => !from.recipients.includes(r))
}

/** Raised when data cannot be derived from its sources without breaking one of their labels. */
export class DeriveError extends Error {
  readonly rule = 'red-is-not-redistributed'
  constructor(message: string) {
    super(message)
    this.name = 'DeriveError'
  }
}

/**
 * The label of data that `deriver` derives from several sources (a copy, an export, a merge): the
 * strictest of them all, owned by the deriver's organisation, so that whoever may see the result may
 * also see every source. Groups narrow to those all group-shared sources have in common (none left:
 * organisation only); red recipients to those every red source names and who may see every source
 * (`viewerOf` tells who a user is). TLP:RED of another organisation cannot be redistributed at all.
 */
export function strictestLabel(
  deriver: { readonly userId: string; readonly orgId: string },
  sources: readonly SharingLabel[],
  viewerOf: (userId: string) => Viewer,
): SharingLabel {
  const foreignRed = sources.find((s) => s.tlp === 'red' && s.ownerOrg !== deriver.orgId)
  if (foreignRed !== undefined) {
    throw new DeriveError('TLP:RED received from another organisation may not be copied or passed on')
  }
  const tlp = TLP_LEVELS[Math.max(0, ...sources.map((s) => Tlp.rank(s.tlp)))] ?? 'clear'
  const pap = PAP_LEVELS[Math.max(0, ...sources.map((s) => Pap.rank(s.pap)))] ?? 'clear'
  // Each source is valid, so the highest TLP fits the narrowest audience: narrower audiences allow more.
  let audience: Audience =
    AUDIENCES[Math.min(4, ...sources.map((s) => Audience.breadth(s.audience)))] ?? 'org'
  let sharingGroups: string[] = []
  let recipients: string[] = []
  if (tlp === 'red') {
    audience = 'org'
    const named = intersect(sources.filter((s) => s.tlp === 'red').map((s) => s.recipients))
    recipients = named.filter((userId) => sources.every((s) => canSee(viewerOf(userId), s)))
    if (recipients.length === 0) {
      recipients = [deriver.userId]
    }
  } else if (audience === 'group') {
    sharingGroups = intersect(sources.filter((s) => s.audience === 'group').map((s) => s.sharingGroups))
    if (sharingGroups.length === 0) {
      audience = 'org'
    }
  }
  return normaliseLabel({ ownerOrg: deriver.orgId, tlp, pap, audience, sharingGroups, recipients })
}

function intersect(lists: readonly (readonly string[])[]): string[] {
  const [first, ...rest] = lists
  if (first === undefined) {
    return []
  }
  return first.filter((item) => rest.every((list) => list.includes(item)))
}

/**
 * The label of one object of an import: the import's label, made strict enough for the object's own
 * TLP marking when that is stricter. The audience narrows to fit the TLP (group stays group when it
 * fits, else organisation only); TLP:RED goes to `fallbackRecipient` (the importer) unless the import
 * already named recipients.
 */
export function tightenToTlp(label: SharingLabel, tlp: Tlp | null, fallbackRecipient: string): SharingLabel {
  if (tlp === null || Tlp.rank(tlp) <= Tlp.rank(label.tlp)) {
    return label
  }
  if (tlp === 'red') {
    return normaliseLabel({
      ...label,
      tlp,
      audience: 'org',
      sharingGroups: [],
      recipients: label.recipients.length > 0 ? label.recipients : [fallbackRecipient],
    })
  }
  if (TLP_ALLOWED_FOR_AUDIENCE[label.audience].includes(tlp)) {
    return normaliseLabel({ ...label, tlp })
  }
  return normaliseLabel({ ...label, tlp, audience: 'org', sharingGroups: [] })
}
