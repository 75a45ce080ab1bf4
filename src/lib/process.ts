// Whether a PID names a live process (lock files, status files and temp files carry their
// writer's PID, and a dead writer's leftovers are taken over or removed).
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Calls `stop` on the first SIGTERM or SIGINT and keeps catching both afterwards. `timeout` (and a
 * supervisor that signals the process group) delivers the same signal twice, and with a one-shot
 * listener the second copy met the default action and killed the process mid-cleanup (exit 143).
 */
export function onStopSignal(stop: (signal: 'SIGTERM' | 'SIGINT') => void): void {
  let stopped = false
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.on(signal, () => {
      if (stopped) return
      stopped = true
      stop(signal)
    })
}
