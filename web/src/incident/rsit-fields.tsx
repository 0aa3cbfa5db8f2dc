import { Group, NativeSelect, Text } from '@mantine/core'
import { findRsitClass, RSIT_CLASS_OPTIONS, rsitTypeOptions } from './incident.constants.js'

/** An RSIT classification as the forms edit it; '' for none. */
export interface RsitValue {
  rsitClass: string
  rsitType: string
}

/** Props of {@link RsitFields}. */
export interface RsitFieldsProps {
  value: RsitValue
  onChange: (next: RsitValue) => void
  disabled?: boolean
}

/**
 * The RSIT 1.3 class and incident type pickers; a new class clears the type (it belonged to the old
 * class), and the chosen class or type is explained under the pickers.
 */
export function RsitFields({ value, onChange, disabled = false }: RsitFieldsProps) {
  const cls = findRsitClass(value.rsitClass)
  const type = cls?.types.find((t) => t.value === value.rsitType)
  return (
    <div>
      <Group grow align="flex-start" wrap="wrap">
        <NativeSelect
          label="RSIT class"
          data={RSIT_CLASS_OPTIONS}
          value={value.rsitClass}
          disabled={disabled}
          miw={220}
          onChange={(event) => onChange({ rsitClass: event.currentTarget.value, rsitType: '' })}
        />
        <NativeSelect
          label="Incident type"
          data={rsitTypeOptions(value.rsitClass)}
          value={value.rsitType}
          disabled={disabled || cls === undefined}
          miw={220}
          onChange={(event) => onChange({ ...value, rsitType: event.currentTarget.value })}
        />
      </Group>
      {cls !== undefined ? (
        <Text size="xs" c="dimmed" mt={4}>
          {type?.description ?? cls.description}
        </Text>
      ) : null}
    </div>
  )
}
