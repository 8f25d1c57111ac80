/** HTTP/2 response heads feed outlier detection; the failed attempts are retried on the healthy endpoint. */
import { once } from 'node:events';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { response } from '../../testing/mesh-pair.js';
import { DiscoveryState } from '../discovery/state.js';
import { defaultProxyOptions } from '../options.js';
import { Sidecar } from '../proxy.js';
import { StaticCertificateSource } from '../tls/certificate-source.js';

const AUTHORITY = 'grpc.shop.svc.cluster.local:80';
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function h2App(status: number): Promise<number> {
  const server = http2.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(status).end(String(status)));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as AddressInfo).port;
}

function get(session: http2.ClientHttp2Session): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':path': '/', ':method': 'GET' });
    req.on('response', (h) => resolve(Number(h[':status'])));
    req.on('error', reject);
    req.resume();
    req.end();
  });
}

describe('HTTP/2 through the traffic layer', () => {
  it('ejects an endpoint that answers 5xx and sends the rest to the healthy one', async () => {
    const good = await h2App(200);
    const bad = await h2App(503);
    const state = new DiscoveryState();
    const sidecar = new Sidecar(
      defaultProxyOptions({
        namespace: 'shop',
        service: 'client',
        listenHost: '127.0.0.1',
        adminHost: '127.0.0.1',
        inboundPort: 0,
        outboundPort: 0,
        adminPort: 0,
        upstreams: [{ authority: AUTHORITY, host: '127.0.0.1', port: 0 }],
      }),
      { certificates: new StaticCertificateSource(), resolver: state, policies: state },
    );
    const ports = await sidecar.start();
    closers.push(() => sidecar.close());
    const ep = (port: number) => ({
      address: '127.0.0.1',
      port,
      identity: '',
      weight: 1,
      zone: '',
      meshed: null,
      labels: {},
    });
    state.apply(
      response([
        {
          name: AUTHORITY,
          version: '1',
          kind: 'destination',
          destination: {
            authority: AUTHORITY,
            service: 'grpc',
            namespace: 'shop',
            port: 80,
            protocol: 'PROTOCOL_HTTP2',
            routes: [],
            backends: [
              {
                name: 'grpc.shop:80',
                service: 'grpc',
                namespace: 'shop',
                port: 80,
                endpoints: [ep(good), ep(bad)],
              },
            ],
            policy: {
              loadBalancer: 'LOAD_BALANCER_ROUND_ROBIN',
              timeouts: null,
              retry: null,
              outlierDetection: {
                consecutiveFailures: 3,
                baseEjectionTime: { seconds: '60', nanos: 0 },
                maxEjectionPercent: 50,
              },
              limits: null,
            },
          },
        },
      ]),
    );
    const session = http2.connect(`http://127.0.0.1:${ports.upstreams[AUTHORITY]}`);
    closers.push(() => {
      session.destroy();
    });
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push(await get(session));
    // Round robin alternates until the third 503 ejects the bad endpoint; the default policy
    // retries each 503 (gateway-error) on the healthy one, so the client sees only 200s.
    expect(statuses).toEqual(Array(30).fill(200));
    const metrics = sidecar.metrics.registry.render();
    expect(metrics).toContain('weft_proxy_upstream_attempts_total{backend="grpc.shop:80",outcome="5xx"} 3');
    expect(metrics).toContain('weft_proxy_retries_total{backend="grpc.shop:80"} 3');
    expect(sidecar.metrics.registry.render()).toContain(
      `weft_proxy_outlier_ejections_total{backend="grpc.shop:80",endpoint="127.0.0.1:${bad}"} 1`,
    );
  });
});
