// onStopSignal (src/lib/process.ts): the stop runs once, and a second copy of the signal, as
// `timeout` sends one to the command and one to its process group, is caught too instead of
// killing the process mid-cleanup. With process.once the child below died of the second SIGTERM.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {test} from 'node:test'

const module = fileURLToPath(new URL('../../src/lib/process.ts', import.meta.url))

// The child says when it stops, then finishes its "cleanup" only when its stdin ends.
const child = `
import {onStopSignal} from ${JSON.stringify(module)}
let stops = 0
onStopSignal((sig) => { stops++; process.stdout.write('stopping on ' + sig + '\\n') })
process.stdin.on('end', () => { process.stdout.write('stops ' + stops + '\\n'); process.exit(3) })
process.stdin.resume()
process.stdout.write('ready\\n')
`

for (const signal of ['SIGTERM', 'SIGINT'] as const)
  test(`a second ${signal} during the stop neither kills the process nor stops it twice`, {timeout: 30_000}, async () => {
    const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child], {stdio: ['pipe', 'pipe', 'inherit']})
    let out = ''
    const waiters: Array<() => void> = []
    p.stdout.on('data', (b: Buffer) => {
      out += b.toString()
      for (const w of waiters.splice(0)) w()
    })
    const said = (re: RegExp) =>
      new Promise<void>((resolve) => {
        const check = () => (re.test(out) ? resolve() : waiters.push(check))
        check()
      })
    const exit = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => p.once('exit', (code, sig) => resolve([code, sig])))
    await said(/^ready$/m)
    p.kill(signal)
    await said(/stopping on/)
    // The handler has run; the second copy arrives while the process is still cleaning up.
    p.kill(signal)
    p.stdin.end()
    const [code, sig] = await exit
    assert.equal(sig, null, `killed by ${sig}: ${out}`)
    assert.equal(code, 3, out)
    assert.match(out, new RegExp(`stopping on ${signal}\\n`))
    assert.match(out, /stops 1\n/)
  })
