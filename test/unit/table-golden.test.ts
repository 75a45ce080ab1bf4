// Golden tests for every table the CLI prints: `get <kind>` in ps, wide and custom-columns for every
// kind (as a list, with and without the NAMESPACE column, and one table per named resource), `node
// list`, `workload list`, `ipam show` and its --show-blocks/--show-borrowed/--show-configuration
// tables, and `node status`'s BGP peer tables. The files under test/fixtures/tables/golden were
// written from main's printers before they moved onto src/output/table.ts and box-table.ts; the
// move changed five, to upstream's layout (test/unit/table.test.ts proves it against upstream's
// own text): `ipam show`'s `IPS IN USE`/`IPS FREE` cells left-aligned and MaxBlocksPerHost
// right-aligned (tablewriter right-aligns numbers only), and `node status`'s INFO with single
// spaces, wrapped past 30 columns. Any other change of layout shows here as a diff.
// Rewrite the files after an intended change with: UPDATE_GOLDEN=1 node --import tsx --test test/unit/table-golden.test.ts
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'
import yaml from 'js-yaml'
import {parseProtocols, scanBirdReply} from '../../src/dataplane/bird/control.js'
import {peerStatusTable} from '../../src/node/status.js'
import type {BorrowedAddress, PoolUsage} from '../../src/ipam/index.js'
import {workloadListTable} from '../../src/node/workload.js'
import {type OutputFormat, printResources} from '../../src/output/printers.js'
import {KINDS} from '../../src/resources/registry.js'
import {API_VERSION, type Resource} from '../../src/resources/types.js'
import {borrowedTable, configurationTable, usageTable} from '../../src/service/ipam.js'
import {nodeListTable} from '../../src/service/wait.js'

const HERE = dirname(fileURLToPath(import.meta.url))
const GOLDEN_DIR = join(HERE, '..', 'fixtures', 'tables', 'golden')
const UPDATE = process.env.UPDATE_GOLDEN === '1'

const corpus = (yaml.load(readFileSync(join(HERE, '..', 'fixtures', 'tables', 'resources.yaml'), 'utf8')) as Resource[]).map((r) => ({...r, apiVersion: API_VERSION}))

function resourcesOf(kind: string): Resource[] {
  const def = KINDS.find((k) => k.kind === kind)!
  return corpus
    .filter((r) => r.kind === kind)
    .map((r) => {
      const copy = structuredClone(r)
      def.defaults?.(copy)
      return copy
    })
}

interface Case {
  name: string
  render: () => string | Promise<string>
}

const cases: Case[] = []
for (const def of KINDS) {
  const items = resourcesOf(def.kind)
  assert.ok(items.length > 0, `test/fixtures/tables/resources.yaml has no ${def.kind}`)
  const print = (format: OutputFormat, shape: 'list' | 'many', withNamespace: boolean) =>
    printResources({def, items, format, shape, withNamespace, cellContext: {asNumber: '64512'}})
  cases.push({name: `get-${def.plural}-ps`, render: () => print({type: 'ps'}, 'list', false)})
  cases.push({name: `get-${def.plural}-wide`, render: () => print({type: 'wide'}, 'list', false)})
  cases.push({name: `get-${def.plural}-by-name`, render: () => print({type: 'ps'}, 'many', false)})
  if (def.namespaced) {
    cases.push({name: `get-${def.plural}-ps-all-namespaces`, render: () => print({type: 'ps'}, 'list', true)})
    cases.push({name: `get-${def.plural}-wide-all-namespaces`, render: () => print({type: 'wide'}, 'list', true)})
  }
}
{
  const def = KINDS.find((k) => k.kind === 'IPPool')!
  cases.push({
    name: 'get-ippools-custom-columns',
    render: () => printResources({def, items: resourcesOf('IPPool'), format: {type: 'custom-columns', columns: ['cidr', 'name', 'nat']}, shape: 'list'}),
  })
  cases.push({name: 'get-ippools-empty', render: () => printResources({def, items: [], format: {type: 'ps'}, shape: 'list'})})
}

const nodeRows = [
  {node: 'node-a', agent: 'running', revision: '1234', time: '2026-12-06T23:00:00Z', result: 'ok', errors: []},
  {node: 'node-b-with-a-long-name', agent: 'stopped', revision: '98', time: '2026-12-06T22:59:01Z', result: 'failed', errors: ['routes: file exists', 'bird: not running']},
  {node: 'node-c', agent: 'none', revision: '-', time: '-', result: '-', errors: []},
]
cases.push({name: 'node-list-ps', render: () => nodeListTable(nodeRows)})
cases.push({name: 'node-list-wide', render: () => nodeListTable(nodeRows, true)})
cases.push({name: 'node-list-empty', render: () => nodeListTable([])})

