import { Alert, Button, Group, Modal, NativeSelect, Stack, Table, Text, TextInput } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { ErrorAlert } from '../lib/error-alert.js'
import { QueryStatus } from '../lib/query-status.js'
import { useMe } from '../shell/use-me.js'
import { INCIDENTS_KEY, setSlaPolicy, slaPolicyQuery, type SlaSettingsInput } from './incident.api.js'
import { SEVERITIES, SEVERITY_LABELS, type Severity } from './incident.constants.js'

/** Roles that change their organisation's SLA targets (as the server checks). */
const SLA_WRITE_ROLES = ['admin', 'coordinator'] as const

/** Upper bounds of the API (`SlaSettingsSchema`), in minutes. */
const MAX_MINUTES = { acknowledge: 525_600, resolve: 5_256_000 } as const

type Unit = 'hours' | 'minutes'
type Timer = 'acknowledge' | 'resolve'

const UNIT_OPTIONS = [
  { value: 'hours', label: 'hours' },
  { value: 'minutes', label: 'minutes' },
]

const TIMER_TEXT: Record<Timer, string> = { acknowledge: 'Acknowledge within', resolve: 'Resolve within' }

/** A duration as typed: the number's text and its unit. */
interface Duration {
  amount: string
  unit: Unit
}

type Draft = Record<Severity, Record<Timer, Duration>>

/** Whole hours when the minutes allow it, else minutes. */
function durationOf(minutes: number): Duration {
  return minutes % 60 === 0
    ? { amount: String(minutes / 60), unit: 'hours' }
    : { amount: String(minutes), unit: 'minutes' }
}

