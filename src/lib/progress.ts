// Progress for long work, on stderr and only when stderr is a terminal: pipes and scripts see
// nothing. Small jobs show nothing either.
export interface Progress {
  update(done: number): void
  stop(): void
}

const QUIET: Progress = {update() {}, stop() {}}

export function start(label: string, total: number): Progress {
  if (!process.stderr.isTTY || total < 500 || process.env.CALICOCTL_QUIET) return QUIET
  let last = 0
  return {
    update(done) {
      const now = Date.now()
      if (now - last < 100 && done < total) return
      last = now
      process.stderr.write(`\r${label}: ${done}/${total}`)
    },
    stop() {
      process.stderr.write('\r\x1b[K')
    },
  }
}
