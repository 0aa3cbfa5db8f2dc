import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AUDIENCES, canSee, checkLabel, TLP_LEVELS, type SharingLabel } from '../trust/label.js'
import { pullVerdict, pushVerdict, receivedLabel, type PushTarget } from './federation.js'
import { PROVENANCE_PROPERTY, Provenance } from './provenance.js'

const A = { id: 'instance-a', name: 'Alpha' }
const B = { id: 'instance-b', name: 'Bravo' }
const C = { id: 'instance-c', name: 'Charlie' }

const peer: PushTarget = {
  viewer: { kind: 'user', userId: 'peer:1', orgId: 'org-peer', groupIds: ['g-in'], peer: true },
  instanceId: B.id,
}

function label(overrides: Partial<SharingLabel>): SharingLabel {
  return {
    ownerOrg: 'org-owner',
    tlp: 'green',
    pap: 'clear',
    audience: 'federation',
    sharingGroups: [],
    recipients: [],
    ...overrides,
  }
}

describe('pushVerdict', () => {
  it.each([
    [
      label({ tlp: 'red', audience: 'org', recipients: ['u'] }),
      'tlp-red-never-leaves',
      'tlp:red never leaves',
    ],
    [label({ tlp: 'amber', audience: 'org' }), 'audience-org-never-leaves', 'audience org never leaves'],
    [
      label({ tlp: 'green', audience: 'community' }),
      'audience-community-stays',
      'audience community stays on this instance',
    ],
    [
      label({ tlp: 'amber+strict', audience: 'group', sharingGroups: ['g-out'] }),
      'amber-strict-not-recipient',
      'amber+strict: peer org not a recipient',
    ],
    [
      label({ tlp: 'amber', audience: 'group', sharingGroups: ['g-out'] }),
      'group-not-member',
      'audience group: peer org not in its sharing groups',
    ],
  ])('keeps %j home under rule %s', (l, rule, reason) => {
    expect(pushVerdict(peer, l, null)).toEqual({ deliver: false, rule, reason })
  })

  it('lets federation, public and the peer organisation’s groups go', () => {
    for (const l of [
      label({ audience: 'federation' }),
      label({ tlp: 'clear', audience: 'public' }),
      label({ tlp: 'amber+strict', audience: 'group', sharingGroups: ['g-in'] }),
      label({ tlp: 'amber', audience: 'group', sharingGroups: ['g-out', 'g-in'] }),
    ]) {
      expect(pushVerdict(peer, l, null)).toEqual({ deliver: true })
    }
  })

  it('never sends an object to an instance it has been on', () => {
    const fromB = { originInstance: B, originOrg: 'CERT-B', hops: [B] }
    const viaB = { originInstance: C, originOrg: 'CERT-C', hops: [C, B] }
    const elsewhere = { originInstance: C, originOrg: 'CERT-C', hops: [C] }
    expect(pushVerdict(peer, label({}), fromB)).toMatchObject({ deliver: false, rule: 'loop' })
    expect(pushVerdict(peer, label({}), viaB)).toMatchObject({ deliver: false, rule: 'loop' })
    expect(pushVerdict(peer, label({}), elsewhere)).toEqual({ deliver: true })
  })

  it('never passes on TLP:AMBER+STRICT that came from elsewhere, even to a recipient organisation', () => {
    const strict = label({ tlp: 'amber+strict', audience: 'group', sharingGroups: ['g-in'] })
    const received = { originInstance: C, originOrg: 'CERT-C', hops: [C] }
    expect(pushVerdict(peer, strict, Provenance.local(A, 'CERT-A'))).toEqual({ deliver: true })
    expect(pushVerdict(peer, strict, received)).toEqual({
      deliver: false,
      rule: 'amber-strict-no-onward-sharing',
      reason: 'amber+strict: received from elsewhere, never passed on',
    })
    expect(pushVerdict(peer, { ...strict, tlp: 'amber' }, received)).toEqual({ deliver: true })
  })

  it('sends nothing the peer organisation could not see on this instance (property)', () => {
    const labels = fc.record({
      ownerOrg: fc.constantFrom('org-owner', 'org-peer'),
      tlp: fc.constantFrom(...TLP_LEVELS),
      pap: fc.constant('clear' as const),
      audience: fc.constantFrom(...AUDIENCES),
      sharingGroups: fc.subarray(['g-in', 'g-out'], { minLength: 1 }),
      recipients: fc.subarray(['u-1', 'peer:1'], { minLength: 1 }),
    })
    fc.assert(
      fc.property(labels, (raw) => {
        const l: SharingLabel = {
          ...raw,
          sharingGroups: raw.audience === 'group' ? raw.sharingGroups : [],
          recipients: raw.tlp === 'red' ? raw.recipients : [],
        }
        fc.pre(checkLabel(l).length === 0)
        const verdict = pushVerdict(peer, l, null)
        if (verdict.deliver) {
          expect(canSee(peer.viewer, l)).toBe(true)
          expect(l.tlp).not.toBe('red')
          expect(['org', 'community']).not.toContain(l.audience)
        }
      }),
    )
  })
})

