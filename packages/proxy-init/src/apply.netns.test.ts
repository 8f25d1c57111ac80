import { execFileSync } from 'node:child_process';
import { silentLogger } from '@weft/runtime';
import { afterAll, describe, expect, it } from 'vitest';
import { applyRules } from './apply.js';
import { type CommandRunner, processRunner } from './command-runner.js';
import { parseInitOptions } from './options.js';

function has(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const isRoot = process.getuid?.() === 0;
const missing = ['ip', 'iptables-nft-restore', 'iptables-legacy-restore'].filter((c) => !has(c));
const skipReason = !isRoot ? 'not root' : missing.length > 0 ? `missing ${missing.join(', ')}` : '';
if (skipReason !== '') console.warn(`skipping the network-namespace iptables tests: ${skipReason}`);

const created: string[] = [];
function netns(tag: string): { name: string; runner: CommandRunner; sh: (cmd: string) => string } {
  const name = `weft-init-${process.pid}-${tag}`;
  execFileSync('ip', ['netns', 'add', name]);
  created.push(name);
  return {
    name,
    runner: {
      run: (command, args, input) =>
        processRunner.run('ip', ['netns', 'exec', name, command, ...args], input),
    },
    sh: (cmd) => execFileSync('ip', ['netns', 'exec', name, 'sh', '-c', cmd], { encoding: 'utf8' }),
  };
}

afterAll(() => {
  for (const name of created) execFileSync('ip', ['netns', 'del', name]);
});

/** iptables-save without its timestamp comments and counters. */
const rulesOnly = (save: string) =>
  save
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .join('\n');

describe.skipIf(skipReason !== '')('iptables rules inside a network namespace', () => {
  const options = parseInitOptions({
    skipInboundPorts: '7191,22',
    skipOutboundPorts: '5432',
    skipOutboundCidrs: '10.96.0.0/12,fd00::/8',
  });

  it.each(['nft', 'legacy'] as const)(
    'load with iptables-%s, idempotently, leaving other rules alone',
    async (mode) => {
      const ns = netns(mode);
      ns.sh(`iptables-${mode} -w -t nat -A OUTPUT -d 192.0.2.1/32 -j RETURN`);
      const first = await applyRules(options, { runner: ns.runner, logger: silentLogger(), mode });
      expect(first.map((o) => `${o.family}:${o.type}`)).toEqual(['ipv4:applied', 'ipv6:applied']);
      const save1 = rulesOnly(ns.sh(`iptables-${mode}-save -t nat`));
      const save6 = rulesOnly(ns.sh(`ip6tables-${mode}-save -t nat`));
      expect(save1).toContain('-A PREROUTING -p tcp -m comment --comment weft-inbound -j WEFT_INBOUND');
      expect(save1).toContain('-A WEFT_INBOUND -p tcp -m tcp --dport 22 -j RETURN');
      expect(save1).toContain('-A WEFT_OUTBOUND -m owner --uid-owner 7102 -j RETURN');
      expect(save1).toContain('-A WEFT_OUTBOUND -d 10.96.0.0/12 -j RETURN');
      expect(save1).toContain('-A WEFT_OUTBOUND -p tcp -j REDIRECT --to-ports 7140');
      expect(save1).toContain('-A OUTPUT -d 192.0.2.1/32 -j RETURN');
      expect(save6).toContain('-A WEFT_OUTBOUND -d ::1/128 -j RETURN');
      expect(save6).toContain('-A WEFT_OUTBOUND -d fd00::/8 -j RETURN');

      await applyRules(options, { runner: ns.runner, logger: silentLogger(), mode });
      expect(rulesOnly(ns.sh(`iptables-${mode}-save -t nat`))).toBe(save1);
      expect(rulesOnly(ns.sh(`ip6tables-${mode}-save -t nat`))).toBe(save6);

      // New options replace the chains' contents in place.
      await applyRules(parseInitOptions({ skipInboundPorts: '7191' }), {
        runner: ns.runner,
        logger: silentLogger(),
        mode,
        ipv6: false,
      });
      const save2 = rulesOnly(ns.sh(`iptables-${mode}-save -t nat`));
      expect(save2).not.toContain('--dport 22');
      expect(save2.match(/-j WEFT_INBOUND/g)).toHaveLength(1);
      expect(save2).toContain('-A OUTPUT -d 192.0.2.1/32 -j RETURN');
    },
  );

  it('picks the backend that already holds rules', async () => {
    const ns = netns('auto');
    ns.sh('iptables-legacy -w -t filter -A INPUT -s 192.0.2.7/32 -j ACCEPT');
    await applyRules(options, { runner: ns.runner, logger: silentLogger(), mode: 'auto', ipv6: false });
    expect(ns.sh('iptables-legacy-save -t nat')).toContain('WEFT_OUTBOUND');
    expect(ns.sh('iptables-nft-save -t nat')).not.toContain('WEFT_OUTBOUND');
  });
});
