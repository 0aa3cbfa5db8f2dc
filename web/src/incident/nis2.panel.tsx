import {
  Alert,
  Button,
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
import { useMutation } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import type { Nis2Input } from '../../../src/core/incident/incident.schema.js'
import { AnchorLink } from '../lib/anchor-link.js'
import { ConfirmDialog } from '../lib/confirm.dialog.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { formatDateTime } from '../lib/format.js'
import {
  fromLocalInput,
  requestIntermediateReport,
  toLocalInput,
  updateIncident,
  type IncidentWire,
  type Nis2DeadlineWire,
} from './incident.api.js'
import { DeadlineBadge } from './incident.badges.js'
import { NIS2_STAGE_LABELS, NIS2_SUBMISSION_FIELDS } from './incident.constants.js'
import { useIncidentRights, useIncidentSaved } from './incident.hooks.js'

type TriState = '' | 'yes' | 'no'

const TRI_STATE_OPTIONS = [
  { value: '', label: 'Not known yet' },
  { value: 'yes', label: 'Yes' },
  { value: 'no', label: 'No' },
]

function triStateOf(value: boolean | null): TriState {
  return value === null ? '' : value ? 'yes' : 'no'
}

function flagOf(value: TriState): boolean | null {
  return value === '' ? null : value === 'yes'
}

function asTriState(value: string): TriState {
  return value === 'yes' || value === 'no' ? value : ''
}

function textOrNull(value: string): string | null {
  return value.trim() === '' ? null : value.trim()
}

/** The NIS2 facts of the incident as the form edits them. */
interface FactsState {
  significant: TriState
  awareAt: string
  trustServiceProvider: TriState
  timeZone: string
  suspectedMalicious: TriState
  crossBorder: TriState
  rootCause: string
  mitigationApplied: string
  mitigationOngoing: string
}

function factsOf(incident: IncidentWire): FactsState {
  const n = incident.nis2
  return {
    significant: triStateOf(n.significant),
    awareAt: toLocalInput(n.awareAt),
    trustServiceProvider: triStateOf(n.trustServiceProvider),
    timeZone: n.timeZone,
    suspectedMalicious: triStateOf(n.suspectedMalicious),
    crossBorder: triStateOf(n.crossBorder),
    rootCause: n.rootCause ?? '',
    mitigationApplied: n.mitigationApplied ?? '',
    mitigationOngoing: n.mitigationOngoing ?? '',
  }
}

/** The fields of `next` that differ from the incident's, as the API takes them. */
function changedFacts(incident: IncidentWire, next: FactsState): Nis2Input {
  const before = factsOf(incident)
  const patch: Nis2Input = {}
  if (next.significant !== before.significant) {
    patch.significant = flagOf(next.significant)
  }
  if (next.awareAt !== before.awareAt) {
    patch.awareAt = fromLocalInput(next.awareAt)
  }
  if (next.trustServiceProvider !== before.trustServiceProvider) {
    patch.trustServiceProvider = flagOf(next.trustServiceProvider)
  }
  if (next.timeZone.trim() !== before.timeZone && next.timeZone.trim() !== '') {
    patch.timeZone = next.timeZone.trim()
  }
  if (next.suspectedMalicious !== before.suspectedMalicious) {
    patch.suspectedMalicious = flagOf(next.suspectedMalicious)
  }
  if (next.crossBorder !== before.crossBorder) {
    patch.crossBorder = flagOf(next.crossBorder)
  }
  if (next.rootCause !== before.rootCause) {
    patch.rootCause = textOrNull(next.rootCause)
  }
  if (next.mitigationApplied !== before.mitigationApplied) {
    patch.mitigationApplied = textOrNull(next.mitigationApplied)
  }
  if (next.mitigationOngoing !== before.mitigationOngoing) {
    patch.mitigationOngoing = textOrNull(next.mitigationOngoing)
  }
  return patch
}

function FactsForm({ incident, readOnly }: { incident: IncidentWire; readOnly: boolean }) {
  const saved = useIncidentSaved()
  const [facts, setFacts] = useState<FactsState>(() => factsOf(incident))
  const set = (change: Partial<FactsState>) => setFacts((previous) => ({ ...previous, ...change }))
  const patch = changedFacts(incident, facts)
  const save = useMutation({
    mutationFn: () => updateIncident(incident.id, { nis2: patch }),
    onSuccess: async (updated) => {
      setFacts(factsOf(updated))
      await saved(updated)
    },
  })
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (Object.keys(patch).length > 0) {
      save.mutate()
    }
  }
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="nis2-facts-heading">
      <form onSubmit={submit} aria-labelledby="nis2-facts-heading" data-testid="nis2-form" noValidate>
        <Stack gap="sm">
          <Title order={3} size="h5" id="nis2-facts-heading">
            Significance and facts
          </Title>
          <ErrorAlert error={save.error} title="The NIS2 facts were not saved" />
          <fieldset disabled={readOnly || save.isPending} style={{ border: 0, padding: 0, margin: 0 }}>
            <Stack gap="sm">
              <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
                <NativeSelect
                  label="Significant incident (Art. 23(3))"
                  data={TRI_STATE_OPTIONS}
                  value={facts.significant}
                  onChange={(event) => {
                    const significant = asTriState(event.currentTarget.value)
                    // The clock starts at awareness: suggest now when it is marked significant without one.
                    set(
                      significant === 'yes' && facts.awareAt === ''
                        ? { significant, awareAt: toLocalInput(new Date().toISOString()) }
                        : { significant },
                    )
                  }}
                />
                <TextInput
                  type="datetime-local"
                  label="Aware since"
                  description="When the entity became aware of it: every deadline counts from here"
                  value={facts.awareAt}
                  onChange={(event) => set({ awareAt: event.currentTarget.value })}
                />
                <NativeSelect
                  label="Trust service provider"
                  description="Notifies within 24 h instead of 72 h"
                  data={TRI_STATE_OPTIONS}
                  value={facts.trustServiceProvider}
                  onChange={(event) => set({ trustServiceProvider: asTriState(event.currentTarget.value) })}
                />
                <NativeSelect
                  label="Suspected unlawful or malicious act"
                  data={TRI_STATE_OPTIONS}
                  value={facts.suspectedMalicious}
                  onChange={(event) => set({ suspectedMalicious: asTriState(event.currentTarget.value) })}
                />
                <NativeSelect
                  label="Could have a cross-border impact"
                  data={TRI_STATE_OPTIONS}
                  value={facts.crossBorder}
                  onChange={(event) => set({ crossBorder: asTriState(event.currentTarget.value) })}
                />
                <TextInput
                  label="Time zone of “one month”"
                  description="IANA zone of the competent CSIRT"
                  maxLength={100}
                  value={facts.timeZone}
                  onChange={(event) => set({ timeZone: event.currentTarget.value })}
                />
              </SimpleGrid>
              <TextInput
                label="Type of threat or root cause"
                maxLength={2000}
                value={facts.rootCause}
                onChange={(event) => set({ rootCause: event.currentTarget.value })}
              />
              <SimpleGrid cols={{ base: 1, md: 2 }}>
                <Textarea
                  label="Mitigation measures applied"
                  autosize
                  minRows={2}
                  maxLength={20_000}
                  value={facts.mitigationApplied}
                  onChange={(event) => set({ mitigationApplied: event.currentTarget.value })}
                />
                <Textarea
                  label="Mitigation measures ongoing"
                  autosize
                  minRows={2}
                  maxLength={20_000}
                  value={facts.mitigationOngoing}
                  onChange={(event) => set({ mitigationOngoing: event.currentTarget.value })}
                />
              </SimpleGrid>
            </Stack>
          </fieldset>
          {readOnly ? null : (
            <Group>
              <Button type="submit" loading={save.isPending} disabled={Object.keys(patch).length === 0}>
                Save NIS2 facts
              </Button>
            </Group>
          )}
        </Stack>
      </form>
    </Paper>
  )
}

