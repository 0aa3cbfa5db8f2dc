import {
  Anchor,
  Badge,
  Button,
  Code,
  CopyButton,
  Group,
  NativeSelect,
  Paper,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { getRouteApi, Link } from '@tanstack/react-router'
import { useState, type FormEvent, type ReactNode } from 'react'
import type { MeWire, OrganisationWire, OrgType } from '../../../src/core/account/account.schema.js'
import { isOrgType, ORG_TYPE_LABELS, ORG_TYPE_OPTIONS } from '../account/account.constants.js'
import { ME_KEY } from '../account/session.api.js'
import { IntelSettings } from '../admin/intel-settings.form.js'
import { ApiError } from '../lib/api.client.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { formatDateTime, isWebAddress } from '../lib/format.js'
import { MissingRecord } from '../lib/missing-record.js'
import { usePageTitle } from '../lib/page-title.js'
import { QueryStatus } from '../lib/query-status.js'
import { useMe } from '../shell/use-me.js'
import { organisationQuery, updateOrganisation, type UpdateOrganisationRequest } from './directory.api.js'

const organisationRouteApi = getRouteApi('/app/directory/$orgId')

const COUNTRY_PATTERN = /^[A-Z]{2}$/
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const PGP_KEY_PATTERN =
  /^\s*-----BEGIN PGP PUBLIC KEY BLOCK-----[\s\S]+-----END PGP PUBLIC KEY BLOCK-----\s*$/

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Table.Tr>
      <Table.Th scope="row" w="35%" fw={500} c="dimmed" style={{ verticalAlign: 'top' }}>
        {label}
      </Table.Th>
      <Table.Td style={{ overflowWrap: 'anywhere' }}>{children}</Table.Td>
    </Table.Tr>
  )
}

function PreWrapped({ text }: { text: string | null }) {
  if (text === null || text.trim() === '') {
    return <>—</>
  }
  return (
    <Text component="span" size="sm" style={{ whiteSpace: 'pre-wrap' }}>
      {text}
    </Text>
  )
}

function PgpKey({ org }: { org: OrganisationWire }) {
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="org-pgp-heading">
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4" id="org-pgp-heading">
          OpenPGP key
        </Title>
        {org.pgpKey === null ? null : (
          <CopyButton value={org.pgpKey} timeout={2000}>
            {({ copied, copy }) => (
              <Button size="xs" variant={copied ? 'filled' : 'light'} onClick={copy}>
                {copied ? 'Copied' : 'Copy key'}
              </Button>
            )}
          </CopyButton>
        )}
      </Group>
      {org.pgpKey === null ? (
        <Text size="sm" c="dimmed">
          {org.name} has published no OpenPGP key.
        </Text>
      ) : (
        <Code
          block
          data-testid="org-pgp-key"
          style={{
            whiteSpace: 'pre',
            maxHeight: 320,
            overflow: 'auto',
            fontSize: 'var(--mantine-font-size-xs)',
          }}
        >
          {org.pgpKey.trim()}
        </Code>
      )}
    </Paper>
  )
}

function PrivateProfile({
  org,
  profile,
}: {
  org: OrganisationWire
  profile: NonNullable<OrganisationWire['private']>
}) {
  return (
    <Paper
      withBorder
      p="md"
      radius="md"
      component="section"
      aria-labelledby="org-private-heading"
      bg="indigo.0"
      style={{ borderColor: 'var(--mantine-color-indigo-5)', borderWidth: 2, borderStyle: 'dashed' }}
      data-testid="private-profile"
    >
      <Group gap="xs" mb="sm">
        <Badge color="indigo" variant="filled" size="sm">
          Private
        </Badge>
        <Title order={2} size="h4" id="org-private-heading">
          Only members of {org.name} see this
        </Title>
      </Group>
      <Table variant="vertical" layout="fixed" withRowBorders={false}>
        <Table.Tbody>
          <Fact label="Internal contact">
            <PreWrapped text={profile.internalContact} />
          </Fact>
          <Fact label="Notes">
            <PreWrapped text={profile.notes} />
          </Fact>
        </Table.Tbody>
      </Table>
    </Paper>
  )
}

/** The text of an optional field: null when left blank. */
function orNull(text: string): string | null {
  const trimmed = text.trim()
  return trimmed === '' ? null : trimmed
}

interface ProfileErrors {
  name?: string
  country?: string
  website?: string
  securityContact?: string
  pgpKey?: string
}

