import { Badge, Group, Loader, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { lazy, Suspense, type ReactNode } from 'react'
import { ORG_TYPE_LABELS, ROLE_LABELS } from '../account/account.constants.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { usePageTitle } from '../lib/page-title.js'
import { REPORT_READ_ROLES } from '../report/report.api.js'
import { healthQuery } from './health.api.js'
import { useMe } from './use-me.js'

const STORE_LABELS = { sqlite: 'SQLite', postgres: 'PostgreSQL' } as const

// Loaded apart: it brings the incident vocabularies, which other users of the home page do not need.
const OverdueWork = lazy(async () => ({
  default: (await import('../incident/overdue.section.js')).OverdueWork,
}))

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Table.Tr>
      <Table.Th scope="row" w="40%" fw={500} c="dimmed">
        {label}
      </Table.Th>
      <Table.Td>{children}</Table.Td>
    </Table.Tr>
  )
}

/** Start page: for handlers the incident work that is due, then who is signed in and how the instance is doing. */
export function HomePage() {
  usePageTitle('Home')
  const me = useMe()
  const health = useQuery(healthQuery)
  const { user, organisation } = me

  return (
    <Stack gap="lg" maw={1200}>
      <Stack gap={4}>
        <Title order={1}>Home</Title>
        <Text data-testid="whoami">
          Signed in as <strong>{user.name}</strong> ({user.email}) of {organisation.name}
        </Text>
      </Stack>

      {REPORT_READ_ROLES.includes(user.role) ? (
        <Suspense
          fallback={
            <Group gap="xs" role="status">
              <Loader size="xs" />
              <Text size="sm">Loading incident work…</Text>
            </Group>
          }
        >
          <OverdueWork />
        </Suspense>
      ) : null}

      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
        <Paper withBorder p="md" radius="md" component="section" aria-labelledby="home-you">
          <Title order={2} size="h4" id="home-you" mb="sm">
            You
          </Title>
          <Table variant="vertical" layout="fixed" withRowBorders={false}>
            <Table.Tbody>
              <Fact label="Name">{user.name}</Fact>
              <Fact label="E-mail">{user.email}</Fact>
              <Fact label="Role">{ROLE_LABELS[user.role]}</Fact>
              <Fact label="Signed in with">{me.authMethod === 'apikey' ? 'API key' : 'Password'}</Fact>
              {me.isInstanceAdmin ? <Fact label="Instance">Administrator of this instance</Fact> : null}
            </Table.Tbody>
          </Table>
        </Paper>

        <Paper withBorder p="md" radius="md" component="section" aria-labelledby="home-org">
          <Title order={2} size="h4" id="home-org" mb="sm">
            Your organisation
          </Title>
          <Table variant="vertical" layout="fixed" withRowBorders={false}>
            <Table.Tbody>
              <Fact label="Name">{organisation.name}</Fact>
              <Fact label="Type">{ORG_TYPE_LABELS[organisation.type]}</Fact>
              <Fact label="Country">{organisation.country ?? '—'}</Fact>
              <Fact label="Sector">{organisation.sector ?? '—'}</Fact>
              {organisation.isInstanceOwner ? <Fact label="Instance">Runs this instance</Fact> : null}
            </Table.Tbody>
          </Table>
        </Paper>

        <Paper withBorder p="md" radius="md" component="section" aria-labelledby="home-instance">
          <Title order={2} size="h4" id="home-instance" mb="sm">
            This instance
          </Title>
          {health.isPending ? (
            <Group gap="xs">
              <Loader size="xs" />
              <Text size="sm">Checking the instance…</Text>
            </Group>
          ) : null}
          <ErrorAlert error={health.error} title="Health check failed" />
          {health.data ? (
            <Table variant="vertical" layout="fixed" withRowBorders={false} data-testid="health">
              <Table.Tbody>
                <Fact label="Name">{health.data.instanceName}</Fact>
                <Fact label="Status">
                  {health.data.status === 'ok' ? (
                    <Badge variant="light">OK</Badge>
                  ) : (
                    <Text component="span" fw={500} c="red.8">
                      Degraded: the store does not answer
                    </Text>
                  )}
                </Fact>
                <Fact label="Version">{health.data.version}</Fact>
                <Fact label="Store">{STORE_LABELS[health.data.store]}</Fact>
              </Table.Tbody>
            </Table>
          ) : null}
        </Paper>
      </SimpleGrid>
    </Stack>
  )
}
