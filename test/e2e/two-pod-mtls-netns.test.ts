// The full picture: two "pods" (network namespaces joined by a veth pair), each with the
// iptables rules of `weft init` and a real `weft proxy` (UID 7102, SO_ORIGINAL_DST), plus a
// small discovery server. The client app dials the server pod's address knowing nothing of the
// mesh; the test proves the request crossed both proxies over mTLS (the server pod's policy
// admits only the client's SPIFFE identity, which it can only learn from the client proxy's
// certificate) and that skipped ports bypass both proxies.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTROL_PLANE_SERVER_NAME } from '@weft/pki';
import { createTestCa, type TestCa } from '@weft/proxy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../packages/cli/bin/weft.js', import.meta.url));
const addon = fileURLToPath(
  new URL('../../packages/proxy/native/original-dst/build/Release/original_dst.node', import.meta.url),
);
const support = (name: string) => fileURLToPath(new URL(`./support/${name}`, import.meta.url));
const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;

const skipReason =
  process.getuid?.() !== 0
    ? 'not root'
    : (['ip', 'iptables-restore', 'setpriv', 'openssl']
        .filter((c) => !has(c))
        .map((c) => `${c} missing`)[0] ?? '');
if (skipReason !== '') console.warn(`skipping the two-pod mTLS interception test: ${skipReason}`);

const TD = 'cluster.local';
const CLIENT_ID = `spiffe://${TD}/ns/e2e/sa/client`;
const SERVER_ID = `spiffe://${TD}/ns/e2e/sa/server`;
const A = { ns: `weft-e2e-ca-${process.pid}`, ip: '10.249.0.1' };
const B = { ns: `weft-e2e-sb-${process.pid}`, ip: '10.249.0.2' };
const CONTROL_PLANE = `${A.ip}:7443`;
const asProxy = ['setpriv', '--reuid=7102', '--regid=7102', '--clear-groups'];

const children: ChildProcess[] = [];
const namespaces: string[] = [];
let dir = '';
let ca: TestCa | undefined;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Starts a process in a namespace; resolves when its stdout contains `ready`. */
function start(ns: string, command: string[], ready: string | RegExp): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', ns, ...command], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (c) => {
      err += c;
    });
    child.stdout!.on('data', (c) => {
      out += c;
      if (typeof ready === 'string' ? out.includes(ready) : ready.test(out)) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`${command.join(' ')} exited ${code}: ${err.slice(-2000)}`)));
  });
}

