import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@weft/runtime';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlPlane } from '../control-plane.js';
import { ControlPlaneMetrics } from '../metrics.js';
import { LogStatusReporter } from '../status/status-reporter.js';
import { service, staticEndpoints } from '../test-support/manifests.js';
import { FolderSource } from './folder-source.js';

let dir: string;
let folder: FolderSource;
let cp: ControlPlane;
let metrics: ControlPlaneMetrics;

const BASE =
  service('api', 'shop') +
  service('api-v1', 'shop') +
  service('api-v2', 'shop') +
  staticEndpoints('api-v1', 'shop', ['10.0.0.1']);

function split(name: string, backends: string): string {
  return `apiVersion: split.smi-spec.io/v1alpha4
kind: TrafficSplit
metadata: {name: ${name}, namespace: shop}
spec:
  service: api
  backends:
${backends}
`;
}

async function start(files: Record<string, string>, watch = false): Promise<void> {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  folder = new FolderSource({ dir, watch, debounceMs: 20, metrics });
  cp = new ControlPlane({
    sources: [folder],
    credentials: (await import('@grpc/grpc-js')).ServerCredentials.createInsecure(),
    grpcAddress: '127.0.0.1:0',
    metrics,
    statusReporter: new LogStatusReporter(silentLogger(), metrics),
  });
  await cp.start();
}

function condition(kind: string, name: string) {
  return cp.state.allConditions().find((c) => c.ref.kind === kind && c.ref.name === name)?.condition;
}

function apiBackends(): unknown {
  const d = cp.builder.destination('shop', 'api', 80);
  return d.type === 'destination' ? (d.message.routes?.[0]?.backends ?? []) : d.reason;
}

async function metric(name: string): Promise<number> {
  const text = await metrics.registry.getSingleMetricAsString(name);
  return text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-folder-'));
  metrics = new ControlPlaneMetrics();
});

