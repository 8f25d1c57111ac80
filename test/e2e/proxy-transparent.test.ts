/**
 * The transparent outbound listener for real: inside a network namespace this test creates
 * and removes, iptables REDIRECTs the app's connection to the weft proxy's outbound port
 * (skipping the proxy's own UID, as proxy-init does), the proxy reads SO_ORIGINAL_DST,
 * detects HTTP/1.1 and passes the request through to the original destination (no control
 * plane: the destination is outside the mesh).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const WEFT_BIN = fileURLToPath(new URL('../../packages/cli/bin/weft.js', import.meta.url));
const ADDON = fileURLToPath(
  new URL('../../packages/proxy/native/original-dst/build/Release/original_dst.node', import.meta.url),
);
// Fixed ports are safe here: they live in the test's own network namespace.
const PROXY_UID = 7102;
const ORIGIN_PORT = 18081;
const OUTBOUND_PORT = 17140;
const ADMIN_PORT = 17191;

function has(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const skip =
  process.getuid?.() !== 0 || !has('iptables') || !has('ip') || !has('setpriv') || !existsSync(ADDON);
if (skip)
  process.stderr.write(
    'transparent proxy test skipped: needs root, iptables, ip, setpriv and the built addon\n',
  );

const ns = `weft-tp-${process.pid}-${randomBytes(3).toString('hex')}`;
const children: ChildProcess[] = [];

function inNs(...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8' });
}

/** Starts `args` inside the namespace; resolves once `ready` appears on its stdout. */
async function startInNs(args: string[], ready: string): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', ns, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(ready)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}: ${err}`)));
  });
  return child;
}

const ORIGIN = `
import http from 'node:http';
http.createServer((req, res) => res.end('origin saw ' + req.method + ' ' + req.url + ' host=' + req.headers.host))
  .listen(${ORIGIN_PORT}, '127.0.0.1', () => console.log('origin ready'));
`;

const CLIENT = `
const r = await fetch('http://127.0.0.1:${ORIGIN_PORT}/through?x=1');
const body = await r.text();
const metrics = await (await fetch('http://127.0.0.1:${ADMIN_PORT}/metrics')).text();
console.log(JSON.stringify({ status: r.status, body, metrics }));
`;

beforeAll(async () => {
  if (skip) return;
  execFileSync('ip', ['netns', 'add', ns]);
  inNs('ip', 'link', 'set', 'lo', 'up');
  inNs(
    'iptables',
    '-t',
    'nat',
    '-A',
    'OUTPUT',
    '-p',
    'tcp',
    '-d',
    '127.0.0.1',
    '--dport',
    String(ORIGIN_PORT),
    '-m',
    'owner',
    '!',
    '--uid-owner',
    String(PROXY_UID),
    '-j',
    'REDIRECT',
    '--to-ports',
    String(OUTBOUND_PORT),
  );
  await startInNs([process.execPath, '--input-type=module', '-e', ORIGIN], 'origin ready');
  await startInNs(
    [
      'setpriv',
      '--reuid',
      String(PROXY_UID),
      '--regid',
      String(PROXY_UID),
      '--clear-groups',
      process.execPath,
      WEFT_BIN,
      'proxy',
      '--namespace',
      'default',
      '--service',
      'app',
      '--listen-host',
      '127.0.0.1',
      '--admin-host',
      '127.0.0.1',
      '--inbound-port',
      '0',
      '--outbound-port',
      String(OUTBOUND_PORT),
      '--admin-port',
      String(ADMIN_PORT),
    ],
    '"event":"listening"',
  );
}, 30_000);

afterAll(async () => {
  for (const c of children) {
    if (c.exitCode === null) {
      c.kill('SIGTERM');
      await once(c, 'exit');
    }
  }
  if (!skip) execFileSync('ip', ['netns', 'del', ns]);
});

describe.skipIf(skip)('transparent outbound listener (iptables REDIRECT + SO_ORIGINAL_DST)', () => {
  it('carries an intercepted HTTP request to its original destination', () => {
    const out = inNs(process.execPath, '--input-type=module', '-e', CLIENT);
    const r = JSON.parse(out) as { status: number; body: string; metrics: string };
    expect(r.status).toBe(200);
    expect(r.body).toBe(`origin saw GET /through?x=1 host=127.0.0.1:${ORIGIN_PORT}`);
    expect(r.metrics).toContain('weft_proxy_connections_total{listener="outbound"} 1');
    expect(r.metrics).toContain('weft_proxy_requests_total{class="2xx",direction="outbound"} 1');
  });
});
