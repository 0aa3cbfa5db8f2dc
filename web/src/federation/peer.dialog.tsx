import {
  Alert,
  Button,
  Fieldset,
  Group,
  Modal,
  MultiSelect,
  NativeSelect,
  PasswordInput,
  Pill,
  Radio,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Text,
  TextInput,
} from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect, useRef, useState, type FormEvent } from 'react'
import { checkLabel } from '../../../src/core/trust/label.js'
import { organisationsQuery } from '../directory/directory.api.js'
import { ApiError } from '../lib/api.client.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { groupsQuery } from '../sharing/sharing.api.js'
import {
  AUDIENCE_LABELS,
  AUDIENCES,
  PAP_LEVELS,
  papText,
  TLP_LEVELS,
  tlpText,
  type Audience,
  type Pap,
} from '../trust/label.constants.js'
import {
  createPeer,
  FEDERATION_KEY,
  updatePeer,
  type CreatePeerInput,
  type PeerCredentials,
  type PeerWire,
  type PullLabel,
  type UpdatePeerInput,
} from './federation.api.js'

type PullTlp = PullLabel['tlp']

/** TLP levels a pull may store under (as the API's `PULL_TLP_LEVELS`): TLP:RED never crosses instances. */
const PULL_TLPS: readonly PullTlp[] = TLP_LEVELS.filter((t): t is PullTlp => t !== 'red')

/** Bounds of the API (`CreatePeerBody`). */
const BOUNDS = {
  interval: { min: 10, max: 7 * 24 * 3600 },
  pageSize: { min: 1, max: 10_000 },
} as const

/** What a new peer starts with: the server's defaults (`DEFAULT_PULL_LABEL`, 300 s, 500 a page). */
const NEW_PEER_LABEL: PullLabel = { tlp: 'green', pap: 'clear', audience: 'community', sharingGroups: [] }
const NEW_PEER_INTERVAL = 300
const NEW_PEER_PAGE_SIZE = 500

/** How the form handles credentials: keep what is stored (edit only), or replace it with one kind. */
type CredentialChoice = 'keep' | PeerCredentials['kind']

const CREDENTIAL_LABELS: Record<PeerCredentials['kind'], string> = {
  bearer: 'API key or token (Bearer)',
  basic: 'User name and password (HTTP Basic)',
  none: 'None',
}

/** The form as typed. Secrets live here only while the dialog is open; nothing fills them back in. */
interface Draft {
  name: string
  url: string
  orgId: string
  /** Ids or aliases, separated by commas or spaces. */
  pullCollections: string
  pushCollection: string
  tlp: PullTlp
  pap: Pap
  audience: Audience
  sharingGroups: string[]
  interval: string
  pageSize: string
  enabled: boolean
  credentials: CredentialChoice
  token: string
  username: string
  password: string
}

type Field =
  | 'name'
  | 'url'
  | 'orgId'
  | 'pullCollections'
  | 'pushCollection'
  | 'tlp'
  | 'pap'
  | 'audience'
  | 'sharingGroups'
  | 'interval'
  | 'pageSize'
  | 'credentials'
  | 'token'
  | 'username'
  | 'password'

type Errors = Partial<Record<Field, string>>

function draftOf(peer: PeerWire | null): Draft {
  const label = peer?.pullLabel ?? NEW_PEER_LABEL
  return {
    name: peer?.name ?? '',
    url: peer?.url ?? '',
    orgId: peer?.orgId ?? '',
    pullCollections: peer?.pullCollections.join(', ') ?? '',
    pushCollection: peer?.pushCollection ?? '',
    tlp: label.tlp,
    pap: label.pap,
    audience: label.audience,
    sharingGroups: [...label.sharingGroups],
    interval: String(peer?.intervalSeconds ?? NEW_PEER_INTERVAL),
    pageSize: String(peer?.pageSize ?? NEW_PEER_PAGE_SIZE),
    enabled: peer?.enabled ?? true,
    credentials: peer === null ? 'bearer' : 'keep',
    token: '',
    username: '',
    password: '',
  }
}

