import { Anchor, Button, Center, Stack, Text, Title } from '@mantine/core'
import { Link, useRouter, type ErrorComponentProps } from '@tanstack/react-router'
import { errorMessage } from '../lib/api.client.js'
import { usePageTitle } from '../lib/page-title.js'

/** Shown for a URL that matches no page. */
export function NotFoundPage() {
  usePageTitle('Page not found')
  return (
    <Center component="main" mih="60vh" p="md">
      <Stack align="center" gap="sm">
        <Title order={1}>Page not found</Title>
        <Text c="dimmed">There is no page at this address.</Text>
        <Anchor component={Link} to="/">
          Go to the home page
        </Anchor>
      </Stack>
    </Center>
  )
}

/** Shown when a page failed to load (for instance the server could not be reached). */
export function RouteErrorPage({ error, reset }: ErrorComponentProps) {
  usePageTitle('Error')
  const router = useRouter()
  const retry = () => {
    reset()
    void router.invalidate()
  }
  return (
    <Center component="main" mih="60vh" p="md">
      <Stack align="center" gap="sm" maw={480}>
        <Title order={1}>This page could not be loaded</Title>
        <Text role="alert" ta="center">
          {errorMessage(error)}
        </Text>
        <Button variant="default" onClick={retry}>
          Try again
        </Button>
      </Stack>
    </Center>
  )
}
