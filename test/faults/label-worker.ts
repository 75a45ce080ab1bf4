// One writer process for the concurrency test: labels every named resource with its own key,
// through the same service function `calicoctl label` calls, over its own etcd connection.
// Prints one JSON line: {"ok": n, "failed": ["name: message", ...]}.
import {loadClientConfig} from '../../src/datastore/config.js'
import {EtcdDatastore} from '../../src/datastore/etcd.js'
import {ResourceStore} from '../../src/datastore/store.js'
import {kindByName} from '../../src/resources/registry.js'
import {labelResource} from '../../src/service/modify.js'

const [endpoint, writer, kind, ...names] = process.argv.slice(2)
const def = kindByName(kind!)
if (!def) throw new Error(`unknown kind ${kind}`)
const ds = await EtcdDatastore.connect(await loadClientConfig({env: {ETCD_ENDPOINTS: endpoint}, configPath: undefined, readFile: () => { throw new Error('no file') }}))
const store = new ResourceStore(ds)
let ok = 0
const failed: string[] = []
for (const name of names) {
  try {
    await labelResource(store, def, name, undefined, {key: `writer-${writer}`, value: `w${writer}`})
    ok++
  } catch (error) {
    failed.push(`${name}: ${(error as Error).message}`)
  }
}
ds.close()
process.stdout.write(`${JSON.stringify({ok, failed})}\n`)
