// The envtest launcher's pieces that need no API server: finding the assets (and saying why not),
// the kubeconfig it writes, and free ports.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { envtestAssets, freePort, kubeconfigYaml } from './envtest-files.js';

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('envtestAssets', () => {
  it('says why when KUBEBUILDER_ASSETS is unset or incomplete', () => {
    expect(envtestAssets({})).toMatchObject({
      type: 'missing',
      reason: expect.stringContaining('KUBEBUILDER_ASSETS is unset'),
    });
    dir = mkdtempSync(join(tmpdir(), 'weft-assets-'));
    for (const bin of ['kube-apiserver', 'etcd']) {
      writeFileSync(join(dir, bin), '#!/bin/sh\n');
      chmodSync(join(dir, bin), 0o755);
    }
    expect(envtestAssets({ KUBEBUILDER_ASSETS: dir })).toEqual({
      type: 'missing',
      reason: `KUBEBUILDER_ASSETS=${dir} has no executable ${join(dir, 'kubectl')}`,
    });
    writeFileSync(join(dir, 'kubectl'), '#!/bin/sh\n');
    expect(envtestAssets({ KUBEBUILDER_ASSETS: dir }).type).toBe('missing');
    chmodSync(join(dir, 'kubectl'), 0o755);
    expect(envtestAssets({ KUBEBUILDER_ASSETS: dir })).toMatchObject({
      type: 'ok',
      kubectl: join(dir, 'kubectl'),
    });
  });
});

describe('kubeconfigYaml', () => {
  it('is a kubeconfig client-node reads: server, CA and token', () => {
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfigYaml('https://127.0.0.1:6443', 'PEM', 'secret-token'));
    expect(kc.getCurrentCluster()).toMatchObject({
      server: 'https://127.0.0.1:6443',
      caData: Buffer.from('PEM').toString('base64'),
    });
    expect(kc.getCurrentUser()?.token).toBe('secret-token');
  });
});

describe('freePort', () => {
  it('returns a port on loopback that can be bound', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65536);
  });
});
