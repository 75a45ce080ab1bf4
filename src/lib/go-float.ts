// Go's default printing of a float64, as calicoctl's tables and templates show numbers.

/** Go's `%v` of a float64 (strconv 'g', shortest): exponent form when the exponent is < -4 or >= 6, e.g. 1e+06. */
export function goFloat(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN'
  if (n === 0) return Object.is(n, -0) ? '-0' : '0'
  const [mant, e] = n.toExponential().split('e') as [string, string]
  const exp = Number(e)
  if (exp < -4 || exp >= 6) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`
  return String(n)
}

/**
 * A number or boolean decoded into a Go string field, as sigs.k8s.io/yaml writes it there
 * (strconv.FormatInt for integers, FormatFloat(v, 'g', -1, 32) for floats, "true"/"false").
 * An integral float (`1.0`, `1e6`) is not told apart from an integer here.
 */
export function goString(v: number | boolean): string {
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (Number.isInteger(v) && Math.abs(v) < 2 ** 64) return (v === 0 ? 0 : v).toString(10)
  return formatFloat32(v)
}

/** strconv.FormatFloat(v, 'g', -1, 32): Go's 'g' form (goFloat) of the shortest digits that read back as the same float32. */
function formatFloat32(v: number): string {
  const f = Math.fround(v)
  if (!Number.isFinite(f) || f === 0) return goFloat(f)
  let p = 1
  while (p < 9 && Math.fround(Number(f.toPrecision(p))) !== f) p++
  return goFloat(Number(f.toPrecision(p)))
}
