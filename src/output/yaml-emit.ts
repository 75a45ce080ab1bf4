// A block-style YAML writer for the plain JSON shapes `get -o yaml` prints (objects, arrays,
// strings, numbers, booleans, null), in the layout of calicoctl's printer (sigs.k8s.io/yaml over
// go-yaml v2): sequence entries at their key's column, keys in go-yaml's order, and strings
// quoted as go-yaml quotes them: double quotes when unquoted they would read back as another
// type ("1", "true", "yes", "") or hold an unprintable character, single quotes when only YAML's
// syntax needs them. Each distinct string is rendered once. Anything this writer does not cover
// (multi-line strings, Dates, very long keys) makes it give up, and the caller falls back to
// js-yaml for the whole document, with the same layout and key order but js-yaml's quoting.
// Not matched: go-yaml v2 folds strings longer than 80 columns at spaces; this writer never folds.
import yaml from 'js-yaml'
import {goResolvesToNonString} from '../resources/go-yaml.js'

/**
 * go-yaml v2's order of mapping keys (its sorter.go): character by character, a letter after
 * anything else, and runs of digits compared as numbers.
 */
export function goKeyOrder(a: string, b: string): number {
  const ar = [...a]
  const br = [...b]
  const letter = (c: string) => /\p{L}/u.test(c)
  const digit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9'
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const x = ar[i]!
    const y = br[i]!
    if (x === y) continue
    const xl = letter(x)
    const yl = letter(y)
    if (xl && yl) return x.codePointAt(0)! - y.codePointAt(0)!
    if (xl || yl) return xl ? 1 : -1
    let an = 0
    let bn = 0
    if (x === '0' || y === '0') {
      for (let j = i - 1; j >= 0 && digit(ar[j]); j--) {
        if (ar[j] !== '0') {
          an = 1
          bn = 1
          break
        }
      }
    }
    let ai = i
    let bi = i
    for (; digit(ar[ai]); ai++) an = an * 10 + Number(ar[ai])
    for (; digit(br[bi]); bi++) bn = bn * 10 + Number(br[bi])
    if (an !== bn) return an - bn
    if (ai !== bi) return ai - bi
    return x.codePointAt(0)! - y.codePointAt(0)!
  }
  return ar.length - br.length
}

export const DUMP_OPTIONS = {lineWidth: -1, noRefs: true, noArrayIndent: true, quotingType: "'", sortKeys: goKeyOrder} as const

// go-yaml v2's encoder also quotes base-60 floats ("190:20:30.15"), which its decoder no longer reads.
const GO_BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/

/** True when go-yaml would read `s`, unquoted, as something other than a string (so it double-quotes it). */
export function goReadsAsNonString(s: string): boolean {
  return goResolvesToNonString(s) || GO_BASE60_FLOAT.test(s)
}

/** Thrown inside the writer when a value needs js-yaml's full treatment. */
class Unsupported extends Error {}

const scalars = new Map<string, string>()

// go-yaml's printable characters (yamlprivateh.go is_printable); anything else forces double quotes.
const GO_UNPRINTABLE = /[^\n\x20-\x7E\xA0-\uD7FF\uE000-\uFEFE\uFF00-\uFFFD]/u
const GO_ESCAPES: Record<string, string> = {
  '\0': '\\0', '\x07': '\\a', '\b': '\\b', '\t': '\\t', '\n': '\\n', '\v': '\\v', '\f': '\\f', '\r': '\\r',
  '\x1B': '\\e', '"': '\\"', '\\': '\\\\', '\x85': '\\N', '\xA0': '\\_', '\u2028': '\\L', '\u2029': '\\P',
}

/** go-yaml's double-quoted scalar: printable characters as they are, the rest escaped. */
function goDoubleQuoted(s: string): string {
  let out = '"'
  for (const c of s) {
    const cp = c.codePointAt(0)!
    if (GO_ESCAPES[c] !== undefined) out += GO_ESCAPES[c]
    else if (!GO_UNPRINTABLE.test(c)) out += c
    else if (cp <= 0xff) out += `\\x${cp.toString(16).toUpperCase().padStart(2, '0')}`
    else if (cp <= 0xffff) out += `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`
    else out += `\\U${cp.toString(16).toUpperCase().padStart(8, '0')}`
  }
  return `${out}"`
}

/** Whether go-yaml's emitter may write a one-line string plain in block context (emitterc.go yaml_emitter_analyze_scalar). */
function goPlainAllowed(s: string): boolean {
  if (s.startsWith('---') || s.startsWith('...')) return false
  if (s[0] === ' ' || s.endsWith(' ')) return false
  if ('#,[]{}&*!|>\'"%@`'.includes(s[0]!)) return false
  if ('?:-'.includes(s[0]!) && (s.length === 1 || s[1] === ' ')) return false
  if (s.endsWith(':') || s.includes(': ') || s.includes(' #')) return false
  return true
}

function stringScalar(s: string): string {
  let out = scalars.get(s)
  if (out !== undefined) return out
  if (s.includes('\n') || s.includes('\r')) throw new Unsupported()
  // Plain when go-yaml reads it back as a string and its syntax allows; double quotes for another
  // type or an unprintable character; otherwise single quotes (a quote inside doubled).
  if (goReadsAsNonString(s) || GO_UNPRINTABLE.test(s)) out = goDoubleQuoted(s)
  else if (goPlainAllowed(s)) out = s
  else out = `'${s.replaceAll("'", "''")}'`
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
  keys.sort(goKeyOrder)
  let out = ''
  for (const k of keys) {
    // A sequence's entries sit at their key's column (go-yaml's layout).
    const v = o[k]
    const value = node(v, Array.isArray(v) ? level : level + 1, false)
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

/** The document in calicoctl's YAML layout (js-yaml with DUMP_OPTIONS for what this writer does not cover). */
export function dumpYaml(value: unknown): string {
  try {
    const out = node(value, 0, true)
    if (out !== undefined && typeof value === 'object' && value !== null) return `${out}\n`
  } catch (error) {
    if (!(error instanceof Unsupported)) throw error
  }
  return yaml.dump(value, DUMP_OPTIONS)
}
