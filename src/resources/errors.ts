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

/** JSON text of v, but stops once it has `limit` characters: a YAML alias bomb is a small tree
 *  of shared nodes that JSON.stringify would expand to gigabytes. */
function boundedJson(v: unknown, limit: number): string | undefined {
  let out = ''
  const walk = (x: unknown): void => {
    if (out.length > limit) return
    if (Array.isArray(x)) {
      out += '['
      x.forEach((e, i) => {
        if (out.length > limit) return
        if (i > 0) out += ','
        walk(e)
      })
      out += ']'
    } else if (x && typeof x === 'object') {
      out += '{'
      let first = true
      for (const [k, e] of Object.entries(x)) {
        if (out.length > limit) return
        out += `${first ? '' : ','}${JSON.stringify(k)}:`
        first = false
        walk(e)
      }
      out += '}'
    } else out += JSON.stringify(x) ?? 'null'
  }
  if (v === undefined) return undefined
  walk(v)
  return out
}

function showValue(v: unknown): string {
  const s = typeof v === 'string' ? v : boundedJson(v, 80)
  return s === undefined ? '' : s.length > 60 ? `${s.slice(0, 57)}...` : s
}

/** A resource's label in a message, clipped: a name may be megabytes of hostile input. */
function clip(s: string): string {
  return s.length > 120 ? `${s.slice(0, 117)}...` : s
}

export function formatFieldError(e: FieldError): string {
  // A reason may quote the input (a selector's label): clipped like the value, one short line.
  const reason = e.reason.length > 200 ? `${e.reason.slice(0, 197)}...` : e.reason
  return e.value === undefined ? `${e.field}: ${reason}` : `${e.field} = '${showValue(e.value)}': ${reason}`
}

/** A resource that failed validation; `message` holds one line per field error. */
export class ValidationError extends Error {
  constructor(
    readonly resource: string,
    readonly errors: FieldError[],
  ) {
    super(errors.map((e) => `${clip(resource)}: ${formatFieldError(e)}`).join('\n'))
    this.name = 'ValidationError'
  }
}

/** Problems shown before the rest are summed up in one line (a file with many faults stays readable). */
export const MAX_PROBLEM_LINES = 10

/** Joins one-line problems, keeping the first ten and summing up the rest in one more line. */
export function joinProblems(messages: string[]): string {
  const lines = messages.flatMap((m) => m.split('\n'))
  if (lines.length <= MAX_PROBLEM_LINES + 1) return lines.join('\n')
  const rest = lines.length - MAX_PROBLEM_LINES
  return [...lines.slice(0, MAX_PROBLEM_LINES), `... and ${rest} more problem${rest === 1 ? '' : 's'} (${lines.length} in all; fix these and run again to see the rest)`].join('\n')
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

/** Calico's "operation X is not supported on Y[: reason]". */
export class NotSupportedError extends CalicoError {
  constructor(operation: string, identifier: string, reason?: string) {
    super(`operation ${operation} is not supported on ${identifier}${reason ? `: ${reason}` : ''}`)
  }
}
