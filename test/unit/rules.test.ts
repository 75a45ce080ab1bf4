import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import type {FieldError} from '../../src/resources/errors.js'
import {
  inferPolicyTypes,
  MSG_HTTP_NEEDS_TCP,
  MSG_ICMP_NEEDS_PROTOCOL,
  MSG_NUMERIC_PORTS_NEED_PROTOCOL,
  MSG_PORTS_NEED_PROTOCOL,
  PortError,
  parsePort,
  protocolNumber,
  protocolSupportsPorts,
  validateEntityRule,
  validatePolicySpec,
  validatePolicyTypes,
  validateProtocol,
  validateRule,
  validateRules,
} from '../../src/resources/rules.js'
import {GLOBAL_NOT_ALLOWED, GLOBAL_NOT_ALONE} from '../../src/resources/selector.js'

const P = 'spec.ingress[0]'

function ingress(rule: unknown): FieldError[] {
  return validateRule(rule, P, {direction: 'ingress'})
}
function egress(rule: unknown): FieldError[] {
  return validateRule(rule, 'spec.egress[0]', {direction: 'egress'})
}
/** The findings as `field: reason` lines, for compact comparison. */
function lines(errors: FieldError[]): string[] {
  return errors.map((e) => `${e.field}: ${e.reason}`)
}

describe('parsePort', () => {
  test('numbers, numeric strings, ranges and names', () => {
    assert.deepEqual(parsePort(80), {min: 80, max: 80})
    assert.deepEqual(parsePort(1), {min: 1, max: 1})
    assert.deepEqual(parsePort(65535), {min: 65535, max: 65535})
    assert.deepEqual(parsePort('443'), {min: 443, max: 443})
    assert.deepEqual(parsePort('1000:2000'), {min: 1000, max: 2000})
    assert.deepEqual(parsePort('5:5'), {min: 5, max: 5})
    assert.deepEqual(parsePort('http'), {name: 'http'})
    assert.deepEqual(parsePort('metrics-9090'), {name: 'metrics-9090'})
  })

  const bad: Array<[unknown, RegExp]> = [
    [0, /port number must be between 1 and 65535/],
    ['0', /port number must be between 1 and 65535/],
    [65536, /invalid port number \(65536\)/],
    [-1, /invalid port number/],
    [1.5, /invalid port number/],
    ['65536', /invalid port format \(65536\)/],
    ['0:10', /port number must be between 1 and 65535/],
    ['10:70000', /invalid maximum port number in range \(10:70000\)/],
    ['70000:70001', /invalid minimum port number in range/],
    ['9:8', /minimum port number \(9\) is greater than maximum port number \(8\) in port range/],
    ['1-2:3', /invalid name for named port/],
    ['', /invalid name for named port \(\)/],
    ['a b', /invalid name for named port \(a b\)$/],
    ['HTTP', /invalid name for named port \(HTTP\):/],
    ['my_port', /invalid name for named port/],
    ['-http', /invalid name for named port/],
    ['ht--tp', /invalid name for named port/],
    ['1234-5678', /invalid name for named port/], // needs a letter
    ['abcdefghijklmnop', /invalid name for named port/], // 16 characters
    [true, /must be a number or a string/],
    [null, /must be a number or a string/],
  ]
  for (const [input, message] of bad) {
    test(`rejects ${JSON.stringify(input)}`, () => {
      assert.throws(
        () => parsePort(input),
        (e: unknown) => e instanceof PortError && message.test(e.message),
      )
    })
  }
})

describe('protocols', () => {
  test('protocolNumber maps names and numbers', () => {
    assert.equal(protocolNumber('TCP'), 6)
    assert.equal(protocolNumber('UDP'), 17)
    assert.equal(protocolNumber('ICMP'), 1)
    assert.equal(protocolNumber('ICMPv6'), 58)
    assert.equal(protocolNumber('SCTP'), 132)
    assert.equal(protocolNumber('UDPLite'), 136)
    assert.equal(protocolNumber(47), 47)
    assert.equal(protocolNumber('255'), 255)
    assert.throws(() => protocolNumber('tcp'), /protocol name invalid/)
    assert.throws(() => protocolNumber(0), /protocol number invalid/)
  })

  test('validateProtocol accepts what Calico accepts', () => {
    for (const p of ['TCP', 'UDP', 'ICMP', 'ICMPv6', 'SCTP', 'UDPLite', 1, 255, '1', '255']) {
      assert.deepEqual(validateProtocol(p, 'protocol'), [], String(p))
    }
    const reasons = (p: unknown) => validateProtocol(p, 'protocol').map((e) => e.reason)
    assert.deepEqual(reasons(0), ['protocol number invalid'])
    assert.deepEqual(reasons('0'), ['protocol number invalid'])
    assert.deepEqual(reasons(256), ['protocol number invalid'])
    assert.deepEqual(reasons(6.5), ['protocol number invalid'])
    for (const p of ['256', 'tcp', 'Tcp', 'icmpv6', 'tcpfoo', 'footcp', '']) {
      assert.match(reasons(p)[0] ?? '', /^protocol name invalid/, p)
    }
    assert.deepEqual(reasons(true), ['protocol must be a name or a number'])
  })

  test('only TCP, UDP and SCTP have ports', () => {
    assert.equal(protocolSupportsPorts('TCP'), true)
    assert.equal(protocolSupportsPorts(17), true)
    assert.equal(protocolSupportsPorts('132'), true)
    assert.equal(protocolSupportsPorts('UDPLite'), false)
    assert.equal(protocolSupportsPorts('ICMP'), false)
    assert.equal(protocolSupportsPorts('bogus'), false)
  })
})

