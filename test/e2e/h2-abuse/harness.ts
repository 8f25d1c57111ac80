/**
 * The HTTP/2 abuse suite's fixtures: an h2c app whose behaviour is chosen by path (answer, hang,
 * reset with any code, reset or GOAWAY mid-body, an endless body), and a `weft proxy` child
 * process in front of it on both sides — its inbound port (plaintext, permissive mode) and an
 * explicit upstream listener (the client side) — with /metrics read back as numbers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const WEFT = fileURLToPath(new URL('../../../packages/cli/bin/weft.js', import.meta.url));

/** The app's view of what happened, for assertions. */
export interface AppStats {
  /** Requests that reached the app, by path. */
  readonly arrived: Map<string, number>;
  /** Streams open at the app right now, by path. */
  readonly open: Map<string, number>;
  /** Bytes of `/endless` bodies written so far (all streams). */
  endlessWritten: number;
  /** `/endless` streams whose writes are held back by flow control right now. */
  endlessBlocked: number;
}

/** An h2c app on 127.0.0.1. Paths: `/ok`, `/hang`, `/rst/N`, `/rst-mid/N`, `/goaway-mid`, `/endless`. */
export async function startApp(): Promise<{ port: number; stats: AppStats; close(): Promise<void> }> {
  const stats: AppStats = { arrived: new Map(), open: new Map(), endlessWritten: 0, endlessBlocked: 0 };
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('error', () => {});
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    const path = String(headers[':path']);
    stats.arrived.set(path, (stats.arrived.get(path) ?? 0) + 1);
    stats.open.set(path, (stats.open.get(path) ?? 0) + 1);
    stream.once('close', () => stats.open.set(path, (stats.open.get(path) ?? 1) - 1));
    const [, kind, arg] = path.split('/');
    if (kind === 'hang') return;
    if (kind === 'rst') return void stream.close(Number(arg));
    if (kind === 'rst-mid') {
      // Synchronously: Node sends the RST_STREAM without an END_STREAM first (a real truncation).
      stream.respond({ ':status': 200 });
      stream.write('partial body');
      stream.close(Number(arg));
      return;
    }
    if (kind === 'goaway-mid') {
      stream.respond({ ':status': 200 });
      stream.write('partial body', () =>
        stream.session?.destroy(undefined, http2.constants.NGHTTP2_INTERNAL_ERROR),
      );
      return;
    }
    if (kind === 'endless') return void endless(stream, stats);
    stream.respond({ ':status': 200 });
    stream.end('ok');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Writes 16 KiB chunks as fast as flow control allows, until the stream closes. */
function endless(stream: http2.ServerHttp2Stream, stats: AppStats): void {
  const chunk = Buffer.alloc(16 * 1024, 0x61);
  stream.respond({ ':status': 200 });
  const pump = () => {
    while (!stream.destroyed && !stream.closed) {
      stats.endlessWritten += chunk.length;
      if (!stream.write(chunk)) {
        stats.endlessBlocked++;
        const unblock = () => {
          stream.off('drain', unblock);
          stream.off('close', unblock);
          stats.endlessBlocked--;
          pump();
        };
        stream.once('drain', unblock);
        stream.once('close', unblock);
        return;
      }
    }
  };
  pump();
}

/** A `weft proxy` process in front of the app. */
export interface Sidecar {
  readonly child: ChildProcess;
  /** The plaintext inbound port (permissive mode, service port 9000 -> the app). */
  readonly inbound: number;
  /** The explicit upstream listener for the app (the client side). */
  readonly outbound: number;
  readonly admin: number;
  /** A metric's value summed over the series whose labels include `labels`. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** Resident set size reported at /metrics. */
  rss(): Promise<number>;
  /** True while the process runs. */
  alive(): boolean;
  stop(): Promise<void>;
}

/** Starts `weft proxy` with no control plane: inbound and client-side listener both reach `appPort`. */
export async function startSidecar(appPort: number, extra: string[] = []): Promise<Sidecar> {
  const app = `127.0.0.1:${appPort}`;
  const child = spawn(
    process.execPath,
    [
      WEFT,
      'proxy',
      '--namespace',
      'abuse',
      '--service',
      'h2',
      '--inbound',
      `9000=${app}`,
      '--upstream',
      `${app}=127.0.0.1:0`,
      '--inbound-port',
      '0',
      '--outbound-port',
      '0',
      '--admin-port',
      '0',
      '--listen-host',
      '127.0.0.1',
      '--admin-host',
      '127.0.0.1',
      '--mtls-mode',
      'permissive',
      ...extra,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WEFT_LOG_LEVEL: 'warn' } },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const ports = await new Promise<{ inbound: number; admin: number; upstreams: Record<string, number> }>(
    (resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`weft proxy exited (${code}): ${stderr}`)));
      lines.on('line', (line) => {
        const msg = JSON.parse(line) as { event?: string };
        if (msg.event === 'listening') resolve(msg as never);
      });
    },
  );
  child.on('exit', (code, signal) => {
    // Surfaces a crash's stack in the test output.
    if (signal !== 'SIGTERM') process.stderr.write(`weft proxy exited (${code}, ${signal}): ${stderr}\n`);
  });
  const text = async () => (await fetch(`http://127.0.0.1:${ports.admin}/metrics`)).text();
  const metric = async (name: string, labels: Record<string, string> = {}) => {
    let sum = 0;
    for (const line of (await text()).split('\n')) {
      if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
      if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return sum;
  };
  return {
    child,
    inbound: ports.inbound,
    outbound: ports.upstreams[app]!,
    admin: ports.admin,
    metric,
    rss: () => metric('process_resident_memory_bytes'),
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * Polls `check` (every 20 ms, at most `limitMs`) until it holds: waiting on an observable
 * condition (a metric, a counter), never sleeping for ordering. Throws naming `what` on timeout.
 */
export async function until(what: string, check: () => boolean | Promise<boolean>, limitMs = 15_000) {
  const end = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** How one request ended: its status (if a head came), body, and the stream's close code. */
export interface Outcome {
  readonly status: number | undefined;
  readonly body: string;
  /** RST_STREAM code the stream closed with (0 = ended cleanly). */
  readonly rstCode: number;
}

/** One GET over a fresh h2c session, followed to the stream's close. */
export async function get(port: number, path: string): Promise<Outcome> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  try {
    const req = session.request({ ':path': path });
    req.on('error', () => {});
    let status: number | undefined;
    let body = '';
    req.on('response', (h) => {
      status = Number(h[':status']);
    });
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    await new Promise<void>((resolve) => req.once('close', () => resolve()));
    return { status, body, rstCode: req.rstCode ?? 0 };
  } finally {
    session.destroy();
  }
}
