// Colour as a person sees it: the built CLI under a real pseudo-terminal (util-linux `script`),
// against a real etcd. On a terminal, `ipam show` paints a nearly full pool and errors are red;
// NO_COLOR (any value, even empty) turns colour off, and so does a pipe; machine output
// (-o yaml/json) never carries colour. Without colour the output is upstream's, byte for byte.
import assert from 'node:assert/strict'
import {execFile, execFileSync} from 'node:child_process'
import {after, before, describe, test} from 'node:test'
import {EtcdDatastore} from '../../src/datastore/etcd.js'
import {ResourceStore} from '../../src/datastore/store.js'
import {Ipam} from '../../src/ipam/index.js'
import {kindByName} from '../../src/resources/registry.js'
import {readPool} from '../../src/resources/kinds/ippool.js'
import type {Resource} from '../../src/resources/types.js'
import {BIN, cliFor} from '../helpers/cli.js'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'

let scriptMissing: string | false = false
try {
  execFileSync('script', ['--version'], {stdio: 'ignore'})
} catch {
  scriptMissing = 'util-linux script (a pseudo-terminal) is not installed'
}

let etcd: TestEtcd
let ds: EtcdDatastore
let run: ReturnType<typeof cliFor>

const ESC = '\x1b['
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/** The CLI with stdout and stderr on a pseudo-terminal; what the terminal showed, \r\n as \n. */
function onTerminal(args: string[], env: Record<string, string | undefined>): Promise<{code: number; screen: string}> {
  const full: Record<string, string> = {}
  const merged = {...process.env, ETCD_ENDPOINTS: etcd.endpoint, DATASTORE_TYPE: 'etcdv3', CALICOCTL_CONFIG: '/nonexistent-default', TERM: 'xterm', ...env}
  for (const [k, v] of Object.entries(merged)) if (v !== undefined) full[k] = v
  if (!('NO_COLOR' in env)) delete full.NO_COLOR
  if (!('FORCE_COLOR' in env)) delete full.FORCE_COLOR
  // A person's shell, not a CI job's: chalk (supports-color) turns colour off wherever CI is set,
  // and the suite runs with CI=true.
  for (const k of ['CI', 'CONTINUOUS_INTEGRATION', 'TEAMCITY_VERSION', 'TF_BUILD']) if (!(k in env)) delete full[k]
  // script runs its command through a shell; every word is a constant of this file, quoted.
  const command = [process.execPath, BIN, ...args].map(quote).join(' ')
  return new Promise((resolve) => {
    execFile('script', ['-qec', command, '/dev/null'], {env: full, timeout: 60_000}, (err, stdout) => {
      const code = err ? Number((err as NodeJS.ErrnoException).code ?? 1) : 0
      resolve({code, screen: String(stdout).replace(/\r\n/g, '\n')})
    })
  })
}

before(async () => {
  etcd = await startEtcd()
  run = cliFor(etcd.endpoint)
  ds = await EtcdDatastore.connect({datastoreType: 'etcdv3', endpoints: [etcd.endpoint], timeoutMs: 5000} as never)
  const store = new ResourceStore(ds)
  const def = kindByName('IPPool')!
  const pool: Resource = {apiVersion: 'projectcalico.org/v3', kind: 'IPPool', metadata: {name: 'small'}, spec: {cidr: '10.10.0.0/28', blockSize: 28}}
  def.defaults?.(pool)
  const [res] = await store.createMany([{def, resource: store.prepareCreate(def, pool)}])
  assert.ok(res?.ok)
  // 15 of 16 addresses in use: 94%, past the red mark (90%).
  await new Ipam(ds).autoAssign({node: 'node-a', num: 15, handleId: 'h', attrs: {node: 'node-a'}, pools: [readPool(res.resource)]})
})
after(async () => {
  ds?.close()
  await etcd?.stop()
})

describe('colour on a terminal', {skip: scriptMissing}, () => {
  test('ipam show paints a nearly full pool red; without the codes it is the piped output', async () => {
    const piped = await run(['ipam', 'show'], {env: {NO_COLOR: undefined}})
    assert.equal(piped.code, 0, piped.stderr)
    assert.ok(!piped.stdout.includes(ESC), 'a pipe gets no colour')
    const tty = await onTerminal(['ipam', 'show'], {})
    assert.equal(tty.code, 0, tty.screen)
    assert.ok(tty.screen.includes(`${ESC}31m15 (94%)${ESC}39m`), JSON.stringify(tty.screen))
    assert.equal(tty.screen.replace(/\x1b\[\d+m/g, ''), piped.stdout)
  })

  test('NO_COLOR, set to anything or to nothing, turns colour off', async () => {
    for (const value of ['1', '']) {
      const tty = await onTerminal(['ipam', 'show'], {NO_COLOR: value})
      assert.equal(tty.code, 0, tty.screen)
      assert.ok(tty.screen.includes('15 (94%)'), tty.screen)
      assert.ok(!tty.screen.includes(ESC), `NO_COLOR=${JSON.stringify(value)}: ${JSON.stringify(tty.screen)}`)
    }
  })

  test('an error is red on a terminal, plain with NO_COLOR', async () => {
    const tty = await onTerminal(['get', 'nosuchkind'], {})
    assert.equal(tty.code, 1)
    assert.match(tty.screen, /^\x1b\[31m.*nosuchkind.*\x1b\[39m\n$/s)
    const plain = await onTerminal(['get', 'nosuchkind'], {NO_COLOR: '1'})
    assert.equal(plain.code, 1)
    assert.ok(!plain.screen.includes(ESC), plain.screen)
    assert.equal(tty.screen.replace(/\x1b\[\d+m/g, ''), plain.screen)
  })

  test('-o yaml and -o json never carry colour, even on a terminal', async () => {
    for (const format of ['yaml', 'json']) {
      const tty = await onTerminal(['get', 'ippools', '-o', format], {})
      assert.equal(tty.code, 0, tty.screen)
      assert.match(tty.screen, /10\.10\.0\.0\/28/)
      assert.ok(!tty.screen.includes(ESC), `-o ${format}: ${JSON.stringify(tty.screen)}`)
    }
  })

  test("chalk's FORCE_COLOR colours a pipe when asked; FORCE_COLOR=0 keeps a terminal plain", async () => {
    const forced = await run(['ipam', 'show'], {env: {NO_COLOR: undefined, FORCE_COLOR: '1'}})
    assert.ok(forced.stdout.includes(`${ESC}31m15 (94%)`), forced.stdout)
    const off = await onTerminal(['ipam', 'show'], {FORCE_COLOR: '0'})
    assert.ok(!off.screen.includes(ESC), off.screen)
  })
})
