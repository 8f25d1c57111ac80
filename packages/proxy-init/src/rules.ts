/** Pure iptables rule generation: the nat-table chains that send pod traffic through the proxy. */
import type { InitOptions, PortRange } from './options.js';

export type Family = 'ipv4' | 'ipv6';

/** The chains weft owns in the nat table. */
export const CHAINS = { inbound: 'WEFT_INBOUND', outbound: 'WEFT_OUTBOUND', dns: 'WEFT_DNS' } as const;

/** A built-in chain's jump into one of weft's chains. */
export interface Jump {
  readonly from: 'PREROUTING' | 'OUTPUT';
  /** The rule's match and target, without `-A CHAIN`. */
  readonly spec: string;
}

/** The desired nat-table state for one address family. */
export interface RuleSet {
  readonly family: Family;
  /** weft's chains and their rules (each without `-A CHAIN`), in order. */
  readonly chains: ReadonlyArray<{ readonly name: string; readonly rules: readonly string[] }>;
  readonly jumps: readonly Jump[];
}

function dport(range: PortRange): string {
  return range.from === range.to ? String(range.from) : `${range.from}:${range.to}`;
}

const LOOPBACK: Record<Family, string> = { ipv4: '127.0.0.0/8', ipv6: '::1/128' };

/**
 * The rules for `family`:
 * - WEFT_INBOUND (from PREROUTING): skipped ports RETURN, every other TCP connection is
 *   redirected to the inbound port.
 * - WEFT_OUTBOUND (from OUTPUT): the proxy's own UID, loopback destinations, skipped ports and
 *   skipped CIDRs RETURN, every other TCP connection is redirected to the outbound port.
 */
export function buildRules(options: InitOptions, family: Family): RuleSet {
  const inbound = [
    ...options.skipInboundPorts.map((r) => `-p tcp -m tcp --dport ${dport(r)} -j RETURN`),
    `-p tcp -j REDIRECT --to-ports ${options.inboundPort}`,
  ];
  const outbound = [
    `-m owner --uid-owner ${options.proxyUid} -j RETURN`,
    `-d ${LOOPBACK[family]} -j RETURN`,
    ...options.skipOutboundPorts.map((r) => `-p tcp -m tcp --dport ${dport(r)} -j RETURN`),
    ...options.skipOutboundCidrs.filter((c) => c.family === family).map((c) => `-d ${c.text} -j RETURN`),
    `-p tcp -j REDIRECT --to-ports ${options.outboundPort}`,
  ];
  const chains: { name: string; rules: string[] }[] = [
    { name: CHAINS.inbound, rules: inbound },
    { name: CHAINS.outbound, rules: outbound },
  ];
  const jumps: Jump[] = [
    { from: 'PREROUTING', spec: `-p tcp -m comment --comment weft-inbound -j ${CHAINS.inbound}` },
    { from: 'OUTPUT', spec: `-p tcp -m comment --comment weft-outbound -j ${CHAINS.outbound}` },
  ];
  // REDIRECT sends locally generated packets to 127.0.0.1 (IPv4) or ::1 (IPv6): the DNS proxy
  // listens on both (docs/dns.md).
  if (options.dnsPort !== undefined) {
    chains.push({
      name: CHAINS.dns,
      rules: [
        `-m owner --uid-owner ${options.proxyUid} -j RETURN`,
        `-p udp -m udp --dport 53 -j REDIRECT --to-ports ${options.dnsPort}`,
        `-p tcp -m tcp --dport 53 -j REDIRECT --to-ports ${options.dnsPort}`,
      ],
    });
    // Inserted last, so first in OUTPUT: TCP port 53 must reach the DNS proxy, not the outbound listener.
    for (const proto of ['udp', 'tcp']) {
      jumps.push({
        from: 'OUTPUT',
        spec: `-p ${proto} -m ${proto} --dport 53 -m comment --comment weft-dns -j ${CHAINS.dns}`,
      });
    }
  }
  return { family, chains, jumps };
}

/**
 * The iptables-restore input (for `--noflush`) that moves the nat table from `currentSave`
 * (the output of `iptables-save -t nat`) to `rules`, in one transaction:
 * declaring weft's chains flushes them; every existing jump into them is deleted and the
 * jumps are inserted first in their built-in chains. Applying it twice leaves the same table,
 * and rules that are not weft's are never touched.
 */
export function planRestore(rules: RuleSet, currentSave = ''): string {
  const ours = new Set<string>(rules.chains.map((c) => c.name));
  // A jump into a weft chain this rule set no longer has (DNS capture turned off) goes too.
  for (const name of Object.values(CHAINS)) ours.add(name);
  const stale = currentSave
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => {
      const m = /^-A (PREROUTING|OUTPUT) .*-j (\S+)$/.exec(line);
      return m !== null && ours.has(m[2] ?? '');
    });
  return [
    '*nat',
    ...rules.chains.map((c) => `:${c.name} - [0:0]`),
    ...rules.chains.flatMap((c) => c.rules.map((r) => `-A ${c.name} ${r}`)),
    ...stale.map((line) => `-D${line.slice(2)}`),
    ...rules.jumps.map((j) => `-I ${j.from} 1 ${j.spec}`),
    'COMMIT',
    '',
  ].join('\n');
}

/** What `iptables-save -t nat` shows of weft's rules; used to verify an apply. */
export interface SavedState {
  /** Rules per weft chain, in order (without `-A CHAIN`), normalized as iptables-save prints them. */
  readonly chains: Readonly<Record<string, readonly string[]>>;
  /** How many jumps into weft's chains each built-in chain has. */
  readonly jumps: Readonly<Record<string, number>>;
}

/** Reads weft's part of an `iptables-save -t nat` output. */
export function readSavedState(save: string): SavedState {
  const chains: Record<string, string[]> = {};
  const jumps: Record<string, number> = {};
  let inNat = false;
  for (const raw of save.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) inNat = line === '*nat';
    if (!inNat) continue;
    const declared = /^:(WEFT_\S+) /.exec(line);
    if (declared) chains[declared[1]!] ??= [];
    const rule = /^-A (\S+) (.*)$/.exec(line);
    if (!rule) continue;
    const [, chain = '', spec = ''] = rule;
    if (chain.startsWith('WEFT_')) {
      chains[chain] ??= [];
      chains[chain].push(spec);
    } else if (/-j WEFT_\S+$/.test(spec)) jumps[chain] = (jumps[chain] ?? 0) + 1;
  }
  return { chains, jumps };
}
