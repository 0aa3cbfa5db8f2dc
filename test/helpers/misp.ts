import { randomUUID } from 'node:crypto'

/**
 * A published MISP event (`{"Event": …}` envelope) with one `ip-dst` attribute per value: the shape
 * of a large indicator feed, for tests that need many attributes. `toIds` decides, per attribute,
 * whether it is sent to IDS (an indicator beside the observed data).
 */
export function ipDstEvent(
  values: readonly string[],
  options: { info?: string; toIds?: (index: number) => boolean } = {},
): { Event: Record<string, unknown> } {
  return {
    Event: {
      uuid: randomUUID(),
      info: options.info ?? 'Many attributes',
      date: '2025-01-01',
      threat_level_id: '2',
      analysis: '2',
      distribution: '1',
      timestamp: '1735689600',
      published: true,
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
  }
}
