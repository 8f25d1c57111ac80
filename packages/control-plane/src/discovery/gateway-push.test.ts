// The ingress gateway's config over real gRPC and mTLS: a stream whose Node names a gateway
// class gets resource "gateway" without subscribing (and again when a route changes) when its
// client certificate is an allowed gateway identity; any other identity is refused and counted.
// The listener's certificate comes from the folder's certificates/<ns>/<name>/ files (local
// mode), and /debug/state never shows the private key.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import type { DiscoveryClient, DiscoveryResponse__Output } from '@weft/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fixture, startFixture } from '../test-support/fixture.js';
import { discoveryClient, TestStream } from '../test-support/grpc.js';
import { SHOP, WEB_ID } from '../test-support/manifests.js';

const GATEWAY_ID = 'spiffe://cluster.local/ns/weft-system/sa/weft-gateway';

const GATEWAY_YAML = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: weft}
spec: {controllerName: weft.dev/gateway}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: shop}
spec:
  gatewayClassName: weft
  listeners:
  - {name: http, port: 8080, protocol: HTTP}
  - name: https
    port: 8443
    protocol: HTTPS
    hostname: shop.example.com
    tls: {certificateRefs: [{name: shop-tls}]}
`;

const route = (prefix: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: shop}
spec:
  parentRefs: [{name: edge}]
  rules:
  - matches: [{path: {type: PathPrefix, value: ${prefix}}}]
    backendRefs: [{name: web, port: 80}]
`;

let fx: Fixture;
const clients: DiscoveryClient[] = [];
const streams: TestStream[] = [];

function open(identity: string, node: Record<string, unknown>): TestStream {
  const client = discoveryClient(fx.port, fx.pki, identity);
  clients.push(client);
  const s = new TestStream(client);
  streams.push(s);
  s.send({ node });
  return s;
}

function gatewayOf(r: DiscoveryResponse__Output) {
  return r.resources.find((x) => x.name === 'gateway');
}

beforeAll(async () => {
  fx = await startFixture({ ...SHOP, 'gateway.yaml': GATEWAY_YAML, 'route.yaml': route('/') });
  const certDir = join(fx.dir, 'certificates', 'shop', 'shop-tls');
  mkdirSync(certDir, { recursive: true });
  const pair = fx.pki.server;
  writeFileSync(join(certDir, 'tls.crt'), pair.cert);
  writeFileSync(join(certDir, 'tls.key'), pair.key);
  await fx.folder.reload();
});

afterAll(async () => {
  for (const s of streams) s.close();
  for (const c of clients) c.close();
  await fx.close();
});