function collectionsOf(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter((c) => c !== ''))]
}

function wholeNumber(text: string, bounds: { min: number; max: number }): number | undefined {
  const value = text.trim()
  if (!/^\d+$/.test(value)) {
    return undefined
  }
  const n = Number(value)
  return n >= bounds.min && n <= bounds.max ? n : undefined
}

/** What a checked draft stands for: a peer's fields, with credentials only when they are to be (re)placed. */
type PeerValues = Omit<CreatePeerInput, 'credentials' | 'pullLabel' | 'intervalSeconds' | 'pageSize'> & {
  pullLabel: PullLabel
  intervalSeconds: number
  pageSize: number
  credentials: PeerCredentials | undefined
}

/** The values a draft stands for, or the message of every field that is wrong (checked before sending). */
function readDraft(draft: Draft, creating: boolean): { errors: Errors } | { values: PeerValues } {
  const errors: Errors = {}
  const name = draft.name.trim()
  if (name === '') {
    errors.name = 'Give the peer a name.'
  }
  const url = draft.url.trim()
  if (url === '') {
    errors.url = "Give the peer's address."
  }
  if (creating && draft.orgId === '') {
    errors.orgId = 'Choose the organisation that stands for the peer.'
  }
  const intervalSeconds = wholeNumber(draft.interval, BOUNDS.interval)
  if (intervalSeconds === undefined) {
    errors.interval = `A whole number of seconds from ${BOUNDS.interval.min} to ${BOUNDS.interval.max}.`
  }
  const pageSize = wholeNumber(draft.pageSize, BOUNDS.pageSize)
  if (pageSize === undefined) {
    errors.pageSize = `A whole number from ${BOUNDS.pageSize.min} to ${BOUNDS.pageSize.max}.`
  }
  const pullLabel: PullLabel = {
    tlp: draft.tlp,
    pap: draft.pap,
    audience: draft.audience,
    sharingGroups: draft.audience === 'group' ? draft.sharingGroups : [],
  }
  for (const problem of checkLabel({ ownerOrg: draft.orgId, ...pullLabel, recipients: [] })) {
    const field =
      problem.field === 'sharingGroups' ? 'sharingGroups' : problem.field === 'tlp' ? 'tlp' : 'audience'
    errors[field] ??= problem.message
  }
  let credentials: PeerCredentials | undefined
  switch (draft.credentials) {
    case 'keep':
      credentials = undefined
      break
    case 'none':
      credentials = { kind: 'none' }
      break
    case 'bearer':
      if (draft.token === '') {
        errors.token = 'Give the API key or token the peer gave you.'
      }
      credentials = { kind: 'bearer', token: draft.token }
      break
    case 'basic':
      if (draft.username.trim() === '') {
        errors.username = 'Give the user name.'
      }
      if (draft.password === '') {
        errors.password = 'Give the password.'
      }
      credentials = { kind: 'basic', username: draft.username.trim(), password: draft.password }
      break
  }
  if (Object.keys(errors).length > 0 || intervalSeconds === undefined || pageSize === undefined) {
    return { errors }
  }
  const push = draft.pushCollection.trim()
  return {
    values: {
      name,
      url,
      orgId: draft.orgId,
      pullCollections: collectionsOf(draft.pullCollections),
      pushCollection: push === '' ? null : push,
      pullLabel,
      intervalSeconds,
      pageSize,
      enabled: draft.enabled,
      credentials,
    },
  }
}

