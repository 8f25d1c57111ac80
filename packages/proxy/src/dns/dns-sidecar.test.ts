import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
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

/** A UDP port held by this test on 127.0.0.1, so the DNS proxy cannot bind it there. */
async function heldPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise((r) => s.close(() => r())));
  return s.address().port;
}

const bindUdp = (type: 'udp4' | 'udp6', port: number, host: string) =>
  new Promise<Socket>((resolve, reject) => {
    const s = createSocket(type);
    s.once('error', reject);
    s.bind(port, host, () => resolve(s));
  });
const listenTcp = (port: number, host: string) =>
  new Promise<Server>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, host, () => resolve(s));
  });

/**
 * A UDP port held on ::1 only, and free on 127.0.0.1 for both UDP and TCP a moment ago.
 * Holding a random port on ::1 alone is not enough: the same number on 127.0.0.1 may be in use
 * by another test (CI once saw the DNS proxy fail to bind there), so the port is picked on
 * 127.0.0.1 first and held there until ::1 is held too.
 */
async function portHeldOnIpv6Only(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const udp4 = await bindUdp('udp4', 0, '127.0.0.1');
    const port = (udp4.address() as { port: number }).port;
    const tcp4 = await listenTcp(port, '127.0.0.1').catch(() => undefined);
    const udp6 = tcp4 ? await bindUdp('udp6', port, '::1').catch(() => undefined) : undefined;
    await new Promise<void>((r) => udp4.close(() => r()));
    if (tcp4) await new Promise<void>((r) => tcp4.close(() => r()));
    if (udp6) {
      cleanups.push(() => new Promise((r) => udp6.close(() => r())));
      return port;
    }
  }
  throw new Error('no port free on 127.0.0.1 and ::1 in 20 tries');
}

const base = {
  host: '127.0.0.1',
  ipv6Loopback: false,
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

  it('with the default address also serves on [::1] at the same port, forwarding to an IPv6 upstream', async () => {
    // One name per query: a cached answer would not show that the forwarder reached the upstream.
    const names = ['udp6.example.com', 'tcp6.example.com', 'udp4.example.com'];
    const resolver = await startTestResolver(
      new Map(
        names.map((name) => [
          name,
          { type: 'records', answers: [{ name, type: 'A', ttl: 60, data: '192.0.2.1' }] },
        ]),
      ),
      '::1',
    );
    cleanups.push(() => resolver.close());
    const running = await sidecar({
      ...base,
      port: 0,
      required: false,
      ipv6Loopback: true,
      upstreams: [{ host: '::1', port: resolver.port }],
    });
    const port = running.ports.dns as number;
    const ask = (name: string, transport: 'udp' | 'tcp', host: string) =>
      askDns(port, { type: 'query', id: 1, questions: [{ name, type: 'A' }] }, transport, host);
    expect((await ask('udp6.example.com', 'udp', '::1')).answers?.[0]?.data).toBe('192.0.2.1');
    expect((await ask('tcp6.example.com', 'tcp', '::1')).answers?.[0]?.data).toBe('192.0.2.1');
    expect((await ask('udp4.example.com', 'udp', '127.0.0.1')).answers?.[0]?.data).toBe('192.0.2.1');
    for (const name of names) expect(resolver.received.get(`${name}|A`), name).toBe(1);
    const config = (await (await fetch(`http://127.0.0.1:${running.ports.admin}/config`)).json()) as {
      dns: { listen: string; ipv6Loopback: unknown; upstreams: string[] };
    };
    expect(config.dns.listen).toBe(`127.0.0.1:${port}`);
    expect(config.dns.ipv6Loopback).toEqual({ listening: true, listen: `[::1]:${port}` });
    expect(config.dns.upstreams).toEqual([`[::1]:${resolver.port}`]);
  });

  it('runs on IPv4 only, and says so on /config, when it cannot listen on [::1]', async () => {
    const resolver = await startTestResolver(
      new Map([
        [
          'example.com',
          { type: 'records', answers: [{ name: 'example.com', type: 'A', ttl: 60, data: '192.0.2.1' }] },
        ],
      ]),
    );
    cleanups.push(() => resolver.close());
    // Held on ::1 only, so 127.0.0.1 binds and ::1 does not (as when IPv6 is disabled).
    const port = await portHeldOnIpv6Only();
    const running = await sidecar({
      ...base,
      port,
      required: false,
      ipv6Loopback: true,
      upstreams: [{ host: '127.0.0.1', port: resolver.port }],
    });
    expect(running.ports.dns).toBe(port);
    const r = await askDns(
      port,
      { type: 'query', id: 1, questions: [{ name: 'example.com', type: 'A' }] },
      'udp',
    );
    expect(r.answers?.[0]?.data).toBe('192.0.2.1');
    const config = (await (await fetch(`http://127.0.0.1:${running.ports.admin}/config`)).json()) as {
      dns: { listen: string; ipv6Loopback: { listening: boolean; error: string } };
    };
    expect(config.dns.listen).toBe(`127.0.0.1:${port}`);
    expect(config.dns.ipv6Loopback.listening).toBe(false);
    expect(config.dns.ipv6Loopback.error).toContain('EADDRINUSE');
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
