// Connection settings, read the way calicoctl reads them: an existing config file is used
// alone; otherwise the environment (CALICO_-prefixed names first, then plain names).
import {readFileSync} from 'node:fs'
import {goString} from '../lib/go-float.js'
import {CalicoError} from '../resources/errors.js'

export const DEFAULT_CONFIG_PATH = '/etc/calico/calicoctl.cfg'
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:2379'
/** Every datastore call gives up after this long unless --timeout says otherwise. */
export const DEFAULT_TIMEOUT_MS = 5000

export interface ClientConfig {
  datastoreType: 'etcdv3' | 'kubernetes'
  endpoints: string[]
  username?: string
  password?: string
  keyFile?: string
  certFile?: string
  caCertFile?: string
  /** Inline PEM (file form only). */
  key?: string
  cert?: string
  caCert?: string
  timeoutMs: number
}

const SPEC_FIELDS: Record<string, keyof ClientConfig | 'etcdEndpoints' | 'ignored'> = {
  datastoreType: 'datastoreType',
  etcdEndpoints: 'etcdEndpoints',
  etcdDiscoverySrv: 'ignored',
  etcdUsername: 'username',
  etcdPassword: 'password',
  etcdKeyFile: 'keyFile',
  etcdCertFile: 'certFile',
  etcdCACertFile: 'caCertFile',
  etcdKey: 'key',
  etcdCert: 'cert',
  etcdCACert: 'caCert',
  kubeconfig: 'ignored',
  k8sAPIEndpoint: 'ignored',
  k8sKeyFile: 'ignored',
  k8sCertFile: 'ignored',
  k8sCAFile: 'ignored',
  k8sAPIToken: 'ignored',
  k8sInsecureSkipTLSVerify: 'ignored',
  k8sClientQPS: 'ignored',
  k8sCurrentContext: 'ignored',
}

export interface LoadConfigInput {
  /** --config as given, or undefined for the default path. */
  configPath?: string | undefined
  env: Record<string, string | undefined>
  timeoutMs?: number | undefined
  readFile?: (path: string) => string
}

function splitEndpoints(s: string | undefined): string[] {
  return (s ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
}

function finish(raw: Partial<ClientConfig> & {etcdEndpoints?: string}, timeoutMs: number): ClientConfig {
  const endpoints = splitEndpoints(raw.etcdEndpoints)
  const datastoreType = (raw.datastoreType as string | undefined) || (endpoints.length > 0 ? 'etcdv3' : 'etcdv3')
  if (datastoreType !== 'etcdv3' && datastoreType !== 'kubernetes')
    throw new CalicoError(`invalid datastoreType '${datastoreType}': must be etcdv3 or kubernetes`)
  if ((raw.key || raw.cert || raw.caCert) && (raw.keyFile || raw.certFile || raw.caCertFile))
    throw new CalicoError('Cannot mix inline certificate-key and certificate / key files')
  const cfg: ClientConfig = {datastoreType, endpoints: endpoints.length > 0 ? endpoints : [DEFAULT_ENDPOINT], timeoutMs}
  for (const k of ['username', 'password', 'keyFile', 'certFile', 'caCertFile', 'key', 'cert', 'caCert'] as const) {
    const v = raw[k]
    if (typeof v === 'string' && v !== '') cfg[k] = v
  }
  return cfg
}

/** Pure apart from readFile: every precedence case is a unit test. */
export async function loadClientConfig(input: LoadConfigInput): Promise<ClientConfig> {
  const read = input.readFile ?? ((p: string) => readFileSync(p, 'utf8'))
  const timeoutMs = input.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const path = input.configPath ?? input.env.CALICOCTL_CONFIG ?? DEFAULT_CONFIG_PATH
  let text: string | undefined
  try {
    text = read(path)
  } catch {
    if (input.configPath !== undefined) throw new CalicoError(`Error reading config file: ${path}`)
  }
  if (text !== undefined) return parseConfigFile(path, text, timeoutMs)

  const env = input.env
  const get = (name: string) => env[`CALICO_${name}`] ?? env[name]
  return finish(
    {
      datastoreType: get('DATASTORE_TYPE') as ClientConfig['datastoreType'],
      etcdEndpoints: get('ETCD_ENDPOINTS'),
      username: get('ETCD_USERNAME'),
      password: get('ETCD_PASSWORD'),
      keyFile: get('ETCD_KEY_FILE'),
      certFile: get('ETCD_CERT_FILE'),
      caCertFile: get('ETCD_CA_CERT_FILE'),
    },
    timeoutMs,
  )
}

export async function parseConfigFile(path: string, text: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<ClientConfig> {
  // The YAML reader is loaded only for a config file: most runs have none (the environment), and
  // it is a tenth of a command's start-up under user-mode-linux.
  const [{default: yaml}, {GO_YAML_SCHEMA}] = await Promise.all([import('js-yaml'), import('../resources/go-yaml.js')])
  let doc: any
  try {
    // As calicoctl reads it (libcalico-go/lib/apiconfig/load.go: sigs.k8s.io/yaml UnmarshalStrict).
    doc = yaml.load(text, {schema: GO_YAML_SCHEMA})
  } catch (error) {
    throw new CalicoError(`syntax error in ${path}: failed to parse config as YAML/JSON: ${(error as Error).message.split('\n')[0]}`)
  }
  if (!doc || typeof doc !== 'object') throw new CalicoError(`invalid config file ${path}: expected a CalicoAPIConfig document`)
  if (doc.apiVersion !== 'projectcalico.org/v3') throw new CalicoError(`invalid config file: unknown APIVersion '${doc.apiVersion ?? ''}'`)
  if (doc.kind !== 'CalicoAPIConfig') throw new CalicoError(`invalid config file: expected kind 'CalicoAPIConfig', got '${doc.kind ?? ''}'`)
  for (const k of Object.keys(doc))
    if (!['apiVersion', 'kind', 'metadata', 'spec'].includes(k))
      throw new CalicoError(`invalid config file ${path}: field in document is not recognized or is in the wrong location: ${k}`)
  const spec = doc.spec ?? {}
  const raw: Record<string, string> = {}
  for (const [k, v] of Object.entries(spec)) {
    const target = SPEC_FIELDS[k]
    if (!target) throw new CalicoError(`invalid config file ${path}: field in document is not recognized or is in the wrong location: spec.${k}`)
    if (target !== 'ignored' && v !== null && v !== undefined) raw[target] = typeof v === 'number' || typeof v === 'boolean' ? goString(v) : String(v)
  }
  return finish(raw as any, timeoutMs)
}
