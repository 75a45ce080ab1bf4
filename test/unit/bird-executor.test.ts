import assert from 'node:assert/strict'
import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {applyBirdConfig, syncBird} from '../../src/dataplane/bird/index.js'
import type {CommandRunner} from '../../src/lib/exec.js'
import {baseInput} from '../fixtures/bird/inputs.js'

const dir = mkdtempSync(join(tmpdir(), 'bird-exec-'))
const servers: Server[] = []
after(() => {
  for (const s of servers) s.close()
  rmSync(dir, {recursive: true, force: true})
})

/** Records `bird -p` calls; fails the parse when the file contains BROKEN. */
function fakeBirdP(): {runner: CommandRunner; calls: string[][]} {
  const calls: string[][] = []
  const runner: CommandRunner = async (file, args) => {
    calls.push([file, ...args])
    const text = readFileSync(args[2] ?? '', 'utf8')
    if (text.includes('BROKEN')) return {stdout: '', stderr: `bird: ${args[2]}:3:1 syntax error, unexpected CF_SYM_UNDEFINED\n`, exitCode: 1}
    return {stdout: '', stderr: '', exitCode: 0}
  }
  return {runner, calls}
}

/** A fake daemon answering `configure` and `configure check "FILE"` as BIRD 2 does, counting the calls. */
async function fakeDaemon(sock: string, configPath: string): Promise<{configures: number; checked: string[]}> {
  const state = {configures: 0, checked: [] as string[]}
  const srv = createServer((c) => {
    c.write('0001 BIRD 2.0.12 ready.\n')
    c.on('data', (d) => {
      for (const line of d.toString().split('\n').filter(Boolean)) {
        const check = /^configure check "(.+)"$/.exec(line)
        if (check?.[1]) {
          const file = check[1]
          state.checked.push(file)
          const text = readFileSync(file, 'utf8')
          c.write(`0002-Reading configuration from ${file}\n`)
          c.write(text.includes('BROKEN') ? `8002 ${file}:2:1 syntax error, unexpected CF_SYM_UNDEFINED\n` : '0020 Configuration OK\n')
        } else if (line === 'configure') {
          state.configures++
          c.write(`0002-Reading configuration from ${configPath}\n0003 Reconfigured\n`)
        }
      }
    })
  })
  servers.push(srv)
  await new Promise<void>((r) => srv.listen(sock, () => r()))
  return state
}

