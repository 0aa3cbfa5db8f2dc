import { Button, Group, Modal, Select, Stack, Text } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useNavigate } from '@tanstack/react-router'
import { useState } from 'react'
import { ErrorAlert } from '../lib/error-alert.js'
import { REPORTS_KEY } from '../report/report.api.js'
import { incidentQuery, incidentsQuery, INCIDENTS_KEY, mergeReports } from './incident.api.js'
import { INCIDENT_STATUS_LABELS } from './incident.constants.js'
import { NewIncidentForm, type SourceReport } from './new-incident.form.js'

/** Props of the triage dialogs. */
export interface TriageDialogProps {
  opened: boolean
  onClose: () => void
  /** The reports being triaged. */
  reports: readonly SourceReport[]
}

/** A dialog that makes a new incident from reports, then opens it. */
export function CreateIncidentDialog({ opened, onClose, reports }: TriageDialogProps) {
  const navigate = useNavigate()
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title="New incident from reports"
      size="xl"
      closeButtonProps={{ 'aria-label': 'Cancel' }}
    >
      <NewIncidentForm
        reports={reports}
        onCancel={onClose}
        onCreated={(incident) => {
          onClose()
          void navigate({ to: '/incidents/$id', params: { id: incident.id } })
        }}
      />
    </Modal>
  )
}

/** Props of {@link MergeIntoIncidentDialog}. */
export interface MergeDialogProps extends TriageDialogProps {
  /** Incidents the duplicate hints point at, offered first. */
  suggested?: readonly string[]
}

/**
 * A dialog that merges reports into an open incident of the caller's organisation (the most recently
 * changed hundred are offered, those the duplicate hints point at first), then opens it.
 */
export function MergeIntoIncidentDialog({ opened, onClose, reports, suggested = [] }: MergeDialogProps) {
  const navigate = useNavigate()
  const queryClient = useQueryClient()
  const [incidentId, setIncidentId] = useState<string | null>(suggested[0] ?? null)
  const incidents = useQuery({ ...incidentsQuery({}, 100), enabled: opened })
  const options = (incidents.data?.items ?? [])
    .filter((i) => i.owned && i.status !== 'closed')
    .sort((a, b) => Number(suggested.includes(b.id)) - Number(suggested.includes(a.id)))
    .map((i) => ({
      value: i.id,
      label: `${suggested.includes(i.id) ? '★ ' : ''}${i.title} (${INCIDENT_STATUS_LABELS[i.status]})`,
    }))
  const merge = useMutation({
    mutationFn: (id: string) =>
      mergeReports(
        id,
        reports.map((r) => r.id),
      ),
    onSuccess: async (incident) => {
      queryClient.setQueryData(incidentQuery(incident.id).queryKey, incident)
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: INCIDENTS_KEY }),
        queryClient.invalidateQueries({ queryKey: REPORTS_KEY }),
      ])
      onClose()
      void navigate({ to: '/incidents/$id', params: { id: incident.id } })
    },
  })
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title="Merge reports into an incident"
      size="lg"
      closeButtonProps={{ 'aria-label': 'Cancel' }}
    >
      <Stack gap="md" data-testid="merge-dialog">
        <Text size="sm">
          {reports.map((r) => r.trackingId).join(', ')} {reports.length === 1 ? 'joins' : 'join'} the incident
          you choose; its observables are linked to it.
        </Text>
        <ErrorAlert error={incidents.error} title="Could not load incidents" />
        <ErrorAlert error={merge.error} title="The reports were not merged" />
        <Select
          label="Incident"
          placeholder={incidents.isPending ? 'Loading incidents…' : 'Choose an open incident'}
          data={options}
          value={incidentId}
          onChange={setIncidentId}
          searchable
          nothingFoundMessage="No open incident of yours matches"
          comboboxProps={{ withinPortal: true }}
        />
        {suggested.length > 0 ? (
          <Text size="xs" c="dimmed">
            ★ marks incidents that hold possible duplicates of these reports.
          </Text>
        ) : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            disabled={incidentId === null}
            loading={merge.isPending}
            onClick={() => {
              if (incidentId !== null) {
                merge.mutate(incidentId)
              }
            }}
          >
            Merge
          </Button>
        </Group>
      </Stack>
    </Modal>
  )
}
