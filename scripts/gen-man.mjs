#!/usr/bin/env node
// Man pages, rendered from what the CLI itself knows so they cannot drift from --help:
//   man/man1/calicoctl.1 and calicoctl-<topic>-<cmd>.1   from oclif.manifest.json
//   man/man5/calicoctl.cfg.5                             the connection config file
//   man/man7/calicoctl-resources.7                       from the kind registry (dist/resources)
// Deterministic: the only "date" is the package version, so a rebuild of the same tree gives
// byte-identical pages (test/unit/man.test.ts checks that and runs groff over each page).
//
//   node scripts/gen-man.mjs [--out DIR]     (default DIR: man/ beside package.json)
import {mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const MANUAL = 'calicoctl Manual'

// ---------------------------------------------------------------------------------------------
// roff escaping

/** Escapes running text: backslashes, hyphens, non-ASCII, and a leading control character. */
export function esc(text) {
  let out = ''
  for (const ch of String(text)) {
    const code = ch.codePointAt(0)
    if (ch === '\\') out += '\\e'
    else if (ch === '-') out += '\\-'
    else if (code > 0x7e || (code < 0x20 && ch !== '\n' && ch !== '\t')) out += `\\[u${code.toString(16).toUpperCase().padStart(4, '0')}]`
    else out += ch
  }
  // A line starting with . or ' would be read as a request; \& is a zero-width guard.
  return out
    .split('\n')
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join('\n')
}

const bold = (t) => `\\fB${esc(t)}\\fR`
const ital = (t) => `\\fI${esc(t)}\\fR`

/** Paragraphs separated by blank lines become .PP blocks; single newlines are kept as line breaks. */
function paragraphs(text) {
  const paras = String(text ?? '')
    .trim()
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter(Boolean)
  return paras.map((p, i) => (i === 0 ? '' : '.PP\n') + p.split('\n').map((l) => esc(l.trim())).join('\n.br\n')).join('\n')
}

function th(title, section, pkg) {
  return `.TH ${esc(title.toUpperCase())} ${section} "" "${esc(`${pkg.name} ${pkg.version}`)}" "${MANUAL}"\n`
}

// ---------------------------------------------------------------------------------------------
// section 1: commands

const spaced = (id) => id.replaceAll(':', ' ')
export const pageName = (bin, id) => `${bin}-${id.replaceAll(':', '-')}`

function expand(text, bin, id) {
  return String(text).replaceAll(/<%=\s*config\.bin\s*%>/g, bin).replaceAll(/<%=\s*command\.id\s*%>/g, spaced(id))
}

function visibleCommands(manifest) {
  return Object.values(manifest.commands)
    .filter((c) => !c.hidden)
    .sort((a, b) => a.id.localeCompare(b.id))
}

function flagTag(f) {
  const names = []
  if (f.char) names.push(bold(`-${f.char}`))
  for (const a of f.charAliases ?? []) names.push(bold(`-${a}`))
  names.push(bold(`--${f.name}`) + (f.type === 'option' ? `=${ital(f.options ? f.options.join('|') : (f.helpValue ?? (f.name === 'output' ? 'format' : 'value')))}` : ''))
  if (f.type === 'boolean' && f.allowNo) names.push(bold(`--no-${f.name}`))
  return names.join(', ')
}

function flagBody(f) {
  const lines = []
  lines.push(esc(f.summary ?? f.description ?? ''))
  if (f.summary && f.description) lines.push(paragraphs(f.description))
  const notes = []
  if (f.required) notes.push('Required.')
  if (f.multiple) notes.push('May be given more than once.')
  if (f.default !== undefined && f.default !== false && f.type === 'option') notes.push(`Default: ${f.default}.`)
  if (f.env) notes.push(`Environment: ${f.env}.`)
  if (notes.length) lines.push(esc(notes.join(' ')))
  return lines.filter(Boolean).join('\n')
}

function synopsis(bin, cmd) {
  const parts = [bold(`${bin} ${spaced(cmd.id)}`)]
  for (const a of Object.values(cmd.args ?? {})) {
    const n = ital(a.name.toUpperCase())
    parts.push(a.required ? n : `[${n}]`)
  }
  if (cmd.strict === false && Object.keys(cmd.args ?? {}).length > 0) parts.push('...')
  const local = Object.values(cmd.flags ?? {}).filter((f) => !f.hidden && f.helpGroup !== 'GLOBAL')
  for (const f of local.filter((f) => f.required)) parts.push(`${bold(f.char ? `-${f.char}` : `--${f.name}`)} ${ital(f.name)}`)
  if (local.some((f) => !f.required)) parts.push(`[${ital('options')}]`)
  return `.SH SYNOPSIS\n${parts.join(' ')}\n`
}

function usesDatastore(cmd) {
  return Boolean(cmd.flags?.config && cmd.flags.config.helpGroup === 'GLOBAL')
}

const ENVIRONMENT = [
  ['CALICOCTL_CONFIG', 'Path of the configuration file used when \\-\\-config is not given (default /etc/calico/calicoctl.cfg).'],
  ['DATASTORE_TYPE', 'Datastore type; only etcdv3 is supported.'],
  ['ETCD_ENDPOINTS', 'Comma\\-separated etcd endpoints: http://, https:// or unix:///path/sock:PORT (default http://127.0.0.1:2379).'],
  ['ETCD_USERNAME, ETCD_PASSWORD', 'etcd user name and password.'],
  ['ETCD_KEY_FILE, ETCD_CERT_FILE, ETCD_CA_CERT_FILE', 'Client key, client certificate and CA certificate (PEM files) for TLS.'],
  ['NO_COLOR, FORCE_COLOR', 'Turn coloured output off, or force it on (colour is otherwise used only on a terminal).'],
]

function environmentSection() {
  let s = '.SH ENVIRONMENT\nUsed only when the configuration file does not exist; each name may also be given with a\n.B CALICO_\nprefix, which takes precedence.\nSee\n.BR calicoctl.cfg (5).\n'
  for (const [name, text] of ENVIRONMENT) s += `.TP\n${bold(name)}\n${text}\n`
  return s
}

const EXIT_STATUS = '.SH EXIT STATUS\n.TP\n.B 0\nSuccess.\n.TP\n.B 1\nFailure: the datastore could not be reached, a resource failed validation, or some of the\nrequested changes failed (every error is reported, one line each).\n.TP\n.B 2\nUsage error: an unknown command, flag or flag value, or a missing argument.\n'

function seeAlso(refs) {
  return `.SH SEE ALSO\n${refs.map((r, i) => `.BR ${esc(r.name)} (${r.section})${i < refs.length - 1 ? ',' : ''}`).join('\n')}\n`
}

function examplesSection(bin, cmd) {
  let s = '.SH EXAMPLES\n'
  for (const ex of cmd.examples ?? []) {
    const command = typeof ex === 'string' ? ex : ex.command
    const description = typeof ex === 'string' ? undefined : ex.description
    if (description) s += `.PP\n${esc(expand(description, bin, cmd.id))}\n`
    else s += '.PP\n'
    s += `.RS 4\n.nf\n${esc(expand(command, bin, cmd.id))}\n.fi\n.RE\n`
  }
  return s
}

function commandPage(bin, cmd, all, pkg) {
  const name = pageName(bin, cmd.id)
  let s = th(name, 1, pkg)
  s += `.SH NAME\n${esc(name)} \\- ${esc(cmd.summary ?? String(cmd.description ?? '').split('\n')[0])}\n`
  s += synopsis(bin, cmd)
  s += '.SH DESCRIPTION\n'
  s += `${esc(cmd.summary ?? '')}\n`
  if (cmd.summary && cmd.description) s += `.PP\n${paragraphs(expand(cmd.description, bin, cmd.id))}\n`
  const args = Object.values(cmd.args ?? {})
  if (args.length) {
    s += '.SH ARGUMENTS\n'
    for (const a of args) s += `.TP\n${ital(a.name.toUpperCase())}\n${esc(a.description ?? '')}${a.options ? ` One of: ${esc(a.options.join(', '))}.` : ''}\n`
  }
  const flags = Object.values(cmd.flags ?? {}).filter((f) => !f.hidden)
  const local = flags.filter((f) => f.helpGroup !== 'GLOBAL').sort((a, b) => a.name.localeCompare(b.name))
  const global = flags.filter((f) => f.helpGroup === 'GLOBAL').sort((a, b) => a.name.localeCompare(b.name))
  s += '.SH OPTIONS\n'
  for (const f of local) s += `.TP\n${flagTag(f)}\n${flagBody(f)}\n`
  s += `.TP\n${bold('-h')}, ${bold('--help')}\nShow help for this command.\n`
  if (global.length) {
    s += '.SS Global options\n'
    for (const f of global) s += `.TP\n${flagTag(f)}\n${flagBody(f)}\n`
  }
  if (cmd.examples?.length) s += examplesSection(bin, cmd)
  s += EXIT_STATUS
  if (usesDatastore(cmd)) s += environmentSection()
  if (cmd.aliases?.length) s += `.SH ALIASES\n${cmd.aliases.map((a) => bold(`${bin} ${spaced(a)}`)).join(', ')}\n`
  const topic = cmd.id.includes(':') ? cmd.id.split(':')[0] : undefined
  const siblings = all.filter((c) => c.id !== cmd.id && topic && c.id.startsWith(`${topic}:`)).map((c) => ({name: pageName(bin, c.id), section: 1}))
  const refs = [{name: bin, section: 1}, ...siblings]
  if (usesDatastore(cmd)) refs.push({name: `${bin}.cfg`, section: 5})
  if (['create', 'apply', 'replace', 'get', 'delete', 'patch', 'label', 'validate'].includes(cmd.id)) refs.push({name: `${bin}-resources`, section: 7})
  s += seeAlso(refs)
  return s
}

function overviewPage(bin, manifest, pkg, topics) {
  const cmds = visibleCommands(manifest)
  let s = th(bin, 1, pkg)
  s += `.SH NAME\n${esc(bin)} \\- ${esc(pkg.description ?? 'manage Calico resources')}\n`
  s += `.SH SYNOPSIS\n${bold(bin)} [${ital('global options')}] ${ital('command')} [${ital('arguments')}] [${ital('options')}]\n.br\n${bold(bin)} ${ital('topic')}\n.br\n${bold(bin)} ${ital('command')} ${bold('--help')}\n`
  s += `.SH DESCRIPTION\n${bold(bin)} manages Calico ${esc('projectcalico.org/v3')} resources stored in etcd v3, with the\nsame keys and JSON as Calico, and accepts calicoctl's YAML and JSON manifests unchanged.\nOn a host it also programs routes, the IPIP tunnel, iptables and BIRD from what is in\nthe datastore.\n`
  s += `.PP\nCommands are grouped into topics; ${bold(`${bin} `)}${ital('topic')} lists a topic's commands.\nAn unknown command exits with status 2 and suggests the nearest one.\n`
  s += `.PP\nAs with calicoctl, the global options ${bold('-l')}/${bold('--log-level')}, ${bold('-c')}/${bold('--config')}, ${bold('--context')},\n${bold('--allow-version-mismatch')}, ${bold('--timeout')} and ${bold('-h')}/${bold('--help')} may come before the command word as well as\nafter it (before it, ${bold('-l')} is the log level; after ${bold('get')} or ${bold('delete')} it is ${bold('--selector')}).\n${bold(`${bin} --version`)} prints what ${bold(`${bin} version --client`)} prints.\n`
  s += '.SH COMMANDS\n'
  let lastTopic = null
  for (const c of cmds) {
    const topic = c.id.includes(':') ? c.id.split(':')[0] : ''
    if (topic !== lastTopic && topic) {
      const desc = topics?.[topic]?.description
      s += `.SS ${esc(topic)}\n${desc ? `${esc(desc)}\n` : ''}`
    }
    lastTopic = topic
    s += `.TP\n${bold(`${bin} ${spaced(c.id)}`)}\n${esc(c.summary ?? String(c.description ?? '').split('\n')[0])}\nSee\n.BR ${esc(pageName(bin, c.id))} (1).\n`
  }
  s += `.SH SHELL COMPLETION\n${bold(`${bin} autocomplete bash`)} and ${bold(`${bin} autocomplete zsh`)} print setup\ninstructions; the scripts complete command names, topics and flag names, and under zsh the\nvalues of flags that take a fixed list (such as ${bold('--log-level')}).\nResource kinds for ${bold('get')} and ${bold('delete')} and the values of ${bold('-o')} are not completed (the\ncompletion plugin completes only commands and flags); see\n.BR ${esc(`${bin}-resources`)} (7)\nfor the kinds.\nRun ${bold(`${bin} autocomplete --refresh-cache`)} after an upgrade.\n`
  s += EXIT_STATUS
  s += environmentSection()
  s += `.SH FILES\n.TP\n${bold('/etc/calico/calicoctl.cfg')}\nConnection configuration; see\n.BR calicoctl.cfg (5).\n`
  s += seeAlso([{name: `${bin}.cfg`, section: 5}, {name: `${bin}-resources`, section: 7}, ...cmds.map((c) => ({name: pageName(bin, c.id), section: 1}))])
  return s
}

// ---------------------------------------------------------------------------------------------
// section 5: the config file

const CFG_FIELDS = [
  ['datastoreType', 'DATASTORE_TYPE', 'The datastore: etcdv3 (the only one this tool talks to; the default).'],
  ['etcdEndpoints', 'ETCD_ENDPOINTS', 'Comma\\-separated list of etcd endpoints. Each is http://HOST:PORT, https://HOST:PORT or unix:///path/to/socket:PORT. Default http://127.0.0.1:2379.'],
  ['etcdUsername', 'ETCD_USERNAME', 'User name for etcd authentication.'],
  ['etcdPassword', 'ETCD_PASSWORD', 'Password for etcd authentication.'],
  ['etcdKeyFile', 'ETCD_KEY_FILE', 'Path of the client private key (PEM) for TLS.'],
  ['etcdCertFile', 'ETCD_CERT_FILE', 'Path of the client certificate (PEM) for TLS.'],
  ['etcdCACertFile', 'ETCD_CA_CERT_FILE', 'Path of the CA certificate (PEM) that signed the etcd server certificate.'],
  ['etcdKey', null, 'Inline client private key (PEM). Cannot be combined with the file fields above.'],
  ['etcdCert', null, 'Inline client certificate (PEM).'],
  ['etcdCACert', null, 'Inline CA certificate (PEM).'],
]

function cfgPage(bin, pkg) {
  let s = th(`${bin}.cfg`, 5, pkg)
  s += `.SH NAME\n${esc(`${bin}.cfg`)} \\- datastore connection configuration for ${esc(bin)}\n`
  s += `.SH SYNOPSIS\n${bold('/etc/calico/calicoctl.cfg')}\n`
  s += `.SH DESCRIPTION\n${bold(bin)} reads its connection settings from a YAML or JSON file of kind\n${bold('CalicoAPIConfig')}. The path is ${bold('--config')} (${bold('-c')}) if given, else\n${bold('CALICOCTL_CONFIG')}, else ${bold('/etc/calico/calicoctl.cfg')}.\n`
  s += `.PP\nAs with calicoctl, the file and the environment are never merged: when the file exists it is used\nalone; when the default file is missing the environment is used; when a file named with\n${bold('--config')} is missing, that is an error. Unknown fields in the file are errors.\n`
  s += '.SH FIELDS\nFields of the file\'s\n.BR spec ,\nwith the environment variable used instead when there is no file (each may also be spelled\nwith a\n.B CALICO_\nprefix, which wins):\n'
  for (const [field, env, text] of CFG_FIELDS) s += `.TP\n${bold(field)}${env ? ` (${bold(env)})` : ''}\n${text}\n`
  s += `.PP\nThe inline PEM fields have no environment variables, to avoid exposing secrets in the\nenvironment. Kubernetes fields (kubeconfig, k8sAPIEndpoint and the like) are accepted and ignored.\n`
  s += `.SH TIMEOUTS\nEvery etcd call gives up after ${bold('--timeout')} (default 5s) with one line naming the\nendpoint; an unreachable etcd is never a hang.\n`
  s += `.SH EXAMPLES\n.PP\nPlain etcd on another host:\n.RS 4\n.nf\n${esc(`apiVersion: projectcalico.org/v3
kind: CalicoAPIConfig
metadata:
spec:
  datastoreType: etcdv3
  etcdEndpoints: http://10.0.0.10:2379`)}\n.fi\n.RE\n.PP\netcd with TLS client certificates and two endpoints:\n.RS 4\n.nf\n${esc(`apiVersion: projectcalico.org/v3
kind: CalicoAPIConfig
metadata:
spec:
  datastoreType: etcdv3
  etcdEndpoints: https://10.0.0.10:2379,https://10.0.0.11:2379
  etcdKeyFile: /etc/calico/pki/client-key.pem
  etcdCertFile: /etc/calico/pki/client.pem
  etcdCACertFile: /etc/calico/pki/ca.pem`)}\n.fi\n.RE\n.PP\nThe same without a file:\n.RS 4\n.nf\n${esc(`export ETCD_ENDPOINTS=https://10.0.0.10:2379,https://10.0.0.11:2379
export ETCD_KEY_FILE=/etc/calico/pki/client-key.pem ETCD_CERT_FILE=/etc/calico/pki/client.pem
export ETCD_CA_CERT_FILE=/etc/calico/pki/ca.pem
${bin} get nodes`)}\n.fi\n.RE\n`
  s += environmentSection()
  s += seeAlso([{name: bin, section: 1}, {name: `${bin}-resources`, section: 7}])
  return s
}

// ---------------------------------------------------------------------------------------------
// section 7: resource kinds

function typeName(t) {
  switch (t.t) {
    case 'string':
      return 'string'
    case 'bool':
      return 'boolean'
    case 'int':
      return t.min !== undefined && t.max !== undefined ? `integer (${t.min}..${t.max})` : 'integer'
    case 'number':
      return 'number'
    case 'intOrString':
      return 'integer or string'
    case 'array':
      return `list of ${typeName(t.of)}`
    case 'map':
      return `map of ${typeName(t.of)}`
    case 'object':
      return 'object'
    default:
      return 'any'
  }
}

/** Flattens a schema into [dotted path, type] rows; lists of objects show as `path[].field`. */
export function fieldRows(fields, prefix, depth = 0) {
  const rows = []
  for (const [name, type] of fields) {
    const path = prefix ? `${prefix}.${name}` : name
    rows.push([path, typeName(type)])
    if (depth > 8) continue
    if (type.t === 'object') rows.push(...fieldRows(type.fields, path, depth + 1))
    else if (type.t === 'array' && type.of.t === 'object') rows.push(...fieldRows(type.of.fields, `${path}[]`, depth + 1))
    else if (type.t === 'map' && type.of.t === 'object') rows.push(...fieldRows(type.of.fields, `${path}{}`, depth + 1))
  }
  return rows
}

function resourcesPage(bin, kinds, pkg) {
  let s = th(`${bin}-resources`, 7, pkg)
  s += `.SH NAME\n${esc(`${bin}-resources`)} \\- the Calico resource kinds ${esc(bin)} manages, and their fields\n`
  s += `.SH DESCRIPTION\nEvery resource is a YAML or JSON document with\n${bold('apiVersion: projectcalico.org/v3')},\n${bold('kind')},\n${bold('metadata')}\n(${bold('name')}; ${bold('namespace')} for namespaced kinds; ${bold('labels')}; ${bold('annotations')}) and\n${bold('spec')}.\nA file may hold many documents separated by ${bold('---')}, or a ${bold('kind: List')} with ${bold('items')}.\nFields are checked strictly: an unknown field or a value of the wrong type is an error naming\nthe resource and the field.\n`
  s += `.PP\nOn the command line a kind may be given by its name, its plural or an alias, in any case\n(${bold('ippool')}, ${bold('ippools')}, ${bold('pools')}).\nStored keys are\n${bold('/calico/resources/v3/projectcalico.org/')}${ital('plural')}${bold('/')}[${ital('namespace')}${bold('/')}]${ital('name')}.\n`
  s += '.SH KINDS\n'
  for (const k of [...kinds].sort((a, b) => a.kind.localeCompare(b.kind))) {
    s += `.SS ${esc(k.kind)}\n`
    const aliases = [...new Set(k.aliases.filter((a) => a !== k.kind.toLowerCase() && a !== k.plural))]
    const facts = [`Plural ${bold(k.plural)}`]
    if (aliases.length) facts.push(`aliases ${aliases.map((a) => bold(a)).join(', ')}`)
    facts.push(k.namespaced ? 'namespaced (\\-n/\\-\\-namespace, default "default")' : 'cluster\\-scoped')
    s += `${facts.join('; ')}.\n`
    if (k.readOnly) s += `.br\nRead only: ${esc(k.readOnly)}.\n`
    s += `.br\nColumns: ${esc(k.columns.join(', '))}.\n`
    if (k.wideColumns?.length) s += `.br\nWide columns (\\-o wide): ${esc(k.wideColumns.join(', '))}.\n`
    const block = (title, rows) => {
      let b = `.PP\n${title}\n.RS 4\n`
      b += rows.map(([path, type]) => `${bold(path)} \\(em ${esc(type)}`).join('\n.br\n')
      return `${b}\n.RE\n`
    }
    s += block(`${bold('spec')} fields:`, fieldRows(k.specFields ?? [], 'spec'))
    if (k.statusFields?.length) s += block(`${bold('status')} fields (read only):`, fieldRows(k.statusFields, 'status'))
  }
  s += `.SH EXAMPLES\n.PP\nAn IP pool:\n.RS 4\n.nf\n${esc(`apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: default-ipv4-ippool
spec:
  cidr: 192.168.0.0/16
  blockSize: 26
  ipipMode: Always
  natOutgoing: true`)}\n.fi\n.RE\n.PP\nList the kinds' resources, or one in full:\n.RS 4\n.nf\n${esc(`${bin} get ippools -o wide
${bin} get ippool default-ipv4-ippool -o yaml`)}\n.fi\n.RE\n`
  s += seeAlso([{name: bin, section: 1}, {name: `${bin}-apply`, section: 1}, {name: `${bin}-get`, section: 1}, {name: `${bin}.cfg`, section: 5}])
  return s
}

// ---------------------------------------------------------------------------------------------

/** Every page, as relative path → roff text. Pure: same inputs, same bytes. */
export function generateManPages({manifest, kinds, pkg}) {
  const bin = pkg.oclif?.bin ?? 'calicoctl'
  const pages = new Map()
  const cmds = visibleCommands(manifest)
  pages.set(`man1/${bin}.1`, overviewPage(bin, manifest, pkg, pkg.oclif?.topics))
  for (const c of cmds) pages.set(`man1/${pageName(bin, c.id)}.1`, commandPage(bin, c, cmds, pkg))
  pages.set(`man5/${bin}.cfg.5`, cfgPage(bin, pkg))
  pages.set(`man7/${bin}-resources.7`, resourcesPage(bin, kinds, pkg))
  return new Map([...pages].sort(([a], [b]) => a.localeCompare(b)))
}

/** The build's inputs: package.json, oclif.manifest.json and the compiled kind registry. */
export async function loadInputs(root = ROOT) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  const manifest = JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8'))
  const {KINDS} = await import(pathToFileURL(join(root, 'dist/resources/registry.js')).href)
  return {pkg, manifest, kinds: KINDS}
}