/** The changes from `peer` to `values`; credentials only when the admin chose to replace them. */
function patchOf(peer: PeerWire, values: PeerValues): UpdatePeerInput {
  const patch: UpdatePeerInput = {}
  if (values.name !== peer.name) {
    patch.name = values.name
  }
  if (values.url !== peer.url) {
    patch.url = values.url
  }
  if (JSON.stringify(values.pullCollections) !== JSON.stringify(peer.pullCollections)) {
    patch.pullCollections = values.pullCollections
  }
  if ((values.pushCollection ?? null) !== peer.pushCollection) {
    patch.pushCollection = values.pushCollection ?? null
  }
  const before = peer.pullLabel
  const after = values.pullLabel
  if (
    after.tlp !== before.tlp ||
    after.pap !== before.pap ||
    after.audience !== before.audience ||
    JSON.stringify(after.sharingGroups) !== JSON.stringify(before.sharingGroups)
  ) {
    patch.pullLabel = after
  }
  if (values.intervalSeconds !== peer.intervalSeconds) {
    patch.intervalSeconds = values.intervalSeconds
  }
  if (values.pageSize !== peer.pageSize) {
    patch.pageSize = values.pageSize
  }
  if (values.enabled !== peer.enabled) {
    patch.enabled = values.enabled
  }
  if (values.credentials !== undefined) {
    patch.credentials = values.credentials
  }
  return patch
}

/** The form field a field path of the API's errors (`pullLabel.tlp`, `credentials.token`, …) belongs to. */
function formFieldOf(path: string): Field | null {
  switch (path) {
    case 'name':
    case 'url':
    case 'orgId':
    case 'pushCollection':
    case 'pageSize':
      return path
    case 'intervalSeconds':
      return 'interval'
    case 'pullLabel.tlp':
      return 'tlp'
    case 'pullLabel.pap':
      return 'pap'
    case 'credentials.token':
      return 'token'
    case 'credentials.username':
      return 'username'
    case 'credentials.password':
      return 'password'
    default:
      break
  }
  if (path.startsWith('pullCollections')) {
    return 'pullCollections'
  }
  if (path.startsWith('pullLabel.sharingGroups')) {
    return 'sharingGroups'
  }
  if (path.startsWith('pullLabel')) {
    return 'audience'
  }
  if (path.startsWith('credentials')) {
    return 'credentials'
  }
  return null
}

/** The server's field errors by form field: every problem it listed, or the one field it named. */
function serverErrors(error: unknown): Errors {
  if (!(error instanceof ApiError) || error.details === null) {
    return {}
  }
  const listed: unknown[] = Array.isArray(error.details.problems)
    ? error.details.problems
    : [{ field: error.details.field, message: error.message }]
  const errors: Errors = {}
  for (const problem of listed) {
    if (typeof problem !== 'object' || problem === null || !('field' in problem) || !('message' in problem)) {
      continue
    }
    const { field: path, message } = problem
    if (typeof path !== 'string' || typeof message !== 'string') {
      continue
    }
    const field = formFieldOf(path)
    if (field === null) {
      continue
    }
    // Messages that stand alone start with the field path ("name: a peer named … exists").
    const text = message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message
    // The schema's words for a URL ("must match pattern "^https?://"") say little to a person.
    errors[field] ??=
      field === 'url' && /^must (be a valid uri|match pattern)/.test(text)
        ? `Not a web address: give a full http:// or https:// URL, e.g. https://peer.example/taxii2/ (the server says: ${text}).`
        : text
  }
  return errors
}

/** Props of {@link PeerForm}. */
interface PeerFormProps {
  /** The peer to edit, or null to add one. */
  peer: PeerWire | null
  /** Every peer, so that organisations already standing for one are not offered. */
  peers: readonly PeerWire[]
  onSaved: (peer: PeerWire) => void
  onCancel: () => void
}

/** A select of a fixed list of values; only those values reach `onChange`. */
function ChoiceSelect<T extends string>(props: {
  label: string
  choices: readonly T[]
  text: (choice: T) => string
  value: T
  error: string | undefined
  onChange: (value: T) => void
}) {
  const { choices, onChange } = props
  return (
    <NativeSelect
      label={props.label}
      data={choices.map((c) => ({ value: c, label: props.text(c) }))}
      value={props.value}
      error={props.error}
      onChange={(e) => {
        const value = choices.find((c) => c === e.currentTarget.value)
        if (value !== undefined) {
          onChange(value)
        }
      }}
    />
  )
}

