import { Button, PasswordInput, Stack, TextInput } from '@mantine/core'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { getRouteApi, useNavigate } from '@tanstack/react-router'
import { useState, type FormEvent } from 'react'
import { ApiError } from '../lib/api.client.js'
import { ErrorAlert } from '../lib/error-alert.js'
import { usePageTitle } from '../lib/page-title.js'
import { AuthFrame } from './auth.frame.js'
import { login, rememberMe } from './session.api.js'

const loginRouteApi = getRouteApi('/login')

function loginErrorTitle(error: unknown): string {
  if (ApiError.is(error, 401)) {
    return 'Login failed'
  }
  if (ApiError.is(error, 429)) {
    return 'Too many attempts'
  }
  return 'Could not log in'
}

/** The login form: e-mail and password; then on to the forced password change or the requested page. */
export function LoginPage() {
  usePageTitle('Log in')
  const queryClient = useQueryClient()
  const navigate = useNavigate()
  const { redirect } = loginRouteApi.useSearch()
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [missing, setMissing] = useState<string | null>(null)

  const signIn = useMutation({
    mutationFn: login,
    onSuccess: async (me) => {
      rememberMe(queryClient, me)
      if (me.user.mustChangePassword) {
        await navigate({ to: '/change-password' })
        return
      }
      await navigate({ href: redirect ?? '/' })
    },
    onError: () => setPassword(''),
  })

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (email.trim() === '' || password === '') {
      setMissing('Enter your e-mail address and your password.')
      return
    }
    setMissing(null)
    signIn.mutate({ email: email.trim(), password })
  }

  return (
    <AuthFrame title="Log in">
      <form onSubmit={submit} data-testid="login-form" aria-label="Log in" noValidate>
        <Stack gap="md">
          {missing === null ? (
            <ErrorAlert error={signIn.error} title={loginErrorTitle(signIn.error)} />
          ) : (
            <ErrorAlert error={new Error(missing)} title="Missing details" />
          )}
          <TextInput
            label="E-mail"
            type="email"
            name="email"
            autoComplete="username"
            required
            autoFocus
            value={email}
            onChange={(event) => setEmail(event.currentTarget.value)}
          />
          <PasswordInput
            label="Password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.currentTarget.value)}
          />
          <Button type="submit" loading={signIn.isPending} fullWidth>
            Log in
          </Button>
        </Stack>
      </form>
    </AuthFrame>
  )
}
