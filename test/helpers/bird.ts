// Reading a running BIRD's tables in tests.
import {BirdControl} from '../../src/dataplane/bird/index.js'

/** Prefixes a `show route …` command lists (the lines that start a route), sorted. */
export async function birdPrefixes(socketPath: string, command = 'show route'): Promise<string[]> {
  const c = await BirdControl.connect(socketPath)
  try {
    const r = await c.command(command)
    return r.lines
      .map((l) => /^(\d+\.\d+\.\d+\.\d+\/\d+)\s/.exec(l.text)?.[1])
      .filter((p): p is string => p !== undefined)
      .sort()
  } finally {
    c.close()
  }
}
