// A Go text/template engine for `get -o go-template=...` and `-o go-template-file=...`, over the
// resources as JSON documents. The language is Go's: text and {{actions}} with `{{-`/`-}}` trim
// markers and {{/* comments */}}; pipelines (`a | f b`, parenthesised), variables (`$x := ...`,
// `$x = ...`, `$`), field chains (`.Spec.CIDR`, `$x.Name`, `(index .Items 0).Name`); if / else if
// / else, range (over lists, maps in key order and integers; `$i, $e :=`; else; break and
// continue), with / else, end; literals (strings, raw strings, characters, numbers, true, false,
// nil); the built-in functions (and, or, not, len, index, slice, eq, ne, lt, le, gt, ge, print,
// printf, println, html, js, urlquery) plus calicoctl's join, joinAndTruncate and config.
//
// Field names: calicoctl hands its templates Go structs, so templates name fields the Go way
// (`.Spec.CIDR`, `.Spec.IPIPMode`, `.ObjectMeta.Name` or, promoted from the embedded ObjectMeta,
// `.Name`; a list's `.Items`). Our values are the JSON documents, whose keys are the same names
// in another case (`cidr`, `ipipMode`), so a field is looked up exactly, then ignoring case; on a
// resource, `ObjectMeta`/`ListMeta` mean its metadata, `TypeMeta` its kind and apiVersion, and a
// name found nowhere else is looked up in the metadata. kubectl-style lower-case names work too.
// A field the document leaves out (an empty optional field) reads as no value, printed `<no value>`.
import {CalicoError} from '../resources/errors.js'
import {goFloat} from '../lib/go-float.js'
import {isObject} from '../lib/objects.js'
import {joinAndTruncate} from '../resources/kinds/policy-common.js'

export type TemplateFunc = (...args: unknown[]) => unknown

// ---------------------------------------------------------------------------------------------
// Syntax tree

type Arg =
  | {t: 'dot'}
  | {t: 'field'; names: string[]} // .A.B on dot
  | {t: 'var'; name: string; names: string[]} // $x.A.B
  | {t: 'ident'; name: string} // a function name
  | {t: 'lit'; value: unknown}
  | {t: 'pipe'; pipe: Pipe; names: string[]} // ( ... ).A.B

interface Cmd {
  args: Arg[]
}

interface Pipe {
  decl: string[]
  assign: boolean // `=` (assign to existing) rather than `:=`
  cmds: Cmd[]
  line: number
}

interface Control {
  t: 'if' | 'with' | 'range'
  pipe: Pipe
  list: Node[]
  else?: Node[]
}

type Node =
  | {t: 'text'; text: string}
  | {t: 'action'; pipe: Pipe}
  | Control
  | {t: 'break' | 'continue'; line: number}

// ---------------------------------------------------------------------------------------------
// Lexing and parsing

type Tok =
  | {k: 'word'; v: string} // identifier or keyword
  | {k: 'field'; v: string; glued: boolean} // .Name (v without the dot; glued: no space before); '.' alone is k 'dot'
  | {k: 'dot'}
  | {k: 'var'; v: string} // $ or $name
  | {k: 'lit'; v: unknown}
  | {k: 'op'; v: '(' | ')' | '|' | ':=' | '=' | ','}

class Parser {
  private pos = 0
  private line = 1

  constructor(
    private readonly src: string,
    private readonly name: string,
    private readonly funcs: Record<string, TemplateFunc>,
  ) {}

  error(message: string, line = this.line): never {
    throw new CalicoError(`template: ${this.name}:${line}: ${message}`)
  }

  parse(): Node[] {
    const {nodes, end} = this.list()
    if (end) this.error(`unexpected {{${end.word}}}`, end.line)
    return nodes
  }

