const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

/** A timestamp in the reader's locale and time zone; `fallback` when there is none. */
export function formatDateTime(value: string | null, fallback = '—'): string {
  if (value === null) {
    return fallback
  }
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) {
    return value
  }
  return dateTimeFormat.format(date)
}

/** True for an `http://` or `https://` address: the only kind a page may link to (never `javascript:`). */
export function isWebAddress(value: string): boolean {
  return /^https?:\/\/[^\s]+$/i.test(value)
}
