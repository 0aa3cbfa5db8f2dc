import { Anchor, Stack, Text, Title } from '@mantine/core'
import { Link, useNavigate } from '@tanstack/react-router'
import { usePageTitle } from '../lib/page-title.js'
import { NewIncidentForm } from './new-incident.form.js'

/** A form to open an incident by hand (incidents made from reports are opened from the triage queue). */
export function NewIncidentPage() {
  usePageTitle('New incident')
  const navigate = useNavigate()
  return (
    <Stack gap="md" maw={960}>
      <Stack gap={4}>
        <Anchor component={Link} to="/incidents" size="sm">
          Back to Incidents
        </Anchor>
        <Title order={1}>New incident</Title>
        <Text c="dimmed" size="sm">
          An incident your organisation handles. To make one from reports, select them in the triage queue.
        </Text>
      </Stack>
      <NewIncidentForm
        onCreated={(incident) => void navigate({ to: '/incidents/$id', params: { id: incident.id } })}
      />
    </Stack>
  )
}
