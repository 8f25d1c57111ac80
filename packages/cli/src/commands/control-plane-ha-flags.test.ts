// `weft control-plane`'s leader-election and stream flags: refused where they cannot apply,
// listed in --help with their WEFT_* variables.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/weft.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'weft-cp-ha-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, 'control-plane', ...args], {
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, ...env },
  });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe('weft control-plane leader election and stream flags', () => {
  it('refuses --leader-elect in folder mode', () => {
    const r = run(['--config-dir', dir, '--identity-dir', dir, '--leader-elect']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--leader-elect needs --kubeconfig or --in-cluster');
  });

  it('refuses a lease duration under 3s, from the flag or its variable', () => {
    const flag = run(['--kubeconfig', join(dir, 'kc'), '--identity-dir', dir, '--lease-duration', '1s']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--lease-duration: at least 3s');
    const variable = run(['--kubeconfig', join(dir, 'kc'), '--identity-dir', dir], {
      WEFT_LEASE_DURATION: '2s',
    });
    expect(variable.code).toBe(2);
    expect(variable.stderr).toContain('--lease-duration: at least 3s');
  });

  it('lists every flag with its default and variable', () => {
    const help = run(['--help']).stdout;
    for (const flag of [
      '--leader-elect',
      '--no-leader-elect',
      '--lease-duration',
      '--lease-name',
      '--lease-namespace',
      '--lease-identity',
      '--max-stream-age',
      '--shutdown-drain',
    ]) {
      expect(help).toContain(flag);
    }
    expect(help).toContain('WEFT_LEASE_DURATION');
    expect(help).toContain('WEFT_MAX_STREAM_AGE');
  });
});
