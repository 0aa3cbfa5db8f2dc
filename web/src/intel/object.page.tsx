import {
  Anchor,
  Badge,
  Code,
  Collapse,
  Group,
  List,
  Paper,
  Stack,
  Table,
  Text,
  Title,
  Button,
} from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { getRouteApi, Link } from '@tanstack/react-router'
import { useState } from 'react'
import { describeLabel } from '../../../src/core/trust/describe.js'
import { ApiError } from '../lib/api.client.js'
import { AnchorLink } from '../lib/anchor-link.js'
import { formatDateTime, isWebAddress } from '../lib/format.js'
import { MissingRecord } from '../lib/missing-record.js'
import { usePageTitle } from '../lib/page-title.js'
import { QueryStatus } from '../lib/query-status.js'
import { LabelBadge } from '../trust/label-badge.js'
import { useLabelNames } from '../trust/trust.api.js'
import {
  correlationQuery,
  correlationValues,
  objectQuery,
  objectTitle,
  type ObjectDetailWire,
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

function Correlations({ object }: { object: StixObject }) {
  const values = correlationValues(object)
  const names = useLabelNames()
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
        {(correlation.data?.results ?? []).map((result) => {
          const hits = result.hits.filter((hit) => hit.id !== object.id)
          return (
            <Stack gap={4} key={result.value}>
              <Text size="sm" fw={600} style={{ overflowWrap: 'anywhere' }}>
                {result.value}
                {result.kind === null ? '' : ` (${result.kind})`}
              </Text>
              {hits.length === 0 ? (
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
            </Stack>
          )
        })}
      </Stack>
    </Paper>
  )
}

function Related({ item }: { item: ObjectDetailWire }) {
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="related-heading">
      <Title order={2} size="h4" id="related-heading" mb="xs">
        Related objects
      </Title>
      {item.related.length === 0 ? (
        <Text size="sm" c="dimmed">
          No related object you may see.
        </Text>
      ) : (
        <List size="sm" spacing={2} data-testid="related-objects">
          {item.related.map((related) => (
            <List.Item key={`${related.direction}/${related.property}/${related.id}`}>
              <Text component="span" size="sm" c="dimmed">
                {related.direction === 'out' ? related.property : `${related.property} of`}
              </Text>{' '}
              {related.type}{' '}
              <AnchorLink to="/intelligence/objects/$id" params={{ id: related.id }} size="sm">
                {related.name ?? related.id}
              </AnchorLink>
            </List.Item>
          ))}
        </List>
      )}
    </Paper>
  )
}

/** One STIX object: its properties, label, related objects, versions, correlations and raw JSON. */
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
        <Properties object={object} />
      </Paper>

      <Related item={item} />

      {correlationValues(object).length > 0 ? <Correlations object={object} /> : null}

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
          <Code block mt="sm" data-testid="object-json" style={{ maxHeight: 480, overflow: 'auto' }}>
            {JSON.stringify(object, null, 2)}
          </Code>
        </Collapse>
      </Paper>
    </Stack>
  )
}
