// Transparent interception with the rules of `weft init`, applied for real in two "pods":
// network namespaces joined by a veth pair. Stand-in proxies (marker relays running as the
// proxy UID) prove which hops a connection took; the full proxy-to-proxy mTLS version of this
// test needs `weft proxy` with SO_ORIGINAL_DST (see the issue).
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../packages/cli/bin/weft.js', import.meta.url));
const support = (name: string) => fileURLToPath(new URL(`./support/${name}`, import.meta.url));
const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;

const skipReason =
  process.getuid?.() !== 0
    ? 'not root'
    : (['ip', 'iptables-restore', 'setpriv'].filter((c) => !has(c)).map((c) => `${c} missing`)[0] ?? '');
if (skipReason !== '') console.warn(`skipping the network-namespace interception test: ${skipReason}`);

const A = { ns: `weft-e2e-a-${process.pid}`, ip: '10.248.0.1' };
const B = { ns: `weft-e2e-b-${process.pid}`, ip: '10.248.0.2' };
const PROXY_UID = '7102';
const children: ChildProcess[] = [];
const namespaces: string[] = [];

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Starts a node script inside a namespace (optionally as the proxy UID); resolves on "ready". */
function start(ns: string, script: string, args: string[], asProxy = false): Promise<void> {
  const prefix = asProxy ? ['setpriv', `--reuid=${PROXY_UID}`, `--regid=${PROXY_UID}`, '--clear-groups'] : [];
  const child = spawn('ip', ['netns', 'exec', ns, ...prefix, process.execPath, support(script), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (c) => {
      err += c;
    });
    child.stdout!.on('data', (c: Buffer) => {
      if (c.toString().includes('ready')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`${script} exited ${code}: ${err}`)));
  });
}

/** Connects from namespace `ns` (as root, or as the proxy UID) and returns the app's answer. */
function connectFrom(
  ns: string,
  host: string,
  port: number,
  asProxy = false,
): { port: number; peer: string; data: string } {
  const prefix = asProxy ? ['setpriv', `--reuid=${PROXY_UID}`, `--regid=${PROXY_UID}`, '--clear-groups'] : [];
  const r = spawnSync(
    'ip',
    ['netns', 'exec', ns, ...prefix, process.execPath, support('client.mjs'), host, String(port)],
    {
      encoding: 'utf8',
      timeout: 15_000,
    },
  );
  if (r.status !== 0) throw new Error(`client failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function weftInit(ns: string, ...args: string[]): void {
  const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, bin, 'init', '--no-ipv6', ...args], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (r.status !== 0) throw new Error(`weft init failed in ${ns}: ${r.stderr}`);
}

const natRules = (ns: string) =>
  execFileSync('ip', ['netns', 'exec', ns, 'iptables-save', '-t', 'nat'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');

describe.skipIf(skipReason !== '')('transparent interception across two network namespaces', () => {
  beforeAll(async () => {
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
    // Pod A: skips outbound 9091. Pod B: skips inbound 9090 and 9091 (and the admin port).
    weftInit(A.ns, '--skip-outbound-ports', '9091');
    weftInit(B.ns, '--skip-inbound-ports', '7191,9090,9091');
    await Promise.all([
      start(A.ns, 'marker-relay.mjs', ['7140', 'A-outbound', `${B.ip}:8080`], true),
      start(A.ns, 'marker-relay.mjs', ['7143', 'A-inbound', '127.0.0.1:8080'], true),
      start(A.ns, 'echo-app.mjs', ['8080']),
      start(B.ns, 'marker-relay.mjs', ['7140', 'B-outbound', `${A.ip}:8080`], true),
      start(B.ns, 'marker-relay.mjs', ['7143', 'B-inbound', '127.0.0.1:8080'], true),
      start(B.ns, 'echo-app.mjs', ['8080', '9090', '9091']),
    ]);
  });

  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const ns of namespaces) spawnSync('ip', ['netns', 'del', ns]);
  });

  it('sends a plain client connection through the outbound proxy of A and the inbound proxy of B', () => {
    const r = connectFrom(A.ns, B.ip, 8080);
    expect(r.port).toBe(8080);
    // Each relay writes its marker as it connects onward, so the hop nearest the app comes first.
    expect(r.data).toBe(`B-inbound uid=${PROXY_UID}\nA-outbound uid=${PROXY_UID}\nhello\n`);
    expect(r.peer).toBe('127.0.0.1'); // B's app was reached by B's proxy over loopback
  });

  it('lets the proxy UID through untouched outbound, while inbound still reaches the proxy', () => {
    expect(connectFrom(A.ns, B.ip, 8080, true).data).toBe(`B-inbound uid=${PROXY_UID}\nhello\n`);
  });

  it('bypasses the proxy for skipped inbound ports and skipped outbound ports', () => {
    const inboundSkipped = connectFrom(A.ns, B.ip, 9090, true);
    expect(inboundSkipped).toEqual({ port: 9090, peer: A.ip, data: 'hello\n' });
    const bothSkipped = connectFrom(A.ns, B.ip, 9091);
    expect(bothSkipped).toEqual({ port: 9091, peer: A.ip, data: 'hello\n' });
  });

  it('never redirects loopback destinations', () => {
    expect(connectFrom(A.ns, '127.0.0.1', 8080)).toEqual({ port: 8080, peer: '127.0.0.1', data: 'hello\n' });
  });

  it('is idempotent: applying the rules again changes nothing and traffic still flows', () => {
    const before = natRules(A.ns);
    weftInit(A.ns, '--skip-outbound-ports', '9091');
    expect(natRules(A.ns)).toBe(before);
    expect(connectFrom(A.ns, B.ip, 8080).data).toBe(
      `B-inbound uid=${PROXY_UID}\nA-outbound uid=${PROXY_UID}\nhello\n`,
    );
  });
});
