import { silentLogger } from '@weft/runtime';
import { describe, expect, it } from 'vitest';
import { applyRules, detectBackend } from './apply.js';
import type { CommandResult, CommandRunner } from './command-runner.js';
import { parseInitOptions } from './options.js';

/** A fake iptables: a nat table per binary family, restore appends what it is given. */
function fakeIptables(behaviour: { missing?: string[]; failRestore?: string[]; legacyRules?: number } = {}) {
  const calls: string[] = [];
  const runner: CommandRunner = {
    async run(command, args, input): Promise<CommandResult> {
      calls.push([command, ...args].join(' '));
      if (behaviour.missing?.includes(command))
        return { code: null, stdout: '', stderr: `spawn ${command} ENOENT` };
      if (behaviour.failRestore?.includes(command))
        return { code: 2, stdout: '', stderr: "can't initialize table nat" };
      if (command.endsWith('-restore')) {
        state[command.replace('-restore', '')] = input ?? '';
        return { code: 0, stdout: '', stderr: '' };
      }
      if (command === 'iptables-legacy-save' && args.length === 0) {
        return { code: 0, stdout: '-A INPUT -j ACCEPT\n'.repeat(behaviour.legacyRules ?? 0), stderr: '' };
      }
      const applied = state[command.replace('-save', '')] ?? '';
      // What iptables-save would print after applying the plan: chains plus one jump each.
      const lines = applied
        .split('\n')
        .filter((l) => l.startsWith('-A WEFT') || l.startsWith(':'))
        .concat(applied.includes('-I PREROUTING') ? ['-A PREROUTING -p tcp -j WEFT_INBOUND'] : [])
        .concat(applied.includes('-I OUTPUT') ? ['-A OUTPUT -p tcp -j WEFT_OUTBOUND'] : []);
      return { code: 0, stdout: ['*nat', ...lines, 'COMMIT'].join('\n'), stderr: '' };
    },
  };
  const state: Record<string, string> = {};
  return { runner, calls, state };
}

const options = parseInitOptions({});

describe('applying rules', () => {
  it('saves, restores with --noflush --wait, and verifies each family', async () => {
    const fake = fakeIptables();
    const outcomes = await applyRules(options, { runner: fake.runner, logger: silentLogger(), mode: 'nft' });
    expect(outcomes.map((o) => o.type)).toEqual(['applied', 'applied']);
    expect(fake.calls).toEqual([
      'iptables-nft-save -t nat',
      'iptables-nft-restore --noflush --wait',
      'iptables-nft-save -t nat',
      'ip6tables-nft-save -t nat',
      'ip6tables-nft-restore --noflush --wait',
      'ip6tables-nft-save -t nat',
    ]);
  });

  it('fails with a clear error when IPv4 cannot be programmed', async () => {
    const fake = fakeIptables({ failRestore: ['iptables-legacy-restore'] });
    await expect(
      applyRules(options, { runner: fake.runner, logger: silentLogger(), mode: 'legacy' }),
    ).rejects.toThrow("iptables (legacy): iptables-legacy-restore failed: can't initialize table nat");
  });

  it('only warns when IPv6 cannot be programmed', async () => {
    const fake = fakeIptables({ failRestore: ['ip6tables-nft-restore'] });
    const outcomes = await applyRules(options, { runner: fake.runner, logger: silentLogger(), mode: 'nft' });
    expect(outcomes).toEqual([
      expect.objectContaining({ family: 'ipv4', type: 'applied' }),
      { family: 'ipv6', type: 'skipped', reason: "ip6tables-nft-restore failed: can't initialize table nat" },
    ]);
  });

  it('picks legacy only when it holds more rules, nft otherwise', async () => {
    expect(await detectBackend(fakeIptables().runner)).toBe('nft');
    expect(await detectBackend(fakeIptables({ legacyRules: 3 }).runner)).toBe('legacy');
    expect(await detectBackend(fakeIptables({ missing: ['iptables-nft-save'] }).runner)).toBe('legacy');
    await expect(
      detectBackend(fakeIptables({ missing: ['iptables-nft-save', 'iptables-legacy-save'] }).runner),
    ).rejects.toThrow('neither iptables-nft-save nor iptables-legacy-save works');
  });
});
