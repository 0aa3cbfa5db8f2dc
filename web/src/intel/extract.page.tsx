import { Anchor, Button, Checkbox, Stack, Table, Text, Textarea, Title } from '@mantine/core'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { Link } from '@tanstack/react-router'
import { useState, type FormEvent } from 'react'
import { AnchorLink } from '../lib/anchor-link.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { usePageTitle } from '../lib/page-title.js'
import { useMe } from '../shell/use-me.js'
import { LabelPicker } from '../trust/label-picker.js'
import { DEFAULT_LABEL, labelProblems, type LabelInput } from '../trust/label.constants.js'
import { ImportSummary } from './import.page.js'
import { extractIocs, INTEL_KEY } from './intel.api.js'

/** Finds IOCs (defanged forms too) in a pasted text and, if asked, imports them. */
export function ExtractPage() {
  usePageTitle('Extract IOCs')
  const me = useMe()
  const queryClient = useQueryClient()
  const [text, setText] = useState('')
  const [store, setStore] = useState(false)
  const [label, setLabel] = useState<LabelInput>(DEFAULT_LABEL)
  const problems = store ? labelProblems(label, me.organisation.id) : []
  const extract = useMutation({
    mutationFn: extractIocs,
    onSuccess: async (result) => {
      if (result.import !== null) {
        await queryClient.invalidateQueries({ queryKey: INTEL_KEY })
      }
    },
  })
  const items = extract.data?.items ?? []

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (text.trim() !== '' && problems.length === 0) {
      extract.mutate({ text, label: store ? label : null })
    }
  }

  return (
    <Stack gap="md" maw={960}>
      <Stack gap={4}>
        <Anchor component={Link} to="/intelligence" size="sm">
          Back to Intelligence
        </Anchor>
        <Title order={1}>Extract IOCs</Title>
        <Text c="dimmed" size="sm">
          Paste a report, an e-mail or a log: the IP addresses, domains, URLs, hashes and e-mail addresses in
          it are listed, defanged forms included.
        </Text>
      </Stack>
      <form onSubmit={submit} aria-label="Extract IOCs" data-testid="extract-form">
        <Stack gap="sm">
          <ErrorAlert error={extract.error} title="The text could not be read" />
          <Textarea
            label="Text"
            autosize
            minRows={8}
            maxRows={24}
            maxLength={2_000_000}
            value={text}
            onChange={(event) => setText(event.currentTarget.value)}
          />
          {me.user.role === 'viewer' ? null : (
            <Checkbox
              label="Also import the IOCs found"
              description="Each becomes a STIX observable of your organisation, under the label you choose."
              checked={store}
              onChange={(event) => setStore(event.currentTarget.checked)}
            />
          )}
          {store ? (
            <LabelPicker
              value={label}
              onChange={setLabel}
              ownerOrgId={me.organisation.id}
              legend="Sharing label of the imported IOCs"
              disabled={extract.isPending}
            />
          ) : null}
          <Button
            type="submit"
            loading={extract.isPending}
            disabled={text.trim() === '' || problems.length > 0}
            w="fit-content"
          >
            {store ? 'Extract and import' : 'Extract'}
          </Button>
        </Stack>
      </form>
      {extract.data ? (
        <Stack gap="xs" component="section" aria-labelledby="iocs-heading">
          <Title order={2} size="h4" id="iocs-heading">
            {items.length === 1 ? '1 IOC found' : `${items.length} IOCs found`}
          </Title>
          {items.length > 0 ? (
            <Table striped aria-labelledby="iocs-heading" data-testid="iocs-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Kind</Table.Th>
                  <Table.Th>Value</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((item) => (
                  <Table.Tr key={`${item.kind}/${item.value}`}>
                    <Table.Td>{item.kind}</Table.Td>
                    <Table.Td style={{ overflowWrap: 'anywhere' }}>
                      <AnchorLink to="/intelligence" search={{ value: item.value }} size="sm">
                        {item.value}
                      </AnchorLink>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          ) : null}
        </Stack>
      ) : null}
      {extract.data?.import ? <ImportSummary summary={extract.data.import} /> : null}
    </Stack>
  )
}
