// The examples in docs/gateway.md work in weft, not only against the Gateway API schemas
// (test/install/docs-samples.test.ts applies them to a real API server): a real control plane
// in local mode serves them from a folder, with the Services they name and the certificate in
// certificates/shop/shop-tls, and the gateway config it would push holds every route, resolved,
// with no rejection counted. Then the Gateway is removed and the Ingress example takes its ports.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WEFT = join(ROOT, 'packages/cli/bin/weft.js');

/** The YAML objects of the ```yaml blocks of docs/gateway.md. */
function docObjects(): Record<string, any>[] {
  const md = readFileSync(join(ROOT, 'docs/gateway.md'), 'utf8');
  const out: Record<string, any>[] = [];
  for (const m of md.matchAll(/^```ya?ml\n([\s\S]*?)^```$/gm)) {
    for (const d of parseAllDocuments(m[1] as string)) {
      const v = d.toJS();
      if (v !== null && typeof v === 'object') out.push(v);
    }
  }
  return out;
}

interface Listener {
  name: string;
  port: number;
  hostname: string;
  certificates: { name: string }[];
  routes: { name: string; backends: { authority: string; weight: number; unresolvedReason?: string }[] }[];
}

describe('docs/gateway.md examples in a real control plane (local mode)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-gateway-docs-'));
  const config = join(dir, 'config');
  let child: ChildProcess;
  let admin = '';
  const objects = docObjects();

  beforeAll(async () => {
    for (const [secret, host] of [
      ['shop-tls', 'shop.example.com'],
      ['grpc-tls', 'grpc.shop.example.com'],
    ] as const) {
      const folder = join(config, 'certificates', 'shop', secret);
      mkdirSync(folder, { recursive: true });
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-nodes',
          '-keyout',
          'tls.key',
          '-out',
          'tls.crt',
          '-days',
          '2',
          '-subj',
          `/CN=${host}`,
          '-addext',
          `subjectAltName=DNS:${host}`,
        ],
        { cwd: folder, stdio: 'ignore' },
      );
    }
    // The Services the examples route to, and the class (which `weft install --gateway` creates).
    const services: [string, string, number][] = [
      ['shop', 'web', 80],
      ['shop', 'web-v2', 80],
      ['shop', 'store', 80],
      ['shop', 'api', 80],
      ['shop', 'api-shadow', 80],
      ['shop', 'orders', 9090],
      ['shop', 'orders-v2', 9090],
    ];
    writeFileSync(
      join(config, 'services.yaml'),
      [
        ...services.map(([namespace, name, port]) =>
          stringify({
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name, namespace },
            spec: { ports: [{ name: 'http', port }] },
          }),
        ),
        stringify({
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'GatewayClass',
          metadata: { name: 'weft' },
          spec: { controllerName: 'weft.dev/gateway' },
        }),
      ].join('---\n'),
    );
    const gatewayApi = objects.filter((o) => o.kind !== 'Ingress');
    writeFileSync(join(config, 'examples.yaml'), gatewayApi.map((o) => stringify(o)).join('---\n'));
    execFileSync(process.execPath, [WEFT, 'identity', 'create-ca', '--identity-dir', join(dir, 'identity')], {
      stdio: 'ignore',
    });
    child = spawn(
      process.execPath,
      [
        WEFT,
        'control-plane',
        '--config-dir',
        config,
        '--identity-dir',
        join(dir, 'identity'),
        '--listen',
        '127.0.0.1:0',
        '--admin-listen',
        '127.0.0.1:0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WEFT_LOG_LEVEL: 'warn' } },
    );
    child.stderr?.resume();
    admin = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`control plane exited (${code})`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const msg = JSON.parse(line) as { event?: string; admin?: number };
        if (msg.event === 'listening') resolve(`http://127.0.0.1:${msg.admin}`);
      });
    });
  }, 60_000);

  afterAll(async () => {
    if (child !== undefined && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  async function listeners(): Promise<Listener[]> {
    const state = (await (await fetch(`${admin}/debug/state`)).json()) as {
      gateway?: { weft?: { listeners?: Listener[] } };
    };
    return state.gateway?.weft?.listeners ?? [];
  }

  async function rejections(): Promise<string[]> {
    const text = await (await fetch(`${admin}/metrics`)).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith('weft_control_plane_gateway_rejections_total{') && !l.endsWith(' 0'));
  }

  it('serves every Gateway API example: each route on its listener, every backend resolved', async () => {
    await expect.poll(async () => (await listeners()).length, { timeout: 30_000, interval: 100 }).toBe(3);
    const [http, https, grpc] = await listeners();
    expect(http?.name).toBe('shop/public/http');
    expect(http?.routes.map((r) => r.name)).toEqual(['HTTPRoute/shop/https-redirect/0']);
    expect(https?.name).toBe('shop/public/https');
    expect(https?.hostname).toBe('shop.example.com');
    expect(https?.certificates.map((c) => c.name)).toEqual(['shop/shop-tls']);
    expect(new Set(https?.routes.map((r) => r.name))).toEqual(
      new Set([
        'HTTPRoute/shop/web/0',
        'HTTPRoute/shop/web-canary/0',
        'HTTPRoute/shop/web-canary/1',
        'HTTPRoute/shop/store/0',
        'HTTPRoute/shop/api/0',
      ]),
    );
    // Port 443 again, another hostname and certificate (SNI picks it): the GRPCRoute alone.
    expect([grpc?.name, grpc?.port, grpc?.hostname]).toEqual([
      'shop/public/grpc',
      443,
      'grpc.shop.example.com',
    ]);
    expect(grpc?.certificates.map((c) => c.name)).toEqual(['shop/grpc-tls']);
    expect(grpc?.routes.map((r) => r.name)).toEqual(['GRPCRoute/shop/orders/0', 'GRPCRoute/shop/orders/1']);
    // The header match comes before the catch-all of the same route.
    const order = https?.routes.map((r) => r.name) ?? [];
    expect(order.indexOf('HTTPRoute/shop/web-canary/0')).toBeLessThan(
      order.indexOf('HTTPRoute/shop/web-canary/1'),
    );
    for (const route of [...(https?.routes ?? []), ...(grpc?.routes ?? [])])
      for (const b of route.backends)
        expect(b.unresolvedReason ?? '', `${route.name} ${b.authority}`).toBe('');
    const split = https?.routes.find((r) => r.name === 'HTTPRoute/shop/web/0');
    expect(split?.backends.map((b) => [b.authority, b.weight])).toEqual([
      ['web.shop.svc.cluster.local:80', 90],
      ['web-v2.shop.svc.cluster.local:80', 10],
    ]);
    expect(await rejections()).toEqual([]);
  }, 60_000);

  it('serves the Ingress example on 80 and 443 once no Gateway holds those ports', async () => {
    unlinkSync(join(config, 'examples.yaml'));
    writeFileSync(
      join(config, 'ingress.yaml'),
      objects
        .filter((o) => o.kind === 'Ingress')
        .map((o) => stringify(o))
        .join('---\n'),
    );
    await expect
      .poll(async () => (await listeners()).map((l) => `${l.name} ${l.port}`), {
        timeout: 30_000,
        interval: 100,
      })
      .toEqual(['ingress/shop/shop/http 80', 'ingress/shop/shop/https 443']);
    const [http, https] = await listeners();
    expect(https?.certificates.map((c) => c.name)).toEqual(['shop/shop-tls']);
    // /healthz (Exact) before /api (Prefix); the default backend last.
    expect(http?.routes.map((r) => r.backends[0]?.authority)).toEqual([
      'web.shop.svc.cluster.local:80',
      'api.shop.svc.cluster.local:80',
      'web.shop.svc.cluster.local:80',
    ]);
    expect(http?.routes.at(-1)?.name).toBe('Ingress/shop/shop/default');
    expect(await rejections()).toEqual([]);
  }, 60_000);
});
