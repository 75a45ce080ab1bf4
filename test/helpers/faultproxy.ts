// A TCP proxy between the CLI and etcd that injects faults at a chosen point of the byte stream:
// after `triggerAfter` bytes from the client it freezes (forwards nothing either way), tells the
// test, and then either drops every connection (`cut`) or keeps swallowing traffic (blackhole).
import {createServer, type Server, type Socket, connect} from 'node:net'

export interface FaultProxy {
  endpoint: string
  /** Bytes seen from clients so far. */
  readonly bytes: number
  /** True once the trigger fired. */
  readonly fired: boolean
  /** Resolves when the trigger fires. */
  triggered: Promise<void>
  /** Drop every connection; later connections are refused (reset at once). */
  cut(): void
  close(): Promise<void>
}

export async function startFaultProxy(upstreamPort: number, triggerAfter = Number.POSITIVE_INFINITY): Promise<FaultProxy> {
  let bytes = 0
  let frozen = false
  let dead = false
  const sockets = new Set<Socket>()
  let fire!: () => void
  const triggered = new Promise<void>((r) => {
    fire = r
  })
  const server: Server = createServer((client) => {
    if (dead) {
      client.destroy()
      return
    }
    const up = connect(upstreamPort, '127.0.0.1')
    sockets.add(client)
    sockets.add(up)
    const drop = () => {
      client.destroy()
      up.destroy()
      sockets.delete(client)
      sockets.delete(up)
    }
    client.on('error', drop)
    up.on('error', drop)
    client.on('close', drop)
    up.on('close', drop)
    client.on('data', (chunk: Buffer) => {
      if (frozen) return
      bytes += chunk.length
      if (bytes >= triggerAfter) {
        frozen = true
        fire()
        return
      }
      up.write(chunk)
    })
    up.on('data', (chunk: Buffer) => {
      if (!frozen) client.write(chunk)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const addr = server.address()
  const port = typeof addr === 'object' && addr ? addr.port : 0
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get bytes() {
      return bytes
    },
    get fired() {
      return frozen
    },
    triggered,
    cut() {
      dead = true
      for (const s of sockets) s.destroy()
      sockets.clear()
    },
    async close() {
      dead = true
      for (const s of sockets) s.destroy()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}
