// StagedKubernetesNetworkPolicy: a Kubernetes NetworkPolicy spec staged for review, never
// programmed (calicoctl/calicoctl/resourcemgr/stagedkubernetesnetworkpolicy.go; validator.go
// validateStagedKubernetesNetworkPolicy). The spec is networking.k8s.io/v1's plus stagedAction.
import {fieldError} from '../errors.js'
import {list, obj, str, strList, strMap, type Fields} from '../schema.js'
import type {KindDef, Resource} from '../types.js'
import {parseCidr} from '../validate.js'
import {type At, type RuleRow, type RuleTable, tableValidator, under} from '../rule-table.js'

// networking.k8s.io/v1 in its Go field order (the generated upstream schema knows Calico's Go
// structs only and lists these alphabetically). Inside the rules every struct is a pointer (a
// peer's selectors and ipBlock, a port's protocol, port and endPort): an absent one is not
// written. The top-level podSelector is a plain struct, always written (`"podSelector":{}`).
const labelSelector = (ptr: boolean) =>
  obj([['matchLabels', strMap], ['matchExpressions', list(obj([['key', str], ['operator', str], ['values', strList]]))]], ptr)
const ports = list(obj([['protocol', {t: 'string', ptr: true}], ['port', {t: 'intOrString', ptr: true}], ['endPort', {t: 'int', ptr: true}]]))
const peers = list(obj([['podSelector', labelSelector(true)], ['namespaceSelector', labelSelector(true)], ['ipBlock', obj([['cidr', str], ['except', strList]], true)]]))

const specFields: Fields = [
  ['stagedAction', str],
  ['podSelector', labelSelector(false)],
  ['ingress', list(obj([['ports', ports], ['from', peers]]))],
  ['egress', list(obj([['ports', ports], ['to', peers]]))],
  ['policyTypes', strList],
]

type Obj = Record<string, any>
const SELECTOR_OPS = ['In', 'NotIn', 'Exists', 'DoesNotExist']

const V = 'libcalico-go/lib/validator/v3/validator.go'
const K8S = 'k8s.io/api/networking/v1 (NetworkPolicy), as libcalico-go/lib/backend/k8s/conversion converts it'
const isDelete = (at: At) => (at.resource.spec as Obj | undefined)?.stagedAction === 'Delete'
/** Rows that apply only to a staged Set (or empty) action: Delete is checked by its own row. */
const unlessDelete = (row: RuleRow): RuleRow => ({...row, check: (v, at) => (isDelete(at) ? undefined : row.check(v, at))})
// Ingress rules have `from` and egress rules `to`; strict decoding refuses the other.
const PEERS = 'spec.{ingress,egress}[*].{from,to}[*]'

/** metav1.LabelSelector expressions as the Kubernetes → Calico conversion needs them. */
const SELECTOR_ROWS: RuleTable = [
  {field: 'matchExpressions[*].operator', rule: 'In, NotIn, Exists or DoesNotExist', source: `${K8S} LabelSelectorRequirement`, absent: true, check: (v) => (SELECTOR_OPS.includes(v as string) ? undefined : `must be one of ${SELECTOR_OPS.join(', ')}`)},
  {
    field: 'matchExpressions[*].values',
    rule: 'values with In and NotIn only',
    source: `${K8S} LabelSelectorRequirement`,
    absent: true,
    check: (v, at) => {
      const op = at.parent.operator
      const n = Array.isArray(v) ? v.length : 0
      if ((op === 'In' || op === 'NotIn') && n === 0) return [fieldError(at.path, `must be non-empty for operator ${op}`)]
      if ((op === 'Exists' || op === 'DoesNotExist') && n > 0) return [fieldError(at.path, `must be empty for operator ${op}`)]
      return undefined
    },
  },
]

