import { Anchor, type AnchorProps } from '@mantine/core'
import { createLink } from '@tanstack/react-router'
import type { ComponentProps } from 'react'

function MantineAnchor(props: AnchorProps & ComponentProps<'a'>) {
  return <Anchor {...props} />
}

/**
 * A Mantine anchor that is a typed router link: `to` and `params` are checked against the routes.
 *
 * @example
 * <AnchorLink to="/knowledge/$documentId" params={{ documentId: doc.id }}>{doc.title}</AnchorLink>
 */
export const AnchorLink = createLink(MantineAnchor)
