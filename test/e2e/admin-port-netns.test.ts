// The sidecar's admin port seen from the network: a "pod" namespace running `weft proxy` and a
// "peer" namespace joined to it by a veth pair. By default the admin port binds loopback and the
// peer cannot connect; with --admin-probe-host (what the injector sets to the pod IP) the peer
// reaches /live, /ready and /metrics only; and even an admin port bound to every address refuses
// /config and /shutdown to the peer however it dresses its headers, while loopback gets them.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../packages/cli/bin/weft.js', import.meta.url));
const client = fileURLToPath(new URL('./support/admin-request.mjs', import.meta.url));
const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;

const skipReason = process.getuid?.() !== 0 ? 'not root' : has('ip') ? '' : 'ip (iproute2) missing';
if (skipReason !== '') console.warn(`skipping the admin-port network-namespace test: ${skipReason}`);

const POD = { ns: `weft-e2e-adm-pod-${process.pid}`, ip: '10.251.0.1' };
const PEER = { ns: `weft-e2e-adm-peer-${process.pid}`, ip: '10.251.0.2' };
const ADMIN = 7191;
const namespaces: string[] = [];
let proxy: ChildProcess | undefined;

/** Spoofed claims of a local origin: the admin port must look at the socket, not these. */
const SPOOFED = [
  'X-Forwarded-For=127.0.0.1',
  'Forwarded=for=127.0.0.1',
  'X-Real-IP=127.0.0.1',
  'Host=localhost',
];

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

type Answer = { status: number; body: string } | { error: string };

function call(ns: string, method: string, host: string, path: string, headers: string[] = []): Answer {
  const r = spawnSync(
    'ip',
    ['netns', 'exec', ns, process.execPath, client, method, host, String(ADMIN), path, ...headers],
    { encoding: 'utf8', timeout: 20_000 },
  );
  if (r.status !== 0) throw new Error(`admin client failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Answer;
}

const status = (a: Answer) => ('status' in a ? a.status : a.error);

/** Starts `weft proxy` in the pod namespace; resolves with its listening line. */
async function startProxy(extra: string[]): Promise<Record<string, unknown>> {
  const args = [
    'netns',
    'exec',
    POD.ns,
    process.execPath,
    bin,
    'proxy',
    '--namespace',
    'e2e',
    '--service',
    'adm',
  ];
  args.push('--listen-host', '127.0.0.1', '--inbound-port', '0', '--outbound-port', '0');
  args.push('--admin-port', String(ADMIN), '--upstream', '127.0.0.1:9=127.0.0.1:0', ...extra);
  const child = spawn('ip', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WEFT_LOG_LEVEL: 'warn' },
  });
  proxy = child;
  let out = '';
  let err = '';
  child.stderr!.on('data', (c) => {
    err += c;
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (c) => {
      out += c;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)) as Record<string, unknown>);
    });
    child.once('exit', (code) => reject(new Error(`weft proxy exited ${code}: ${err}`)));
  });
}

async function stopProxy(): Promise<void> {
  const child = proxy;
  proxy = undefined;
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

describe.skipIf(skipReason !== '')('the admin port from another network namespace', () => {
  beforeAll(() => {
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

  afterEach(stopProxy);

  afterAll(async () => {
    await stopProxy();
    for (const ns of namespaces) spawnSync('ip', ['netns', 'del', ns]);
  });

  it('binds loopback by default: the peer cannot connect, the pod itself gets /config', async () => {
    const ports = await startProxy([]);
    expect(ports.admin).toBe(ADMIN);
    expect(ports.adminProbe).toBeUndefined();
    expect(call(PEER.ns, 'GET', POD.ip, '/live')).toEqual({ error: 'ECONNREFUSED' });
    expect(status(call(POD.ns, 'GET', POD.ip, '/live'))).toBe('ECONNREFUSED');
    const config = call(POD.ns, 'GET', '127.0.0.1', '/config');
    expect(status(config)).toBe(200);
    expect(() => JSON.parse((config as { body: string }).body)).not.toThrow();
  });

  it('on the pod IP serves only /live, /ready and /metrics to the peer', async () => {
    const ports = await startProxy(['--admin-probe-host', POD.ip]);
    expect(ports.adminProbe).toBe(ADMIN);
    expect(call(PEER.ns, 'GET', POD.ip, '/live')).toEqual({ status: 200, body: 'live\n' });
    const ready = call(PEER.ns, 'GET', POD.ip, '/ready');
    expect([200, 503]).toContain(status(ready));
    expect((ready as { body: string }).body).toMatch(/^(ready|not ready: )/);
    const metrics = call(PEER.ns, 'GET', POD.ip, '/metrics');
    expect(status(metrics)).toBe(200);
    expect((metrics as { body: string }).body).toContain('# TYPE ');
    for (const path of ['/config', '/shutdown', '/config?x=1', '//config']) {
      expect(status(call(PEER.ns, 'GET', POD.ip, path, SPOOFED)), path).toBe(404);
    }
    expect(status(call(PEER.ns, 'POST', POD.ip, '/shutdown', SPOOFED))).toBe(404);
    // Still serving, and the full surface is where it belongs: loopback in the pod.
    expect(status(call(PEER.ns, 'GET', POD.ip, '/live'))).toBe(200);
    expect(status(call(POD.ns, 'GET', '127.0.0.1', '/config'))).toBe(200);
  });

  it('bound to every address, still refuses /config and /shutdown to the peer by its socket address', async () => {
    await startProxy(['--admin-host', '0.0.0.0']);
    expect(status(call(PEER.ns, 'GET', POD.ip, '/live'))).toBe(200);
    expect(status(call(PEER.ns, 'GET', POD.ip, '/config', SPOOFED))).toBe(403);
    expect(status(call(PEER.ns, 'POST', POD.ip, '/shutdown', SPOOFED))).toBe(403);
    expect(status(call(PEER.ns, 'GET', POD.ip, '/live'))).toBe(200);
    // From loopback inside the pod, /shutdown works: the proxy drains and exits.
    const exited = once(proxy!, 'exit');
    expect(status(call(POD.ns, 'POST', '127.0.0.1', '/shutdown'))).toBe(202);
    await exited;
  });

  it('refuses a probe listener that the full admin listener would already cover', () => {
    const r = spawnSync(
      'ip',
      ['netns', 'exec', POD.ns, process.execPath, bin, 'proxy', '--namespace', 'e2e', '--service', 'adm'],
      {
        encoding: 'utf8',
        timeout: 20_000,
        env: { ...process.env, WEFT_ADMIN_HOST: '0.0.0.0', WEFT_ADMIN_PROBE_HOST: POD.ip },
      },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('already covers');
  });
});
