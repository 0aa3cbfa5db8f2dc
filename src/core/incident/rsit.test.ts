import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { isRsitType, RSIT_CLASSES, rsitMachineTag } from './rsit.js'

const MACHINETAG = path.resolve(
  import.meta.dirname,
  '../../../../shared/corpus/taxonomy/rsit/working_copy/rsit2attck/machinetag.json',
)

interface MachineTag {
  namespace: string
  predicates: { value: string; expanded: string; description?: string }[]
  values: { predicate: string; entry: { value: string; expanded: string; description?: string }[] }[]
}

describe('RSIT vocabulary', () => {
  const tag = JSON.parse(readFileSync(MACHINETAG, 'utf8')) as MachineTag

  it('has exactly the classes and types of the corpus machinetag file, with names and descriptions', () => {
    expect(tag.namespace).toBe('rsit')
    const fromCorpus = tag.predicates.map((p) => ({
      value: p.value,
      name: p.expanded,
      description: p.description ?? '',
      types: (tag.values.find((v) => v.predicate === p.value)?.entry ?? []).map((e) => ({
        value: e.value,
        name: e.expanded,
        description: e.description ?? '',
      })),
    }))
    expect(RSIT_CLASSES).toEqual(fromCorpus)
  })

  it('checks a type against its class', () => {
    expect(isRsitType('malicious-code', 'c2-server')).toBe(true)
    expect(isRsitType('abusive-content', 'c2-server')).toBe(false)
    expect(isRsitType('no-such-class', 'spam')).toBe(false)
    expect(rsitMachineTag('abusive-content', 'spam')).toBe('rsit:abusive-content="spam"')
  })
})
