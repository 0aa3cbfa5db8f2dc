import {
  Alert,
  Anchor,
  Button,
  Code,
  FileInput,
  Group,
  NativeSelect,
  Paper,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core'
import { useMutation, useQuery } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import type { CreateReportInput } from '../../../src/core/incident/report.schema.js'
import { meQuery } from '../account/session.api.js'
import { ApiError } from '../lib/api.client.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { usePageTitle } from '../lib/page-title.js'
import { PublicFrame } from './public.frame.js'
import { filesProblem, submitReport, type ReportReceipt } from './report.api.js'

const YES_NO = [
  { value: '', label: 'Not answered' },
  { value: 'yes', label: 'Yes' },
  { value: 'no', label: 'No' },
]

const ENTITY_TYPES = [
  { value: '', label: 'Not answered' },
  { value: 'essential', label: 'Essential entity' },
  { value: 'important', label: 'Important entity' },
  { value: 'neither', label: 'Neither' },
  { value: 'unknown', label: 'I do not know' },
]

type EntityType = NonNullable<NonNullable<CreateReportInput['nis2']>['entityType']>

function isEntityType(value: string): value is EntityType {
  return ['essential', 'important', 'neither', 'unknown'].includes(value)
}

function yesNo(value: string): boolean | undefined {
  return value === 'yes' ? true : value === 'no' ? false : undefined
}

function fieldOf(error: unknown): string | null {
  return error instanceof ApiError && typeof error.details?.field === 'string' ? error.details.field : null
}

/** The receipt after a report: the tracking id and the secret status link, shown once. */
function Receipt({ receipt }: { receipt: ReportReceipt }) {
  return (
    <Paper withBorder p="lg" radius="md" role="region" aria-labelledby="receipt-heading" bg="indigo.0">
      <Stack gap="sm">
        <Title order={2} size="h3" id="receipt-heading">
          Report received
        </Title>
        <Text>
          Your tracking id is{' '}
          <Code fz="md" data-testid="tracking-id">
            {receipt.trackingId}
          </Code>
          . Quote it when you contact us.
        </Text>
        <Text>
          Follow your report and add information with this link. Keep it: it is shown only once and is the
          only way in without an account.
        </Text>
        <Anchor href={receipt.statusUrl} data-testid="status-link" style={{ overflowWrap: 'anywhere' }}>
          {receipt.statusUrl}
        </Anchor>
      </Stack>
    </Paper>
  )
}

/** The public report form (no account needed); signed-in constituents get their contact filled in. */
export function ReportPage() {
  usePageTitle('Report an incident')
  const me = useQuery({ ...meQuery, retry: false })
  const signedIn = me.data !== undefined
  const [name, setName] = useState('')
  const [email, setEmail] = useState('')
  const [phone, setPhone] = useState('')
  const [organisation, setOrganisation] = useState('')
  const [summary, setSummary] = useState('')
  const [occurredAt, setOccurredAt] = useState('')
  const [affectedSystems, setAffectedSystems] = useState('')
  const [description, setDescription] = useState('')
  const [entityType, setEntityType] = useState('')
  const [malicious, setMalicious] = useState('')
  const [crossBorder, setCrossBorder] = useState('')
  const [files, setFiles] = useState<File[]>([])
  const [missing, setMissing] = useState<Record<string, string>>({})
  const [prefilled, setPrefilled] = useState(false)

  if (me.data !== undefined && !prefilled) {
    setPrefilled(true)
    setName(me.data.user.name)
    setEmail(me.data.user.email)
    setOrganisation(me.data.organisation.name)
  }

  const send = useMutation({ mutationFn: submitReport })
  const fileProblem = filesProblem(files)
  const serverField = fieldOf(send.error)

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const problems: Record<string, string> = {}
    if (email.trim() === '') {
      problems.email = 'Give an e-mail address we can answer you at.'
    }
    if (summary.trim() === '') {
      problems.summary = 'Say in a line what happened.'
    }
    setMissing(problems)
    if (Object.keys(problems).length > 0 || fileProblem !== null) {
      return
    }
    const nis2: NonNullable<CreateReportInput['nis2']> = {
      ...(isEntityType(entityType) ? { entityType } : {}),
      ...(yesNo(malicious) === undefined ? {} : { suspectedMalicious: yesNo(malicious) }),
      ...(yesNo(crossBorder) === undefined ? {} : { crossBorderImpact: yesNo(crossBorder) }),
    }
    const when = occurredAt === '' ? null : new Date(occurredAt)
    const report: CreateReportInput = {
      reporter: {
        email: email.trim(),
        ...(name.trim() === '' ? {} : { name: name.trim() }),
        ...(phone.trim() === '' ? {} : { phone: phone.trim() }),
        ...(organisation.trim() === '' ? {} : { organisation: organisation.trim() }),
      },
      summary: summary.trim(),
      ...(when === null || Number.isNaN(when.getTime()) ? {} : { occurredAt: when.toISOString() }),
      ...(affectedSystems.trim() === '' ? {} : { affectedSystems }),
      ...(description.trim() === '' ? {} : { description }),
      ...(Object.keys(nis2).length === 0 ? {} : { nis2 }),
    }
    send.mutate({ report, files })
  }

  return (
    <PublicFrame signedIn={signedIn}>
      <Stack gap={4}>
        <Title order={1}>Report an incident</Title>
        <Text c="dimmed" size="sm">
          Tell us what happened. No account is needed: you get a tracking id and a private link to follow your
          report and add information later.
        </Text>
      </Stack>
      {send.data ? (
        <Receipt receipt={send.data} />
      ) : (
        <form onSubmit={submit} aria-label="Incident report" data-testid="report-form" noValidate>
          <Stack gap="md">
            <ErrorAlert error={send.error} title="The report was not sent" />
            <Paper withBorder p="md" radius="md" component="fieldset">
              <Stack gap="sm">
                <Title order={2} size="h4" component="legend">
                  How to reach you
                </Title>
                <Group grow align="flex-start">
                  <TextInput
                    label="Name"
                    maxLength={200}
                    value={name}
                    onChange={(e) => setName(e.currentTarget.value)}
                  />
                  <TextInput
                    label="E-mail"
                    type="email"
                    required
                    maxLength={320}
                    value={email}
                    error={
                      missing.email ?? (serverField === 'reporter.email' ? 'Check this address.' : undefined)
                    }
                    onChange={(e) => setEmail(e.currentTarget.value)}
                  />
                </Group>
                <Group grow align="flex-start">
                  <TextInput
                    label="Phone"
                    maxLength={50}
                    value={phone}
                    onChange={(e) => setPhone(e.currentTarget.value)}
                  />
                  <TextInput
                    label="Organisation"
                    maxLength={300}
                    value={organisation}
                    onChange={(e) => setOrganisation(e.currentTarget.value)}
                  />
                </Group>
              </Stack>
            </Paper>
            <TextInput
              label="What happened"
              description="One line, e.g. “Ransomware on the file server”."
              required
              maxLength={500}
              value={summary}
              error={missing.summary}
              onChange={(e) => setSummary(e.currentTarget.value)}
            />
            <TextInput
              label="When did it happen"
              description="Your local time; leave empty if unknown."
              type="datetime-local"
              w={280}
              value={occurredAt}
              onChange={(e) => setOccurredAt(e.currentTarget.value)}
            />
            <Textarea
              label="Affected systems"
              autosize
              minRows={2}
              maxLength={5000}
              value={affectedSystems}
              onChange={(e) => setAffectedSystems(e.currentTarget.value)}
            />
            <Textarea
              label="Details"
              description="Everything else: what you saw, addresses, domains, hashes, what you did already."
              autosize
              minRows={6}
              maxRows={24}
              maxLength={100_000}
              value={description}
              onChange={(e) => setDescription(e.currentTarget.value)}
            />
            <FileInput
              label="Attachments"
              description="Up to 10 files, 10 MiB each, 25 MiB together. They are stored with their SHA-256."
              multiple
              clearable
              value={files}
              error={fileProblem}
              onChange={setFiles}
            />
            <Paper withBorder p="md" radius="md" component="fieldset">
              <Stack gap="sm">
                <Title order={2} size="h4" component="legend">
                  NIS2 (optional)
                </Title>
                <NativeSelect
                  label="Is your organisation an essential or important entity under NIS2?"
                  data={ENTITY_TYPES}
                  value={entityType}
                  onChange={(e) => setEntityType(e.currentTarget.value)}
                />
                <NativeSelect
                  label="Do you suspect an unlawful or malicious act?"
                  data={YES_NO}
                  value={malicious}
                  onChange={(e) => setMalicious(e.currentTarget.value)}
                />
                <NativeSelect
                  label="Could the incident have an impact in other countries?"
                  data={YES_NO}
                  value={crossBorder}
                  onChange={(e) => setCrossBorder(e.currentTarget.value)}
                />
              </Stack>
            </Paper>
            {signedIn ? (
              <Alert variant="light" color="indigo">
                You are signed in: the report is linked to your account and organisation.
              </Alert>
            ) : null}
            <Group>
              <Button type="submit" loading={send.isPending} disabled={fileProblem !== null}>
                Send report
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </PublicFrame>
  )
}
