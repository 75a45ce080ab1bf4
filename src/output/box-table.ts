// calicoctl's bordered tables (`ipam show`, `node status`): olekukonko/tablewriter v0.0.5 with
// its defaults, drawn by cli-table3; the layout is described in table.ts. Its own module so that
// only the commands that print these load cli-table3.
import Table from 'cli-table3'
import stringWidth from 'string-width'
import {type Cell, painted, textOf, width} from './table.js'

type HorizontalAlignment = 'left' | 'center' | 'right'

const BOX_BORDER = {
  top: '-', 'top-mid': '+', 'top-left': '+', 'top-right': '+',
  bottom: '-', 'bottom-mid': '+', 'bottom-left': '+', 'bottom-right': '+',
  left: '|', 'left-mid': '+', mid: '-', 'mid-mid': '+', right: '|', 'right-mid': '+', middle: '|',
} as const

/** tablewriter v0.0.5's MAX_ROW_WIDTH: a cell wider than this is wrapped. */
const WRAP_WIDTH = 30
/** tablewriter's penalty for a line longer than the limit in its wrap. */
const OVERFLOW_PENALTY = 1e5

/**
 * tablewriter's WrapWords: splits words into lines of at most `limit` columns (a word longer than
 * that gets a line of its own) minimising the sum of the squared space left at the end of every
 * line but the last.
 */
function wrapWords(words: readonly string[], limit: number): string[][] {
  const n = words.length
  const lengthOf = (i: number, j: number) => {
    let total = 0
    for (let k = i; k <= j; k++) total += width(words[k] ?? '') + (k > i ? 1 : 0)
    return total
  }
  const cost: number[] = new Array<number>(n).fill(Number.MAX_SAFE_INTEGER)
  const breakAt: number[] = new Array<number>(n).fill(n)
  for (let i = n - 1; i >= 0; i--) {
    if (lengthOf(i, n - 1) <= limit) {
      cost[i] = 0
      breakAt[i] = n
      continue
    }
    for (let j = i + 1; j < n; j++) {
      const len = lengthOf(i, j - 1)
      const room = limit - len
      const c = room * room + (cost[j] ?? 0) + (len > limit ? OVERFLOW_PENALTY : 0)
      if (c < (cost[i] ?? 0)) {
        cost[i] = c
        breakAt[i] = j
      }
    }
  }
  const lines: string[][] = []
  for (let i = 0; i < n; i = breakAt[i] ?? n) lines.push(words.slice(i, breakAt[i]))
  return lines
}

/**
 * A cell's lines as tablewriter v0.0.5 (autoWrap and reflow on) makes them, and the width the cell
 * claims for its column: a cell wider than 30 claims at least 30 however short its lines are.
 */
export function wrapCell(text: string): {lines: string[]; width: number} {
  const given = text.split('\n')
  const limit = Math.min(WRAP_WIDTH, Math.max(0, ...given.map(width)))
  // Reflow: the lines become one paragraph, split at every single space.
  const words = given.join(' ').split(' ')
  const lines = wrapWords(words, Math.max(limit, ...words.map(width))).map((ws) => ws.join(' '))
  return {lines, width: Math.max(limit, ...lines.map(width))}
}

/** tablewriter's test for a number, which it right-aligns. */
const DECIMAL = /^-?(?:\d{1,3}(?:,\d{3})*|\d+)(?:\.\d+)?$/

/**
 * A bordered table as calicoctl's tablewriter prints it: a rule, the headings, a rule, the rows
 * (each as many lines as its tallest cell), a rule. Ends with a newline.
 */
export function boxTable(head: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const wrapped = [head, ...rows].map((r) => r.map((c) => ({cell: c, ...wrapCell(textOf(c))})))
  let columns = 0
  for (const r of wrapped) columns = Math.max(columns, r.length)
  // Every line as a row of its own (there is no rule between rows), each line of a cell aligned
  // on its own as tablewriter does; headings centred.
  type Line = {content: string; hAlign: HorizontalAlignment}[]
  const toLines = (cells: (typeof wrapped)[number], align: (line: string) => HorizontalAlignment): Line[] => {
    const height = Math.max(1, ...cells.map((c) => c.lines.length))
    return Array.from({length: height}, (_, l) =>
      Array.from({length: columns}, (_, i) => {
        const c = cells[i]
        const line = c?.lines[l] ?? ''
        return {content: c && line !== '' ? painted(c.cell, line) : '', hAlign: align(line)}
      }),
    )
  }
  const [headCells = [], ...rowCells] = wrapped
  const headLines = toLines(headCells, () => 'center')
  const bodyLines = rowCells.flatMap((r) => toLines(r, (line) => (DECIMAL.test(line.trim()) ? 'right' : 'left')))
  const style = {head: [], border: [], 'padding-left': 1, 'padding-right': 1, compact: true}
  // A column is as wide as its widest line, measured as cli-table3 measures (string-width: its
  // own measure, so it never cuts a line short), or as a wrapped cell's claim.
  const colWidths = Array.from({length: columns}, (_, i) => {
    let w = 0
    for (const r of wrapped) w = Math.max(w, r[i]?.width ?? 0)
    for (const lines of [headLines, bodyLines]) for (const l of lines) w = Math.max(w, stringWidth(l[i]?.content ?? ''))
    return w + 2
  })
  // cli-table3 lays a table out in time quadratic in its rows: the lines go through it in chunks,
  // all with the same column widths, and the chunks' own rules are dropped.
  const draw = (lines: Line[]) => {
    const table = new Table({chars: BOX_BORDER, colWidths, style})
    table.push(...lines)
    return table.toString().split('\n')
  }
  const [rule = '', ...heading] = draw(headLines)
  const out = [rule, ...heading.slice(0, -1), rule]
  for (let i = 0; i < bodyLines.length; i += CHUNK) out.push(...draw(bodyLines.slice(i, i + CHUNK)).slice(1, -1))
  out.push(rule)
  return `${out.join('\n')}\n`
}

/** Lines drawn by one cli-table3 table. */
const CHUNK = 40
