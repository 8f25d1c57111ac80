/** Applies the rules: picks iptables-nft or -legacy, then one iptables-restore per family, verified. */

import { describeError, WeftError } from '@weft/core';
import type { Logger } from '@weft/runtime';
import type { CommandRunner } from './command-runner.js';
import type { InitOptions } from './options.js';
import { buildRules, type Family, planRestore, type RuleSet, readSavedState } from './rules.js';

/** Which iptables backend: `auto` picks the one already holding rules (nft when neither does). */
export type IptablesMode = 'auto' | 'nft' | 'legacy';

/** The save/restore commands of one backend and family. */
export interface IptablesCommands {
  readonly save: string;
  readonly restore: string;
}

export function commandsFor(backend: 'nft' | 'legacy', family: Family): IptablesCommands {
  const base = family === 'ipv4' ? 'iptables' : 'ip6tables';
  return { save: `${base}-${backend}-save`, restore: `${base}-${backend}-restore` };
}

function countRules(save: string): number {
  return save.split('\n').filter((l) => l.startsWith('-A ')).length;
}

/**
 * Picks the backend the way Kubernetes' iptables-wrapper does: the one whose tables already
 * hold rules (the node's kube-proxy/CNI choice shows through in the pod), nft when tied.
 */
export async function detectBackend(runner: CommandRunner): Promise<'nft' | 'legacy'> {
  const [nft, legacy] = await Promise.all([
    runner.run('iptables-nft-save', []),
    runner.run('iptables-legacy-save', []),
  ]);
  const nftOk = nft.code === 0;
  const legacyOk = legacy.code === 0;
  if (!nftOk && !legacyOk) {
    throw new WeftError(
      'FAILED_PRECONDITION',
      `neither iptables-nft-save nor iptables-legacy-save works: ${nft.stderr.trim() || legacy.stderr.trim()}`,
    );
  }
  if (nftOk && legacyOk) return countRules(legacy.stdout) > countRules(nft.stdout) ? 'legacy' : 'nft';
  return nftOk ? 'nft' : 'legacy';
}

/** What happened per family. */
export type FamilyOutcome =
  | { readonly family: Family; readonly type: 'applied'; readonly restoreInput: string }
  | { readonly family: Family; readonly type: 'skipped'; readonly reason: string };

export interface ApplyOptions {
  readonly runner: CommandRunner;
  readonly logger: Logger;
  readonly mode?: IptablesMode;
  /** Also program ip6tables; a failure there is a warning, since many clusters have no IPv6. */
  readonly ipv6?: boolean;
}

async function applyFamily(
  rules: RuleSet,
  commands: IptablesCommands,
  runner: CommandRunner,
): Promise<string> {
  const before = await runner.run(commands.save, ['-t', 'nat']);
  if (before.code !== 0)
    throw new Error(`${commands.save} -t nat failed: ${before.stderr.trim() || `exit ${before.code}`}`);
  const input = planRestore(rules, before.stdout);
  const restore = await runner.run(commands.restore, ['--noflush', '--wait'], input);
  if (restore.code !== 0) {
    throw new Error(`${commands.restore} failed: ${restore.stderr.trim() || `exit ${restore.code}`}`);
  }
  const after = await runner.run(commands.save, ['-t', 'nat']);
  const state = readSavedState(after.stdout);
  for (const chain of rules.chains) {
    if ((state.chains[chain.name]?.length ?? 0) !== chain.rules.length) {
      throw new Error(
        `after ${commands.restore}, chain ${chain.name} does not hold ${chain.rules.length} rules`,
      );
    }
  }
  const expected: Record<string, number> = {};
  for (const jump of rules.jumps) expected[jump.from] = (expected[jump.from] ?? 0) + 1;
  for (const [from, n] of Object.entries(expected)) {
    if (state.jumps[from] !== n) {
      throw new Error(
        `after ${commands.restore}, ${from} has ${state.jumps[from] ?? 0} jumps into weft, not ${n}`,
      );
    }
  }
  return input;
}

/**
 * Programs the nat table for IPv4 (and IPv6 unless disabled) atomically per family, verifies
 * it with iptables-save, and is idempotent. Throws a WeftError when IPv4 fails.
 */
export async function applyRules(options: InitOptions, apply: ApplyOptions): Promise<FamilyOutcome[]> {
  const { runner, logger } = apply;
  const mode = apply.mode ?? 'auto';
  const backend = mode === 'auto' ? await detectBackend(runner) : mode;
  logger.info({ backend }, 'programming iptables');
  const outcomes: FamilyOutcome[] = [];
  for (const family of ['ipv4', 'ipv6'] as const) {
    if (family === 'ipv6' && apply.ipv6 === false) {
      outcomes.push({ family, type: 'skipped', reason: 'IPv6 disabled by option' });
      continue;
    }
    try {
      const input = await applyFamily(buildRules(options, family), commandsFor(backend, family), runner);
      outcomes.push({ family, type: 'applied', restoreInput: input });
    } catch (err) {
      if (family === 'ipv4') {
        throw new WeftError('FAILED_PRECONDITION', `iptables (${backend}): ${describeError(err)}`, {
          cause: err,
        });
      }
      logger.warn({ err: describeError(err) }, 'IPv6 rules not applied; IPv6 traffic is not intercepted');
      outcomes.push({ family, type: 'skipped', reason: describeError(err) });
    }
  }
  return outcomes;
}
