import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  AUDIENCES,
  canSee,
  checkLabel,
  DeriveError,
  isDowngrade,
  PAP_LEVELS,
  strictestLabel,
  TLP_ALLOWED_FOR_AUDIENCE,
  TLP_LEVELS,
  tightenToTlp,
  type SharingLabel,
  type Tlp,
  type Viewer,
} from './label.js'

const ORGS = ['org-a', 'org-b', 'org-c', 'org-d']
const GROUPS = ['g-1', 'g-2', 'g-3']
/** Users and their organisations. */
const USERS: Record<string, string> = { u1: 'org-a', u2: 'org-a', u3: 'org-b', u4: 'org-c', u5: 'org-d' }
/** Which groups each organisation belongs to. */
const MEMBERSHIP: Record<string, string[]> = {
  'org-a': ['g-1'],
  'org-b': ['g-1', 'g-2'],
  'org-c': ['g-3'],
  'org-d': [],
}

function viewerOf(userId: string): Viewer {
  const orgId = USERS[userId] ?? 'org-x'
  return { kind: 'user', userId, orgId, groupIds: MEMBERSHIP[orgId] ?? [], peer: false }
}

const viewerArb: fc.Arbitrary<Viewer> = fc.oneof(
  fc.constant<Viewer>({ kind: 'anonymous' }),
  fc.constantFrom(...Object.keys(USERS)).map(viewerOf),
)

/** Any label the rules accept. */
const validLabelArb: fc.Arbitrary<SharingLabel> = fc
  .record({
    ownerOrg: fc.constantFrom(...ORGS),
    audience: fc.constantFrom(...AUDIENCES),
    pap: fc.constantFrom(...PAP_LEVELS),
    tlpPick: fc.nat(),
    groups: fc.uniqueArray(fc.constantFrom(...GROUPS), { minLength: 1 }),
    recipients: fc.uniqueArray(fc.constantFrom(...Object.keys(USERS)), { minLength: 1 }),
  })
  .map(({ ownerOrg, audience, pap, tlpPick, groups, recipients }) => {
    const allowed = TLP_ALLOWED_FOR_AUDIENCE[audience]
    const tlp = allowed[tlpPick % allowed.length] ?? 'clear'
    return {
      ownerOrg,
      tlp,
      pap,
      audience,
      sharingGroups: audience === 'group' ? groups : [],
      recipients: tlp === 'red' ? recipients : [],
    }
  })

const base: SharingLabel = {
  ownerOrg: 'org-a',
  tlp: 'green',
  pap: 'green',
  audience: 'community',
  sharingGroups: [],
  recipients: [],
}

describe('checkLabel', () => {
  it('accepts every combination the TLP table allows', () => {
    fc.assert(fc.property(validLabelArb, (label) => checkLabel(label).length === 0))
  })

  it.each<[Partial<SharingLabel>, string, string]>([
    [{ audience: 'public', tlp: 'green' }, 'public-needs-clear', 'tlp'],
    [{ audience: 'community', tlp: 'amber' }, 'community-needs-clear-or-green', 'tlp'],
    [{ audience: 'federation', tlp: 'amber+strict' }, 'amber-strict-stays-with-recipients', 'audience'],
    [{ audience: 'org', tlp: 'red' }, 'red-needs-named-recipients', 'recipients'],
    [
      { audience: 'group', tlp: 'red', sharingGroups: ['g-1'], recipients: ['u3'] },
      'red-is-for-named-recipients-only',
      'audience',
    ],
    [{ audience: 'org', tlp: 'amber', recipients: ['u3'] }, 'recipients-only-for-red', 'recipients'],
    [{ audience: 'group', tlp: 'amber' }, 'group-needs-sharing-groups', 'sharingGroups'],
    [{ audience: 'community', sharingGroups: ['g-1'] }, 'sharing-groups-only-for-group', 'sharingGroups'],
  ])('rejects %j naming rule %s', (change, rule, field) => {
    const problems = checkLabel({ ...base, ...change })
    expect(problems.map((p) => p.rule)).toContain(rule)
    expect(problems.find((p) => p.rule === rule)?.field).toBe(field)
  })
})

