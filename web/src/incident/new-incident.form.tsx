import { Button, Group, List, NativeSelect, Stack, Text, Textarea, TextInput } from '@mantine/core'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { ErrorAlert } from '../lib/error-alert.js'
import { REPORTS_KEY } from '../report/report.api.js'
import { useMe } from '../shell/use-me.js'
import { LabelPicker } from '../trust/label-picker.js'
import { DEFAULT_LABEL, labelProblems, type LabelInput } from '../trust/label.constants.js'
import {
  createIncident,
  incidentQuery,
  INCIDENTS_KEY,
  type CreateIncidentInput,
  type IncidentWire,
} from './incident.api.js'
import { isSeverity, SEVERITY_OPTIONS, type Severity } from './incident.constants.js'
import { RsitFields, type RsitValue } from './rsit-fields.js'

/** A report the new incident is made from. */
export interface SourceReport {
  id: string
  trackingId: string
  summary: string
}

/** Props of {@link NewIncidentForm}. */
export interface NewIncidentFormProps {
  /** Reports to make the incident from (triage); none for an incident opened by hand. */
  reports?: readonly SourceReport[]
  /** Called with the new incident. */
  onCreated: (incident: IncidentWire) => void
  /** Shows a Cancel button calling this. */
  onCancel?: () => void
}

/**
 * The form of a new incident: title, description, RSIT class and type, severity, impact and its
 * sharing label; made from the given reports, if any.
 */
export function NewIncidentForm({ reports = [], onCreated, onCancel }: NewIncidentFormProps) {
  const me = useMe()
  const queryClient = useQueryClient()
  const [title, setTitle] = useState(reports.length === 1 ? (reports[0]?.summary.slice(0, 300) ?? '') : '')
  const [description, setDescription] = useState('')
  const [rsit, setRsit] = useState<RsitValue>({ rsitClass: '', rsitType: '' })
  const [severity, setSeverity] = useState<Severity>('medium')
  const [impact, setImpact] = useState('')
  const [label, setLabel] = useState<LabelInput>(DEFAULT_LABEL)
  const [titleError, setTitleError] = useState<string | undefined>()
  const problems = labelProblems(label, me.organisation.id)

  const create = useMutation({
    mutationFn: createIncident,
    onSuccess: async (incident) => {
      queryClient.setQueryData(incidentQuery(incident.id).queryKey, incident)
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: [...INCIDENTS_KEY, 'list'] }),
        queryClient.invalidateQueries({ queryKey: REPORTS_KEY }),
      ])
      onCreated(incident)
    },
  })

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (title.trim() === '') {
      setTitleError('Give the incident a title.')
      return
    }
    setTitleError(undefined)
    if (problems.length > 0) {
      return
    }
    const input: CreateIncidentInput = { title: title.trim(), severity, label }
    if (description.trim() !== '') {
      input.description = description
    }
    if (impact.trim() !== '') {
      input.impact = impact.trim()
    }
    if (rsit.rsitClass !== '') {
      input.rsitClass = rsit.rsitClass
      if (rsit.rsitType !== '') {
        input.rsitType = rsit.rsitType
      }
    }
    if (reports.length > 0) {
      input.reportIds = reports.map((r) => r.id)
    }
    create.mutate(input)
  }

  return (
    <form onSubmit={submit} aria-label="New incident" data-testid="incident-form" noValidate>
      <Stack gap="md">
        {reports.length > 0 ? (
          <Stack gap={4}>
            <Text size="sm" fw={500}>
              Made from {reports.length === 1 ? 'this report' : `these ${reports.length} reports`}
            </Text>
            <List size="sm">
              {reports.map((r) => (
                <List.Item key={r.id}>
                  {r.trackingId}: {r.summary}
                </List.Item>
              ))}
            </List>
          </Stack>
        ) : null}
        <ErrorAlert error={create.error} title="The incident was not created" />
        <TextInput
          label="Title"
          required
          maxLength={300}
          autoComplete="off"
          value={title}
          error={titleError}
          onChange={(event) => setTitle(event.currentTarget.value)}
        />
        <Textarea
          label="Description"
          autosize
          minRows={3}
          maxRows={12}
          maxLength={100_000}
          value={description}
          onChange={(event) => setDescription(event.currentTarget.value)}
        />
        <RsitFields value={rsit} onChange={setRsit} disabled={create.isPending} />
        <Group grow align="flex-start" wrap="wrap">
          <NativeSelect
            label="Severity"
            data={SEVERITY_OPTIONS}
            value={severity}
            miw={160}
            onChange={(event) => {
              const value = event.currentTarget.value
              if (isSeverity(value)) {
                setSeverity(value)
              }
            }}
          />
          <TextInput
            label="Impact"
            description="Who or what is affected, and how badly"
            maxLength={2000}
            miw={260}
            value={impact}
            onChange={(event) => setImpact(event.currentTarget.value)}
          />
        </Group>
        <LabelPicker
          value={label}
          onChange={setLabel}
          ownerOrgId={me.organisation.id}
          disabled={create.isPending}
        />
        <Group>
          <Button type="submit" loading={create.isPending} disabled={problems.length > 0}>
            Create incident
          </Button>
          {onCancel !== undefined ? (
            <Button variant="default" onClick={onCancel}>
              Cancel
            </Button>
          ) : null}
          {problems.length > 0 ? (
            <Text size="sm" c="dimmed">
              Fix the sharing label first.
            </Text>
          ) : null}
        </Group>
      </Stack>
    </form>
  )
}
