import { createTheme, NativeSelect, PasswordInput, TextInput } from '@mantine/core'

/**
 * A calm, neutral theme. Indigo and grey only: red, amber, green and white carry meaning in the
 * Traffic Light Protocol, so they are kept for TLP markings and error messages.
 *
 * Inputs show no required asterisk (their `required` attribute still tells assistive technology);
 * optional fields say so in their description. Labels thus read exactly as written.
 */
export const theme = createTheme({
  primaryColor: 'indigo',
  primaryShade: 7,
  defaultRadius: 'sm',
  fontFamily:
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif',
  headings: { fontWeight: '650' },
  components: {
    TextInput: TextInput.extend({ defaultProps: { withAsterisk: false } }),
    NativeSelect: NativeSelect.extend({ defaultProps: { withAsterisk: false } }),
    PasswordInput: PasswordInput.extend({
      defaultProps: {
        withAsterisk: false,
        // The default name contains "password", which made it a second match for the field's own label.
        visibilityToggleButtonProps: { 'aria-label': 'Show or hide what you typed' },
      },
    }),
  },
})
