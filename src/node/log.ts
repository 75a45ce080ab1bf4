// The agent's log: one line per message on a stream, `2024-05-01T10:00:00.000Z [INFO] message`,
// filtered by level. Its own module so that `node run` can log its first action (registration)
// before the rest of the agent is loaded.
export const LOG_LEVELS = ['panic', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export type Logger = (level: Exclude<LogLevel, 'panic' | 'trace'>, message: string) => void

/** One line per message on a stream: `2024-05-01T10:00:00.000Z [INFO] message`, filtered by level. */
export function makeLogger(level: string, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const norm = (level === 'warning' ? 'warn' : level) as LogLevel
  const max = Math.max(0, LOG_LEVELS.indexOf(norm))
  return (lvl, message) => {
    if (LOG_LEVELS.indexOf(lvl) > max) return
    write(`${new Date().toISOString()} [${lvl.toUpperCase()}] ${message}\n`)
  }
}
