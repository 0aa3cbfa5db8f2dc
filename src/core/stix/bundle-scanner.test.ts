import fc from 'fast-check'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { CORPUS_DIR } from '../../../test/helpers/corpus.js'
import { BundleScanner, NotABundleError } from './bundle-scanner.js'

const CORPUS = CORPUS_DIR

function bundles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name)
    if (statSync(full).isDirectory()) {
      return bundles(full)
    }
    if (!name.endsWith('.json')) {
      return []
    }
    const text = readFileSync(full, 'utf8')
    try {
      const parsed = JSON.parse(text) as { type?: unknown; objects?: unknown }
      return parsed.type === 'bundle' && Array.isArray(parsed.objects) ? [full] : []
    } catch {
      return []
    }
  })
}

/** Scans `text` fed in pieces cut at `cuts`; returns the parsed elements and the header. */
function scanInPieces(text: string, cuts: number[]): { objects: unknown[]; header: Record<string, unknown> } {
  const scanner = new BundleScanner()
  const objects: unknown[] = []
  let from = 0
  for (const cut of [...cuts.filter((c) => c > 0 && c < text.length)]
    .sort((a, b) => a - b)
    .concat(text.length)) {
    for (const element of scanner.push(text.slice(from, cut))) {
      objects.push(JSON.parse(element))
    }
    from = cut
  }
  scanner.finish()
  return { objects, header: scanner.header }
}

describe('BundleScanner', () => {
  const files = bundles(path.join(CORPUS, 'stix21'))

  it('reads every corpus bundle exactly as JSON.parse does, whatever the chunk boundaries', () => {
    expect(files.length).toBeGreaterThan(20)
    for (const file of files) {
      const text = readFileSync(file, 'utf8')
      const { objects, ...header } = JSON.parse(text) as { objects: unknown[] }
      const step = Math.max(1, Math.floor(text.length / 37))
      const cuts = Array.from({ length: 36 }, (_, i) => (i + 1) * step + (i % 3))
      const scanned = scanInPieces(text, cuts)
      expect(scanned.objects, file).toEqual(objects)
      expect(scanned.header, file).toEqual(header)
    }
  })

  it('cuts anywhere: inside strings, escapes, numbers and between objects', () => {
    const bundle = {
      id: 'bundle--1b0cd2f5-1f3e-4a5b-9c7d-0e1f2a3b4c5d',
      objects: [
        { type: 'note', content: 'quote " backslash \\ brace } bracket ] \u00e9 \ud83d\ude00', n: -1.5e3 },
        { type: 'x-thing', list: [[], {}, [1, [2, { a: '\\"' }]]], flag: true, none: null },
        { type: 'ipv4-addr', value: '198.51.100.1' },
      ],
      type: 'bundle',
      spec_version: '2.1',
    }
    const text = JSON.stringify(bundle, null, 1)
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: text.length }), { maxLength: 40 }), (cuts) => {
        const scanned = scanInPieces(text, cuts)
        expect(scanned.objects).toEqual(bundle.objects)
        expect(scanned.header).toEqual({ id: bundle.id, type: 'bundle', spec_version: '2.1' })
      }),
      { numRuns: 500 },
    )
  })

  it('hands out each element as soon as it is complete', () => {
    const scanner = new BundleScanner()
    expect(scanner.push('{"type":"bundle","objects":[{"a":1},{"b"')).toEqual(['{"a":1}'])
    expect(scanner.push(':2}')).toEqual(['{"b":2}'])
    expect(scanner.push(']}')).toEqual([])
    scanner.finish()
    expect(scanner.count).toBe(2)
  })

  it('tells content that is JSON but no bundle (a list, a MISP event) apart from broken JSON', () => {
    expect(() => new BundleScanner().push('[1,2]')).toThrow(NotABundleError)
    expect(() => new BundleScanner().push('{"Event": {"info": "x"}}')).toThrow(NotABundleError)
    expect(() => new BundleScanner().push('{"type":"bundle","x_custom":1,"objects":[]}')).not.toThrow()
  })

  it('refuses what is not a bundle-shaped JSON object, naming where', () => {
    expect(() => new BundleScanner().push('"text"')).toThrow(/not a JSON object \(at character 0\)/)
    expect(() => new BundleScanner().push('{"objects":[{"a":1} {"b":2}]}')).toThrow(/expected "," or "\]"/)
    const truncated = new BundleScanner()
    truncated.push('{"type":"bundle","objects":[{"a":1}')
    expect(() => truncated.finish()).toThrow(/ends before the bundle does/)
    const noObjects = new BundleScanner()
    noObjects.push('{"type":"bundle","id":"bundle--x"}')
    expect(() => noObjects.finish()).toThrow(/no "objects" array/)
    const trailing = new BundleScanner()
    expect(() => trailing.push('{"objects":[]} {')).toThrow(/after the bundle/)
  })
})