describe('canSee', () => {
  it('shows public records to anyone and nothing else to anonymous callers', () => {
    fc.assert(
      fc.property(
        validLabelArb,
        (label) => canSee({ kind: 'anonymous' }, label) === (label.audience === 'public'),
      ),
    )
  })

  it('always shows a record to its owner organisation', () => {
    fc.assert(
      fc.property(validLabelArb, fc.constantFrom(...Object.keys(USERS)), (label, userId) => {
        const viewer = viewerOf(userId)
        fc.pre(viewer.kind === 'user' && viewer.orgId === label.ownerOrg)
        return canSee(viewer, label)
      }),
    )
  })

  it('shows TLP:RED only to the owner organisation and the named recipients', () => {
    const red: SharingLabel = { ...base, tlp: 'red', audience: 'org', recipients: ['u4'] }
    expect(canSee(viewerOf('u1'), red)).toBe(true)
    expect(canSee(viewerOf('u4'), red)).toBe(true)
    expect(canSee(viewerOf('u3'), red)).toBe(false)
    expect(canSee(viewerOf('u5'), red)).toBe(false)
    // Never off the instance: a named user of an organisation that stands for a peer sees nothing.
    expect(canSee({ ...viewerOf('u4'), peer: true } as Viewer, red)).toBe(false)
  })

  it('shows group records to member organisations of any of the groups only', () => {
    const label: SharingLabel = {
      ...base,
      ownerOrg: 'org-d',
      tlp: 'amber',
      audience: 'group',
      sharingGroups: ['g-2', 'g-3'],
    }
    expect(canSee(viewerOf('u1'), label)).toBe(false)
    expect(canSee(viewerOf('u3'), label)).toBe(true)
    expect(canSee(viewerOf('u4'), label)).toBe(true)
    expect(canSee(viewerOf('u5'), label)).toBe(true)
  })

  it('keeps community records from an organisation that stands for a peer instance, not federation ones', () => {
    const peer: Viewer = { kind: 'user', userId: 'u3', orgId: 'org-b', groupIds: ['g-1', 'g-2'], peer: true }
    expect(canSee(viewerOf('u3'), base)).toBe(true)
    expect(canSee(peer, base)).toBe(false)
    expect(canSee(peer, { ...base, audience: 'federation' })).toBe(true)
    expect(canSee(peer, { ...base, audience: 'public', tlp: 'clear' })).toBe(true)
    // What the peer organisation owns, and its groups, stay its own.
    expect(canSee(peer, { ...base, ownerOrg: 'org-b' })).toBe(true)
    expect(canSee(peer, { ...base, tlp: 'amber', audience: 'group', sharingGroups: ['g-2'] })).toBe(true)
  })
})

describe('isDowngrade', () => {
  it('flags every change that lets someone new see the record', () => {
    fc.assert(
      fc.property(validLabelArb, validLabelArb, viewerArb, (from, to, viewer) => {
        if (!isDowngrade(from, to) && canSee(viewer, to)) {
          return canSee(viewer, from)
        }
        return true
      }),
      { numRuns: 5000 },
    )
  })

  it('does not flag tightening', () => {
    expect(isDowngrade(base, { ...base, tlp: 'amber', audience: 'group', sharingGroups: ['g-1'] })).toBe(
      false,
    )
    expect(
      isDowngrade({ ...base, tlp: 'amber', audience: 'org' }, { ...base, tlp: 'green', audience: 'org' }),
    ).toBe(true)
  })
})

describe('strictestLabel', () => {
  it('never lets anyone see derived data who could not see every source', () => {
    fc.assert(
      fc.property(
        fc.array(validLabelArb, { minLength: 1, maxLength: 4 }),
        fc.constantFrom(...Object.keys(USERS)),
        viewerArb,
        (sources, deriverId, viewer) => {
          const deriver = viewerOf(deriverId)
          fc.pre(deriver.kind === 'user' && sources.every((s) => canSee(deriver, s)))
          if (deriver.kind !== 'user') {
            return true
          }
          let derived: SharingLabel
          try {
            derived = strictestLabel(deriver, sources, viewerOf)
          } catch (error) {
            return (
              error instanceof DeriveError &&
              sources.some((s) => s.tlp === 'red' && s.ownerOrg !== deriver.orgId)
            )
          }
          expect(checkLabel(derived)).toEqual([])
          expect(canSee(deriver, derived)).toBe(true)
          if (canSee(viewer, derived)) {
            expect(sources.every((s) => canSee(viewer, s))).toBe(true)
          }
          return true
        },
      ),
      { numRuns: 5000 },
    )
  })
})

describe('tightenToTlp', () => {
  it('raises the TLP to the object marking and never lets anyone new see the object', () => {
    fc.assert(
      fc.property(
        validLabelArb,
        fc.constantFrom<Tlp | null>('clear', 'green', 'amber', 'amber+strict', 'red', null),
        viewerArb,
        (label, tlp, viewer) => {
          const tightened = tightenToTlp(label, tlp, 'u1')
          expect(checkLabel(tightened)).toEqual([])
          if (tlp !== null) {
            expect(TLP_LEVELS.indexOf(tightened.tlp)).toBeGreaterThanOrEqual(TLP_LEVELS.indexOf(tlp))
          }
          // Only the importer, named as the red recipient, may gain sight of it.
          if (canSee(viewer, tightened) && !(viewer.kind === 'user' && viewer.userId === 'u1')) {
            expect(canSee(viewer, label)).toBe(true)
          }
          return true
        },
      ),
      { numRuns: 3000 },
    )
  })

  it('keeps a group audience when the stricter TLP still fits it', () => {
    const group: SharingLabel = { ...base, tlp: 'green', audience: 'group', sharingGroups: ['g-1'] }
    expect(tightenToTlp(group, 'amber', 'u1')).toMatchObject({
      tlp: 'amber',
      audience: 'group',
      sharingGroups: ['g-1'],
    })
    expect(tightenToTlp(base, 'amber', 'u1')).toMatchObject({ tlp: 'amber', audience: 'org' })
    expect(tightenToTlp(base, 'red', 'u1')).toMatchObject({ tlp: 'red', audience: 'org', recipients: ['u1'] })
  })
})
