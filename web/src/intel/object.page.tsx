import {
  Alert,
  Anchor,
  Badge,
  Code,
  Collapse,
  Group,
  List,
  Modal,
  NumberInput,
  Paper,
  Radio,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  Button,
} from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { getRouteApi, Link } from '@tanstack/react-router'
import { useState, type FormEvent } from 'react'
import { describeLabel } from '../../../src/core/trust/describe.js'
import { ObjectReceipts } from '../federation/object-receipts.js'
import { ApiError } from '../lib/api.client.js'
import { AnchorLink } from '../lib/anchor-link.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { formatDateTime, isWebAddress } from '../lib/format.js'
import { MissingRecord } from '../lib/missing-record.js'
import { usePageTitle } from '../lib/page-title.js'
import { PagePagination } from '../lib/page-pagination.js'
import { QueryStatus } from '../lib/query-status.js'
import { useMe } from '../shell/use-me.js'
import { LabelBadge } from '../trust/label-badge.js'
import { LabelPicker } from '../trust/label-picker.js'
import { DEFAULT_LABEL, labelProblems, type LabelInput } from '../trust/label.constants.js'
import { useLabelNames } from '../trust/trust.api.js'
import {
  CORRELATION_PAGE_SIZE,
  correlationPageQuery,
  correlationQuery,
  correlationValues,
  fetchRelated,
  INTEL_KEY,
  OBJECT_PAGE_LIST_ITEMS,
  objectQuery,
  objectTitle,
  recordSighting,
  SIGHTING_TYPE_LABELS,
  SIGHTINGS_PAGE_SIZE,
  sightingsQuery,
  type CorrelationWire,
  type ObjectDetailWire,
  type RelatedObjectWire,
  type SightingItemWire,
  type SightingType,
  type StixObject,
} from './intel.api.js'

const objectRouteApi = getRouteApi('/app/intelligence/objects/$id')

function text(object: StixObject, key: string): string | null {
  const value = object[key]
  return typeof value === 'string' && value !== '' ? value : null
}

function timestamp(object: StixObject, key: string): string | null {
  const value = text(object, key)
  return value === null ? null : formatDateTime(value)
}

interface ExternalReference {
  source_name?: unknown
  url?: unknown
  external_id?: unknown
  description?: unknown
}

/** Properties the page shows in rows of their own, in its other sections, or not at all. */
const PROPERTIES_SHOWN_APART = new Set([
  'type',
  'id',
  'spec_version',
  'name',
  'value',
  'description',
  'pattern',
  'valid_from',
  'valid_until',
  'labels',
  'external_references',
  'hashes',
  'payload_bin',
  'mime_type',
  'decryption_key',
  'created',
  'modified',
  'object_marking_refs',
  'granular_markings',
  'extensions',
  'x_liaison_provenance',
])

/** Most entries of a list property written out as one row (longer lists are in the raw JSON). */
const LIST_PROPERTY_ITEMS = 20

/**
 * The object's other properties with a readable value (text, numbers, booleans, short lists of
 * them), by name: references are listed as related objects, nested values are in the raw JSON.
 */
function otherProperties(object: StixObject): [string, string][] {
  const rows: [string, string][] = []
  for (const [name, value] of Object.entries(object)) {
    if (PROPERTIES_SHOWN_APART.has(name) || name.endsWith('_ref') || name.endsWith('_refs')) {
      continue
    }
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      rows.push([name, String(value)])
    } else if (
      Array.isArray(value) &&
      value.length > 0 &&
      value.length <= LIST_PROPERTY_ITEMS &&
      value.every((v) => typeof v === 'string' || typeof v === 'number')
    ) {
      rows.push([name, value.join(', ')])
    }
  }
  return rows
}

