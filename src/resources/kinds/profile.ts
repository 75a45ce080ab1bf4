// Profile: rules and labels shared by endpoints that name it. Calico's etcd backend presents a
// built-in `projectcalico-default-allow` profile that users cannot change.
import {AlreadyExistsError, NotSupportedError} from '../errors.js'
import {RULE_LIST_ROWS} from '../rules.js'
import {strMap, type Fields} from '../schema.js'
import type {KindDef, Resource} from '../types.js'
import {ruleDefaults, ruleList} from './policy-common.js'
import {type RuleTable, tableValidator} from '../rule-table.js'
import {labelKeyProblem, labelValueProblem} from '../validate.js'

const specFields: Fields = [
  ['ingress', ruleList],
  ['egress', ruleList],
  ['labelsToApply', strMap],
]

export const DEFAULT_ALLOW_PROFILE = 'projectcalico-default-allow'

/**
 * The profile Calico's etcd backend presents on get and list without storing it: allow
 * everything both ways, resourceVersion "1" (libcalico-go/lib/resources/static.go).
 */
export function defaultAllowProfile(): Resource {
  return {
    apiVersion: 'projectcalico.org/v3',
    kind: 'Profile',
    metadata: {name: DEFAULT_ALLOW_PROFILE, resourceVersion: '1'},
    spec: {ingress: [{action: 'Allow'}], egress: [{action: 'Allow'}]},
  }
}

/** Profile's rules: its ingress and egress rules as a policy's (rules.ts), and the labels it applies. */
export const RULES: RuleTable = [
  ...RULE_LIST_ROWS,
  {
    field: 'spec.labelsToApply.*',
    rule: 'label keys and values',
    source: 'api/pkg/apis/projectcalico/v3/profile.go LabelsToApply (validate:"omitempty,labels")',
    check: (v, at) => labelKeyProblem(at.path.slice('spec.labelsToApply.'.length)) ?? (typeof v === 'string' ? labelValueProblem(v) : undefined),
  },
]

export const Profile: KindDef = {
  kind: 'Profile',
  plural: 'profiles',
  aliases: ['profile', 'profiles', 'pro', 'pros'],
  namespaced: false,
  specFields,
  columns: ['NAME'],
  wideColumns: ['NAME', 'LABELS'],
  cell(r, col) {
    if (col === 'NAME') return r.metadata.name
    if (col === 'LABELS') {
      const l = (r.spec as {labelsToApply?: Record<string, string>} | undefined)?.labelsToApply ?? {}
      return Object.entries(l)
        .map(([k, v]) => `${k}=${v}`)
        .sort()
        .join(',')
    }
    return ''
  },
  defaults(r) {
    r.spec ??= {}
    ruleDefaults(r.spec as Record<string, unknown>)
  },
  builtIn: () => [defaultAllowProfile()],
  // As libcalico-go's clientv3/profile.go: the built-in profile already exists, and cannot be
  // updated or deleted.
  refuse(verb, r) {
    if (r.metadata.name !== DEFAULT_ALLOW_PROFILE) return undefined
    const quoted = JSON.stringify(DEFAULT_ALLOW_PROFILE)
    if (verb === 'create') return new AlreadyExistsError(`resource already exists: ${DEFAULT_ALLOW_PROFILE}: the profile ${quoted} is provided by Calico`)
    if (verb === 'delete') return new NotSupportedError('Delete', DEFAULT_ALLOW_PROFILE, `The profile ${quoted} is a default provided by Calico and cannot be deleted`)
    return new NotSupportedError('Update', DEFAULT_ALLOW_PROFILE, `The profile ${quoted} is a default provided by Calico and cannot be updated`)
  },
  rules: RULES,
  validate: tableValidator(RULES),
}
