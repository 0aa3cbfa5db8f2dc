import { Stack, Tabs, Text, Title } from '@mantine/core'
import { getRouteApi } from '@tanstack/react-router'
import { usePageTitle } from '../lib/page-title.js'
import { useMe } from '../shell/use-me.js'
import { ADMIN_TABS, type AdminTab } from './admin.tabs.js'
import { ApiKeysPanel } from './api-keys.panel.js'
import { AuditPanel } from './audit.panel.js'
import { OrganisationsPanel } from './organisations.panel.js'
import { UsersPanel } from './users.panel.js'
import { WarninglistsPanel } from './warninglists.panel.js'

const adminRouteApi = getRouteApi('/app/admin')

const TAB_LABELS: Record<AdminTab, string> = {
  organisations: 'Organisations',
  users: 'Users',
  'api-keys': 'API keys',
  warninglists: 'Warninglists',
  audit: 'Audit log',
}

function ActivePanel({ tab }: { tab: AdminTab }) {
  switch (tab) {
    case 'organisations':
      return <OrganisationsPanel />
    case 'users':
      return <UsersPanel />
    case 'api-keys':
      return <ApiKeysPanel />
    case 'warninglists':
      return <WarninglistsPanel />
    case 'audit':
      return <AuditPanel />
  }
}

/**
 * Administration: organisations, users, the caller's API keys and, for instance admins, the warninglists
 * and the audit log.
 */
export function AdminPage() {
  usePageTitle('Administration')
  const me = useMe()
  const { tab } = adminRouteApi.useSearch()
  const navigate = adminRouteApi.useNavigate()
  // The audit log and the warninglists belong to the instance.
  const tabs = ADMIN_TABS.filter(
    (candidate) => (candidate !== 'audit' && candidate !== 'warninglists') || me.isInstanceAdmin,
  )
  const active = tab !== undefined && tabs.includes(tab) ? tab : 'organisations'

  const select = (value: string | null) => {
    const next = tabs.find((candidate) => candidate === value)
    if (next !== undefined) {
      void navigate({ search: { tab: next }, replace: true })
    }
  }

  return (
    <Stack gap="md" maw={1200}>
      <Stack gap={4}>
        <Title order={1}>Administration</Title>
        <Text c="dimmed" size="sm">
          {me.isInstanceAdmin
            ? 'You administer this Liaison instance.'
            : `You administer ${me.organisation.name}.`}
        </Text>
      </Stack>
      <Tabs value={active} onChange={select}>
        <Tabs.List>
          {tabs.map((value) => (
            <Tabs.Tab key={value} value={value}>
              {TAB_LABELS[value]}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        {/* Only the active panel is rendered, so each form's labels are unique on the page. */}
        <Tabs.Panel value={active} pt="md">
          <ActivePanel tab={active} />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  )
}
