import {
  Alert,
  Anchor,
  Button,
  CloseButton,
  Fieldset,
  Group,
  List,
  Loader,
  MultiSelect,
  Paper,
  Pill,
  Radio,
  Stack,
  Text,
  TextInput,
} from '@mantine/core'
import { useDebouncedValue } from '@mantine/hooks'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { Link } from '@tanstack/react-router'
import { useId, useState } from 'react'
import { describeLabel, type LabelNames } from '../../../src/core/trust/describe.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { groupsQuery } from '../sharing/sharing.api.js'
import { PapBadge, TlpBadge } from './label-badge.js'
import {
  AUDIENCE_DESCRIPTIONS,
  AUDIENCE_LABELS,
  AUDIENCES,
  audienceBlockedReason,
  labelProblems,
  PAP_LEVELS,
  TLP_LEVELS,
  toSharingLabel,
  type Audience,
  type LabelInput,
  type LabelProblem,
  type Pap,
  type Tlp,
} from './label.constants.js'
import { PEOPLE_QUERY_MIN_LENGTH, peopleQuery, rememberPerson, useLabelNames } from './trust.api.js'

/** Props of {@link LabelPicker}. */
export interface LabelPickerProps {
  /** The label being edited. */
  value: LabelInput
  /** Receives every change; lists that no longer apply (groups, recipients) are emptied. */
  onChange: (next: LabelInput) => void
  /** The organisation that will own the item: the caller's. */
  ownerOrgId: string
  /** Legend of the whole picker. */
  legend?: string
  /** Disables every control, e.g. while the form is being saved. */
  disabled?: boolean
}

// The three parts read as sub-headings of the picker.
const PART_LEGEND = { legend: { fontWeight: 500, fontSize: 'var(--mantine-font-size-sm)' } }

function sentence(message: string): string {
  return `${message.charAt(0).toUpperCase()}${message.slice(1)}.`
}

/** The rules a label breaks, as a list under the picker (`role="alert"`, announced as they appear). */
export function LabelProblems({ problems }: { problems: readonly LabelProblem[] }) {
  if (problems.length === 0) {
    return null
  }
  return (
    <Alert
      color="red"
      variant="light"
      role="alert"
      title="This label breaks the sharing rules"
      data-testid="label-problems"
    >
      <List size="sm" spacing={2}>
        {problems.map((problem) => (
          <List.Item key={problem.rule} data-rule={problem.rule}>
            {sentence(problem.message)}
          </List.Item>
        ))}
      </List>
    </Alert>
  )
}

function GroupsField({
  value,
  onChange,
  names,
}: {
  value: string[]
  onChange: (ids: string[]) => void
  names: LabelNames
}) {
  const groups = useQuery(groupsQuery)
  const items = groups.data?.items ?? []
  const options = items.map((group) => ({ value: group.id, label: group.name }))
  // A label may name a group that is no longer in the list; keep it visible so it can be removed.
  for (const id of value) {
    if (!options.some((option) => option.value === id)) {
      options.push({ value: id, label: names.groupName(id) })
    }
  }
  return (
    <Stack gap={4}>
      <MultiSelect
        label="Groups that receive it"
        description="The member organisations of every group you choose will see it."
        placeholder={value.length === 0 ? 'Choose one or more sharing groups' : undefined}
        data={options}
        value={value}
        onChange={onChange}
        searchable
        nothingFoundMessage="No sharing group of yours matches"
        rightSection={groups.isPending ? <Loader size="xs" /> : undefined}
        renderPill={({ option, onRemove, disabled }) => (
          <Pill
            withRemoveButton={!disabled}
            onRemove={onRemove}
            removeButtonProps={{ 'aria-label': `Remove ${option.label}` }}
          >
            {option.label}
          </Pill>
        )}
        data-testid="label-groups"
      />
      <ErrorAlert error={groups.error} title="Could not load your sharing groups" />
      {groups.data && items.length === 0 ? (
        <Text size="sm" c="dimmed">
          Your organisation is in no sharing group yet.{' '}
          <Anchor component={Link} to="/sharing" size="sm">
            Create one on the Sharing page
          </Anchor>
          .
        </Text>
      ) : null}
    </Stack>
  )
}

