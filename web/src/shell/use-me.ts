import { getRouteApi } from '@tanstack/react-router'
import type { MeWire } from '../../../src/core/account/account.schema.js'

const appRouteApi = getRouteApi('/app')

/** The signed-in caller, as checked by the guard of the signed-in layout (use only below it). */
export function useMe(): MeWire {
  return appRouteApi.useRouteContext({ select: (context) => context.me })
}