/** Writes the pages under outDir, removing pages that are no longer generated. */
export function writeManPages(pages, outDir) {
  for (const section of ['man1', 'man5', 'man7']) {
    mkdirSync(join(outDir, section), {recursive: true})
    for (const f of readdirSync(join(outDir, section))) if (!pages.has(`${section}/${f}`)) rmSync(join(outDir, section, f))
  }
  for (const [rel, text] of pages) writeFileSync(join(outDir, rel), text)
}

/** package.json's `man` list: npm links only the files listed there (it ignores directories.man
 * on install), so the list is kept in step with the generated pages. */
export function manField(pages) {
  return [...pages.keys()].map((rel) => `./man/${rel}`)
}

/** Rewrites package.json's `man` field (placed after `bin`) when it differs; returns whether it did. */
export function syncPackageMan(pages, root = ROOT) {
  const file = join(root, 'package.json')
  const text = readFileSync(file, 'utf8')
  const pkg = JSON.parse(text)
  const man = manField(pages)
  if (JSON.stringify(pkg.man) === JSON.stringify(man)) return false
  const out = {}
  for (const [k, v] of Object.entries(pkg)) {
    if (k === 'man') continue
    out[k] = v
    if (k === 'bin') out.man = man
  }
  if (!out.man) out.man = man
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`)
  return true
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const i = process.argv.indexOf('--out')
  const outDir = i > 0 ? resolve(process.argv[i + 1]) : join(ROOT, 'man')
  const pages = generateManPages(await loadInputs())
  writeManPages(pages, outDir)
  console.log(`${pages.size} man pages written to ${outDir}`)
  if (outDir === join(ROOT, 'man') && syncPackageMan(pages)) console.log('package.json "man" updated: commit it with man/')
}
