import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Server, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getOriginalDst, type OriginalDst } from './original-dst.js';

// A real iptables REDIRECT inside a network namespace this test creates and removes.
// Node cannot enter a namespace, so a child started with `ip netns exec` opens the
// listening socket there and hands it to this process over IPC (SCM_RIGHTS): this
// process accepts the redirected connections and calls getOriginalDst on them.

function has(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const isRoot = process.getuid?.() === 0;
const skipReason = !isRoot
  ? 'not root (needs ip netns and iptables)'
  : !has('iptables')
    ? 'iptables is not installed (apt-get install iptables)'
    : !has('ip')
      ? 'ip is not installed (apt-get install iproute2)'
      : undefined;
if (skipReason !== undefined) {
  process.stderr.write(`original-dst namespace test skipped: ${skipReason}\n`);
}
const hasIp6tables = has('ip6tables');

const ns = `weft-odst-${process.pid}-${randomBytes(3).toString('hex')}`;
const children = new Set<ChildProcess>();
let nsCreated = false;

function inNs(...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8' });
}

/**
 * The child: listens on LISTEN_HOST:0 inside the namespace, sends the listening socket
 * to the parent, closes its own copy, waits for 'connect', then connects to
 * TARGET_HOST:TARGET_PORT and prints what the parent's listener answered.
 */
const childScript = `
import net from 'node:net';
const [listenHost, targetHost, targetPort] = process.argv.slice(1);
const server = net.createServer();
let listenPort = 0;
server.listen({ host: listenHost, port: 0, ipv6Only: false }, () => {
  listenPort = server.address().port;
  process.send({ port: listenPort }, server, () => server.close());
});
process.on('message', (msg) => {
  if (msg !== 'connect') return;
  const port = Number(targetPort) === 0 ? listenPort : Number(targetPort);
  const socket = net.connect({ host: targetHost, port });
  let reply = '';
  socket.setEncoding('utf8');
  socket.setTimeout(10000, () => socket.destroy(new Error('no answer within 10 s')));
  socket.on('data', (chunk) => { reply += chunk; });
  socket.on('end', () => { process.send({ reply }, () => process.disconnect()); });
  socket.on('error', (err) => { process.send({ error: err.message }, () => process.disconnect()); });
});
`;

interface Redirected {
  /** What getOriginalDst returned on the accepted socket. */
  readonly dst: OriginalDst | undefined;
  /** The accepted socket's own local address and port. */
  readonly local: { address: string | undefined; port: number | undefined };
  /** What the client inside the namespace received back. */
  readonly reply: string;
}

/**
 * Starts the namespace child, installs `rule(port)` for its listener, lets it connect to
 * target, and resolves with what the listener saw.
 */
function redirect(options: {
  listenHost: string;
  target: { host: string; port: number };
  rule: (listenerPort: number) => string[] | undefined;
}): Promise<Redirected> {
  const { listenHost, target, rule } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns,
        process.execPath,
        '--input-type=module',
        '-e',
        childScript,
        listenHost,
        target.host,
        String(target.port),
      ],
      { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] },
    );
    children.add(child);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    let server: Server | undefined;
    let seen: Omit<Redirected, 'reply'> | undefined;
    const fail = (err: unknown) => {
      server?.close();
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    child.on('error', fail);
    child.on('exit', (code) => {
      children.delete(child);
      if (code !== 0) fail(new Error(`namespace child exited ${code}: ${stderr}`));
    });
    child.on('message', (msg: { port?: number; reply?: string; error?: string }, handle: unknown) => {
      if (msg.port !== undefined) {
        server = handle as Server;
        server.on('connection', (socket: Socket) => {
          try {
            const dst = getOriginalDst(socket);
            seen = { dst, local: { address: socket.localAddress, port: socket.localPort } };
            socket.end(JSON.stringify(dst ?? null));
          } catch (err) {
            socket.destroy();
            fail(err);
          }
        });
        try {
          const args = rule(msg.port);
          if (args !== undefined) inNs(...args);
        } catch (err) {
          fail(err);
          return;
        }
        child.send('connect');
      } else if (msg.error !== undefined) {
        fail(new Error(`client in namespace failed: ${msg.error}`));
      } else if (msg.reply !== undefined) {
        server?.close();
        if (seen === undefined) fail(new Error('the listener saw no connection'));
        else resolve({ ...seen, reply: msg.reply });
      }
    });
  });
}

