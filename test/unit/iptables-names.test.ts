// Chain names (src/dataplane/iptables/names.ts), the one place the model, the pending guard and
// `node explain` take them from. Prefixes as Felix's (upstream v3.32.1 felix/rules/rule_defs.go:
// PolicyInboundPfx cali-pi-, PolicyOutboundPfx cali-po-, ProfileInboundPfx cali-pri-,
// ProfileOutboundPfx cali-pro-, WorkloadToEndpointPfx cali-tw-, WorkloadFromEndpointPfx cali-fw-).
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {buildDesiredState, compileSelector} from '../../src/dataplane/iptables/index.js'
import {endpointChainName, policyChainName, policyId, profileChainName} from '../../src/dataplane/iptables/names.js'
import {MAX_CHAIN_NAME} from '../../src/dataplane/iptables/render.js'
import {allowAll, baseInput} from '../fixtures/iptables/input.js'

describe('iptables chain names', () => {
  it('spells Felix prefixes, namespaced policy ids and length-limited long names', () => {
    assert.equal(policyId('default', 'web'), 'default/web')
    assert.equal(policyId('default', 'web', 'shop'), 'default/shop/web')
    assert.equal(policyChainName('ingress', 'default/web'), 'cali-pi-default/web')
    assert.equal(policyChainName('egress', 'default/web'), 'cali-po-default/web')
    assert.equal(profileChainName('ingress', 'kns.shop'), 'cali-pri-kns.shop')
    assert.equal(profileChainName('egress', 'kns.shop'), 'cali-pro-kns.shop')
    assert.equal(endpointChainName('ingress', 'cali1234567890a'), 'cali-tw-cali1234567890a')
    assert.equal(endpointChainName('egress', 'cali1234567890a'), 'cali-fw-cali1234567890a')
    const long = policyChainName('ingress', policyId('default', 'a-policy-name-far-too-long-for-iptables', 'shop'))
    assert.ok(long.startsWith('cali-pi-_') && long.length === MAX_CHAIN_NAME, long)
    assert.notEqual(long, policyChainName('ingress', policyId('default', 'a-policy-name-far-too-long-for-iptable2', 'shop')))
  })

  it('are the names the model programs', () => {
    const input = baseInput()
    const names = new Set(buildDesiredState({...input, compileSelector}).tables.filter.chains.map((c) => c.name))
    const local = input.workloadEndpoints.filter((w) => w.spec.node === input.nodeName)
    assert.equal(local.length, 2)
    for (const dir of ['ingress', 'egress'] as const) {
      for (const w of local) assert.ok(names.has(endpointChainName(dir, w.spec.interfaceName ?? '')), `${dir} ${w.name}`)
      assert.ok(names.has(profileChainName(dir, 'kns.default')), `${dir} profile`)
      assert.ok(names.has(policyChainName(dir, policyId(allowAll.spec.tier ?? 'default', allowAll.name))), `${dir} policy`)
    }
  })
})
