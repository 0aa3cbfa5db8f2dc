import { Anchor, Button, Group, PasswordInput, Stack } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { Link, useNavigate } from '@tanstack/react-router'
import { useState, type FormEvent } from 'react'
import { ErrorAlert } from '../lib/error-alert.js'
import { usePageTitle } from '../lib/page-title.js'
import { PASSWORD_MIN_LENGTH } from './account.constants.js'
import { AuthFrame } from './auth.frame.js'
import { changePassword, logout, meQuery, rememberMe } from './session.api.js'

interface FieldErrors {
  newPassword?: string
  confirmation?: string
}

function checkPasswords(current: string, next: string, confirmation: string): FieldErrors {
  const errors: FieldErrors = {}
  if (next.length < PASSWORD_MIN_LENGTH) {
    errors.newPassword = `Use at least ${PASSWORD_MIN_LENGTH} characters.`
  } else if (next === current) {
    errors.newPassword = 'Choose a password different from the current one.'
  }
  if (confirmation !== next) {
    errors.confirmation = 'The two new passwords do not match.'
  }
  return errors
}

/** Password change; forced after the first login with a one-time password, and on request otherwise. */
export function ChangePasswordPage() {
  usePageTitle('Change your password')
  const queryClient = useQueryClient()
  const navigate = useNavigate()
  const me = useQuery(meQuery)
  const forced = me.data?.user.mustChangePassword ?? true
  const [currentPassword, setCurrentPassword] = useState('')
  const [newPassword, setNewPassword] = useState('')
  const [confirmation, setConfirmation] = useState('')
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({})

  const change = useMutation({
    mutationFn: changePassword,
    onSuccess: async (updated) => {
      rememberMe(queryClient, updated)
      await navigate({ to: '/' })
    },
  })

  const signOut = useMutation({
    mutationFn: logout,
    onSettled: () => window.location.assign('/login'),
  })

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const errors = checkPasswords(currentPassword, newPassword, confirmation)
    setFieldErrors(errors)
    if (errors.newPassword !== undefined || errors.confirmation !== undefined) {
      return
    }
    change.mutate({ currentPassword, newPassword })
  }

  return (
    <AuthFrame
      title="Change your password"
      intro={
        forced
          ? 'You signed in with a one-time password. Choose your own password to continue.'
          : 'Choose a new password for your account.'
      }
    >
      <form onSubmit={submit} data-testid="change-password-form" aria-label="Change your password" noValidate>
        <Stack gap="md">
          <ErrorAlert error={change.error} title="The password was not changed" />
          <PasswordInput
            label="Current password"
            name="currentPassword"
            autoComplete="current-password"
            required
            autoFocus
            value={currentPassword}
            onChange={(event) => setCurrentPassword(event.currentTarget.value)}
          />
          <PasswordInput
            label="New password"
            name="newPassword"
            autoComplete="new-password"
            description={`At least ${PASSWORD_MIN_LENGTH} characters.`}
            required
            minLength={PASSWORD_MIN_LENGTH}
            value={newPassword}
            error={fieldErrors.newPassword}
            onChange={(event) => setNewPassword(event.currentTarget.value)}
          />
          <PasswordInput
            label="Confirm password"
            name="confirmation"
            autoComplete="new-password"
            description="Type the new password again."
            required
            value={confirmation}
            error={fieldErrors.confirmation}
            onChange={(event) => setConfirmation(event.currentTarget.value)}
          />
          <Button type="submit" loading={change.isPending} fullWidth>
            Change password
          </Button>
          <Group justify="space-between">
            {forced ? (
              <span />
            ) : (
              <Anchor component={Link} to="/" size="sm">
                Back to Liaison
              </Anchor>
            )}
            <Button variant="subtle" color="gray" size="xs" onClick={() => signOut.mutate()}>
              Log out
            </Button>
          </Group>
        </Stack>
      </form>
    </AuthFrame>
  )
}