describe('validateRule: basics', () => {
  test('a full valid ingress rule has no findings', () => {
    const rule = {
      metadata: {annotations: {owner: 'team-a'}},
      action: 'Allow',
      ipVersion: 4,
      protocol: 'TCP',
      notProtocol: 'UDP',
      source: {
        nets: ['10.0.0.0/8', '192.168.1.1'],
        notNets: ['10.1.0.0/16'],
        selector: "role == 'frontend'",
        notSelector: 'has(quarantine)',
        namespaceSelector: "env in {'prod', 'staging'}",
        serviceAccounts: {names: ['api', 'web'], selector: 'has(team)'},
        ports: ['1024:65535'],
        notPorts: [5000],
      },
      destination: {ports: [80, '443', 'http', '8000:8080'], notPorts: ['metrics']},
      http: {methods: ['GET', 'POST'], paths: [{exact: '/healthz'}, {prefix: '/api/'}]},
    }
    assert.deepEqual(ingress(rule), [])
  })

  test('minimal rules for each action', () => {
    for (const action of ['Allow', 'Deny', 'Log', 'Pass']) assert.deepEqual(ingress({action}), [])
  })

  test('action is required and case-sensitive', () => {
    assert.deepEqual(lines(ingress({})), [`${P}.action: action must be one of Allow, Deny, Log, Pass`])
    for (const action of ['allow', 'DENY', 'Accept', 5]) {
      const [e] = ingress({action})
      assert.equal(e?.field, `${P}.action`)
      assert.equal(e?.value, action)
    }
  })

  test('ipVersion must be 4 or 6', () => {
    assert.deepEqual(ingress({action: 'Allow', ipVersion: 6}), [])
    for (const v of [5, '4', 0]) {
      assert.deepEqual(lines(ingress({action: 'Allow', ipVersion: v})), [`${P}.ipVersion: ipVersion must be 4 or 6`])
    }
  })

  test('a rule must be an object', () => {
    assert.deepEqual(lines(ingress('Allow')), [`${P}: must be an object`])
    assert.deepEqual(lines(ingress([])), [`${P}: must be an object`])
    assert.deepEqual(lines(ingress(null)), [`${P}: must be an object`])
  })

  test('unknown fields are errors at every level', () => {
    const errors = ingress({
      action: 'Allow',
      protocol: 'ICMP',
      Action: 'Allow',
      icmp: {type: 8, typ: 1},
      source: {selectr: 'has(a)'},
      destination: {services: {name: 'svc', port: 80}, serviceAccounts: {name: ['x']}},
      http: {method: ['GET'], paths: [{exact: '/', regex: '.*'}]},
      metadata: {labels: {}},
    })
    assert.deepEqual(lines(errors).filter((l) => l.endsWith('field is not recognised')), [
      `${P}.Action: field is not recognised`,
      `${P}.icmp.typ: field is not recognised`,
      `${P}.http.method: field is not recognised`,
      `${P}.http.paths[0].regex: field is not recognised`,
      `${P}.metadata.labels: field is not recognised`,
      `${P}.source.selectr: field is not recognised`,
      `${P}.destination.serviceAccounts.name: field is not recognised`,
      `${P}.destination.services.port: field is not recognised`,
    ])
  })

  test('protocol and notProtocol are checked by name and number', () => {
    assert.deepEqual(ingress({action: 'Allow', protocol: 47, notProtocol: '17'}), [])
    assert.deepEqual(lines(ingress({action: 'Allow', protocol: 'tcp', notProtocol: 0})).map((l) => l.split(' (')[0]), [
      `${P}.protocol: protocol name invalid`,
      `${P}.notProtocol: protocol number invalid`,
    ])
  })

  test('all findings are collected, not just the first', () => {
    const errors = ingress({action: 'Nope', ipVersion: 5, protocol: 'bogus', source: {nets: ['x', 'y']}})
    assert.equal(errors.length, 5)
  })

  test('metadata annotations must be strings', () => {
    assert.deepEqual(lines(ingress({action: 'Allow', metadata: {annotations: {a: 1}}})), [
      `${P}.metadata.annotations.a: must be a string`,
    ])
    assert.deepEqual(lines(ingress({action: 'Allow', metadata: {annotations: []}})), [
      `${P}.metadata.annotations: must be a map of strings`,
    ])
  })
})

