/**
 * The two halves of the ingress gateway together, through the real push path: `weft
 * control-plane` in local mode reads a GatewayClass, a Gateway (HTTP, HTTPS with an ECDSA P-256
 * certificate from the folder's certificates/ dir, and a listener for gRPC), an HTTPRoute (a
 * weighted split and a header match) and a GRPCRoute from its folder, translates them and pushes
 * the GatewayConfig over Discovery to `weft gateway`, which certified with its own join token
 * (an allowed `--gateway-identity`). Clients reach three meshed apps through the gateway, over
 * mTLS via their `weft proxy` sidecars, whose AuthorizationPolicies allow only the gateway's
 * SPIFFE ID.
 *
 * Then: the certificate is rotated in the folder under load with no failed request; bad input
 * (a route to a missing Service, a regex over the cap, a bad certificate) is reported and the
 * rest keeps serving; and a gateway whose identity is not a gateway identity gets no config.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import {
  createServingTestCa as createTestCa,
  type ServingTestCa as TestCa,
  type TestCertificate,
} from '@weft/proxy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ControlPlaneProcess,
  createMeshFolder,
  type MeshFolder,
  stopControlPlane,
} from '../proxy-support/control-plane.js';
import { type ProxyProcess, startProxy, WEFT_BIN } from '../proxy-support/processes.js';

const GATEWAY_ID = 'spiffe://cluster.local/ns/default/sa/gateway';
const V1 = 'v1.default.svc.cluster.local:80';
const SHOP = 'shop.example.test';

interface GatewayProcess {
  readonly child: ChildProcess;
  readonly admin: number;
  stderr(): string;
}

let mesh: MeshFolder;
let cp: ControlPlaneProcess | undefined;
const apps: http.Server[] = [];
const proxies: ProxyProcess[] = [];
let other: ProxyProcess | undefined;
const gateways: GatewayProcess[] = [];
let gateway: GatewayProcess;
let ports: { http: number; https: number; grpc: number };
let grpcServer: grpc.Server | undefined;

const bytes = {
  requestSerialize: (b: Buffer) => b,
  requestDeserialize: (b: Buffer) => b,
  responseSerialize: (b: Buffer) => b,
  responseDeserialize: (b: Buffer) => b,
};
/** A raw-bytes gRPC service; the app implements Echo only, the GRPCRoute routes Echo only. */
const BYTES: grpc.ServiceDefinition = {
  Echo: { path: '/test.Bytes/Echo', requestStream: false, responseStream: false, ...bytes },
  Other: { path: '/test.Bytes/Other', requestStream: false, responseStream: false, ...bytes },
};
const BytesClient = grpc.makeGenericClientConstructor(BYTES, 'Bytes');

function unary(
  client: grpc.Client,
  method: 'Echo' | 'Other',
  payload: Buffer,
): Promise<{ code: number; value?: Buffer }> {
  return new Promise((resolve) => {
    const call = (client as unknown as Record<string, (...args: unknown[]) => void>)[method]!;
    call.call(
      client,
      payload,
      { deadline: Date.now() + 10_000 },
      (err: grpc.ServiceError | null, value?: Buffer) =>
        resolve(
          err === null
            ? { code: grpc.status.OK, ...(value === undefined ? {} : { value }) }
            : { code: err.code },
        ),
    );
  });
}
let ca: TestCa;
let shopCert: TestCertificate;

const gatewayManifests = (extraListeners: string[] = []) =>
  [
    'apiVersion: gateway.networking.k8s.io/v1',
    'kind: GatewayClass',
    'metadata: {name: weft}',
    'spec: {controllerName: weft.dev/gateway}',
    '---',
    'apiVersion: gateway.networking.k8s.io/v1',
    'kind: Gateway',
    'metadata: {name: edge, namespace: default}',
    'spec:',
    '  gatewayClassName: weft',
    '  listeners:',
    '  - {name: http, port: 80, protocol: HTTP}',
    '  - name: https',
    '    port: 443',
    '    protocol: HTTPS',
    `    hostname: ${SHOP}`,
    '    tls: {mode: Terminate, certificateRefs: [{name: shop-tls}]}',
    '  - {name: grpc, port: 8080, protocol: HTTP}',
    ...extraListeners,
    '',
  ].join('\n');

