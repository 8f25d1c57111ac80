// The admin server's loopback-only rule, once for every binary that runs one: `weft proxy` (7191),
// `weft gateway` (7191, the proxy's admin server with the gateway's /config) and
// `weft control-plane` (7990). (The injector has no admin server: its /healthz and /metrics
// are on the webhook's TLS port and none of its routes is loopback-only.) Each binary runs in a
// "pod" network namespace with its admin listener bound to every address; a "peer" namespace is
// joined to it by a veth pair. A loopback-only route must refuse the peer (a real socket from
// 10.252.0.2, however its headers dress it up) and the pod's own non-loopback address, and serve
// a client on 127.0.0.1. The rule lives in one place, packages/runtime/src/admin-server.ts.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createIdentityMaterial, writeIdentityDir } from '@weft/pki';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../packages/cli/bin/weft.js', import.meta.url));
const client = fileURLToPath(new URL('./support/admin-request.mjs', import.meta.url));
const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;

const skipReason = process.getuid?.() !== 0 ? 'not root' : has('ip') ? '' : 'ip (iproute2) missing';
if (skipReason !== '') console.warn(`skipping the admin loopback-rule test: ${skipReason}`);

const POD = { ns: `weft-e2e-lo-pod-${process.pid}`, ip: '10.252.0.1' };
const PEER = { ns: `weft-e2e-lo-peer-${process.pid}`, ip: '10.252.0.2' };
const namespaces: string[] = [];
let dir = '';
let child: ChildProcess | undefined;

/** Spoofed claims of a local origin: the rule must look at the socket, not these. */
const SPOOFED = [
  'X-Forwarded-For=127.0.0.1',
  'Forwarded=for=127.0.0.1',
  'X-Real-IP=127.0.0.1',
  'Host=localhost',
];

interface Binary {
  readonly name: string;
  readonly adminPort: number;
  /** Arguments after `weft`, with the admin listener on every address. */
  args(): string[];
  /** A route anyone may read. */
  readonly open: string;
  /** Its loopback-only routes, each with a method that the route would otherwise serve. */
  readonly loopbackOnly: ReadonlyArray<{ readonly method: string; readonly path: string }>;
}

const BINARIES: readonly Binary[] = [
  {
    name: 'weft proxy',
    adminPort: 7191,
    args: () => [
      'proxy',
      '--namespace',
      'e2e',
      '--service',
      'adm',
      '--listen-host',
      '127.0.0.1',
      '--inbound-port',
      '0',
      '--outbound-port',
      '0',
      '--admin-host',
      '0.0.0.0',
      '--admin-port',
      '7191',
      '--upstream',
      '127.0.0.1:9=127.0.0.1:0',
    ],
    open: '/live',
    loopbackOnly: [
      { method: 'GET', path: '/config' },
      { method: 'POST', path: '/shutdown' },
    ],
  },
  {
    name: 'weft gateway',
    adminPort: 7191,
    // A config file with one HTTP listener (no identity: it needs no control plane to start).
    args: () => [
      'gateway',
      '--config',
      join(dir, 'gateway.json'),
      '--port-map',
      '80=0',
      '--listen-host',
      '127.0.0.1',
      '--admin-host',
      '0.0.0.0',
      '--admin-port',
      '7191',
    ],
    open: '/live',
    loopbackOnly: [
      { method: 'GET', path: '/config' },
      { method: 'POST', path: '/shutdown' },
    ],
  },
  {
    name: 'weft control-plane',
    adminPort: 7990,
    args: () => [
      'control-plane',
      '--config-dir',
      join(dir, 'config'),
      '--identity-dir',
      join(dir, 'identity'),
      '--listen',
      '127.0.0.1:0',
      '--admin-listen',
      '0.0.0.0:7990',
    ],
    open: '/healthz',
    loopbackOnly: [
      { method: 'GET', path: '/debug/state' },
      { method: 'GET', path: '/debug/identity' },
    ],
  },
];

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** One request from inside `ns`; the status, or the connection error's code. */
function status(
  ns: string,
  method: string,
  host: string,
  port: number,
  path: string,
  headers: string[] = [],
) {
  const r = spawnSync(
    'ip',
    ['netns', 'exec', ns, process.execPath, client, method, host, String(port), path, ...headers],
    { encoding: 'utf8', timeout: 20_000 },
  );
  if (r.status !== 0) throw new Error(`admin client failed: ${r.stderr}`);
  const answer = JSON.parse(r.stdout) as { status: number } | { error: string };
  return 'status' in answer ? answer.status : answer.error;
}