/** What "mark submitted" records for a deadline: a stage's time, or one intermediate request's. */
function submissionPatch(
  incident: IncidentWire,
  deadline: Nis2DeadlineWire,
  index: number,
  at: string,
): Nis2Input {
  if (deadline.stage === 'intermediate') {
    // Intermediate deadlines come in the order of the requests.
    const position = incident.nis2.deadlines.slice(0, index).filter((d) => d.stage === 'intermediate').length
    const request = incident.nis2.intermediateRequests[position]
    return request === undefined ? {} : { intermediateReports: [{ id: request.id, submittedAt: at }] }
  }
  return { [NIS2_SUBMISSION_FIELDS[deadline.stage]]: at }
}

function DeadlinesTable({ incident, mayWork }: { incident: IncidentWire; mayWork: boolean }) {
  const saved = useIncidentSaved()
  const [confirming, setConfirming] = useState<number | null>(null)
  const submit = useMutation({
    mutationFn: (index: number) => {
      const deadline = incident.nis2.deadlines[index]
      if (deadline === undefined) {
        throw new Error('That deadline is gone; reload the page.')
      }
      return updateIncident(incident.id, {
        nis2: submissionPatch(incident, deadline, index, new Date().toISOString()),
      })
    },
    onSuccess: async (updated) => {
      setConfirming(null)
      await saved(updated)
    },
  })
  const pending = confirming === null ? undefined : incident.nis2.deadlines[confirming]
  return (
    <Stack gap="xs">
      <ErrorAlert error={submit.error} title="The submission was not recorded" />
      <Table.ScrollContainer minWidth={860}>
        <Table aria-label="NIS2 deadlines" data-testid="nis2-deadlines">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Submission</Table.Th>
              <Table.Th>Due</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>Submitted</Table.Th>
              <Table.Th>Basis</Table.Th>
              <Table.Th>Actions</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {incident.nis2.deadlines.map((deadline, index) => (
              <Table.Tr
                key={`${deadline.stage}-${index}`}
                data-stage={deadline.stage}
                data-status={deadline.status}
              >
                <Table.Th scope="row" fw={500}>
                  {NIS2_STAGE_LABELS[deadline.stage]}
                </Table.Th>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>
                  {formatDateTime(deadline.dueAt, 'Not yet known')}
                </Table.Td>
                <Table.Td>
                  <DeadlineBadge deadline={deadline} />
                </Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(deadline.submittedAt)}</Table.Td>
                <Table.Td>
                  <Text size="sm">{deadline.basis}</Text>
                </Table.Td>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <AnchorLink
                      to="/incidents/$id/nis2/$stage"
                      params={{ id: incident.id, stage: deadline.stage }}
                      size="sm"
                      aria-label={`Generate the ${NIS2_STAGE_LABELS[deadline.stage].toLowerCase()}`}
                    >
                      Generate
                    </AnchorLink>
                    {mayWork && deadline.status !== 'met' ? (
                      <Button
                        size="compact-xs"
                        variant="light"
                        aria-label={`Mark the ${NIS2_STAGE_LABELS[deadline.stage].toLowerCase()} submitted`}
                        onClick={() => setConfirming(index)}
                      >
                        Mark submitted
                      </Button>
                    ) : null}
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <ConfirmDialog
        opened={pending !== undefined}
        title={`Record the ${pending === undefined ? 'submission' : NIS2_STAGE_LABELS[pending.stage].toLowerCase()} as submitted now?`}
        confirmLabel="Record submission"
        loading={submit.isPending}
        onCancel={() => setConfirming(null)}
        onConfirm={() => {
          if (confirming !== null) {
            submit.mutate(confirming)
          }
        }}
      >
        Submissions are kept as they are: the time cannot be changed afterwards. The document as it stands now
        goes on the timeline.
      </ConfirmDialog>
    </Stack>
  )
}

function IntermediateRequestForm({ incident }: { incident: IncidentWire }) {
  const saved = useIncidentSaved()
  const [due, setDue] = useState('')
  const [note, setNote] = useState('')
  const [dueError, setDueError] = useState<string | undefined>()
  const request = useMutation({
    mutationFn: (dueAt: string) =>
      requestIntermediateReport(incident.id, { dueAt, ...(note.trim() === '' ? {} : { note: note.trim() }) }),
    onSuccess: async (updated) => {
      setDue('')
      setNote('')
      await saved(updated)
    },
  })
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const dueAt = fromLocalInput(due)
    if (dueAt === null) {
      setDueError('Say by when the report is due.')
      return
    }
    setDueError(undefined)
    request.mutate(dueAt)
  }
  return (
    <form onSubmit={submit} aria-labelledby="nis2-intermediate-heading" noValidate>
      <Stack gap="xs">
        <Title order={3} size="h5" id="nis2-intermediate-heading">
          Intermediate report requested
        </Title>
        <Text size="sm" c="dimmed">
          When the CSIRT or the competent authority asks for a status update (Art. 23(4)(c)).
        </Text>
        <ErrorAlert error={request.error} title="The request was not recorded" />
        <Group align="flex-start" wrap="wrap">
          <TextInput
            type="datetime-local"
            label="Due by"
            required
            value={due}
            error={dueError}
            onChange={(event) => setDue(event.currentTarget.value)}
            w={230}
          />
          <TextInput
            label="Request note"
            maxLength={2000}
            value={note}
            onChange={(event) => setNote(event.currentTarget.value)}
            miw={260}
            style={{ flex: 1 }}
          />
          <Button type="submit" variant="default" loading={request.isPending} mt={25}>
            Request intermediate report
          </Button>
        </Group>
      </Stack>
    </form>
  )
}

/**
 * NIS2 Article 23 reporting: whether the incident is significant, its facts, the deadlines with their
 * state and basis, submissions, intermediate requests, and the generated documents.
 */
export function Nis2Panel({ incident }: { incident: IncidentWire }) {
  const rights = useIncidentRights(incident)
  const clock = incident.nis2.significant === true && incident.nis2.awareAt !== null
  return (
    <Stack gap="md" component="section" aria-labelledby="nis2-heading">
      <Title order={2} size="h4" id="nis2-heading">
        NIS2 reporting
      </Title>
      <FactsForm key={incident.updatedAt} incident={incident} readOnly={!rights.work} />
      <Paper withBorder p="md" radius="md" component="section" aria-labelledby="nis2-deadlines-heading">
        <Stack gap="sm">
          <Title order={3} size="h5" id="nis2-deadlines-heading">
            Deadlines
          </Title>
          {clock ? (
            <>
              <Text size="sm">
                Aware since {formatDateTime(incident.nis2.awareAt)}; “one month” counted in{' '}
                {incident.nis2.timeZone}.
              </Text>
              <DeadlinesTable incident={incident} mayWork={rights.work} />
              {rights.work ? <IntermediateRequestForm incident={incident} /> : null}
            </>
          ) : (
            <Alert variant="light" color="gray" title="No NIS2 clock runs">
              The deadlines start once the incident is marked significant with the time the entity became
              aware of it.
            </Alert>
          )}
        </Stack>
      </Paper>
    </Stack>
  )
}
