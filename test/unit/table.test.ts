// The table printer (src/output/table.ts) against upstream's own expected text:
// - the borderless layout against calicoctl's system tests (calicoctl/tests/st/utils/data.py
//   ippool_name1_rev1_table and friends, as test_crud.py asserts them: several named resources are
//   tables of their own, each followed by a blank line; text/tabwriter via
//   calicoctl/calicoctl/commands/common/printer.go NewWriter(os.Stdout, 5, 1, 3, ' ', 0));
// - the bordered layout against olekukonko/tablewriter v0.0.5's own examples (table_test.go
//   ExampleShort and ExampleLong, with `+`/`-` as calicoctl leaves them) and the `ipam show
//   --show-blocks` output quoted in calicoctl/tests/fv/ipam_test.go.
// And colour: painted cells line up as plain ones, and nothing is painted without colour.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {Chalk} from 'chalk'
import {paintBgpState, paintUsage} from '../../src/output/colour.js'
import {printResources} from '../../src/output/printers.js'
import {boxTable, wrapCell} from '../../src/output/box-table.js'
import {tabTable} from '../../src/output/table.js'
import {peerStatusTable} from '../../src/node/status.js'
import {kindByName} from '../../src/resources/registry.js'
import type {Resource} from '../../src/resources/types.js'
import {usageTable} from '../../src/service/ipam.js'
import * as d from '../helpers/upstream-data.js'

const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '')

describe('borderless layout (Go text/tabwriter as calicoctl sets it up)', () => {
  const IPPool = kindByName('IPPool')!
  const pool = (doc: {metadata: Record<string, unknown>; spec: Record<string, unknown>}): Resource => {
    const r = structuredClone({...doc, apiVersion: 'projectcalico.org/v3', kind: 'IPPool'}) as Resource
    IPPool.defaults?.(r)
    return r
  }
  it('get ippool NAME, -o wide, and two names: calicoctl st test_crud.py text', async () => {
    const p1 = pool(d.ippool_name1_rev1_v4)
    const p2 = pool(d.ippool_name2_rev1_v6)
    // Upstream's st helper strips the end of the command's output; its "get two names and one
    // missing" case shows the unstripped text of two tables, up to the error line.
    const out = async (items: Resource[], type: 'ps' | 'wide') => printResources({def: IPPool, items, format: {type}, shape: 'many'})
    assert.equal((await out([p1], 'ps')).trimEnd(), d.ippool_name1_rev1_table)
    assert.equal((await out([p1], 'wide')).trimEnd(), d.ippool_name1_rev1_wide_table)
    assert.equal(await out([p1, p2], 'ps'), `${d.ippool_name1_rev1_table}   \n\n${d.ippool_name2_rev1_table}      \n\n`)
  })
  it('every cell padded by 3, a column at least 5 wide, the last column too', () => {
    assert.equal(tabTable([['NAME', 'A'], ['x', '']]), 'NAME   A    \nx           \n')
    assert.equal(tabTable([['N'], ['']]), 'N    \n     \n')
    assert.equal(tabTable([]), '')
  })
  it('widths count characters as tabwriter counts runes, even two-column ones', () => {
    assert.equal(tabTable([['NAME', 'SELECTOR'], ['a', "x == '日本'"]]), "NAME   SELECTOR    \na      x == '日本'   \n")
  })
})

