import { Badge, Button, Checkbox, Group, Paper, Stack, Text, Textarea, Title } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { ErrorAlert } from '../lib/error-alert.js'
import { formatDateTime } from '../lib/format.js'
import { QueryStatus } from '../lib/query-status.js'
import { useMe } from '../shell/use-me.js'
import { LabelBadge } from '../trust/label-badge.js'
import { LabelPicker } from '../trust/label-picker.js'
import { DEFAULT_LABEL, labelProblems, type LabelInput } from '../trust/label.constants.js'
import { addNote, notesQuery, type IncidentWire } from './incident.api.js'
import { useIncidentRights, useIncidentTouched, useOrgNames, usePeopleNames } from './incident.hooks.js'

function AddNoteForm({ incidentId, onAdded }: { incidentId: string; onAdded: () => Promise<void> }) {
  const me = useMe()
  const [body, setBody] = useState('')
  const [shared, setShared] = useState(false)
  const [label, setLabel] = useState<LabelInput>(DEFAULT_LABEL)
  const [bodyError, setBodyError] = useState<string | undefined>()
  const problems = labelProblems(label, me.organisation.id)
  const add = useMutation({
    mutationFn: () => addNote(incidentId, { body, label, shared }),
    onSuccess: async () => {
      setBody('')
      setShared(false)
      await onAdded()
    },
  })
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (body.trim() === '') {
      setBodyError('Write the note first.')
      return
    }
    setBodyError(undefined)
    if (problems.length > 0) {
      return
    }
    add.mutate()
  }
  return (
    <Paper withBorder p="md" radius="md">
      <form onSubmit={submit} aria-label="Add a note" data-testid="note-form" noValidate>
        <Stack gap="sm">
          <ErrorAlert error={add.error} title="The note was not added" />
          <Textarea
            label="Note"
            required
            autosize
            minRows={3}
            maxRows={16}
            maxLength={100_000}
            value={body}
            error={bodyError}
            onChange={(event) => setBody(event.currentTarget.value)}
          />
          <LabelPicker
            legend="Who may read this note"
            value={label}
            onChange={(next) => {
              setLabel(next)
              if (next.tlp === 'red') {
                setShared(false)
              }
            }}
            ownerOrgId={me.organisation.id}
            disabled={add.isPending}
          />
          <Checkbox
            label="Share with the incident"
            description={
              label.tlp === 'red'
                ? 'A TLP:RED note is for its named recipients only.'
                : 'Everyone who sees the incident reads this note, whatever its audience.'
            }
            checked={shared}
            disabled={label.tlp === 'red'}
            onChange={(event) => setShared(event.currentTarget.checked)}
          />
          <Group>
            <Button type="submit" loading={add.isPending} disabled={problems.length > 0}>
              Add note
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  )
}

/** The incident's notes the caller may read, each under its own label; writers add notes. */
export function NotesPanel({ incident }: { incident: IncidentWire }) {
  const rights = useIncidentRights(incident)
  const queryClient = useQueryClient()
  const notes = useQuery(notesQuery(incident.id))
  const touched = useIncidentTouched(incident.id)
  const items = notes.data?.items ?? []
  const personName = usePeopleNames(items.map((n) => n.authorId))
  const orgName = useOrgNames()
  const refresh = async () => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: notesQuery(incident.id).queryKey }),
      touched(),
    ])
  }
  return (
    <Stack gap="md" component="section" aria-labelledby="notes-heading">
      <Title order={2} size="h4" id="notes-heading">
        Notes
      </Title>
      <QueryStatus pending={notes.isPending} error={notes.error} what="notes" />
      {notes.data && items.length === 0 ? (
        <Text size="sm" c="dimmed">
          No notes you may read yet.
        </Text>
      ) : null}
      <Stack gap="sm" data-testid="notes-list">
        {items.map((note) => (
          <Paper key={note.id} withBorder p="sm" radius="md" data-testid="note">
            <Group justify="space-between" gap="xs" mb={4}>
              <Text size="xs" c="dimmed">
                {personName(note.authorId)}, {orgName(note.authorOrgId)}, {formatDateTime(note.createdAt)}
              </Text>
              <Group gap="xs">
                {note.shared ? (
                  <Badge variant="light" color="teal">
                    Shared with the incident
                  </Badge>
                ) : null}
                <LabelBadge label={note.label} />
              </Group>
            </Group>
            <Text style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>{note.body}</Text>
          </Paper>
        ))}
      </Stack>
      {rights.write ? <AddNoteForm incidentId={incident.id} onAdded={refresh} /> : null}
    </Stack>
  )
}