function RecipientsField({
  value,
  onChange,
  names,
}: {
  value: string[]
  onChange: (ids: string[]) => void
  names: LabelNames
}) {
  const queryClient = useQueryClient()
  const headingId = useId()
  const [search, setSearch] = useState('')
  const [debounced] = useDebouncedValue(search.trim(), 300)
  const people = useQuery(peopleQuery(debounced))
  const found = (people.data?.items ?? []).filter((person) => !value.includes(person.id))
  const searching = debounced.length >= PEOPLE_QUERY_MIN_LENGTH

  return (
    <Stack gap="xs" data-testid="label-recipients">
      <Text size="sm" fw={500} id={headingId}>
        Named recipients
      </Text>
      {value.length === 0 ? (
        <Text size="sm" c="dimmed">
          Nobody named yet: TLP:RED needs at least one person.
        </Text>
      ) : (
        <Group gap="xs" component="ul" aria-labelledby={headingId} style={{ listStyle: 'none', padding: 0 }}>
          {value.map((id) => (
            <Group
              key={id}
              component="li"
              gap={4}
              wrap="nowrap"
              px="xs"
              py={2}
              bg="gray.1"
              style={{ borderRadius: 'var(--mantine-radius-xl)' }}
            >
              <Text size="sm">{names.personName(id)}</Text>
              <CloseButton
                size="sm"
                aria-label={`Remove ${names.personName(id)}`}
                onClick={() => onChange(value.filter((other) => other !== id))}
              />
            </Group>
          ))}
        </Group>
      )}
      <TextInput
        label="Find people"
        description={`At least ${PEOPLE_QUERY_MIN_LENGTH} letters of a name or e-mail address.`}
        value={search}
        autoComplete="off"
        onChange={(event) => setSearch(event.currentTarget.value)}
        onKeyDown={(event) => {
          // Enter in the search box searches; it must not submit the surrounding form.
          if (event.key === 'Enter') {
            event.preventDefault()
          }
        }}
        rightSection={people.isFetching ? <Loader size="xs" /> : undefined}
      />
      <ErrorAlert error={people.error} title="Could not search people" />
      {searching && people.data ? (
        <Stack gap={4} role="status" aria-live="polite">
          {found.length === 0 ? (
            <Text size="sm" c="dimmed">
              Nobody else matches “{debounced}”.
            </Text>
          ) : (
            found.map((person) => (
              <Group key={person.id} gap="xs" justify="space-between" wrap="nowrap">
                <Text size="sm">
                  {person.name}{' '}
                  <Text component="span" size="sm" c="dimmed">
                    {person.orgName}
                  </Text>
                </Text>
                <Button
                  size="compact-xs"
                  variant="light"
                  aria-label={`Add ${person.name} of ${person.orgName}`}
                  onClick={() => {
                    rememberPerson(queryClient, person)
                    onChange([...value, person.id])
                  }}
                >
                  Add
                </Button>
              </Group>
            ))
          )}
        </Stack>
      ) : null}
    </Stack>
  )
}

/**
 * Chooses a sharing label: TLP, PAP, audience, and the sharing groups or named recipients it needs.
 * Audiences the TLP does not allow are disabled with the reason; a summary says in words who will see
 * the item, and the rules the label still breaks are listed under it (the form must not submit then:
 * use {@link labelProblems}).
 */
export function LabelPicker({
  value,
  onChange,
  ownerOrgId,
  legend = 'Sharing label',
  disabled = false,
}: LabelPickerProps) {
  const name = useId()
  const names = useLabelNames()
  const problems = labelProblems(value, ownerOrgId)
  const summary = describeLabel(toSharingLabel(value, ownerOrgId), names)

  const setTlp = (tlp: Tlp) => onChange({ ...value, tlp, recipients: tlp === 'red' ? value.recipients : [] })
  const setPap = (pap: Pap) => onChange({ ...value, pap })
  const setAudience = (audience: Audience) =>
    onChange({ ...value, audience, sharingGroups: audience === 'group' ? value.sharingGroups : [] })

  return (
    <Fieldset legend={legend} disabled={disabled} data-testid="label-picker">
      <Stack gap="md">
        <Fieldset
          variant="unstyled"
          legend="TLP: with whom recipients may share it"
          p={0}
          styles={PART_LEGEND}
        >
          <Group gap="md" mt="xs">
            {TLP_LEVELS.map((tlp) => (
              <Radio
                key={tlp}
                name={`${name}-tlp`}
                value={tlp}
                checked={value.tlp === tlp}
                onChange={() => setTlp(tlp)}
                label={<TlpBadge tlp={tlp} size="md" />}
              />
            ))}
          </Group>
        </Fieldset>

        <Fieldset variant="unstyled" legend="PAP: what recipients may do with it" p={0} styles={PART_LEGEND}>
          <Group gap="md" mt="xs">
            {PAP_LEVELS.map((pap) => (
              <Radio
                key={pap}
                name={`${name}-pap`}
                value={pap}
                checked={value.pap === pap}
                onChange={() => setPap(pap)}
                label={<PapBadge pap={pap} size="md" />}
              />
            ))}
          </Group>
        </Fieldset>

        <Fieldset variant="unstyled" legend="Audience: who receives it" p={0} styles={PART_LEGEND}>
          <Stack gap="xs" mt="xs">
            {AUDIENCES.map((audience) => {
              const blocked = audienceBlockedReason(audience, value.tlp)
              return (
                <Radio
                  key={audience}
                  name={`${name}-audience`}
                  value={audience}
                  checked={value.audience === audience}
                  disabled={blocked !== null}
                  onChange={() => setAudience(audience)}
                  label={AUDIENCE_LABELS[audience]}
                  description={blocked ?? AUDIENCE_DESCRIPTIONS[audience]}
                  data-audience={audience}
                />
              )
            })}
          </Stack>
        </Fieldset>

        {value.audience === 'group' ? (
          <GroupsField
            value={value.sharingGroups}
            onChange={(sharingGroups) => onChange({ ...value, sharingGroups })}
            names={names}
          />
        ) : null}

        {value.tlp === 'red' ? (
          <RecipientsField
            value={value.recipients}
            onChange={(recipients) => onChange({ ...value, recipients })}
            names={names}
          />
        ) : null}

        <Paper withBorder p="sm" radius="sm" bg="gray.0">
          <Text size="sm" fw={600}>
            Who will be able to see it
          </Text>
          <Text size="sm" data-testid="label-summary" aria-live="polite">
            {summary}
          </Text>
        </Paper>

        <LabelProblems problems={problems} />
      </Stack>
    </Fieldset>
  )
}
