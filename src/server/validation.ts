import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import type { TSchema, Static } from 'typebox'
import { LiaisonError } from './errors.js'

let ajv: Ajv2020 | null = null
const compiled = new WeakMap<object, ValidateFunction>()

function getAjv(): Ajv2020 {
  if (ajv === null) {
    ajv = new Ajv2020({ allErrors: true, strict: false, coerceTypes: false })
    addFormats.default(ajv)
  }
  return ajv
}

/**
 * Checks `value` against a TypeBox schema and returns it typed, or throws a 400 naming every bad field.
 * Used where input does not come through a Fastify route (the CLI), so both paths apply the same rules.
 */
export function validateInput<S extends TSchema>(schema: S, value: unknown): Static<S> {
  let check = compiled.get(schema)
  if (check === undefined) {
    check = getAjv().compile(schema)
    compiled.set(schema, check)
  }
  if (check(value)) {
    return value as Static<S>
  }
  throw validationError(check.errors ?? [], 'body')
}

/** Turns Ajv errors into one 400 whose message names the first field and whose details list all. */
export function validationError(errors: readonly ErrorObject[], where: string): LiaisonError {
  const problems = errors.map((e) => ({ field: fieldOf(e, where), message: messageOf(e) }))
  const first = problems[0] ?? { field: where, message: 'invalid' }
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''
  return new LiaisonError(400, 'validation_failed', `${first.field}: ${first.message}${more}`, {
    field: first.field,
    problems,
  })
}

function fieldOf(error: ErrorObject, where: string): string {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
  const params: Record<string, unknown> = error.params
  if (error.keyword === 'required' && typeof params.missingProperty === 'string') {
    path.push(params.missingProperty)
  }
  if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    path.push(params.additionalProperty)
  }
  return path.length === 0 ? where : path.join('.')
}

function messageOf(error: ErrorObject): string {
  const params: Record<string, unknown> = error.params
  switch (error.keyword) {
    case 'required':
      return 'is required'
    case 'additionalProperties':
      return 'is not an allowed property'
    case 'enum':
      return `must be one of ${Array.isArray(params.allowedValues) ? params.allowedValues.join(', ') : 'the allowed values'}`
    case 'format':
      return `must be a valid ${String(params.format)}`
    default:
      return error.message ?? 'is invalid'
  }
}
