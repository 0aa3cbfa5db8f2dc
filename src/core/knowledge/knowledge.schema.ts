import { Type, type Static } from 'typebox'
import { LabelInputSchema, SharingLabelSchema } from '../trust/label.schema.js'

/** Kinds of document in the shared repository. */
export const DOCUMENT_KINDS = ['tool', 'methodology', 'form', 'procedure', 'other'] as const

/** A document as the API returns it. */
export const DocumentSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  title: Type.String(),
  kind: Type.Enum([...DOCUMENT_KINDS]),
  body: Type.String(),
  label: SharingLabelSchema,
  createdBy: Type.String({ format: 'uuid' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})
/** Wire shape of a document. */
export type DocumentWire = Static<typeof DocumentSchema>

/** Body of `POST /api/v1/knowledge/documents`. */
export const CreateDocumentBody = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 300 }),
    kind: Type.Enum([...DOCUMENT_KINDS]),
    body: Type.String({ maxLength: 200_000 }),
    label: LabelInputSchema,
  },
  { additionalProperties: false },
)
/** Input to create a document. */
export type CreateDocumentInput = Static<typeof CreateDocumentBody>

/** Body of `PATCH /api/v1/knowledge/documents/{id}`. */
export const UpdateDocumentBody = Type.Object(
  {
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
    kind: Type.Optional(Type.Enum([...DOCUMENT_KINDS])),
    body: Type.Optional(Type.String({ maxLength: 200_000 })),
  },
  { additionalProperties: false, minProperties: 1 },
)
/** Input to change a document. */
export type UpdateDocumentInput = Static<typeof UpdateDocumentBody>

/** Body of `PUT /api/v1/knowledge/documents/{id}/label`. */
export const ChangeLabelBody = Type.Object(
  {
    label: LabelInputSchema,
    reason: Type.Optional(
      Type.String({ maxLength: 2000, description: 'required when the change is a downgrade' }),
    ),
  },
  { additionalProperties: false },
)
/** Input to change a record's label. */
export type ChangeLabelInput = Static<typeof ChangeLabelBody>
