// YAML as calicoctl reads it. calicoctl decodes each document with sigs.k8s.io/yaml v1.6.0
// (calicoctl/calicoctl/resourcemgr/resourcemgr.go, UnmarshalStrict), which parses with go-yaml v2
// (go.yaml.in/yaml/v2 v2.4.x, YAML 1.1 scalars), converts to JSON and decodes that with Go's
// encoding/json. Here: js-yaml's parser with a schema of go-yaml v2's scalar rules (resolve.go),
// built from js-yaml's public Type and Schema API only:
//  - null: ``, `~`, `null`, `Null`, `NULL`;
//  - booleans: `y Y yes Yes YES on On ON true True TRUE` and `n N no No NO off Off OFF false False FALSE`;
//  - integers as strconv.ParseInt(text without underscores, base 0): `0777` octal, `0x1F`, `0o17`,
//    `0b101`, `1_000`, a sign; then as unsigned; then floats (`1e3`, `1.`, `.5`, `.inf`, `.nan`);
//  - a plain timestamp stays the text written (go-yaml keeps it a string for interface{});
//  - tags go-yaml does not know are ignored (the node's own value), `!!binary` is base64-decoded;
//  - duplicate keys refused (UnmarshalStrict; js-yaml refuses them too);
//  - alias expansion bounded by go-yaml's own rule (decode.go allowedAliasRatio): a document
//    whose aliases make most of its nodes fails with one line, in time proportional to its text.
// The JSON step turns a number or boolean into text where the Go field is a string
// (convertToJSONableObject): goString (lib/go-float.ts), applied by canonicalKeys (upstream.ts).
import yaml from 'js-yaml'

const BOOLS = new Map<string, boolean>()
for (const w of ['y', 'yes', 'on', 'true']) for (const s of [w, w[0]!.toUpperCase() + w.slice(1), w.toUpperCase()]) BOOLS.set(s, true)
for (const w of ['n', 'no', 'off', 'false']) for (const s of [w, w[0]!.toUpperCase() + w.slice(1), w.toUpperCase()]) BOOLS.set(s, false)
const NULLS = new Set(['', '~', 'null', 'Null', 'NULL'])
const SPECIAL_FLOATS = new Map<string, number>()
for (const [words, v] of [
  [['.nan', '.NaN', '.NAN'], Number.NaN],
  [['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'], Number.POSITIVE_INFINITY],
  [['-.inf', '-.Inf', '-.INF'], Number.NEGATIVE_INFINITY],
] as const)
  for (const w of words) SPECIAL_FLOATS.set(w, v)

// strconv.ParseInt/ParseUint with base 0, on text whose underscores go-yaml has removed.
const GO_INT = /^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/
// go-yaml's yamlStyleFloat (on text without underscores) and strconv.ParseFloat for text that
// starts with a dot (underscores allowed between digits there).
const YAML_STYLE_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/
const DOT_FLOAT = /^\.[0-9](?:_?[0-9])*(?:[eE][-+]?[0-9](?:_?[0-9])*)?$/
// go-yaml's parseTimestamp quick check: four digits then a dash (no such text is a number).
const TIMESTAMP_START = /^[0-9]{4}-/

function goIntValue(text: string): number {
  const neg = text[0] === '-'
  const body = text[0] === '-' || text[0] === '+' ? text.slice(1) : text
  let v: number
  if (/^0[xX]/.test(body)) v = Number.parseInt(body.slice(2), 16)
  else if (/^0[oO]/.test(body)) v = Number.parseInt(body.slice(2), 8)
  else if (/^0[bB]/.test(body)) v = Number.parseInt(body.slice(2), 2)
  else if (body.length > 1 && body[0] === '0') v = Number.parseInt(body, 8)
  else v = Number(body)
  return neg ? 0 - v : v
}

/** A plain scalar's number as go-yaml v2 resolves it, or undefined when it is text. */
export function goNumber(text: string): number | undefined {
  const c = text[0]
  if (c === undefined || !((c >= '0' && c <= '9') || c === '-' || c === '+' || c === '.')) return undefined
  // The common case first: a decimal integer without sign, leading zero or underscore.
  if (c !== '0' && c !== '-' && c !== '+' && c !== '.' && text.length < 16) {
    let i = 1
    while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++
    if (i === text.length) return Number(text)
  }
  if (text.length <= 6) {
    const special = SPECIAL_FLOATS.get(text)
    if (special !== undefined) return special
  }
  // ParseFloat fails out of range (1e400): go-yaml then keeps the text.
  const finite = (v: number) => (Number.isFinite(v) ? v : undefined)
  if (c === '.') return DOT_FLOAT.test(text) ? finite(Number(text.replaceAll('_', ''))) : undefined
  if (TIMESTAMP_START.test(text)) return undefined
  const plain = text.includes('_') ? text.replaceAll('_', '') : text
  if (GO_INT.test(plain)) {
    const v = goIntValue(plain)
    // Beyond uint64 (and below int64) ParseInt and ParseUint fail and the text is tried as a float.
    if (v >= -(2 ** 63) && v < 2 ** 64) return v
  }
  return YAML_STYLE_FLOAT.test(plain) ? finite(Number(plain)) : undefined
}

