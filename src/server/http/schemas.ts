import { Type, type TSchema } from 'typebox'

/** The one error body of the API. */
export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'stable code, see docs/errors.md' }),
      message: Type.String({ description: 'readable; for bad input it starts with the field name' }),
      details: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
    }),
  },
  { description: 'Error' },
)

/**
 * Route `response` map with the error shape added for every 4xx and 5xx (`internal`, and
 * `store_busy` when another process holds a SQLite store's write lock too long).
 */
export function withErrors<R extends Record<number, TSchema>>(
  responses: R,
): R & { '4xx': typeof ErrorResponse; '5xx': typeof ErrorResponse } {
  return { ...responses, '4xx': ErrorResponse, '5xx': ErrorResponse }
}

/** `limit` and `offset` of list endpoints. */
export const PageQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  },
  { additionalProperties: false },
)

/** `{ id }` path parameter. */
export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) })

/** A list answer: one page and the total number of matches. */
export function listOf<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), total: Type.Integer() })
}