describe('validateRule: ICMP', () => {
  test('type 0-254 and code 0-255 with ICMP or ICMPv6', () => {
    assert.deepEqual(ingress({action: 'Allow', protocol: 'ICMP', icmp: {type: 0}}), [])
    assert.deepEqual(ingress({action: 'Allow', protocol: 'ICMP', icmp: {type: 254, code: 255}}), [])
    assert.deepEqual(ingress({action: 'Allow', protocol: 'ICMPv6', ipVersion: 6, icmp: {type: 128, code: 0}}), [])
    assert.deepEqual(ingress({action: 'Allow', protocol: 1, notICMP: {type: 8}}), [])
    assert.deepEqual(ingress({action: 'Allow', protocol: '58', icmp: {type: 135}}), [])
    assert.deepEqual(ingress({action: 'Deny', protocol: 'ICMP', icmp: {}}), [])
  })

  test('out-of-range type and code', () => {
    assert.deepEqual(lines(ingress({action: 'Allow', protocol: 'ICMP', icmp: {type: 255}})), [
      `${P}.icmp.type: ICMP type must be an integer between 0 and 254`,
    ])
    assert.deepEqual(lines(ingress({action: 'Allow', protocol: 'ICMP', notICMP: {type: 3, code: 256}})), [
      `${P}.notICMP.code: ICMP code must be an integer between 0 and 255`,
    ])
    assert.deepEqual(lines(ingress({action: 'Allow', protocol: 'ICMP', icmp: {type: -1, code: '1'}})), [
      `${P}.icmp.type: ICMP type must be an integer between 0 and 254`,
      `${P}.icmp.code: ICMP code must be an integer between 0 and 255`,
    ])
  })

  test('a code needs a type', () => {
    assert.deepEqual(lines(ingress({action: 'Allow', protocol: 'ICMP', icmp: {code: 0}})), [
      `${P}.icmp.code: ICMP code specified without an ICMP type`,
    ])
  })

  test('ICMP fields need protocol ICMP or ICMPv6', () => {
    assert.deepEqual(lines(ingress({action: 'Allow', icmp: {type: 8}})), [`${P}.icmp: ${MSG_ICMP_NEEDS_PROTOCOL}`])
    assert.deepEqual(lines(ingress({action: 'Allow', protocol: 'TCP', notICMP: {type: 8}})), [
      `${P}.notICMP: ${MSG_ICMP_NEEDS_PROTOCOL}`,
    ])
    // notProtocol does not count: the match still needs a positive protocol.
    assert.deepEqual(lines(ingress({action: 'Allow', notProtocol: 'ICMP', icmp: {type: 8}})), [
      `${P}.icmp: ${MSG_ICMP_NEEDS_PROTOCOL}`,
    ])
  })

  test('an invalid protocol is reported once, not again as an ICMP mismatch', () => {
    assert.deepEqual(
      ingress({action: 'Allow', protocol: 'icmp', icmp: {type: 8}}).map((e) => e.field),
      [`${P}.protocol`],
    )
  })

  test('ICMP with ipVersion 6 and ICMPv6 with ipVersion 4', () => {
    assert.deepEqual(lines(ingress({action: 'Allow', protocol: 'ICMP', ipVersion: 6})), [
      `${P}.ipVersion: must set ipversion to '4' with protocol icmp`,
    ])
    assert.deepEqual(lines(ingress({action: 'Allow', notProtocol: 1, ipVersion: 6})), [
      `${P}.ipVersion: must set ipversion to '4' with protocol icmp`,
    ])
    assert.deepEqual(lines(ingress({action: 'Allow', protocol: 'ICMPv6', ipVersion: 4})), [
      `${P}.ipVersion: must set ipversion to '6' with protocol icmpv6`,
    ])
    assert.deepEqual(lines(ingress({action: 'Allow', notProtocol: 'ICMPv6', ipVersion: 4})), [
      `${P}.ipVersion: must set ipversion to '6' with protocol icmpv6`,
    ])
    assert.deepEqual(ingress({action: 'Allow', protocol: 'ICMP', ipVersion: 4}), [])
    assert.deepEqual(ingress({action: 'Allow', protocol: 'ICMPv6'}), [])
  })
})

