import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, status } from '@grpc/grpc-js';
import { type DiscoveryResponse__Output, loadDiscoveryProto } from '@weft/api';
import {
  createIdentityMaterial,
  derToPem,
  generateKeyPair,
  loadIdentityDir,
  privateKeyToPem,
  writeIdentityDir,
} from '@weft/pki';
import { silentLogger } from '@weft/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningControlPlane, startControlPlane } from './run.js';
import { FakeKubeApi } from './test-support/fake-kube-api.js';
import { SHOP } from './test-support/manifests.js';

let dir: string;
let running: RunningControlPlane;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-run-'));
  const material = createIdentityMaterial({
    trustDomain: 'cluster.local',
    anchorValidityMs: 86_400_000,
    issuerValidityMs: 86_400_000,
  });
  await writeIdentityDir(join(dir, 'identity'), material);
  const config = join(dir, 'config');
  await import('node:fs/promises').then((fs) => fs.mkdir(config));
  for (const [name, text] of Object.entries(SHOP)) writeFileSync(join(config, name), text);
  running = await startControlPlane({
    source: { type: 'folder', dir: config },
    identityDir: join(dir, 'identity'),
    grpcAddress: '127.0.0.1:0',
    admin: { host: '127.0.0.1', port: 0 },
    logger: silentLogger(),
  });
});

afterAll(async () => {
  await running?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function clientCert(identity: string) {
  const { ca } = await loadIdentityDir(join(dir, 'identity'));
  const { privateKey, publicKey } = generateKeyPair();
  const issued = ca.issueForKey({ publicKey, identity });
  return {
    ca: Buffer.from(ca.trustAnchors.toPem()),
    key: Buffer.from(privateKeyToPem(privateKey)),
    chain: Buffer.from(issued.chain.map((c) => derToPem(c, 'CERTIFICATE')).join('')),
  };
}

function stream(creds: ReturnType<typeof credentials.createSsl>) {
  const Discovery = loadDiscoveryProto().weft.discovery.v1alpha1.Discovery;
  const client = new Discovery(`127.0.0.1:${running.addresses.grpcPort}`, creds);
  const call = client.Stream();
  return { client, call };
}

describe('startControlPlane', () => {
  it('serves Discovery to a proxy holding an SVID from the CA, identity from its certificate', async () => {
    const cert = await clientCert('spiffe://cluster.local/ns/shop/sa/web');
    const { client, call } = stream(credentials.createSsl(cert.ca, cert.key, cert.chain));
    const first = new Promise<DiscoveryResponse__Output>((resolve) => call.once('data', resolve));
    call.write({ node: { workload: 'web-1' } });
    const r = await first;
    expect(r.resources.map((x) => x.name).sort()).toEqual(['inbound', 'mesh']);
    const second = new Promise<DiscoveryResponse__Output>((resolve) => call.once('data', resolve));
    call.write({ subscribe: { names: ['api:80'] } });
    expect((await second).resources[0]?.destination?.authority).toBe('api.shop.svc.cluster.local:80');
    call.end();
    client.close();
  });

  it('refuses Discovery without a client certificate (Certify shares the port and needs none)', async () => {
    const { ca } = await clientCert('spiffe://cluster.local/ns/shop/sa/web');
    const { client, call } = stream(credentials.createSsl(ca));
    const end = new Promise<{ code: number }>((resolve) => call.on('error', resolve));
    call.write({ node: { workload: 'web-1' } });
    expect((await end).code).toBe(status.UNAUTHENTICATED);
    client.close();
  });

  it('reports ready and serves metrics on the admin port', async () => {
    const base = `http://127.0.0.1:${running.addresses.adminPort}`;
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toContain('[+] ca');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('weft_control_plane_connected_proxies');
    expect(metrics).toContain('weft_identity_certificates_issued_total');
    const state = (await (await fetch(`${base}/debug/state`)).json()) as {
      services: { name: string; endpoints: Record<string, number> }[];
      sources: Record<string, { ready: boolean }>;
    };
    expect(state.services.map((s) => s.name).sort()).toEqual(['api', 'api-v1', 'api-v2', 'store', 'web']);
    expect(state.services.find((s) => s.name === 'api-v1')?.endpoints).toEqual({ 80: 2 });
    expect(state.sources.folder?.ready).toBe(true);
  });
});

describe('startControlPlane in Kubernetes mode', () => {
  it('serves what the API server holds, pushes its changes, and writes status back', async () => {
    const api = new FakeKubeApi();
    api.serve('split.smi-spec.io', 'v1alpha4', 'trafficsplits', 'TrafficSplit');
    await api.listen();
    const svc = (name: string) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: 'test' },
      spec: { ports: [{ name: 'http', port: 9898 }] },
    });
    const slice = (ip: string) => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'podinfo-1', namespace: 'test', labels: { 'kubernetes.io/service-name': 'podinfo' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 9898 }],
      endpoints: [{ addresses: [ip], conditions: { ready: true } }],
    });
    api.apply(svc('podinfo'));
    api.apply(slice('10.244.0.1'));
    const k8s = await startControlPlane({
      source: { type: 'kubernetes', kubeConfig: api.kubeConfig() },
      identityDir: join(dir, 'identity'),
      grpcAddress: '127.0.0.1:0',
      admin: { host: '127.0.0.1', port: 0 },
      logger: silentLogger(),
    });
    try {
      const cert = await clientCert('spiffe://cluster.local/ns/test/sa/web');
      const Discovery = loadDiscoveryProto().weft.discovery.v1alpha1.Discovery;
      const client = new Discovery(
        `127.0.0.1:${k8s.addresses.grpcPort}`,
        credentials.createSsl(cert.ca, cert.key, cert.chain),
      );
      const call = client.Stream();
      call.on('error', () => undefined);
      const responses: DiscoveryResponse__Output[] = [];
      let wake: (() => void) | undefined;
      call.on('data', (r: DiscoveryResponse__Output) => {
        responses.push(r);
        wake?.();
      });
      const next = async () => {
        while (responses.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        return responses.shift() as DiscoveryResponse__Output;
      };
      call.write({ node: { workload: 'web-1' } });
      await next();
      call.write({ subscribe: { names: ['podinfo:9898'] } });
      const ips = (r: DiscoveryResponse__Output) =>
        r.resources[0]?.destination?.backends[0]?.endpoints.map((e) => e.address);
      expect(ips(await next())).toEqual(['10.244.0.1']);
      api.apply(slice('10.244.0.2'));
      expect(ips(await next())).toEqual(['10.244.0.2']);

      api.apply({
        apiVersion: 'split.smi-spec.io/v1alpha4',
        kind: 'TrafficSplit',
        metadata: { name: 'podinfo', namespace: 'test' },
        spec: { service: 'podinfo', backends: [{ service: 'podinfo-canary', weight: 10 }] },
      });
      await expect
        .poll(() => api.writes.map((w) => `${w.method} ${w.path}`))
        .toEqual([
          'PATCH /apis/split.smi-spec.io/v1alpha4/namespaces/test/trafficsplits/podinfo/status',
          'POST /api/v1/namespaces/test/events',
        ]);
      call.end();
      client.close();
    } finally {
      await k8s.close();
      await api.close();
    }
  });
});
