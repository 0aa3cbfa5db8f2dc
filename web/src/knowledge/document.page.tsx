import {
  Alert,
  Anchor,
  Badge,
  Button,
  Group,
  Modal,
  NativeSelect,
  Paper,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { getRouteApi, Link } from '@tanstack/react-router'
import { useState, type FormEvent } from 'react'
import type { DocumentWire } from '../../../src/core/knowledge/knowledge.schema.js'
import { describeLabel } from '../../../src/core/trust/describe.js'
import { ApiError } from '../lib/api.client.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { formatDateTime } from '../lib/format.js'
import { MissingRecord } from '../lib/missing-record.js'
import { usePageTitle } from '../lib/page-title.js'
import { QueryStatus } from '../lib/query-status.js'
import { useMe } from '../shell/use-me.js'
import { LabelBadge } from '../trust/label-badge.js'
import { LabelPicker } from '../trust/label-picker.js'
import {
  isDowngrade,
  labelInputOf,
  labelProblems,
  toSharingLabel,
  type LabelInput,
} from '../trust/label.constants.js'
import { useLabelNames } from '../trust/trust.api.js'
import {
  changeDocumentLabel,
  DOCUMENT_KIND_LABELS,
  DOCUMENT_KIND_OPTIONS,
  documentQuery,
  DOCUMENTS_KEY,
  isDocumentKind,
  updateDocument,
  type DocumentKind,
} from './knowledge.api.js'

const documentRouteApi = getRouteApi('/app/knowledge/$documentId')

/** Keeps the answer of a change to a document, and refreshes the lists that show it. */
function useDocumentSaved() {
  const queryClient = useQueryClient()
  return async (doc: DocumentWire) => {
    queryClient.setQueryData(documentQuery(doc.id).queryKey, doc)
    await queryClient.invalidateQueries({ queryKey: [...DOCUMENTS_KEY, 'list'] })
  }
}

function EditDocumentForm({ doc, onDone }: { doc: DocumentWire; onDone: () => void }) {
  const saved = useDocumentSaved()
  const [title, setTitle] = useState(doc.title)
  const [kind, setKind] = useState<DocumentKind>(doc.kind)
  const [body, setBody] = useState(doc.body)
  const [titleError, setTitleError] = useState<string | undefined>()

  const save = useMutation({
    mutationFn: (patch: Parameters<typeof updateDocument>[1]) => updateDocument(doc.id, patch),
    onSuccess: async (updated) => {
      await saved(updated)
      onDone()
    },
  })

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (title.trim() === '') {
      setTitleError('Give the document a title.')
      return
    }
    setTitleError(undefined)
    const patch: Parameters<typeof updateDocument>[1] = {}
    if (title.trim() !== doc.title) {
      patch.title = title.trim()
    }
    if (kind !== doc.kind) {
      patch.kind = kind
    }
    if (body !== doc.body) {
      patch.body = body
    }
    if (Object.keys(patch).length === 0) {
      onDone()
      return
    }
    save.mutate(patch)
  }

  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="edit-document-heading">
      <Title order={2} size="h4" id="edit-document-heading" mb="sm">
        Edit document
      </Title>
      <form
        onSubmit={submit}
        aria-labelledby="edit-document-heading"
        noValidate
        data-testid="edit-document-form"
      >
        <Stack gap="sm">
          <ErrorAlert error={save.error} title="The document was not saved" />
          <TextInput
            label="Title"
            required
            maxLength={300}
            value={title}
            error={titleError}
            onChange={(event) => setTitle(event.currentTarget.value)}
          />
          <NativeSelect
            label="Kind"
            required
            value={kind}
            data={DOCUMENT_KIND_OPTIONS}
            onChange={(event) => {
              const value = event.currentTarget.value
              if (isDocumentKind(value)) {
                setKind(value)
              }
            }}
          />
          <Textarea
            label="Body"
            description="Plain text or Markdown; it is shown exactly as written."
            autosize
            minRows={8}
            maxRows={30}
            maxLength={200_000}
            value={body}
            onChange={(event) => setBody(event.currentTarget.value)}
          />
          <Group>
            <Button type="submit" loading={save.isPending}>
              Save document
            </Button>
            <Button variant="default" onClick={onDone} disabled={save.isPending}>
              Cancel
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  )
}

function sameLabel(a: LabelInput, b: LabelInput): boolean {
  const sorted = (list: string[]) => [...list].sort().join(',')
  return (
    a.tlp === b.tlp &&
    a.pap === b.pap &&
    a.audience === b.audience &&
    sorted(a.sharingGroups) === sorted(b.sharingGroups) &&
    sorted(a.recipients) === sorted(b.recipients)
  )
}

