// Calico's label selector language: tokenizer, parser, canonical form and a compiled matcher.
//
//   expr    := or
//   or      := and ( "||" and )*
//   and     := unary ( "&&" unary )*
//   unary   := "!"* ( "(" expr ")" | term )
//   term    := has(label) | all() | global()
//            | label ("==" | "!=" | "contains" | "starts with" | "ends with") string
//            | label ("in" | "not in") "{" [ string ("," string)* ] "}"
//
// Strings are single- or double-quoted with no escapes. Whitespace is spaces and tabs only, as
// in Calico. `!=` and `not in` also match when the label is absent.

import {type FieldError, fieldError} from './errors.js'

export class SelectorError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SelectorError'
  }
}

export type Labels = Readonly<Record<string, string>>

/** The parsed form of a selector; exported so renderers (e.g. ipsets) can walk it. */
export type SelectorNode =
  | {kind: 'all'}
  | {kind: 'global'}
  | {kind: 'has'; label: string}
  | {kind: 'eq' | 'ne' | 'contains' | 'startsWith' | 'endsWith'; label: string; value: string}
  | {kind: 'in' | 'notIn'; label: string; values: readonly string[]}
  | {kind: 'not'; operand: SelectorNode}
  | {kind: 'and' | 'or'; operands: readonly SelectorNode[]}

