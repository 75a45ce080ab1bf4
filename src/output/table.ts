// The CLI's tables, in the two layouts calicoctl v3.32.1 prints (this file and box-table.ts,
// which share the Cell type):
//
// - `tabTable`: the resource tables of `get` (and our `node list`, `workload list`), which
//   calicoctl writes through Go's text/tabwriter set up as NewWriter(out, 5, 1, 3, ' ', 0)
//   (calicoctl/calicoctl/commands/common/printer.go) with every cell tab-terminated
//   (resourcemgr.go GetTableTemplate): no borders, each column as wide as its widest cell (in
//   characters, as tabwriter counts runes) plus 3 spaces and at least 5, the last column padded
//   too. This layout is padding only, and `get` prints thousands of rows: it is written here
//   rather than drawn by cli-table3, which takes about 0.5 ms a row and grows quadratically with
//   the rows of one table (BENCHMARKS.md, "Tables").
// - `boxTable` (box-table.ts, so that `get` never loads cli-table3): `ipam show` and `node
//   status`, which calicoctl prints with olekukonko/tablewriter v0.0.5 and its defaults
//   (commands/ipam/show.go, node/status.go), drawn by cli-table3: `+-|` borders, one space either side of a cell, headings centred with a
//   rule under them, no rule between rows, a cell wider than 30 columns wrapped at spaces into
//   several lines (tablewriter's minimum-raggedness wrap), and a line of a cell right-aligned when
//   it reads as a decimal number (`500`, `1,024`, `-2.5`), else left-aligned. Widths are terminal
//   columns with colour codes excluded (string-width, cli-table3's own measure; tablewriter's
//   DisplayWidth), so a cell painted for a terminal lines up as the same cell uncoloured.

/** A cell: its text, and optionally how to paint each of its lines for a terminal (colour.ts). */
export type Cell = string | {text: string; paint?: ((line: string) => string) | undefined}

export const textOf = (c: Cell): string => (typeof c === 'string' ? c : c.text)
export const painted = (c: Cell, line: string): string => (typeof c === 'string' || !c.paint ? line : c.paint(line))

/** Characters (code points): tabwriter's measure, and the width of every one-column character. */
export const width = (s: string): number => {
  let n = 0
  for (const _ of s) n++
  return n
}

/** tabwriter's minimal cell width and padding as calicoctl sets them. */
const TAB_MIN_WIDTH = 5
const TAB_PADDING = 3

/**
 * Rows (the first is the heading) as Go's text/tabwriter lays them out for calicoctl: each line
 * ends with a newline. An empty list of rows prints nothing.
 */
export function tabTable(rows: readonly (readonly Cell[])[]): string {
  const widths: number[] = []
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? TAB_MIN_WIDTH, width(textOf(c)) + TAB_PADDING)))
  let out = ''
  for (const r of rows) {
    widths.forEach((w, i) => {
      const c = r[i] ?? ''
      const text = textOf(c)
      out += painted(c, text) + ' '.repeat(w - width(text))
    })
    out += '\n'
  }
  return out
}