/** StagedKubernetesNetworkPolicy's rules: validator.go validateStagedKubernetesNetworkPolicy and the Kubernetes spec's own. */
export const RULES: RuleTable = [
  {
    field: 'spec.stagedAction',
    rule: 'with Delete, nothing else',
    source: `${V} validateStagedKubernetesNetworkPolicy`,
    check: (v, at) => {
      if (v !== 'Delete') return undefined
      const extra = Object.entries(at.parent).filter(([k, x]) => k !== 'stagedAction' && x !== undefined && x !== null && !(typeof x === 'object' && Object.keys(x).length === 0))
      return extra.length > 0 ? [fieldError('spec', `Spec fields should all be zero-value if stagedAction is Delete (found ${extra.map(([k]) => k).join(', ')})`)] : undefined
    },
  },
  ...[...under('spec.podSelector', SELECTOR_ROWS), ...under(`${PEERS}.{podSelector,namespaceSelector}`, SELECTOR_ROWS)].map(unlessDelete),
  ...[
    {field: `${PEERS}.ipBlock`, rule: 'not with pod or namespace selectors', source: `${K8S} NetworkPolicyPeer`, check: (_v: unknown, at: At) => (at.parent.podSelector || at.parent.namespaceSelector ? [fieldError(at.path, 'may not be combined with podSelector or namespaceSelector')] : undefined)},
    {field: `${PEERS}.ipBlock.cidr`, rule: 'a CIDR', source: `${K8S} IPBlock.CIDR`, absent: true, check: (v: unknown) => (!parseCidr(v as string) ? 'must be a valid CIDR' : undefined)},
    {field: `${PEERS}.ipBlock.except[*]`, rule: 'CIDRs', source: `${K8S} IPBlock.Except`, check: (v: unknown) => (!parseCidr(v as string) ? 'must be a valid CIDR' : undefined)},
    {field: 'spec.{ingress,egress}[*].ports[*].protocol', rule: 'TCP, UDP or SCTP', source: `${K8S} NetworkPolicyPort.Protocol`, check: (v: unknown) => (!['TCP', 'UDP', 'SCTP'].includes(v as string) ? 'must be one of TCP, UDP, SCTP' : undefined)},
    {field: 'spec.policyTypes[*]', rule: 'Ingress or Egress', source: `${K8S} PolicyType`, check: (v: unknown) => (v !== 'Ingress' && v !== 'Egress' ? 'must be Ingress or Egress' : undefined)},
  ].map(unlessDelete),
]

export const StagedKubernetesNetworkPolicy: KindDef = {
  kind: 'StagedKubernetesNetworkPolicy',
  plural: 'stagedkubernetesnetworkpolicies',
  aliases: ['stagedkubernetesnetworkpolicy', 'stagedkubernetesnetworkpolicies', 'stagedkubernetespolicy', 'sknp', 'stagedkubernetespolicies', 'skpol', 'skpols'],
  description: 'A Kubernetes NetworkPolicy spec staged for review: stored, never programmed. With spec.stagedAction Delete every other field must be empty. node explain evaluates it as the knp.default.<name> policy Calico would convert it to.',
  namespaced: true,
  specFields,
  columns: ['NAME'],
  wideColumns: ['NAME', 'PODSELECTOR'],
  cell(r, col) {
    if (col === 'NAME') return r.metadata.name
    if (col === 'PODSELECTOR') return podSelectorCell((r.spec as Obj | undefined)?.podSelector)
    return ''
  },
  rules: RULES,
  validate: tableValidator(RULES),
  // validator.go checks only the length; the name must still make one etcd key.
  validateName(name) {
    if (name.length > 253) return `name is too long by ${name.length - 253} bytes`
    if (name.includes('/')) return "name must not contain '/'"
    return undefined
  },
}

