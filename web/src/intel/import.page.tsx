import {
  Alert,
  Anchor,
  Button,
  Checkbox,
  FileInput,
  Group,
  Paper,
  Progress,
  Radio,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { Link } from '@tanstack/react-router'
import { useState, type FormEvent } from 'react'
import { AnchorLink } from '../lib/anchor-link.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { usePageTitle } from '../lib/page-title.js'
import { useMe } from '../shell/use-me.js'
import { LabelPicker } from '../trust/label-picker.js'
import { DEFAULT_LABEL, labelProblems, type LabelInput } from '../trust/label.constants.js'
import {
  importFile,
  INTEL_KEY,
  problemsOf,
  type ImportFormat,
  type ImportProblem,
  type ImportSummaryWire,
} from './intel.api.js'

function ProblemsTable({
  problems,
  caption,
  testId = 'import-problems',
}: {
  problems: ImportProblem[]
  caption: string
  testId?: string
}) {
  return (
    <Table.ScrollContainer minWidth={720}>
      <Table striped data-testid={testId}>
        <Table.Caption>{caption}</Table.Caption>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>#</Table.Th>
            <Table.Th>Object</Table.Th>
            <Table.Th>Property</Table.Th>
            <Table.Th>Rule</Table.Th>
            <Table.Th>Message</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {problems.slice(0, 500).map((problem, index) => (
            <Table.Tr key={index}>
              <Table.Td>{problem.index}</Table.Td>
              <Table.Td style={{ overflowWrap: 'anywhere' }}>{problem.id ?? '—'}</Table.Td>
              <Table.Td style={{ overflowWrap: 'anywhere' }}>{problem.property}</Table.Td>
              <Table.Td>{problem.rule}</Table.Td>
              <Table.Td>{problem.message}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  )
}

/** What an import did: counts, a pending four-eyes release, values on warninglists, objects left out. */
export function ImportSummary({ summary }: { summary: ImportSummaryWire }) {
  const figures = [
    ['created', summary.created],
    ['updated', summary.updated],
    ['unchanged', summary.unchanged],
    ['rejected', summary.rejected],
  ] as const
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="import-summary-heading">
      <Stack gap="sm" data-testid="import-summary">
        <Title order={2} size="h4" id="import-summary-heading">
          Import done
        </Title>
        <SimpleGrid cols={{ base: 2, sm: 4 }}>
          {figures.map(([name, count]) => (
            <Text key={name} size="lg" data-testid={`import-${name}`}>
              <Text component="span" fw={700} size="lg">
                {count}
              </Text>{' '}
              {name}
            </Text>
          ))}
        </SimpleGrid>
        {summary.upgradedFrom20 ? (
          <Text size="sm" c="dimmed">
            The content was STIX 2.0 and was upgraded to STIX 2.1.
          </Text>
        ) : null}
        {summary.release ? (
          <Alert
            color="indigo"
            variant="light"
            title="Held for a four-eyes release"
            data-testid="import-release"
          >
            Your organisation releases intelligence with four eyes: the objects stay with your organisation
            until another admin, analyst or coordinator approves the label you asked for.{' '}
            <Anchor component={Link} to="/intelligence/releases" size="sm">
              See the releases
            </Anchor>
          </Alert>
        ) : null}
        {summary.warninglistHits.total > 0 ? (
          <Stack gap="xs" data-testid="import-warninglist-hits">
            <Text size="sm" fw={600}>
              {summary.warninglistHits.total === 1
                ? '1 value is on a warninglist of known-benign values'
                : `${summary.warninglistHits.total} values are on warninglists of known-benign values`}
            </Text>
            <Text size="sm" c="dimmed">
              They were imported and are flagged; exports for blocking leave them out.
            </Text>
            <Table.ScrollContainer minWidth={560}>
              <Table striped>
                <Table.Caption>
                  {summary.warninglistHits.items.length < summary.warninglistHits.total
                    ? `The first ${summary.warninglistHits.items.length} values on warninglists`
                    : 'Values on warninglists'}
                </Table.Caption>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Value</Table.Th>
                    <Table.Th>Warninglist</Table.Th>
                    <Table.Th>Object</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {summary.warninglistHits.items.map((hit) => (
                    <Table.Tr key={`${hit.objectId}/${hit.value}/${hit.warninglist}`}>
                      <Table.Td style={{ overflowWrap: 'anywhere' }}>{hit.value}</Table.Td>
                      <Table.Td>{hit.warninglist}</Table.Td>
                      <Table.Td style={{ overflowWrap: 'anywhere' }}>
                        <AnchorLink to="/intelligence/objects/$id" params={{ id: hit.objectId }} size="sm">
                          {hit.objectId}
                        </AnchorLink>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Stack>
        ) : null}
        {summary.problems.length > 0 ? (
          <ProblemsTable problems={summary.problems} caption="Objects left out, and why" />
        ) : null}
        {summary.warnings.total > 0 ? (
          <ProblemsTable
            problems={summary.warnings.items}
            testId="import-warnings"
            caption={
              summary.warnings.items.length < summary.warnings.total
                ? `Warnings: read other than written, imported all the same (the first ${summary.warnings.items.length} of ${summary.warnings.total})`
                : 'Warnings: read other than written, imported all the same'
            }
          />
        ) : null}
        <Anchor component={Link} to="/intelligence" size="sm">
          See the objects
        </Anchor>
      </Stack>
    </Paper>
  )
}

/** Imports a STIX bundle or MISP event file under a sharing label (or the content's own markings). */
export function ImportPage() {
  usePageTitle('Import intelligence')
  const me = useMe()
  const queryClient = useQueryClient()
  const [file, setFile] = useState<File | null>(null)
  const [useMarkings, setUseMarkings] = useState(true)
  const [label, setLabel] = useState<LabelInput>(DEFAULT_LABEL)
  const [skipInvalid, setSkipInvalid] = useState(false)
  const [format, setFormat] = useState<ImportFormat>('auto')
  const [progress, setProgress] = useState(0)
  const [fileError, setFileError] = useState<string | undefined>()
  const problems = useMarkings ? [] : labelProblems(label, me.organisation.id)

  const upload = useMutation({
    mutationFn: (input: {
      file: File
      label: LabelInput | null
      skipInvalid: boolean
      format: ImportFormat
    }) =>
      importFile(
        input.file,
        { label: input.label, skipInvalid: input.skipInvalid, format: input.format },
        setProgress,
      ),
    onMutate: () => setProgress(0),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: INTEL_KEY })
    },
  })
  const rejected = problemsOf(upload.error)

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (file === null) {
      setFileError('Choose a JSON file: a STIX bundle or a MISP event.')
      return
    }
    setFileError(undefined)
    if (problems.length > 0) {
      return
    }
    upload.mutate({ file, label: useMarkings ? null : label, skipInvalid, format })
  }

  return (
    <Stack gap="md" maw={960}>
      <Stack gap={4}>
        <Anchor component={Link} to="/intelligence" size="sm">
          Back to Intelligence
        </Anchor>
        <Title order={1}>Import intelligence</Title>
        <Text c="dimmed" size="sm">
          A STIX 2.1 bundle (2.0 is upgraded) or a MISP event, as a JSON file. Nothing is stored when an
          object is invalid, unless you choose to skip invalid objects.
        </Text>
      </Stack>
      <form onSubmit={submit} aria-label="Import intelligence" data-testid="import-form" noValidate>
        <Stack gap="md">
          <FileInput
            label="File"
            description="JSON: a STIX bundle or a MISP event"
            placeholder="Choose a file"
            accept="application/json,.json"
            required
            clearable
            clearButtonProps={{ 'aria-label': 'Remove the chosen file' }}
            value={file}
            error={fileError}
            onChange={(next) => {
              setFile(next)
              upload.reset()
            }}
            data-testid="import-file"
          />
          <Radio.Group
            label="Format"
            value={format}
            onChange={(value) => setFormat(value === 'stix' || value === 'misp' ? value : 'auto')}
          >
            <Group gap="md" mt="xs">
              <Radio value="auto" label="Detect" />
              <Radio value="stix" label="STIX" />
              <Radio value="misp" label="MISP" />
            </Group>
          </Radio.Group>
          <Checkbox
            label="Use the content's markings"
            description="Without a label of yours, each object gets the strictest TLP marking of the content, for your organisation only."
            checked={useMarkings}
            onChange={(event) => setUseMarkings(event.currentTarget.checked)}
          />
          {useMarkings ? null : (
            <LabelPicker
              value={label}
              onChange={setLabel}
              ownerOrgId={me.organisation.id}
              legend="Sharing label of the imported objects"
              disabled={upload.isPending}
            />
          )}
          <Checkbox
            label="Skip invalid objects"
            description="Import the valid objects and report the others, instead of importing nothing."
            checked={skipInvalid}
            onChange={(event) => setSkipInvalid(event.currentTarget.checked)}
          />
          <Group>
            <Button type="submit" loading={upload.isPending} disabled={problems.length > 0}>
              Import
            </Button>
            {upload.isPending ? (
              <Progress
                value={progress * 100}
                w={240}
                aria-label="Upload progress"
                animated={progress >= 1}
                data-testid="import-progress"
              />
            ) : null}
          </Group>
        </Stack>
      </form>
      {upload.error ? (
        rejected.length > 0 ? (
          <Alert
            color="red"
            variant="light"
            title="Nothing was imported"
            role="alert"
            data-testid="import-error"
          >
            <Stack gap="sm">
              <Text size="sm">{upload.error.message}</Text>
              <ProblemsTable problems={rejected} caption="Problems found in the content" />
            </Stack>
          </Alert>
        ) : (
          <ErrorAlert error={upload.error} title="Nothing was imported" />
        )
      ) : null}
      {upload.data ? <ImportSummary summary={upload.data} /> : null}
    </Stack>
  )
}
