import { Button, Group, NumberInput, Paper, Stack, Switch, Table, Text, Title } from '@mantine/core'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import type { MeWire, OrganisationWire } from '../../../src/core/account/account.schema.js'
import { ME_KEY } from '../account/session.api.js'
import { organisationQuery } from '../directory/directory.api.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { updateOrganisationSettings, type OrganisationSettingsRequest } from './admin.api.js'

/** Props of {@link IntelSettings}. */
export interface IntelSettingsProps {
  org: OrganisationWire
  settings: NonNullable<OrganisationWire['settings']>
  /** The caller administers the organisation and may change the settings. */
  canEdit: boolean
}

function retentionText(days: number | null): string {
  return days === null ? 'Kept for ever' : days === 1 ? '1 day' : `${days} days`
}

/**
 * An organisation's intelligence settings, seen by its members only: four-eyes release of what is
 * shared beyond it, and how long its indicators without `valid_until` stay current.
 */
export function IntelSettings({ org, settings, canEdit }: IntelSettingsProps) {
  const queryClient = useQueryClient()
  const [fourEyes, setFourEyes] = useState(settings.fourEyesRelease)
  const [days, setDays] = useState<number | string>(settings.intelRetentionDays ?? '')
  const [saved, setSaved] = useState(false)
  const save = useMutation({
    mutationFn: (patch: OrganisationSettingsRequest) => updateOrganisationSettings(org.id, patch),
    onSuccess: async (updated) => {
      queryClient.setQueryData(organisationQuery(org.id).queryKey, updated)
      queryClient.setQueryData<MeWire>(ME_KEY, (current) =>
        current === undefined || current.organisation.id !== updated.id
          ? current
          : { ...current, organisation: updated },
      )
      await queryClient.invalidateQueries({ queryKey: ['organisations'] })
      setSaved(true)
    },
  })

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    setSaved(false)
    const retention = typeof days === 'number' ? days : null
    const patch: OrganisationSettingsRequest = {}
    if (fourEyes !== settings.fourEyesRelease) {
      patch.fourEyesRelease = fourEyes
    }
    if (retention !== settings.intelRetentionDays) {
      patch.intelRetentionDays = retention
    }
    if (Object.keys(patch).length > 0) {
      save.mutate(patch)
    }
  }

  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="org-intel-settings-heading">
      <Title order={2} size="h4" id="org-intel-settings-heading" mb="sm">
        Intelligence settings
      </Title>
      {canEdit ? (
        <form
          onSubmit={submit}
          aria-labelledby="org-intel-settings-heading"
          noValidate
          data-testid="intel-settings-form"
        >
          <Stack gap="sm">
            <ErrorAlert error={save.error} title="The settings were not saved" />
            <Switch
              label="Four-eyes release"
              description={`Intelligence imported for an audience beyond ${org.name} stays organisation only until another admin, analyst or coordinator approves it.`}
              checked={fourEyes}
              onChange={(event) => {
                setFourEyes(event.currentTarget.checked)
                setSaved(false)
              }}
            />
            <NumberInput
              label="Retention of indicators (days)"
              description="Indicators without valid until expire this many days after they last changed. Leave empty to keep them for ever."
              min={1}
              max={36500}
              allowDecimal={false}
              hideControls
              allowNegative={false}
              w={320}
              value={days}
              onChange={(value) => {
                setDays(value)
                setSaved(false)
              }}
            />
            <Group>
              <Button type="submit" loading={save.isPending}>
                Save settings
              </Button>
              {saved ? (
                <Text size="sm" role="status">
                  Settings saved.
                </Text>
              ) : null}
            </Group>
          </Stack>
        </form>
      ) : (
        <Table variant="vertical" layout="fixed" withRowBorders={false} data-testid="intel-settings">
          <Table.Tbody>
            <Table.Tr>
              <Table.Th w="35%">Four-eyes release</Table.Th>
              <Table.Td>{settings.fourEyesRelease ? 'On' : 'Off'}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th w="35%">Retention of indicators</Table.Th>
              <Table.Td>{retentionText(settings.intelRetentionDays)}</Table.Td>
            </Table.Tr>
          </Table.Tbody>
        </Table>
      )}
    </Paper>
  )
}
