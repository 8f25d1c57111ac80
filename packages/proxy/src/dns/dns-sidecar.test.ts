import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { type DnsOptions, defaultProxyOptions } from '../options.js';
import { runSidecar, StaticCertificateSource } from '../run.js';
import { askDns, startTestResolver } from './test-resolver.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function sidecar(dns: DnsOptions) {
  const running = await runSidecar({
    options: defaultProxyOptions({
      namespace: 'demo',
      service: 'web',
      listenHost: '127.0.0.1',
      inboundPort: 0,
      outboundPort: 0,
      adminPort: 0,
      dns,
    }),
    identity: { type: 'static', certificates: new StaticCertificateSource() },
    controlPlane: undefined,
    controlPlaneCa: undefined,
  });
  cleanups.push(() => running.stop(0));
  return running;
}

/** A UDP port held by this test, so the DNS proxy cannot bind it. */
async function heldPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise((r) => s.close(() => r())));
  return s.address().port;
}

const base = {
  host: '127.0.0.1',
  resolvConfPath: '/nonexistent/resolv.conf',
  clusterDomain: 'cluster.local',
};

describe('the DNS proxy in the sidecar', () => {
  it('serves on its port, forwarding everything when there is no control plane', async () => {
    const resolver = await startTestResolver(
      new Map([
        [
          'example.com',
          { type: 'records', answers: [{ name: 'example.com', type: 'A', ttl: 60, data: '192.0.2.1' }] },
        ],
      ]),
    );
    cleanups.push(() => resolver.close());
    const running = await sidecar({
      ...base,
      port: 0,
      required: true,
      upstreams: [{ host: '127.0.0.1', port: resolver.port }],
    });
    expect(running.ports.dns).toBeGreaterThan(0);
    const r = await askDns(
      running.ports.dns as number,
      { type: 'query', id: 1, questions: [{ name: 'example.com', type: 'A' }] },
      'udp',
    );
    expect(r.answers?.[0]?.data).toBe('192.0.2.1');
    // Without a control plane a cluster name is forwarded too (here: NXDOMAIN from the upstream).
    const cluster = await askDns(
      running.ports.dns as number,
      { type: 'query', id: 2, questions: [{ name: 'api.demo.svc.cluster.local', type: 'A' }] },
      'udp',
    );
    expect(resolver.received.get('api.demo.svc.cluster.local|A')).toBe(1);
    expect(cluster.flag_aa).toBe(true);
  });

  it('runs without DNS, says why and counts it, when the default address is taken', async () => {
    const port = await heldPort();
    const running = await sidecar({ ...base, port, required: false, upstreams: [] });
    expect(running.ports.dns).toBeUndefined();
    const admin = running.ports.admin;
    const config = (await (await fetch(`http://127.0.0.1:${admin}/config`)).json()) as {
      dns: { listening: boolean; error: string };
    };
    expect(config.dns.listening).toBe(false);
    expect(config.dns.error).toContain('EADDRINUSE');
    expect(await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text()).toContain(
      'weft_proxy_dns_listening 0',
    );
  });

  it('fails to start when an address given explicitly is taken', async () => {
    const port = await heldPort();
    await expect(sidecar({ ...base, port, required: true, upstreams: [] })).rejects.toThrow(/EADDRINUSE/);
  });
});