/** An artifact's content: its size and type, and a download of it as it is stored. */
function ArtifactPayload({ object }: { object: StixObject }) {
  const payload = text(object, 'payload_bin') ?? ''
  const mimeType = text(object, 'mime_type')
  const key = text(object, 'decryption_key')
  const bytes = Math.floor((payload.replace(/=+$/, '').length * 3) / 4)
  const download = () => {
    const binary = atob(payload)
    const content = Uint8Array.from(binary, (c) => c.charCodeAt(0))
    const url = URL.createObjectURL(new Blob([content], { type: mimeType ?? 'application/octet-stream' }))
    const link = document.createElement('a')
    link.href = url
    link.download = `${object.id}${mimeType === 'application/zip' ? '.zip' : '.bin'}`
    link.click()
    setTimeout(() => URL.revokeObjectURL(url), 10_000)
  }
  return (
    <Group gap="sm">
      <Text size="sm">
        {bytes.toLocaleString('en')} bytes{mimeType === null ? '' : `, ${mimeType}`}
        {key === null ? '' : ` (encrypted; password “${key}”)`}
      </Text>
      <Button size="compact-xs" variant="default" onClick={download}>
        Download
      </Button>
    </Group>
  )
}

function Properties({ object }: { object: StixObject }) {
  const rows: [string, React.ReactNode][] = []
  const add = (name: string, value: React.ReactNode) => {
    if (value !== null && value !== undefined && value !== '') {
      rows.push([name, value])
    }
  }
  add('Type', object.type)
  add('Name', text(object, 'name'))
  add('Value', text(object, 'value'))
  add(
    'Description',
    text(object, 'description') === null ? null : (
      <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
        {text(object, 'description')}
      </Text>
    ),
  )
  add('Pattern', text(object, 'pattern') === null ? null : <Code block>{text(object, 'pattern')}</Code>)
  add('Valid from', timestamp(object, 'valid_from'))
  add('Valid until', timestamp(object, 'valid_until'))
  const labels = Array.isArray(object.labels) ? object.labels.filter((l) => typeof l === 'string') : []
  add(
    'Labels',
    labels.length === 0 ? null : (
      <Group gap={4}>
        {labels.map((label) => (
          <Badge key={label} variant="light" color="gray" tt="none">
            {label}
          </Badge>
        ))}
      </Group>
    ),
  )
  const references = (Array.isArray(object.external_references) ? object.external_references : []).filter(
    (r): r is ExternalReference => typeof r === 'object' && r !== null,
  )
  add(
    'External references',
    references.length === 0 ? null : (
      <List size="sm" spacing={2}>
        {references.map((reference, index) => {
          const name = [reference.source_name, reference.external_id]
            .filter((p) => typeof p === 'string')
            .join(' ')
          const url = typeof reference.url === 'string' ? reference.url : null
          return (
            <List.Item key={index} style={{ overflowWrap: 'anywhere' }}>
              {name === '' ? 'Reference' : name}
              {url !== null && isWebAddress(url) ? (
                <>
                  {' '}
                  <Anchor href={url} target="_blank" rel="noopener noreferrer" size="sm">
                    {url}
                  </Anchor>
                </>
              ) : null}
            </List.Item>
          )
        })}
      </List>
    ),
  )
  const hashes = object.hashes
  if (typeof hashes === 'object' && hashes !== null && !Array.isArray(hashes)) {
    for (const [algorithm, digest] of Object.entries(hashes as Record<string, unknown>)) {
      if (typeof digest === 'string') {
        add(algorithm, <Code data-testid={`hash-${algorithm}`}>{digest}</Code>)
      }
    }
  }
  add('Content', text(object, 'payload_bin') === null ? null : <ArtifactPayload object={object} />)
  for (const [name, value] of otherProperties(object)) {
    add(name, value)
  }
  add('Created', timestamp(object, 'created'))
  add('Modified', timestamp(object, 'modified'))
  add('STIX id', <Code>{object.id}</Code>)
  return (
    <Table withRowBorders={false} data-testid="object-properties" layout="fixed">
      <Table.Tbody>
        {rows.map(([name, value]) => (
          <Table.Tr key={name}>
            <Table.Th w={180} style={{ verticalAlign: 'top' }}>
              {name}
            </Table.Th>
            <Table.Td style={{ overflowWrap: 'anywhere' }}>{value}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  )
}

function CorrelationHits({ result, objectId }: { result: CorrelationWire; objectId: string }) {
  const names = useLabelNames()
  const [page, setPage] = useState(1)
  const further = useQuery(correlationPageQuery(result.value, page))
  const shown = page === 1 ? result : (further.data?.results[0] ?? null)
  const hits = (shown?.hits ?? []).filter((hit) => hit.id !== objectId)
  const pages = Math.max(1, Math.ceil(result.total / CORRELATION_PAGE_SIZE))
  return (
    <Stack gap={4} data-testid="correlation-result">
      <Group gap="xs">
        <Text size="sm" fw={600} style={{ overflowWrap: 'anywhere' }}>
          {result.value}
          {result.kind === null ? '' : ` (${result.kind})`}
        </Text>
        {result.warninglists.map((list) => (
          <Badge key={list} size="sm" color="yellow" variant="light" tt="none" data-testid="warninglist-flag">
            On warninglist: {list}
          </Badge>
        ))}
      </Group>
      {result.warninglists.length > 0 ? (
        <Text size="xs" c="dimmed">
          A known-benign value: exports for blocking leave it out.
        </Text>
      ) : null}
      {page > 1 ? (
        <QueryStatus pending={further.isPending} error={further.error} what="correlations" />
      ) : null}
      {hits.length === 0 && page === 1 ? (
        <Text size="sm" c="dimmed">
          Found nowhere else.
        </Text>
      ) : (
        <List size="sm" spacing={2}>
          {hits.map((hit) => (
            <List.Item key={`${hit.ownerOrgId}/${hit.id}`}>
              {hit.type}{' '}
              <AnchorLink to="/intelligence/objects/$id" params={{ id: hit.id }} size="sm">
                {hit.name ?? hit.id}
              </AnchorLink>{' '}
              · {names.orgName(hit.ownerOrgId)}
              {hit.sightings.count > 0 ? (
                <> · {hit.sightings.count === 1 ? 'seen once' : `seen ${hit.sightings.count} times`}</>
              ) : null}
              {hit.sightings.falsePositives > 0 ? (
                <Badge ml="xs" size="xs" color="orange" variant="light" tt="none">
                  {hit.sightings.falsePositives === 1
                    ? '1 false positive'
                    : `${hit.sightings.falsePositives} false positives`}
                </Badge>
              ) : null}
              {hit.reports.length > 0 ? (
                <>
                  {' '}
                  · in{' '}
                  {hit.reports.map((report, index) => (
                    <span key={report}>
                      {index > 0 ? ', ' : ''}
                      <AnchorLink to="/intelligence/objects/$id" params={{ id: report }} size="sm">
                        {report}
                      </AnchorLink>
                    </span>
                  ))}
                </>
              ) : null}
            </List.Item>
          ))}
        </List>
      )}
      {pages > 1 ? (
        <Text size="xs" c="dimmed">
          {result.total} objects carry this value.
        </Text>
      ) : null}
      <PagePagination pages={pages} page={page} onChange={setPage} />
    </Stack>
  )
}

function Correlations({ object }: { object: StixObject }) {
  const values = correlationValues(object)
  const correlation = useQuery(correlationQuery(values))
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="correlate-heading">
      <Title order={2} size="h4" id="correlate-heading" mb="xs">
        Correlate
      </Title>
      <Text size="sm" c="dimmed" mb="xs">
        Where {values.length === 1 ? 'this value appears' : `these ${values.length} values appear`} among the
        objects you may see.
      </Text>
      <QueryStatus pending={correlation.isPending} error={correlation.error} what="correlations" />
      <Stack gap="sm" data-testid="correlations">
        {(correlation.data?.results ?? []).map((result) => (
          <CorrelationHits key={result.value} result={result} objectId={object.id} />
        ))}
      </Stack>
    </Paper>
  )
}

const SIGHTING_KIND_LABELS: Record<SightingItemWire['kind'], string> = {
  ...SIGHTING_TYPE_LABELS,
  opinion: 'Opinion',
}

const SIGHTING_KIND_COLOURS: Record<SightingItemWire['kind'], string> = {
  sighting: 'indigo',
  'false-positive': 'orange',
  expiration: 'gray',
  opinion: 'gray',
}

/** When a report says the object was seen (or from when it is a false positive or expired). */
function reportedAt(object: StixObject): string | null {
  return text(object, 'last_seen') ?? text(object, 'first_seen') ?? text(object, 'created')
}

/** The free text of a report: the sensor or person that saw it, or an opinion's explanation. */
function reportSource(object: StixObject): string | null {
  return text(object, 'x_misp_source') ?? text(object, 'description') ?? text(object, 'explanation')
}

function RecordSightingDialog({
  objectId,
  opened,
  onClose,
}: {
  objectId: string
  opened: boolean
  onClose: () => void
}) {
  const me = useMe()
  const queryClient = useQueryClient()
  const [type, setType] = useState<SightingType>('sighting')
  const [source, setSource] = useState('')
  const [count, setCount] = useState<number | string>(1)
  const [label, setLabel] = useState<LabelInput>(DEFAULT_LABEL)
  const problems = labelProblems(label, me.organisation.id)
  const record = useMutation({
    mutationFn: recordSighting,
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: INTEL_KEY })
      setSource('')
      setCount(1)
      onClose()
    },
  })

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (problems.length > 0) {
      return
    }
    record.mutate({
      objectId,
      type,
      label,
      ...(source.trim() === '' ? {} : { source: source.trim() }),
      ...(type === 'sighting' && typeof count === 'number' && count > 1 ? { count } : {}),
    })
  }

  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title="Record a sighting or false positive"
      size="lg"
      closeButtonProps={{ 'aria-label': 'Close the sighting dialog' }}
    >
      <form onSubmit={submit} aria-label="Record a sighting" data-testid="sighting-form" noValidate>
        <Stack gap="md">
          <ErrorAlert error={record.error} title="Nothing was recorded" />
          <Radio.Group
            label="What you report"
            value={type}
            onChange={(value) =>
              setType(value === 'false-positive' || value === 'expiration' ? value : 'sighting')
            }
          >
            <Stack gap="xs" mt="xs">
              <Radio value="sighting" label="Sighting: we saw it" />
              <Radio value="false-positive" label="False positive: it is benign or wrong" />
              <Radio value="expiration" label="Expiration: it is no longer valid" />
            </Stack>
          </Radio.Group>
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <TextInput
              label="Source"
              description="Optional. The sensor, feed or person that saw it."
              maxLength={500}
              value={source}
              onChange={(event) => setSource(event.currentTarget.value)}
            />
            {type === 'sighting' ? (
              <NumberInput
                label="Times seen"
                min={1}
                max={999_999_999}
                allowDecimal={false}
                hideControls
                value={count}
                onChange={setCount}
              />
            ) : null}
          </SimpleGrid>
          <LabelPicker
            value={label}
            onChange={setLabel}
            ownerOrgId={me.organisation.id}
            legend="Sharing label of your report"
            disabled={record.isPending}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={record.isPending} disabled={problems.length > 0}>
              Record {SIGHTING_TYPE_LABELS[type].toLowerCase()}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  )
}

