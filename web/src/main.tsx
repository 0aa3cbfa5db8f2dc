import '@mantine/core/styles.css'
import './app.css'
import { MantineProvider } from '@mantine/core'
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { RouterProvider } from '@tanstack/react-router'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { ME_KEY } from './account/session.api.js'
import { ApiError } from './lib/api.client.js'
import { buildRouter } from './router.js'
import { theme } from './theme.js'

/** Sends the user where an API error says they must go: log in again, or change their password first. */
function followAuthError(error: unknown): void {
  const { pathname, href } = router.state.location
  if (ApiError.is(error, 401, 'unauthenticated') && pathname !== '/login') {
    // A full page load drops every cached answer and the CSRF token of the dead session.
    window.location.assign(`/login?redirect=${encodeURIComponent(href)}`)
    return
  }
  if (ApiError.is(error, 403, 'password_change_required') && pathname !== '/change-password') {
    // The cached caller predates the change; the guards must ask the server again.
    queryClient.removeQueries({ queryKey: ME_KEY })
    void router.navigate({ to: '/change-password' })
  }
}

const queryClient = new QueryClient({
  queryCache: new QueryCache({
    onError: (error, query) => {
      // The session probe is handled by the route guards, which redirect on their own.
      if (query.queryKey[0] === ME_KEY[0]) {
        return
      }
      followAuthError(error)
    },
  }),
  mutationCache: new MutationCache({ onError: followAuthError }),
  defaultOptions: {
    queries: {
      // 4xx answers will not change on retry; network and server errors might.
      retry: (failureCount, error) =>
        !(error instanceof ApiError && error.status >= 400 && error.status < 500) && failureCount < 2,
      refetchOnWindowFocus: false,
    },
  },
})

const router = buildRouter(queryClient)

const container = document.getElementById('root')
if (container === null) {
  throw new Error('index.html has no #root element')
}

createRoot(container).render(
  <StrictMode>
    <MantineProvider theme={theme} defaultColorScheme="light">
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
)