// go-yaml's parseTimestamp formats (2006-1-2, with a time after T, t or a space).
const GO_TIMESTAMP = /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?$/

/**
 * Whether go-yaml v2 resolves this text, written plain, to something other than a string (null,
 * a boolean, a number, the merge key, a timestamp): its encoder quotes such strings.
 */
export function goResolvesToNonString(text: string): boolean {
  if (text.length <= 5 && (NULLS.has(text) || BOOLS.has(text) || text === '<<')) return true
  return goNumber(text) !== undefined || GO_TIMESTAMP.test(text)
}

const TAG = 'tag:yaml.org,2002:'
// Every plain scalar meets these resolvers: the first character and the length spare most text a lookup.
const goNull = new yaml.Type(`${TAG}null`, {
  kind: 'scalar',
  resolve: (s: string | null) => s === null || s === '' || (s.length <= 4 && (s[0] === '~' || s[0] === 'n' || s[0] === 'N') && NULLS.has(s)),
  construct: () => null,
})
const BOOL_FIRST = new Set(['y', 'Y', 'n', 'N', 'o', 'O', 't', 'T', 'f', 'F'])
const goBool = new yaml.Type(`${TAG}bool`, {
  kind: 'scalar',
  resolve: (s: string | null) => s !== null && s.length <= 5 && BOOL_FIRST.has(s[0]!) && BOOLS.has(s),
  construct: (s: string) => BOOLS.get(s),
})
// Plain numbers (integers and floats alike: both are JavaScript numbers) resolve through the float
// type; `!!int` accepts only what ParseInt reads. js-yaml constructs right after resolving: the
// number found is kept for that.
let lastText = ''
let lastNumber: number | undefined
const numberOf = (s: string) => {
  if (s !== lastText) {
    lastText = s
    lastNumber = goNumber(s)
  }
  return lastNumber
}
const floatType = new yaml.Type(`${TAG}float`, {kind: 'scalar', resolve: (s: string | null) => s !== null && numberOf(s) !== undefined, construct: numberOf})
const intType = new yaml.Type(`${TAG}int`, {kind: 'scalar', resolve: (s: string | null) => s !== null && GO_INT.test(s.replaceAll('_', '')) && goNumber(s) !== undefined, construct: (s: string) => goNumber(s)})
// `<<` merges a mapping (or a list of them) into the one it is in; js-yaml does the merging for this tag.
const goMerge = new yaml.Type(`${TAG}merge`, {kind: 'scalar', resolve: (s: string | null) => s === '<<' || s === null})
const goBinary = new yaml.Type(`${TAG}binary`, {
  kind: 'scalar',
  resolve: (s: string | null) => s !== null && /^[A-Za-z0-9+/=\s]*$/.test(s),
  construct: (s: string) => Buffer.from(s.replaceAll(/\s/g, ''), 'base64').toString('utf8'),
})
// Any other tag, local (`!x`) or YAML's (`!!set`, `!!timestamp`...): go-yaml decodes the node as if untagged.
const ignoredTags = (['scalar', 'sequence', 'mapping'] as const).flatMap((kind) =>
  ['!', TAG].map((prefix) => new yaml.Type(prefix, {kind, multi: true, construct: (data: unknown) => data ?? (kind === 'scalar' ? '' : kind === 'sequence' ? [] : {})})),
)

/** go-yaml v2's scalar rules on js-yaml's parser (plain scalars tried in this order, as resolve.go does). */
export const GO_YAML_SCHEMA = yaml.FAILSAFE_SCHEMA.extend({implicit: [goNull, goBool, floatType, goMerge], explicit: [intType, goBinary, ...ignoredTags]})

// go-yaml v2 decode.go: once a document has decoded more than 1000 nodes (100 through aliases),
// the share reached through aliases may not pass 99% up to 400,000 nodes, falling to 10% at 4,000,000.
function allowedAliasRatio(decodes: number): number {
  if (decodes <= 400_000) return 0.99
  if (decodes >= 4_000_000) return 0.1
  return 0.99 - (0.89 * (decodes - 400_000)) / 3_600_000
}

/**
 * Counts a parsed document's nodes as go-yaml's decoder meets them (an object met again is an
 * alias: its whole expansion counts again) without expanding anything: each object's expanded
 * size is computed once. Throws when aliases make too much of it; returns whether any object
 * appears more than once (then the document's parts must be copied before they are changed).
 */
export function checkAliasExpansion(doc: unknown): boolean {
  const sizes = new Map<object, number>()
  let aliased = 0
  const size = (v: unknown): number => {
    if (v === null || typeof v !== 'object') return 1
    const known = sizes.get(v)
    if (known !== undefined) {
      aliased += known
      return known
    }
    let n = 1
    if (Array.isArray(v)) for (const item of v) n += size(item)
    else for (const item of Object.values(v)) n += 1 + size(item)
    sizes.set(v, n)
    return n
  }
  const decodes = size(doc)
  if (!Number.isFinite(decodes) || (aliased > 100 && decodes > 1000 && aliased / decodes > allowedAliasRatio(decodes)))
    throw new Error('document contains excessive aliasing')
  return aliased > 0
}