const MANIFESTS: Record<string, string> = {
  'gateway.yaml': gatewayManifests(),
  'route.yaml': [
    'apiVersion: gateway.networking.k8s.io/v1',
    'kind: HTTPRoute',
    'metadata: {name: shop, namespace: default}',
    'spec:',
    '  parentRefs: [{name: edge, sectionName: http}, {name: edge, sectionName: https}]',
    '  rules:',
    '  - matches: [{headers: [{name: x-version, value: v2}]}]',
    '    backendRefs: [{name: v2, port: 80}]',
    '  - backendRefs:',
    '    - {name: v1, port: 80, weight: 50}',
    '    - {name: v2, port: 80, weight: 50}',
    '---',
    'apiVersion: gateway.networking.k8s.io/v1',
    'kind: GRPCRoute',
    'metadata: {name: rpc, namespace: default}',
    'spec:',
    '  parentRefs: [{name: edge, sectionName: grpc}]',
    '  rules:',
    '  - matches: [{method: {service: test.Bytes, method: Echo}}]',
    '    backendRefs: [{name: rpc, port: 50051}]',
    '',
  ].join('\n'),
  'services.yaml': [
    ['v1', 'http', 80],
    ['v2', 'http', 80],
    ['rpc', 'grpc', 50051],
  ]
    .flatMap(([name, portName, port]) => [
      'apiVersion: v1',
      'kind: Service',
      `metadata: {name: ${name}, namespace: default}`,
      'spec:',
      `  ports: [{name: ${portName}, port: ${port}}]`,
      '---',
      'apiVersion: weft.dev/v1alpha1',
      'kind: AuthorizationPolicy',
      `metadata: {name: ${name}-from-gateway, namespace: default}`,
      'spec:',
      `  targetRef: {kind: Service, name: ${name}}`,
      '  action: Allow',
      '  from:',
      `  - identities: ["${GATEWAY_ID}"]`,
      '---',
    ])
    .join('\n'),
  'mesh.yaml': [
    'apiVersion: weft.dev/v1alpha1',
    'kind: MeshConfig',
    'metadata: {name: mesh}',
    'spec: {defaultInboundPolicy: deny, mtls: strict}',
    '',
  ].join('\n'),
};

interface Answer {
  readonly status: number;
  readonly body: string;
  /** SHA-256 fingerprint of the certificate the server presented (HTTPS only). */
  readonly fingerprint?: string;
}

