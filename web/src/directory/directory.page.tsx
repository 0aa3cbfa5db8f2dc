import { Anchor, Badge, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { ORG_TYPE_LABELS } from '../account/account.constants.js'
import { AnchorLink } from '../lib/anchor-link.js'
import { isWebAddress } from '../lib/format.js'
import { usePageTitle } from '../lib/page-title.js'
import { QueryStatus } from '../lib/query-status.js'
import { MODULES } from '../shell/modules.js'
import { useMe } from '../shell/use-me.js'
import { organisationsQuery } from './directory.api.js'

/** The organisation directory: every organisation's public profile, with a link to its page. */
export function DirectoryPage() {
  usePageTitle(MODULES.directory.title)
  const me = useMe()
  const organisations = useQuery(organisationsQuery)
  const [filter, setFilter] = useState('')
  const words = filter.trim().toLowerCase()
  const all = organisations.data?.items ?? []
  const items =
    words === ''
      ? all
      : all.filter((org) =>
          [org.name, org.sector ?? '', org.country ?? '', ORG_TYPE_LABELS[org.type]].some((field) =>
            field.toLowerCase().includes(words),
          ),
        )

  return (
    <Stack gap="md" maw={1200}>
      <Stack gap={4}>
        <Title order={1}>{MODULES.directory.title}</Title>
        <Text c="dimmed" size="sm">
          {MODULES.directory.purpose}
        </Text>
      </Stack>
      <Stack gap="sm" component="section" aria-labelledby="directory-heading">
        <Group justify="space-between" align="flex-end">
          <Title order={2} size="h4" id="directory-heading">
            Organisations{organisations.data ? ` (${organisations.data.total})` : ''}
          </Title>
          <TextInput
            label="Filter"
            description="Name, type, country or sector."
            type="search"
            w={280}
            value={filter}
            onChange={(event) => setFilter(event.currentTarget.value)}
          />
        </Group>
        <QueryStatus pending={organisations.isPending} error={organisations.error} what="the directory" />
        {organisations.data && items.length === 0 ? (
          <Text c="dimmed">{all.length === 0 ? 'No organisations yet.' : 'No organisation matches.'}</Text>
        ) : null}
        {items.length > 0 ? (
          <Table.ScrollContainer minWidth={860}>
            <Table striped highlightOnHover aria-labelledby="directory-heading" data-testid="directory-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Type</Table.Th>
                  <Table.Th>Country</Table.Th>
                  <Table.Th>Sector</Table.Th>
                  <Table.Th>Security contact</Table.Th>
                  <Table.Th>Website</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((org) => (
                  <Table.Tr key={org.id}>
                    <Table.Td>
                      <Group gap="xs" wrap="nowrap">
                        <AnchorLink to="/directory/$orgId" params={{ orgId: org.id }}>
                          {org.name}
                        </AnchorLink>
                        {org.id === me.organisation.id ? (
                          <Badge size="xs" variant="light">
                            Yours
                          </Badge>
                        ) : null}
                      </Group>
                    </Table.Td>
                    <Table.Td>{ORG_TYPE_LABELS[org.type]}</Table.Td>
                    <Table.Td>{org.country ?? '—'}</Table.Td>
                    <Table.Td>{org.sector ?? '—'}</Table.Td>
                    <Table.Td style={{ overflowWrap: 'anywhere' }}>
                      {org.securityContact === null ? (
                        '—'
                      ) : (
                        <Anchor href={`mailto:${org.securityContact}`}>{org.securityContact}</Anchor>
                      )}
                    </Table.Td>
                    <Table.Td style={{ overflowWrap: 'anywhere' }}>
                      {org.website === null ? (
                        '—'
                      ) : !isWebAddress(org.website) ? (
                        org.website
                      ) : (
                        <Anchor href={org.website} target="_blank" rel="noopener noreferrer">
                          {org.website.replace(/^https?:\/\//, '')}
                        </Anchor>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        ) : null}
      </Stack>
    </Stack>
  )
}
