// The built `weft` binary, run as a real child process (npm test builds first).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../packages/cli/bin/weft.js', import.meta.url));
const version = (
  JSON.parse(readFileSync(new URL('../../packages/cli/package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

function weft(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 20_000 });
}

describe('weft command', () => {
  it('prints help listing its subcommands', () => {
    const r = weft('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: weft');
    expect(r.stdout).toMatch(/^\s+up\b/m);
  });

  it('prints the package version', () => {
    const r = weft('--version');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('exits 2 with usage on an unknown command', () => {
    const r = weft('frobnicate');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });

  it('exits 2 with usage on an unknown flag', () => {
    const r = weft('up', '--no-such-flag');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown option '--no-such-flag'");
  });

  it('exits 2 and shows help when run with no command', () => {
    const r = weft();
    expect(r.status).toBe(2);
    expect(r.stdout).toContain('Usage: weft');
  });
});
