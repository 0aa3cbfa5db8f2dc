import { Anchor, Button, Group, NativeSelect, Stack, Text, Textarea, TextInput, Title } from '@mantine/core'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { Link, useNavigate } from '@tanstack/react-router'
import { useState, type FormEvent } from 'react'
import { ErrorAlert } from '../lib/error-alert.js'
import { usePageTitle } from '../lib/page-title.js'
import { useMe } from '../shell/use-me.js'
import { LabelPicker } from '../trust/label-picker.js'
import { DEFAULT_LABEL, labelProblems, type LabelInput } from '../trust/label.constants.js'
import {
  createDocument,
  DOCUMENT_KIND_OPTIONS,
  documentQuery,
  DOCUMENTS_KEY,
  isDocumentKind,
  type DocumentKind,
} from './knowledge.api.js'

/** A form to add a document to the repository, under a sharing label chosen with the label picker. */
export function NewDocumentPage() {
  usePageTitle('New document')
  const me = useMe()
  const queryClient = useQueryClient()
  const navigate = useNavigate()
  const [title, setTitle] = useState('')
  const [kind, setKind] = useState<DocumentKind>('procedure')
  const [body, setBody] = useState('')
  const [label, setLabel] = useState<LabelInput>(DEFAULT_LABEL)
  const [titleError, setTitleError] = useState<string | undefined>()
  const problems = labelProblems(label, me.organisation.id)

  const create = useMutation({
    mutationFn: createDocument,
    onSuccess: async (doc) => {
      queryClient.setQueryData(documentQuery(doc.id).queryKey, doc)
      await queryClient.invalidateQueries({ queryKey: DOCUMENTS_KEY })
      await navigate({ to: '/knowledge/$documentId', params: { documentId: doc.id } })
    },
  })

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (title.trim() === '') {
      setTitleError('Give the document a title.')
      return
    }
    setTitleError(undefined)
    // The button is disabled meanwhile; Enter in a text field must not get round it.
    if (problems.length > 0) {
      return
    }
    create.mutate({ title: title.trim(), kind, body, label })
  }

  return (
    <Stack gap="md" maw={960}>
      <Stack gap={4}>
        <Anchor component={Link} to="/knowledge" size="sm">
          Back to Knowledge
        </Anchor>
        <Title order={1}>New document</Title>
        <Text c="dimmed" size="sm">
          A tool, methodology, form or procedure for the repository. Its label decides who sees it.
        </Text>
      </Stack>
      <form onSubmit={submit} aria-label="New document" data-testid="document-form" noValidate>
        <Stack gap="md">
          <ErrorAlert error={create.error} title="The document was not created" />
          <TextInput
            label="Title"
            required
            maxLength={300}
            autoComplete="off"
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
          <LabelPicker
            value={label}
            onChange={setLabel}
            ownerOrgId={me.organisation.id}
            disabled={create.isPending}
          />
          <Group>
            <Button type="submit" loading={create.isPending} disabled={problems.length > 0}>
              Create document
            </Button>
            {problems.length > 0 ? (
              <Text size="sm" c="dimmed">
                Fix the sharing label first.
              </Text>
            ) : null}
          </Group>
        </Stack>
      </form>
    </Stack>
  )
}
