import {
  Alert,
  Badge,
  Button,
  Group,
  NativeSelect,
  Paper,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import type {
  CreateOrganisationInput,
  OrganisationWire,
  OrgType,
} from '../../../src/core/account/account.schema.js'
import { isOrgType, ORG_TYPE_LABELS, ORG_TYPE_OPTIONS } from '../account/account.constants.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { formatDateTime } from '../lib/format.js'
import { QueryStatus } from '../lib/query-status.js'
import { useMe } from '../shell/use-me.js'
import { createOrganisation, organisationsQuery } from './admin.api.js'

const COUNTRY_PATTERN = /^[A-Z]{2}$/

function CreateOrganisationForm() {
  const queryClient = useQueryClient()
  const [name, setName] = useState('')
  const [type, setType] = useState<OrgType>('constituent')
  const [country, setCountry] = useState('')
  const [sector, setSector] = useState('')
  const [countryError, setCountryError] = useState<string | undefined>()
  const [created, setCreated] = useState<OrganisationWire | null>(null)

  const create = useMutation({
    mutationFn: createOrganisation,
    onSuccess: async (organisation) => {
      setCreated(organisation)
      setName('')
      setCountry('')
      setSector('')
      await queryClient.invalidateQueries({ queryKey: organisationsQuery.queryKey })
    },
  })

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    setCreated(null)
    if (country !== '' && !COUNTRY_PATTERN.test(country)) {
      setCountryError('Use a two-letter country code, e.g. BE (EU for EU bodies).')
      return
    }
    setCountryError(undefined)
    const input: CreateOrganisationInput = { name: name.trim(), type }
    if (country !== '') {
      input.country = country
    }
    if (sector.trim() !== '') {
      input.sector = sector.trim()
    }
    create.mutate(input)
  }

  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="create-organisation-heading">
      <Title order={2} size="h4" id="create-organisation-heading" mb="sm">
        Create organisation
      </Title>
      <form onSubmit={submit} aria-labelledby="create-organisation-heading">
        <Stack gap="sm">
          <ErrorAlert error={create.error} title="The organisation was not created" />
          {created ? (
            <Alert color="indigo" variant="light" role="status" title="Organisation created">
              {created.name} can now receive users.
            </Alert>
          ) : null}
          <TextInput
            label="Name"
            required
            maxLength={200}
            value={name}
            onChange={(event) => setName(event.currentTarget.value)}
          />
          <NativeSelect
            label="Type"
            required
            value={type}
            data={ORG_TYPE_OPTIONS}
            onChange={(event) => {
              const value = event.currentTarget.value
              if (isOrgType(value)) {
                setType(value)
              }
            }}
          />
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <TextInput
              label="Country"
              description="Optional. Two letters, e.g. BE; EU for EU bodies."
              maxLength={2}
              autoCapitalize="characters"
              value={country}
              error={countryError}
              onChange={(event) => setCountry(event.currentTarget.value.toUpperCase())}
            />
            <TextInput
              label="Sector"
              description="Optional, e.g. energy."
              maxLength={100}
              value={sector}
              onChange={(event) => setSector(event.currentTarget.value)}
            />
          </SimpleGrid>
          <Group>
            <Button type="submit" loading={create.isPending}>
              Create organisation
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  )
}

/** Admin tab listing organisations; instance admins can also create them. */
export function OrganisationsPanel() {
  const me = useMe()
  const organisations = useQuery(organisationsQuery)
  const items = organisations.data?.items ?? []

  return (
    <Stack gap="lg">
      <Stack gap="sm" component="section" aria-labelledby="organisations-heading">
        <Title order={2} size="h4" id="organisations-heading">
          Organisations{organisations.data ? ` (${organisations.data.total})` : ''}
        </Title>
        <QueryStatus pending={organisations.isPending} error={organisations.error} what="organisations" />
        {organisations.data && items.length === 0 ? <Text c="dimmed">No organisations yet.</Text> : null}
        {items.length > 0 ? (
          <Table.ScrollContainer minWidth={640}>
            <Table
              striped
              highlightOnHover
              aria-labelledby="organisations-heading"
              data-testid="organisations-table"
            >
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Type</Table.Th>
                  <Table.Th>Country</Table.Th>
                  <Table.Th>Sector</Table.Th>
                  <Table.Th>Created</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((organisation) => (
                  <Table.Tr key={organisation.id}>
                    <Table.Td>
                      <Group gap="xs" wrap="nowrap">
                        <span>{organisation.name}</span>
                        {organisation.isInstanceOwner ? (
                          <Badge size="xs" variant="light">
                            Runs this instance
                          </Badge>
                        ) : null}
                      </Group>
                    </Table.Td>
                    <Table.Td>{ORG_TYPE_LABELS[organisation.type]}</Table.Td>
                    <Table.Td>{organisation.country ?? '—'}</Table.Td>
                    <Table.Td>{organisation.sector ?? '—'}</Table.Td>
                    <Table.Td>{formatDateTime(organisation.createdAt)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        ) : null}
      </Stack>
      {me.isInstanceAdmin ? <CreateOrganisationForm /> : null}
    </Stack>
  )
}