const workloads = [
  {name: 'web-1', namespace: 'default', node: 'node-a', endpoint: 'eth0', interfaceName: 'cali0123456789a', ip: '10.0.1.5', profiles: []},
  {name: 'database-primary', namespace: 'production', node: 'node-b', endpoint: 'eth0', interfaceName: 'calibbb', ip: '10.0.1.77', profiles: []},
]
cases.push({name: 'workload-list', render: () => workloadListTable(workloads)})
cases.push({name: 'workload-list-empty', render: () => workloadListTable([])})

const usage: PoolUsage[] = [
  {
    name: 'pool-a',
    cidr: '10.65.0.0/16',
    capacity: 65536,
    inUse: 5,
    free: 65531,
    reserved: 0,
    blocks: [{cidr: '10.65.79.0/26', node: 'node-a', capacity: 64, inUse: 5, free: 59, reserved: 0}],
  },
  {
    name: 'pool-b',
    cidr: '10.66.0.0/29',
    capacity: 8,
    inUse: 8,
    free: 0,
    reserved: 0,
    blocks: [{cidr: '10.66.0.0/29', node: 'node-b', capacity: 8, inUse: 8, free: 0, reserved: 0}],
  },
  {
    name: 'big',
    cidr: '10.0.0.0/8',
    capacity: 16777216,
    inUse: 3,
    free: 16777213,
    reserved: 0,
    blocks: [{cidr: '10.0.0.0/26', node: 'node-c', capacity: 64, inUse: 3, free: 61, reserved: 0}],
  },
  {
    name: 'orphaned allocation blocks',
    cidr: '0.0.0.0/0',
    capacity: 0,
    inUse: 0,
    free: 0,
    reserved: 0,
    blocks: [{cidr: '192.0.2.0/26', capacity: 64, inUse: 1, free: 63, reserved: 0}],
  },
]
cases.push({name: 'ipam-show', render: () => usageTable(usage, false)})
cases.push({name: 'ipam-show-blocks', render: () => usageTable(usage, true)})
cases.push({name: 'ipam-show-empty', render: () => usageTable([], false)})

const borrowed: BorrowedAddress[] = [
  {ip: '10.65.79.9', borrowingNode: 'node-b', block: '10.65.79.0/26', blockOwner: 'node-a', attrs: {node: 'node-b', namespace: 'ns1', pod: 'pod-b'}},
  {ip: '10.65.79.10', borrowingNode: 'node-c', block: '10.65.79.0/26', blockOwner: 'node-a', attrs: {node: 'node-c', namespace: 'kubevirt', vmi: 'vm-1'}},
  {ip: '10.65.79.11', borrowingNode: 'node-c', block: '10.65.79.0/26', blockOwner: 'node-a', attrs: {node: 'node-c', type: 'ipipTunnelAddress'}},
  {ip: '10.65.79.12', borrowingNode: '', block: '10.65.79.0/26', blockOwner: 'node-a', attrs: {}},
]
cases.push({name: 'ipam-show-borrowed', render: () => borrowedTable(borrowed)})
cases.push({name: 'ipam-show-borrowed-empty', render: () => borrowedTable([])})
cases.push({name: 'ipam-show-configuration', render: () => configurationTable({strictAffinity: false, autoAllocateBlocks: true, maxBlocksPerHost: 0})})
cases.push({
  name: 'ipam-show-configuration-kubevirt',
  render: () => configurationTable({strictAffinity: true, autoAllocateBlocks: true, maxBlocksPerHost: 4, kubeVirtVMAddressPersistence: 'Enabled'}),
})

const birdFixture = (name: string) => readFileSync(join(HERE, '..', 'fixtures', 'bird', name), 'utf8').split('\n')
cases.push({name: 'node-status-v4', render: () => peerStatusTable(parseProtocols(scanBirdReply(birdFixture('show-protocols-bird1.txt'))))})
cases.push({name: 'node-status-v4-none', render: () => peerStatusTable([])})
cases.push({name: 'node-status-v6-none', render: () => peerStatusTable([], 6)})

describe('table golden files', () => {
  if (UPDATE) mkdirSync(GOLDEN_DIR, {recursive: true})
  for (const c of cases) {
    const file = join(GOLDEN_DIR, `${c.name}.txt`)
    it(c.name, async () => {
      const text = await c.render()
      if (UPDATE) writeFileSync(file, text)
      assert.ok(existsSync(file), `${file} is missing; create it with UPDATE_GOLDEN=1`)
      assert.equal(text, readFileSync(file, 'utf8'), `output differs from ${file} (UPDATE_GOLDEN=1 rewrites it after an intended change)`)
    })
  }
})
