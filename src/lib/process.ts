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
