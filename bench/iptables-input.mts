// The iptables benchmarks' input (bench/iptables-child.mts, bench/ip-ab.mts): 1,000
// GlobalNetworkPolicies x 5 rules selecting, 20 each, 500 local workload endpoints
// (BENCH_IPT_POLICIES, BENCH_IPT_WEPS).
import {compileSelector, type IptablesInput, type PolicyInput} from '../src/dataplane/iptables/index.js'

const N_POLICIES = Number(process.env.BENCH_IPT_POLICIES ?? 1000)
const N_WEPS = Number(process.env.BENCH_IPT_WEPS ?? 500)

export function policy(i: number, port = 8000 + (i % 1000)): PolicyInput {
  return {
    kind: 'GlobalNetworkPolicy',
    name: `bench-${i}`,
    spec: {
      order: i,
      selector: `app == 'a${i % 50}'`,
      types: ['Ingress', 'Egress'],
      ingress: [
        {action: 'Allow', protocol: 'TCP', source: {selector: `role == 'r${i % 20}'`}, destination: {ports: [port]}},
        {action: 'Allow', protocol: 'TCP', source: {nets: [`172.16.${i % 250}.0/24`]}, destination: {ports: [443, 8443]}},
        {action: 'Deny', protocol: 'UDP', destination: {ports: [53]}, source: {notNets: ['172.17.0.0/16']}},
        {action: 'Allow', protocol: 'ICMP'},
      ],
      egress: [{action: 'Allow', protocol: 'TCP', destination: {nets: [`172.18.${i % 250}.0/24`], ports: [5432]}}],
    } as PolicyInput['spec'],
  }
}

export function benchInput(): IptablesInput {
  return {
    nodeName: 'h1',
    tiers: [],
    policies: Array.from({length: N_POLICIES}, (_, i) => policy(i)),
    profiles: [{name: 'kns.default', spec: {ingress: [{action: 'Allow'}], egress: [{action: 'Allow'}]}}],
    workloadEndpoints: Array.from({length: N_WEPS}, (_, i) => ({
      name: `h1-k8s-pod${i}-eth0`,
      namespace: 'default',
      labels: {app: `a${i % 50}`, role: `r${i % 20}`},
      spec: {node: 'h1', interfaceName: `cali${i.toString(16).padStart(11, '0')}`, ipNetworks: [`10.65.${i >> 8}.${i & 255}/32`], profiles: ['kns.default']},
    })) as IptablesInput['workloadEndpoints'],
    hostEndpoints: [],
    networkSets: [],
    pools: [{cidr: '10.64.0.0/12', natOutgoing: true, ipipMode: 'Always', disabled: false}],
    allHostIPs: ['172.31.253.1', '172.31.253.2'],
    compileSelector,
  }
}