function ChangeLabelForm({ doc, onDone }: { doc: DocumentWire; onDone: () => void }) {
  const saved = useDocumentSaved()
  const [label, setLabel] = useState<LabelInput>(() => labelInputOf(doc.label))
  const [reason, setReason] = useState('')
  const [reasonError, setReasonError] = useState<string | undefined>()
  const problems = labelProblems(label, doc.label.ownerOrg)
  const downgrade = isDowngrade(doc.label, toSharingLabel(label, doc.label.ownerOrg))
  const unchanged = sameLabel(label, labelInputOf(doc.label))

  const change = useMutation({
    mutationFn: (input: { label: LabelInput; reason?: string }) => changeDocumentLabel(doc.id, input),
    onSuccess: async (updated) => {
      await saved(updated)
      onDone()
    },
    onError: (error) => {
      if (ApiError.is(error, 400) && error.details?.field === 'reason') {
        setReasonError(error.message)
      }
    },
  })

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (problems.length > 0 || unchanged) {
      return
    }
    if (downgrade && reason.trim() === '') {
      setReasonError('Say why the document may be seen by more people, or more may be done with it.')
      return
    }
    setReasonError(undefined)
    change.mutate(reason.trim() === '' ? { label } : { label, reason: reason.trim() })
  }

  return (
    <form onSubmit={submit} aria-label="Change the sharing label" noValidate data-testid="change-label-form">
      <Stack gap="md">
        <ErrorAlert error={change.error} title="The label was not changed" />
        <LabelPicker
          value={label}
          onChange={setLabel}
          ownerOrgId={doc.label.ownerOrg}
          legend="New sharing label"
          disabled={change.isPending}
        />
        {downgrade ? (
          <Alert color="yellow" variant="light" title="This is a downgrade" data-testid="downgrade-warning">
            This makes the document visible to more people or allows more actions; the change is recorded in
            the audit log.
          </Alert>
        ) : null}
        <Textarea
          label="Reason"
          description={
            downgrade
              ? 'Required for a downgrade; the audit log keeps it.'
              : 'Optional; the audit log keeps it.'
          }
          required={downgrade}
          autosize
          minRows={2}
          maxRows={6}
          maxLength={2000}
          value={reason}
          error={reasonError}
          onChange={(event) => setReason(event.currentTarget.value)}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone} disabled={change.isPending}>
            Cancel
          </Button>
          <Button
            type="submit"
            loading={change.isPending}
            disabled={problems.length > 0 || unchanged || (downgrade && reason.trim() === '')}
          >
            Change label
          </Button>
        </Group>
      </Stack>
    </form>
  )
}

/** One document: its label in words, its body as written, and for its owner organisation editing. */
export function DocumentPage() {
  const { documentId } = documentRouteApi.useParams()
  const me = useMe()
  const names = useLabelNames()
  const document = useQuery(documentQuery(documentId))
  const [editing, setEditing] = useState(false)
  const [changingLabel, setChangingLabel] = useState(false)
  const missing = ApiError.is(document.error, 404)
  usePageTitle(document.data?.title ?? (missing ? 'Document not found' : 'Document'))

  const back = (
    <Anchor component={Link} to="/knowledge" size="sm">
      Back to Knowledge
    </Anchor>
  )
  if (missing) {
    return <MissingRecord title="Document not found" back={back} />
  }
  const doc = document.data
  if (doc === undefined) {
    return (
      <Stack gap="md" maw={960}>
        {back}
        <QueryStatus pending={document.isPending} error={document.error} what="the document" />
      </Stack>
    )
  }
  const canEdit = me.user.role !== 'viewer' && doc.label.ownerOrg === me.organisation.id

  return (
    <Stack gap="lg" maw={960}>
      <Stack gap="xs">
        {back}
        <Group gap="sm" align="center">
          <Title order={1} style={{ overflowWrap: 'anywhere' }}>
            {doc.title}
          </Title>
          <Badge variant="light" color="gray">
            {DOCUMENT_KIND_LABELS[doc.kind]}
          </Badge>
        </Group>
        <Text size="xs" c="dimmed">
          Created {formatDateTime(doc.createdAt)}
          {doc.createdBy === me.user.id ? ' by you' : ''} · updated {formatDateTime(doc.updatedAt)} · owned by{' '}
          {names.orgName(doc.label.ownerOrg)}
        </Text>
      </Stack>

      <Paper withBorder p="md" radius="md" component="section" aria-labelledby="document-label-heading">
        <Group justify="space-between" align="flex-start" mb="xs">
          <Group gap="sm">
            <Title order={2} size="h4" id="document-label-heading">
              Sharing label
            </Title>
            <LabelBadge label={doc.label} withPap />
          </Group>
          {canEdit ? (
            <Button size="xs" variant="default" onClick={() => setChangingLabel(true)}>
              Change label
            </Button>
          ) : null}
        </Group>
        <Text size="sm" data-testid="document-label-summary">
          {describeLabel(doc.label, names)}
        </Text>
      </Paper>

      {editing ? (
        <EditDocumentForm key={doc.updatedAt} doc={doc} onDone={() => setEditing(false)} />
      ) : (
        <Paper withBorder p="md" radius="md" component="section" aria-labelledby="document-body-heading">
          <Group justify="space-between" mb="xs">
            <Title order={2} size="h4" id="document-body-heading">
              Content
            </Title>
            {canEdit ? (
              <Button size="xs" variant="default" onClick={() => setEditing(true)}>
                Edit
              </Button>
            ) : null}
          </Group>
          {doc.body.trim() === '' ? (
            <Text size="sm" c="dimmed">
              This document has no content yet.
            </Text>
          ) : (
            // Shown as written: the body is never interpreted as HTML.
            <Text
              component="div"
              size="sm"
              data-testid="document-body"
              style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}
            >
              {doc.body}
            </Text>
          )}
        </Paper>
      )}

      <Modal
        opened={changingLabel}
        onClose={() => setChangingLabel(false)}
        title="Change the sharing label"
        size="lg"
        closeButtonProps={{ 'aria-label': 'Close without changing the label' }}
      >
        {changingLabel ? <ChangeLabelForm doc={doc} onDone={() => setChangingLabel(false)} /> : null}
      </Modal>
    </Stack>
  )
}