describe('bordered layout (olekukonko/tablewriter v0.0.5 defaults)', () => {
  it("tablewriter's ExampleShort: centred headings, numbers right-aligned, text left", () => {
    const out = boxTable(
      ['NAME', 'SIGN', 'RATING'],
      [
        ['A', 'The Good', '500'],
        ['B', 'The Very very Bad Man', '288'],
        ['C', 'The Ugly', '120'],
        ['D', 'The Gopher', '800'],
      ],
    )
    assert.equal(
      out,
      [
        '+------+-----------------------+--------+',
        '| NAME |         SIGN          | RATING |',
        '+------+-----------------------+--------+',
        '| A    | The Good              |    500 |',
        '| B    | The Very very Bad Man |    288 |',
        '| C    | The Ugly              |    120 |',
        '| D    | The Gopher            |    800 |',
        '+------+-----------------------+--------+',
        '',
      ].join('\n'),
    )
  })
  it("tablewriter's ExampleLong: cells over 30 columns wrap at spaces, the column stays 30 wide", () => {
    const out = boxTable(
      ['NAME', 'SIGN', 'RATING'],
      [
        ['Learn East has computers with adapted keyboards with enlarged print etc', '  Some Data  ', ' Another Data'],
        ['Instead of lining up the letters all ', 'the way across, he splits the keyboard in two', 'Like most ergonomic keyboards'],
      ],
    )
    assert.equal(
      out,
      [
        '+--------------------------------+--------------------------------+-------------------------------+',
        '|              NAME              |              SIGN              |            RATING             |',
        '+--------------------------------+--------------------------------+-------------------------------+',
        '| Learn East has computers       |   Some Data                    |  Another Data                 |',
        '| with adapted keyboards with    |                                |                               |',
        '| enlarged print etc             |                                |                               |',
        '| Instead of lining up the       | the way across, he splits the  | Like most ergonomic keyboards |',
        '| letters all                    | keyboard in two                |                               |',
        '+--------------------------------+--------------------------------+-------------------------------+',
        '',
      ].join('\n'),
    )
  })
  it("tablewriter's number test: 1,024 and -2.5 are numbers; 5 (0%) and 1.2e+06 are not", () => {
    const lines = boxTable(['H'], [['1,024'], ['-2.5'], ['5 (0%)'], ['1.2e+06']]).split('\n')
    assert.deepEqual(lines.slice(3, 7), ['|   1,024 |', '|    -2.5 |', '| 5 (0%)  |', '| 1.2e+06 |'])
  })
  it('a word longer than 30 columns keeps its line; a table without rows still has its rule', () => {
    assert.deepEqual(wrapCell('x'.repeat(35)), {lines: ['x'.repeat(35)], width: 35})
    assert.equal(boxTable(['IP', 'TYPE'], []), '+----+------+\n| IP | TYPE |\n+----+------+\n+----+------+\n')
  })
  it("terminal columns as tablewriter's DisplayWidth: a two-column character counts two", () => {
    assert.equal(boxTable(['H'], [['日本']]), '+------+\n|  H   |\n+------+\n| 日本 |\n+------+\n')
  })
  it('ipam show --show-blocks: the output quoted in calicoctl/tests/fv/ipam_test.go', () => {
    const v6 = 2 ** 80
    const out = usageTable(
      [
        {name: 'a', cidr: '10.65.0.0/16', capacity: 65536, inUse: 5, free: 65531, reserved: 0, blocks: [{cidr: '10.65.79.0/26', capacity: 64, inUse: 5, free: 59, reserved: 0}]},
        {
          name: 'b',
          cidr: '10.66.0.0/16',
          capacity: 65536,
          inUse: 11,
          free: 65525,
          reserved: 0,
          blocks: [
            {cidr: '10.66.137.224/29', capacity: 8, inUse: 8, free: 0, reserved: 0},
            {cidr: '10.66.137.232/29', capacity: 8, inUse: 3, free: 5, reserved: 0},
          ],
        },
        {name: 'c', cidr: 'fd5f:abcd:64::/48', capacity: v6, inUse: 7, free: v6 - 7, reserved: 0, blocks: [{cidr: 'fd5f:abcd:64:4f2c:ec1b:27b9:1989:77c0/122', capacity: 64, inUse: 7, free: 57, reserved: 0}]},
      ],
      true,
    )
    assert.equal(
      out,
      [
        '+----------+-------------------------------------------+------------+------------+-------------------+',
        '| GROUPING |                   CIDR                    | IPS TOTAL  | IPS IN USE |     IPS FREE      |',
        '+----------+-------------------------------------------+------------+------------+-------------------+',
        '| IP Pool  | 10.65.0.0/16                              |      65536 | 5 (0%)     | 65531 (100%)      |',
        '| Block    | 10.65.79.0/26                             |         64 | 5 (8%)     | 59 (92%)          |',
        '| IP Pool  | 10.66.0.0/16                              |      65536 | 11 (0%)    | 65525 (100%)      |',
        '| Block    | 10.66.137.224/29                          |          8 | 8 (100%)   | 0 (0%)            |',
        '| Block    | 10.66.137.232/29                          |          8 | 3 (38%)    | 5 (62%)           |',
        '| IP Pool  | fd5f:abcd:64::/48                         | 1.2089e+24 | 7 (0%)     | 1.2089e+24 (100%) |',
        '| Block    | fd5f:abcd:64:4f2c:ec1b:27b9:1989:77c0/122 |         64 | 7 (11%)    | 57 (89%)          |',
        '+----------+-------------------------------------------+------------+------------+-------------------+',
        '',
      ].join('\n'),
    )
  })
})

describe('colour in tables', () => {
  const colour = new Chalk({level: 1})
  it('painted cells line up exactly as plain ones, and only the painted text carries codes', () => {
    const usage = [{name: 'a', cidr: '10.0.0.0/29', capacity: 8, inUse: 8, free: 0, reserved: 0, blocks: []}]
    const plain = usageTable(usage, false)
    const painted = usageTable(usage, false, colour)
    assert.notEqual(painted, plain)
    assert.equal(stripAnsi(painted), plain)
    assert.ok(painted.includes(`${colour.red('8 (100%)')}`), painted)
  })
  it('BGP session states: Established green, connecting yellow, idle or failed red; nothing without colour', () => {
    assert.equal(paintBgpState(colour, 'Established')?.('x'), colour.green('x'))
    assert.equal(paintBgpState(colour, 'Active Socket: Connection refused')?.('x'), colour.yellow('x'))
    assert.equal(paintBgpState(colour, 'Idle Received: Bad peer AS')?.('x'), colour.red('x'))
    assert.equal(paintBgpState(undefined, 'Established'), undefined)
    assert.equal(paintUsage(colour, 1, 8), undefined)
    const rows = [{name: 'Mesh_192_0_2_1', proto: 'BGP', table: 'master', state: 'up', since: '10:00:00', info: 'Established'}]
    const table = peerStatusTable(rows, 4, colour)
    assert.ok(table.includes(colour.green('Established')), table)
    assert.equal(stripAnsi(table), peerStatusTable(rows, 4))
  })
})
