// Validation findings and the errors the CLI prints. One line per problem, naming the field.

export interface FieldError {
  /** Field path as the user wrote it, e.g. `spec.ingress[0].destination.ports[1]`. */
  field: string
  /** The offending value, shown when short. */
  value?: unknown
  reason: string
}

export function fieldError(field: string, reason: string, value?: unknown): FieldError {
  return value === undefined ? {field, reason} : {field, reason, value}
}

function showValue(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v)
  return s === undefined ? '' : s.length > 60 ? `${s.slice(0, 57)}...` : s
}

export function formatFieldError(e: FieldError): string {
  return e.value === undefined ? `${e.field}: ${e.reason}` : `${e.field} = '${showValue(e.value)}': ${e.reason}`
}

/** A resource that failed validation; `message` holds one line per field error. */
export class ValidationError extends Error {
  constructor(
    readonly resource: string,
    readonly errors: FieldError[],
  ) {
    super(errors.map((e) => `${resource}: ${formatFieldError(e)}`).join('\n'))
    this.name = 'ValidationError'
  }
}

/** An error that the CLI prints as-is (one line) and that maps to exit status 1. */
export class CalicoError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CalicoError'
  }
}

export class NotFoundError extends CalicoError {}
export class AlreadyExistsError extends CalicoError {}
export class ConflictError extends CalicoError {}
export class DatastoreError extends CalicoError {}