function EditProfileForm({ org, onDone }: { org: OrganisationWire; onDone: () => void }) {
  const me = useMe()
  const queryClient = useQueryClient()
  const [name, setName] = useState(org.name)
  const [type, setType] = useState<OrgType>(org.type)
  const [country, setCountry] = useState(org.country ?? '')
  const [sector, setSector] = useState(org.sector ?? '')
  const [description, setDescription] = useState(org.description ?? '')
  const [website, setWebsite] = useState(org.website ?? '')
  const [securityContact, setSecurityContact] = useState(org.securityContact ?? '')
  const [pgpKey, setPgpKey] = useState(org.pgpKey ?? '')
  const [notes, setNotes] = useState(org.private?.notes ?? '')
  const [internalContact, setInternalContact] = useState(org.private?.internalContact ?? '')
  const [errors, setErrors] = useState<ProfileErrors>({})

  const save = useMutation({
    mutationFn: (patch: UpdateOrganisationRequest) => updateOrganisation(org.id, patch),
    onSuccess: async (updated) => {
      queryClient.setQueryData(organisationQuery(org.id).queryKey, updated)
      if (updated.id === me.organisation.id) {
        queryClient.setQueryData<MeWire>(ME_KEY, (current) =>
          current === undefined ? current : { ...current, organisation: updated },
        )
      }
      await queryClient.invalidateQueries({ queryKey: ['organisations'] })
      onDone()
    },
  })

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const found: ProfileErrors = {}
    if (me.isInstanceAdmin && name.trim() === '') {
      found.name = 'Enter the organisation’s name.'
    }
    if (me.isInstanceAdmin && country !== '' && !COUNTRY_PATTERN.test(country)) {
      found.country = 'Use a two-letter country code, e.g. BE (EU for EU bodies).'
    }
    if (website.trim() !== '' && !isWebAddress(website.trim())) {
      found.website = 'Use an address that starts with https:// or http://.'
    }
    if (securityContact.trim() !== '' && !EMAIL_PATTERN.test(securityContact.trim())) {
      found.securityContact = 'Use an e-mail address, e.g. cert@example.org.'
    }
    if (pgpKey.trim() !== '' && !PGP_KEY_PATTERN.test(pgpKey)) {
      found.pgpKey =
        'Paste the whole ASCII-armoured public key, from -----BEGIN PGP PUBLIC KEY BLOCK----- to -----END PGP PUBLIC KEY BLOCK-----.'
    }
    setErrors(found)
    if (Object.keys(found).length > 0) {
      return
    }
    // Only what changed is sent: organisation admins may not send the fields only instance admins change.
    const patch: UpdateOrganisationRequest = {}
    if (me.isInstanceAdmin) {
      if (name.trim() !== org.name) {
        patch.name = name.trim()
      }
      if (type !== org.type) {
        patch.type = type
      }
      if (orNull(country) !== org.country) {
        patch.country = orNull(country)
      }
      if (orNull(sector) !== org.sector) {
        patch.sector = orNull(sector)
      }
    }
    if (orNull(description) !== org.description) {
      patch.description = orNull(description)
    }
    if (orNull(website) !== org.website) {
      patch.website = orNull(website)
    }
    if (orNull(securityContact) !== org.securityContact) {
      patch.securityContact = orNull(securityContact)
    }
    if (orNull(pgpKey) !== org.pgpKey) {
      patch.pgpKey = orNull(pgpKey)
    }
    if (org.private !== null) {
      const privatePatch: NonNullable<UpdateOrganisationRequest['private']> = {}
      if (orNull(notes) !== org.private.notes) {
        privatePatch.notes = orNull(notes)
      }
      if (orNull(internalContact) !== org.private.internalContact) {
        privatePatch.internalContact = orNull(internalContact)
      }
      if (Object.keys(privatePatch).length > 0) {
        patch.private = privatePatch
      }
    }
    if (Object.keys(patch).length === 0) {
      onDone()
      return
    }
    save.mutate(patch)
  }

  const serverField =
    save.error instanceof ApiError && typeof save.error.details?.field === 'string'
      ? save.error.details.field
      : null

  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="edit-profile-heading">
      <Title order={2} size="h4" id="edit-profile-heading" mb="sm">
        Edit profile
      </Title>
      <form onSubmit={submit} aria-labelledby="edit-profile-heading" noValidate data-testid="profile-form">
        <Stack gap="sm">
          <ErrorAlert error={save.error} title="The profile was not saved" />
          {me.isInstanceAdmin ? (
            <>
              <Text size="sm" c="dimmed">
                As an instance admin you may also change the name, type, country and sector.
              </Text>
              <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
                <TextInput
                  label="Name"
                  required
                  maxLength={200}
                  value={name}
                  error={errors.name}
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
                <TextInput
                  label="Country"
                  description="Optional. Two letters, e.g. BE; EU for EU bodies."
                  maxLength={2}
                  value={country}
                  error={errors.country}
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
            </>
          ) : null}
          <Textarea
            label="Description"
            description="Optional. Who you are and whom you serve; every member of the community sees it."
            autosize
            minRows={3}
            maxRows={12}
            maxLength={4000}
            value={description}
            onChange={(event) => setDescription(event.currentTarget.value)}
          />
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <TextInput
              label="Website"
              description="Optional, e.g. https://cert.example.org."
              type="url"
              maxLength={500}
              value={website}
              error={errors.website ?? (serverField === 'website' ? 'Check this address.' : undefined)}
              onChange={(event) => setWebsite(event.currentTarget.value)}
            />
            <TextInput
              label="Security contact"
              description="Optional. The e-mail address for security reports."
              type="email"
              maxLength={254}
              value={securityContact}
              error={
                errors.securityContact ??
                (serverField === 'securityContact' ? 'Check this address.' : undefined)
              }
              onChange={(event) => setSecurityContact(event.currentTarget.value)}
            />
          </SimpleGrid>
          <Textarea
            label="OpenPGP public key"
            description="Optional. The ASCII-armoured public key of the security contact."
            autosize
            minRows={3}
            maxRows={14}
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
            value={pgpKey}
            error={errors.pgpKey ?? (serverField === 'pgpKey' ? 'Check this key.' : undefined)}
            onChange={(event) => setPgpKey(event.currentTarget.value)}
          />
          {org.private === null ? null : (
            <Paper p="sm" radius="sm" bg="indigo.0">
              <Stack gap="sm">
                <Text size="sm" fw={600}>
                  Only members of {org.name} see these fields
                </Text>
                <TextInput
                  label="Internal contact"
                  description="Optional, e.g. the duty officer's phone number."
                  maxLength={500}
                  value={internalContact}
                  onChange={(event) => setInternalContact(event.currentTarget.value)}
                />
                <Textarea
                  label="Internal notes"
                  description="Optional."
                  autosize
                  minRows={2}
                  maxRows={10}
                  maxLength={10000}
                  value={notes}
                  onChange={(event) => setNotes(event.currentTarget.value)}
                />
              </Stack>
            </Paper>
          )}
          <Group>
            <Button type="submit" loading={save.isPending}>
              Save profile
            </Button>
            <Button variant="default" onClick={onDone} disabled={save.isPending}>
              Cancel
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  )
}

