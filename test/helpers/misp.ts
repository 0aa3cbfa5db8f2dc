import { randomUUID } from 'node:crypto'

/**
 * A published community MISP event (`{"Event": …}` envelope) holding `content` (its `Attribute`,
 * `Object`, …), with a fresh uuid.
 */
export function mispEvent(
  content: Record<string, unknown>,
  info = 'Many attributes',
): { Event: Record<string, unknown> } {
  return {
    Event: {
      uuid: randomUUID(),
      info,
      date: '2025-01-01',
      threat_level_id: '2',
      analysis: '2',
      distribution: '1',
      timestamp: '1735689600',
      published: true,
      ...content,
    },
  }
}

/**
 * A published MISP event (`{"Event": …}` envelope) with one `ip-dst` attribute per value: the shape
 * of a large indicator feed, for tests that need many attributes. `toIds` decides, per attribute,
 * whether it is sent to IDS (an indicator beside the observed data).
 */
export function ipDstEvent(
  values: readonly string[],
  options: { info?: string; toIds?: (index: number) => boolean } = {},
): { Event: Record<string, unknown> } {
  return mispEvent(
    {
      Attribute: values.map((value, i) => ({
        uuid: randomUUID(),
        type: 'ip-dst',
        category: 'Network activity',
        value,
        to_ids: options.toIds?.(i) ?? true,
        timestamp: '1735689600',
        distribution: '5',
      })),
    },
    options.info,
  )
}

let narrowCount = 0

/** A community event (TLP:CLEAR) with one attribute for the organisation only and one that inherits. */
export function narrowEvent(): {
  Event: Record<string, unknown> & { Attribute: { uuid: string; value: string }[] }
} {
  const attribute = (value: string, distribution: string) => ({
    uuid: randomUUID(),
    type: 'ip-dst',
    category: 'Network activity',
    value,
    to_ids: true,
    distribution,
    timestamp: '1735689600',
  })
  const n = 20 + (narrowCount++ % 200)
  return {
    Event: {
      uuid: randomUUID(),
      info: 'Mixed distributions',
      date: '2025-01-01',
      distribution: '1',
      published: true,
      timestamp: '1735689600',
      Orgc: { uuid: randomUUID(), name: 'Reporter' },
      Tag: [{ name: 'tlp:white' }],
      Attribute: [attribute(`198.18.${n}.1`, '0'), attribute(`198.18.${n}.2`, '5')],
    },
  }
}
