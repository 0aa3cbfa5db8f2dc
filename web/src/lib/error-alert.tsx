import { Alert } from '@mantine/core'
import { errorMessage } from './api.client.js'

/** Props of {@link ErrorAlert}. */
export interface ErrorAlertProps {
  /** The error to show; nothing is rendered when it is null or undefined. */
  error: unknown
  /** Heading of the alert. */
  title?: string
}

/** Shows an error message in an alert (`role="alert"`, so screen readers announce it). */
export function ErrorAlert({ error, title = 'Something went wrong' }: ErrorAlertProps) {
  if (error === null || error === undefined) {
    return null
  }
  return (
    <Alert color="red" variant="light" title={title} role="alert">
      {errorMessage(error)}
    </Alert>
  )
}