function PeerForm({ peer, peers, onSaved, onCancel }: PeerFormProps) {
  const queryClient = useQueryClient()
  const creating = peer === null
  const [draft, setDraft] = useState<Draft>(() => draftOf(peer))
  const [errors, setErrors] = useState<Errors>({})
  const organisations = useQuery({ ...organisationsQuery, enabled: creating })
  const groups = useQuery(groupsQuery)
  const save = useMutation({
    mutationFn: async (values: PeerValues) => {
      if (peer === null) {
        const { credentials, ...rest } = values
        return createPeer(credentials === undefined ? rest : { ...rest, credentials })
      }
      const patch = patchOf(peer, values)
      return Object.keys(patch).length === 0 ? peer : updatePeer(peer.id, patch)
    },
    onSuccess: async (saved) => {
      // The secrets typed are dropped at once: the form is gone, and the server never sends them back.
      setDraft((d) => ({ ...d, token: '', password: '' }))
      await queryClient.invalidateQueries({ queryKey: FEDERATION_KEY })
      onSaved(saved)
    },
    onError: (error) => setErrors(serverErrors(error)),
  })
  const formRef = useRef<HTMLFormElement>(null)
  // The dialog is taller than most screens: take the admin to the first field that needs a change.
  useEffect(() => {
    formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus()
  }, [errors])
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }))
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const read = readDraft(draft, creating)
    if ('errors' in read) {
      setErrors(read.errors)
      return
    }
    setErrors({})
    save.mutate(read.values)
  }

  const taken = new Set(peers.filter((p) => p.id !== peer?.id).map((p) => p.orgId))
  const orgOptions = (organisations.data?.items ?? [])
    .filter((o) => !o.isInstanceOwner && !taken.has(o.id))
    .map((o) => ({ value: o.id, label: o.name }))
  // The pull label may name only groups the peer's organisation is in (the server checks): those
  // whose members include it, and those whose membership is hidden from us (marked as such).
  const groupOptions = (groups.data?.items ?? [])
    .filter(
      (g) =>
        draft.sharingGroups.includes(g.id) ||
        (draft.orgId !== '' && (g.members === null || g.members.some((m) => m.orgId === draft.orgId))),
    )
    .map((g) => ({ value: g.id, label: g.members === null ? `${g.name} (membership hidden)` : g.name }))
  const offered = new Set(groupOptions.map((o) => o.value))
  groupOptions.push(
    ...draft.sharingGroups.filter((id) => !offered.has(id)).map((id) => ({ value: id, label: id })),
  )
  const invalid = Object.keys(errors).length
  const unplaced = save.error !== null && Object.keys(serverErrors(save.error)).length === 0

  return (
    <form
      ref={formRef}
      onSubmit={submit}
      aria-label={creating ? 'Add a peer' : `Edit peer ${peer.name}`}
      noValidate
      data-testid="peer-form"
    >
      <Stack gap="md">
        {unplaced ? <ErrorAlert error={save.error} title="The peer was not saved" /> : null}
        {invalid > 0 ? (
          <Alert color="red" variant="light" role="alert" title="Check the peer">
            {invalid === 1 ? 'One field needs' : `${invalid} fields need`} a change before saving.
          </Alert>
        ) : null}
        <Fieldset legend="Peer">
          <Stack gap="sm">
            <TextInput
              label="Name"
              required
              maxLength={200}
              autoComplete="off"
              value={draft.name}
              error={errors.name}
              onChange={(e) => set('name', e.currentTarget.value)}
            />
            <TextInput
              label="URL"
              description="The peer server, its TAXII discovery URL (…/taxii2/) or an API root; http:// or https://."
              required
              maxLength={2000}
              autoComplete="off"
              inputMode="url"
              value={draft.url}
              error={errors.url}
              onChange={(e) => set('url', e.currentTarget.value)}
            />
            {creating ? (
              <Select
                label="Stands for"
                description="The local organisation that stands for the peer: what it may see here is what is pushed, and it owns what is pulled. One per peer; not this instance's own."
                placeholder={organisations.isPending ? 'Loading organisations…' : 'Choose an organisation'}
                required
                withAsterisk={false}
                searchable
                nothingFoundMessage="No organisation matches (those standing for a peer are left out)"
                data={orgOptions}
                value={draft.orgId === '' ? null : draft.orgId}
                error={errors.orgId}
                onChange={(value) => set('orgId', value ?? '')}
                comboboxProps={{ withinPortal: true }}
              />
            ) : (
              <TextInput
                label="Stands for"
                description="Fixed for a peer: remove it and add it again to change the organisation."
                value={peer.orgName}
                readOnly
              />
            )}
            <ErrorAlert error={organisations.error} title="Could not load the organisations" />
          </Stack>
        </Fieldset>

        <Fieldset legend="Collections">
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <TextInput
              label="Pull"
              description="Optional. The peer's collections to pull: ids or aliases, separated by commas."
              autoComplete="off"
              value={draft.pullCollections}
              error={errors.pullCollections}
              onChange={(e) => set('pullCollections', e.currentTarget.value)}
            />
            <TextInput
              label="Push to"
              description="Optional. The peer's collection to push to; empty: no push."
              autoComplete="off"
              value={draft.pushCollection}
              error={errors.pushCollection}
              onChange={(e) => set('pushCollection', e.currentTarget.value)}
            />
          </SimpleGrid>
        </Fieldset>

        <Fieldset legend="Label of pulled objects">
          <Stack gap="sm">
            <Text size="xs" c="dimmed">
              Objects marked more strictly keep their own marking. TLP:RED is never pulled.
            </Text>
            <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
              <ChoiceSelect
                label="TLP"
                choices={PULL_TLPS}
                text={tlpText}
                value={draft.tlp}
                error={errors.tlp}
                onChange={(value) => set('tlp', value)}
              />
              <ChoiceSelect
                label="PAP"
                choices={PAP_LEVELS}
                text={papText}
                value={draft.pap}
                error={errors.pap}
                onChange={(value) => set('pap', value)}
              />
              <ChoiceSelect
                label="Audience"
                choices={AUDIENCES}
                text={(a) => AUDIENCE_LABELS[a]}
                value={draft.audience}
                error={errors.audience}
                onChange={(value) => set('audience', value)}
              />
            </SimpleGrid>
            {draft.audience === 'group' ? (
              <MultiSelect
                label="Sharing groups"
                description="Groups the peer's organisation is in."
                data={groupOptions}
                value={draft.sharingGroups}
                error={errors.sharingGroups}
                onChange={(value) => set('sharingGroups', value)}
                searchable
                nothingFoundMessage={
                  draft.orgId === ''
                    ? 'Choose the organisation that stands for the peer first'
                    : groupOptions.length === 0
                      ? "The peer's organisation is in none of your sharing groups"
                      : 'No sharing group matches'
                }
                comboboxProps={{ withinPortal: true }}
                renderPill={({ option, onRemove, disabled }) => (
                  <Pill
                    withRemoveButton={disabled !== true}
                    onRemove={onRemove}
                    removeButtonProps={{ 'aria-label': `Remove ${option.label}` }}
                  >
                    {option.label}
                  </Pill>
                )}
              />
            ) : null}
          </Stack>
        </Fieldset>

        <Fieldset legend="Schedule">
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <TextInput
              label="Sync every (seconds)"
              description={`${BOUNDS.interval.min} to ${BOUNDS.interval.max}; 300 is 5 minutes.`}
              required
              inputMode="numeric"
              autoComplete="off"
              value={draft.interval}
              error={errors.interval}
              onChange={(e) => set('interval', e.currentTarget.value)}
            />
            <TextInput
              label="Objects per request"
              description={`${BOUNDS.pageSize.min} to ${BOUNDS.pageSize.max}.`}
              required
              inputMode="numeric"
              autoComplete="off"
              value={draft.pageSize}
              error={errors.pageSize}
              onChange={(e) => set('pageSize', e.currentTarget.value)}
            />
          </SimpleGrid>
          <Switch
            mt="sm"
            label="Scheduled syncs"
            description="Off: the peer syncs only when someone syncs it now."
            checked={draft.enabled}
            onChange={(e) => set('enabled', e.currentTarget.checked)}
          />
        </Fieldset>

        <Fieldset legend="Credentials">
          <Stack gap="sm">
            <Radio.Group
              label="How this instance signs in at the peer"
              description="Sealed with the instance secret key on saving and never shown again."
              value={draft.credentials}
              error={errors.credentials}
              onChange={(value) => {
                const choice = (['keep', 'bearer', 'basic', 'none'] as const).find((c) => c === value)
                if (choice !== undefined) {
                  set('credentials', choice)
                }
              }}
            >
              <Stack gap={6} mt={6}>
                {creating ? null : (
                  <Radio
                    value="keep"
                    label={`Keep the stored credentials (${CREDENTIAL_LABELS[peer.credentials].toLowerCase()})`}
                  />
                )}
                {(['bearer', 'basic', 'none'] as const).map((kind) => (
                  <Radio
                    key={kind}
                    value={kind}
                    label={
                      creating || kind === 'none'
                        ? CREDENTIAL_LABELS[kind]
                        : `New ${CREDENTIAL_LABELS[kind].charAt(0).toLowerCase()}${CREDENTIAL_LABELS[kind].slice(1)}`
                    }
                  />
                ))}
              </Stack>
            </Radio.Group>
            {draft.credentials === 'bearer' ? (
              <PasswordInput
                label="API key or token"
                required
                autoComplete="new-password"
                maxLength={4000}
                value={draft.token}
                error={errors.token}
                onChange={(e) => set('token', e.currentTarget.value)}
              />
            ) : null}
            {draft.credentials === 'basic' ? (
              <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
                <TextInput
                  label="User name"
                  required
                  autoComplete="off"
                  maxLength={500}
                  value={draft.username}
                  error={errors.username}
                  onChange={(e) => set('username', e.currentTarget.value)}
                />
                <PasswordInput
                  label="Password"
                  required
                  autoComplete="new-password"
                  maxLength={4000}
                  value={draft.password}
                  error={errors.password}
                  onChange={(e) => set('password', e.currentTarget.value)}
                />
              </SimpleGrid>
            ) : null}
          </Stack>
        </Fieldset>

        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending}>
            {creating ? 'Add peer' : 'Save peer'}
          </Button>
        </Group>
      </Stack>
    </form>
  )
}

/** Props of {@link PeerDialog}. */
export interface PeerDialogProps {
  opened: boolean
  /** The peer to edit, or null to add one. */
  peer: PeerWire | null
  /** Every peer, so that organisations already standing for one are not offered. */
  peers: readonly PeerWire[]
  onClose: () => void
  /** Called with the peer as saved, after the peer list is refreshed. */
  onSaved: (peer: PeerWire) => void
}

/**
 * Adds or edits a federation peer (instance admins): every field the API takes, checked before
 * sending, with the server's field errors shown next to their fields. Secrets are typed, sent once,
 * and never shown again: editing keeps the stored credentials unless new ones are given.
 */
export function PeerDialog({ opened, peer, peers, onClose, onSaved }: PeerDialogProps) {
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={peer === null ? 'Add a peer' : `Edit peer ${peer.name}`}
      size="xl"
      closeButtonProps={{ 'aria-label': 'Close' }}
    >
      <div data-testid="peer-dialog">
        {/* A new form each time the dialog opens: nothing typed before (secrets included) survives. */}
        {opened ? (
          <PeerForm key={peer?.id ?? 'new'} peer={peer} peers={peers} onSaved={onSaved} onCancel={onClose} />
        ) : null}
      </div>
    </Modal>
  )
}
