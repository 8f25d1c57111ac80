/**
 * The gateway's config from a Discovery push over real gRPC: the node announces its
 * GatewayClass, the pushed "gateway" resource binds ports and routes requests, a push that does
 * not compile is NACKed with the reason while the last good config keeps serving, and the next
 * good push applies.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { type DiscoveryRequest__Output, type DiscoveryResponse, loadDiscoveryProto } from '@weft/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscoveryState } from '../discovery/state.js';
import { defaultProxyOptions } from '../options.js';
import { StaticCertificateSource } from '../tls/certificate-source.js';
import { Gateway } from './gateway.js';
import { type RunningGateway, runGateway } from './run-gateway.js';
import { createTestCa } from './test-certificates.js';
import { type EchoApp, metricValue, request, startEchoApp } from './test-harness.js';

let server: grpc.Server;
let port: number;
const received: DiscoveryRequest__Output[] = [];
const streams: grpc.ServerDuplexStream<DiscoveryRequest__Output, DiscoveryResponse>[] = [];
let a: EchoApp;
let b: EchoApp;
let running: RunningGateway;
let version = 0;

/** A mesh destination (its endpoint a plain local app) whose own policy makes one attempt. */
const FLAKY = 'flaky.shop.svc.cluster.local:80';
let flaky: http.Server;
let flakyCalls = 0;
function flakyDestination() {
  return {
    authority: FLAKY,
    service: 'flaky',
    namespace: 'shop',
    port: 80,
    protocol: 'PROTOCOL_HTTP' as const,
    routes: [],
    backends: [
      {
        name: 'flaky.shop:80',
        service: 'flaky',
        namespace: 'shop',
        port: 80,
        endpoints: [{ address: '127.0.0.1', port: (flaky.address() as AddressInfo).port }],
      },
    ],
    policy: { retry: { attempts: 1 } },
  };
}

function gatewayResource(app: EchoApp, regex?: string): DiscoveryResponse['resources'] {
  version++;
  return [
    {
      name: 'gateway',
      version: String(version),
      gatewayConfig: {
        listeners: [
          {
            name: 'shop/public/http',
            port: 80,
            protocol: 'GATEWAY_LISTENER_PROTOCOL_HTTP',
            routes: [
              {
                // The rule's retry replaces the service's single attempt.
                name: 'HTTPRoute/shop/flaky/0',
                matches: [{ path: { prefix: '/retried' } }],
                retry: { attempts: 3, conditions: ['5xx'] },
                backends: [{ authority: FLAKY, weight: 1 }],
              },
              {
                name: 'HTTPRoute/shop/flaky/1',
                matches: [{ path: { prefix: '/once' } }],
                backends: [{ authority: FLAKY, weight: 1 }],
              },
              {
                name: 'HTTPRoute/shop/web/0',
                matches: regex === undefined ? [] : [{ path: { regex } }],
                backends: [{ authority: app.authority, weight: 1 }],
              },
            ],
          },
        ],
      },
    },
  ];
}

function push(resources: DiscoveryResponse['resources']): void {
  for (const s of streams)
    s.write({ versionInfo: String(version), nonce: `n${version}`, resources, removedNames: [] });
}

const ca = createTestCa();
const cert = ca.issue(['gateway.test']);