describe('validateRule: ports', () => {
  test('ports with TCP, UDP, SCTP and their numbers', () => {
    for (const protocol of ['TCP', 'UDP', 'SCTP', 6, 17, 132, '6']) {
      assert.deepEqual(ingress({action: 'Allow', protocol, source: {ports: [53]}, destination: {notPorts: ['1:2']}}), [])
    }
  })

  test('numeric ports without a protocol', () => {
    assert.deepEqual(lines(ingress({action: 'Allow', destination: {ports: [80]}, source: {notPorts: ['http', '1:9']}})), [
      `${P}.source.notPorts: ${MSG_NUMERIC_PORTS_NEED_PROTOCOL}`,
      `${P}.destination.ports: ${MSG_NUMERIC_PORTS_NEED_PROTOCOL}`,
    ])
  })

  test('named ports without a protocol are allowed', () => {
    assert.deepEqual(ingress({action: 'Allow', destination: {ports: ['http']}, source: {notPorts: ['dns']}}), [])
  })

  test('any ports with a protocol that has none', () => {
    for (const protocol of ['ICMP', 'UDPLite', 47, '7']) {
      assert.deepEqual(lines(ingress({action: 'Allow', protocol, source: {ports: ['http']}, destination: {notPorts: [1]}})), [
        `${P}.source.ports: ${MSG_PORTS_NEED_PROTOCOL}`,
        `${P}.destination.notPorts: ${MSG_PORTS_NEED_PROTOCOL}`,
      ], String(protocol))
    }
  })

  test('empty port lists need no protocol', () => {
    assert.deepEqual(ingress({action: 'Allow', protocol: 'ICMP', destination: {ports: [], notPorts: []}}), [])
    assert.deepEqual(ingress({action: 'Allow', destination: {ports: []}}), [])
  })

  test('each bad port is reported at its index', () => {
    assert.deepEqual(lines(ingress({action: 'Allow', protocol: 'TCP', destination: {ports: [80, 0, '9:8'], notPorts: ['Bad']}})).map((l) => l.split(':')[0]), [
      `${P}.destination.ports[1]`,
      `${P}.destination.ports[2]`,
      `${P}.destination.notPorts[0]`,
    ])
  })

  test('ports must be a list of at most 50', () => {
    assert.deepEqual(lines(ingress({action: 'Allow', protocol: 'TCP', destination: {ports: 80}})), [
      `${P}.destination.ports: must be a list of ports`,
    ])
    const many = Array.from({length: 51}, (_, i) => i + 1)
    assert.deepEqual(lines(ingress({action: 'Allow', protocol: 'TCP', destination: {ports: many}})), [
      `${P}.destination.ports: must have at most 50 items`,
    ])
  })
})

describe('validateRule: nets', () => {
  test('CIDRs and bare IPs of either family', () => {
    assert.deepEqual(ingress({action: 'Allow', source: {nets: ['10.0.0.0/8', '10.1.2.3', '10.1.2.3/32', '0.0.0.0/0']}}), [])
    assert.deepEqual(ingress({action: 'Allow', source: {nets: ['fd00::/8', 'dead:beef::1', '::/0']}}), [])
  })

  test('malformed and host-bit CIDRs', () => {
    const nets = ['garbage', '10.0.0.0/33', '10.0.0.0/x', '10.0.0/8', '10.0.0.0/8/8', 'fe80::1%eth0', '10.0.0.1/8', 'fd00::1/8', 7]
    assert.deepEqual(lines(ingress({action: 'Allow', destination: {nets}})), [
      `${P}.destination.nets[0]: invalid CIDR`,
      `${P}.destination.nets[1]: invalid CIDR`,
      `${P}.destination.nets[2]: invalid CIDR`,
      `${P}.destination.nets[3]: invalid CIDR`,
      `${P}.destination.nets[4]: invalid CIDR`,
      `${P}.destination.nets[5]: invalid CIDR`,
      `${P}.destination.nets[6]: invalid CIDR: host bits are set (did you mean 10.0.0.0/8?)`,
      `${P}.destination.nets[7]: invalid CIDR: host bits are set (did you mean fd00::/8?)`,
      `${P}.destination.nets[8]: must be a string`,
    ])
  })

  test('a catch-all notNets matches nothing and is refused', () => {
    assert.deepEqual(lines(ingress({action: 'Allow', source: {notNets: ['0.0.0.0/0']}})), [
      `${P}.source.notNets[0]: catch-all CIDR in negation creates logical contradiction (matches no traffic)`,
    ])
    assert.equal(ingress({action: 'Allow', source: {notNets: ['::/0']}}).length, 1)
    assert.deepEqual(ingress({action: 'Allow', source: {nets: ['0.0.0.0/0']}}), [])
  })

  test('families may not mix within a rule', () => {
    assert.deepEqual(lines(ingress({action: 'Allow', source: {nets: ['10.0.0.0/8']}, destination: {nets: ['fd00::/8']}})), [
      `${P}.destination.nets: rule contains both IPv4 and IPv6 CIDRs`,
    ])
    assert.deepEqual(lines(ingress({action: 'Allow', source: {nets: ['10.0.0.0/8', 'fd00::/8']}})), [
      `${P}.source.nets: rule contains both IPv4 and IPv6 CIDRs`,
    ])
    assert.deepEqual(lines(ingress({action: 'Allow', source: {nets: ['fd00::/8'], notNets: ['10.0.0.0/8']}})), [
      `${P}.source.notNets: rule contains both IPv4 and IPv6 CIDRs`,
    ])
  })

  test('CIDRs must match ipVersion', () => {
    assert.deepEqual(lines(ingress({action: 'Allow', ipVersion: 6, source: {nets: ['10.0.0.0/8']}})), [
      `${P}.source.nets: rule IP version doesn't match CIDR version`,
    ])
    assert.deepEqual(lines(ingress({action: 'Allow', ipVersion: 4, destination: {notNets: ['fd00::/8']}})), [
      `${P}.destination.notNets: rule IP version doesn't match CIDR version`,
    ])
    assert.deepEqual(ingress({action: 'Allow', ipVersion: 6, destination: {nets: ['fd00::/8']}}), [])
  })

  test('nets must be a list of at most 256', () => {
    assert.deepEqual(lines(ingress({action: 'Allow', source: {nets: '10.0.0.0/8'}})), [
      `${P}.source.nets: must be a list of CIDRs`,
    ])
    const many = Array.from({length: 257}, (_, i) => `10.0.${i >> 8}.${i & 255}`)
    assert.deepEqual(lines(ingress({action: 'Allow', source: {nets: many}})), [`${P}.source.nets: must have at most 256 items`])
  })
})