describe.skipIf(skipReason !== undefined)(
  'getOriginalDst with iptables REDIRECT in a network namespace',
  () => {
    beforeAll(() => {
      execFileSync('ip', ['netns', 'add', ns]);
      nsCreated = true;
      inNs('ip', 'link', 'set', 'lo', 'up');
      // The original destinations are documentation prefixes routed to lo: nothing leaves the namespace.
      inNs('ip', 'route', 'add', '198.51.100.0/24', 'dev', 'lo', 'src', '127.0.0.1');
      if (hasIp6tables) inNs('ip', '-6', 'route', 'add', '2001:db8::/64', 'dev', 'lo');
    });

    afterAll(() => {
      for (const child of children) {
        if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
      }
      if (nsCreated) execFileSync('ip', ['netns', 'del', ns]);
    });

    it('returns the pre-NAT IPv4 address and port of a redirected connection', async () => {
      const result = await redirect({
        listenHost: '127.0.0.1',
        target: { host: '198.51.100.7', port: 8080 },
        rule: (port) =>
          [
            'iptables',
            '-t',
            'nat',
            '-A',
            'OUTPUT',
            '-p',
            'tcp',
            '-d',
            '198.51.100.7',
            '--dport',
            '8080',
          ].concat(['-j', 'REDIRECT', '--to-ports', String(port)]),
      });
      expect(result.dst).toEqual({ address: '198.51.100.7', port: 8080, family: 4 });
      expect(result.local.address).toBe('127.0.0.1');
      expect(result.local.port).not.toBe(8080);
      expect(JSON.parse(result.reply)).toEqual(result.dst);
    });

    it('reads IPv4 redirected to a dual-stack (::) listener', async () => {
      const result = await redirect({
        listenHost: '::',
        target: { host: '198.51.100.8', port: 9080 },
        rule: (port) =>
          [
            'iptables',
            '-t',
            'nat',
            '-A',
            'OUTPUT',
            '-p',
            'tcp',
            '-d',
            '198.51.100.8',
            '--dport',
            '9080',
          ].concat(['-j', 'REDIRECT', '--to-ports', String(port)]),
      });
      expect(result.local.address).toBe('::ffff:127.0.0.1');
      expect(result.dst).toEqual({ address: '198.51.100.8', port: 9080, family: 4 });
    });

    it.skipIf(!hasIp6tables)('returns the pre-NAT IPv6 address and port (IP6T_SO_ORIGINAL_DST)', async () => {
      const result = await redirect({
        listenHost: '::1',
        target: { host: '2001:db8::7', port: 8443 },
        rule: (port) =>
          [
            'ip6tables',
            '-t',
            'nat',
            '-A',
            'OUTPUT',
            '-p',
            'tcp',
            '-d',
            '2001:db8::7',
            '--dport',
            '8443',
          ].concat(['-j', 'REDIRECT', '--to-ports', String(port)]),
      });
      expect(result.dst).toEqual({ address: '2001:db8::7', port: 8443, family: 6 });
      expect(result.local.address).toBe('::1');
    });

    it('answers with the local address for a tracked connection that was not redirected', async () => {
      const result = await redirect({
        listenHost: '127.0.0.1',
        target: { host: '127.0.0.1', port: 0 }, // 0: the child connects straight to its listener
        // Any nat rule turns connection tracking on in the namespace, whatever ran before.
        rule: () => [
          'iptables',
          '-t',
          'nat',
          '-A',
          'OUTPUT',
          '-p',
          'tcp',
          '-d',
          '198.51.100.99',
          '-j',
          'RETURN',
        ],
      });
      expect(result.dst).toEqual({ address: '127.0.0.1', port: result.local.port, family: 4 });
    });
  },
);

describe('getOriginalDst without a NAT record', () => {
  it('returns undefined for a socket that has no file descriptor', async () => {
    const { Socket } = await import('node:net');
    expect(getOriginalDst(new Socket())).toBeUndefined();
  });
});