  /** Nodes up to an {{else...}} or {{end}} (returned as `end`), or the end of the input. */
  private list(): {nodes: Node[]; end?: {word: 'else' | 'end'; toks: Tok[]; line: number}} {
    const nodes: Node[] = []
    while (this.pos < this.src.length) {
      const open = this.src.indexOf('{{', this.pos)
      let text = this.src.slice(this.pos, open < 0 ? undefined : open)
      const trimLeft = open >= 0 && /^\{\{-[ \t\r\n]/.test(this.src.slice(open, open + 4))
      if (this.trimNext) text = text.replace(/^[ \t\r\n]+/, '')
      if (trimLeft) text = text.replace(/[ \t\r\n]+$/, '')
      this.trimNext = false
      if (text) nodes.push({t: 'text', text})
      this.line += countLines(this.src.slice(this.pos, open < 0 ? undefined : open))
      if (open < 0) {
        this.pos = this.src.length
        break
      }
      const line = this.line
      let start = open + 2 + (trimLeft ? 2 : 0)
      const {toks, close, trimRight} = this.action(start)
      this.line += countLines(this.src.slice(start, close))
      start = close + 2
      this.pos = start
      this.trimNext = trimRight
      if (toks.length === 0) continue // a comment
      const head = toks[0]!
      const word = head.k === 'word' ? head.v : ''
      if (word === 'end' || word === 'else') {
        if (word === 'end' && toks.length > 1) this.error('unexpected token after end', line)
        return {nodes, end: {word, toks: toks.slice(1), line}}
      }
      if (word === 'if' || word === 'with' || word === 'range') {
        nodes.push(this.control(word, toks.slice(1), line))
        continue
      }
      if (word === 'break' || word === 'continue') {
        if (toks.length > 1) this.error(`unexpected token after ${word}`, line)
        nodes.push({t: word, line})
        continue
      }
      if (word === 'define' || word === 'template' || word === 'block') this.error(`{{${word}}} is not supported`, line)
      nodes.push({t: 'action', pipe: this.pipeline(toks, line, true)})
    }
    return {nodes}
  }

  /** The last action ended with ` -}}`: the text after it loses its leading white space. */
  private trimNext = false

  private control(word: 'if' | 'with' | 'range', toks: Tok[], line: number): Node {
    const pipe = this.pipeline(toks, line, true)
    if (pipe.cmds.length === 0) this.error(`missing value for ${word}`, line)
    if (word !== 'range' && pipe.decl.length > 1) this.error(`too many declarations in ${word}`, line)
    const body = this.list()
    if (!body.end) this.error(`unexpected EOF: {{${word}}} without {{end}}`, line)
    const node: Control = {t: word, pipe, list: body.nodes}
    if (body.end.word === 'else') {
      const rest = body.end.toks
      const chained = rest[0]?.k === 'word' && (rest[0].v === 'if' || rest[0].v === 'with') ? rest[0].v : undefined
      if (chained) {
        // {{else if ...}}: the rest is a nested if (or with) that shares this one's {{end}}.
        if (chained !== word && word !== 'if') this.error(`{{else ${chained}}} after {{${word}}}`, body.end.line)
        node.else = [this.control(chained as 'if' | 'with', rest.slice(1), body.end.line)]
        return node
      }
      if (rest.length > 0) this.error('unexpected token after else', body.end.line)
      const alt = this.list()
      if (alt.end?.word !== 'end') this.error(`expected {{end}} for {{${word}}}`, line)
      node.else = alt.nodes
    }
    return node
  }

  /** Tokens of the action starting at `i` (after `{{` and any trim marker), up to its `}}`. */
  private action(i: number): {toks: Tok[]; close: number; trimRight: boolean} {
    const s = this.src
    const toks: Tok[] = []
    let line = this.line
    const fail = (m: string): never => this.error(m, line)
    while (i < s.length) {
      const c = s[i]!
      if (c === '\n') line++
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
        i++
        continue
      }
      if (s.startsWith('-}}', i) && /[ \t\r\n]/.test(s[i - 1] ?? '')) return {toks, close: i + 1, trimRight: true}
      if (s.startsWith('}}', i)) return {toks, close: i, trimRight: false}
      if (s.startsWith('/*', i)) {
        const end = s.indexOf('*/', i + 2)
        if (end < 0) fail('unclosed comment')
        if (toks.length > 0) fail('comment must be the whole action')
        line += countLines(s.slice(i, end))
        i = end + 2
        continue
      }
      if (c === '(' || c === ')' || c === '|' || c === ',') {
        toks.push({k: 'op', v: c})
        i++
        continue
      }
      if (s.startsWith(':=', i)) {
        toks.push({k: 'op', v: ':='})
        i += 2
        continue
      }
      if (c === '=') {
        toks.push({k: 'op', v: '='})
        i++
        continue
      }
      if (c === '"' || c === '`' || c === "'") {
        const {value, end} = readQuoted(s, i, fail)
        toks.push({k: 'lit', v: value})
        i = end
        continue
      }
      if (c === '.' && !/[0-9]/.test(s[i + 1] ?? '')) {
        const m = /^\.([A-Za-z_][A-Za-z0-9_]*)?/.exec(s.slice(i))!
        toks.push(m[1] ? {k: 'field', v: m[1], glued: !/[ \t\r\n]/.test(s[i - 1] ?? ' ')} : {k: 'dot'})
        i += m[0].length
        continue
      }
      if (c === '$') {
        const m = /^\$[A-Za-z0-9_]*/.exec(s.slice(i))!
        toks.push({k: 'var', v: m[0]})
        i += m[0].length
        continue
      }
      const num = /^[-+]?(?:0[xX][0-9a-fA-F_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][-+]?\d+)?)/.exec(s.slice(i))
      if (num && (c !== '-' && c !== '+' ? true : /[0-9.]/.test(s[i + 1] ?? ''))) {
        toks.push({k: 'lit', v: Number(num[0].replaceAll('_', ''))})
        i += num[0].length
        continue
      }
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i))
      if (word) {
        const v = word[0]
        toks.push(v === 'true' || v === 'false' ? {k: 'lit', v: v === 'true'} : v === 'nil' ? {k: 'lit', v: null} : {k: 'word', v})
        i += v.length
        continue
      }
      fail(`unexpected ${JSON.stringify(c)} in command`)
    }
    return fail('unclosed action')
  }

  private pipeline(toks: Tok[], line: number, allowDecl: boolean): Pipe {
    let decl: string[] = []
    let assign = false
    let at = 0
    // $x := / $x = / $i, $e :=
    if (allowDecl && toks[0]?.k === 'var') {
      const vars: string[] = []
      let j = 0
      while (toks[j]?.k === 'var') {
        vars.push((toks[j] as {v: string}).v)
        const next = toks[j + 1]
        if (next?.k === 'op' && next.v === ',') j += 2
        else {
          j++
          break
        }
      }
      const op = toks[j]
      if (op?.k === 'op' && (op.v === ':=' || op.v === '=')) {
        decl = vars
        assign = op.v === '='
        at = j + 1
      }
    }
    const cmds: Cmd[] = []
    let args: Arg[] = []
    while (at < toks.length) {
      const tok = toks[at]!
      if (tok.k === 'op' && tok.v === '|') {
        if (args.length === 0) this.error('missing command before |', line)
        cmds.push({args})
        args = []
        at++
        continue
      }
      const {arg, next} = this.operand(toks, at, line)
      args.push(arg)
      at = next
    }
    if (args.length > 0) cmds.push({args})
    else if (cmds.length > 0) this.error('missing command after |', line)
    if (decl.length > 0 && cmds.length === 0) this.error('missing value for declaration', line)
    return {decl, assign, cmds, line}
  }

  private operand(toks: Tok[], at: number, line: number): {arg: Arg; next: number} {
    const tok = toks[at]!
    let arg: Arg
    let next = at + 1
    switch (tok.k) {
      case 'dot':
        arg = {t: 'dot'}
        break
      case 'field':
        arg = {t: 'field', names: [tok.v]}
        break
      case 'var':
        arg = {t: 'var', name: tok.v, names: []}
        break
      case 'lit':
        arg = {t: 'lit', value: tok.v}
        break
      case 'word':
        if (!(tok.v in this.funcs) && !(tok.v in BUILTINS)) this.error(`function "${tok.v}" not defined`, line)
        arg = {t: 'ident', name: tok.v}
        break
      case 'op': {
        if (tok.v !== '(') this.error(`unexpected "${tok.v}" in operand`, line)
        let depth = 1
        let j = at + 1
        for (; j < toks.length; j++) {
          const x = toks[j]!
          if (x.k === 'op' && x.v === '(') depth++
          if (x.k === 'op' && x.v === ')' && --depth === 0) break
        }
        if (j >= toks.length) this.error('unclosed left paren', line)
        arg = {t: 'pipe', pipe: this.pipeline(toks.slice(at + 1, j), line, false), names: []}
        next = j + 1
        break
      }
    }
    // A field written right after a field, a variable or a parenthesised pipeline (no space
    // between) continues its chain: `.Spec.CIDR`, `$p.Spec`, `(index .Items 0).Spec`.
    for (let t = toks[next]; t?.k === 'field' && t.glued && (arg.t === 'field' || arg.t === 'var' || arg.t === 'pipe'); t = toks[next]) {
      arg.names.push(t.v)
      next++
    }
    return {arg, next}
  }
}