describe('validateRule: selectors', () => {
  test('invalid selectors are reported with the parser message', () => {
    assert.deepEqual(lines(ingress({action: 'Allow', source: {selector: 'thing=hello &'}})), [
      `${P}.source.selector: invalid selector: expected ==`,
    ])
    assert.deepEqual(lines(ingress({action: 'Allow', destination: {notSelector: 'a =='}})), [
      `${P}.destination.notSelector: invalid selector: expected a quoted string after "==" but found end of selector`,
    ])
    assert.equal(ingress({action: 'Allow', source: {namespaceSelector: '(('}})[0]?.field, `${P}.source.namespaceSelector`)
    assert.equal(ingress({action: 'Allow', source: {serviceAccounts: {selector: 'x'}}})[0]?.field, `${P}.source.serviceAccounts.selector`)
  })

  test('global() only in namespaceSelector, and there on its own', () => {
    assert.deepEqual(ingress({action: 'Allow', source: {namespaceSelector: 'global()', selector: 'has(a)'}}), [])
    assert.deepEqual(lines(ingress({action: 'Allow', source: {selector: 'global()'}})), [
      `${P}.source.selector: ${GLOBAL_NOT_ALLOWED}`,
    ])
    assert.deepEqual(lines(ingress({action: 'Allow', destination: {notSelector: 'has(a) || global()'}})), [
      `${P}.destination.notSelector: ${GLOBAL_NOT_ALLOWED}`,
    ])
    assert.deepEqual(lines(ingress({action: 'Allow', source: {serviceAccounts: {selector: 'global()'}}})), [
      `${P}.source.serviceAccounts.selector: ${GLOBAL_NOT_ALLOWED}`,
    ])
    assert.deepEqual(lines(ingress({action: 'Allow', source: {namespaceSelector: 'global() && has(a)'}})), [
      `${P}.source.namespaceSelector: ${GLOBAL_NOT_ALONE}`,
    ])
  })

  test('selectors longer than 1024 characters', () => {
    const long = `a in {${Array.from({length: 200}, (_, i) => `'v${i}'`).join(',')}}`
    assert.ok(long.length > 1024)
    assert.deepEqual(lines(ingress({action: 'Allow', source: {selector: long}})), [
      `${P}.source.selector: selector is longer than 1024 characters`,
    ])
  })

  test('serviceAccounts names', () => {
    assert.deepEqual(lines(ingress({action: 'Allow', source: {serviceAccounts: {names: ['ok', '', 3]}}})), [
      `${P}.source.serviceAccounts.names[1]: must be a non-empty string`,
      `${P}.source.serviceAccounts.names[2]: must be a non-empty string`,
    ])
    assert.deepEqual(lines(ingress({action: 'Allow', source: {serviceAccounts: {names: 'x'}}})), [
      `${P}.source.serviceAccounts.names: must be a list of names`,
    ])
  })
})

