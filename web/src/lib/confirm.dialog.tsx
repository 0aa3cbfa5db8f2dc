import { Button, Group, Modal, Stack, Text } from '@mantine/core'
import type { ReactNode } from 'react'

/** Props of {@link ConfirmDialog}. */
export interface ConfirmDialogProps {
  /** Whether the dialog is shown. */
  opened: boolean
  /** The question, e.g. "Revoke API key “ci”?". */
  title: string
  /** What will happen if the user confirms. */
  children: ReactNode
  /** Text of the confirming button; say what it does ("Revoke key"), not "OK". */
  confirmLabel: string
  /** Shows a spinner on the confirming button while the action runs. */
  loading?: boolean
  onConfirm: () => void
  onCancel: () => void
}

/** A modal that asks before a destructive action; focus is trapped and Escape cancels. */
export function ConfirmDialog({
  opened,
  title,
  children,
  confirmLabel,
  loading = false,
  onConfirm,
  onCancel,
}: ConfirmDialogProps) {
  return (
    <Modal
      opened={opened}
      onClose={onCancel}
      title={title}
      centered
      closeButtonProps={{ 'aria-label': 'Cancel' }}
    >
      <Stack gap="md">
        <Text size="sm" component="div">
          {children}
        </Text>
        <Group justify="flex-end" gap="sm">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button color="red" onClick={onConfirm} loading={loading}>
            {confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  )
}
