import { Center, Paper, Stack, Text, Title } from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import type { ReactNode } from 'react'
import { healthQuery } from '../shell/health.api.js'

/** Props of {@link AuthFrame}. */
export interface AuthFrameProps {
  /** The page heading (the page's only h1). */
  title: string
  /** Short text under the heading. */
  intro?: ReactNode
  children: ReactNode
}

/** The centred card that holds the login and password-change forms, outside the app shell. */
export function AuthFrame({ title, intro, children }: AuthFrameProps) {
  const health = useQuery(healthQuery)
  return (
    <Center component="main" mih="100vh" p="md" bg="gray.0">
      <Stack w="100%" maw={420} gap="md">
        <Stack gap={0} align="center">
          <Text fw={700} size="xl" c="indigo.8">
            Liaison
          </Text>
          {health.data ? (
            <Text size="sm" c="dimmed" ta="center">
              {health.data.instanceName}
            </Text>
          ) : null}
        </Stack>
        <Paper withBorder shadow="xs" p="xl" radius="md">
          <Stack gap="md">
            <Title order={1} size="h2">
              {title}
            </Title>
            {intro ? <Text size="sm">{intro}</Text> : null}
            {children}
          </Stack>
        </Paper>
      </Stack>
    </Center>
  )
}
