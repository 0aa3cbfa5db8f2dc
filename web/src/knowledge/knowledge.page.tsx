import { Button, Group, NativeSelect, Stack, Table, Text, TextInput, Title } from '@mantine/core'
import { useDebouncedCallback } from '@mantine/hooks'
import { useQuery } from '@tanstack/react-query'
import { getRouteApi, Link } from '@tanstack/react-router'
import { useState } from 'react'
import { AnchorLink } from '../lib/anchor-link.js'
import { formatDateTime } from '../lib/format.js'
import { usePageTitle } from '../lib/page-title.js'
import { QueryStatus } from '../lib/query-status.js'
import { MODULES } from '../shell/modules.js'
import { useMe } from '../shell/use-me.js'
import { LabelBadge } from '../trust/label-badge.js'
import {
  DOCUMENT_KIND_LABELS,
  DOCUMENT_KIND_OPTIONS,
  DOCUMENTS_PAGE_SIZE,
  documentsQuery,
  isDocumentKind,
} from './knowledge.api.js'
import { PagePagination } from '../lib/page-pagination.js'

const knowledgeRouteApi = getRouteApi('/app/knowledge')

/** Knowledge: the documents the caller may see, searchable by title and filtered by kind. */
export function KnowledgePage() {
  usePageTitle(MODULES.knowledge.title)
  const me = useMe()
  const search = knowledgeRouteApi.useSearch()
  const navigate = knowledgeRouteApi.useNavigate()
  const page = search.page ?? 1
  const documents = useQuery(documentsQuery({ q: search.q, kind: search.kind, page }))
  const [text, setText] = useState(search.q ?? '')
  const items = documents.data?.items ?? []
  const total = documents.data?.total ?? 0
  const pages = Math.max(1, Math.ceil(total / DOCUMENTS_PAGE_SIZE))
  const filtered = search.q !== undefined || search.kind !== undefined

  const searchTitles = useDebouncedCallback((value: string) => {
    const q = value.trim()
    void navigate({
      search: (previous) => ({ ...previous, q: q === '' ? undefined : q, page: undefined }),
      replace: true,
    })
  }, 300)

  return (
    <Stack gap="md" maw={1200}>
      <Group justify="space-between" align="flex-start">
        <Stack gap={4}>
          <Title order={1}>{MODULES.knowledge.title}</Title>
          <Text c="dimmed" size="sm">
            {MODULES.knowledge.purpose}
          </Text>
        </Stack>
        {me.user.role === 'viewer' ? null : (
          <Button component={Link} to="/knowledge/new">
            New document
          </Button>
        )}
      </Group>

      <Stack gap="sm" component="section" aria-labelledby="documents-heading">
        <Title order={2} size="h4" id="documents-heading">
          Documents
        </Title>
        <Group gap="sm" align="flex-end" role="search" aria-label="Find documents">
          <TextInput
            label="Search titles"
            type="search"
            w={320}
            maxLength={200}
            value={text}
            onChange={(event) => {
              setText(event.currentTarget.value)
              searchTitles(event.currentTarget.value)
            }}
          />
          <NativeSelect
            label="Kind"
            value={search.kind ?? ''}
            data={[{ value: '', label: 'All kinds' }, ...DOCUMENT_KIND_OPTIONS]}
            onChange={(event) => {
              const value = event.currentTarget.value
              void navigate({
                search: (previous) => ({
                  ...previous,
                  kind: isDocumentKind(value) ? value : undefined,
                  page: undefined,
                }),
                replace: true,
              })
            }}
          />
        </Group>
        <QueryStatus pending={documents.isPending} error={documents.error} what="documents" />
        {documents.data ? (
          <Text size="sm" c="dimmed" role="status" data-testid="documents-total">
            {total === 1 ? '1 document' : `${total} documents`}
            {filtered ? (total === 1 ? ' matches' : ' match') : ''}
            {pages > 1 ? `, page ${page} of ${pages}` : ''}
          </Text>
        ) : null}
        {items.length > 0 ? (
          <Table.ScrollContainer minWidth={720}>
            <Table
              striped
              highlightOnHover
              aria-labelledby="documents-heading"
              data-testid="documents-table"
              style={{ opacity: documents.isPlaceholderData ? 0.6 : 1 }}
            >
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Title</Table.Th>
                  <Table.Th>Kind</Table.Th>
                  <Table.Th>Label</Table.Th>
                  <Table.Th>Updated</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((doc) => (
                  <Table.Tr key={doc.id}>
                    <Table.Td style={{ overflowWrap: 'anywhere' }}>
                      <AnchorLink to="/knowledge/$documentId" params={{ documentId: doc.id }}>
                        {doc.title}
                      </AnchorLink>
                    </Table.Td>
                    <Table.Td>{DOCUMENT_KIND_LABELS[doc.kind]}</Table.Td>
                    <Table.Td>
                      <LabelBadge label={doc.label} />
                    </Table.Td>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(doc.updatedAt)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        ) : null}
        <PagePagination
          pages={pages}
          page={page}
          onChange={(next) =>
            void navigate({ search: (previous) => ({ ...previous, page: next === 1 ? undefined : next }) })
          }
        />
      </Stack>
    </Stack>
  )
}