/** Starts the binary in the pod namespace; resolves once it printed its first (listening) line. */
async function start(binary: Binary): Promise<void> {
  const started = spawn('ip', ['netns', 'exec', POD.ns, process.execPath, bin, ...binary.args()], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WEFT_LOG_LEVEL: 'warn' },
  });
  child = started;
  let out = '';
  let err = '';
  started.stderr!.on('data', (c) => {
    err += c;
  });
  await new Promise<void>((resolve, reject) => {
    started.stdout!.on('data', (c) => {
      out += c;
      if (out.includes('\n')) resolve();
    });
    started.once('exit', (code) => reject(new Error(`${binary.name} exited ${code}: ${err}`)));
  });
}

async function stop(): Promise<void> {
  const running = child;
  child = undefined;
  if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
  const exited = once(running, 'exit');
  running.kill('SIGTERM');
  await exited;
}

describe.skipIf(skipReason !== '')('the admin loopback-only rule, for every binary', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'weft-admin-lo-'));
    await writeIdentityDir(
      join(dir, 'identity'),
      createIdentityMaterial({
        trustDomain: 'cluster.local',
        anchorValidityMs: 86_400_000,
        issuerValidityMs: 86_400_000,
      }),
    );
    mkdirSync(join(dir, 'config'));
    writeFileSync(
      join(dir, 'config', 'api.yaml'),
      'apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\nspec:\n  ports: [{name: http, port: 80}]\n',
    );
    writeFileSync(
      join(dir, 'gateway.json'),
      JSON.stringify({
        listeners: [
          {
            name: 'e2e/public/http',
            port: 80,
            protocol: 'GATEWAY_LISTENER_PROTOCOL_HTTP',
            routes: [
              {
                name: 'HTTPRoute/e2e/api/0',
                backends: [{ authority: 'api.shop.svc.cluster.local:80', weight: 1 }],
              },
            ],
          },
        ],
      }),
    );
    for (const n of [POD, PEER]) {
      ip('netns', 'add', n.ns);
      namespaces.push(n.ns);
      ip('-n', n.ns, 'link', 'set', 'lo', 'up');
    }
    ip('link', 'add', 'eth0', 'netns', POD.ns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', PEER.ns);
    for (const n of [POD, PEER]) {
      ip('-n', n.ns, 'addr', 'add', `${n.ip}/24`, 'dev', 'eth0');
      ip('-n', n.ns, 'link', 'set', 'eth0', 'up');
    }
  });

  afterEach(stop);

  afterAll(async () => {
    await stop();
    for (const ns of namespaces) spawnSync('ip', ['netns', 'del', ns]);
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it.each(BINARIES)(
    '$name: refuses a non-loopback peer by its socket address, serves loopback',
    async (binary) => {
      await start(binary);
      const port = binary.adminPort;
      // The listener is reachable from the peer: a 403 below is the rule, not a closed port.
      expect(status(PEER.ns, 'GET', POD.ip, port, binary.open)).toBe(200);
      for (const { method, path } of binary.loopbackOnly) {
        expect(status(PEER.ns, method, POD.ip, port, path, SPOOFED), `${method} ${path} from the peer`).toBe(
          403,
        );
        // From inside the pod but to its non-loopback address: the peer address is 10.252.0.1.
        expect(status(POD.ns, method, POD.ip, port, path, SPOOFED), `${method} ${path} via the pod IP`).toBe(
          403,
        );
      }
      const [served] = binary.loopbackOnly.filter((r) => r.method === 'GET');
      expect(status(POD.ns, 'GET', '127.0.0.1', port, served!.path)).toBe(200);
      expect(status(PEER.ns, 'GET', POD.ip, port, binary.open)).toBe(200);
    },
  );
});