beforeAll(async () => {
  // Fails two requests of every three with 503.
  flaky = http.createServer((_req, res) => {
    flakyCalls++;
    res.statusCode = flakyCalls % 3 === 0 ? 200 : 503;
    res.end(String(flakyCalls));
  });
  await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
  a = await startEchoApp('a');
  b = await startEchoApp('b');
  server = new grpc.Server();
  server.addService(loadDiscoveryProto().weft.discovery.v1alpha1.Discovery.service, {
    Stream: (call: grpc.ServerDuplexStream<DiscoveryRequest__Output, DiscoveryResponse>) => {
      streams.push(call);
      call.on('data', (req: DiscoveryRequest__Output) => {
        received.push(req);
        if (req.kind === 'node' && req.node?.gatewayClass === 'weft') {
          version++;
          call.write({
            versionInfo: String(version),
            nonce: `n${version}`,
            resources: [
              { name: 'mesh', version: '1', meshConfig: { trustDomain: 'cluster.local' } },
              ...gatewayResource(a),
            ],
            removedNames: [],
          });
        }
        if (req.kind === 'subscribe') {
          version++;
          call.write({
            versionInfo: String(version),
            nonce: `n${version}`,
            resources: req.subscribe!.names.map((name) =>
              name === FLAKY
                ? { name, version: '1', destination: flakyDestination() }
                : { name, version: '1', doesNotExist: { reason: 'test' } },
            ),
            removedNames: [],
          });
        }
      });
      call.on('error', () => {});
    },
  });
  port = await new Promise<number>((res, rej) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
  );
  running = await runGateway({
    sidecar: {
      options: defaultProxyOptions({
        namespace: 'shop',
        service: '',
        listenHost: '127.0.0.1',
        inboundPort: 0,
        outboundPort: 0,
        adminPort: 0,
      }),
      // Discovery starts once the proxy holds a certificate (plaintext gRPC here: no CA given).
      identity: {
        type: 'static',
        certificates: new StaticCertificateSource({
          certChain: cert.chainPem,
          key: cert.keyPem,
          trustBundle: ca.caPem,
        }),
      },
      controlPlane: `127.0.0.1:${port}`,
      controlPlaneCa: undefined,
    },
    gateway: {
      className: 'weft',
      listenHost: '127.0.0.1',
      portMap: new Map([[80, 0]]),
      trustedProxies: [],
      handshakeTimeoutMs: 10_000,
      mirrorMaxInFlight: 8,
      mirrorTimeoutMs: 5000,
    },
  });
}, 30_000);

afterAll(async () => {
  await running?.stop(0);
  server?.forceShutdown();
  await a?.close();
  await b?.close();
  flaky?.close();
});

const bound = () => running.gateway.boundPorts()[80];
const appOf = async () =>
  JSON.parse((await request(bound()!, { headers: { host: 'x.test' } })).body).app as string;

describe('gateway config from Discovery', () => {
  it('announces its GatewayClass and serves the pushed config', async () => {
    await expect.poll(() => received[0]?.node?.gatewayClass, { timeout: 10_000 }).toBe('weft');
    await expect.poll(() => bound(), { timeout: 10_000 }).toBeGreaterThan(0);
    await expect.poll(appOf, { timeout: 10_000 }).toBe('a');
    expect(running.gateway.notReadyReason()).toBeUndefined();
    const ready = await fetch(`http://127.0.0.1:${running.proxy.ports.admin}/ready`);
    expect(ready.status).toBe(200);
  });

  it('NACKs a push that does not compile and keeps serving the last good config', async () => {
    push(gatewayResource(b, '(a+)+$'));
    await expect
      .poll(() => received.find((r) => r.kind === 'nack')?.nack?.errorDetail, { timeout: 10_000 })
      .toMatch(/resource "gateway": listeners\[0\]\.routes\[\d\]\.matches\[0\]/);
    expect(await appOf()).toBe('a');
    const text = await (await fetch(`http://127.0.0.1:${running.proxy.ports.admin}/metrics`)).text();
    expect(metricValue(text, 'weft_gateway_config_rejected_total', { source: 'discovery' })).toBe(1);
    push(gatewayResource(b));
    await expect.poll(appOf, { timeout: 10_000 }).toBe('b');
  });

  it("applies the rule's retry policy over the backend service's", async () => {
    const port = bound()!;
    flakyCalls = 0;
    const once = await request(port, { path: '/once', headers: { host: 'x.test' } });
    expect(once.status).toBe(503);
    expect(flakyCalls).toBe(1);
    const retried = await request(port, { path: '/retried', headers: { host: 'x.test' } });
    expect(retried.status).toBe(200);
    expect(flakyCalls).toBe(3);
  });

  it('is not ready before a config is applied', () => {
    const fresh = new Gateway({
      className: 'weft',
      listenHost: '127.0.0.1',
      portMap: new Map(),
      trustedProxies: [],
      handshakeTimeoutMs: 1000,
      mirrorMaxInFlight: 1,
      mirrorTimeoutMs: 1000,
    });
    expect(fresh.notReadyReason()).toBe('no gateway config applied yet');
  });

  it('a sidecar (no gateway sink) NACKs a gateway resource', () => {
    const state = new DiscoveryState();
    const resources = gatewayResource(a).map((r) => ({ ...r, kind: 'gatewayConfig' }));
    const r = state.apply({ versionInfo: '1', nonce: 'n', resources: resources as never, removedNames: [] });
    expect(r).toEqual({ type: 'nack', reason: 'resource "gateway": this proxy is not a gateway' });
  });
});