describe('applyBirdConfig', () => {
  it('writes, validates and reloads; an identical second apply does nothing', async () => {
    const configPath = join(dir, 'a.cfg')
    const sock = join(dir, 'a.ctl')
    const daemon = await fakeDaemon(sock, configPath)
    const {runner, calls} = fakeBirdP()
    const r1 = await applyBirdConfig({configPath, socketPath: sock, text: 'router id 198.51.100.95;\n', runner})
    assert.deepEqual([r1.status, r1.changed, r1.reloaded], ['reloaded', true, true])
    assert.equal(readFileSync(configPath, 'utf8'), 'router id 198.51.100.95;\n')
    assert.equal(calls.length, 0, 'a running daemon checks the file itself: no bird -p')
    assert.equal(daemon.checked.length, 1)
    assert.notEqual(daemon.checked[0], configPath, 'validates a temp file, not the live one')
    assert.equal(daemon.configures, 1)
    const mtime = statSync(configPath).mtimeMs
    const r2 = await applyBirdConfig({configPath, socketPath: sock, text: 'router id 198.51.100.95;\n', runner})
    assert.deepEqual([r2.status, r2.changed, r2.reloaded], ['unchanged', false, false])
    assert.equal(daemon.checked.length, 1, 'no check for an unchanged file')
    assert.equal(daemon.configures, 1, 'no reload for an unchanged file')
    assert.equal(statSync(configPath).mtimeMs, mtime)
  })

  it('a config bird -p rejects leaves the live file alone and names the problem', async () => {
    const configPath = join(dir, 'b.cfg')
    writeFileSync(configPath, 'old\n')
    const {runner} = fakeBirdP()
    await assert.rejects(
      applyBirdConfig({configPath, socketPath: join(dir, 'nobody.ctl'), text: 'x\nBROKEN\n', runner}),
      /rejected by bird -p, .*b\.cfg left unchanged: <new config>:3:1 syntax error/,
    )
    assert.equal(readFileSync(configPath, 'utf8'), 'old\n')
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'temp file removed')
  })

  it('a config the running daemon rejects leaves the live file alone, is not reloaded, and names the problem', async () => {
    const configPath = join(dir, 'e.cfg')
    const sock = join(dir, 'e.ctl')
    writeFileSync(configPath, 'old\n')
    const daemon = await fakeDaemon(sock, configPath)
    const {runner, calls} = fakeBirdP()
    await assert.rejects(
      applyBirdConfig({configPath, socketPath: sock, text: 'x\nBROKEN\n', runner}),
      /rejected by BIRD, .*e\.cfg left unchanged: <new config>:2:1 syntax error/,
    )
    assert.equal(readFileSync(configPath, 'utf8'), 'old\n')
    assert.deepEqual([daemon.checked.length, daemon.configures, calls.length], [1, 0, 0])
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'temp file removed')
  })

  it('removes temp copies a killed pass left behind, not those of a live process', async () => {
    const sub = mkdtempSync(join(dir, 'orphans-'))
    const configPath = join(sub, 'bird.cfg')
    // A pid no process has (above the kernel's limit) and this test's own parent, which is alive.
    const orphan = join(sub, '.bird.cfg.4194999.deadbeef.tmp')
    const live = join(sub, `.bird.cfg.${process.ppid}.cafef00d.tmp`)
    writeFileSync(orphan, 'half\n')
    writeFileSync(live, 'busy\n')
    const {runner} = fakeBirdP()
    await applyBirdConfig({configPath, socketPath: join(sub, 'nobody.ctl'), text: 'new\n', runner})
    assert.deepEqual(readdirSync(sub).sort(), [`.bird.cfg.${process.ppid}.cafef00d.tmp`, 'bird.cfg'].sort())
  })

  it('without a daemon the file is written and that is reported; dry run writes nothing', async () => {
    const configPath = join(dir, 'c.cfg')
    const {runner} = fakeBirdP()
    const dry = await applyBirdConfig({configPath, socketPath: join(dir, 'nobody.ctl'), text: 'new\n', runner, dryRun: true})
    assert.deepEqual([dry.status, dry.changed], ['would-change', true])
    assert.throws(() => statSync(configPath), /ENOENT/)
    const r = await applyBirdConfig({configPath, socketPath: join(dir, 'nobody.ctl'), text: 'new\n', runner})
    assert.deepEqual([r.status, r.changed, r.reloaded], ['written-not-running', true, false])
    assert.equal(readFileSync(configPath, 'utf8'), 'new\n')
  })

  it('complains when the daemon reads a different file', async () => {
    const configPath = join(dir, 'd.cfg')
    const sock = join(dir, 'd.ctl')
    await fakeDaemon(sock, '/etc/bird/bird.conf')
    const {runner} = fakeBirdP()
    await assert.rejects(applyBirdConfig({configPath, socketPath: sock, text: 'x\n', runner}), /reads \/etc\/bird\/bird\.conf, not .*d\.cfg/)
  })
})

describe('syncBird', () => {
  it('renders from the model into configDir/bird.cfg and is idempotent', async () => {
    const configDir = mkdtempSync(join(dir, 'sync-'))
    const {runner, calls} = fakeBirdP()
    const opts = {configDir, socketPath: join(configDir, 'bird.ctl'), dryRun: false, runner}
    const r1 = await syncBird(baseInput(), opts)
    assert.equal(r1.changed, true)
    assert.equal(r1.reloaded, false)
    assert.match(r1.text, /protocol bgp Mesh_198_51_100_96 /)
    assert.equal(readFileSync(join(configDir, 'bird.cfg'), 'utf8'), r1.text)
    const r2 = await syncBird(baseInput(), opts)
    assert.deepEqual([r2.changed, r2.reloaded, r2.text], [false, false, r1.text])
    const r3 = await syncBird(baseInput({ownBlocks: ['192.168.10.0/26', '192.168.10.64/26']}), {...opts, dryRun: true})
    assert.equal(r3.changed, true)
    assert.equal(readFileSync(join(configDir, 'bird.cfg'), 'utf8'), r1.text, 'dry run leaves the file')
    assert.equal(calls.length, 1)
  })
})
