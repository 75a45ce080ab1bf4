// Tests assert behaviour, not speed (speed is measured in bench/ as same-run ratios). The one
// use of elapsed time allowed is a hang guard: an upper bound at least ten times what the step
// usually takes, failing only when something hangs.

/** Starts a hang guard for `what`; call the returned function when the step is done. */
export function hangGuard(what: string, limitMs: number): () => void {
  const started = Date.now()
  return () => {
    const took = Date.now() - started
    if (took > limitMs) throw new Error(`hang guard: ${what} took ${took} ms, over the ${limitMs} ms limit (>= 10x its usual time)`)
  }
}
