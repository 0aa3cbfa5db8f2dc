import {
  Badge,
  Button,
  Checkbox,
  Group,
  Modal,
  MultiSelect,
  Pill,
  Radio,
  SegmentedControl,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { getRouteApi, Link } from '@tanstack/react-router'
import { useState, type FormEvent } from 'react'
import { AnchorLink } from '../lib/anchor-link.js'
import { formatDateTime } from '../lib/format.js'
import { usePageTitle } from '../lib/page-title.js'
import { QueryStatus } from '../lib/query-status.js'
import { MODULES } from '../shell/modules.js'
import { useMe } from '../shell/use-me.js'
import { LabelBadge } from '../trust/label-badge.js'
import { TLP_LEVELS, tlpText, type Tlp } from '../trust/label.constants.js'
import { useLabelNames } from '../trust/trust.api.js'
import {
  expiredQuery,
  exportUrl,
  INTEL_PAGE_SIZE,
  objectsQuery,
  objectTitle,
  STIX_TYPES,
  type ExpiredObjectWire,
  type ExportFormat,
  type ExpiryWire,
  type IntelFilter,
  type StoredObjectWire,
} from './intel.api.js'
import { PagePagination } from '../lib/page-pagination.js'

const intelRouteApi = getRouteApi('/app/intelligence')

const TYPE_OPTIONS = STIX_TYPES.map((type) => ({ value: type, label: type }))
const TLP_OPTIONS = TLP_LEVELS.map((tlp) => ({ value: tlp, label: tlpText(tlp) }))

/** A chosen filter value, with a remove button that says what it removes. */
function renderPill({
  option,
  onRemove,
  disabled,
}: {
  option: { label: string }
  onRemove?: () => void
  disabled?: boolean
}) {
  return (
    <Pill
      withRemoveButton={disabled !== true}
      onRemove={onRemove}
      removeButtonProps={{ 'aria-label': `Remove ${option.label}` }}
    >
      {option.label}
    </Pill>
  )
}

function ExportDialog({
  opened,
  onClose,
  filter,
}: {
  opened: boolean
  onClose: () => void
  filter: IntelFilter
}) {
  const [format, setFormat] = useState<ExportFormat>('stix')
  const [includeExpired, setIncludeExpired] = useState(false)
  const [forBlocking, setForBlocking] = useState(false)
  const [allVersions, setAllVersions] = useState(false)
  const filters = [
    filter.value === undefined ? null : `value “${filter.value}”`,
    filter.name === undefined ? null : `name containing “${filter.name}”`,
    filter.type === undefined ? null : `types ${filter.type.join(', ')}`,
    filter.tlp === undefined ? null : filter.tlp.map(tlpText).join(', '),
    filter.source === undefined ? null : `source “${filter.source}”`,
    filter.addedAfter === undefined ? null : `added since ${filter.addedAfter}`,
    filter.addedBefore === undefined ? null : `added until ${filter.addedBefore}`,
  ].filter((part) => part !== null)
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title="Export objects"
      closeButtonProps={{ 'aria-label': 'Close the export dialog' }}
    >
      <Stack gap="md" data-testid="export-dialog">
        <Radio.Group
          label="Format"
          value={format}
          onChange={(value) => setFormat(value === 'csv' || value === 'misp' ? value : 'stix')}
        >
          <Group gap="md" mt="xs">
            <Radio value="stix" label="STIX 2.1 bundle" />
            <Radio value="misp" label="MISP events" />
            <Radio value="csv" label="CSV" />
          </Group>
        </Radio.Group>
        <Text size="sm">
          {filters.length === 0
            ? 'Every object you may see.'
            : `The objects you may see that match the current filters: ${filters.join('; ')}.`}
        </Text>
        <Checkbox
          label="Include expired indicators"
          checked={includeExpired}
          onChange={(event) => setIncludeExpired(event.currentTarget.checked)}
        />
        <Checkbox
          label="For blocking"
          description="Leave out revoked objects, and indicators and observables whose values are on enabled warninglists of known-benign values."
          checked={forBlocking}
          onChange={(event) => setForBlocking(event.currentTarget.checked)}
        />
        <Checkbox
          label="Every version"
          description={
            format === 'misp'
              ? 'MISP events have no versions: the latest of each object is exported.'
              : 'Every version you may see, not only the latest of each object.'
          }
          checked={allVersions && format !== 'misp'}
          disabled={format === 'misp'}
          onChange={(event) => setAllVersions(event.currentTarget.checked)}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            component="a"
            href={exportUrl(filter, format, { includeExpired, forBlocking, allVersions })}
            download
            onClick={onClose}
            data-testid="export-link"
          >
            Download
          </Button>
        </Group>
      </Stack>
    </Modal>
  )
}

