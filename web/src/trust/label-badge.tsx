import { Badge, Group, Text, type MantineSize } from '@mantine/core'
import {
  audienceText,
  MARKING_BACKGROUND,
  PAP_COLOURS,
  papText,
  TLP_COLOURS,
  tlpText,
  type Pap,
  type SharingLabel,
  type Tlp,
} from './label.constants.js'

/** Props of {@link TlpBadge}. */
export interface TlpBadgeProps {
  tlp: Tlp
  size?: MantineSize
}

/** A TLP 2.0 label as FIRST draws it: `TLP:AMBER` in its colour on black. */
export function TlpBadge({ tlp, size = 'sm' }: TlpBadgeProps) {
  return (
    <Badge
      radius="xs"
      size={size}
      tt="none"
      data-tlp={tlp}
      style={{
        backgroundColor: MARKING_BACKGROUND,
        color: TLP_COLOURS[tlp],
        borderColor: MARKING_BACKGROUND,
        // Never cut to an ellipsis in a narrow table cell: the marking must be read whole.
        minWidth: 'max-content',
      }}
    >
      {tlpText(tlp)}
    </Badge>
  )
}

/** Props of {@link PapBadge}. */
export interface PapBadgeProps {
  pap: Pap
  size?: MantineSize
}

/** A PAP label, `PAP:GREEN`, drawn like the TLP ones. */
export function PapBadge({ pap, size = 'sm' }: PapBadgeProps) {
  return (
    <Badge
      radius="xs"
      size={size}
      tt="none"
      data-pap={pap}
      style={{
        backgroundColor: MARKING_BACKGROUND,
        color: PAP_COLOURS[pap],
        borderColor: MARKING_BACKGROUND,
        // Never cut to an ellipsis in a narrow table cell: the marking must be read whole.
        minWidth: 'max-content',
      }}
    >
      {papText(pap)}
    </Badge>
  )
}

/** Props of {@link LabelBadge}. */
export interface LabelBadgeProps {
  label: SharingLabel
  /** Also shows the PAP badge. */
  withPap?: boolean
}

/** A record's sharing label at a glance, for lists and detail pages: its TLP badge and its audience. */
export function LabelBadge({ label, withPap = false }: LabelBadgeProps) {
  return (
    <Group gap={6} wrap="nowrap" data-testid="label-badge">
      <TlpBadge tlp={label.tlp} />
      {withPap ? <PapBadge pap={label.pap} /> : null}
      <Text component="span" size="sm" style={{ whiteSpace: 'nowrap' }}>
        {audienceText(label)}
      </Text>
    </Group>
  )
}
