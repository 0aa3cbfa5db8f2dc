import { Button, Code, CopyButton, Group, Paper, Stack, Text, type MantineSpacing } from '@mantine/core'
import { useEffect, useId, useRef } from 'react'

/** Props of {@link SecretBox}. */
export interface SecretBoxProps {
  /** What the secret is, e.g. "New API key token". */
  label: string
  /** The secret itself. */
  value: string
  /** Why it is shown only once and what to do with it. */
  description: string
  /** `data-testid` of the element whose text content is exactly `value`. */
  testId: string
  /** Hides the box for good. */
  onDismiss: () => void
  /** Space above the box. */
  mt?: MantineSpacing
}

/** A clearly marked box showing a secret that the server returns only once, with a copy button. */
export function SecretBox({ label, value, description, testId, onDismiss, mt }: SecretBoxProps) {
  const labelId = useId()
  const boxRef = useRef<HTMLDivElement>(null)

  // The box appears after a form submission; take focus so keyboard and screen-reader users find it.
  useEffect(() => {
    boxRef.current?.focus()
  }, [value])

  return (
    <Paper
      ref={boxRef}
      tabIndex={-1}
      withBorder
      p="md"
      mt={mt}
      radius="md"
      role="region"
      aria-labelledby={labelId}
      bg="indigo.0"
      style={{ borderColor: 'var(--mantine-color-indigo-5)', borderWidth: 2 }}
    >
      <Stack gap="xs">
        <Text id={labelId} fw={700}>
          {label}
        </Text>
        <Text size="sm">{description}</Text>
        <Code block data-testid={testId} style={{ wordBreak: 'break-all', whiteSpace: 'pre-wrap' }}>
          {value}
        </Code>
        <Group gap="xs">
          <CopyButton value={value} timeout={2000}>
            {({ copied, copy }) => (
              <Button size="xs" variant={copied ? 'filled' : 'light'} onClick={copy}>
                {copied ? 'Copied' : 'Copy to clipboard'}
              </Button>
            )}
          </CopyButton>
          <Button size="xs" variant="subtle" color="gray" onClick={onDismiss}>
            I have stored it, hide it
          </Button>
        </Group>
      </Stack>
    </Paper>
  )
}
