// Defect 6 of issue 15: errors thrown inside actions were swallowed (exit 2, no output).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../index.js';

async function weft(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'weft', ...args], {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
  });
  process.exitCode = undefined;
  return { code, stdout, stderr };
}

describe('every failing command says why', () => {
  it('weft up alone: a usage error naming the flags to give', async () => {
    const r = await weft('up');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'weft up: give --config-dir DIR (a folder of manifests), or --demo\n(run "weft up --help" for usage)\n',
    );
  });

  it('weft up --demo -o yaml: names the formats it takes', async () => {
    const r = await weft('up', '--demo', '-o', 'yaml');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^weft up: option '-o, --output <format>' argument 'yaml' is invalid\. must be table, json/,
    );
  });

  it('a folder where a file belongs names the flag (EISDIR)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-run-'));
    const r = await weft('inject', '-f', dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `weft inject: --filename: ${dir}: is a folder\nhint: --filename expects a file, not a folder\n`,
    );
  });

  it('a missing file names the flag (ENOENT)', async () => {
    const missing = join(tmpdir(), 'weft-no-such-mesh-config.yaml');
    const r = await weft('inject', '-f', '-', '--mesh-config', missing);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `weft inject: --mesh-config: ${missing}: no such file or folder\nhint: check the path given to --mesh-config\n`,
    );
  });

  it('a bad address is a usage error naming the flag, not "Invalid URL"', async () => {
    const r = await weft('stat', '--control-plane-admin', 'http://[oops');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^weft stat: option '--control-plane-admin <address>' argument 'http:\/\/\[oops' is invalid/,
    );
    expect(r.stderr).not.toMatch(/Invalid URL/);
  });

  it('commander errors keep one style and are printed once', async () => {
    const r = await weft('up', '--bogus');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`weft up: unknown option '--bogus'\n(run "weft up --help" for usage)\n`);
    const top = await weft('nope');
    expect(top.stderr).toBe(`weft: unknown command 'nope'\n(run "weft --help" for usage)\n`);
  });

  it('help and version exit 0', async () => {
    expect((await weft('--version')).code).toBe(0);
    expect((await weft('up', '--help')).code).toBe(0);
  });
});
