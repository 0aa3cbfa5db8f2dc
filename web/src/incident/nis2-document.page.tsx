import { Alert, Badge, Button, Group, List, Paper, Stack, Table, Text, Title } from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { getRouteApi } from '@tanstack/react-router'
import type { ReactNode } from 'react'
import { ApiError } from '../lib/api.client.js'
import { AnchorLink } from '../lib/anchor-link.js'
import { formatDateTime } from '../lib/format.js'
import { MissingRecord } from '../lib/missing-record.js'
import { usePageTitle } from '../lib/page-title.js'
import { QueryStatus } from '../lib/query-status.js'
import { nis2DocumentQuery, type Nis2DocumentWire } from './incident.api.js'
import {
  INCIDENT_STATUS_LABELS,
  isIncidentStatus,
  isSeverity,
  NIS2_FIELD_LABELS,
  NIS2_STAGE_LABELS,
  SEVERITY_LABELS,
  type Nis2Stage,
} from './incident.constants.js'

const documentRouteApi = getRouteApi('/app/incidents/$id/nis2/$stage')

function fieldName(field: string): string {
  return NIS2_FIELD_LABELS[field] ?? field
}

/** A field's value in words; a missing required one is marked as such. */
function FieldValue({ field, value, missing }: { field: string; value: unknown; missing: boolean }) {
  if (value === null || value === undefined || (typeof value === 'string' && value.trim() === '')) {
    return missing ? (
      <Badge color="red.8" variant="filled">
        Missing
      </Badge>
    ) : (
      <Text size="sm" c="dimmed">
        Not known
      </Text>
    )
  }
  if (typeof value === 'boolean') {
    return <Text size="sm">{value ? 'Yes' : 'No'}</Text>
  }
  if (Array.isArray(value)) {
    if (value.length === 0) {
      return (
        <Text size="sm" c="dimmed">
          None
        </Text>
      )
    }
    return (
      <List size="sm">
        {(value as unknown[]).map((item, index) => (
          <List.Item key={index} style={{ overflowWrap: 'anywhere' }}>
            {typeof item === 'string' ? item : JSON.stringify(item)}
          </List.Item>
        ))}
      </List>
    )
  }
  if (field === 'severity' && isSeverity(value)) {
    return <Text size="sm">{SEVERITY_LABELS[value]}</Text>
  }
  if (field === 'status' && isIncidentStatus(value)) {
    return <Text size="sm">{INCIDENT_STATUS_LABELS[value]}</Text>
  }
  return (
    <Text size="sm" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
      {typeof value === 'string' ? value : JSON.stringify(value)}
    </Text>
  )
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Table.Tr>
      <Table.Th scope="row" w="35%" fw={500}>
        {label}
      </Table.Th>
      <Table.Td>{children}</Table.Td>
    </Table.Tr>
  )
}

/** Offers the document as a JSON file. */
function downloadJson(doc: Nis2DocumentWire): void {
  const blob = new Blob([`${JSON.stringify(doc, null, 2)}\n`], { type: 'application/json' })
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = `nis2-${doc.stage}-${doc.reference}.json`
  document.body.append(link)
  link.click()
  link.remove()
  URL.revokeObjectURL(url)
}

function DocumentView({ doc }: { doc: Nis2DocumentWire }) {
  const stage: Nis2Stage = doc.stage
  return (
    <Stack gap="md">
      <Group justify="space-between" align="flex-start">
        <Stack gap={4}>
          <Text fw={700} data-testid="nis2-tlp">
            {doc.tlp}
          </Text>
          <Title order={1}>{NIS2_STAGE_LABELS[stage]}</Title>
          <Text size="sm" c="dimmed">
            NIS2 Directive (EU) 2022/2555, Article 23 · generated {formatDateTime(doc.generatedAt)}
          </Text>
        </Stack>
        <Group gap="xs">
          <Button variant="default" onClick={() => downloadJson(doc)}>
            Download JSON
          </Button>
          <Button variant="default" onClick={() => window.print()}>
            Print
          </Button>
        </Group>
      </Group>
      {doc.missing.length > 0 ? (
        <Alert
          color="red"
          variant="light"
          title="Incomplete: required fields without a value"
          data-testid="nis2-missing"
        >
          <List size="sm">
            {doc.missing.map((field) => (
              <List.Item key={field}>{fieldName(field)}</List.Item>
            ))}
          </List>
          <Text size="sm" mt="xs">
            Fill them in on the incident before submitting.
          </Text>
        </Alert>
      ) : (
        <Alert color="green" variant="light" title="Complete" data-testid="nis2-complete">
          Every field this submission requires has a value.
        </Alert>
      )}
      <Paper withBorder p="md" radius="md">
        <Table variant="vertical" layout="fixed" aria-label="Submission" data-testid="nis2-document">
          <Table.Tbody>
            <Row label="Reference">{doc.reference}</Row>
            <Row label="Title">{doc.title}</Row>
            <Row label="Entity">
              {doc.entity.name}
              {doc.entity.sector === null ? '' : `, sector ${doc.entity.sector}`}
            </Row>
            <Row label="Aware since">{formatDateTime(doc.awareAt)}</Row>
            {Object.entries(doc.fields).map(([field, value]) => (
              <Row key={field} label={fieldName(field)}>
                <FieldValue field={field} value={value} missing={doc.missing.includes(field)} />
              </Row>
            ))}
          </Table.Tbody>
        </Table>
      </Paper>
    </Stack>
  )
}

/** A NIS2 Article 23 submission generated from an incident: readable, printable, and as JSON. */
export function Nis2DocumentPage() {
  const { id, stage } = documentRouteApi.useParams()
  const doc = useQuery(nis2DocumentQuery(id, stage))
  usePageTitle(`${NIS2_STAGE_LABELS[stage]} (NIS2)`)
  const back = (
    <AnchorLink to="/incidents/$id" params={{ id }} search={{ tab: 'nis2' }} size="sm">
      Back to the incident
    </AnchorLink>
  )
  if (ApiError.is(doc.error, 404)) {
    return <MissingRecord title="Incident not found" back={back} />
  }
  return (
    <Stack gap="md" maw={960}>
      {back}
      {ApiError.is(doc.error, 409) ? (
        <Stack gap="sm">
          <Title order={1}>{NIS2_STAGE_LABELS[stage]}</Title>
          <Alert color="orange" variant="light" title="No NIS2 clock runs for this incident">
            {doc.error.message}
          </Alert>
        </Stack>
      ) : (
        <QueryStatus pending={doc.isPending} error={doc.error} what="the document" />
      )}
      {doc.data ? <DocumentView doc={doc.data} /> : null}
    </Stack>
  )
}