describe('validateRule: services', () => {
  test('allowed in an ingress source and an egress destination', () => {
    assert.deepEqual(ingress({action: 'Allow', protocol: 'TCP', source: {services: {name: 'web', namespace: 'prod'}, ports: [80]}}), [])
    assert.deepEqual(egress({action: 'Allow', destination: {services: {name: 'kube-dns', namespace: 'kube-system'}}}), [])
  })

  test('refused in an egress source and an ingress destination', () => {
    assert.deepEqual(lines(egress({action: 'Allow', source: {services: {name: 'web'}}})), [
      'spec.egress[0].source.services: not allowed in egress rule source',
    ])
    assert.deepEqual(lines(ingress({action: 'Allow', destination: {services: {name: 'web'}}})), [
      `${P}.destination.services: not allowed in ingress rule destination`,
    ])
  })

  test('not combined with selectors, nets or service accounts', () => {
    const errors = egress({
      action: 'Allow',
      destination: {
        services: {name: 'web'},
        selector: 'has(a)',
        namespaceSelector: 'has(b)',
        nets: ['10.0.0.0/8'],
        serviceAccounts: {names: ['x']},
      },
    })
    assert.deepEqual(lines(errors), [
      'spec.egress[0].destination.services: cannot specify NamespaceSelector and Services on the same rule',
      'spec.egress[0].destination.services: cannot specify Selector/NotSelector and Services on the same rule',
      'spec.egress[0].destination.services: cannot specify ServiceAccounts and Services on the same rule',
      'spec.egress[0].destination.services: cannot specify Nets/NotNets and Services on the same rule',
    ])
    assert.equal(egress({action: 'Allow', destination: {services: {name: 'web'}, notSelector: 'has(a)'}}).length, 1)
    assert.equal(egress({action: 'Allow', destination: {services: {name: 'web'}, notNets: ['10.0.0.0/8']}}).length, 1)
  })

  test('a destination service takes its ports from the endpoints', () => {
    assert.deepEqual(lines(egress({action: 'Allow', protocol: 'TCP', destination: {services: {name: 'web'}, ports: [80], notPorts: [81]}})), [
      'spec.egress[0].destination.ports: cannot specify ports with a service selector',
      'spec.egress[0].destination.notPorts: cannot specify notports with a service selector',
    ])
  })

  test('needs a valid name; a namespace in global policies', () => {
    assert.deepEqual(lines(egress({action: 'Allow', destination: {services: {namespace: 'x'}}})), [
      'spec.egress[0].destination.services.name: services must specify a service name',
    ])
    assert.deepEqual(lines(egress({action: 'Allow', destination: {services: {name: 'Web_1', namespace: 'Prod'}}})), [
      "spec.egress[0].destination.services.name: name must consist of lower case alphanumeric characters, '-' or '.'",
      "spec.egress[0].destination.services.namespace: name must consist of lower case alphanumeric characters, '-' or '.'",
    ])
    const global = validateRule({action: 'Allow', destination: {services: {name: 'web'}}}, 'spec.egress[0]', {
      direction: 'egress',
      globalPolicy: true,
    })
    assert.deepEqual(lines(global), ['spec.egress[0].destination.services.namespace: must specify a namespace'])
  })
})

describe('validateRule: http', () => {
  test('Allow with TCP or no protocol', () => {
    assert.deepEqual(ingress({action: 'Allow', protocol: 'TCP', http: {methods: ['GET']}}), [])
    assert.deepEqual(ingress({action: 'Allow', protocol: 6, http: {paths: [{prefix: '/'}]}}), [])
    assert.deepEqual(ingress({action: 'Allow', http: {}}), [])
  })

  test('other actions, other protocols and egress rules are refused', () => {
    assert.deepEqual(lines(ingress({action: 'Deny', http: {methods: ['GET']}})), [`${P}.http: HTTP match is only valid on Allow rules`])
    assert.deepEqual(lines(ingress({action: 'Allow', protocol: 'UDP', http: {methods: ['GET']}})), [
      `${P}.protocol: ${MSG_HTTP_NEEDS_TCP}`,
    ])
    assert.deepEqual(lines(egress({action: 'Allow', http: {methods: ['GET']}})), ['spec.egress[0].http: not allowed in egress rules'])
  })

  test('methods and paths', () => {
    const errors = ingress({
      action: 'Allow',
      http: {
        methods: ['GET', 'PUT', 'GET'],
        paths: [{exact: '/a', prefix: '/b'}, {}, {exact: 'no-slash'}, {prefix: '/a?b'}, {prefix: '/a#b'}, {exact: '/a b'}, 'x'],
      },
    })
    assert.deepEqual(lines(errors), [
      `${P}.http.methods: Invalid methods (duplicates): [GET PUT GET]`,
      `${P}.http.paths[0]: Invalid path match. Both 'exact' and 'prefix' are set`,
      `${P}.http.paths[1]: Invalid path match. Either 'exact' or 'prefix' must be set`,
      `${P}.http.paths[2]: Invalid path no-slash. (must start with \`/\` and not contain \`?\` or \`#\`)`,
      `${P}.http.paths[3]: Invalid path /a?b. (must start with \`/\` and not contain \`?\` or \`#\`)`,
      `${P}.http.paths[4]: Invalid path /a#b. (must start with \`/\` and not contain \`?\` or \`#\`)`,
      `${P}.http.paths[5]: Invalid path /a b. (must start with \`/\` and not contain \`?\` or \`#\`)`,
      `${P}.http.paths[6]: must be an object`,
    ])
    assert.deepEqual(lines(ingress({action: 'Allow', http: {methods: 'GET'}})), [`${P}.http.methods: must be a list of strings`])
  })
})

