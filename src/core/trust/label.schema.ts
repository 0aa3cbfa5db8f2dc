import { Type, type Static } from 'typebox'
import { AUDIENCES, PAP_LEVELS, TLP_LEVELS } from './label.js'

/** Wire shape of a sharing label, in requests and answers. */
export const SharingLabelSchema = Type.Object(
  {
    ownerOrg: Type.String({ format: 'uuid' }),
    tlp: Type.Enum([...TLP_LEVELS]),
    pap: Type.Enum([...PAP_LEVELS]),
    audience: Type.Enum([...AUDIENCES]),
    sharingGroups: Type.Array(Type.String({ format: 'uuid' }), { maxItems: 100 }),
    recipients: Type.Array(Type.String({ format: 'uuid' }), { maxItems: 500 }),
  },
  { additionalProperties: false },
)

/** A label as a client sends it: the owner is the caller's organisation unless given; lists may be omitted. */
export const LabelInputSchema = Type.Object(
  {
    tlp: Type.Enum([...TLP_LEVELS]),
    pap: Type.Optional(Type.Enum([...PAP_LEVELS])),
    audience: Type.Enum([...AUDIENCES]),
    sharingGroups: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { maxItems: 100 })),
    recipients: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { maxItems: 500 })),
  },
  { additionalProperties: false },
)
/** A label as a client sends it. */
export type LabelInput = Static<typeof LabelInputSchema>

/** One broken label rule, as the API reports it. */
export const LabelProblemSchema = Type.Object({
  rule: Type.String(),
  field: Type.String(),
  message: Type.String(),
})
