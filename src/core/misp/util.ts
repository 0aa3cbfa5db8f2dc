// Small readers for untyped JSON (STIX custom properties, MISP input) shared by the mapping files.

/** True when `value` is a plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `value` when it is a string, else undefined. */
export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

/** `value` when it is an array, else an empty array. */
export function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : []
}

/** The strings of `value` when it is an array. */
export function asStrings(value: unknown): string[] {
  return asArray(value).filter((item): item is string => typeof item === 'string')
}

const UNSAFE_PROPERTY_CHARS_RE = /[^a-z0-9_]+/g

/** A STIX custom property name for a MISP field or relation: `x_misp_` + lower-case `[a-z0-9_]`. */
export function customPropertyName(name: string): string {
  return `x_misp_${name.toLowerCase().replace(UNSAFE_PROPERTY_CHARS_RE, '_')}`
}

const timeCache = new Map<string, string>()

/** `created`/`modified` form (milliseconds) of Unix seconds, cached because events share timestamps. */
export function stixTimeOfUnix(seconds: string): string {
  let iso = timeCache.get(seconds)
  if (iso === undefined) {
    iso = new Date(Number(seconds) * 1000).toISOString()
    if (timeCache.size > 100_000) {
      timeCache.clear()
    }
    timeCache.set(seconds, iso)
  }
  return iso
}

/** Whole-second form (`2020-10-25T16:22:00Z`) of a `created`-style timestamp, as misp-stix writes `valid_from`. */
export function wholeSeconds(iso: string): string {
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso
}

/** STIX timestamp of an ISO 8601 date-time with any offset, or null when it does not parse. */
export function stixTimeOfIso(value: string): string | null {
  const time = Date.parse(value)
  return Number.isNaN(time) ? null : new Date(time).toISOString()
}

/** Unix seconds (as MISP writes them) of a STIX timestamp, or undefined when it does not parse. */
export function unixOfStixTime(value: unknown): string | undefined {
  if (typeof value !== 'string') {
    return undefined
  }
  const time = Date.parse(value)
  return Number.isNaN(time) ? undefined : String(Math.floor(time / 1000))
}
