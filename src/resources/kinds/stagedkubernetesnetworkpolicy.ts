// StagedKubernetesNetworkPolicy: a Kubernetes NetworkPolicy spec staged for review, never
// programmed (calicoctl/calicoctl/resourcemgr/stagedkubernetesnetworkpolicy.go; validator.go
// validateStagedKubernetesNetworkPolicy). The spec is networking.k8s.io/v1's plus stagedAction.
import {type FieldError, fieldError} from '../errors.js'
import {list, obj, str, strList, strMap, type Fields} from '../schema.js'
import type {KindDef, Resource} from '../types.js'
import {parseCidr} from '../validate.js'

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

/** metav1.LabelSelector as the Kubernetes → Calico conversion needs it. */
function checkLabelSelector(sel: Obj | undefined, path: string, out: FieldError[]): void {
  ;((sel?.matchExpressions ?? []) as Obj[]).forEach((e, i) => {
    const p = `${path}.matchExpressions[${i}]`
    if (!SELECTOR_OPS.includes(e.operator)) out.push(fieldError(`${p}.operator`, `must be one of ${SELECTOR_OPS.join(', ')}`, e.operator))
    const n = (e.values ?? []).length
    if ((e.operator === 'In' || e.operator === 'NotIn') && n === 0) out.push(fieldError(`${p}.values`, `must be non-empty for operator ${e.operator}`))
    if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && n > 0) out.push(fieldError(`${p}.values`, `must be empty for operator ${e.operator}`))
  })
}

function checkRules(rules: Obj[] | undefined, dir: 'ingress' | 'egress', out: FieldError[]): void {
  const peers = dir === 'ingress' ? 'from' : 'to'
  ;(rules ?? []).forEach((rule, i) => {
    const path = `spec.${dir}[${i}]`
    ;((rule?.[peers] ?? []) as Obj[]).forEach((peer, j) => {
      const p = `${path}.${peers}[${j}]`
      checkLabelSelector(peer.podSelector, `${p}.podSelector`, out)
      checkLabelSelector(peer.namespaceSelector, `${p}.namespaceSelector`, out)
      const block = peer.ipBlock as Obj | undefined
      if (block) {
        if (peer.podSelector || peer.namespaceSelector) out.push(fieldError(`${p}.ipBlock`, 'may not be combined with podSelector or namespaceSelector'))
        if (!parseCidr(block.cidr)) out.push(fieldError(`${p}.ipBlock.cidr`, 'must be a valid CIDR', block.cidr))
        ;((block.except ?? []) as string[]).forEach((x, k) => {
          if (!parseCidr(x)) out.push(fieldError(`${p}.ipBlock.except[${k}]`, 'must be a valid CIDR', x))
        })
      }
    })
    ;((rule?.ports ?? []) as Obj[]).forEach((port, j) => {
      if (port.protocol !== undefined && !['TCP', 'UDP', 'SCTP'].includes(port.protocol))
        out.push(fieldError(`${path}.ports[${j}].protocol`, 'must be one of TCP, UDP, SCTP', port.protocol))
    })
  })
}

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
  validate(r: Resource) {
    const s = (r.spec ?? {}) as Obj
    const out: FieldError[] = []
    if (s.stagedAction === 'Delete') {
      const extra = Object.entries(s).filter(([k, v]) => k !== 'stagedAction' && v !== undefined && v !== null && !(typeof v === 'object' && Object.keys(v).length === 0))
      if (extra.length > 0) out.push(fieldError('spec', `Spec fields should all be zero-value if stagedAction is Delete (found ${extra.map(([k]) => k).join(', ')})`))
      return out
    }
    checkLabelSelector(s.podSelector, 'spec.podSelector', out)
    checkRules(s.ingress, 'ingress', out)
    checkRules(s.egress, 'egress', out)
    ;((s.policyTypes ?? []) as string[]).forEach((t, i) => {
      if (t !== 'Ingress' && t !== 'Egress') out.push(fieldError(`spec.policyTypes[${i}]`, 'must be Ingress or Egress', t))
    })
    return out
  },
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
