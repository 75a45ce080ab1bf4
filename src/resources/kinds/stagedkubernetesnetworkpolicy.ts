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
  description: 'A Kubernetes NetworkPolicy spec staged for review: stored, never programmed. With spec.stagedAction Delete every other field must be empty. node explain notes these but does not evaluate them.',
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
