// A block-style YAML writer for the plain JSON shapes `get -o yaml` prints (objects, arrays,
// strings, numbers, booleans, null), producing exactly what js-yaml's dump does with
// {lineWidth: -1, noRefs: true, quotingType: "'", sortKeys: true}. js-yaml spends most of its time
// probing every node against every type; here only strings are looked at, and each distinct
// scalar is rendered once (by js-yaml itself unless it is obviously plain). Anything this writer
// does not cover (multi-line strings, Dates, very long keys) makes it give up, and the caller
// falls back to js-yaml for the whole document.
import yaml from 'js-yaml'

export const DUMP_OPTIONS = {lineWidth: -1, noRefs: true, quotingType: "'", sortKeys: true} as const

/** Thrown inside the writer when a value needs js-yaml's full treatment. */
class Unsupported extends Error {}

// Characters that are plain-safe anywhere in a block scalar (and first, given a leading alnum).
const SIMPLE = /^[A-Za-z0-9][A-Za-z0-9_./-]*$/
const implicit = (yaml.DEFAULT_SCHEMA as unknown as {compiledImplicit: Array<{resolve: (s: string) => boolean}>}).compiledImplicit
const scalars = new Map<string, string>()

function stringScalar(s: string): string {
  let out = scalars.get(s)
  if (out !== undefined) return out
  if (s.includes('\n') || s.includes('\r')) throw new Unsupported()
  // Plain when js-yaml would write it plain: safe characters, longer than the YAML 1.1 boolean
  // words js-yaml quotes for compatibility (y, yes, on, off, ...), and not read back as another type.
  if (s.length > 3 && SIMPLE.test(s) && !implicit.some((t) => t.resolve(s))) out = s
  else {
    out = yaml.dump(s, DUMP_OPTIONS)
    // A single-line scalar is independent of where it sits; anything else is not for us.
    if (!out.endsWith('\n') || out.indexOf('\n') !== out.length - 1) throw new Unsupported()
    out = out.slice(0, -1)
  }
  if (scalars.size < 100_000) scalars.set(s, out)
  return out
}

function numberScalar(n: number): string {
  // js-yaml writes an integer (not -0) with toString(10); floats have their own rules.
  return Number.isInteger(n) && !Object.is(n, -0) ? n.toString(10) : yaml.dump(n, DUMP_OPTIONS).slice(0, -1)
}

const indents: string[] = []
function nextLine(level: number): string {
  indents[level] ??= `\n${' '.repeat(2 * level)}`
  return indents[level]
}

function isPlainObject(v: object): v is Record<string, unknown> {
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/** One node; undefined when js-yaml would skip it (an undefined mapping value). */
function node(v: unknown, level: number, compact: boolean): string | undefined {
  switch (typeof v) {
    case 'string':
      return stringScalar(v)
    case 'number':
      return numberScalar(v)
    case 'boolean':
      return v ? 'true' : 'false'
    case 'undefined':
      return undefined
    case 'object':
      if (v === null) return 'null'
      if (Array.isArray(v)) return v.length === 0 ? '[]' : sequence(v, level, compact)
      if (!isPlainObject(v)) throw new Unsupported()
      return mapping(v, level, compact)
    default:
      throw new Unsupported()
  }
}

function mapping(o: Record<string, unknown>, level: number, compact: boolean): string {
  const keys = Object.keys(o)
  if (keys.length === 0) return '{}'
  keys.sort()
  let out = ''
  for (const k of keys) {
    const value = node(o[k], level + 1, false)
    if (value === undefined) continue
    const key = stringScalar(k)
    if (key.length > 1024) throw new Unsupported()
    if (!compact || out !== '') out += nextLine(level)
    out += key
    out += value.charCodeAt(0) === 10 ? ':' : ': '
    out += value
  }
  return out === '' ? '{}' : out
}

function sequence(a: unknown[], level: number, compact: boolean): string {
  let out = ''
  for (const item of a) {
    const value = node(item, level + 1, true) ?? 'null'
    if (!compact || out !== '') out += nextLine(level)
    out += value.charCodeAt(0) === 10 ? '-' : '- '
    out += value
  }
  return out
}

/** `yaml.dump(value, DUMP_OPTIONS)`, faster for plain JSON-like data. */
export function dumpYaml(value: unknown): string {
  try {
    const out = node(value, 0, true)
    if (out !== undefined && typeof value === 'object' && value !== null) return `${out}\n`
  } catch (error) {
    if (!(error instanceof Unsupported)) throw error
  }
  return yaml.dump(value, DUMP_OPTIONS)
}