function countLines(s: string): number {
  let n = 0
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++
  return n
}

function readQuoted(s: string, i: number, fail: (m: string) => never): {value: unknown; end: number} {
  const q = s[i]!
  if (q === '`') {
    const end = s.indexOf('`', i + 1)
    if (end < 0) fail('unterminated raw quoted string')
    return {value: s.slice(i + 1, end), end: end + 1}
  }
  let j = i + 1
  let out = ''
  while (j < s.length && s[j] !== q) {
    if (s[j] === '\n') fail('unterminated quoted string')
    if (s[j] === '\\') {
      const e = s[j + 1]
      const simple: Record<string, string> = {n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0'}
      if (e === 'x' || e === 'u' || e === 'U') {
        const len = e === 'x' ? 2 : e === 'u' ? 4 : 8
        const hex = s.slice(j + 2, j + 2 + len)
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) fail('invalid escape in quoted string')
        out += String.fromCodePoint(Number.parseInt(hex, 16))
        j += 2 + len
        continue
      }
      if (e === undefined || !(e in simple)) fail('invalid escape in quoted string')
      out += simple[e!]
      j += 2
      continue
    }
    out += s[j]
    j++
  }
  if (j >= s.length) fail('unterminated quoted string')
  if (q === "'") {
    if ([...out].length !== 1) fail('malformed character constant')
    return {value: out.codePointAt(0), end: j + 1}
  }
  return {value: out, end: j + 1}
}

