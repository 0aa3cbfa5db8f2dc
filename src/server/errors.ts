/**
 * Every error code the API can answer with. Documented in docs/errors.md; keep the two in step.
 */
export type ErrorCode =
  | 'bad_request'
  | 'validation_failed'
  | 'unauthenticated'
  | 'invalid_credentials'
  | 'csrf_failed'
  | 'password_change_required'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'too_many_attempts'
  | 'rate_limited'
  | 'not_acceptable'
  | 'unsupported_media_type'
  | 'unprocessable_content'
  | 'payload_too_large'
  | 'store_busy'
  | 'internal'

/** Details attached to an error: which field, and why. */
export type ErrorDetails = Record<string, unknown> | null

/**
 * The one error type of Liaison: an HTTP status, a stable code, a readable message and details.
 *
 * @example
 * throw new LiaisonError(409, 'conflict', 'email: already in use', { field: 'email' })
 */
export class LiaisonError extends Error {
  /** HTTP status the API answers with. */
  readonly status: number
  /** Stable, documented code. */
  readonly code: ErrorCode
  /** Structured details (field names, limits). */
  readonly details: ErrorDetails

  constructor(status: number, code: ErrorCode, message: string, details: ErrorDetails = null) {
    super(message)
    this.name = 'LiaisonError'
    this.status = status
    this.code = code
    this.details = details
  }
}

/** 400: bad input; the message names the field. */
export function badInput(field: string, message: string): LiaisonError {
  return new LiaisonError(400, 'validation_failed', `${field}: ${message}`, { field })
}

/** 401: no valid credentials. */
export function unauthenticated(message = 'authentication required'): LiaisonError {
  return new LiaisonError(401, 'unauthenticated', message)
}

/** 403: authenticated but not allowed (used only for the caller's own capabilities, never for records). */
export function forbidden(message: string): LiaisonError {
  return new LiaisonError(403, 'forbidden', message)
}

/** 404: missing, or not visible to the caller (the two are indistinguishable on purpose). */
export function notFound(what: string, id: string): LiaisonError {
  return new LiaisonError(404, 'not_found', `${what} ${id} not found`, { type: what, id })
}

/** 409: conflicts with existing state. */
export function conflict(field: string, message: string): LiaisonError {
  return new LiaisonError(409, 'conflict', `${field}: ${message}`, { field })
}