describe('gateway config push', () => {
  it('pushes resource "gateway" to an allowed gateway identity without a subscription, and again on change', async () => {
    const s = open(GATEWAY_ID, { workload: 'gw-1', namespace: 'weft-system', gatewayClass: 'weft' });
    const first = await s.next();
    expect(first.resources.map((r) => r.name).sort()).toEqual(['gateway', 'inbound', 'mesh']);
    const config = gatewayOf(first)?.gatewayConfig;
    expect(config?.listeners.map((l) => [l.name, l.port, l.protocol])).toEqual([
      ['shop/edge/http', 8080, 'GATEWAY_LISTENER_PROTOCOL_HTTP'],
      ['shop/edge/https', 8443, 'GATEWAY_LISTENER_PROTOCOL_HTTPS'],
    ]);
    const https = config?.listeners[1];
    expect(https?.hostname).toBe('shop.example.com');
    expect(https?.certificates[0]?.name).toBe('shop/shop-tls');
    expect(https?.certificates[0]?.certificateChainPem).toBe(fx.pki.server.cert.toString());
    expect(https?.certificates[0]?.privateKeyPem).toContain('PRIVATE KEY');
    expect(https?.routes.map((r) => [r.name, r.backends[0]?.authority])).toEqual([
      ['HTTPRoute/shop/web/0', 'web.shop.svc.cluster.local:80'],
    ]);
    s.send({ ack: { versionInfo: first.versionInfo, nonce: first.nonce } });

    await fx.write('route.yaml', route('/shop'));
    const next = await s.next();
    expect(next.resources.map((r) => r.name)).toEqual(['gateway']);
    const prefix = gatewayOf(next)?.gatewayConfig?.listeners[0]?.routes[0]?.matches[0]?.path;
    expect(prefix).toMatchObject({ prefix: '/shop' });
    expect(gatewayOf(next)?.version).not.toBe(gatewayOf(first)?.version);

    s.send({ ack: { versionInfo: next.versionInfo, nonce: next.nonce } });

    // A renewed certificate in the folder reaches the gateway as a new version.
    const renewed = fx.pki.client('spiffe://cluster.local/ns/weft-system/sa/renewed');
    const certDir = join(fx.dir, 'certificates', 'shop', 'shop-tls');
    writeFileSync(join(certDir, 'tls.crt'), renewed.cert);
    writeFileSync(join(certDir, 'tls.key'), renewed.key);
    await fx.folder.reload();
    const rotated = await s.next();
    const cert = gatewayOf(rotated)?.gatewayConfig?.listeners[1]?.certificates[0];
    expect(cert?.certificateChainPem).toBe(renewed.cert.toString());
    expect(cert?.privateKeyPem).toBe(renewed.key.toString());

    // /debug/state names and fingerprints the certificate; the key is never in it.
    const debug = JSON.stringify(fx.cp.debugState());
    expect(debug).toContain('shop/shop-tls');
    expect(debug).not.toContain('PRIVATE KEY');
    expect(debug).toContain('[redacted]');
  });

  it('refuses the gateway config to any other identity, and counts it', async () => {
    const s = open(WEB_ID, { workload: 'web-1', namespace: 'shop', gatewayClass: 'weft' });
    const end = await s.done();
    expect(end.code).toBe(status.PERMISSION_DENIED);
    expect(end.details).toContain('not an allowed gateway identity');
    const refused = await fx.cp.metrics.gatewayRefused.get();
    expect(refused.values).toEqual([{ labels: { reason: 'identity-not-allowed' }, value: 1 }]);
  });

  it('leaves out a route whose regex is over the cap, counts it, and keeps serving the others', async () => {
    const s = open(GATEWAY_ID, { workload: 'gw-2', namespace: 'weft-system', gatewayClass: 'weft' });
    await s.next();
    await fx.write(
      'evil.yaml',
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: evil, namespace: shop}
spec:
  parentRefs: [{name: edge}]
  rules:
  - matches: [{path: {type: RegularExpression, value: "(a+)+"}}]
    backendRefs: [{name: web, port: 80}]
`,
    );
    const rejections = await fx.cp.metrics.gatewayRejections.get();
    expect(rejections.values).toContainEqual({
      labels: { kind: 'HTTPRoute', reason: 'UnsupportedValue' },
      value: 1,
    });
    const routes = fx.cp.state.gateway.config('weft').message.listeners?.[0]?.routes?.map((r) => r.name);
    expect(routes).toEqual(['HTTPRoute/shop/web/0']);
  });

  it('does not push the gateway config to a sidecar, even one subscribing to "gateway"', async () => {
    const s = open(WEB_ID, { workload: 'web-1', namespace: 'shop' });
    const first = await s.next();
    expect(first.resources.map((r) => r.name).sort()).toEqual(['inbound', 'mesh']);
    s.send({ ack: { versionInfo: first.versionInfo, nonce: first.nonce } });
    s.send({ subscribe: { names: ['gateway', 'web.shop.svc.cluster.local:80'] } });
    const next = await s.next();
    expect(next.resources.map((r) => r.name)).toEqual(['web.shop.svc.cluster.local:80']);
  });
});
