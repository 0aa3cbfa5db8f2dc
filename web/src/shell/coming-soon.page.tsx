import { Badge, Group, Paper, Stack, Text, Title } from '@mantine/core'
import { usePageTitle } from '../lib/page-title.js'
import type { ModuleInfo } from './modules.js'

/** Placeholder page of a module that does not exist yet: says what it will hold, nothing more. */
export function ComingSoonPage({ module }: { module: ModuleInfo }) {
  usePageTitle(module.title)
  return (
    <Stack gap="md" maw={720}>
      <Group gap="sm" align="center">
        <Title order={1}>{module.title}</Title>
        <Badge variant="light" color="gray">
          Coming soon
        </Badge>
      </Group>
      <Paper withBorder p="lg" radius="md">
        <Stack gap="xs">
          <Text>{module.purpose}</Text>
          <Text size="sm" c="dimmed">
            This module is not available yet in this version of Liaison.
          </Text>
        </Stack>
      </Paper>
    </Stack>
  )
}
