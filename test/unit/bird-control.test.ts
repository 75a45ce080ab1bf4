import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {mkdtempSync, rmSync} from 'node:fs'
import {createServer, type Server} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {
  BirdControl,
  BirdNotRunningError,
  configureBird,
  parseConfigure,
  parseProtocols,
  scanBirdReply,
  showProtocols,
} from '../../src/dataplane/bird/control.js'
import {peerStatusTable} from '../../src/node/status.js'

const fixture = (name: string) => readFileSync(new URL(`../fixtures/bird/${name}`, import.meta.url), 'utf8').split('\n')

describe('scanBirdReply', () => {
  it('reads the greeting', () => {
    const r = scanBirdReply(fixture('greeting.txt'))
    assert.equal(r.complete, true)
    assert.deepEqual(r.lines, [{code: 1, text: 'BIRD 2.0.12 ready.'}])
  })

  it('carries the code over space-continued lines and stops at 0000', () => {
    const r = scanBirdReply(fixture('show-protocols-up.txt'))
    assert.equal(r.complete, true)
    assert.deepEqual(
      r.lines.map((l) => l.code),
      [2002, 1002, 1002, 1002, 1002, 1002, 0],
    )
    assert.equal(r.lines[5]?.text.startsWith('Mesh_198_51_100_96 BGP'), true)
  })

  it('is incomplete until a final line arrives, and rejects garbage', () => {
    assert.equal(scanBirdReply(['2002-Name Proto', '1002-device1 Device --- up 10:00:00.000']).complete, false)
    assert.throws(() => scanBirdReply(['hello']), /unexpected output line from BIRD/)
  })
})

describe('show protocols', () => {
  it('parses BIRD 2 rows, with an empty info column', () => {
    const rows = parseProtocols(scanBirdReply(fixture('show-protocols-up.txt')))
    assert.equal(rows.length, 5)
    assert.deepEqual(rows[0], {name: 'device1', proto: 'Device', table: '---', state: 'up', since: '15:38:43.365', info: ''})
    assert.deepEqual(rows[4], {name: 'Mesh_198_51_100_96', proto: 'BGP', table: '---', state: 'up', since: '15:38:44.124', info: 'Established'})
  })

  it('keeps multi-word info and dates with times (BIRD 1.x style)', () => {
    const down = parseProtocols(scanBirdReply(fixture('show-protocols-down.txt')))
    assert.equal(down[4]?.state, 'start')
    assert.equal(down[4]?.info, 'Passive       Received: Administrative shutdown')
    const old = parseProtocols(scanBirdReply(fixture('show-protocols-bird1.txt')))
    assert.deepEqual(
      old.map((r) => [r.name, r.since, r.info]),
      [
        ['kernel1', '2019-03-04', ''],
        ['device1', '2019-03-04', ''],
        ['direct1', '2019-03-04', ''],
        ['Mesh_10_0_5_2', '2019-03-04', 'Established'],
        ['Global_203_0_113_7', '2019-03-04 10:11:12', 'Connect'],
        ['Node_203_0_113_9_port_1790', '2019-03-04', 'Active        Socket: Connection refused'],
        ['Local_Workload_10_0_5_9', '2019-03-04', 'Established'],
      ],
    )
  })

  it('turns an error reply into an error', () => {
    assert.throws(() => parseProtocols(scanBirdReply(fixture('unknown-command.txt'))), /BIRD: syntax error/)
  })
})

describe('configure replies', () => {
  it('success names the file that was read', () => {
    const r = parseConfigure(scanBirdReply(fixture('configure-ok.txt')))
    assert.equal(r.ok, true)
    assert.equal(r.message, 'Reconfigured')
    assert.equal(r.file, '/etc/calico/bird/bird.cfg')
  })
  it('a parse error is a failure with BIRD\'s message', () => {
    const r = parseConfigure(scanBirdReply(fixture('configure-error.txt')))
    assert.equal(r.ok, false)
    assert.match(r.message, /bird\.cfg:90:1 syntax error/)
  })
})

describe('node status table', () => {
  it('lists Mesh/Global/Node BGP peers as calicoctl does and skips the rest', () => {
    const rows = parseProtocols(scanBirdReply(fixture('show-protocols-bird1.txt')))
    assert.equal(
      peerStatusTable(rows),
      [
        'IPv4 BGP status',
        // calicoctl's tablewriter: info words joined by single spaces, a cell over 30 columns wrapped.
        '+-----------------------+-------------------+-------+---------------------+--------------------------------+',
        '|     PEER ADDRESS      |     PEER TYPE     | STATE |        SINCE        |              INFO              |',
        '+-----------------------+-------------------+-------+---------------------+--------------------------------+',
        '| 10.0.5.2              | node-to-node mesh | up    | 2019-03-04          | Established                    |',
        '| 203.0.113.7           | global            | start | 2019-03-04 10:11:12 | Connect                        |',
        '| 203.0.113.9.port.1790 | node specific     | start | 2019-03-04          | Active Socket: Connection      |',
        '|                       |                   |       |                     | refused                        |',
        '+-----------------------+-------------------+-------+---------------------+--------------------------------+',
        '',
      ].join('\n'),
    )
  })
  it('says so when there are no peers', () => {
    assert.equal(peerStatusTable(parseProtocols(scanBirdReply(fixture('show-protocols-up.txt'))).slice(0, 3)), 'IPv4 BGP status\nNo IPv4 peers found.\n')
  })
})

// A fake daemon on a unix socket that replays fixture replies, to test the client's I/O.
describe('BirdControl over a unix socket', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bird-ctl-'))
  const servers: Server[] = []
  after(() => {
    for (const s of servers) s.close()
    rmSync(dir, {recursive: true, force: true})
  })

  function fakeBird(path: string, replies: Record<string, string>, chunked = false): Promise<void> {
    const srv = createServer((c) => {
      c.write('0001 BIRD 2.0.12 ready.\n')
      let buf = ''
      c.on('data', (d) => {
        buf += d.toString()
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const cmd = buf.slice(0, nl)
          buf = buf.slice(nl + 1)
          const reply = replies[cmd] ?? '9001 syntax error\n'
          if (!chunked) c.write(reply)
          else for (let i = 0; i < reply.length; i += 7) setTimeout(() => c.write(reply.slice(i, i + 7)), i / 7)
        }
      })
    })
    servers.push(srv)
    return new Promise((r) => srv.listen(path, () => r()))
  }

  it('sends commands and reads whole replies, even when they arrive in pieces', async () => {
    const sock = join(dir, 'a.ctl')
    await fakeBird(sock, {'show protocols': fixture('show-protocols-up.txt').join('\n'), configure: fixture('configure-ok.txt').join('\n')}, true)
    const rows = await showProtocols(sock)
    assert.equal(rows[4]?.name, 'Mesh_198_51_100_96')
    const c = await BirdControl.connect(sock)
    try {
      assert.equal((await c.configure()).ok, true)
      assert.equal((await c.showProtocols()).length, 5)
    } finally {
      c.close()
    }
  })

  it('times out on a silent daemon and reports a missing one as not running', async () => {
    const sock = join(dir, 'silent.ctl')
    const srv = createServer(() => {})
    servers.push(srv)
    await new Promise<void>((r) => srv.listen(sock, () => r()))
    await assert.rejects(configureBird(sock, {timeoutMs: 200}), /timed out waiting for a reply from BIRD/)
    await assert.rejects(configureBird(join(dir, 'none.ctl')), (e) => e instanceof BirdNotRunningError)
  })
})
