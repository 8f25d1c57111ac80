// The built `weft check` binary against the fake cluster: output format and exit codes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeCluster } from './fake-cluster.js';
import { weft } from './weft-check.js';

let cluster: FakeCluster;
let dir: string;

beforeEach(async () => {
  cluster = new FakeCluster();
  await cluster.start();
  dir = mkdtempSync(join(tmpdir(), 'weft-check-cli-'));
});
afterEach(async () => {
  await cluster.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('weft check --kubeconfig', () => {
  it('prints one ✔ line per check and exits 0 on a healthy installation', async () => {
    cluster.install();
    cluster.installGatewayApi();
    const r = await weft('check', '--kubeconfig', cluster.writeKubeconfig(dir));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^✔ Kubernetes API is reachable \(http:\/\/127\.0\.0\.1:\d+\)$/);
    expect(lines).toContain('✔ control plane is ready (/readyz)');
    expect(lines.filter((l) => l.startsWith('✔ '))).toHaveLength(20);
    expect(lines.at(-1)).toBe('Status check results are ✔');
  });

  it('prints ✖ with an indented hint and exits 1 when the control plane is not ready', async () => {
    cluster.install();
    cluster.installGatewayApi();
    cluster.ready = [{ name: 'kubernetes', ok: false, detail: 'informers not synced' }];
    const r = await weft('check', '--kubeconfig', cluster.writeKubeconfig(dir));
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    const at = lines.indexOf('✖ control plane is ready (/readyz)');
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toMatch(/^ {4}HTTP 503/);
    expect(r.stdout).toContain('    [-] kubernetes: informers not synced');
    expect(r.stdout).toContain('Status check results are ✖ (1 failed)');
  });

  it('prints JSON with -o json', async () => {
    const r = await weft('check', '--pre', '--kubeconfig', cluster.writeKubeconfig(dir), '-o', 'json');
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as { success: boolean; checks: { name: string; status: string }[] };
    expect(body.success).toBe(true);
    // The Gateway API CRDs are not weft's: their absence is a warning, which passes.
    expect(body.checks.map((c) => c.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'warn']);
  });

  it('exits 1 with a message when the kubeconfig cannot be read', async () => {
    const r = await weft('check', '--kubeconfig', join(dir, 'missing'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`weft check: kubeconfig ${join(dir, 'missing')}`);
  });

  it('exits 2 on usage errors', async () => {
    const mixed = await weft('check', '--pre', '--identity-dir', dir);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('cannot be combined');
    const badUrl = await weft('check', '--control-plane-admin', 'not a url');
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('is not an address such as 127.0.0.1:7990');
    const badFormat = await weft('check', '-o', 'xml');
    expect(badFormat.code).toBe(2);
  });
});
