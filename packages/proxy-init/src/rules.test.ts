import { describe, expect, it } from 'vitest';
import { parseInitOptions } from './options.js';
import { buildRules, planRestore, readSavedState } from './rules.js';

const options = parseInitOptions({
  skipInboundPorts: '7191, 22',
  skipOutboundPorts: '3306,11211-11212',
  skipOutboundCidrs: '169.254.169.254,fd00::/8',
});

describe('rule generation', () => {
  it('builds the inbound and outbound chains for IPv4', () => {
    expect(planRestore(buildRules(options, 'ipv4'))).toBe(
      [
        '*nat',
        ':WEFT_INBOUND - [0:0]',
        ':WEFT_OUTBOUND - [0:0]',
        '-A WEFT_INBOUND -p tcp -m tcp --dport 7191 -j RETURN',
        '-A WEFT_INBOUND -p tcp -m tcp --dport 22 -j RETURN',
        '-A WEFT_INBOUND -p tcp -j REDIRECT --to-ports 7143',
        '-A WEFT_OUTBOUND -m owner --uid-owner 7102 -j RETURN',
        '-A WEFT_OUTBOUND -d 127.0.0.0/8 -j RETURN',
        '-A WEFT_OUTBOUND -p tcp -m tcp --dport 3306 -j RETURN',
        '-A WEFT_OUTBOUND -p tcp -m tcp --dport 11211:11212 -j RETURN',
        '-A WEFT_OUTBOUND -d 169.254.169.254/32 -j RETURN',
        '-A WEFT_OUTBOUND -p tcp -j REDIRECT --to-ports 7140',
        '-I PREROUTING 1 -p tcp -m comment --comment weft-inbound -j WEFT_INBOUND',
        '-I OUTPUT 1 -p tcp -m comment --comment weft-outbound -j WEFT_OUTBOUND',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  it('uses the IPv6 loopback and only IPv6 CIDRs for ip6tables', () => {
    const outbound = buildRules(options, 'ipv6').chains[1]!.rules;
    expect(outbound).toContain('-d ::1/128 -j RETURN');
    expect(outbound).toContain('-d fd00::/8 -j RETURN');
    expect(outbound.join('\n')).not.toContain('169.254');
  });

  it('deletes existing jumps into weft chains and leaves other rules alone', () => {
    const save = [
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      '-A PREROUTING -p tcp -m comment --comment weft-inbound -j WEFT_INBOUND',
      '-A PREROUTING -p tcp -m comment --comment "an older weft" -j WEFT_INBOUND',
      '-A OUTPUT -d 192.0.2.1/32 -j RETURN',
      '-A OUTPUT -p tcp -m comment --comment weft-outbound -j WEFT_OUTBOUND',
      '-A WEFT_OUTBOUND -p tcp -j REDIRECT --to-ports 7140',
      'COMMIT',
    ].join('\n');
    const plan = planRestore(buildRules(options, 'ipv4'), save).split('\n');
    expect(plan.filter((l) => l.startsWith('-D'))).toEqual([
      '-D PREROUTING -p tcp -m comment --comment weft-inbound -j WEFT_INBOUND',
      '-D PREROUTING -p tcp -m comment --comment "an older weft" -j WEFT_INBOUND',
      '-D OUTPUT -p tcp -m comment --comment weft-outbound -j WEFT_OUTBOUND',
    ]);
    expect(plan.join('\n')).not.toContain('192.0.2.1');
    expect(readSavedState(save)).toEqual({
      chains: { WEFT_OUTBOUND: ['-p tcp -j REDIRECT --to-ports 7140'] },
      jumps: { PREROUTING: 2, OUTPUT: 1 },
    });
  });
});

describe('options', () => {
  it('defaults to the fixed weft ports, skipping the admin port inbound', () => {
    expect(parseInitOptions({})).toEqual({
      inboundPort: 7143,
      outboundPort: 7140,
      proxyUid: 7102,
      skipInboundPorts: [{ from: 7191, to: 7191 }],
      skipOutboundPorts: [],
      skipOutboundCidrs: [],
    });
  });

  it.each([
    [{ inboundPort: '0' }, '--inbound-port: "0" must be an integer from 1 to 65535'],
    [{ outboundPort: 'http' }, '--outbound-port: "http" must be an integer'],
    [{ inboundPort: 7000, outboundPort: 7000 }, '--outbound-port: must differ'],
    [{ proxyUid: '-1' }, '--proxy-uid'],
    [{ skipInboundPorts: '22,99999' }, '--skip-inbound-ports: "99999" is not a port'],
    [{ skipOutboundPorts: '90-80' }, '--skip-outbound-ports: "90-80"'],
    [
      { skipOutboundCidrs: '10.0.0.0/40' },
      '--skip-outbound-cidrs: "10.0.0.0/40" is not an IPv4 or IPv6 CIDR',
    ],
    [{ skipOutboundCidrs: 'example.com' }, '--skip-outbound-cidrs: "example.com"'],
  ])('rejects %j naming the flag', (raw, message) => {
    expect(() => parseInitOptions(raw)).toThrow(message);
  });
});

describe('DNS capture rules', () => {
  const dns = parseInitOptions({ dnsCapture: true });

  it('redirect UDP and TCP port 53 to the DNS port, skipping the proxy UID, ahead of the outbound jump', () => {
    const rules = buildRules(dns, 'ipv4');
    expect(rules.chains.find((c) => c.name === 'WEFT_DNS')?.rules).toEqual([
      '-m owner --uid-owner 7102 -j RETURN',
      '-p udp -m udp --dport 53 -j REDIRECT --to-ports 15053',
      '-p tcp -m tcp --dport 53 -j REDIRECT --to-ports 15053',
    ]);
    const plan = planRestore(rules).split('\n');
    const lastOutput = plan.filter((l) => l.startsWith('-I OUTPUT 1')).at(-1);
    // The last rule inserted at position 1 ends up first in OUTPUT.
    expect(lastOutput).toBe('-I OUTPUT 1 -p tcp -m tcp --dport 53 -m comment --comment weft-dns -j WEFT_DNS');
  });

  it('are the same for IPv6 (ip6tables REDIRECT sends them to ::1), first in OUTPUT', () => {
    expect(planRestore(buildRules(dns, 'ipv6'))).toBe(
      [
        '*nat',
        ':WEFT_INBOUND - [0:0]',
        ':WEFT_OUTBOUND - [0:0]',
        ':WEFT_DNS - [0:0]',
        '-A WEFT_INBOUND -p tcp -m tcp --dport 7191 -j RETURN',
        '-A WEFT_INBOUND -p tcp -j REDIRECT --to-ports 7143',
        '-A WEFT_OUTBOUND -m owner --uid-owner 7102 -j RETURN',
        '-A WEFT_OUTBOUND -d ::1/128 -j RETURN',
        '-A WEFT_OUTBOUND -p tcp -j REDIRECT --to-ports 7140',
        '-A WEFT_DNS -m owner --uid-owner 7102 -j RETURN',
        '-A WEFT_DNS -p udp -m udp --dport 53 -j REDIRECT --to-ports 15053',
        '-A WEFT_DNS -p tcp -m tcp --dport 53 -j REDIRECT --to-ports 15053',
        '-I PREROUTING 1 -p tcp -m comment --comment weft-inbound -j WEFT_INBOUND',
        '-I OUTPUT 1 -p tcp -m comment --comment weft-outbound -j WEFT_OUTBOUND',
        '-I OUTPUT 1 -p udp -m udp --dport 53 -m comment --comment weft-dns -j WEFT_DNS',
        '-I OUTPUT 1 -p tcp -m tcp --dport 53 -m comment --comment weft-dns -j WEFT_DNS',
        'COMMIT',
        '',
      ].join('\n'),
    );
    // Three jumps from OUTPUT per family: what applyRules verifies after the restore.
    expect(buildRules(dns, 'ipv6').jumps.filter((j) => j.from === 'OUTPUT')).toHaveLength(3);
  });

  it('are left out without capture, for either family, and their jumps are deleted when capture is turned off', () => {
    expect(buildRules(options, 'ipv4').chains.map((c) => c.name)).not.toContain('WEFT_DNS');
    expect(buildRules(options, 'ipv6').chains.map((c) => c.name)).not.toContain('WEFT_DNS');
    const saved = '-A OUTPUT -p udp -m udp --dport 53 -m comment --comment weft-dns -j WEFT_DNS\n';
    expect(planRestore(buildRules(options, 'ipv4'), saved)).toContain(
      '-D OUTPUT -p udp -m udp --dport 53 -m comment --comment weft-dns -j WEFT_DNS',
    );
  });

  it('reject a DNS port out of range, naming the flag', () => {
    expect(() => parseInitOptions({ dnsCapture: true, dnsPort: '70000' })).toThrow(/--dns-port/);
  });
});
