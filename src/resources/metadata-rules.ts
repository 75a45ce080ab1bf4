// The rules every kind's metadata follows, as a table (see rule-table.ts): the name by the
// kind's own rule, label and annotation keys and sizes, timestamps. (The namespace is checked in
// manifest.ts: that check is ours, not upstream's.)
import {fieldError} from './errors.js'
import {kindByName} from './registry.js'
import {pushing, type RuleTable} from './rule-table.js'
import {checkAnnotations, isRFC3339, labelKeyProblem, labelValueProblem, nameProblem} from './validate.js'

const V = 'libcalico-go/lib/validator/v3/validator.go'

/** A label key in a field path, cut short: a key may be kilobytes of hostile input. */
const clipKey = (k: string) => (k.length > 60 ? `${k.slice(0, 57)}...` : k)

export const METADATA_ROWS: RuleTable = [
  {
    field: 'metadata.name',
    rule: "the kind's name rule (a DNS subdomain unless the kind has its own)",
    source: `${V} validateObjectMeta (and the per-kind name checks: tierNameRegex, policy names)`,
    check: (v, at) => {
      if (typeof v !== 'string' || v === '') return undefined // refused before the rules run
      const own = kindByName(at.resource.kind)?.validateName
      return own ? own(v) : nameProblem(v)
    },
  },
  {
    field: 'metadata.labels.*',
    rule: 'qualified keys; values of at most 63 characters',
    source: `${V} validateObjectMetaLabels`,
    check: (v, at) => {
      const key = at.path.slice('metadata.labels.'.length)
      const p = labelKeyProblem(key) ?? (typeof v === 'string' ? labelValueProblem(v) : undefined)
      return p ? [fieldError(`metadata.labels.${clipKey(key)}`, p, v)] : undefined
    },
  },
  {field: 'metadata.annotations', rule: 'qualified keys (lower-cased); 256 KiB in all', source: `${V} validateObjectMetaAnnotations`, check: pushing(checkAnnotations)},
  {
    field: 'metadata.{creationTimestamp,deletionTimestamp}',
    rule: 'RFC 3339',
    source: 'k8s.io/apimachinery/pkg/apis/meta/v1/time.go Time.UnmarshalJSON',
    check: (v) => (typeof v === 'string' && v !== '' && !isRFC3339(v) ? 'must be an RFC 3339 time such as 2024-01-02T15:04:05Z' : undefined),
  },
]
