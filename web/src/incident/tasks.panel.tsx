import {
  ActionIcon,
  Badge,
  Button,
  Checkbox,
  Group,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { ErrorAlert } from '../lib/error-alert.js'
import { formatDateTime } from '../lib/format.js'
import { QueryStatus } from '../lib/query-status.js'
import {
  createTask,
  deleteTask,
  fromLocalInput,
  tasksQuery,
  updateTask,
  type IncidentWire,
  type TaskWire,
} from './incident.api.js'
import { useIncidentRights, useIncidentTouched } from './incident.hooks.js'

function AddTaskForm({ incidentId, onAdded }: { incidentId: string; onAdded: () => Promise<void> }) {
  const [title, setTitle] = useState('')
  const [due, setDue] = useState('')
  const [titleError, setTitleError] = useState<string | undefined>()
  const add = useMutation({
    mutationFn: () => {
      const dueAt = fromLocalInput(due)
      return createTask(incidentId, { title: title.trim(), ...(dueAt === null ? {} : { dueAt }) })
    },
    onSuccess: async () => {
      setTitle('')
      setDue('')
      await onAdded()
    },
  })
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (title.trim() === '') {
      setTitleError('Say what is to be done.')
      return
    }
    setTitleError(undefined)
    add.mutate()
  }
  return (
    <form onSubmit={submit} aria-label="Add a task" data-testid="task-form" noValidate>
      <Stack gap="xs">
        <ErrorAlert error={add.error} title="The task was not added" />
        <Group align="flex-start" wrap="wrap">
          <TextInput
            label="Task"
            required
            maxLength={300}
            autoComplete="off"
            value={title}
            error={titleError}
            onChange={(event) => setTitle(event.currentTarget.value)}
            miw={320}
            style={{ flex: 1 }}
          />
          <TextInput
            type="datetime-local"
            label="Due"
            value={due}
            onChange={(event) => setDue(event.currentTarget.value)}
            w={230}
          />
          <Button type="submit" loading={add.isPending} mt={25}>
            Add task
          </Button>
        </Group>
      </Stack>
    </form>
  )
}

function TaskRow({
  task,
  incidentId,
  mayWork,
  onChanged,
}: {
  task: TaskWire
  incidentId: string
  mayWork: boolean
  onChanged: () => Promise<void>
}) {
  const change = useMutation({
    mutationFn: (done: boolean) => updateTask(incidentId, task.id, { done }),
    onSuccess: onChanged,
  })
  const remove = useMutation({ mutationFn: () => deleteTask(incidentId, task.id), onSuccess: onChanged })
  return (
    <Table.Tr data-testid="task-row" data-done={task.done} data-overdue={task.overdue}>
      <Table.Td>
        <Checkbox
          aria-label={`Done: ${task.title}`}
          checked={task.done}
          disabled={!mayWork || change.isPending}
          onChange={(event) => change.mutate(event.currentTarget.checked)}
        />
      </Table.Td>
      <Table.Th scope="row" fw={400} td={task.done ? 'line-through' : undefined}>
        {task.title}
        <ErrorAlert error={change.error ?? remove.error} title="The task was not changed" />
      </Table.Th>
      <Table.Td style={{ whiteSpace: 'nowrap' }}>
        <Group gap="xs" wrap="nowrap">
          {formatDateTime(task.dueAt, 'No due date')}
          {task.overdue ? (
            <Badge color="red.8" variant="filled">
              Overdue
            </Badge>
          ) : null}
        </Group>
      </Table.Td>
      <Table.Td style={{ whiteSpace: 'nowrap' }}>{task.done ? formatDateTime(task.doneAt) : '—'}</Table.Td>
      {mayWork ? (
        <Table.Td>
          <ActionIcon
            variant="subtle"
            color="red"
            aria-label={`Delete task ${task.title}`}
            loading={remove.isPending}
            onClick={() => remove.mutate()}
          >
            ×
          </ActionIcon>
        </Table.Td>
      ) : null}
    </Table.Tr>
  )
}

/** The incident's tasks: add with a due date, tick off, overdue marked; the owner organisation's work. */
export function TasksPanel({ incident }: { incident: IncidentWire }) {
  const rights = useIncidentRights(incident)
  const queryClient = useQueryClient()
  const tasks = useQuery(tasksQuery(incident.id))
  const touched = useIncidentTouched(incident.id)
  const refresh = async () => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: tasksQuery(incident.id).queryKey }),
      touched(),
    ])
  }
  const items = tasks.data?.items ?? []
  const open = items.filter((t) => !t.done).length
  const overdue = items.filter((t) => t.overdue).length
  return (
    <Stack gap="md" component="section" aria-labelledby="tasks-heading">
      <Title order={2} size="h4" id="tasks-heading">
        Tasks
      </Title>
      {rights.work ? <AddTaskForm incidentId={incident.id} onAdded={refresh} /> : null}
      <QueryStatus pending={tasks.isPending} error={tasks.error} what="tasks" />
      {tasks.data ? (
        <Text size="sm" c="dimmed" role="status">
          {items.length === 0
            ? 'No tasks yet.'
            : `${open} open of ${items.length}${overdue > 0 ? `, ${overdue} overdue` : ''}`}
        </Text>
      ) : null}
      {items.length > 0 ? (
        <Table.ScrollContainer minWidth={640}>
          <Table aria-labelledby="tasks-heading" data-testid="tasks-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th w={60}>Done</Table.Th>
                <Table.Th>Task</Table.Th>
                <Table.Th>Due</Table.Th>
                <Table.Th>Completed</Table.Th>
                {rights.work ? (
                  <Table.Th w={60}>
                    <Text component="span" size="sm" fw={700}>
                      Delete
                    </Text>
                  </Table.Th>
                ) : null}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((task) => (
                <TaskRow
                  key={task.id}
                  task={task}
                  incidentId={incident.id}
                  mayWork={rights.work}
                  onChanged={refresh}
                />
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
    </Stack>
  )
}