/** How a number of minutes reads, e.g. "2 h", "1 h 30 min", "45 min". */
export function formatMinutes(minutes: number): string {
  const hours = Math.floor(minutes / 60)
  const rest = minutes % 60
  if (hours === 0) {
    return `${rest} min`
  }
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`
}

function draftOf(policy: SlaSettingsInput): Draft {
  const of = (severity: Severity) => ({
    acknowledge: durationOf(policy[severity].acknowledgeMinutes),
    resolve: durationOf(policy[severity].resolveMinutes),
  })
  return { critical: of('critical'), high: of('high'), medium: of('medium'), low: of('low') }
}

type Errors = Partial<Record<`${Severity}.${Timer}`, string>>

/** The minutes of one typed duration, or undefined after noting what is wrong with it in `errors`. */
function readMinutes(draft: Draft, severity: Severity, timer: Timer, errors: Errors): number | undefined {
  const { amount, unit } = draft[severity][timer]
  const text = amount.trim()
  if (!/^\d+$/.test(text) || Number(text) === 0) {
    errors[`${severity}.${timer}`] = 'Give a whole number greater than 0.'
    return undefined
  }
  const minutes = Number(text) * (unit === 'hours' ? 60 : 1)
  if (minutes > MAX_MINUTES[timer]) {
    errors[`${severity}.${timer}`] = `At most ${MAX_MINUTES[timer] / 60} hours.`
    return undefined
  }
  return minutes
}

/** The targets of one severity, or undefined after noting what is wrong in `errors`. */
function readTarget(
  draft: Draft,
  severity: Severity,
  errors: Errors,
): SlaSettingsInput[Severity] | undefined {
  const acknowledgeMinutes = readMinutes(draft, severity, 'acknowledge', errors)
  const resolveMinutes = readMinutes(draft, severity, 'resolve', errors)
  if (acknowledgeMinutes === undefined || resolveMinutes === undefined) {
    return undefined
  }
  if (resolveMinutes < acknowledgeMinutes) {
    errors[`${severity}.resolve`] = 'Must not be shorter than the time to acknowledge.'
    return undefined
  }
  return { acknowledgeMinutes, resolveMinutes }
}

/** The policy a draft stands for, or the message of every field that is wrong. */
function readDraft(draft: Draft): { policy: SlaSettingsInput } | { errors: Errors } {
  const errors: Errors = {}
  const critical = readTarget(draft, 'critical', errors)
  const high = readTarget(draft, 'high', errors)
  const medium = readTarget(draft, 'medium', errors)
  const low = readTarget(draft, 'low', errors)
  if (critical === undefined || high === undefined || medium === undefined || low === undefined) {
    return { errors }
  }
  return { policy: { critical, high, medium, low } }
}

function SlaTable({ policy }: { policy: SlaSettingsInput }) {
  return (
    <Table aria-label="SLA targets" data-testid="sla-policy">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Severity</Table.Th>
          <Table.Th>Acknowledge within</Table.Th>
          <Table.Th>Resolve within</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {SEVERITIES.map((severity) => (
          <Table.Tr key={severity} data-severity={severity}>
            <Table.Th scope="row" fw={500}>
              {SEVERITY_LABELS[severity]}
            </Table.Th>
            <Table.Td>{formatMinutes(policy[severity].acknowledgeMinutes)}</Table.Td>
            <Table.Td>{formatMinutes(policy[severity].resolveMinutes)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  )
}

function SlaForm({ policy, onDone }: { policy: SlaSettingsInput; onDone: () => void }) {
  const queryClient = useQueryClient()
  const [draft, setDraft] = useState<Draft>(() => draftOf(policy))
  const [errors, setErrors] = useState<Errors>({})
  const save = useMutation({
    mutationFn: setSlaPolicy,
    onSuccess: async (saved) => {
      queryClient.setQueryData(slaPolicyQuery.queryKey, saved)
      await queryClient.invalidateQueries({ queryKey: [...INCIDENTS_KEY, 'list'] })
      onDone()
    },
  })
  const change = (severity: Severity, timer: Timer, next: Partial<Duration>) =>
    setDraft((previous) => ({
      ...previous,
      [severity]: { ...previous[severity], [timer]: { ...previous[severity][timer], ...next } },
    }))
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const read = readDraft(draft)
    if ('errors' in read) {
      setErrors(read.errors)
      return
    }
    setErrors({})
    save.mutate(read.policy)
  }
  const invalid = Object.keys(errors).length
  return (
    <form onSubmit={submit} aria-label="SLA targets" data-testid="sla-form" noValidate>
      <Stack gap="sm">
        <ErrorAlert error={save.error} title="The SLA targets were not saved" />
        {invalid > 0 ? (
          <Alert color="red" variant="light" role="alert" title="Check the targets">
            {invalid === 1 ? 'One field needs' : `${invalid} fields need`} a change before saving.
          </Alert>
        ) : null}
        {SEVERITIES.map((severity) => (
          <fieldset key={severity} style={{ border: 0, padding: 0, margin: 0 }} data-severity={severity}>
            <Text component="legend" fw={600} size="sm" mb={4}>
              {SEVERITY_LABELS[severity]}
            </Text>
            <Group align="flex-start" grow wrap="wrap">
              {(['acknowledge', 'resolve'] as const).map((timer) => {
                // The legend names the severity; the accessible name repeats it, as eight fields share two labels.
                const name = `${SEVERITY_LABELS[severity]}: ${TIMER_TEXT[timer].toLowerCase()}`
                return (
                  <Group key={timer} gap={4} align="flex-start" wrap="nowrap">
                    <TextInput
                      label={TIMER_TEXT[timer]}
                      aria-label={name}
                      inputMode="numeric"
                      autoComplete="off"
                      value={draft[severity][timer].amount}
                      error={errors[`${severity}.${timer}`]}
                      onChange={(event) => change(severity, timer, { amount: event.currentTarget.value })}
                      style={{ flex: 1 }}
                    />
                    <NativeSelect
                      label="Unit"
                      aria-label={`${name}, unit`}
                      data={UNIT_OPTIONS}
                      value={draft[severity][timer].unit}
                      onChange={(event) =>
                        change(severity, timer, {
                          unit: event.currentTarget.value === 'minutes' ? 'minutes' : 'hours',
                        })
                      }
                    />
                  </Group>
                )
              })}
            </Group>
          </fieldset>
        ))}
        <Text size="xs" c="dimmed">
          New targets apply to incidents opened from now on and to severity changes; running timers keep their
          due times.
        </Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending}>
            Save SLA targets
          </Button>
        </Group>
      </Stack>
    </form>
  )
}

/** Props of {@link SlaSettingsDialog}. */
export interface SlaSettingsDialogProps {
  opened: boolean
  onClose: () => void
}

/**
 * The caller's organisation's SLA targets per severity: a form for its admins and coordinators, a
 * read-only table for everyone else.
 */
export function SlaSettingsDialog({ opened, onClose }: SlaSettingsDialogProps) {
  const me = useMe()
  const policy = useQuery({ ...slaPolicyQuery, enabled: opened })
  const [editing, setEditing] = useState(false)
  const mayEdit = SLA_WRITE_ROLES.some((role) => role === me.user.role)
  const close = () => {
    setEditing(false)
    onClose()
  }
  return (
    <Modal
      opened={opened}
      onClose={close}
      title={`SLA targets of ${me.organisation.name}`}
      size="lg"
      closeButtonProps={{ 'aria-label': 'Close' }}
    >
      <Stack gap="md" data-testid="sla-dialog">
        <QueryStatus pending={policy.isPending} error={policy.error} what="the SLA targets" />
        {policy.data && editing ? <SlaForm policy={policy.data} onDone={() => setEditing(false)} /> : null}
        {policy.data && !editing ? (
          <>
            <SlaTable policy={policy.data} />
            <Text size="xs" c="dimmed">
              An incident is acknowledged when its status first changes, and resolved when it is resolved or
              closed.
              {mayEdit ? '' : ' Admins and coordinators of your organisation change these targets.'}
            </Text>
            <Group justify="flex-end">
              {mayEdit ? (
                <Button variant="default" onClick={() => setEditing(true)}>
                  Change targets
                </Button>
              ) : null}
              <Button onClick={close}>Close</Button>
            </Group>
          </>
        ) : null}
      </Stack>
    </Modal>
  )
}
