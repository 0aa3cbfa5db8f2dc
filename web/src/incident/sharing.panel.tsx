import { Button, Group, MultiSelect, Paper, Pill, Stack, Text, TextInput, Title } from '@mantine/core'
import { useMutation, useQuery } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { describeLabel } from '../../../src/core/trust/describe.js'
import { organisationsQuery } from '../directory/directory.api.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { LabelBadge } from '../trust/label-badge.js'
import { LabelPicker } from '../trust/label-picker.js'
import {
  isDowngrade,
  labelInputOf,
  labelProblems,
  toSharingLabel,
  type LabelInput,
} from '../trust/label.constants.js'
import { useLabelNames } from '../trust/trust.api.js'
import { shareIncident, type IncidentWire } from './incident.api.js'
import { useIncidentRights, useIncidentSaved, useOrgNames } from './incident.hooks.js'

function SharingForm({ incident }: { incident: IncidentWire }) {
  const saved = useIncidentSaved()
  const organisations = useQuery(organisationsQuery)
  const owner = incident.label.ownerOrg
  const [label, setLabel] = useState<LabelInput>(() => labelInputOf(incident.label))
  const [participants, setParticipants] = useState<string[]>(() => [...incident.participants])
  const [reason, setReason] = useState('')
  const [reasonError, setReasonError] = useState<string | undefined>()
  const problems = labelProblems(label, owner)
  const added = participants.filter((p) => !incident.participants.includes(p))
  const needsReason = isDowngrade(incident.label, toSharingLabel(label, owner)) || added.length > 0
  const options = (organisations.data?.items ?? [])
    .filter((o) => o.id !== owner)
    .map((o) => ({ value: o.id, label: o.name }))
  const share = useMutation({
    mutationFn: () =>
      shareIncident(incident.id, {
        label,
        participants,
        ...(reason.trim() === '' ? {} : { reason: reason.trim() }),
      }),
    onSuccess: async (updated) => {
      setReason('')
      await saved(updated)
    },
  })
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (problems.length > 0) {
      return
    }
    if (needsReason && reason.trim() === '') {
      setReasonError('More people will see the incident: say why.')
      return
    }
    setReasonError(undefined)
    share.mutate()
  }
  return (
    <Paper withBorder p="md" radius="md">
      <form onSubmit={submit} aria-label="Share the incident" data-testid="sharing-form" noValidate>
        <Stack gap="md">
          <ErrorAlert error={share.error} title="The sharing was not changed" />
          <LabelPicker
            legend="Label of the incident"
            value={label}
            onChange={setLabel}
            ownerOrgId={owner}
            disabled={share.isPending}
          />
          <MultiSelect
            label="Participant organisations"
            description="They see the incident whatever its label, and add notes; tasks and reports stay yours."
            data={options}
            value={participants}
            onChange={setParticipants}
            searchable
            nothingFoundMessage="No organisation matches"
            renderPill={({ option, onRemove, disabled }) => (
              <Pill
                withRemoveButton={disabled !== true}
                onRemove={onRemove}
                removeButtonProps={{ 'aria-label': `Remove ${option.label}` }}
              >
                {option.label}
              </Pill>
            )}
            data-testid="participants"
          />
          <ErrorAlert error={organisations.error} title="Could not load the organisations" />
          <TextInput
            label="Reason"
            description={
              needsReason
                ? 'Required: the change lets more people see the incident, and is audited.'
                : 'Needed when more people will see the incident.'
            }
            required={needsReason}
            maxLength={2000}
            value={reason}
            error={reasonError}
            onChange={(event) => setReason(event.currentTarget.value)}
          />
          <Group>
            <Button type="submit" loading={share.isPending} disabled={problems.length > 0}>
              Save sharing
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  )
}

/** Who sees the incident: its label and the participant organisations; the owner changes them. */
export function SharingPanel({ incident }: { incident: IncidentWire }) {
  const rights = useIncidentRights(incident)
  const names = useLabelNames()
  const orgName = useOrgNames()
  return (
    <Stack gap="md" component="section" aria-labelledby="sharing-heading">
      <Title order={2} size="h4" id="sharing-heading">
        Sharing
      </Title>
      <Group gap="sm">
        <LabelBadge label={incident.label} withPap />
        <Text size="sm">{describeLabel(incident.label, names)}</Text>
      </Group>
      {incident.owned ? (
        <Text size="sm" data-testid="participants-list">
          {incident.participants.length === 0
            ? 'No participant organisations.'
            : `Participants: ${incident.participants.map(orgName).join(', ')}.`}
        </Text>
      ) : (
        <Text size="sm">
          {orgName(incident.label.ownerOrg)} owns this incident and decides who else sees it.
        </Text>
      )}
      {rights.work ? <SharingForm key={incident.updatedAt} incident={incident} /> : null}
    </Stack>
  )
}
