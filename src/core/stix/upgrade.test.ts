import { CORPUS_DIR } from '../../../test/helpers/corpus.js'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { deterministicScoId } from './sco-id.js'
import type { StixObject } from './stix.js'
import { upgradeStix20 } from './upgrade.js'
import { validateStixContent } from './validate.js'

const CORPUS = join(CORPUS_DIR, 'stix21')
const permissive = { checkPattern: (): string | null => null }
const CREATED = '2016-04-06T20:03:48.000Z'
const OBSERVED_ID = 'observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf'

function object20(type: string, id: string, extra: Record<string, unknown> = {}): StixObject {
  return { type, id, created: CREATED, modified: CREATED, ...extra }
}

function observed20(objects: Record<string, unknown>): StixObject {
  return object20('observed-data', OBSERVED_ID, {
    first_observed: '2015-12-21T19:00:00Z',
    last_observed: '2015-12-21T19:00:00Z',
    number_observed: 1,
    objects,
  })
}

describe('upgradeStix20', () => {
  it('adds spec_version and copies 2.0 labels to the 2.1 type vocabularies', () => {
    const input = [
      object20('indicator', 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', {
        labels: ['malicious-activity'],
        pattern: "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
        valid_from: CREATED,
      }),
      object20('malware', 'malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061', {
        labels: ['remote-access-trojan'],
        name: 'Poison Ivy',
      }),
      object20('tool', 'tool--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', {
        labels: ['remote-access'],
        name: 'psexec',
      }),
      object20('identity', 'identity--2f9a5d0e-8b3c-4c1e-9a6b-3f1f2e7d4c5a', {
        name: 'ACME',
        identity_class: 'organization',
      }),
    ]
    const before = structuredClone(input)
    const result = upgradeStix20(input)
    expect(input).toEqual(before)
    expect(result.problems).toEqual([])
    expect(result.objects.map((o) => Object.keys(o).slice(0, 3))).toEqual(
      Array(4).fill(['type', 'spec_version', 'id']),
    )
    expect(result.objects[0]).toMatchObject({
      spec_version: '2.1',
      pattern_type: 'stix',
      indicator_types: ['malicious-activity'],
    })
    expect(result.objects[1]).toMatchObject({ malware_types: ['remote-access-trojan'], is_family: true })
    expect(result.objects[2]).toMatchObject({ tool_types: ['remote-access'] })
    expect(result.warnings).toEqual([
      expect.objectContaining({ index: 1, property: 'is_family', rule: 'assumption' }),
    ])
    expect(validateStixContent(result.objects, permissive).problems).toEqual([])
  })

  it('keeps 2.1 objects and top-level SCOs as they are', () => {
    const sco = {
      type: 'ipv4-addr',
      id: 'ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4',
      value: '198.51.100.3',
    }
    const sdo21 = {
      ...object20('campaign', 'campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', { name: 'x' }),
      spec_version: '2.1',
    }
    const result = upgradeStix20([sco, sdo21])
    expect(result.objects[0]).toBe(sco)
    expect(result.objects[1]).toBe(sdo21)
  })

  it('turns observed-data.objects into top-level SCOs with deterministic ids', () => {
    const result = upgradeStix20([
      observed20({
        '0': { type: 'ipv4-addr', value: '198.51.100.2' },
        '1': { type: 'ipv4-addr', value: '198.51.100.3' },
        '2': { type: 'network-traffic', src_ref: '0', dst_ref: '1', dst_port: 80, protocols: ['tcp'] },
        '3': { type: 'directory', path: 'C:\\Windows', created: '2016-01-01T00:00:00Z' },
        '4': {
          type: 'file',
          name: 'a.exe',
          parent_directory_ref: '3',
          hashes: { MD5: 'd41d8cd98f00b204e9800998ecf8427e' },
        },
        '5': { type: 'process', pid: 4, binary_ref: '4', name: 'a.exe', arguments: ['-x'] },
      }),
    ])
    const [observed, ...scos] = result.objects
    const ip2 = 'ipv4-addr--9cf4a8ec-7640-5f40-a006-79942896168b'
    const ip3 = 'ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4'
    const directory = deterministicScoId({ type: 'directory', path: 'C:\\Windows' })
    const file = deterministicScoId({
      type: 'file',
      name: 'a.exe',
      parent_directory_ref: directory,
      hashes: { MD5: 'd41d8cd98f00b204e9800998ecf8427e' },
    })
    const traffic = deterministicScoId({
      type: 'network-traffic',
      src_ref: ip2,
      dst_ref: ip3,
      dst_port: 80,
      protocols: ['tcp'],
    })
    expect(scos.map((sco) => sco.id).slice(0, 5)).toEqual([ip2, ip3, traffic, directory, file])
    expect(scos[2]).toEqual({
      type: 'network-traffic',
      spec_version: '2.1',
      id: traffic,
      src_ref: ip2,
      dst_ref: ip3,
      dst_port: 80,
      protocols: ['tcp'],
    })
    expect(scos[3]).toMatchObject({ ctime: '2016-01-01T00:00:00Z' })
    expect(scos[5]).toMatchObject({ pid: 4, image_ref: file })
    expect(scos[5]?.id).toMatch(/^process--[0-9a-f]{8}-[0-9a-f]{4}-4/)
    expect(observed).not.toHaveProperty('objects')
    expect(observed?.object_refs).toEqual(scos.map((sco) => sco.id))
    // What 2.1 has no place for is reported, not stored.
    expect(result.problems.map((p) => `${p.index} ${p.property} ${p.rule}`)).toEqual([
      '0 objects.5.name upgrade',
      '0 objects.5.arguments upgrade',
    ])
    expect(scos[5]).not.toHaveProperty('name')
    expect(validateStixContent(result.objects, permissive).problems).toEqual([])
    // Upgrading twice gives the same ids (process ids are seeded by observation and key).
    expect(upgradeStix20([observed20({ '5': { type: 'process', pid: 4 } })]).objects[1]?.id).toBe(
      upgradeStix20([observed20({ '5': { type: 'process', pid: 4 } })]).objects[1]?.id,
    )
  })

  it('reports dangling references and removed extension properties', () => {
    const result = upgradeStix20([
      observed20({
        '0': {
          type: 'network-traffic',
          src_ref: '7',
          protocols: ['tcp'],
          extensions: { 'socket-ext': { address_family: 'AF_INET', protocol_family: 'PF_INET' } },
        },
      }),
    ])
    expect(result.problems.map((p) => `${p.property} ${p.rule}`)).toEqual([
      'objects.0.extensions.socket-ext.protocol_family upgrade',
      'objects.0.src_ref upgrade',
    ])
    expect(result.objects[1]).not.toHaveProperty('src_ref')
  })

  it('keeps one copy of an SCO several observations share', () => {
    const second = {
      ...observed20({ a: { type: 'ipv4-addr', value: '198.51.100.3' } }),
      id: 'observed-data--0b4bc4ba-2e4f-4c2c-9e64-7a1e2f2a6d1b',
    }
    const result = upgradeStix20([observed20({ '0': { type: 'ipv4-addr', value: '198.51.100.3' } }), second])
    expect(result.objects.map((o) => o.type)).toEqual(['observed-data', 'ipv4-addr', 'observed-data'])
    expect(result.objects[2]?.object_refs).toEqual(['ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4'])
  })

  it('upgrades the STIX 2.0 file of the corpus to valid 2.1', () => {
    const file =
      'python-stix2/stix2_data/malware/malware--b42378e0-f147-496f-992a-26a49705395b/20170531213215263882.json'
    const checked = validateStixContent(JSON.parse(readFileSync(join(CORPUS, file), 'utf8')), permissive)
    expect(checked.specVersion).toBe('2.0')
    const upgraded = upgradeStix20(checked.objects.map((entry) => entry.object))
    expect(upgraded.problems).toEqual([])
    // Its malware already says is_family (a 2.1 property written into 2.0 content): nothing assumed.
    expect(upgraded.warnings).toEqual([])
    expect(upgraded.objects[0]).toMatchObject({
      spec_version: '2.1',
      malware_types: ['malware'],
      is_family: false,
    })
    const recheck = validateStixContent(upgraded.objects, permissive)
    expect(recheck.specVersion).toBe('2.1')
    expect(recheck.problems).toEqual([])
  })
})
