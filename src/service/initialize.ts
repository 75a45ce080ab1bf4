// The cluster's one-time initialisation, as libcalico-go's clientv3 EnsureInitialized: the
// ClusterInformation `default` (a GUID, datastoreReady, the Calico version and cluster type when
// the caller knows them) and the tiers Calico creates itself. calico-node calls it at start with
// its version and cluster type; calicoctl calls it with neither before create/apply/replace
// write anything (calicoctl/calicoctl/commands/common/resources.go), so the cluster fields stay
// empty ("unknown" in `version`) until an agent has run. Safe to repeat; concurrent callers
// converge (create races and update conflicts are retried).
import {randomBytes} from 'node:crypto'
import type {ResourceStore} from '../datastore/store.js'
import {AlreadyExistsError, ConflictError} from '../resources/errors.js'
import {STATIC_TIERS} from '../resources/kinds/tier.js'
import {kindByName} from '../resources/registry.js'
import {API_VERSION, type Resource} from '../resources/types.js'
import {sleep} from '../lib/sleep.js'

export interface InitOptions {
  /** Recorded as spec.calicoVersion when given (the agent's version). */
  calicoVersion?: string
  /** Comma-separated cluster types merged into spec.clusterType when given. */
  clusterType?: string
}

const ATTEMPTS = 10

/** The ClusterInformation spec after initialisation, or undefined when `spec` needs no change. */
export function initialisedSpec(spec: Record<string, unknown> | undefined, opts: InitOptions, newGuid: () => string): Record<string, unknown> | undefined {
  const next: Record<string, unknown> = {...spec}
  if (opts.calicoVersion) next.calicoVersion = opts.calicoVersion
  if (!next.clusterGUID) next.clusterGUID = newGuid()
  if (next.datastoreReady === undefined || next.datastoreReady === null) next.datastoreReady = true
  if (opts.clusterType) {
    const have = String(next.clusterType ?? '')
      .split(',')
      .filter((t) => t !== '')
    for (const t of opts.clusterType.split(',')) if (t !== '' && !have.includes(t)) have.push(t)
    next.clusterType = have.join(',')
  }
  const changed = ['calicoVersion', 'clusterGUID', 'datastoreReady', 'clusterType'].some((k) => next[k] !== spec?.[k])
  return spec && !changed ? undefined : next
}

export async function ensureInitialized(store: ResourceStore, opts: InitOptions = {}): Promise<void> {
  const def = kindByName('ClusterInformation')!
  const guid = () => randomBytes(16).toString('hex')
  for (let attempt = 0; ; attempt++) {
    const stored = await store.get(def, 'default')
    const spec = initialisedSpec(stored?.spec as Record<string, unknown> | undefined, opts, guid)
    if (!spec) break
    const [o] = stored
      ? await store.updateMany([{def, resource: store.prepareUpdate(stored, {...stored, spec})}])
      : await store.createMany([{def, resource: store.prepareCreate(def, {apiVersion: API_VERSION, kind: def.kind, metadata: {name: 'default'}, spec})}])
    if (o!.ok) break
    const raced = o!.error instanceof AlreadyExistsError || o!.error instanceof ConflictError
    if (!raced || attempt >= ATTEMPTS) throw o!.error
  }
  const tier = kindByName('Tier')!
  const tiers: Resource[] = Object.entries(STATIC_TIERS).map(([name, spec]) => store.prepareCreate(tier, {apiVersion: API_VERSION, kind: tier.kind, metadata: {name}, spec: {...spec}}))
  const outcomes = await store.createMany(tiers.map((resource) => ({def: tier, resource})))
  const failed = outcomes.find((o) => !o.ok && !(o.error instanceof AlreadyExistsError))
  if (failed && !failed.ok) throw failed.error
}

/** ensureInitialized, retried every `retryMs` until it succeeds or `signal` aborts; failures reported once each. */
export async function initializeUntilDone(store: ResourceStore, opts: InitOptions, signal: AbortSignal, warn: (message: string) => void, retryMs = 5000): Promise<void> {
  let last = ''
  while (!signal.aborted) {
    try {
      await ensureInitialized(store, opts)
      return
    } catch (err) {
      const message = `cannot initialise the cluster information (retrying): ${(err as Error).message}`
      if (message !== last) warn(message)
      last = message
    }
    await sleep(retryMs, signal) // aborted: the loop ends
  }
}