function request(
  port: number,
  o: { path?: string; headers?: http.OutgoingHttpHeaders; tls?: boolean; agent?: http.Agent } = {},
): Promise<Answer> {
  const tls = o.tls ?? false;
  return new Promise((resolve, reject) => {
    const options: https.RequestOptions = {
      host: '127.0.0.1',
      port,
      path: o.path ?? '/hello',
      headers: { ...(tls ? { host: SHOP } : {}), ...o.headers },
      agent: o.agent ?? false,
      timeout: 10_000,
      ...(tls ? { servername: SHOP, ca: ca.caPem } : {}),
    };
    const req = (tls ? https : http).request(options, (res) => {
      const fingerprint = tls ? (res.socket as TLSSocket).getPeerCertificate().fingerprint256 : undefined;
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body, ...(fingerprint === undefined ? {} : { fingerprint }) }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

const statusOf = (p: Promise<Answer>) => p.then((a) => a.status).catch(() => 0);

const fingerprintOf = (c: TestCertificate) => new X509Certificate(c.chainPem).fingerprint256;

/** Writes the TLS Secret `default/<name>` as the folder's certificates/default/<name>/ files. */
function writeCertificateFile(name: string, file: 'tls.crt' | 'tls.key', text: string): void {
  const dir = join(mesh.dir, 'config', 'certificates', 'default', name);
  mkdirSync(dir, { recursive: true });
  // Each file is replaced whole (rename), as an editor or a certificate tool does.
  writeFileSync(join(dir, `.${file}.tmp`), text);
  renameSync(join(dir, `.${file}.tmp`), join(dir, file));
}

/** The sum of the samples of `name` whose labels include every `labels` pair. */
async function metric(port: number, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Calls `read` until `done` holds for its result (or throws at the deadline); resolves with it. */
async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read().catch((err: unknown) => err as T);
    if (!(v instanceof Error) && done(v)) return v;
    if (Date.now() > deadline)
      throw new Error(
        `condition not met in ${timeoutMs} ms; last: ${v instanceof Error ? String(v) : JSON.stringify(v)?.slice(0, 2000)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function gatewaySnapshot(g: GatewayProcess) {
  const r = await fetch(`http://127.0.0.1:${g.admin}/config`);
  return (
    (await r.json()) as {
      gateway: {
        source: string;
        boundPorts: Record<string, number>;
        lastRejected: string;
        listeners: { name: string; routes: string[]; certificates: { fingerprint256: string }[] }[];
      };
    }
  ).gateway;
}

async function startGateway(token: string): Promise<GatewayProcess> {
  const child = spawn(
    process.execPath,
    [
      WEFT_BIN,
      'gateway',
      '--control-plane',
      `127.0.0.1:${cp!.grpc}`,
      '--ca-file',
      join(mesh.dir, 'identity', 'ca.crt'),
      '--token-file',
      join(mesh.dir, `${token}.token`),
      '--namespace',
      'default',
      '--port-map',
      '80=0',
      '--port-map',
      '443=0',
      '--listen-host',
      '127.0.0.1',
      '--admin-port',
      '0',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-16_384);
  });
  let out = '';
  const admin = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve((JSON.parse(out.slice(0, nl)) as { admin: number }).admin);
    });
    child.once('exit', (code) => reject(new Error(`weft gateway exited with ${code}: ${err}`)));
  });
  const g = { child, admin, stderr: () => err };
  gateways.push(g);
  return g;
}

