// Every command line of upstream calicoctl v3.32.1's usage strings parses here: no upstream
// command word or option is unknown to us. The lines (test/fixtures/calicoctl-usage.ts) cite the
// upstream files they come from. Each runs through the built CLI against a real etcd (the node
// commands inside a network namespace of their own), with the global options before the command
// word in turn, and must not be a usage error (exit 2, unknown command or flag): it may still fail
// on the data (exit 1), as it may upstream. An upstream command we do not provide must be listed
// with its reason in the README's "Command line" compatibility section.
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {cli, cliFor, ROOT} from '../helpers/cli.js'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'
import {NetnsLab, netnsSkipReason} from '../helpers/netns.js'
import {GLOBAL_PREFIXES, UPSTREAM_COMMANDS} from '../fixtures/calicoctl-usage.js'

const USAGE_ERROR = /unknown command|Nonexistent flags?:|Unexpected argument|Missing required (flag|arg)|Expected .* to be one of|is not a valid option|flag .* expects a value/i

const ourCommands = new Set(Object.keys(JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')).commands).map((id) => id.replaceAll(':', ' ')))
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
const commandLineSection = /### Command line\n([\s\S]*?)(?=\n##|$)/.exec(readme)?.[1] ?? ''

let etcd: TestEtcd
let run: ReturnType<typeof cliFor>
const lab = new NetnsLab('uw')
let ns: string | undefined
const netnsSkip = netnsSkipReason()
const dir = mkdtempSync(join(tmpdir(), 'ctl-usage-walk-'))
const files: Record<string, string> = {}
const nodeFiles: Record<string, string> = {}

const MANIFEST = `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: walk-pool
spec:
  cidr: 10.77.0.0/16
  ipipMode: Never
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: walk-policy
  namespace: default
spec:
  selector: app == 'walk'
---
apiVersion: projectcalico.org/v3
kind: Node
metadata:
  name: node-0
spec:
  bgp:
    ipv4Address: 198.51.100.10/24
`

function cfgFile(name: string, endpoint: string): string {
  const path = join(dir, name)
  writeFileSync(path, `apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata: {}\nspec:\n  datastoreType: etcdv3\n  etcdEndpoints: ${endpoint}\n`)
  return path
}

before(async () => {
  etcd = await startEtcd()
  run = cliFor(etcd.endpoint)
  mkdirSync(join(dir, 'manifests', 'sub'), {recursive: true})
  mkdirSync(join(dir, 'logs', 'node'), {recursive: true})
  writeFileSync(join(dir, 'logs', 'node', 'current'), 'a log line\n')
  files.manifest = join(dir, 'manifests', 'walk.yaml')
  writeFileSync(files.manifest, MANIFEST)
  writeFileSync(join(dir, 'manifests', 'sub', 'more.yaml'), MANIFEST.split('---\n')[0]!)
  files.dir = join(dir, 'manifests')
  files.absent = join(dir, 'absent.yaml')
  writeFileSync(files.absent, 'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: never-created\nspec: {}\n')
  files.cfg = cfgFile('calicoctl.cfg', etcd.endpoint)
  files.template = join(dir, 'names.tmpl')
  writeFileSync(files.template, '{{range .}}{{range .Items}}{{.Name}}\n{{end}}{{end}}')
  files.kernelConfig = join(dir, 'kernel.config')
  writeFileSync(files.kernelConfig, 'CONFIG_IP_SET=y\nCONFIG_NETFILTER_XT_MATCH_MULTIPORT=m\n')
  files.out = join(dir, 'out', 'report.json')
  mkdirSync(join(dir, 'out'))
  files.logDir = join(dir, 'logs')
  const applied = await run(['apply', '-f', files.manifest])
  assert.equal(applied.code, 0, applied.stderr)
  files.report = join(dir, 'report.json')
  const report = await run(['ipam', 'check', '-o', files.report])
  assert.equal(report.code, 0, report.stderr)
  if (!netnsSkip) {
    ns = lab.addHost('n')
    Object.assign(nodeFiles, files, {cfg: cfgFile('calicoctl-ns.cfg', etcd.unixEndpoint)})
  }
})

after(async () => {
  await lab.cleanup()
  await etcd?.stop()
  rmSync(dir, {recursive: true, force: true})
})

const fill = (args: string[], with_: Record<string, string>) => args.map((a) => a.replace(/\{(\w+)\}/g, (m, k: string) => with_[k] ?? m))

/** Runs a line: the node commands inside their own network namespace, the rest on loopback. */
async function runLine(command: string, args: string[]) {
  if (command.startsWith('node ')) {
    const r = await cli(fill(args, nodeFiles), {netns: ns, env: {ETCD_ENDPOINTS: etcd.unixEndpoint, DATASTORE_TYPE: 'etcdv3', CALICOCTL_CONFIG: '/nonexistent-default'}})
    // node diags leaves its archive in a fresh temp directory, named on stdout.
    const archive = /Diags saved to (\S+)/.exec(r.stdout)?.[1]
    if (archive?.startsWith(tmpdir())) rmSync(join(archive, '..'), {recursive: true, force: true})
    return r
  }
  return run(fill(args, files))
}

describe('upstream calicoctl command lines parse', () => {
  test('every upstream command is ours or listed in the README with its reason', () => {
    for (const c of UPSTREAM_COMMANDS) {
      if (ourCommands.has(c.command)) continue
      assert.match(commandLineSection, new RegExp(`calicoctl ${c.command}`), `${c.command} (${c.source}) is neither a command of ours nor listed in README "Command line"`)
    }
  })

  UPSTREAM_COMMANDS.forEach((c, i) => {
    const present = ourCommands.has(c.command)
    const skip = c.command.startsWith('node ') && netnsSkip ? netnsSkip : false
    test(`calicoctl ${c.command} (${c.source})`, {skip}, async () => {
      assert.ok(present, `${c.command} is not a command of ours`)
      const help = await runLine(c.command, [...c.command.split(' '), '-h'])
      assert.equal(help.code, 0, `${c.command} -h: ${help.stderr}`)
      assert.match(help.stdout, /USAGE/)
      for (const [j, line] of c.lines.entries()) {
        // The global options before the command word, in turn (and none, every sixth line).
        const prefixes = [[], ...GLOBAL_PREFIXES]
        const prefix = prefixes[(i + j) % prefixes.length]!
        const args = [...prefix, ...c.command.split(' '), ...line]
        const r = await runLine(c.command, args)
        const shown = `calicoctl ${args.join(' ')}\nexit ${r.code}\n${r.stderr}`
        assert.ok(r.code === 0 || r.code === 1, shown)
        assert.doesNotMatch(r.stderr, USAGE_ERROR, shown)
        if (c.command === 'datastore migrate lock') await run(['datastore', 'migrate', 'unlock'])
      }
    })
  })

  test('the line files were used as written (a check of the harness)', () => {
    assert.ok(existsSync(files.report!))
    assert.ok(existsSync(files.out!), 'ipam check -o wrote its report')
  })
})
