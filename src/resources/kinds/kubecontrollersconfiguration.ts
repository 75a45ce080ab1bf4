// KubeControllersConfiguration: every v3.32.1 field from upstream's API (../upstream.ts), with the
// validator's tags (api/pkg/apis/projectcalico/v3/kubecontrollersconfig.go) on top of the CRD's.
import {validateSelector} from '../selector.js'
import type {KindDef, Resource} from '../types.js'
import {fieldsFromUpstream, normalizeGoValues, upstreamSchema} from '../upstream.js'
import {compilesAsGoRegexp, labelKeyProblem, labelValueProblem, nameProblem, parseNet} from '../validate.js'
import {oneOf, type RuleRow, tableValidator} from '../rule-table.js'

const upstream = upstreamSchema('KubeControllersConfiguration')!

const API = 'api/pkg/apis/projectcalico/v3/kubecontrollersconfig.go'
const TEMPLATES = 'spec.controllers.node.hostEndpoint.templates[*]'

/** KubeControllersConfiguration's rules: the client's name rule and the tags of kubecontrollersconfig.go (on top of the CRD's). */
export const RULES: readonly RuleRow[] = [
  {field: 'metadata.name', rule: "only 'default'", source: 'libcalico-go/lib/clientv3/kubecontrollersconfig.go Create', check: (v) => (v !== 'default' ? "must be 'default'" : undefined)},
  // Tag logLevel (Trace..Fatal) and the CRD's enum (None..Panic) both apply.
  {field: 'spec.logSeverityScreen', rule: 'Debug, Info, Warning, Error or Fatal', source: `${API} logSeverityScreen (validate:"logLevel") and the CRD enum`, check: oneOf('Debug', 'Info', 'Warning', 'Error', 'Fatal')},
  {field: 'spec.controllers.node.hostEndpoint.createDefaultHostEndpoint', rule: 'Enabled or Disabled', source: `${API} createDefaultHostEndpoint (validate:"createDefaultHostEndpoint")`, check: oneOf('Enabled', 'Disabled')},
  {field: `${TEMPLATES}.generateName`, rule: 'a name', source: `${API} Template.GenerateName (validate:"name")`, check: (v) => (typeof v === 'string' && v ? nameProblem(v) : undefined)},
  {field: `${TEMPLATES}.interfaceCIDRs[*]`, rule: 'a CIDR or IP address', source: `${API} Template.InterfaceCIDRs (validate:"cidrs")`, check: (v) => (typeof v !== 'string' || !parseNet(v) ? 'must be a CIDR or IP address' : undefined)},
  {field: `${TEMPLATES}.interfacePattern`, rule: 'a regular expression', source: `${API} Template.InterfacePattern (validate:"regexp")`, check: (v) => (typeof v === 'string' && v && !compilesAsGoRegexp(v) ? 'must be a valid regular expression' : undefined)},
  {
    field: `${TEMPLATES}.labels.*`,
    rule: 'label keys and values',
    source: `${API} Template.Labels (validate:"labels")`,
    check: (v, at) => {
      const key = at.path.slice(at.path.indexOf('.labels.') + '.labels.'.length)
      return labelKeyProblem(key) ?? (typeof v === 'string' ? labelValueProblem(v) : undefined)
    },
  },
  {field: `${TEMPLATES}.nodeSelector`, rule: 'a selector', source: `${API} Template.NodeSelector (validate:"selector")`, check: (v, at) => (typeof v === 'string' && v ? validateSelector(v, at.path, {allowGlobal: false}) : undefined)},
]

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
  rules: RULES,
  validate: tableValidator(RULES),
}