beforeAll(async () => {
  ca = createTestCa();
  shopCert = ca.issue([SHOP]);
  mesh = await createMeshFolder(MANIFESTS, ['v1', 'v2', 'rpc', 'gateway', 'other', 'intruder']);
  writeCertificateFile('shop-tls', 'tls.key', shopCert.keyPem);
  writeCertificateFile('shop-tls', 'tls.crt', shopCert.chainPem);
  cp = await mesh.start(0, ['--gateway-identity', GATEWAY_ID]);
  for (const name of ['v1', 'v2']) {
    const app = http.createServer((req, res) => {
      res.end(JSON.stringify({ service: name, url: req.url, xff: req.headers['x-forwarded-for'] }));
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    apps.push(app);
    proxies.push(
      await startProxy([...mesh.proxyFlags(name, cp.grpc), '--mtls-mode', 'strict'], {
        WEFT_INBOUND: `80=127.0.0.1:${(app.address() as AddressInfo).port}`,
      }),
    );
  }
  const rpc = new grpc.Server();
  rpc.addService(BYTES, {
    Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) =>
      done(null, Buffer.concat([Buffer.from('echo:'), call.request])),
  });
  const rpcPort = await new Promise<number>((resolve, reject) =>
    rpc.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  grpcServer = rpc;
  proxies.push(
    await startProxy([...mesh.proxyFlags('rpc', cp.grpc), '--mtls-mode', 'strict'], {
      WEFT_INBOUND: `50051=127.0.0.1:${rpcPort}`,
    }),
  );
  other = await startProxy([...mesh.proxyFlags('other', cp.grpc), '--upstream', `${V1}=127.0.0.1:0`]);
  gateway = await startGateway('gateway');
  // The listening line comes before the first push: the pushed listeners' ports come with it.
  const bound = await until(
    async () => (await gatewaySnapshot(gateway)).boundPorts,
    (b) => b['80'] !== undefined && b['443'] !== undefined && b['8080'] !== undefined,
    30_000,
  );
  ports = { http: bound['80']!, https: bound['443']!, grpc: bound['8080']! };
}, 120_000);

afterAll(async () => {
  for (const g of gateways) {
    if (g.child.exitCode !== null || g.child.signalCode !== null) continue;
    g.child.kill('SIGTERM');
    await once(g.child, 'exit');
  }
  await other?.stop();
  for (const p of proxies) await p.stop();
  await stopControlPlane(cp, 'SIGTERM');
  grpcServer?.forceShutdown();
  for (const app of apps) {
    app.closeAllConnections();
    app.close();
  }
  mesh?.cleanup();
});

describe('weft gateway configured by the control plane (Gateway API in local mode)', () => {
  it('serves the pushed config: HTTP and HTTPS into the mesh, split by weight and by header', async () => {
    await expect.poll(() => statusOf(request(ports.http)), { timeout: 30_000, interval: 200 }).toBe(200);
    expect((await fetch(`http://127.0.0.1:${gateway.admin}/ready`)).status).toBe(200);
    const snapshot = await gatewaySnapshot(gateway);
    expect(snapshot.source).toBe('discovery');
    expect(snapshot.listeners.map((l) => l.name).sort()).toEqual([
      'default/edge/grpc',
      'default/edge/http',
      'default/edge/https',
    ]);
    const seen = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const a = await request(ports.http);
      expect(a.status).toBe(200);
      const body = JSON.parse(a.body) as { service: string; xff: string };
      // The gateway set x-forwarded-for from the client's socket.
      expect(body.xff).toBe('127.0.0.1');
      seen.set(body.service, (seen.get(body.service) ?? 0) + 1);
    }
    // 50/50 over 40 requests: both backends (all on one side has probability 2^-39).
    expect([...seen.keys()].sort()).toEqual(['v1', 'v2']);
    for (let i = 0; i < 10; i++) {
      const a = await request(ports.http, { headers: { 'x-version': 'v2' } });
      expect(JSON.parse(a.body)).toMatchObject({ service: 'v2' });
    }
    const secure = await request(ports.https, { tls: true, headers: { 'x-version': 'v2' } });
    expect(secure.status).toBe(200);
    expect(JSON.parse(secure.body)).toMatchObject({ service: 'v2', url: '/hello' });
    expect(secure.fingerprint).toBe(fingerprintOf(shopCert));
    // Both apps' sidecars saw the gateway's identity from its client certificate (mTLS).
    for (const p of proxies.slice(0, 2)) {
      expect(
        await metric(p.ports.admin, 'weft_requests_total', {
          direction: 'inbound',
          peer_identity: GATEWAY_ID,
          tls: 'true',
        }),
      ).toBeGreaterThan(0);
    }
    // The certificate's private key went to the gateway, and nowhere it can be read back.
    expect(JSON.stringify(snapshot)).not.toContain('PRIVATE KEY');
  }, 60_000);

  it('routes gRPC by service and method (GRPCRoute, h2c) into the mesh', async () => {
    const client = new BytesClient(`127.0.0.1:${ports.grpc}`, grpc.credentials.createInsecure());
    try {
      const echo = await unary(client, 'Echo', Buffer.from('ping'));
      expect(echo.code).toBe(grpc.status.OK);
      expect(echo.value?.toString()).toBe('echo:ping');
      // No rule matches Other: the gateway's own 404, as a gRPC status.
      expect((await unary(client, 'Other', Buffer.from('x'))).code).toBe(grpc.status.UNIMPLEMENTED);
    } finally {
      client.close();
    }
    expect(
      await metric(proxies[2]!.ports.admin, 'weft_requests_total', {
        direction: 'inbound',
        peer_identity: GATEWAY_ID,
        tls: 'true',
      }),
    ).toBeGreaterThan(0);
  }, 60_000);

  it("denies another meshed identity calling an app directly: the policy allows only the gateway's", async () => {
    await expect
      .poll(() => statusOf(request(other!.ports.upstreams[V1]!)), { timeout: 30_000, interval: 200 })
      .toBe(403);
    expect((await request(ports.http)).status).toBe(200);
  }, 60_000);

  it('rotates the certificate in the folder under load: new handshakes get it, no request fails', async () => {
    const next = ca.issue([SHOP]);
    const before = { old: fingerprintOf(shopCert), next: fingerprintOf(next) };
    const failures: string[] = [];
    const served = new Set<string>();
    let stop = false;
    let rotated = false;
    let afterRotation = 0;
    // Bounded: a few concurrent clients, each at most 2,000 requests and 60 s.
    const deadline = Date.now() + 60_000;
    const loop = async (agent: https.Agent | undefined) => {
      for (let i = 0; i < 2000 && !stop && Date.now() < deadline; i++) {
        try {
          const a = await request(ports.https, { tls: true, ...(agent === undefined ? {} : { agent }) });
          if (a.status !== 200) failures.push(`status ${a.status}: ${a.body.slice(0, 200)}`);
          if (a.fingerprint !== undefined) served.add(a.fingerprint);
          if (rotated) afterRotation++;
        } catch (err) {
          failures.push(String(err));
        }
      }
    };
    // New handshakes per request, and connections kept alive across the rotation.
    const keepAlive = [1, 2].map(() => new https.Agent({ keepAlive: true, maxSockets: 1 }));
    const clients = [...[1, 2, 3, 4].map(() => loop(undefined)), ...keepAlive.map((agent) => loop(agent))];
    try {
      await until(
        async () => served.size,
        (n) => n > 0,
        30_000,
      );
      const folderErrors = () =>
        metric(cp!.admin, 'weft_control_plane_source_errors_total', { source: 'folder' });
      const errorsBefore = await folderErrors();
      // A tool that writes the key first, then the certificate: in between, the folder holds a
      // key that does not match the certificate. Wait until the control plane has read that
      // (it reports the folder and keeps the last good pair).
      writeCertificateFile('shop-tls', 'tls.key', next.keyPem);
      await until(folderErrors, (n) => n > errorsBefore, 30_000);
      writeCertificateFile('shop-tls', 'tls.crt', next.chainPem);
      rotated = true;
      // The control plane pushes; the gateway answers new handshakes with the new certificate.
      await until(
        async () => (await request(ports.https, { tls: true })).fingerprint,
        (f) => f === before.next,
        30_000,
      );
      await until(
        async () => afterRotation,
        (n) => n >= 200,
        30_000,
      );
    } finally {
      stop = true;
      await Promise.all(clients);
      for (const agent of keepAlive) agent.destroy();
    }
    expect(failures).toEqual([]);
    expect([...served].sort()).toEqual([before.old, before.next].sort());
    expect(
      (await gatewaySnapshot(gateway)).listeners.find((l) => l.name === 'default/edge/https')?.certificates,
    ).toEqual([expect.objectContaining({ fingerprint256: before.next })]);
    // The half-written pair never reached the gateway: it was reported, and the old pair served on.
    expect(await metric(cp!.admin, 'weft_control_plane_gateway_rejections_total')).toBe(0);
    expect(await metric(gateway.admin, 'weft_gateway_config_rejected_total')).toBe(0);
    shopCert = next;
  }, 120_000);

  it('keeps serving through bad input: a missing Service, a regex over the cap, a bad certificate', async () => {
    let log = '';
    cp!.child.stderr!.on('data', (d: Buffer) => {
      log = (log + d.toString()).slice(-65_536);
    });
    const rejections = (labels: Record<string, string>) =>
      metric(cp!.admin, 'weft_control_plane_gateway_rejections_total', labels);
    const counts = async () => ({
      backend: await rejections({ kind: 'HTTPRoute', reason: 'BackendNotFound' }),
      regex: await rejections({ kind: 'HTTPRoute', reason: 'UnsupportedValue' }),
      certificate: await rejections({ kind: 'Gateway', reason: 'InvalidCertificateRef' }),
    });
    const before = await counts();
    const config = join(mesh.dir, 'config');
    writeCertificateFile('bad-tls', 'tls.key', 'not a key\n');
    writeCertificateFile('bad-tls', 'tls.crt', 'not a certificate\n');
    writeFileSync(
      join(config, 'gateway.yaml'),
      gatewayManifests([
        '  - name: https-bad',
        '    port: 443',
        '    protocol: HTTPS',
        '    hostname: bad.example.test',
        '    tls: {mode: Terminate, certificateRefs: [{name: bad-tls}]}',
      ]),
    );
    writeFileSync(
      join(config, 'bad-routes.yaml'),
      [
        'apiVersion: gateway.networking.k8s.io/v1',
        'kind: HTTPRoute',
        'metadata: {name: ghost, namespace: default}',
        'spec:',
        '  parentRefs: [{name: edge, sectionName: http}]',
        '  rules:',
        '  - matches: [{path: {type: PathPrefix, value: /ghost}}]',
        '    backendRefs: [{name: ghost, port: 80}]',
        '---',
        'apiVersion: gateway.networking.k8s.io/v1',
        'kind: HTTPRoute',
        'metadata: {name: greedy, namespace: default}',
        'spec:',
        '  parentRefs: [{name: edge, sectionName: http}]',
        '  rules:',
        // Over the 1,024-character cap on a regular expression (a path value cannot be: the
        // schema caps it at 1,024 characters, as the Gateway API's CRD does).
        '  - matches:',
        `    - headers: [{name: x-pattern, type: RegularExpression, value: "${'a'.repeat(1100)}"}]`,
        '    backendRefs: [{name: v1, port: 80}]',
        '',
      ].join('\n'),
    );
    // The control plane counts each problem (its admin port's metrics) and logs it.
    await until(
      counts,
      (n) => n.backend > before.backend && n.regex > before.regex && n.certificate > before.certificate,
      30_000,
    );
    await until(
      async () => log.split('\n'),
      (lines) =>
        [
          ['HTTPRoute default/ghost', 'BackendNotFound'],
          ['HTTPRoute default/greedy', 'UnsupportedValue'],
          ['listener https-bad', 'InvalidCertificateRef'],
        ].every((words) => lines.some((l) => words.every((w) => l.includes(w)))),
      30_000,
    );
    expect(log).not.toContain('PRIVATE KEY');
    // The gateway got the new config: the route to the missing Service is there (answered 500,
    // as the Gateway API asks), the regex route and the listener without a certificate are not.
    const snapshot = await until(
      () => gatewaySnapshot(gateway),
      (g) => g.listeners.some((l) => l.routes.some((r) => r.startsWith('HTTPRoute/default/ghost/'))),
      30_000,
    );
    expect(snapshot.listeners.map((l) => l.name).sort()).toEqual([
      'default/edge/grpc',
      'default/edge/http',
      'default/edge/https',
    ]);
    expect(JSON.stringify(snapshot)).not.toContain('greedy');
    expect((await request(ports.http, { path: '/ghost/x' })).status).toBe(500);
    const unmatched = await request(ports.http, { headers: { 'x-pattern': 'a'.repeat(1100) } });
    expect(unmatched.status).toBe(200);
    // Everything else serves on: HTTP, and HTTPS on the same port with the same certificate.
    for (let i = 0; i < 10; i++) expect((await request(ports.http)).status).toBe(200);
    const secure = await request(ports.https, { tls: true });
    expect(secure.status).toBe(200);
    expect(secure.fingerprint).toBe(fingerprintOf(shopCert));
    expect((await gatewaySnapshot(gateway)).boundPorts).toEqual({
      '80': ports.http,
      '443': ports.https,
      '8080': ports.grpc,
    });
    // The control plane pushed nothing the gateway had to refuse.
    expect(await metric(gateway.admin, 'weft_gateway_config_rejected_total')).toBe(0);
  }, 90_000);

  it('gives no config to a gateway whose identity is not a gateway identity; it runs on, not ready', async () => {
    const refused = () => metric(cp!.admin, 'weft_control_plane_gateway_refused_total');
    const before = await refused();
    const intruder = await startGateway('intruder');
    // Refused, and refused again after each reconnect: the process lives on.
    await until(refused, (n) => n >= before + 3, 60_000);
    expect(intruder.child.exitCode).toBeNull();
    expect(intruder.child.signalCode).toBeNull();
    expect((await fetch(`http://127.0.0.1:${intruder.admin}/live`)).status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${intruder.admin}/ready`);
    expect(ready.status).toBe(503);
    const snapshot = await gatewaySnapshot(intruder);
    expect(snapshot).toMatchObject({ source: 'none', boundPorts: {}, listeners: [] });
    expect(await metric(intruder.admin, 'weft_gateway_config_applied_total')).toBe(0);
    // The allowed gateway is unaffected.
    expect((await request(ports.http)).status).toBe(200);
  }, 90_000);
});
