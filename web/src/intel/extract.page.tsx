import { Anchor, Button, Stack, Table, Text, Textarea, Title } from '@mantine/core'
import { useMutation } from '@tanstack/react-query'
import { Link } from '@tanstack/react-router'
import { useState, type FormEvent } from 'react'
import { AnchorLink } from '../lib/anchor-link.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { usePageTitle } from '../lib/page-title.js'
import { extractIocs } from './intel.api.js'

/** Finds IOCs (defanged forms too) in a pasted text. */
export function ExtractPage() {
  usePageTitle('Extract IOCs')
  const [text, setText] = useState('')
  const extract = useMutation({ mutationFn: extractIocs })
  const items = extract.data?.items ?? []

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (text.trim() !== '') {
      extract.mutate(text)
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
          <Button type="submit" loading={extract.isPending} disabled={text.trim() === ''} w="fit-content">
            Extract
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
    </Stack>
  )
}
