// Plain values and rules only: the web UI may import this file.

const DAY_MS = 86_400_000

/** Why an object counts as expired, and since when. */
export type Expiry =
  /** Its own `valid_until` has passed. */
  | { readonly reason: 'valid_until'; readonly at: string }
  /** An indicator without `valid_until`, unchanged for longer than its owner's retention period. */
  | { readonly reason: 'retention'; readonly days: number; readonly at: string }

/** What expiry looks at in a stored object. */
export interface ExpiryFields {
  /** STIX type; only indicators fall under a retention rule. */
  readonly type: string
  /** `valid_until`, or null when the object has none. */
  readonly validUntil: string | null
  /** `modified` as stored ('' for objects without one). */
  readonly modified: string
  /** `created`, or null. */
  readonly created: string | null
}

/**
 * The instant (ISO 8601, UTC, milliseconds) before which a change is older than `days` days at `now`.
 *
 * @example
 * retentionCutoff('2030-01-31T00:00:00.000Z', 30) // '2030-01-01T00:00:00.000Z'
 */
export function retentionCutoff(now: string, days: number): string {
  return new Date(Date.parse(now) - days * DAY_MS).toISOString()
}

/**
 * The one definition of "expired" (its SQL twin is `expiredCondition` in
 * src/server/modules/intel/intel.expiry.ts; tests check that both agree on both stores):
 * 1. an object whose `valid_until` is at or before `now` has expired;
 * 2. an object with a `valid_until` still ahead has not, whatever its owner's retention rule says;
 * 3. an indicator without `valid_until` whose owner keeps indicators `retentionDays` days has expired
 *    when its `modified` (else `created`) is older than that.
 * Timestamps compare as text, as they are stored (ISO 8601 UTC).
 *
 * @example
 * expiryOf({ type: 'indicator', validUntil: null, modified: '2030-01-01T00:00:00Z', created: null }, 30, '2030-03-01T00:00:00.000Z')
 * // { reason: 'retention', days: 30, at: '2030-01-31T00:00:00.000Z' }
 */
export function expiryOf(object: ExpiryFields, retentionDays: number | null, now: string): Expiry | null {
  if (object.validUntil !== null) {
    return object.validUntil <= now ? { reason: 'valid_until', at: object.validUntil } : null
  }
  if (object.type !== 'indicator' || retentionDays === null) {
    return null
  }
  const changed = object.modified !== '' ? object.modified : object.created
  if (changed === null || !(changed < retentionCutoff(now, retentionDays))) {
    return null
  }
  return {
    reason: 'retention',
    days: retentionDays,
    at: new Date(Date.parse(changed) + retentionDays * DAY_MS).toISOString(),
  }
}