// ---------------------------------------------------------------------------------------------
// Values: JSON documents, read the way Go reads the structs calicoctl gives its templates

/** A value a template reads but the data does not have. */
const NO_VALUE = Symbol('no value')

function isResource(v: Record<string, unknown>): boolean {
  return typeof v.kind === 'string' && isObject(v.metadata)
}

function lookupKey(obj: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(obj, name)) return obj[name]
  const lower = name.toLowerCase()
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k]
  return NO_VALUE
}

/** `.name` on a value, Go's way for the structs calicoctl uses (see the header). */
function field(v: unknown, name: string, err: (m: string) => never): unknown {
  if (v === NO_VALUE || v === null || v === undefined) return NO_VALUE
  if (!isObject(v)) err(`can't evaluate field ${name} in type ${goType(v)}`)
  if (isResource(v)) {
    if (name === 'ObjectMeta' || name === 'ListMeta') return v.metadata
    if (name === 'TypeMeta') return {kind: v.kind, apiVersion: v.apiVersion}
  }
  const found = lookupKey(v, name)
  if (found !== NO_VALUE || !isResource(v)) return found
  return lookupKey(v.metadata as Record<string, unknown>, name)
}

function goType(v: unknown): string {
  if (typeof v === 'string') return 'string'
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64'
  if (typeof v === 'boolean') return 'bool'
  if (Array.isArray(v)) return '[]interface {}'
  return 'interface {}'
}

/** Go's notion of a true value: not false, 0, nil or empty. */
export function truth(v: unknown): boolean {
  if (v === NO_VALUE || v === null || v === undefined || v === false || v === 0 || v === '') return false
  if (Array.isArray(v)) return v.length > 0
  if (isObject(v)) return Object.keys(v).length > 0
  return true
}

