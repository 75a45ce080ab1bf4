// A reader for the plain subset of YAML that manifests are mostly written in: block mappings and
// sequences indented with spaces, one-line flow collections, plain and quoted one-line scalars,
// `---` between documents. It gives exactly what js-yaml's loadAll gives for such text (plain
// scalars are resolved by js-yaml's own default-schema types) and gives up, returning undefined,
// on anything else (comments, anchors, tags, block and multi-line scalars, escapes, tabs, CR,
// odd indentation, duplicate keys); the caller then reads the text with js-yaml, errors and all.
import yaml from 'js-yaml'

interface ImplicitType {
  resolve(s: string): boolean
  construct(s: string): unknown
}
const implicit = (yaml.DEFAULT_SCHEMA as unknown as {compiledImplicit: ImplicitType[]}).compiledImplicit

class GiveUp extends Error {}
const giveUp = (): never => {
  throw new GiveUp()
}

const resolved = new Map<string, unknown>()
/** A plain scalar as js-yaml's composeNode resolves it: the first implicit type that accepts it. */
function plainValue(s: string): unknown {
  // Of the default schema's implicit types only null and bool accept text that starts with a
  // letter (null, true, false in three casings): any other such text is a string.
  const c = s.charCodeAt(0) | 0x20
  if (c >= 97 && c <= 122 && c !== 110 && c !== 116 && c !== 102) return s
  let v = resolved.get(s)
  if (v !== undefined || resolved.has(s)) return v
  v = s
  for (const t of implicit) {
    if (t.resolve(s)) {
      v = t.construct(s)
      break
    }
  }
  // Only immutable results are shared between documents.
  if (v === null || typeof v !== 'object') {
    if (resolved.size < 50_000) resolved.set(s, v)
  } else giveUp()
  return v
}

