/**
 * The DNS proxy end to end, with the real binaries: `weft control-plane` over a manifests folder
 * and two `weft proxy` processes with join tokens. The client proxy's DNS answers mesh names from
 * the control plane's `dns:` resources (a ClusterIP, a headless Service's endpoints, NXDOMAIN),
 * forwards other names to a test resolver on loopback, and in local mode resolves a Service
 * without a ClusterIP to a loopback address where it routes HTTP to that Service's app.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { askDns, startTestResolver, type TestResolver } from '@weft/proxy/testing';
import type * as packet from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../packages/cli/bin/weft.js', import.meta.url));
let dir: string;
const children: ChildProcess[] = [];
let resolver: TestResolver;
let app: http.Server;
let dnsPort: number;
let clientAdmin: number;

function weftSync(args: string[]): string {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`weft ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Spawns `weft args` and resolves with its first JSON line whose event is `event`. */
function weft<T>(args: string[], event: string): Promise<T> {
  const child = spawn(process.execPath, [bin, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WEFT_LOG_LEVEL: 'warn' },
  });
  children.push(child);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        const parsed = JSON.parse(line) as { event?: string };
        if (parsed.event === event) resolve(parsed as T);
      }
    });
    child.once('exit', (code) => reject(new Error(`weft ${args[0]} exited with ${code}: ${err}`)));
  });
}

function token(service: string): string {
  const file = join(dir, `${service}.token`);
  const text = weftSync([
    'token',
    'create',
    '--identity-dir',
    join(dir, 'identity'),
    '--namespace',
    'test',
    '--service-account',
    service,
    '--service',
    service,
  ]);
  writeFileSync(file, text.trim(), { mode: 0o600 });
  return file;
}

const MANIFESTS = `apiVersion: v1
kind: Service
metadata: {name: api, namespace: test}
spec:
  ports: [{name: http, port: 80, targetPort: 80, appProtocol: http}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: test}
spec:
  clusterIP: 10.96.5.5
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: test}
spec:
  clusterIP: None
  ports: [{name: tcp, port: 5432}]
---
apiVersion: weft.dev/v1alpha1
kind: StaticEndpoints
metadata: {name: db, namespace: test}
spec:
  service: db
  endpoints: [{address: 10.9.0.2}, {address: 10.9.0.1}]
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-dns-'));
  mkdirSync(join(dir, 'config'));
  writeFileSync(join(dir, 'config', 'mesh.yaml'), MANIFESTS);
  weftSync(['identity', 'create-ca', '--identity-dir', join(dir, 'identity')]);
  resolver = await startTestResolver(
    new Map([
      [
        'example.com',
        { type: 'records', answers: [{ name: 'example.com', type: 'A', ttl: 60, data: '93.184.216.34' }] },
      ],
    ]),
  );
  app = http.createServer((req, res) => res.end(`api app saw ${req.headers.host}`));
  app.listen(0, '127.0.0.1');
  await once(app, 'listening');
  const appPort = (app.address() as AddressInfo).port;
  const cp = await weft<{ grpc: number }>(
    [
      'control-plane',
      '--config-dir',
      join(dir, 'config'),
      '--identity-dir',
      join(dir, 'identity'),
      '--listen',
      '127.0.0.1:0',
      '--admin-listen',
      '127.0.0.1:0',
    ],
    'listening',
  );
  const proxy = (service: string, extra: string[]) =>
    weft<{ admin: number; dns?: number }>(
      [
        'proxy',
        '--namespace',
        'test',
        '--service',
        service,
        '--token-file',
        token(service),
        '--control-plane',
        `127.0.0.1:${cp.grpc}`,
        '--ca-file',
        join(dir, 'identity', 'ca.crt'),
        '--inbound-port',
        '0',
        '--outbound-port',
        '0',
        '--admin-port',
        '0',
        ...extra,
      ],
      'listening',
    );
  await proxy('api', ['--inbound', `80=127.0.0.1:${appPort}`, '--no-dns']);
  const client = await proxy('client', [
    '--dns-listen',
    '127.0.0.1:0',
    '--dns-upstream',
    `127.0.0.1:${resolver.port}`,
    '--dns-resolv-conf',
    join(dir, 'no-such-resolv.conf'),
  ]);
  expect(client.dns).toBeGreaterThan(0);
  dnsPort = client.dns as number;
  clientAdmin = client.admin;
}, 90_000);

afterAll(async () => {
  for (const c of children.reverse()) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    const closed = once(c, 'close');
    c.kill('SIGTERM');
    await closed;
  }
  await resolver?.close();
  app?.closeAllConnections();
  app?.close();
  rmSync(dir, { recursive: true, force: true });
});

const query = (name: string, type: packet.RecordType = 'A'): packet.Packet => ({
  type: 'query',
  id: 77,
  flags: 1 << 8,
  questions: [{ name, type, class: 'IN' }],
});

function rcode(p: packet.DecodedPacket): string {
  return (p as unknown as { rcode: string }).rcode;
}

function get(host: string, hostHeader: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host, port: 80, path: '/', headers: { host: hostHeader }, agent: false },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
  });
}

describe('weft proxy DNS with a real control plane', () => {
  it('answers a ClusterIP, a headless Service and NXDOMAIN from the control plane', async () => {
    const web = await askDns(dnsPort, query('web.test.svc.cluster.local'), 'udp');
    expect(web.answers?.map((a) => a.data)).toEqual(['10.96.5.5']);
    const db = await askDns(dnsPort, query('db.test'), 'tcp');
    expect(db.answers?.map((a) => a.data)).toEqual(['10.9.0.1', '10.9.0.2']);
    const nope = await askDns(dnsPort, query('nope.test.svc.cluster.local'), 'udp');
    expect(rcode(nope)).toBe('NXDOMAIN');
  });

  it('forwards other names to the upstream resolver', async () => {
    const r = await askDns(dnsPort, query('example.com'), 'udp');
    expect(r.answers?.map((a) => a.data)).toEqual(['93.184.216.34']);
    expect(resolver.received.get('example.com|A')).toBe(1);
  });

  it('local mode: a Service without a ClusterIP resolves to a loopback address its client proxy routes', async () => {
    const r = await askDns(dnsPort, query('api.test.svc.cluster.local'), 'udp');
    const address = r.answers?.[0]?.data as string;
    expect(address).toMatch(/^127\.77\.\d+\.\d+$/);
    const res = await get(address, 'api.test.svc.cluster.local');
    expect(res.status).toBe(200);
    expect(res.body).toBe('api app saw api.test.svc.cluster.local');
  });

  it('shows the names looked up on /config and counts queries on /metrics', async () => {
    const config = (await (await fetch(`http://127.0.0.1:${clientAdmin}/config`)).json()) as {
      dns: { lookups: { name: string; answer: string }[] };
    };
    const names = new Map(config.dns.lookups.map((l) => [l.name, l.answer]));
    expect(names.get('web.test.svc.cluster.local')).toBe('mesh');
    expect(names.get('nope.test.svc.cluster.local')).toBe('nxdomain');
    expect(names.get('example.com')).toBe('forwarded');
    const metrics = await (await fetch(`http://127.0.0.1:${clientAdmin}/metrics`)).text();
    expect(metrics).toMatch(/weft_proxy_dns_queries_total\{answer="mesh",type="A"\} [1-9]/);
    expect(metrics).toMatch(/weft_proxy_dns_queries_total\{answer="forwarded",type="A"\} 1/);
    expect(metrics).toContain('weft_proxy_dns_listening 1');
  });
});
