// Display names and colours for the sharing label; the rules themselves come from core (a file without
// TypeBox, so the browser bundle stays small). `Record<…>` makes tsc fail when core gains a value.
import {
  checkLabel,
  TLP_ALLOWED_FOR_AUDIENCE,
  type Audience,
  type LabelProblem,
  type Pap,
  type SharingLabel,
  type Tlp,
} from '../../../src/core/trust/label.js'

export { AUDIENCES, isDowngrade, PAP_LEVELS, TLP_LEVELS } from '../../../src/core/trust/label.js'
export type { Audience, LabelProblem, Pap, SharingLabel, Tlp } from '../../../src/core/trust/label.js'

/** A label as the forms edit it and the API receives it; the owner is always the caller's organisation. */
export interface LabelInput {
  tlp: Tlp
  pap: Pap
  audience: Audience
  /** Sharing group ids; used exactly when `audience` is `group`. */
  sharingGroups: string[]
  /** User ids of the named recipients; used exactly when `tlp` is `red`. */
  recipients: string[]
}

/** A cautious starting point for new items: TLP:AMBER, seen by the caller's organisation only. */
export const DEFAULT_LABEL: LabelInput = {
  tlp: 'amber',
  pap: 'clear',
  audience: 'org',
  sharingGroups: [],
  recipients: [],
}

/** Background of every TLP and PAP badge (FIRST TLP 2.0: coloured text on black). */
export const MARKING_BACKGROUND = '#000000'

/** Text colour of each TLP label (FIRST TLP 2.0, RGB). */
export const TLP_COLOURS: Record<Tlp, string> = {
  clear: '#FFFFFF',
  green: '#33FF00',
  amber: '#FFC000',
  'amber+strict': '#FFC000',
  red: '#FF2B2B',
}

/** Text colour of each PAP label; PAP borrows the TLP palette. */
export const PAP_COLOURS: Record<Pap, string> = {
  clear: '#FFFFFF',
  green: '#33FF00',
  amber: '#FFC000',
  red: '#FF2B2B',
}

/** The label as written in TLP 2.0, e.g. `TLP:AMBER+STRICT`. */
export function tlpText(tlp: Tlp): string {
  return `TLP:${tlp.toUpperCase()}`
}

/** The label as written in PAP, e.g. `PAP:GREEN`. */
export function papText(pap: Pap): string {
  return `PAP:${pap.toUpperCase()}`
}

/** Names of the audiences as the picker offers them. */
export const AUDIENCE_LABELS: Record<Audience, string> = {
  org: 'Organisation only',
  group: 'Sharing groups',
  community: 'Community',
  federation: 'Federation',
  public: 'Public',
}

/** Who each audience reaches, in a few words. */
export const AUDIENCE_DESCRIPTIONS: Record<Audience, string> = {
  org: 'Your organisation only (with TLP:RED: plus the people you name).',
  group: 'Your organisation and the member organisations of the sharing groups you choose.',
  community: 'Every organisation on this instance.',
  federation: 'Every organisation on this instance and on federated instances.',
  public: 'Anyone, without logging in.',
}

/** Why `audience` cannot carry `tlp`, or null when it can (architecture, "The trust rule", rule 1). */
export function audienceBlockedReason(audience: Audience, tlp: Tlp): string | null {
  const allowed = TLP_ALLOWED_FOR_AUDIENCE[audience]
  if (allowed.includes(tlp)) {
    return null
  }
  if (tlp === 'red') {
    return 'Not with TLP:RED: it goes to named people only, under “Organisation only”.'
  }
  return `Not with ${tlpText(tlp)}: ${AUDIENCE_LABELS[audience]} allows ${allowed.map(tlpText).join(' or ')} only.`
}

/** The sharing label an input becomes once the caller's organisation owns it. */
export function toSharingLabel(input: LabelInput, ownerOrgId: string): SharingLabel {
  return { ownerOrg: ownerOrgId, ...input }
}

/** The editable part of an existing label. */
export function labelInputOf(label: SharingLabel): LabelInput {
  return {
    tlp: label.tlp,
    pap: label.pap,
    audience: label.audience,
    sharingGroups: [...label.sharingGroups],
    recipients: [...label.recipients],
  }
}

/** Every sharing rule `input` breaks; a form must not be submitted while there is one. */
export function labelProblems(input: LabelInput, ownerOrgId: string): LabelProblem[] {
  return checkLabel(toSharingLabel(input, ownerOrgId))
}

/** Short audience text for lists: who receives an item with this label. */
export function audienceText(label: Pick<SharingLabel, 'tlp' | 'audience' | 'sharingGroups'>): string {
  if (label.tlp === 'red') {
    return 'Named people'
  }
  return AUDIENCE_LABELS[label.audience]
}
