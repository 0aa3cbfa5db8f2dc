import { Anchor, Box, Group, Stack, Text } from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import type { ReactNode } from 'react'
import { healthQuery } from '../shell/health.api.js'

/** Props of {@link PublicFrame}. */
export interface PublicFrameProps {
  /** True when the visitor is signed in: offers the way back into the app. */
  signedIn?: boolean
  children: ReactNode
}

/** The frame of the public report pages, outside the app shell: no account needed. */
export function PublicFrame({ signedIn = false, children }: PublicFrameProps) {
  const health = useQuery(healthQuery)
  return (
    <Box bg="gray.0" mih="100vh">
      <Group component="header" px="md" py="sm" justify="space-between" bg="white">
        <Group gap="sm">
          <Text component="span" fw={700} size="lg" c="indigo.8">
            Liaison
          </Text>
          {health.data ? (
            <Text component="span" size="sm" c="dimmed">
              {health.data.instanceName}
            </Text>
          ) : null}
        </Group>
        {signedIn ? (
          <Anchor href="/" size="sm">
            Back to Liaison
          </Anchor>
        ) : null}
      </Group>
      <Stack component="main" id="main-content" p="md" maw={860} mx="auto" gap="md">
        {children}
      </Stack>
    </Box>
  )
}
