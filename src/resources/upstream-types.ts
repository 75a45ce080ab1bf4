// The shape of the generated upstream schema (upstream-schema.ts), apart so that the generated
// file and its reader (upstream.ts) both use it without importing each other.

/** A CRD schema node, compacted (see the generator). */
export interface UpstreamSchema {
  t: 'string' | 'integer' | 'boolean' | 'number' | 'object' | 'array' | 'intOrString' | 'any'
  enum?: unknown[]
  pattern?: string
  min?: number
  max?: number
  maxLength?: number
  minLength?: number
  maxItems?: number
  minItems?: number
  format?: string
  required?: string[]
  open?: boolean
  duration?: boolean
  ptr?: boolean
  /** Tagged without omitempty: Go writes the zero value too. */
  keep?: boolean
  /** The Go integer type when narrower than int (uint8, uint16, int32, …). */
  goInt?: string
  /** A numorstring.Port: a number, "min:max" or a port name. */
  port?: boolean
  /** A numorstring.ASNumber: read from a number, "64512" or "1.10"; written as a number. */
  asn?: boolean
  items?: UpstreamSchema
  values?: UpstreamSchema
  props?: Array<[string, UpstreamSchema]>
}

export interface UpstreamFile {
  source: string
  kinds: Record<string, {spec?: UpstreamSchema; status?: UpstreamSchema}>
}
