import { Alert, Button, Checkbox, Group, Modal, Stack, Text, TextInput } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useNavigate, useRouterState } from '@tanstack/react-router'
import { useState, type FormEvent } from 'react'
import { ErrorAlert } from '../lib/error-alert.js'
import { reportQuery, REPORTS_KEY } from '../report/report.api.js'
import { incidentQuery, INCIDENTS_KEY, splitIncident, type IncidentWire } from './incident.api.js'

/** What the incident page says once it was made by a split (kept in the history entry, not the address). */
export interface SplitNotice {
  /** The incident the reports came from. */
  fromId: string
  fromTitle: string
  /** How many reports moved. */
  moved: number
}

declare module '@tanstack/history' {
  interface HistoryState {
    /** Set when the page was opened right after a split. */
    splitNotice?: SplitNotice
  }
}

/** One report to choose, named by its tracking id (the group holds the choice). */
function ReportChoice({ reportId }: { reportId: string }) {
  const report = useQuery(reportQuery(reportId))
  return (
    <Checkbox
      value={reportId}
      label={report.data?.trackingId ?? 'Report'}
      description={report.data?.summary}
    />
  )
}

/** Props of {@link SplitIncidentDialog}. */
export interface SplitIncidentDialogProps {
  opened: boolean
  onClose: () => void
  /** The incident to split (owned by the caller's organisation). */
  incident: IncidentWire
}

/** A dialog that moves some of the incident's reports to a new incident, then opens that one. */
export function SplitIncidentDialog({ opened, onClose, incident }: SplitIncidentDialogProps) {
  const navigate = useNavigate()
  const queryClient = useQueryClient()
  const [chosen, setChosen] = useState<readonly string[]>([])
  const [title, setTitle] = useState('')
  const [choiceError, setChoiceError] = useState<string | undefined>()
  const split = useMutation({
    mutationFn: () => splitIncident(incident.id, [...chosen], title.trim() === '' ? undefined : title.trim()),
    onSuccess: async (created) => {
      queryClient.setQueryData(incidentQuery(created.id).queryKey, created)
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: INCIDENTS_KEY }),
        queryClient.invalidateQueries({ queryKey: REPORTS_KEY }),
      ])
      const notice: SplitNotice = { fromId: incident.id, fromTitle: incident.title, moved: chosen.length }
      close()
      void navigate({ to: '/incidents/$id', params: { id: created.id }, state: { splitNotice: notice } })
    },
  })
  function close() {
    setChosen([])
    setTitle('')
    setChoiceError(undefined)
    split.reset()
    onClose()
  }
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (chosen.length === 0) {
      setChoiceError('Choose at least one report to move.')
      return
    }
    setChoiceError(undefined)
    split.mutate()
  }
  return (
    <Modal
      opened={opened}
      onClose={close}
      title="Split the incident"
      size="lg"
      closeButtonProps={{ 'aria-label': 'Cancel' }}
    >
      <form onSubmit={submit} aria-label="Split the incident" data-testid="split-form" noValidate>
        <Stack gap="md">
          <Text size="sm">
            The reports you choose move to a new incident with the same classification, severity, label and
            NIS2 facts; it starts as new and unassigned.
          </Text>
          <ErrorAlert error={split.error} title="The incident was not split" />
          <Checkbox.Group
            label="Reports to move"
            value={[...chosen]}
            onChange={(value) => {
              setChosen(value)
              setChoiceError(undefined)
            }}
            error={choiceError}
          >
            <Stack gap="xs" mt="xs">
              {incident.reportIds.map((id) => (
                <ReportChoice key={id} reportId={id} />
              ))}
            </Stack>
          </Checkbox.Group>
          {chosen.length > 0 && chosen.length === incident.reportIds.length ? (
            <Alert variant="light" color="yellow">
              Every report moves: this incident keeps none.
            </Alert>
          ) : null}
          <TextInput
            label="Title of the new incident"
            description={`Leave empty for “${incident.title} (split)”`}
            maxLength={300}
            value={title}
            onChange={(event) => setTitle(event.currentTarget.value)}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={split.isPending}>
              Split off
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  )
}

/** The notice of the split that made the incident on this page, if it was just made. */
export function useSplitNotice(incidentId: string): SplitNotice | undefined {
  return useRouterState({
    select: (state) =>
      state.location.pathname.endsWith(`/incidents/${incidentId}`)
        ? state.location.state.splitNotice
        : undefined,
  })
}
