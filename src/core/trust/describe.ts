import type { SharingLabel } from './label.js'

/** Names to put in words: organisations, groups and people by id. */
export interface LabelNames {
  orgName(id: string): string
  groupName(id: string): string
  personName(id: string): string
}

const TLP_MEANING: Record<SharingLabel['tlp'], string> = {
  clear: 'may be shared without limit',
  green: 'may be shared within the community, not publicly',
  amber: 'may be passed on inside the recipient organisations and to their clients who need to know',
  'amber+strict': 'may be passed on inside the recipient organisations only',
  red: 'is for the named people only and may not be passed on',
}

const PAP_MEANING: Record<SharingLabel['pap'], string> = {
  clear: 'no restriction on actions',
  green: 'active actions allowed (e.g. blocking)',
  amber: 'passive cross-checks only (e.g. look-ups)',
  red: 'non-detectable actions on own data only',
}

/**
 * Says in words who will be able to see an item with this label and what they may do with it.
 *
 * @example
 * describeLabel(label, names) // "Visible to CERT-X and the members of ISAC Energy. TLP:AMBER: may be passed on …"
 */
export function describeLabel(label: SharingLabel, names: LabelNames): string {
  const owner = names.orgName(label.ownerOrg)
  let who: string
  switch (label.audience) {
    case 'public':
      who = 'Visible to anyone, without logging in'
      break
    case 'federation':
      who = 'Visible to every organisation on this instance and on federated instances'
      break
    case 'community':
      who = 'Visible to every organisation on this instance'
      break
    case 'group':
      who = `Visible to ${owner} and the members of ${list(label.sharingGroups.map((g) => names.groupName(g)))}`
      break
    case 'org':
      who =
        label.tlp === 'red'
          ? `Visible to ${owner} and to ${list(label.recipients.map((p) => names.personName(p)))} by name`
          : `Visible to ${owner} only`
      break
  }
  return `${who}. TLP:${label.tlp.toUpperCase()}: ${TLP_MEANING[label.tlp]}. PAP:${label.pap.toUpperCase()}: ${PAP_MEANING[label.pap]}.`
}

function list(items: string[]): string {
  if (items.length === 0) {
    return 'nobody'
  }
  if (items.length === 1) {
    return items[0] ?? ''
  }
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1) ?? ''}`
}