const KEY = /^[A-Za-z_][A-Za-z0-9_./-]*$/
// A plain scalar's first character: no indicator that could start something else.
const PLAIN_FIRST = /^[A-Za-z0-9_./~+(]|^-[^\s]/
// Characters we accept in a line: printable ASCII without '#' and backslash, so comments, escapes
// and non-ASCII text go to js-yaml. Anchors, aliases, tags and block scalars (`&a`, `*a`, `!t`,
// `|`, `>`) can only start a node, and no node here may start with them (PLAIN_FIRST).
const BAD_CHAR = /[^\n -"$-[\]-~]/

function key(k: string): string {
  if (!KEY.test(k) || k === '__proto__' || typeof plainValue(k) !== 'string') giveUp()
  return k
}

function put(o: Record<string, unknown>, k: string, v: unknown): void {
  if (Object.hasOwn(o, k)) giveUp()
  o[k] = v
}

/** A one-line flow collection or scalar starting at s[i]; returns the value and the next index. */
function flowValue(s: string, i: number): [unknown, number] {
  const c = s[i]
  if (c === '[') {
    const out: unknown[] = []
    i = skipSpaces(s, i + 1)
    if (s[i] === ']') return [out, i + 1]
    for (;;) {
      const [v, j] = flowValue(s, i)
      out.push(v)
      i = skipSpaces(s, j)
      if (s[i] === ',') {
        i = skipSpaces(s, i + 1)
        if (s[i] === ']') giveUp()
      } else if (s[i] === ']') return [out, i + 1]
      else giveUp()
    }
  }
  if (c === '{') {
    const out: Record<string, unknown> = {}
    i = skipSpaces(s, i + 1)
    if (s[i] === '}') return [out, i + 1]
    for (;;) {
      const colon = s.indexOf(': ', i)
      if (colon < 0) giveUp()
      const k = key(s.slice(i, colon))
      const [v, j] = flowValue(s, skipSpaces(s, colon + 2))
      put(out, k, v)
      i = skipSpaces(s, j)
      if (s[i] === ',') {
        i = skipSpaces(s, i + 1)
        if (s[i] === '}') giveUp()
      } else if (s[i] === '}') return [out, i + 1]
      else giveUp()
    }
  }
  if (c === "'" || c === '"') return quoted(s, i)
  // A plain scalar in a flow collection ends at a flow indicator.
  let j = i
  while (j < s.length && !',[]{}'.includes(s[j]!)) j++
  const text = s.slice(i, j).trimEnd()
  if (text === '' || !PLAIN_FIRST.test(text) || /:(\s|$)/.test(text) || text.includes(' :')) giveUp()
  return [plainValue(text), j]
}

function quoted(s: string, i: number): [string, number] {
  const q = s[i]!
  let out = ''
  let j = i + 1
  for (;;) {
    const end = s.indexOf(q, j)
    if (end < 0) giveUp()
    out += s.slice(j, end)
    if (q === "'" && s[end + 1] === "'") {
      out += "'"
      j = end + 2
      continue
    }
    return [out, end + 1]
  }
}

function skipSpaces(s: string, i: number): number {
  while (s[i] === ' ') i++
  return i
}

/** The value written after `key: ` or `- ` in block context, alone on the rest of the line. */
function inlineValue(s: string): unknown {
  const c = s[0]
  if (c === '[' || c === '{' || c === "'" || c === '"') {
    const [v, j] = flowValue(s, 0)
    if (j !== s.length) giveUp()
    return v
  }
  if (!PLAIN_FIRST.test(s) || s.includes(': ') || s.endsWith(':') || s.endsWith(' ')) giveUp()
  return plainValue(s)
}

interface Line {
  indent: number
  text: string
}

class Reader {
  i = 0
  constructor(private readonly lines: Line[]) {}

  peek(): Line | undefined {
    return this.lines[this.i]
  }

  /** A block node whose first line is the current one, at that line's indent. */
  block(): unknown {
    const l = this.peek()!
    return l.text === '-' || l.text.startsWith('- ') ? this.sequence(l.indent) : this.mapping(l.indent, {})
  }

  /** The value of `key:` with nothing after the colon: a nested block, or null. */
  nested(parent: number): unknown {
    const l = this.peek()
    if (!l || l.indent < parent) return null
    if (l.indent > parent) return this.block()
    // Only a sequence may sit at its key's own indent.
    return l.text === '-' || l.text.startsWith('- ') ? this.sequence(parent) : null
  }

  /** Pairs at `indent`; `first` may hold the text of a pair that began after `- `. */
  mapping(indent: number, out: Record<string, unknown>, first?: string): Record<string, unknown> {
    let text = first
    for (;;) {
      if (text === undefined) {
        const l = this.peek()
        if (!l || l.indent < indent) return out
        if (l.indent > indent || l.text === '-' || l.text.startsWith('- ')) giveUp()
        text = l.text
        this.i++
      }
      const colon = text.indexOf(':')
      if (colon <= 0) giveUp()
      const k = key(text.slice(0, colon))
      const rest = text.slice(colon + 1)
      if (rest === '') put(out, k, this.nested(indent))
      else {
        if (rest[0] !== ' ') giveUp()
        put(out, k, inlineValue(rest.slice(1)))
        const next = this.peek()
        if (next && next.indent > indent) giveUp()
      }
      text = undefined
    }
  }

  sequence(indent: number): unknown[] {
    const out: unknown[] = []
    for (;;) {
      const l = this.peek()
      if (!l || l.indent < indent) return out
      if (l.indent > indent) giveUp()
      if (l.text !== '-' && !l.text.startsWith('- ')) return out
      this.i++
      if (l.text === '-') {
        const next = this.peek()
        out.push(next && next.indent > indent ? this.block() : null)
        continue
      }
      const rest = l.text.slice(2)
      if (rest[0] === ' ' || rest === '-' || rest.startsWith('- ')) giveUp()
      const colon = rest.indexOf(':')
      if (colon > 0 && KEY.test(rest.slice(0, colon)) && (rest.length === colon + 1 || rest[colon + 1] === ' ')) {
        // `- key: value` starts a mapping indented to the key.
        out.push(this.mapping(indent + 2, {}, rest))
      } else {
        out.push(inlineValue(rest))
        const next = this.peek()
        if (next && next.indent > indent) giveUp()
      }
    }
  }
}

function document(lines: Line[]): unknown {
  if (lines.length === 0) return null
  if (lines[0]!.indent !== 0) giveUp()
  const r = new Reader(lines)
  const first = lines[0]!.text
  // A document that is one scalar or flow collection.
  if (lines.length === 1 && first !== '-' && !first.startsWith('- ') && !/^[A-Za-z_][A-Za-z0-9_./-]*:( |$)/.test(first)) return inlineValue(first)
  const v = r.block()
  if (r.i !== lines.length) giveUp()
  return v
}

/** The documents of a text as js-yaml's loadAll(text, undefined, {json: true}) reads them, or undefined. */
export function loadSimpleYaml(text: string): unknown[] | undefined {
  // Checked once over the whole text: characters, trailing spaces, blank lines of spaces.
  if (BAD_CHAR.test(text) || / (\n|$)/.test(text)) return undefined
  try {
    const docs: unknown[] = []
    let lines: Line[] = []
    let started = false
    // Line by line without splitting the whole text first: each document's lines die young,
    // instead of every line of a large file living (and being copied by the GC) to the end.
    for (let start = 0; start < text.length; ) {
      let end = text.indexOf('\n', start)
      if (end < 0) end = text.length
      const next = end + 1
      if (end === start) {
        start = next
        continue
      }
      const c0 = text.charCodeAt(start)
      if ((c0 === 45 || c0 === 46) && end - start >= 3 && (text.startsWith('---', start) || text.startsWith('...', start))) {
        if (end - start !== 3 || c0 === 46) giveUp()
        if (started || lines.length > 0) docs.push(document(lines))
        started = true
        lines = []
        start = next
        continue
      }
      let indent = start
      while (text.charCodeAt(indent) === 32) indent++
      lines.push({indent: indent - start, text: text.slice(indent, end)})
      start = next
    }
    if (started || lines.length > 0) docs.push(document(lines))
    return docs
  } catch (error) {
    if (error instanceof GiveUp) return undefined
    throw error
  }
}
