import { describe, expect, it } from 'vitest'
import { addReferencedIds, withoutHiddenRefs } from './refs.js'
import type { StixObject } from './stix.js'

const AT = '2025-01-01T00:00:00.000Z'
const SECRET = 'indicator--11111111-1111-4111-8111-111111111111'
const SHOWN = 'indicator--22222222-2222-4222-8222-222222222222'
const ADDRESS = 'ipv4-addr--33333333-3333-5333-8333-333333333333'
const TLP_GREEN = 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb'

function report(refs: string[]): StixObject {
  return {
    type: 'report',
    spec_version: '2.1',
    id: 'report--44444444-4444-4444-8444-444444444444',
    created: AT,
    modified: AT,
    name: 'Campaign',
    published: AT,
    object_refs: refs,
    object_marking_refs: [TLP_GREEN],
  }
}

describe('references to what a reader may not see', () => {
  it('finds the ids a stored object may refer to, but not the standard TLP markings', () => {
    const named = new Set<string>()
    const campaign = report([SECRET, SHOWN])
    addReferencedIds(JSON.stringify(campaign), campaign.id, named)
    expect([...named].sort()).toEqual([SECRET, SHOWN].sort())
    const none = new Set<string>()
    addReferencedIds(JSON.stringify({ type: 'ipv4-addr', id: ADDRESS, value: '192.0.2.1' }), ADDRESS, none)
    expect(none.size).toBe(0)
  })

  it('removes hidden members of a list and keeps the object valid while one is left', () => {
    const original = report([SECRET, SHOWN])
    const redaction = withoutHiddenRefs(original, new Set([SECRET]))
    expect(redaction).toMatchObject({ removed: 1, valid: true })
    expect(redaction.object.object_refs).toEqual([SHOWN])
    // The stored object is not changed.
    expect(original.object_refs).toEqual([SECRET, SHOWN])
  })

  it('says when an object is no valid STIX without them', () => {
    const empty = withoutHiddenRefs(report([SECRET]), new Set([SECRET]))
    expect(empty).toMatchObject({ removed: 1, valid: false })
    expect(empty.object).not.toHaveProperty('object_refs')
    const relationship: StixObject = {
      type: 'relationship',
      spec_version: '2.1',
      id: 'relationship--55555555-5555-4555-8555-555555555555',
      created: AT,
      modified: AT,
      relationship_type: 'related-to',
      source_ref: SECRET,
      target_ref: SHOWN,
    }
    const cut = withoutHiddenRefs(relationship, new Set([SECRET]))
    expect(cut).toMatchObject({ removed: 1, valid: false })
    expect(cut.object).not.toHaveProperty('source_ref')
    // An optional reference goes without making the object invalid.
    const noted = withoutHiddenRefs(
      {
        ...relationship,
        source_ref: SHOWN,
        created_by_ref: 'identity--66666666-6666-4666-8666-666666666666',
      },
      new Set(['identity--66666666-6666-4666-8666-666666666666']),
    )
    expect(noted).toMatchObject({ removed: 1, valid: true })
    expect(noted.object).not.toHaveProperty('created_by_ref')
  })

  it('reaches references nested in extensions and leaves an object naming nothing hidden as it is', () => {
    const archive: StixObject = {
      type: 'file',
      spec_version: '2.1',
      id: 'file--77777777-7777-5777-8777-777777777777',
      name: 'bundle.zip',
      extensions: {
        'archive-ext': { contains_refs: [ADDRESS, 'file--88888888-8888-5888-8888-888888888888'] },
      },
    }
    const redaction = withoutHiddenRefs(archive, new Set([ADDRESS]))
    expect(redaction.object.extensions).toEqual({
      'archive-ext': { contains_refs: ['file--88888888-8888-5888-8888-888888888888'] },
    })
    const untouched = report([SHOWN])
    expect(withoutHiddenRefs(untouched, new Set([SECRET])).object).toBe(untouched)
  })
})
