import { AppShell, Box, Burger, Button, Group, NavLink, ScrollArea, Stack, Text } from '@mantine/core'
import { useDisclosure } from '@mantine/hooks'
import { useMutation, useQuery } from '@tanstack/react-query'
import { Link, Outlet, useRouterState } from '@tanstack/react-router'
import { logout } from '../account/session.api.js'
import { canReadConstituency } from '../constituency/constituency.api.js'
import { REPORT_READ_ROLES } from '../report/report.api.js'
import { healthQuery } from './health.api.js'
import { MODULES, UPCOMING_MODULES } from './modules.js'
import { useMe } from './use-me.js'

const MODULE_LINKS = [
  { to: '/directory', label: MODULES.directory.title },
  { to: '/incidents', label: MODULES.incidents.title },
  { to: '/intelligence', label: MODULES.intelligence.title },
  { to: '/sharing', label: MODULES.sharing.title },
  { to: '/advisories', label: UPCOMING_MODULES.advisories.title },
  { to: '/cooperation', label: UPCOMING_MODULES.cooperation.title },
  { to: '/crisis', label: UPCOMING_MODULES.crisis.title },
  { to: '/metrics', label: UPCOMING_MODULES.metrics.title },
  { to: '/knowledge', label: MODULES.knowledge.title },
] as const

const REPORTS_LINK = { to: '/reports', label: 'Reports' } as const

function isActive(pathname: string, to: string): boolean {
  if (to === '/') {
    return pathname === '/'
  }
  return pathname === to || pathname.startsWith(`${to}/`)
}

/** The frame of every signed-in page: header with the caller and "Log out", navigation, then the page. */
export function AppLayout() {
  const me = useMe()
  const [navOpened, nav] = useDisclosure(false)
  const health = useQuery(healthQuery)
  const pathname = useRouterState({ select: (state) => state.location.pathname })
  const signOut = useMutation({
    mutationFn: logout,
    // A full page load drops every cached answer and the CSRF token, even if the server call failed.
    onSettled: () => window.location.assign('/login'),
  })

  // The triage queue sits next to the incidents it feeds.
  const links = [
    { to: '/', label: 'Home' },
    ...MODULE_LINKS.flatMap<(typeof MODULE_LINKS)[number] | typeof REPORTS_LINK>((link) =>
      link.to === '/incidents' && REPORT_READ_ROLES.includes(me.user.role) ? [link, REPORTS_LINK] : [link],
    ),
    ...(canReadConstituency(me) ? [{ to: '/constituency', label: 'Constituency' } as const] : []),
    { to: '/federation', label: 'Federation' },
    { to: '/report', label: 'Report an incident' },
    ...(me.user.role === 'admin' ? [{ to: '/admin', label: 'Admin' } as const] : []),
  ] as const

  return (
    <>
      <a className="skip-link" href="#main-content">
        Skip to main content
      </a>
      <AppShell
        header={{ height: 60 }}
        navbar={{ width: 240, breakpoint: 'sm', collapsed: { mobile: !navOpened } }}
        padding="md"
      >
        <AppShell.Header>
          <Group h="100%" px="md" justify="space-between" wrap="nowrap" gap="sm">
            <Group gap="sm" wrap="nowrap" miw={0}>
              <Burger
                opened={navOpened}
                onClick={nav.toggle}
                hiddenFrom="sm"
                size="sm"
                aria-label={navOpened ? 'Close navigation' : 'Open navigation'}
                aria-expanded={navOpened}
                aria-controls="app-navigation"
              />
              <Text component="span" fw={700} size="lg" c="indigo.8">
                Liaison
              </Text>
              {health.data ? (
                <Text component="span" size="sm" c="dimmed" truncate visibleFrom="xs">
                  {health.data.instanceName}
                </Text>
              ) : null}
            </Group>
            <Group gap="md" wrap="nowrap">
              <Box visibleFrom="sm" ta="right">
                <Text size="sm" fw={500} lh={1.2}>
                  {me.user.name}
                </Text>
                <Text size="xs" c="dimmed" lh={1.2}>
                  {me.organisation.name}
                </Text>
              </Box>
              <Button
                variant="default"
                size="xs"
                onClick={() => signOut.mutate()}
                loading={signOut.isPending}
              >
                Log out
              </Button>
            </Group>
          </Group>
        </AppShell.Header>

        <AppShell.Navbar id="app-navigation" aria-label="Main navigation" p="xs">
          <Stack gap={2} hiddenFrom="sm" px="sm" pb="sm">
            <Text size="sm" fw={500}>
              {me.user.name}
            </Text>
            <Text size="xs" c="dimmed">
              {me.organisation.name}
            </Text>
            {health.data ? (
              <Text size="xs" c="dimmed" hiddenFrom="xs">
                Instance: {health.data.instanceName}
              </Text>
            ) : null}
          </Stack>
          <AppShell.Section grow component={ScrollArea}>
            {links.map((link) => (
              <NavLink
                key={link.to}
                component={Link}
                to={link.to}
                label={link.label}
                active={isActive(pathname, link.to)}
                aria-current={isActive(pathname, link.to) ? 'page' : undefined}
                onClick={nav.close}
              />
            ))}
          </AppShell.Section>
        </AppShell.Navbar>

        <AppShell.Main id="main-content" tabIndex={-1}>
          <Outlet />
        </AppShell.Main>
      </AppShell>
    </>
  )
}
