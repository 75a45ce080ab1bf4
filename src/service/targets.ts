// Which resources a get/delete/label/patch means: a kind plus names, a file, or a selector.
import {CalicoError} from '../resources/errors.js'
import {lookupKind} from '../resources/registry.js'
import {parseSelector} from '../resources/selector.js'
import type {KindDef, Resource} from '../resources/types.js'
import type {ResourceStore} from '../datastore/store.js'

export function resolveKind(name: string): KindDef {
  const def = lookupKind(name)
  if (!def) throw new CalicoError(`resource type '${name}' is not supported`)
  return def
}

export interface NamespaceFlags {
  namespace?: string | undefined
  allNamespaces?: boolean | undefined
}

/** The namespace to read from: undefined means every namespace. */
export function namespaceFor(def: KindDef, f: NamespaceFlags, names: string[] = []): string | undefined {
  if (f.namespace && f.allNamespaces) throw new CalicoError('cannot use both --namespace and --all-namespaces flags at the same time')
  if (!def.namespaced) {
    if (f.namespace || f.allNamespaces) throw new CalicoError(`${def.kind} is not namespaced`)
    return undefined
  }
  if (f.allNamespaces) {
    if (names.length > 0) throw new CalicoError('cannot use --all-namespaces flag for getting a single resource')
    return undefined
  }
  return f.namespace ?? 'default'
}

export function checkNames(names: string[]): void {
  if (names.some((n) => n === '')) throw new CalicoError('resource name may not be empty')
}

/** Resources of a kind whose labels match a selector. */
export async function selectByLabels(store: ResourceStore, def: KindDef, selector: string, namespace: string | undefined): Promise<Resource[]> {
  let sel
  try {
    sel = parseSelector(selector)
  } catch (error) {
    throw new CalicoError(`invalid selector '${selector}': ${(error as Error).message}`)
  }
  const {items} = await store.list(def, namespace)
  return items.filter((r) => sel.matches(r.metadata.labels ?? {}))
}