/** fmt's %v: lists as [a b], maps as map[k:v] in key order, nothing as <no value>. */
export function formatValue(v: unknown): string {
  if (v === NO_VALUE || v === undefined) return '<no value>'
  if (v === null) return '<nil>'
  if (typeof v === 'string') return v
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : goFloat(v)
  if (Array.isArray(v)) return `[${v.map(formatValue).join(' ')}]`
  if (isObject(v))
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${formatValue(v[k])}`)
      .join(' ')}]`
  return String(v)
}

// ---------------------------------------------------------------------------------------------
// Built-in functions

function compare(op: string, a: unknown, b: unknown, err: (m: string) => never): number {
  if (typeof a !== typeof b || (typeof a !== 'number' && typeof a !== 'string' && (op !== 'eq' || typeof a !== 'boolean')))
    if (!(a === null && b === null)) err(`${op}: incompatible types for comparison`)
  return a === b ? 0 : (a as number) < (b as number) ? -1 : 1
}

const BUILTINS: Record<string, true> = Object.fromEntries(
  ['and', 'or', 'not', 'len', 'index', 'slice', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'print', 'printf', 'println', 'html', 'js', 'urlquery'].map((n) => [n, true]),
)

function callBuiltin(name: string, args: unknown[], err: (m: string) => never): unknown {
  const need = (n: number) => {
    if (args.length !== n) err(`wrong number of args for ${name}: want ${n} got ${args.length}`)
  }
  switch (name) {
    case 'not':
      need(1)
      return !truth(args[0])
    case 'len': {
      need(1)
      const v = args[0]
      if (typeof v === 'string') return Buffer.byteLength(v)
      if (Array.isArray(v)) return v.length
      if (isObject(v)) return Object.keys(v).length
      if (v === NO_VALUE || v === null) return 0
      return err(`len of type ${goType(v)}`)
    }
    case 'index': {
      if (args.length === 0) err('wrong number of args for index: want at least 1 got 0')
      let v = args[0]
      for (const k of args.slice(1)) {
        if (Array.isArray(v) || typeof v === 'string') {
          if (typeof k !== 'number' || !Number.isInteger(k)) err('cannot index slice/array with non-integer')
          if (k < 0 || k >= v.length) err(`error calling index: index out of range: ${k}`)
          v = v[k]
        } else if (isObject(v)) {
          // A missing key gives the zero value of the map's values: "" for the string maps (labels, annotations).
          const values = Object.values(v)
          v = Object.hasOwn(v, String(k)) ? v[String(k)] : values.every((x) => typeof x === 'string') ? '' : NO_VALUE
        }
        else if (v === NO_VALUE || v === null) v = NO_VALUE
        else err(`can't index item of type ${goType(v)}`)
      }
      return v
    }
    case 'slice': {
      if (args.length === 0) err('wrong number of args for slice: want at least 1 got 0')
      const [v, ...ix] = args
      if (!Array.isArray(v) && typeof v !== 'string') return err(`can't slice item of type ${goType(v)}`)
      const n = ix.map((x) => (typeof x === 'number' ? x : err('cannot slice with non-integer')))
      const lo = n[0] ?? 0
      const hi = n[1] ?? v.length
      if (lo < 0 || hi < lo || hi > v.length) err(`error calling slice: index out of range: ${hi}`)
      return v.slice(lo, hi)
    }
    case 'eq':
      if (args.length < 2) err('missing argument for comparison')
      return args.slice(1).some((b) => compare('eq', args[0], b, err) === 0)
    case 'ne':
      need(2)
      return compare('ne', args[0], args[1], err) !== 0
    case 'lt':
    case 'le':
    case 'gt':
    case 'ge': {
      need(2)
      const c = compare(name, args[0], args[1], err)
      return name === 'lt' ? c < 0 : name === 'le' ? c <= 0 : name === 'gt' ? c > 0 : c >= 0
    }
    case 'print':
      // fmt.Sprint: a space between operands when neither side is a string.
      return args.map((a, i) => (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string' ? ' ' : '') + formatValue(a)).join('')
    case 'println':
      return `${args.map(formatValue).join(' ')}\n`
    case 'printf':
      if (typeof args[0] !== 'string') err('printf: the format must be a string')
      return sprintf(args[0] as string, args.slice(1))
    case 'html':
      return args
        .map(formatValue)
        .join('')
        .replace(/[&<>"'\0]/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;', '\0': '\uFFFD'})[c]!)
    case 'js':
      return args
        .map(formatValue)
        .join('')
        .replace(/[\\'"<>&=\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === "'" ? "\\'" : c === '"' ? '\\"' : `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`))
    case 'urlquery':
      return encodeURIComponent(args.map(formatValue).join('')).replace(/%20/g, '+')
    default:
      return err(`function "${name}" not defined`)
  }
}

/** fmt.Sprintf for the verbs templates use: %v %s %q %d %t %T %x %X %o %b %c %f %e %g %%, with flags, width and precision. */
export function sprintf(format: string, args: unknown[]): string {
  let out = ''
  let argi = 0
  const spec = /%([-+# 0]*)(\d+|\*)?(?:\.(\d+|\*)?)?([a-zA-Z%])/y
  for (let i = 0; i < format.length; ) {
    const pct = format.indexOf('%', i)
    if (pct < 0) {
      out += format.slice(i)
      break
    }
    out += format.slice(i, pct)
    spec.lastIndex = pct
    const m = spec.exec(format)
    if (!m) {
      out += '%!(NOVERB)'
      break
    }
    i = spec.lastIndex
    const [, flags = '', w, p, verb] = m as unknown as [string, string, string | undefined, string | undefined, string]
    if (verb === '%') {
      out += '%'
      continue
    }
    const width = w === '*' ? Number(args[argi++]) : w === undefined ? undefined : Number(w)
    const prec = p === '*' ? Number(args[argi++]) : p === undefined ? (m[0].includes('.') ? 0 : undefined) : Number(p)
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`
      continue
    }
    const a = args[argi++]
    let s: string
    const num = typeof a === 'number' ? a : undefined
    switch (verb) {
      case 'v':
      case 's':
        s = formatValue(a)
        if (prec !== undefined && verb === 's') s = [...s].slice(0, prec).join('')
        break
      case 'q':
        s = num !== undefined && Number.isInteger(num) ? `'${String.fromCodePoint(num)}'` : JSON.stringify(formatValue(a))
        break
      case 'T':
        s = goType(a)
        break
      case 't':
        s = typeof a === 'boolean' ? String(a) : `%!t(${goType(a)}=${formatValue(a)})`
        break
      case 'd':
      case 'x':
      case 'X':
      case 'o':
      case 'b':
      case 'c': {
        if (verb === 'x' || verb === 'X') {
          if (typeof a === 'string') {
            s = Buffer.from(a).toString('hex')
            if (verb === 'X') s = s.toUpperCase()
            break
          }
        }
        if (num === undefined || !Number.isInteger(num)) {
          s = `%!${verb}(${goType(a)}=${formatValue(a)})`
          break
        }
        if (verb === 'c') {
          s = String.fromCodePoint(num)
          break
        }
        const base = verb === 'd' ? 10 : verb === 'o' ? 8 : verb === 'b' ? 2 : 16
        s = Math.abs(num).toString(base)
        if (verb === 'X') s = s.toUpperCase()
        if (prec !== undefined) s = s.padStart(prec, '0')
        if (flags.includes('#') && base === 16) s = `0${verb}${s}`
        if (flags.includes('#') && base === 8) s = `0${s}`
        s = (num < 0 ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '') + s
        break
      }
      case 'f':
      case 'F':
      case 'e':
      case 'E':
      case 'g':
      case 'G': {
        if (num === undefined) {
          s = `%!${verb}(${goType(a)}=${formatValue(a)})`
          break
        }
        const lower = verb.toLowerCase()
        if (lower === 'f') s = num.toFixed(prec ?? 6)
        else if (lower === 'e') s = num.toExponential(prec ?? 6).replace(/e([-+])(\d)$/, 'e$10$2')
        else s = prec === undefined ? goFloat(num) : Number(num.toPrecision(prec || 1)).toString()
        if (verb === 'E' || verb === 'G') s = s.toUpperCase()
        if (num >= 0 && flags.includes('+')) s = `+${s}`
        else if (num >= 0 && flags.includes(' ')) s = ` ${s}`
        break
      }
      default:
        s = `%!${verb}(${goType(a)}=${formatValue(a)})`
    }
    if (width !== undefined && s.length < width) {
      if (flags.includes('-')) s = s.padEnd(width)
      else if (flags.includes('0') && /^[-+ ]?\d/.test(s) && 'dxXobfFeEgG'.includes(verb)) {
        const sign = /^[-+ ]/.test(s) ? s[0]! : ''
        s = sign + s.slice(sign.length).padStart(width - sign.length, '0')
      } else s = s.padStart(width)
    }
    out += s
  }
  if (argi < args.length) out += `%!(EXTRA ${args.slice(argi).map((a) => `${goType(a)}=${formatValue(a)}`).join(', ')})`
  return out
}

// ---------------------------------------------------------------------------------------------
// Execution

class Break {}
class Continue {}

interface Scope {
  vars: Map<string, unknown>[]
}

class Executor {
  out = ''

  constructor(
    private readonly name: string,
    private readonly funcs: Record<string, TemplateFunc>,
  ) {}

  error(line: number, message: string): never {
    throw new CalicoError(`template: ${this.name}:${line}: executing "${this.name}": ${message}`)
  }

  run(nodes: Node[], dot: unknown, scope: Scope): void {
    for (const node of nodes) {
      switch (node.t) {
        case 'text':
          this.out += node.text
          break
        case 'action': {
          const v = this.pipe(node.pipe, dot, scope)
          if (node.pipe.decl.length === 0) this.out += formatValue(v)
          break
        }
        case 'break':
          throw new Break()
        case 'continue':
          throw new Continue()
        case 'if':
        case 'with': {
          scope.vars.push(new Map())
          try {
            const v = this.pipe(node.pipe, dot, scope)
            if (truth(v)) this.run(node.list, node.t === 'with' ? v : dot, scope)
            else if (node.else) this.run(node.else, dot, scope)
          } finally {
            scope.vars.pop()
          }
          break
        }
        case 'range':
          this.range(node, dot, scope)
          break
      }
    }
  }

  private range(node: Control, dot: unknown, scope: Scope): void {
    scope.vars.push(new Map())
    try {
      const decl = node.pipe.decl
      const v = this.pipe({...node.pipe, decl: []}, dot, scope)
      let entries: Array<[unknown, unknown]>
      if (Array.isArray(v)) entries = v.map((e, i) => [i, e])
      else if (isObject(v))
        entries = Object.keys(v)
          .sort()
          .map((k) => [k, v[k]])
      else if (typeof v === 'number' && Number.isInteger(v)) entries = Array.from({length: Math.max(0, v)}, (_, i) => [i, i])
      else if (v === NO_VALUE || v === null) entries = []
      else this.error(node.pipe.line, `range can't iterate over ${formatValue(v)}`)
      if (entries.length === 0) {
        if (node.else) this.run(node.else, dot, scope)
        return
      }
      const vars = scope.vars.at(-1)!
      for (const [k, e] of entries) {
        if (decl.length === 1) vars.set(decl[0]!, e)
        if (decl.length === 2) {
          vars.set(decl[0]!, k)
          vars.set(decl[1]!, e)
        }
        try {
          this.run(node.list, e, scope)
        } catch (x) {
          if (x instanceof Break) break
          if (!(x instanceof Continue)) throw x
        }
      }
    } finally {
      scope.vars.pop()
    }
  }

  private pipe(p: Pipe, dot: unknown, scope: Scope): unknown {
    let v: unknown = NO_VALUE
    let piped = false
    for (const cmd of p.cmds) {
      v = this.command(cmd, dot, scope, piped ? v : NO_VALUE, piped, p.line)
      piped = true
    }
    for (const name of p.decl) {
      if (p.assign) {
        const frame = [...scope.vars].reverse().find((f) => f.has(name))
        if (!frame) this.error(p.line, `undefined variable: ${name}`)
        frame.set(name, v)
      } else scope.vars.at(-1)!.set(name, v)
    }
    return v
  }

  private command(cmd: Cmd, dot: unknown, scope: Scope, final: unknown, hasFinal: boolean, line: number): unknown {
    const [head, ...rest] = cmd.args
    const err = (m: string): never => this.error(line, m)
    if (head!.t === 'ident') {
      const name = head!.name
      // and/or stop at the first false/true argument and return it, as Go's do.
      if (name === 'and' || name === 'or') {
        const all: Arg[] = rest
        if (all.length + (hasFinal ? 1 : 0) === 0) err(`wrong number of args for ${name}: want at least 1 got 0`)
        let last: unknown = NO_VALUE
        for (const a of all) {
          last = this.arg(a, dot, scope, line)
          if (truth(last) === (name === 'or')) return last
        }
        return hasFinal ? final : last
      }
      const args = rest.map((a) => this.arg(a, dot, scope, line))
      if (hasFinal) args.push(final)
      const fn = this.funcs[name]
      try {
        return fn ? fn(...args.map((a) => (a === NO_VALUE ? undefined : a))) : callBuiltin(name, args, err)
      } catch (e) {
        if (e instanceof CalicoError && e.message.startsWith('template: ')) throw e
        return err(`error calling ${name}: ${(e as Error).message}`)
      }
    }
    if (rest.length > 0 || hasFinal) err(`can't give argument to non-function ${describeArg(head!)}`)
    return this.arg(head!, dot, scope, line)
  }

  private arg(a: Arg, dot: unknown, scope: Scope, line: number): unknown {
    const err = (m: string): never => this.error(line, m)
    switch (a.t) {
      case 'dot':
        return dot
      case 'lit':
        return a.value
      case 'ident':
        return this.command({args: [a]}, dot, scope, NO_VALUE, false, line)
      case 'field':
        return a.names.reduce((v, n) => field(v, n, err), dot)
      case 'var': {
        const frame = [...scope.vars].reverse().find((f) => f.has(a.name))
        if (!frame) err(`undefined variable: ${a.name}`)
        return a.names.reduce((v, n) => field(v, n, err), frame!.get(a.name))
      }
      case 'pipe':
        return a.names.reduce((v, n) => field(v, n, err), this.pipe(a.pipe, dot, scope))
    }
  }
}

function describeArg(a: Arg): string {
  if (a.t === 'field') return `.${a.names.join('.')}`
  if (a.t === 'var') return [a.name, ...a.names].join('.')
  if (a.t === 'lit') return formatValue(a.value)
  return a.t === 'dot' ? '.' : 'pipeline'
}

export interface GoTemplate {
  execute(data: unknown): string
}

/** Parses a template (errors name the line, as Go's do); `funcs` adds functions to the built-in ones. */
export function parseGoTemplate(text: string, funcs: Record<string, TemplateFunc> = {}, name = 'get'): GoTemplate {
  const nodes = new Parser(text, name, funcs).parse()
  return {
    execute(data: unknown): string {
      const ex = new Executor(name, funcs)
      const scope: Scope = {vars: [new Map([['$', data]])]}
      try {
        ex.run(nodes, data, scope)
      } catch (e) {
        if (e instanceof Break || e instanceof Continue) throw new CalicoError(`template: ${name}: {{break}} or {{continue}} outside {{range}}`)
        throw e
      }
      return ex.out
    },
  }
}

/** calicoctl's joinAndTruncate (and join, max 0): items printed as %v, a map as sorted k=v, a single value as itself. */
export function goJoin(items: unknown, sep: unknown, max: unknown = 0): string {
  if (items === undefined || items === null || items === NO_VALUE) return ''
  const list = Array.isArray(items)
    ? items.map(formatValue)
    : isObject(items)
      ? Object.entries(items)
          .map(([k, v]) => `${k}=${formatValue(v)}`)
          .sort()
      : [formatValue(items)]
  return joinAndTruncate(list, String(sep), typeof max === 'number' ? max : 0)
}