describe('validateEntityRule on its own', () => {
  test('checks one side with the given direction', () => {
    assert.deepEqual(validateEntityRule({selector: 'has(a)', ports: ['http']}, 'x.source', {direction: 'ingress', side: 'source'}), [])
    assert.deepEqual(lines(validateEntityRule('nope', 'x.source', {direction: 'ingress', side: 'source'})), [
      'x.source: must be an object',
    ])
    assert.deepEqual(
      lines(validateEntityRule({services: {name: 'a'}}, 'x.destination', {direction: 'ingress', side: 'destination'})),
      ['x.destination.services: not allowed in ingress rule destination'],
    )
  })
})

describe('validateRules', () => {
  test('names each rule by index and collects across rules', () => {
    const errors = validateRules([{action: 'Allow'}, {action: 'deny'}, {action: 'Pass', foo: 1}], 'spec.egress', {
      direction: 'egress',
    })
    assert.deepEqual(errors.map((e) => e.field), ['spec.egress[1].action', 'spec.egress[2].foo'])
    assert.deepEqual(validateRules(undefined, 'spec.egress', {direction: 'egress'}), [])
    assert.deepEqual(lines(validateRules({}, 'spec.egress', {direction: 'egress'})), ['spec.egress: must be a list of rules'])
  })
})

describe('policy types', () => {
  test('inferPolicyTypes follows Calico defaulting', () => {
    assert.deepEqual(inferPolicyTypes({}), ['Ingress'])
    assert.deepEqual(inferPolicyTypes({ingress: [{}]}), ['Ingress'])
    assert.deepEqual(inferPolicyTypes({ingress: [], egress: []}), ['Ingress'])
    assert.deepEqual(inferPolicyTypes({egress: [{}]}), ['Egress'])
    assert.deepEqual(inferPolicyTypes({ingress: [{}], egress: [{}]}), ['Ingress', 'Egress'])
    assert.deepEqual(inferPolicyTypes({egress: [{}], types: ['Ingress']}), ['Ingress'])
    assert.deepEqual(inferPolicyTypes({types: []}), ['Ingress'])
  })

  test('validatePolicyTypes refuses unknown and repeated types', () => {
    assert.deepEqual(validatePolicyTypes(['Ingress', 'Egress'], 'spec.types'), [])
    assert.deepEqual(lines(validatePolicyTypes(['Ingress', 'ingress', 'Ingress'], 'spec.types')), [
      'spec.types[1]: type must be Ingress or Egress',
      "spec.types: 'Ingress' type specified more than once",
    ])
    assert.deepEqual(lines(validatePolicyTypes('Ingress', 'spec.types')), ['spec.types: must be a list of policy types'])
  })
})

