import { Type, type Static } from 'typebox'
import { SUPPORTED_WARNINGLIST_TYPES, WARNINGLIST_CATEGORIES } from './warninglist.js'

/** A warninglist as the API returns it (without its entries). */
export const WarninglistSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  version: Type.Integer(),
  type: Type.Enum([...SUPPORTED_WARNINGLIST_TYPES]),
  description: Type.String(),
  category: Type.Union([Type.Enum([...WARNINGLIST_CATEGORIES]), Type.Null()]),
  matchingAttributes: Type.Array(Type.String()),
  enabled: Type.Boolean({ description: 'only enabled lists flag values and filter exports' }),
  entryCount: Type.Integer({ description: 'indexed entries (a value may give several)' }),
  importedAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})
/** Wire shape of a warninglist. */
export type WarninglistWire = Static<typeof WarninglistSchema>

/** Body of `PATCH /api/v1/intel/warninglists/{id}`. */
export const UpdateWarninglistBody = Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false })
/** Input to change a warninglist. */
export type UpdateWarninglistInput = Static<typeof UpdateWarninglistBody>

/** One enabled list a value matches, and the entry that matched. */
export const WarninglistMatchSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  entry: Type.String({ description: 'the list entry as written (e.g. 10.0.0.0/8)' }),
})

/** Answer of `GET /api/v1/intel/warninglists/check`. */
export const WarninglistCheckSchema = Type.Object({
  value: Type.String(),
  matches: Type.Array(WarninglistMatchSchema),
})