describe('pullVerdict', () => {
  it('refuses a loop and TLP:RED, keeps the rest', () => {
    expect(pullVerdict(A.id, 'green', { originInstance: A, originOrg: 'x', hops: [A, B] })).toMatchObject({
      deliver: false,
      rule: 'loop',
      reason: 'loop: this instance already in hops',
    })
    expect(pullVerdict(A.id, 'red', null)).toMatchObject({ deliver: false, rule: 'tlp-red-never-leaves' })
    expect(pullVerdict(A.id, 'amber', { originInstance: B, originOrg: 'x', hops: [B] })).toEqual({
      deliver: true,
    })
  })
})

describe('Provenance', () => {
  it('adds the sending instance to the hops once, and reads back what it wrote', () => {
    const local = Provenance.local(A, 'CERT-A')
    const wire = Provenance.toWire(local, A)
    expect(wire).toEqual({ origin_instance: A, origin_org: 'CERT-A', hops: [A] })
    const atB = Provenance.parse(wire)
    expect(atB).toEqual({ originInstance: A, originOrg: 'CERT-A', hops: [A] })
    if (atB === null) {
      return
    }
    expect(Provenance.toWire(atB, B)).toEqual({ origin_instance: A, origin_org: 'CERT-A', hops: [A, B] })
    expect(Provenance.describe({ ...atB, hops: [A, B] })).toBe('Alpha → Bravo')
    expect(Provenance.passedThrough(atB, A.id)).toBe(true)
    expect(Provenance.passedThrough(atB, C.id)).toBe(false)
  })

  it('ignores a malformed value whole, and strips the property from an object', () => {
    for (const bad of [
      null,
      'x',
      [],
      { origin_instance: 'a' },
      { origin_instance: A, origin_org: 1, hops: [] },
    ]) {
      expect(Provenance.parse(bad)).toBeNull()
    }
    expect(Provenance.parse({ origin_instance: A, origin_org: 'o', hops: [A, { id: 7 }] })).toBeNull()
    const carrying = {
      id: 'x--1',
      type: 'x',
      [PROVENANCE_PROPERTY]: Provenance.toWire(Provenance.local(A, 'o'), A),
    }
    const { object, provenance } = Provenance.strip(carrying)
    expect(object).toEqual({ id: 'x--1', type: 'x' })
    expect(provenance?.originInstance).toEqual(A)
    const plain = { id: 'x--2', type: 'x' }
    expect(Provenance.strip(plain)).toEqual({ object: plain, provenance: null })
  })
})

describe('Provenance.received', () => {
  const fromB: Provenance = { originInstance: B, originOrg: 'CERT-B', hops: [B] }

  it('takes the sender as origin when the object carries nothing', () => {
    expect(Provenance.received(null, fromB)).toEqual(fromB)
  })

  it('keeps a relayed route that ends with the sender, and puts the sender last when it left itself off', () => {
    const relayed: Provenance = { originInstance: A, originOrg: 'CERT-A', hops: [A, B] }
    expect(Provenance.received(relayed, fromB)).toEqual(relayed)
    // B claims A made it and sent it straight here: B still passed it on.
    const hidden: Provenance = { originInstance: A, originOrg: 'CERT-A', hops: [A] }
    expect(Provenance.received(hidden, fromB)).toEqual({
      originInstance: A,
      originOrg: 'CERT-A',
      hops: [A, B],
    })
    expect(Provenance.received({ ...hidden, hops: [] }, fromB).hops).toEqual([B])
  })
})

describe('receivedLabel', () => {
  const group = label({ tlp: 'green', audience: 'group', sharingGroups: ['g-1'] })
  it('tightens like any import, and keeps TLP:AMBER+STRICT with the receiving organisation', () => {
    expect(receivedLabel(group, null, 'u')).toEqual(group)
    expect(receivedLabel(group, 'amber', 'u')).toEqual({ ...group, tlp: 'amber' })
    expect(receivedLabel(group, 'amber+strict', 'u')).toEqual({
      ...group,
      tlp: 'amber+strict',
      audience: 'org',
      sharingGroups: [],
    })
    const strictGroup = { ...group, tlp: 'amber+strict' as const }
    expect(receivedLabel(strictGroup, null, 'u')).toMatchObject({ audience: 'org', sharingGroups: [] })
    expect(checkLabel(receivedLabel(strictGroup, null, 'u'))).toEqual([])
  })
})