function Sightings({ item }: { item: ObjectDetailWire }) {
  const me = useMe()
  const names = useLabelNames()
  const [page, setPage] = useState(1)
  const [recording, setRecording] = useState(false)
  const list = useQuery(sightingsQuery(item.object.id, page))
  const summary = item.sightings
  const total = list.data?.total ?? 0
  const pages = Math.max(1, Math.ceil(total / SIGHTINGS_PAGE_SIZE))
  const figures = [
    ['Times seen', String(summary.count)],
    ['False positives', String(summary.falsePositives)],
    ['Expirations', String(summary.expirations)],
    ['First seen', formatDateTime(summary.firstSeen)],
    ['Last seen', formatDateTime(summary.lastSeen)],
  ] as const
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="sightings-heading">
      <Group justify="space-between" mb="xs">
        <Title order={2} size="h4" id="sightings-heading">
          Sightings
        </Title>
        {me.user.role === 'viewer' ? null : (
          <Button size="xs" variant="default" onClick={() => setRecording(true)}>
            Record sighting or false positive
          </Button>
        )}
      </Group>
      <Stack gap="sm">
        {summary.falsePositives > 0 ? (
          <Alert
            color="orange"
            variant="light"
            title="Reported as a false positive"
            data-testid="false-positive-alert"
          >
            {summary.falsePositives === 1
              ? 'One report says this is a false positive.'
              : `${summary.falsePositives} reports say this is a false positive.`}
          </Alert>
        ) : null}
        <SimpleGrid cols={{ base: 2, sm: 5 }} data-testid="sightings-summary">
          {figures.map(([name, value]) => (
            <Stack gap={0} key={name}>
              <Text size="xs" c="dimmed">
                {name}
              </Text>
              <Text size="sm" fw={600} data-testid={`sightings-${name.toLowerCase().replaceAll(' ', '-')}`}>
                {value}
              </Text>
            </Stack>
          ))}
        </SimpleGrid>
        {summary.sightedBy.length > 0 ? (
          <Text size="sm">
            Sighted by{' '}
            {summary.sightedBy.map((by) => by.name ?? 'an organisation you may not see').join(', ')}
          </Text>
        ) : null}
        <QueryStatus pending={list.isPending} error={list.error} what="sightings" />
        {list.data && total === 0 ? (
          <Text size="sm" c="dimmed">
            No sighting, false positive or expiration you may see.
          </Text>
        ) : null}
        {(list.data?.items.length ?? 0) > 0 ? (
          <Table.ScrollContainer minWidth={640}>
            <Table striped aria-labelledby="sightings-heading" data-testid="sightings-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Kind</Table.Th>
                  <Table.Th>When</Table.Th>
                  <Table.Th>Count</Table.Th>
                  <Table.Th>Source</Table.Th>
                  <Table.Th>By</Table.Th>
                  <Table.Th>Label</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {(list.data?.items ?? []).map((report) => (
                  <Table.Tr key={`${report.ownerOrgId}/${report.id}`}>
                    <Table.Td>
                      <Badge size="sm" variant="light" tt="none" color={SIGHTING_KIND_COLOURS[report.kind]}>
                        {SIGHTING_KIND_LABELS[report.kind]}
                      </Badge>
                    </Table.Td>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>
                      {formatDateTime(reportedAt(report.object))}
                    </Table.Td>
                    <Table.Td>
                      {report.kind === 'sighting' && typeof report.object.count === 'number'
                        ? report.object.count
                        : '—'}
                    </Table.Td>
                    <Table.Td style={{ overflowWrap: 'anywhere' }}>
                      {reportSource(report.object) ?? '—'}
                    </Table.Td>
                    <Table.Td>{names.orgName(report.ownerOrgId)}</Table.Td>
                    <Table.Td>
                      <LabelBadge label={report.label} />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        ) : null}
        <PagePagination pages={pages} page={page} onChange={setPage} />
      </Stack>
      {me.user.role === 'viewer' ? null : (
        <RecordSightingDialog
          objectId={item.object.id}
          opened={recording}
          onClose={() => setRecording(false)}
        />
      )}
    </Paper>
  )
}

/** One related object: how it is linked, and a link to it. */
function RelatedItem({ related }: { related: RelatedObjectWire }) {
  return (
    <List.Item>
      <Text component="span" size="sm" c="dimmed">
        {related.direction === 'out' ? related.property : `${related.property} of`}
      </Text>{' '}
      {related.type}{' '}
      <AnchorLink to="/intelligence/objects/$id" params={{ id: related.id }} size="sm">
        {related.name ?? related.id}
      </AnchorLink>
    </List.Item>
  )
}

/**
 * The objects this one names and those naming it that the caller may see: the first ones come with
 * the object, the rest a page at a time (a MISP mega-event's report names 1.5 million).
 */
function Related({ item }: { item: ObjectDetailWire }) {
  const [more, setMore] = useState<Record<'out' | 'in', RelatedObjectWire[]>>({ out: [], in: [] })
  const [next, setNext] = useState(item.relatedNext)
  const load = useMutation({
    mutationFn: (direction: 'out' | 'in') => fetchRelated(item.object.id, direction, next[direction] ?? ''),
    onSuccess: (page, direction) => {
      setMore((before) => ({ ...before, [direction]: [...before[direction], ...page.items] }))
      setNext((before) => ({ ...before, [direction]: page.next }))
    },
  })
  const listed = [
    ...item.related.filter((r) => r.direction === 'out'),
    ...more.out,
    ...item.related.filter((r) => r.direction === 'in'),
    ...more.in,
  ]
  const showMore = (direction: 'out' | 'in', text: string) =>
    next[direction] === null ? null : (
      <Button
        size="xs"
        variant="default"
        loading={load.isPending && load.variables === direction}
        disabled={load.isPending}
        onClick={() => load.mutate(direction)}
      >
        {text}
      </Button>
    )
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="related-heading">
      <Title order={2} size="h4" id="related-heading" mb="xs">
        Related objects
      </Title>
      {listed.length === 0 ? (
        <Text size="sm" c="dimmed">
          No related object you may see.
        </Text>
      ) : (
        <List size="sm" spacing={2} data-testid="related-objects">
          {listed.map((related) => (
            <RelatedItem key={`${related.direction}/${related.property}/${related.id}`} related={related} />
          ))}
        </List>
      )}
      {next.out === null && next.in === null ? null : (
        <Group gap="xs" mt="sm">
          <Text size="xs" c="dimmed" data-testid="related-count">
            {listed.length.toLocaleString('en')} shown
          </Text>
          {showMore('out', 'Show more objects it names')}
          {showMore('in', 'Show more objects naming it')}
        </Group>
      )}
      <ErrorAlert error={load.error} title="The next related objects could not be read" />
    </Paper>
  )
}

/** Says which lists of the object are shown cut (the object page asks for their first entries). */
function TruncatedLists({ item }: { item: ObjectDetailWire }) {
  if (item.truncatedLists.length === 0) {
    return null
  }
  return (
    <Alert
      color="blue"
      variant="light"
      mb="sm"
      data-testid="truncated-lists"
      title="A long object, shown in part"
    >
      {item.truncatedLists.map(({ property, shown }) => (
        <Text size="sm" key={property}>
          <Code>{property}</Code> lists more than {OBJECT_PAGE_LIST_ITEMS.toLocaleString('en')} entries: the
          first {shown.toLocaleString('en')} you may see are in the raw JSON below.
        </Text>
      ))}
      <Text size="sm">
        Related objects page through all of them; the API (<Code>GET /api/v1/intel/objects/{'{id}'}</Code>)
        and the exports give the whole object.
      </Text>
    </Alert>
  )
}

/**
 * One STIX object: its properties, label, related objects, sightings, correlations, its delivery
 * receipts across peers, versions and raw JSON.
 */
export function ObjectPage() {
  const { id } = objectRouteApi.useParams()
  const names = useLabelNames()
  const query = useQuery(objectQuery(id))
  const [rawOpen, setRawOpen] = useState(false)
  const missing = ApiError.is(query.error, 404) || ApiError.is(query.error, 400)
  const item = query.data
  usePageTitle(item === undefined ? (missing ? 'Object not found' : 'Object') : objectTitle(item.object))

  const back = (
    <Anchor component={Link} to="/intelligence" size="sm">
      Back to Intelligence
    </Anchor>
  )
  if (missing) {
    return <MissingRecord title="Object not found" back={back} />
  }
  if (item === undefined) {
    return (
      <Stack gap="md" maw={960}>
        {back}
        <QueryStatus pending={query.isPending} error={query.error} what="the object" />
      </Stack>
    )
  }
  const object = item.object

  return (
    <Stack gap="lg" maw={960}>
      <Stack gap="xs">
        {back}
        <Group gap="sm" align="center">
          <Title order={1} style={{ overflowWrap: 'anywhere' }}>
            {objectTitle(object)}
          </Title>
          <Badge variant="light" color="gray" tt="none">
            {object.type}
          </Badge>
          {item.expired ? (
            <Badge variant="light" color="red">
              Expired
            </Badge>
          ) : null}
        </Group>
        <Text size="xs" c="dimmed">
          Added {formatDateTime(item.addedAt)} · owned by {names.orgName(item.ownerOrgId)}
          {item.source === null ? '' : ` · source ${item.source}`}
        </Text>
      </Stack>

      <Paper withBorder p="md" radius="md" component="section" aria-labelledby="object-label-heading">
        <Group gap="sm" mb="xs">
          <Title order={2} size="h4" id="object-label-heading">
            Sharing label
          </Title>
          <LabelBadge label={item.label} withPap />
        </Group>
        <Text size="sm" data-testid="object-label-summary">
          {describeLabel(item.label, names)}
        </Text>
      </Paper>

      <Paper withBorder p="md" radius="md" component="section" aria-labelledby="properties-heading">
        <Title order={2} size="h4" id="properties-heading" mb="xs">
          Properties
        </Title>
        <TruncatedLists item={item} />
        <Properties object={object} />
      </Paper>

      <Related key={`${object.id}/${item.addedAt}`} item={item} />

      <Sightings item={item} />

      {correlationValues(object).length > 0 ? <Correlations object={object} /> : null}

      <ObjectReceipts objectId={object.id} />

      <Paper withBorder p="md" radius="md" component="section" aria-labelledby="versions-heading">
        <Title order={2} size="h4" id="versions-heading" mb="xs">
          Versions
        </Title>
        <List size="sm" spacing={2} data-testid="object-versions">
          {item.versions.map((version) => (
            <List.Item key={version.modified}>
              Modified {formatDateTime(version.modified)}, added {formatDateTime(version.addedAt)}
            </List.Item>
          ))}
        </List>
      </Paper>

      <Paper withBorder p="md" radius="md" component="section" aria-labelledby="raw-heading">
        <Group justify="space-between">
          <Title order={2} size="h4" id="raw-heading">
            Raw JSON
          </Title>
          <Button
            size="xs"
            variant="default"
            onClick={() => setRawOpen((open) => !open)}
            aria-expanded={rawOpen}
            aria-controls="raw-json"
          >
            {rawOpen ? 'Hide JSON' : 'Show JSON'}
          </Button>
        </Group>
        <Collapse expanded={rawOpen} id="raw-json">
          {/* Written out only when opened: a long object's JSON is megabytes of text. */}
          {rawOpen ? (
            <Code block mt="sm" data-testid="object-json" style={{ maxHeight: 480, overflow: 'auto' }}>
              {JSON.stringify(object, null, 2)}
            </Code>
          ) : null}
        </Collapse>
      </Paper>
    </Stack>
  )
}