/** Why an indicator has expired, in words. */
function expiryText(expiry: ExpiryWire): string {
  return expiry.reason === 'valid_until'
    ? `valid until ${formatDateTime(expiry.at)}`
    : `older than the owner's retention of ${expiry.retentionDays ?? '?'} days, since ${formatDateTime(expiry.at)}`
}

function hasExpiry(item: StoredObjectWire | ExpiredObjectWire): item is ExpiredObjectWire {
  return 'expiry' in item
}

/** Intelligence: search the STIX objects the caller may see, by value, type, TLP, source and time. */
export function IntelligencePage() {
  usePageTitle(MODULES.intelligence.title)
  const me = useMe()
  const names = useLabelNames()
  const search = intelRouteApi.useSearch()
  const navigate = intelRouteApi.useNavigate()
  const page = search.page ?? 1
  const expiredView = search.view === 'expired'
  const current = useQuery({ ...objectsQuery(search), enabled: !expiredView })
  const expired = useQuery({ ...expiredQuery(search), enabled: expiredView })
  const objects = expiredView ? expired : current
  const [value, setValue] = useState(search.value ?? '')
  const [name, setName] = useState(search.name ?? '')
  const [source, setSource] = useState(search.source ?? '')
  const [exporting, setExporting] = useState(false)
  const items: (StoredObjectWire | ExpiredObjectWire)[] = objects.data?.items ?? []
  const total = objects.data?.total ?? 0
  const pages = Math.max(1, Math.ceil(total / INTEL_PAGE_SIZE))

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const trimmed = value.trim()
    const trimmedName = name.trim()
    const trimmedSource = source.trim()
    void navigate({
      search: (previous) => ({
        ...previous,
        value: trimmed === '' ? undefined : trimmed,
        name: trimmedName === '' ? undefined : trimmedName,
        source: trimmedSource === '' ? undefined : trimmedSource,
        page: undefined,
      }),
    })
  }

  const setDay = (key: 'addedAfter' | 'addedBefore', day: string) =>
    void navigate({
      search: (previous) => ({ ...previous, [key]: day === '' ? undefined : day, page: undefined }),
      replace: true,
    })

  return (
    <Stack gap="md" maw={1200}>
      <Group justify="space-between" align="flex-start">
        <Stack gap={4}>
          <Title order={1}>{MODULES.intelligence.title}</Title>
          <Text c="dimmed" size="sm">
            {MODULES.intelligence.purpose}
          </Text>
        </Stack>
        <Group gap="sm">
          <Button variant="default" component={Link} to="/intelligence/extract">
            Extract IOCs
          </Button>
          <Button variant="default" component={Link} to="/intelligence/releases">
            Releases
          </Button>
          <Button variant="default" onClick={() => setExporting(true)}>
            Export
          </Button>
          {me.user.role === 'viewer' ? null : (
            <Button component={Link} to="/intelligence/import">
              Import
            </Button>
          )}
        </Group>
      </Group>

      <Stack gap="sm" component="section" aria-labelledby="objects-heading">
        <Group justify="space-between" align="flex-end">
          <Title order={2} size="h4" id="objects-heading">
            {expiredView ? 'Expired indicators' : 'Objects'}
          </Title>
          <SegmentedControl
            aria-label="Which objects"
            value={expiredView ? 'expired' : 'all'}
            data={[
              { value: 'all', label: 'All objects' },
              { value: 'expired', label: 'Expired indicators' },
            ]}
            onChange={(next) =>
              void navigate({
                search: (previous) => ({
                  ...previous,
                  view: next === 'expired' ? ('expired' as const) : undefined,
                  page: undefined,
                }),
              })
            }
          />
        </Group>
        <form onSubmit={submit} role="search" aria-label="Find objects" data-testid="intel-search-form">
          <Group gap="sm" align="flex-end">
            <TextInput
              label="Value"
              description="An IP address, domain, URL, hash or e-mail address"
              type="search"
              w={320}
              maxLength={2000}
              value={value}
              onChange={(event) => setValue(event.currentTarget.value)}
            />
            <TextInput
              label="Name"
              description="Part of its name: an actor, a malware, a report"
              type="search"
              w={260}
              maxLength={500}
              value={name}
              onChange={(event) => setName(event.currentTarget.value)}
            />
            <TextInput
              label="Source"
              description="The file, feed or tool it came from"
              w={220}
              maxLength={500}
              value={source}
              onChange={(event) => setSource(event.currentTarget.value)}
            />
            <Button type="submit">Search</Button>
          </Group>
          <Group gap="sm" align="flex-end" mt="sm">
            <MultiSelect
              label="Types"
              placeholder={search.type === undefined ? 'All types' : undefined}
              w={320}
              data={TYPE_OPTIONS}
              value={search.type ?? []}
              searchable
              clearable
              clearButtonProps={{ 'aria-label': 'Clear the types' }}
              renderPill={renderPill}
              onChange={(types) =>
                void navigate({
                  search: (previous) => ({
                    ...previous,
                    type: types.length === 0 ? undefined : types,
                    page: undefined,
                  }),
                  replace: true,
                })
              }
            />
            <MultiSelect
              label="TLP"
              placeholder={search.tlp === undefined ? 'Any TLP' : undefined}
              w={260}
              data={TLP_OPTIONS}
              value={search.tlp ?? []}
              clearable
              clearButtonProps={{ 'aria-label': 'Clear the TLP filter' }}
              renderPill={renderPill}
              onChange={(tlps) =>
                void navigate({
                  search: (previous) => ({
                    ...previous,
                    tlp:
                      tlps.length === 0
                        ? undefined
                        : tlps.filter((t): t is Tlp => TLP_LEVELS.some((level) => level === t)),
                    page: undefined,
                  }),
                  replace: true,
                })
              }
            />
            <TextInput
              label="Added since"
              type="date"
              w={170}
              value={search.addedAfter ?? ''}
              max={search.addedBefore}
              onChange={(event) => setDay('addedAfter', event.currentTarget.value)}
            />
            <TextInput
              label="Added until"
              type="date"
              w={170}
              value={search.addedBefore ?? ''}
              min={search.addedAfter}
              onChange={(event) => setDay('addedBefore', event.currentTarget.value)}
            />
          </Group>
        </form>
        <QueryStatus pending={objects.isPending} error={objects.error} what="objects" />
        {objects.data ? (
          <Text size="sm" c="dimmed" role="status" data-testid="objects-total">
            {expiredView
              ? total === 1
                ? '1 expired indicator'
                : `${total} expired indicators`
              : total === 1
                ? '1 object'
                : `${total} objects`}
            {pages > 1 ? `, page ${page} of ${pages}` : ''}
          </Text>
        ) : null}
        {items.length > 0 ? (
          <Table.ScrollContainer minWidth={860}>
            <Table
              striped
              highlightOnHover
              aria-labelledby="objects-heading"
              data-testid="objects-table"
              style={{ opacity: objects.isPlaceholderData ? 0.6 : 1 }}
            >
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Type</Table.Th>
                  <Table.Th>Name, value or pattern</Table.Th>
                  <Table.Th>Label</Table.Th>
                  <Table.Th>Owner</Table.Th>
                  <Table.Th>Added</Table.Th>
                  {expiredView ? <Table.Th>Expired</Table.Th> : null}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((item) => (
                  <Table.Tr key={`${item.ownerOrgId}/${item.object.id}`}>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>{item.object.type}</Table.Td>
                    <Table.Td style={{ overflowWrap: 'anywhere' }}>
                      <AnchorLink to="/intelligence/objects/$id" params={{ id: item.object.id }}>
                        {objectTitle(item.object)}
                      </AnchorLink>
                      {item.expired ? (
                        <Badge ml="xs" size="sm" color="gray" variant="light">
                          Expired
                        </Badge>
                      ) : null}
                    </Table.Td>
                    <Table.Td>
                      <LabelBadge label={item.label} />
                    </Table.Td>
                    <Table.Td>{names.orgName(item.ownerOrgId)}</Table.Td>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(item.addedAt)}</Table.Td>
                    {expiredView ? (
                      <Table.Td data-testid="expiry-reason">
                        {hasExpiry(item) ? expiryText(item.expiry) : '—'}
                      </Table.Td>
                    ) : null}
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
      <ExportDialog opened={exporting} onClose={() => setExporting(false)} filter={search} />
    </Stack>
  )
}
