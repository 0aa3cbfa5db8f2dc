import { Stack, Text, Title } from '@mantine/core'
import type { ReactNode } from 'react'

/** Props of {@link MissingRecord}. */
export interface MissingRecordProps {
  /** The page heading, e.g. "Document not found". */
  title: string
  /** A link back to the list the record would be in. */
  back: ReactNode
}

/**
 * The page for a record that does not exist or that the caller may not see: the API answers 404 for
 * both, and so does this page, in the same words.
 */
export function MissingRecord({ title, back }: MissingRecordProps) {
  return (
    <Stack gap="sm" maw={720} data-testid="not-found">
      <Title order={1}>{title}</Title>
      <Text>There is nothing at this address, or it is not shared with you.</Text>
      {back}
    </Stack>
  )
}
