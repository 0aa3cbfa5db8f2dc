import { Group, Loader, Text } from '@mantine/core'
import { ErrorAlert } from './error-alert.js'

/** Props of {@link QueryStatus}. */
export interface QueryStatusProps {
  /** True while the first answer is awaited. */
  pending: boolean
  /** The error of the query, if it failed. */
  error: unknown
  /** What is being loaded, e.g. "organisations". */
  what: string
}

/** A loading line or an error alert for a query, and nothing once the data is there. */
export function QueryStatus({ pending, error, what }: QueryStatusProps) {
  if (error !== null && error !== undefined) {
    return <ErrorAlert error={error} title={`Could not load ${what}`} />
  }
  if (pending) {
    return (
      <Group gap="xs" role="status">
        <Loader size="xs" />
        <Text size="sm">Loading {what}…</Text>
      </Group>
    )
  }
  return null
}
