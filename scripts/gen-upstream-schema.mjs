#!/usr/bin/env node
// Regenerates src/resources/upstream-schema.ts: the field structure and value constraints of
// every Calico v3 kind that has a CRD, taken from upstream's published API
// (projectcalico/calico v3.32.1: api/config/crd/projectcalico.org_<plural>.yaml), with object keys
// in the Go structs' order (api/pkg/apis/projectcalico/v3/*.go) and Go duration fields marked.
// Only data is kept (names, types, enums, patterns, bounds); no descriptions.
//
//   node scripts/gen-upstream-schema.mjs [/path/to/calico.git] [tag]
import {execFileSync} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import yaml from 'js-yaml'

const repo = process.argv[2] ?? '/work/.mirror/projectcalico+calico/repo'
const tag = process.argv[3] ?? 'v3.32.1'
const show = (path) => execFileSync('git', ['-C', repo, 'show', `${tag}:${path}`], {encoding: 'utf8', maxBuffer: 64 << 20})
const ls = (dir) => execFileSync('git', ['-C', repo, 'ls-tree', '-r', '--name-only', tag, dir], {encoding: 'utf8'}).split('\n').filter(Boolean)

// --- Go structs: type name -> ordered [jsonName, goType] (inline embeds flattened later).
const structs = new Map()
const sliceTypes = new Map()
for (const file of [...ls('api/pkg/apis/projectcalico/v3/'), ...ls('api/pkg/lib/numorstring/')]) {
  if (!file.endsWith('.go') || file.endsWith('_test.go') || file.includes('zz_generated')) continue
  const text = show(file)
  for (const m of text.matchAll(/^type (\w+) struct \{\n([\s\S]*?)^\}/gm)) {
    const fields = []
    for (const line of m[2].split('\n')) {
      const f = /^\s*(\w+)?\s*([\w.*[\]]+)?\s*`[^`]*json:"([^"]*)"/.exec(line)
      if (!f) continue
      const [name, opts] = f[3].split(',')
      const goType = f[2] ?? f[1]
      if (name === '-') continue
      const rest = f[3].split(',').slice(1)
      fields.push({json: name, goType, inline: name === '' && (opts === 'inline' || !f[2]), omitempty: rest.includes('omitempty') || rest.includes('omitzero')})
    }
    structs.set(m[1], fields)
  }
  for (const m of text.matchAll(/^type (\w+) (\[\][\w.*]+)$/gm)) sliceTypes.set(m[1], m[2])
}
const baseType = (t) => t.replace(/^(\*|\[\])+/, '').replace(/^map\[string\]/, '').replace(/^(\*|\[\])+/, '').replace(/^\w+\./, (p) => (p === 'metav1.' || p === 'numorstring.' ? p : ''))

// Structs from Kubernetes' API that upstream's types embed, in their Go field order.
const EXTERNAL = {SecretKeySelector: [{json: 'name', omitempty: true}, {json: 'key'}, {json: 'optional', goType: '*bool', omitempty: true}]}

function goOrder(typeName) {
  const fields = structs.get(typeName)
  if (!fields) return EXTERNAL[typeName]
  const out = []
  for (const f of fields) {
    if (f.inline) out.push(...(goOrder(baseType(f.goType)) ?? []))
    else out.push(f)
  }
  return out
}

// --- CRD schema -> compact form.
function compact(s, goType, field) {
  const out = {}
  if (s['x-kubernetes-int-or-string']) out.t = 'intOrString'
  else if (s.type) out.t = s.type
  else if (s.anyOf) out.t = 'intOrString'
  else out.t = 'any'
  for (const [k, as] of [['enum', 'enum'], ['pattern', 'pattern'], ['minimum', 'min'], ['maximum', 'max'], ['maxLength', 'maxLength'], ['minLength', 'minLength'], ['maxItems', 'maxItems'], ['minItems', 'minItems'], ['format', 'format'], ['required', 'required']]) {
    if (s[k] !== undefined) out[as] = s[k]
  }
  for (const sub of s.allOf ?? []) if (sub.enum && !out.enum) out.enum = sub.enum
  if (s['x-kubernetes-preserve-unknown-fields']) out.open = true
  const base = goType ? baseType(goType) : undefined
  if (base === 'metav1.Duration') out.duration = true
  if (goType?.startsWith('*')) out.ptr = true
  // A field tagged without omitempty is written by Go even when zero (e.g. ProtoPort.port: 0).
  else if (field && !field.omitempty && out.t !== 'object') out.keep = true
  // Go's decoder refuses numbers that do not fit the field's integer type.
  if (base && /^u?int(8|16|32)$/.test(base)) out.goInt = base
  if (base === 'numorstring.Port' && !goType.includes('[]')) out.port = true
  if (base === 'numorstring.ASNumber' && !goType.includes('[]')) out.asn = true
  const itemType = goType && sliceTypes.has(baseType(goType)) ? sliceTypes.get(baseType(goType)) : goType
  if (s.items) out.items = compact(s.items, itemType?.replace(/^\*?\[\]/, ''))
  if (s.additionalProperties && typeof s.additionalProperties === 'object') out.values = compact(s.additionalProperties, undefined)
  if (s.properties) {
    const order = base ? goOrder(base) : undefined
    const names = Object.keys(s.properties)
    const ranked = order ? order.map((f) => f.json).filter((n) => names.includes(n)) : []
    const rest = names.filter((n) => !ranked.includes(n)).sort()
    out.props = [...ranked, ...rest].map((n) => {
      const f = order?.find((x) => x.json === n)
      return [n, compact(s.properties[n], f?.goType, f)]
    })
  }
  return out
}

const result = {source: `projectcalico/calico ${tag}: api/config/crd/*.yaml, api/pkg/apis/projectcalico/v3/*.go`, kinds: {}}
for (const file of ls('api/config/crd/')) {
  const crd = yaml.load(show(file))
  const kind = crd.spec.names.kind
  const v = crd.spec.versions.find((x) => x.name === 'v3')
  const props = v.schema.openAPIV3Schema.properties
  const entry = {}
  if (props.spec) entry.spec = compact(props.spec, `${kind}Spec`)
  if (props.status) entry.status = compact(props.status, `${kind}Status`)
  result.kinds[kind] = entry
}
const header = `// Generated by scripts/gen-upstream-schema.mjs from ${result.source}; do not edit.\nimport type {UpstreamFile} from './upstream-types.js'\n\n`
writeFileSync(new URL('../src/resources/upstream-schema.ts', import.meta.url), `${header}export const UPSTREAM: UpstreamFile = ${JSON.stringify(result)}\n`)
console.log(`wrote ${Object.keys(result.kinds).length} kinds`)
