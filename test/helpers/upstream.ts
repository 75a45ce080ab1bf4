// A harness that runs the CLI the way upstream calicoctl's system tests do
// (calicoctl/tests/st/utils/utils.py, v3.32.1): the input written to a file (YAML or JSON) and
// passed with `-f`, or piped with `-f -`; `--allow-version-mismatch` before the command word;
// stdout and stderr read together with trailing whitespace removed; get output decoded and
// compared after dropping server-set metadata and empty values. The resources are our own
// fixtures of the same shapes as upstream's tests/st/utils/data.py.
import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import yaml from 'js-yaml'
import {cli} from './cli.js'

export const API = 'projectcalico.org/v3'
// Upstream's expected-error fragments (utils.py).
export const ERROR_CONFLICT = 'update conflict'
export const NOT_FOUND = 'resource does not exist'
export const NOT_NAMESPACED = 'is not namespaced'
export const SET_DEFAULT = 'Cannot set'
export const NOT_SUPPORTED = 'is not supported on'
export const KUBERNETES_NP = 'kubernetes network policies must be managed through the kubernetes API'

type Doc = Record<string, any>

export interface Outcome {
  command: string
  code: number
  output: string
  decoded: any
  format: 'json' | 'yaml' | undefined
}

export interface RunOptions {
  format?: 'yaml' | 'json'
  stdin?: boolean
  /** No datastore settings at all (upstream's no_config). */
  noConfig?: boolean
  onlyStdout?: boolean
  allowVersionMismatch?: boolean
}

/** Splits a command line as a POSIX shell would for plain words and '…' / "…" quoting. */
export function shellWords(line: string): string[] {
  const out: string[] = []
  let cur: string | undefined
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1)
      if (end < 0) throw new Error(`unterminated quote in ${line}`)
      cur = (cur ?? '') + line.slice(i + 1, end)
      i = end
    } else if (/\s/.test(c)) {
      if (cur !== undefined) out.push(cur)
      cur = undefined
    } else cur = (cur ?? '') + c
  }
  if (cur !== undefined) out.push(cur)
  return out
}

export function decode(text: string): {decoded: any; format: 'json' | 'yaml' | undefined} {
  try {
    return {decoded: JSON.parse(text), format: 'json'}
  } catch {}
  try {
    return {decoded: yaml.load(text, {schema: yaml.JSON_SCHEMA}), format: 'yaml'}
  } catch {}
  return {decoded: undefined, format: undefined}
}

/** Upstream's clean_calico_data: no uid, resourceVersion, creationTimestamp, nulls or empty objects. */
export function clean(data: unknown): unknown {
  const walk = (v: any): any => {
    if (Array.isArray(v)) return v.map(walk)
    if (v && typeof v === 'object') {
      const out: Doc = {}
      for (const [k, e] of Object.entries(v)) {
        if (k === 'uid' || k === 'resourceVersion' || k === 'creationTimestamp') continue
        const c = walk(e)
        if (c === null || c === undefined || (typeof c === 'object' && !Array.isArray(c) && Object.keys(c).length === 0)) continue
        out[k] = c
      }
      return out
    }
    return v
  }
  return walk(data)
}

/** Upstream's add_tier_label: policies carry their tier as the projectcalico.org/tier label. */
export function withTierLabel<T>(data: T): T {
  const add = (d: Doc) => {
    if (!['NetworkPolicy', 'GlobalNetworkPolicy', 'StagedNetworkPolicy', 'StagedGlobalNetworkPolicy'].includes(d.kind)) return d
    const copy = structuredClone(d)
    copy.metadata.labels = {...copy.metadata.labels, 'projectcalico.org/tier': copy.spec.tier ?? 'default'}
    return copy
  }
  return (Array.isArray(data) ? data.map(add) : add(data as Doc)) as T
}

export const listOf = (kind: string, items: unknown[]) => ({kind: kind.endsWith('List') ? kind : `${kind}List`, apiVersion: API, items})

export function upstreamCli(endpoint: string) {
  const dir = mkdtempSync(join(tmpdir(), 'ctl-upstream-'))
  let n = 0
  const calicoctl = async (command: string, data?: unknown, o: RunOptions = {}): Promise<Outcome> => {
    const args = shellWords(command)
    let input: string | undefined
    if (data !== undefined) {
      const text = o.format === 'json' ? `${JSON.stringify(data, null, 2)}\n` : yaml.dump(data)
      if (o.stdin) {
        input = text
        args.push('-f', '-')
      } else {
        const file = join(dir, `input-data-${++n}`)
        writeFileSync(file, text)
        args.push('-f', file)
      }
    }
    if (o.allowVersionMismatch !== false) args.unshift('--allow-version-mismatch')
    const env = o.noConfig
      ? {ETCD_ENDPOINTS: undefined, DATASTORE_TYPE: undefined, CALICOCTL_CONFIG: '/nonexistent-default'}
      : {ETCD_ENDPOINTS: endpoint, DATASTORE_TYPE: 'etcdv3', CALICOCTL_CONFIG: '/nonexistent-default'}
    const r = await cli(args, {env, ...(input !== undefined ? {input} : {})})
    const output = (o.onlyStdout ? r.stdout : r.stdout + r.stderr).trimEnd()
    return {command: `calicoctl ${args.join(' ')}`, code: r.code, output, ...decode(output)}
  }
  return calicoctl
}

const show = (o: Outcome) => `${o.command} => exit ${o.code}, output: ${JSON.stringify(o.output.slice(0, 4000))}`

export function noError(o: Outcome, text?: string): void {
  assert.equal(o.code, 0, `expected success: ${show(o)}`)
  if (text) contains(o, text)
}

export function isError(o: Outcome, text?: string): void {
  assert.notEqual(o.code, 0, `expected an error: ${show(o)}`)
  assert.ok(!o.output.includes('panic'), `panicked: ${show(o)}`)
  if (text) contains(o, text)
}

export function contains(o: Outcome, text: string): void {
  assert.ok(o.output.includes(text), `expected ${JSON.stringify(text)} in: ${show(o)}`)
}

export function notContains(o: Outcome, text: string): void {
  assert.ok(!o.output.includes(text), `did not expect ${JSON.stringify(text)} in: ${show(o)}`)
}

/** Upstream's assert_data: decoded output (cleaned) equals the data, in the expected format. */
export function data(o: Outcome, expected: unknown, format: 'json' | 'yaml' = 'yaml'): void {
  noError(o)
  assert.equal(o.format, format, `output format: ${show(o)}`)
  assert.deepEqual(clean(o.decoded), expected)
}

export const list = (o: Outcome, kind: string, items: unknown[], format: 'json' | 'yaml' = 'yaml') => data(o, listOf(kind, items), format)

export const name = (d: Doc) => d.metadata.name as string