/** Go's `%v` of a metav1.LabelSelector, as calicoctl's PODSELECTOR column prints it. */
function podSelectorCell(sel: Obj | undefined): string {
  const labels = Object.entries((sel?.matchLabels ?? {}) as Record<string, string>)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}:${v}`)
  const exprs = ((sel?.matchExpressions ?? []) as Obj[]).map((e) => `{${e.key} ${e.operator} [${(e.values ?? []).join(' ')}]}`)
  return `{${labels.length > 0 ? `map[${labels.join(' ')}]` : 'map[]'} [${exprs.join(' ')}]}`
}

// ---------------------------------------------------------------------------------------------
// The Calico policy a Kubernetes NetworkPolicy stands for (libcalico-go/lib/backend/k8s/conversion
// K8sNetworkPolicyToCalico, v3.32.1): `knp.default.<name>` in the default tier, order 1000,
// every rule an Allow, one per protocol and peer.

/** The name Calico gives the policy converted from a Kubernetes NetworkPolicy. */
export const kubernetesPolicyName = (name: string) => `knp.default.${name}`

function labelSelectorToCalico(sel: Obj | undefined | null, pods: boolean): string {
  const parts = pods ? ["projectcalico.org/orchestrator == 'k8s'"] : []
  if (!sel) return parts.join(' && ')
  const labels = Object.entries((sel.matchLabels ?? {}) as Record<string, string>)
  const exprs = (sel.matchExpressions ?? []) as Obj[]
  if (!pods && labels.length === 0 && exprs.length === 0) return 'all()'
  for (const [k, v] of labels.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) parts.push(`${k} == '${v}'`)
  for (const e of exprs) {
    const values = ((e.values ?? []) as string[]).join("', '")
    if (e.operator === 'In') parts.push(`${e.key} in { '${values}' }`)
    else if (e.operator === 'NotIn') parts.push(`${e.key} not in { '${values}' }`)
    else if (e.operator === 'Exists') parts.push(`has(${e.key})`)
    else if (e.operator === 'DoesNotExist') parts.push(`! has(${e.key})`)
  }
  return parts.join(' && ')
}

function peerFields(peer: Obj | undefined): Obj {
  if (!peer) return {}
  const block = peer.ipBlock as Obj | undefined
  if (block) {
    const net = parseCidr(block.cidr)
    if (!net) return {}
    const notNets = ((block.except ?? []) as string[]).map((x) => parseCidr(x)?.text).filter((x): x is string => !!x)
    return {nets: [net.text], ...(notNets.length > 0 ? {notNets} : {})}
  }
  const selector = labelSelectorToCalico(peer.podSelector, true)
  const namespaceSelector = labelSelectorToCalico(peer.namespaceSelector, false)
  return {...(selector ? {selector} : {}), ...(namespaceSelector ? {namespaceSelector} : {})}
}

function rulesFor(peers: Obj[] | undefined, ports: Obj[] | undefined, ingress: boolean): Obj[] {
  // Per protocol, the ports (undefined: every port of it); a rule without ports matches any protocol.
  let byProtocol = new Map<string, Array<number | string> | undefined>()
  for (const p of ports ?? []) {
    const protocol = String(p.protocol ?? 'TCP')
    const port = p.port === undefined || p.port === null ? undefined : p.endPort !== undefined && p.endPort !== null ? `${p.port}:${p.endPort}` : p.port
    if (port === undefined) byProtocol.set(protocol, undefined)
    else if (!byProtocol.has(protocol) || byProtocol.get(protocol) !== undefined) byProtocol.set(protocol, [...(byProtocol.get(protocol) ?? []), port])
  }
  if ((ports ?? []).length === 0) byProtocol = new Map([['', undefined]])
  const out: Obj[] = []
  for (const protocol of [...byProtocol.keys()].sort()) {
    const portList = byProtocol.get(protocol)
    for (const peer of (peers ?? []).length > 0 ? peers! : [undefined]) {
      const entity = peerFields(peer)
      const dst = portList ? {ports: portList} : {}
      out.push({
        action: 'Allow',
        ...(protocol ? {protocol} : {}),
        ...(ingress ? {source: entity, destination: dst} : {destination: {...dst, ...entity}}),
      })
    }
  }
  return out
}

/** The enforced Calico NetworkPolicy of a staged Kubernetes policy's spec. */
export function kubernetesPolicyToCalico(r: Resource): Resource {
  const s = (r.spec ?? {}) as Obj
  const types = (s.policyTypes ?? []) as string[]
  const policyTypes = [...(types.includes('Ingress') ? ['Ingress'] : []), ...(types.includes('Egress') ? ['Egress'] : [])]
  return {
    apiVersion: r.apiVersion,
    kind: 'NetworkPolicy',
    metadata: {name: kubernetesPolicyName(r.metadata.name), ...(r.metadata.namespace ? {namespace: r.metadata.namespace} : {})},
    spec: {
      tier: 'default',
      order: 1000,
      selector: labelSelectorToCalico(s.podSelector, true),
      ingress: ((s.ingress ?? []) as Obj[]).flatMap((x) => rulesFor(x.from, x.ports, true)),
      egress: ((s.egress ?? []) as Obj[]).flatMap((x) => rulesFor(x.to, x.ports, false)),
      types: policyTypes.length > 0 ? policyTypes : ['Ingress'],
    },
  }
}
