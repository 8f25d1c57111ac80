// weft under test, through its real CLI (packages/cli/bin/weft.js, built dist/):
// one outbound-only proxy, or the full path (control plane + two sidecars with mTLS).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

function weftBin(root) {
  return join(root, 'packages', 'cli', 'bin', 'weft.js');
}

function help(root, args) {
  const result = spawnSync(process.execPath, [weftBin(root), ...args, '--help'], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  return result.status === 0 ? result.stdout : undefined;
}

/** Whether the weft commands the benchmark drives exist (built); if not, exactly why. */
export function weftAvailability(root) {
  if (!existsSync(join(root, 'packages', 'cli', 'dist'))) {
    return { ok: false, reason: 'packages/cli is not built (run `npx tsc -b`)' };
  }
  const proxy = help(root, ['proxy']);
  if (proxy === undefined || !proxy.includes('--upstream')) {
    return { ok: false, reason: 'the `weft proxy` command (with --upstream) has not landed on this branch' };
  }
  for (const command of [['control-plane'], ['identity', 'create-ca'], ['token', 'create']]) {
    if (help(root, command) === undefined) {
      return { ok: false, reason: `the \`weft ${command.join(' ')}\` command has not landed on this branch` };
    }
  }
  return { ok: true };
}

/** weft proxy with one explicit upstream to the origin, egress (the mesh does not know it). */
export async function startWeftOutbound() {
  throw new Error('weft outbound row: not wired yet');
}

/** Control plane + two weft proxies, mTLS between them. */
export async function startWeftMesh() {
  throw new Error('weft mesh row: not wired yet');
}
