// Calico's etcdv3 key layout for v3 resources.
import type {KindDef} from '../resources/types.js'

export const RESOURCE_PREFIX = '/calico/resources/v3/projectcalico.org/'

export function resourceKey(def: KindDef, name: string, namespace?: string): string {
  return def.namespaced ? `${RESOURCE_PREFIX}${def.plural}/${namespace ?? 'default'}/${name}` : `${RESOURCE_PREFIX}${def.plural}/${name}`
}

/** Prefix for a List; the trailing `/` keeps `/ippools` from matching `/ippoolsx`. */
export function listPrefix(def: KindDef, namespace?: string): string {
  return def.namespaced && namespace !== undefined ? `${RESOURCE_PREFIX}${def.plural}/${namespace}/` : `${RESOURCE_PREFIX}${def.plural}/`
}

export function parseResourceKey(key: string): {plural: string; namespace?: string; name: string} | undefined {
  if (!key.startsWith(RESOURCE_PREFIX)) return undefined
  const parts = key.slice(RESOURCE_PREFIX.length).split('/')
  if (parts.length === 2) return {plural: parts[0]!, name: parts[1]!}
  if (parts.length === 3) return {plural: parts[0]!, namespace: parts[1]!, name: parts[2]!}
  return undefined
}
