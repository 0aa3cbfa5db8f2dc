import { Button, Code, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import type { CreateLinkInput } from '../../../src/core/incident/incident.schema.js'
import { AnchorLink } from '../lib/anchor-link.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { formatDateTime } from '../lib/format.js'
import { QueryStatus } from '../lib/query-status.js'
import { addLink, linksQuery, removeLink, type IncidentWire, type LinkWire } from './incident.api.js'
import { useIncidentRights, useIncidentTouched } from './incident.hooks.js'

/** A STIX identifier, e.g. `indicator--…`: linked as an intelligence object, anything else as an observable. */
const STIX_ID = /^[a-z0-9-]+--[0-9a-f-]{36}$/

function linkInputOf(value: string): CreateLinkInput {
  const trimmed = value.trim()
  return STIX_ID.test(trimmed) ? { objectId: trimmed } : { observable: { value: trimmed } }
}

function AddLinkForm({ incidentId, onAdded }: { incidentId: string; onAdded: () => Promise<void> }) {
  const [value, setValue] = useState('')
  const [valueError, setValueError] = useState<string | undefined>()
  const add = useMutation({
    mutationFn: () => addLink(incidentId, linkInputOf(value)),
    onSuccess: async () => {
      setValue('')
      await onAdded()
    },
  })
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (value.trim() === '') {
      setValueError('Give a value or a STIX id.')
      return
    }
    setValueError(undefined)
    add.mutate()
  }
  return (
    <form onSubmit={submit} aria-label="Link an observable or object" data-testid="link-form" noValidate>
      <Stack gap="xs">
        <ErrorAlert error={add.error} title="Nothing was linked" />
        <Group align="flex-start" wrap="wrap">
          <TextInput
            label="Observable or STIX id"
            description="An IP address, network, domain, URL, e-mail address or hash; or the id of an intelligence object"
            required
            maxLength={4000}
            autoComplete="off"
            value={value}
            error={valueError}
            onChange={(event) => setValue(event.currentTarget.value)}
            miw={360}
            style={{ flex: 1 }}
          />
          <Button type="submit" loading={add.isPending} mt={46}>
            Link
          </Button>
        </Group>
      </Stack>
    </form>
  )
}

function LinkRow({
  link,
  incidentId,
  mayWork,
  onRemoved,
}: {
  link: LinkWire
  incidentId: string
  mayWork: boolean
  onRemoved: () => Promise<void>
}) {
  const remove = useMutation({ mutationFn: () => removeLink(incidentId, link.id), onSuccess: onRemoved })
  return (
    <Table.Tr>
      <Table.Td>
        {link.kind === 'object' ? `Object (${link.value})` : (link.observableKind ?? 'Observable')}
      </Table.Td>
      <Table.Th scope="row" fw={400} style={{ overflowWrap: 'anywhere' }}>
        {link.kind === 'object' ? (
          <AnchorLink to="/intelligence/objects/$id" params={{ id: link.ref }}>
            {link.ref}
          </AnchorLink>
        ) : (
          <Code>{link.value}</Code>
        )}
        <ErrorAlert error={remove.error} title="The link was not removed" />
      </Table.Th>
      <Table.Td>
        {link.kind === 'observable' ? (
          <AnchorLink to="/intelligence" search={{ value: link.value }} size="sm">
            Search intelligence
          </AnchorLink>
        ) : null}
      </Table.Td>
      <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(link.createdAt)}</Table.Td>
      {mayWork ? (
        <Table.Td>
          <Button
            size="compact-xs"
            variant="subtle"
            color="red"
            aria-label={`Remove ${link.kind === 'object' ? link.ref : link.value}`}
            loading={remove.isPending}
            onClick={() => remove.mutate()}
          >
            Remove
          </Button>
        </Table.Td>
      ) : null}
    </Table.Tr>
  )
}

/** Observables and intelligence objects linked to the incident (its reports' observables are linked on triage). */
export function LinksPanel({ incident }: { incident: IncidentWire }) {
  const rights = useIncidentRights(incident)
  const queryClient = useQueryClient()
  const links = useQuery(linksQuery(incident.id))
  const touched = useIncidentTouched(incident.id)
  const refresh = async () => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: linksQuery(incident.id).queryKey }),
      touched(),
    ])
  }
  const items = links.data?.items ?? []
  return (
    <Stack gap="md" component="section" aria-labelledby="links-heading">
      <Title order={2} size="h4" id="links-heading">
        Observables and intelligence
      </Title>
      {rights.work ? <AddLinkForm incidentId={incident.id} onAdded={refresh} /> : null}
      <QueryStatus pending={links.isPending} error={links.error} what="links" />
      {links.data && items.length === 0 ? (
        <Text size="sm" c="dimmed">
          Nothing linked yet.
        </Text>
      ) : null}
      {items.length > 0 ? (
        <Table.ScrollContainer minWidth={720}>
          <Table aria-labelledby="links-heading" data-testid="links-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Kind</Table.Th>
                <Table.Th>Value</Table.Th>
                <Table.Th>Intelligence</Table.Th>
                <Table.Th>Linked</Table.Th>
                {rights.work ? <Table.Th>Remove</Table.Th> : null}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((link) => (
                <LinkRow
                  key={link.id}
                  link={link}
                  incidentId={incident.id}
                  mayWork={rights.work}
                  onRemoved={refresh}
                />
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
    </Stack>
  )
}