export interface Selector {
  matches(labels: Labels): boolean
  /** Canonical form, identical to Calico's String(): e.g. `(has(a) && b == "c")`. */
  readonly text: string
  readonly usesGlobal: boolean
  readonly root: SelectorNode
  /** `s:` + base64url(sha224("s:" + text)), the ID Felix derives ipset names from. */
  uniqueId(): string
  /** The label names the selector refers to, sorted and de-duplicated. */
  readonly labelsUsed: readonly string[]
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

type Token =
  | {kind: 'label' | 'string' | 'has'; value: string}
  | {
      kind:
        | '(' | ')' | '{' | '}' | ',' | '==' | '!=' | '!' | '&&' | '||'
        | 'in' | 'notIn' | 'contains' | 'startsWith' | 'endsWith' | 'all' | 'global' | 'eof'
    }

const isLabelChar = (c: number): boolean =>
  (c >= 97 && c <= 122) || // a-z
  (c >= 65 && c <= 90) || // A-Z
  (c >= 48 && c <= 57) || // 0-9
  c === 95 || c === 46 || c === 47 || c === 45 // _ . / -

function tokenize(input: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  const skipSpace = () => {
    while (input[i] === ' ' || input[i] === '\t') i++
  }
  const readLabel = (): string => {
    const start = i
    while (i < input.length && isLabelChar(input.charCodeAt(i))) i++
    return input.slice(start, i)
  }
  // Keywords after a label are matched by prefix, as Calico's tokenizer does.
  const eat = (word: string): boolean => {
    if (!input.startsWith(word, i)) return false
    i += word.length
    return true
  }

  for (;;) {
    skipSpace()
    if (i >= input.length) {
      tokens.push({kind: 'eof'})
      return tokens
    }
    const c = input[i] as string
    const last = tokens[tokens.length - 1]
    switch (c) {
      case '(': case ')': case '{': case '}': case ',':
        tokens.push({kind: c})
        i++
        continue
      case '"': case "'": {
        const end = input.indexOf(c, i + 1)
        if (end < 0) throw new SelectorError('unterminated string')
        tokens.push({kind: 'string', value: input.slice(i + 1, end)})
        i = end + 1
        continue
      }
      case '=':
        if (input[i + 1] !== '=') throw new SelectorError('expected ==')
        tokens.push({kind: '=='})
        i += 2
        continue
      case '!':
        if (input[i + 1] === '=') {
          tokens.push({kind: '!='})
          i += 2
        } else {
          tokens.push({kind: '!'})
          i++
        }
        continue
      case '&':
        if (input[i + 1] !== '&') throw new SelectorError('expected &&')
        tokens.push({kind: '&&'})
        i += 2
        continue
      case '|':
        if (input[i + 1] !== '|') throw new SelectorError('expected ||')
        tokens.push({kind: '||'})
        i += 2
        continue
    }

    if (last?.kind === 'label') {
      // After a label only a word operator can follow here (symbolic ones were handled above).
      const afterLabel = `expected operator after label "${last.value}"`
      if (eat('contains')) tokens.push({kind: 'contains'})
      else if (eat('starts')) {
        skipSpace()
        if (!eat('with')) throw new SelectorError(afterLabel)
        tokens.push({kind: 'startsWith'})
      } else if (eat('ends')) {
        skipSpace()
        if (!eat('with')) throw new SelectorError(afterLabel)
        tokens.push({kind: 'endsWith'})
      } else if (eat('not')) {
        skipSpace()
        if (!eat('in')) throw new SelectorError(afterLabel)
        tokens.push({kind: 'notIn'})
      } else if (eat('in')) tokens.push({kind: 'in'})
      else throw new SelectorError(afterLabel)
    } else if (eat('has(')) {
      skipSpace()
      const label = readLabel()
      if (label === '') throw new SelectorError('no label name in has( expression')
      skipSpace()
      if (!eat(')')) throw new SelectorError("no closing ')' after has(")
      tokens.push({kind: 'has', value: label})
    } else if (eat('all(')) {
      skipSpace()
      if (!eat(')')) throw new SelectorError("no closing ')' after all(")
      tokens.push({kind: 'all'})
    } else if (eat('global(')) {
      skipSpace()
      if (!eat(')')) throw new SelectorError("no closing ')' after global(")
      tokens.push({kind: 'global'})
    } else {
      const label = readLabel()
      if (label === '') throw new SelectorError(`unexpected character ${JSON.stringify(c)} at offset ${i}`)
      tokens.push({kind: 'label', value: label})
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Parser (recursive descent over the token list)

function describe(t: Token): string {
  switch (t.kind) {
    case 'eof': return 'end of selector'
    case 'label': return `label "${t.value}"`
    case 'string': return `string ${JSON.stringify(t.value)}`
    case 'has': return `has(${t.value})`
    case 'all': return 'all()'
    case 'global': return 'global()'
    case 'notIn': return '"not in"'
    case 'startsWith': return '"starts with"'
    case 'endsWith': return '"ends with"'
    default: return `"${t.kind}"`
  }
}

/** Sorted by UTF-8 bytes and de-duplicated, like Calico's string sets, so the text is stable. */
function toStringSet(values: string[]): string[] {
  const sorted = [...new Set(values)]
  sorted.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
  return sorted
}

class Parser {
  private pos = 0
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.pos] as Token // the list always ends with eof and we never pass it
  }

  private next(): Token {
    const t = this.peek()
    if (t.kind !== 'eof') this.pos++
    return t
  }

  parseRoot(): SelectorNode {
    if (this.peek().kind === 'eof') return {kind: 'all'}
    const node = this.parseOr()
    const rest = this.peek()
    if (rest.kind !== 'eof') throw new SelectorError(`unexpected ${describe(rest)} at end of selector`)
    return node
  }

  private parseOr(): SelectorNode {
    const operands = [this.parseAnd()]
    while (this.peek().kind === '||') {
      this.next()
      operands.push(this.parseAnd())
    }
    return operands.length === 1 ? (operands[0] as SelectorNode) : {kind: 'or', operands}
  }

  private parseAnd(): SelectorNode {
    const operands = [this.parseUnary()]
    while (this.peek().kind === '&&') {
      this.next()
      operands.push(this.parseUnary())
    }
    return operands.length === 1 ? (operands[0] as SelectorNode) : {kind: 'and', operands}
  }

  private parseUnary(): SelectorNode {
    // A run of "!" collapses to one negation or none, as in Calico.
    let negated = false
    while (this.peek().kind === '!') {
      this.next()
      negated = !negated
    }
    const node = this.parseTerm()
    return negated ? {kind: 'not', operand: node} : node
  }

  private parseTerm(): SelectorNode {
    const t = this.next()
    switch (t.kind) {
      case 'has':
        return {kind: 'has', label: t.value}
      case 'all':
        return {kind: 'all'}
      case 'global':
        return {kind: 'global'}
      case '(': {
        const inner = this.parseOr()
        const close = this.next()
        if (close.kind !== ')') throw new SelectorError(`expected ")" but found ${describe(close)}`)
        return inner
      }
      case 'label':
        return this.parseComparison(t.value)
      case 'eof':
        throw new SelectorError('unexpected end of selector, expected an expression')
      default:
        throw new SelectorError(`unexpected ${describe(t)}, expected an expression`)
    }
  }

  private parseComparison(label: string): SelectorNode {
    const op = this.next()
    switch (op.kind) {
      case '==': case '!=': case 'contains': case 'startsWith': case 'endsWith': {
        const value = this.next()
        if (value.kind !== 'string') {
          throw new SelectorError(`expected a quoted string after ${describe(op)} but found ${describe(value)}`)
        }
        const kind = op.kind === '==' ? 'eq' : op.kind === '!=' ? 'ne' : op.kind
        return {kind, label, value: value.value}
      }
      case 'in': case 'notIn': {
        const open = this.next()
        if (open.kind !== '{') throw new SelectorError(`expected "{" after ${describe(op)} but found ${describe(open)}`)
        const values: string[] = []
        let t = this.next()
        while (t.kind === 'string') {
          values.push(t.value)
          t = this.next()
          if (t.kind !== ',') break
          t = this.next()
        }
        if (t.kind !== '}') throw new SelectorError(`expected "}" but found ${describe(t)}`)
        return {kind: op.kind, label, values: toStringSet(values)}
      }
      default:
        throw new SelectorError(`expected operator after label "${label}"`)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Canonical text (Calico's String(): and/or always parenthesised, `"` unless the value has one)

function quote(s: string): string {
  return s.includes('"') ? `'${s}'` : `"${s}"`
}

const OP_TEXT = {eq: ' == ', ne: ' != ', contains: ' contains ', startsWith: ' starts with ', endsWith: ' ends with '}

export function selectorText(node: SelectorNode): string {
  switch (node.kind) {
    case 'all': return 'all()'
    case 'global': return 'global()'
    case 'has': return `has(${node.label})`
    case 'eq': case 'ne': case 'contains': case 'startsWith': case 'endsWith':
      return node.label + OP_TEXT[node.kind] + quote(node.value)
    case 'in': case 'notIn':
      return `${node.label} ${node.kind === 'in' ? 'in' : 'not in'} {${node.values.map(quote).join(', ')}}`
    case 'not': return `!${selectorText(node.operand)}`
    case 'and': case 'or':
      return `(${node.operands.map(selectorText).join(node.kind === 'and' ? ' && ' : ' || ')})`
  }
}

// ---------------------------------------------------------------------------------------------
// Compilation to closures

type Matcher = (labels: Labels) => boolean

const hasOwn = Object.prototype.hasOwnProperty

/** The label's value, or undefined when absent (inherited properties such as `constructor` are absent). */
function get(labels: Labels, label: string): string | undefined {
  return hasOwn.call(labels, label) ? labels[label] : undefined
}

function compile(node: SelectorNode): Matcher {
  switch (node.kind) {
    case 'all': case 'global':
      return () => true
    case 'has': {
      const {label} = node
      return (l) => hasOwn.call(l, label)
    }
    case 'eq': {
      const {label, value} = node
      return (l) => get(l, label) === value
    }
    case 'ne': {
      const {label, value} = node
      return (l) => get(l, label) !== value
    }
    case 'contains': {
      const {label, value} = node
      return (l) => get(l, label)?.includes(value) === true
    }
    case 'startsWith': {
      const {label, value} = node
      return (l) => get(l, label)?.startsWith(value) === true
    }
    case 'endsWith': {
      const {label, value} = node
      return (l) => get(l, label)?.endsWith(value) === true
    }
    case 'in': {
      const {label} = node
      const set = new Set(node.values)
      return (l) => {
        const v = get(l, label)
        return v !== undefined && set.has(v)
      }
    }
    case 'notIn': {
      const {label} = node
      const set = new Set(node.values)
      return (l) => {
        const v = get(l, label)
        return v === undefined || !set.has(v)
      }
    }
    case 'not': {
      const inner = compile(node.operand)
      return (l) => !inner(l)
    }
    case 'and': {
      const parts = node.operands.map(compile)
      if (parts.length === 2) {
        const [a, b] = parts as [Matcher, Matcher]
        return (l) => a(l) && b(l)
      }
      return (l) => parts.every((m) => m(l))
    }
    case 'or': {
      const parts = node.operands.map(compile)
      if (parts.length === 2) {
        const [a, b] = parts as [Matcher, Matcher]
        return (l) => a(l) || b(l)
      }
      return (l) => parts.some((m) => m(l))
    }
  }
}

function containsGlobal(node: SelectorNode): boolean {
  switch (node.kind) {
    case 'global': return true
    case 'not': return containsGlobal(node.operand)
    case 'and': case 'or': return node.operands.some(containsGlobal)
    default: return false
  }
}

function collectLabels(node: SelectorNode, into: Set<string>): Set<string> {
  switch (node.kind) {
    case 'all': case 'global': break
    case 'not': collectLabels(node.operand, into); break
    case 'and': case 'or': for (const o of node.operands) collectLabels(o, into); break
    default: into.add(node.label)
  }
  return into
}

class CompiledSelector implements Selector {
  readonly text: string
  readonly usesGlobal: boolean
  readonly matches: Matcher
  private id: string | undefined
  private labels: readonly string[] | undefined

  constructor(readonly root: SelectorNode) {
    this.text = selectorText(root)
    this.usesGlobal = containsGlobal(root)
    this.matches = compile(root)
  }

  get labelsUsed(): readonly string[] {
    this.labels ??= [...collectLabels(this.root, new Set())].sort()
    return this.labels
  }

  uniqueId(): string {
    // node:crypto on first use, not at import: most commands that load selectors never hash one.
    this.id ??= `s:${process.getBuiltinModule('node:crypto').createHash('sha224').update(`s:${this.text}`).digest('base64url')}`
    return this.id
  }
}

// Parsed selectors are immutable, so identical texts share one instance. The cache is dropped
// wholesale when full rather than tracking recency: cheap, and re-parsing is correct anyway.
const CACHE_LIMIT = 50_000
const cache = new Map<string, Selector>()

/** Parses a selector; an empty (or blank) selector is all(). Throws SelectorError. */
export function parseSelector(text: string): Selector {
  const cached = cache.get(text)
  if (cached) return cached
  let selector: Selector
  try {
    selector = new CompiledSelector(new Parser(tokenize(text)).parseRoot())
  } catch (error) {
    // Hostile input: thousands of nested parentheses exhaust the stack of the recursive parser.
    if (error instanceof RangeError) throw new SelectorError('selector is nested too deeply')
    throw error
  }
  if (cache.size >= CACHE_LIMIT) cache.clear()
  cache.set(text, selector)
  return selector
}

/**
 * Whether `selector` selects `labels`; a blank selector selects everything. A selector that does
 * not parse selects nothing: Felix's reading (upstream v3.32.1 felix/calc/validation_filter.go
 * treats a resource that fails validation as missing, and felix/calc/active_bpgpeer_calculator.go
 * falls back to selector.NoMatch for a BGPPeer node selector that does not parse; calico-node's
 * tunnel address allocation, node/pkg/allocateip/allocateip.go, skips such a pool too). An IPAM
 * assignment is the one reader that fails instead, as libcalico-go/lib/ipam/pools.go SelectsNode
 * returns the parse error and ipam.go stops the assignment (ipam/allocator.ts, poolNodeSelects).
 */
export function selects(selector: string, labels: Labels): boolean {
  try {
    return parseSelector(selector).matches(labels)
  } catch (error) {
    if (error instanceof SelectorError) return false
    throw error
  }
}

export interface ValidateSelectorOptions {
  /** Permit global(), which Calico allows only in an EntityRule namespaceSelector, and only on its own. */
  allowGlobal?: boolean
}

export const GLOBAL_NOT_ALLOWED = 'global() can only be used in an EntityRule namespaceSelector'
export const GLOBAL_NOT_ALONE = 'global() cannot be combined with other selectors'

/** Validation findings for a selector field; undefined and '' are valid (they mean all()). */
export function validateSelector(text: unknown, field: string, opts: ValidateSelectorOptions = {}): FieldError[] {
  if (text === undefined) return []
  if (typeof text !== 'string') return [fieldError(field, 'selector must be a string', text)]
  let sel: Selector
  try {
    sel = parseSelector(text)
  } catch (e) {
    if (e instanceof SelectorError) return [fieldError(field, `invalid selector: ${e.message}`, text)]
    throw e
  }
  if (!sel.usesGlobal) return []
  if (!opts.allowGlobal) return [fieldError(field, GLOBAL_NOT_ALLOWED, text)]
  if (sel.root.kind !== 'global') return [fieldError(field, GLOBAL_NOT_ALONE, text)]
  return []
}
