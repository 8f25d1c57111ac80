import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../index.js';

const dir = mkdtempSync(join(tmpdir(), 'weft-netpol-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function weft(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const saved = process.exitCode;
  const code = await main(['node', 'weft', ...args], {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
  });
  process.exitCode = saved;
  return { code, stdout, stderr };
}

describe('weft netpol generate', () => {
  it('is a usage error to give -n and --all-namespaces', async () => {
    const r = await weft('netpol', 'generate', '-n', 'shop', '--all-namespaces');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('give -n NS or --all-namespaces, not both');
  });

  it('says which API server it could not read, and exits 1', async () => {
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "http://127.0.0.1:1"}}]',
        'users: [{name: u, user: {token: t}}]',
        'contexts: [{name: x, context: {cluster: c, user: u, namespace: shop}}]',
        'current-context: x',
        '',
      ].join('\n'),
    );
    const r = await weft('netpol', 'generate', '--kubeconfig', kubeconfig);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^weft netpol generate: .*127\.0\.0\.1:1/);
  });
});