function run(ns: string, command: string[]): string {
  const r = spawnSync('ip', ['netns', 'exec', ns, ...command], { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`${command.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

function get(ns: string, host: string, port: number, path: string, user: string[] = []) {
  return JSON.parse(
    run(ns, [...user, process.execPath, support('http-get.mjs'), host, String(port), path]),
  ) as {
    status: number;
    body: string;
  };
}

function metric(ns: string, name: string, labels: string): number {
  const text = JSON.parse(
    run(ns, [process.execPath, support('http-get.mjs'), '127.0.0.1', '7191', '/metrics']),
  ).body as string;
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

/** A serving certificate for the discovery server, valid for its IP. */
function controlPlaneCert(test: TestCa): { cert: string; key: string } {
  writeFileSync(join(dir, 'ca.pem'), test.certPem);
  writeFileSync(join(dir, 'ca.key'), test.keyPem);
  writeFileSync(
    join(dir, 'cp.ext'),
    `basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:${A.ip},DNS:${CONTROL_PLANE_SERVER_NAME}\n`,
  );
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'cp.key']);
  openssl(['req', '-new', '-key', 'cp.key', '-subj', '/CN=weft-control-plane', '-out', 'cp.csr']);
  openssl([
    'x509',
    '-req',
    '-in',
    'cp.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    'cp.ext',
    '-out',
    'cp.pem',
  ]);
  return { cert: join(dir, 'cp.pem'), key: join(dir, 'cp.key') };
}

function writeIdentity(
  name: string,
  leaf: { key: string; certChain: string },
): { cert: string; key: string } {
  writeFileSync(join(dir, `${name}.crt`), leaf.certChain);
  writeFileSync(join(dir, `${name}.key`), leaf.key);
  chmodSync(join(dir, `${name}.key`), 0o644); // readable by the proxy UID (test only)
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

function proxyCommand(
  who: { service: string; ip: string },
  identity: { cert: string; key: string },
  extra: string[],
): string[] {
  return [
    ...asProxy,
    process.execPath,
    bin,
    'proxy',
    '--control-plane',
    CONTROL_PLANE,
    '--ca-file',
    join(dir, 'ca.pem'),
    '--cert-file',
    identity.cert,
    '--key-file',
    identity.key,
    '--namespace',
    'e2e',
    '--service',
    who.service,
    '--service-account',
    who.service,
    '--advertise-address',
    who.ip,
    ...extra,
  ];
}

describe.skipIf(skipReason !== '')('two pods, two proxies, transparent mTLS', () => {
  beforeAll(async () => {
    if (!existsSync(addon))
      throw new Error(`the SO_ORIGINAL_DST addon is not built (${addon}): run npm run build:native`);
    dir = mkdtempSync(join(tmpdir(), 'weft-e2e-mtls-'));
    chmodSync(dir, 0o755);
    ca = createTestCa('weft-e2e-root');
    const cp = controlPlaneCert(ca);
    const client = writeIdentity('client', ca.issue(CLIENT_ID));
    const server = writeIdentity('server', ca.issue(SERVER_ID));

    for (const pod of [A, B]) {
      ip('netns', 'add', pod.ns);
      namespaces.push(pod.ns);
      ip('-n', pod.ns, 'link', 'set', 'lo', 'up');
    }
    ip('link', 'add', 'eth0', 'netns', A.ns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', B.ns);
    for (const pod of [A, B]) {
      ip('-n', pod.ns, 'addr', 'add', `${pod.ip}/24`, 'dev', 'eth0');
      ip('-n', pod.ns, 'link', 'set', 'eth0', 'up');
    }
    // A also hosts the discovery server on 7443, so A's inbound rules skip that port.
    run(A.ns, [
      process.execPath,
      bin,
      'init',
      '--no-ipv6',
      '--skip-inbound-ports',
      '7191,7443',
      '--skip-outbound-ports',
      '9090',
    ]);
    run(B.ns, [process.execPath, bin, 'init', '--no-ipv6', '--skip-inbound-ports', '7191,9090']);

    const destination = {
      authority: `${B.ip}:8080`,
      service: 'server',
      namespace: 'e2e',
      port: 8080,
      protocol: 'PROTOCOL_HTTP',
      routes: [],
      backends: [
        {
          name: 'server.e2e:8080',
          service: 'server',
          namespace: 'e2e',
          port: 8080,
          endpoints: [
            {
              address: B.ip,
              port: 8080,
              identity: SERVER_ID,
              weight: 1,
              zone: '',
              meshed: { inboundPort: 7143 },
              labels: {},
            },
          ],
        },
      ],
    };
    // The server admits only the client's identity on 8080.
    const serverPolicy = {
      defaultAction: 'DEFAULT_ACTION_DENY',
      mtlsMode: 'MTLS_MODE_PERMISSIVE',
      ports: [{ port: 8080, protocol: 'PROTOCOL_HTTP' }],
      rules: [
        {
          name: 'client-only',
          action: 'AUTHORIZATION_ACTION_ALLOW',
          from: [{ identities: [CLIENT_ID], namespaces: [], unauthenticated: false }],
          to: [{ ports: [8080], methods: [], paths: [] }],
        },
      ],
    };
    const cpConfig = {
      listen: `${A.ip}:7443`,
      cert: cp.cert,
      key: cp.key,
      ca: join(dir, 'ca.pem'),
      destinations: { [`${B.ip}:8080`]: destination },
      policies: { server: serverPolicy },
    };
    await start(
      A.ns,
      [process.execPath, support('fake-control-plane.mjs'), JSON.stringify(cpConfig)],
      'ready',
    );
    await start(B.ns, [process.execPath, support('http-app.mjs'), '8080', '9090'], 'ready');
    await Promise.all([
      start(A.ns, proxyCommand({ service: 'client', ip: A.ip }, client, []), '"event":"listening"'),
      start(
        B.ns,
        proxyCommand({ service: 'server', ip: B.ip }, server, ['--inbound', '8080']),
        '"event":"listening"',
      ),
    ]);
  });

  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const ns of namespaces) spawnSync('ip', ['netns', 'del', ns]);
    ca?.cleanup();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('carries a plain request from the client app through both proxies to the server app', () => {
    const r = get(A.ns, B.ip, 8080, '/hello');
    expect(r.status).toBe(200);
    // The app was reached from its own proxy over loopback, not from the client pod.
    expect(JSON.parse(r.body)).toEqual({ port: 8080, peer: '127.0.0.1', path: '/hello' });
    expect(metric(A.ns, 'weft_proxy_connections_total', 'listener="outbound"')).toBeGreaterThanOrEqual(1);
    expect(metric(B.ns, 'weft_proxy_connections_total', 'listener="inbound"')).toBeGreaterThanOrEqual(1);
  });

  it("authenticates the client by its SPIFFE identity: plaintext that skips the client's proxy is refused", () => {
    // Same request, but sent as the proxy UID so that A's rules let it out untouched: B's proxy
    // still intercepts it, sees no client certificate, and its policy (client identity only) denies it.
    const direct = get(A.ns, B.ip, 8080, '/hello', asProxy);
    expect(direct.status).toBe(403);
    expect(get(A.ns, B.ip, 8080, '/again').status).toBe(200);
  });

  it('lets skipped ports bypass both proxies', () => {
    const r = get(A.ns, B.ip, 9090, '/skipped');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ port: 9090, peer: A.ip, path: '/skipped' });
  });
});