describe('validatePolicySpec', () => {
  const np = (spec: unknown) => lines(validatePolicySpec(spec, 'spec', {global: false}))
  const gnp = (spec: unknown) => lines(validatePolicySpec(spec, 'spec', {global: true}))

  test('a full valid NetworkPolicy and GlobalNetworkPolicy spec have no findings', () => {
    const common = {
      tier: 'security',
      order: 100.5,
      selector: "role == 'db'",
      serviceAccountSelector: 'has(sa)',
      types: ['Ingress', 'Egress'],
      performanceHints: ['AssumeNeededOnEveryNode'],
      ingress: [{action: 'Allow', protocol: 'TCP', source: {namespaceSelector: 'global()'}, destination: {ports: [5432]}}],
      egress: [{action: 'Allow', destination: {services: {name: 'dns', namespace: 'kube-system'}}}],
    }
    assert.deepEqual(np(common), [])
    assert.deepEqual(gnp({...common, namespaceSelector: 'has(ns)', doNotTrack: true, applyOnForward: true}), [])
    assert.deepEqual(np({}), [])
    assert.deepEqual(np(undefined), [])
  })

  test('a spec must be an object', () => {
    assert.deepEqual(np([]), ['spec: must be an object'])
    assert.deepEqual(np('x'), ['spec: must be an object'])
  })

  test('GlobalNetworkPolicy-only fields are refused on a NetworkPolicy; unknown fields everywhere', () => {
    assert.deepEqual(np({doNotTrack: false, preDNAT: false, applyOnForward: true, namespaceSelector: 'all()', bogus: 1}), [
      'spec.doNotTrack: field is only valid on a GlobalNetworkPolicy',
      'spec.preDNAT: field is only valid on a GlobalNetworkPolicy',
      'spec.applyOnForward: field is only valid on a GlobalNetworkPolicy',
      'spec.namespaceSelector: field is only valid on a GlobalNetworkPolicy',
      'spec.bogus: field is not recognised',
    ])
    assert.deepEqual(gnp({Selector: 'all()'}), ['spec.Selector: field is not recognised'])
  })

  test('tier must be a DNS label', () => {
    assert.deepEqual(np({tier: 'default'}), [])
    assert.match(np({tier: 'My.Tier'})[0] ?? '', /^spec\.tier: name must consist of lower case alphanumeric characters or '-'/)
    assert.deepEqual(np({tier: 'a'.repeat(64)}), ['spec.tier: name is too long by 1 bytes'])
    assert.deepEqual(np({tier: 3}), ['spec.tier: must be a string'])
  })

  test('order must be a finite number', () => {
    assert.deepEqual(np({order: 0}), [])
    assert.deepEqual(np({order: '100'}), ['spec.order: order must be a number'])
    assert.deepEqual(np({order: Number.POSITIVE_INFINITY}), ['spec.order: order must be a number'])
  })

  test('policy selectors must parse and may not use global()', () => {
    assert.deepEqual(np({selector: 'a =='}).length, 1)
    assert.match(np({selector: 'a =='})[0] ?? '', /^spec\.selector: invalid selector: /)
    assert.deepEqual(np({selector: 'global()'}), [`spec.selector: ${GLOBAL_NOT_ALLOWED}`])
    assert.deepEqual(np({serviceAccountSelector: 'has(a) || global()'}), [
      `spec.serviceAccountSelector: ${GLOBAL_NOT_ALLOWED}`,
    ])
    assert.deepEqual(gnp({namespaceSelector: 'global()'}), [`spec.namespaceSelector: ${GLOBAL_NOT_ALLOWED}`])
  })

  test('types and performance hints', () => {
    assert.deepEqual(np({types: ['Egress', 'Egress']}), ["spec.types: 'Egress' type specified more than once"])
    assert.deepEqual(np({types: ['egress']}), ['spec.types[0]: type must be Ingress or Egress'])
    assert.deepEqual(np({performanceHints: ['Fast', 'AssumeNeededOnEveryNode', 'AssumeNeededOnEveryNode']}), [
      'spec.performanceHints[0]: must be one of AssumeNeededOnEveryNode',
      'spec.performanceHints[2]: performance hint repeated',
    ])
    assert.deepEqual(np({performanceHints: 'AssumeNeededOnEveryNode'}), ['spec.performanceHints: must be a list'])
  })

  test('rules are validated with their direction and full paths', () => {
    // In the order of the rule table (src/resources/rules.ts), not of the document.
    assert.deepEqual(
      np({
        ingress: [{action: 'Allow'}, {action: 'Allow', destination: {services: {name: 'web'}}}],
        egress: [{action: 'Allow', http: {methods: ['GET']}}, {action: 'Deny', protocol: 'ICMP', destination: {ports: [1]}}],
      }).sort(),
      [
        'spec.egress[0].http: not allowed in egress rules',
        `spec.egress[1].destination.ports: ${MSG_PORTS_NEED_PROTOCOL}`,
        'spec.ingress[1].destination.services: not allowed in ingress rule destination',
      ],
    )
    assert.deepEqual(np({ingress: {action: 'Allow'}}), ['spec.ingress: must be a list of rules'])
  })

  test('a GlobalNetworkPolicy service match must name its namespace; a NetworkPolicy one need not', () => {
    const spec = {egress: [{action: 'Allow', destination: {services: {name: 'web'}}}]}
    assert.deepEqual(np(spec), [])
    assert.deepEqual(gnp(spec), ['spec.egress[0].destination.services.namespace: must specify a namespace'])
  })

  test('doNotTrack and preDNAT need applyOnForward and exclude each other', () => {
    assert.deepEqual(gnp({doNotTrack: true, applyOnForward: true}), [])
    assert.deepEqual(gnp({preDNAT: true, applyOnForward: true, ingress: [{action: 'Deny'}]}), [])
    assert.deepEqual(gnp({doNotTrack: true}), [
      'spec.applyOnForward: applyOnForward must be true if either preDNAT or doNotTrack is true',
    ])
    assert.deepEqual(gnp({preDNAT: true, applyOnForward: false}), [
      'spec.applyOnForward: applyOnForward must be true if either preDNAT or doNotTrack is true',
    ])
    assert.deepEqual(gnp({preDNAT: true, doNotTrack: true, applyOnForward: true}), [
      'spec.preDNAT: preDNAT and doNotTrack cannot both be true',
    ])
    assert.deepEqual(gnp({applyOnForward: true}), [])
    assert.deepEqual(gnp({doNotTrack: false, preDNAT: false}), [])
  })

  test('preDNAT policies are ingress only', () => {
    assert.deepEqual(
      gnp({preDNAT: true, applyOnForward: true, types: ['Ingress', 'Egress'], egress: [{action: 'Allow'}]}),
      ["spec.egress: preDNAT policy cannot have any egress rules", "spec.types: preDNAT policy cannot have 'Egress' type"],
    )
    // doNotTrack policies may have egress rules.
    assert.deepEqual(gnp({doNotTrack: true, applyOnForward: true, egress: [{action: 'Allow'}]}), [])
  })

  test('the flags must be booleans', () => {
    assert.deepEqual(gnp({doNotTrack: 'true', preDNAT: 1, applyOnForward: 'yes'}), [
      'spec.doNotTrack: must be true or false',
      'spec.preDNAT: must be true or false',
      'spec.applyOnForward: must be true or false',
    ])
  })
})