afterEach(async () => {
  await cp?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('FolderSource', () => {
  it('loads every manifest in the folder, recursively, ignoring other files, warning of other kinds', async () => {
    await start({
      'base.yaml': BASE,
      'notes.txt': 'not yaml',
      'deploy.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n',
    });
    expect(cp.state.service('shop', 'api-v1')?.ports[0]?.port).toBe(80);
    expect(folder.errors()).toEqual([
      {
        file: expect.stringContaining('deploy.yaml'),
        line: 2,
        message: 'Deployment/x: apps/v1 Deployment is not a kind weft reads; ignored',
        severity: 'warning',
      },
    ]);
  });

  it('keeps the last good resources of a malformed file and names its path and line', async () => {
    await start({ 'base.yaml': BASE, 'split.yaml': split('api', '  - {service: api-v1, weight: 100}') });
    expect(apiBackends()).toEqual([{ backend: 'api-v1.shop:80', weight: 100 }]);
    writeFileSync(
      join(dir, 'split.yaml'),
      `${split('api', '  - {service: api-v1, weight: 50}')}  - {service: api-v2, weight: [\n`,
    );
    writeFileSync(join(dir, 'more.yaml'), service('cart', 'shop'));
    await folder.reload();
    const [error] = folder.errors();
    expect(error?.file).toContain('split.yaml');
    expect(error?.line).toBe(9);
    expect(error?.message).toContain("the file's previous resources keep serving");
    expect(apiBackends()).toEqual([{ backend: 'api-v1.shop:80', weight: 100 }]);
    // The same reload applied the good file.
    expect(cp.state.service('shop', 'cart')).toBeDefined();
    expect(await metric('weft_control_plane_source_errors_total')).toBe(1);
  });

  it('refuses a 10 MB file with a precise error and serves everything else', async () => {
    await start({ 'base.yaml': BASE });
    writeFileSync(join(dir, 'huge.yaml'), `# ${'x'.repeat(10 * 1024 * 1024)}\n`);
    await folder.reload();
    expect(folder.errors()).toEqual([
      {
        file: expect.stringContaining('huge.yaml'),
        line: 1,
        message: expect.stringContaining('10.0 MiB, larger than the 4 MiB limit'),
        severity: 'error',
      },
    ]);
    expect(cp.state.service('shop', 'api')).toBeDefined();
  });

  it('rejects negative weights, naming the field, and keeps serving', async () => {
    await start({
      'base.yaml': BASE,
      'split.yaml': split('api', '  - {service: api-v1, weight: 100}\n  - {service: api-v2, weight: -10}'),
    });
    expect(condition('TrafficSplit', 'api')).toEqual({
      status: 'rejected',
      reason: 'Invalid',
      message: 'spec.backends[1].weight: weight must be a non-negative number, got -10',
    });
    expect(apiBackends()).toEqual([]);
    expect(cp.builder.destination('shop', 'api-v1', 80).type).toBe('destination');
    expect(await metric('weft_control_plane_invalid_resources')).toBe(1);
  });

  it('rejects a split to a Service that does not exist', async () => {
    await start({
      'base.yaml': BASE,
      'split.yaml': split('api', '  - {service: api-v1, weight: 1}\n  - {service: nope, weight: 1}'),
    });
    expect(condition('TrafficSplit', 'api')).toEqual({
      status: 'rejected',
      reason: 'BackendNotFound',
      message: 'spec.backends[1].service: Service shop/nope does not exist',
    });
    // Creating the Service later makes the split valid.
    writeFileSync(join(dir, 'nope.yaml'), service('nope', 'shop'));
    await folder.reload();
    expect(condition('TrafficSplit', 'api')).toEqual({ status: 'accepted' });
    expect(apiBackends()).toEqual([
      { backend: 'api-v1.shop:80', weight: 1 },
      { backend: 'nope.shop:80', weight: 1 },
    ]);
  });

  it('rejects a split that references itself', async () => {
    await start({
      'base.yaml': BASE,
      'split.yaml': split('api', '  - {service: api, weight: 50}\n  - {service: api-v2, weight: 50}'),
    });
    expect(condition('TrafficSplit', 'api')).toMatchObject({
      reason: 'SelfReference',
      message: expect.stringContaining('spec.backends[0].service: "api" is the split\'s own root service'),
    });
    expect(apiBackends()).toEqual([]);
  });

  it('rejects unknown fields in weft kinds with the field path, and keeps the last good version', async () => {
    const policy = (spec: string) =>
      `apiVersion: weft.dev/v1alpha1\nkind: TrafficPolicy\nmetadata: {name: api, namespace: shop}\nspec:\n  targetRef: {kind: Service, name: api}\n${spec}\n`;
    await start({ 'base.yaml': BASE, 'policy.yaml': policy('  loadBalancer: {type: RoundRobin}') });
    const lb = () => {
      const d = cp.builder.destination('shop', 'api', 80);
      return d.type === 'destination' ? d.message.policy?.loadBalancer : undefined;
    };
    expect(lb()).toBe('LOAD_BALANCER_ROUND_ROBIN');
    writeFileSync(
      join(dir, 'policy.yaml'),
      policy('  loadBalancer: {type: LeastRequest}\n  retries: {attempts: 3}'),
    );
    await folder.reload();
    expect(condition('TrafficPolicy', 'api')).toMatchObject({
      status: 'rejected',
      reason: 'Invalid',
      message: expect.stringMatching(/^spec: Unrecognized key: "retries"/),
    });
    expect(lb()).toBe('LOAD_BALANCER_ROUND_ROBIN');
  });

  it('reports a document without a name by file and the line of its metadata', async () => {
    await start({
      'base.yaml': `${BASE}apiVersion: v1\nkind: Service\nmetadata: {namespace: shop}\nspec: {ports: []}\n`,
    });
    expect(folder.errors()).toEqual([
      {
        file: expect.stringContaining('base.yaml'),
        line: 38,
        message: 'Service/?: metadata.name: required',
        severity: 'error',
      },
    ]);
  });

  it('reloads on change when watching (debounced)', async () => {
    await start({ 'base.yaml': BASE }, true);
    writeFileSync(join(dir, 'cart.yaml'), service('cart', 'shop'));
    await expect.poll(() => cp.state.service('shop', 'cart')?.name, { timeout: 10_000 }).toBe('cart');
  });
});