/** One organisation of the directory: its public profile, OpenPGP key, and for its members the private part. */
export function OrganisationPage() {
  const { orgId } = organisationRouteApi.useParams()
  const me = useMe()
  const organisation = useQuery(organisationQuery(orgId))
  const [editing, setEditing] = useState(false)
  const missing = ApiError.is(organisation.error, 404)
  usePageTitle(organisation.data?.name ?? (missing ? 'Organisation not found' : 'Organisation'))

  const back = (
    <Anchor component={Link} to="/directory" size="sm">
      Back to the directory
    </Anchor>
  )
  if (missing) {
    return <MissingRecord title="Organisation not found" back={back} />
  }
  const org = organisation.data
  if (org === undefined) {
    return (
      <Stack gap="md" maw={1200}>
        {back}
        <QueryStatus pending={organisation.isPending} error={organisation.error} what="the organisation" />
      </Stack>
    )
  }
  const canEdit = me.isInstanceAdmin || (me.user.role === 'admin' && me.organisation.id === org.id)

  return (
    <Stack gap="lg" maw={1200}>
      <Stack gap={4}>
        {back}
        <Group gap="sm" align="center">
          <Title order={1}>{org.name}</Title>
          {org.id === me.organisation.id ? <Badge variant="light">Your organisation</Badge> : null}
          {org.isInstanceOwner ? (
            <Badge variant="light" color="gray">
              Runs this instance
            </Badge>
          ) : null}
        </Group>
      </Stack>

      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
        <Paper withBorder p="md" radius="md" component="section" aria-labelledby="org-public-heading">
          <Title order={2} size="h4" id="org-public-heading" mb="sm">
            Public profile
          </Title>
          <Table variant="vertical" layout="fixed" withRowBorders={false} data-testid="org-profile">
            <Table.Tbody>
              <Fact label="Type">{ORG_TYPE_LABELS[org.type]}</Fact>
              <Fact label="Country">{org.country ?? '—'}</Fact>
              <Fact label="Sector">{org.sector ?? '—'}</Fact>
              <Fact label="Security contact">
                {org.securityContact === null ? (
                  '—'
                ) : (
                  <Anchor href={`mailto:${org.securityContact}`}>{org.securityContact}</Anchor>
                )}
              </Fact>
              <Fact label="Website">
                {org.website === null ? (
                  '—'
                ) : isWebAddress(org.website) ? (
                  <Anchor href={org.website} target="_blank" rel="noopener noreferrer">
                    {org.website}
                  </Anchor>
                ) : (
                  org.website
                )}
              </Fact>
              <Fact label="About">
                <PreWrapped text={org.description} />
              </Fact>
              <Fact label="Profile updated">{formatDateTime(org.updatedAt)}</Fact>
            </Table.Tbody>
          </Table>
        </Paper>
        <PgpKey org={org} />
      </SimpleGrid>

      {org.private === null ? null : <PrivateProfile org={org} profile={org.private} />}

      {org.settings === null ? null : <IntelSettings org={org} settings={org.settings} canEdit={canEdit} />}

      {canEdit && !editing ? (
        <Group>
          <Button variant="default" onClick={() => setEditing(true)}>
            Edit profile
          </Button>
        </Group>
      ) : null}
      {canEdit && editing ? (
        <EditProfileForm key={org.updatedAt} org={org} onDone={() => setEditing(false)} />
      ) : null}
    </Stack>
  )
}
