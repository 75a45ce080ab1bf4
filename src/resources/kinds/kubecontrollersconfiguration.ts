// KubeControllersConfiguration: every v3.32.1 field from upstream's API (../upstream.ts), with the
// validator's tags (api/pkg/apis/projectcalico/v3/kubecontrollersconfig.go) on top of the CRD's.
import {type FieldError, fieldError} from '../errors.js'
import {validateSelector} from '../selector.js'
import type {KindDef, Resource} from '../types.js'
import {fieldsFromUpstream, normalizeGoValues, upstreamSchema} from '../upstream.js'
import {checkOneOf, compilesAsGoRegexp, labelKeyProblem, labelValueProblem, nameProblem, parseNet} from '../validate.js'

const upstream = upstreamSchema('KubeControllersConfiguration')!

interface Template {
  generateName?: string
  interfaceCIDRs?: string[]
  interfacePattern?: string
  labels?: Record<string, string>
  nodeSelector?: string
}

export const KubeControllersConfiguration: KindDef = {
  kind: 'KubeControllersConfiguration',
  plural: 'kubecontrollersconfigurations',
  aliases: ['kubecontrollersconfiguration', 'kubecontrollersconfigurations', 'kubecontrollersconfig', 'kubecontrollersconfigs'],
  namespaced: false,
  specFields: fieldsFromUpstream(upstream.spec!),
  statusFields: fieldsFromUpstream(upstream.status!),
  columns: ['NAME'],
  wideColumns: ['NAME'],
  cell(r, col) {
    return col === 'NAME' ? r.metadata.name : ''
  },
  defaults(r: Resource) {
    normalizeGoValues(r.spec, upstream.spec)
  },
  validate(r) {
    const out: FieldError[] = []
    // libcalico-go/lib/clientv3/kubecontrollersconfig.go: only "default" exists.
    if (r.metadata.name !== 'default') out.push(fieldError('metadata.name', "must be 'default'", r.metadata.name))
    const s = (r.spec ?? {}) as {logSeverityScreen?: string; controllers?: {node?: {hostEndpoint?: {createDefaultHostEndpoint?: string; templates?: Template[]}}}}
    // Tag logLevel (Trace..Fatal) and the CRD's enum (None..Panic) both apply.
    checkOneOf(s.logSeverityScreen, ['Debug', 'Info', 'Warning', 'Error', 'Fatal'], 'spec.logSeverityScreen', out)
    const hep = s.controllers?.node?.hostEndpoint
    const base = 'spec.controllers.node.hostEndpoint'
    checkOneOf(hep?.createDefaultHostEndpoint, ['Enabled', 'Disabled'], `${base}.createDefaultHostEndpoint`, out)
    ;(hep?.templates ?? []).forEach((t, i) => {
      const f = `${base}.templates[${i}]`
      if (t?.generateName) {
        const p = nameProblem(t.generateName)
        if (p) out.push(fieldError(`${f}.generateName`, p, t.generateName))
      }
      ;(t?.interfaceCIDRs ?? []).forEach((c, j) => {
        if (typeof c !== 'string' || !parseNet(c)) out.push(fieldError(`${f}.interfaceCIDRs[${j}]`, 'must be a CIDR or IP address', c))
      })
      if (t?.interfacePattern && !compilesAsGoRegexp(t.interfacePattern)) out.push(fieldError(`${f}.interfacePattern`, 'must be a valid regular expression', t.interfacePattern))
      for (const [k, v] of Object.entries(t?.labels ?? {})) {
        const p = labelKeyProblem(k) ?? (typeof v === 'string' ? labelValueProblem(v) : undefined)
        if (p) out.push(fieldError(`${f}.labels.${k}`, p, v))
      }
      if (t?.nodeSelector) out.push(...validateSelector(t.nodeSelector, `${f}.nodeSelector`, {allowGlobal: false}))
    })
    return out
  },
}
