/**
 * RequestMirror through a real gateway (in process, real sockets) in front of real apps: bodies
 * are mirrored (HTTP/1.1 and h2 clients), a body over the cap is not, a mirror that never
 * answers does not hold the client up, and no listener is opened for the copies; gRPC calls'
 * copies (HTTP/2) to mirrors that hang, reset or drop the connection are counted, never felt.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guard } from '../net/guard.js';
import { MAX_MIRROR_BODY_BYTES } from './mirror-body.js';
import {
  type EchoApp,
  metricValue,
  startEchoApp,
  startTestGateway,
  type TestGateway,
} from './test-harness.js';

const HTTP = 'GATEWAY_LISTENER_PROTOCOL_HTTP';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly body: Buffer;
}

/** An HTTP app that keeps every request with its body and answers 204. */
async function startRecorder(): Promise<{ authority: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = guard(
    http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => {
        received.push({ method: req.method ?? '', url: req.url ?? '', body: Buffer.concat(chunks) });
        res.statusCode = 204;
        res.end();
      });
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    authority: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A TCP server that accepts connections and never reads from or writes to them. */
async function startBlackHole(): Promise<{
  authority: string;
  accepted: () => number;
  close(): Promise<void>;
}> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = guard(
    net.createServer({ pauseOnConnect: true }, (s) => {
      guard(s);
      accepted++;
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    authority: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    accepted: () => accepted,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The TCP ports this process listens on (from /proc: sockets in LISTEN whose inode is one of our fds). */
function listeningPorts(): Set<number> {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m !== null) inodes.add(m[1] as string);
    } catch {
      // The fd closed while the folder was read.
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is f[1] (hex ip:port), st is f[3] (0A: LISTEN), inode is f[9].
      if (f.length < 10 || f[3] !== '0A' || !inodes.has(f[9] as string)) continue;
      ports.add(Number.parseInt((f[1] as string).split(':')[1] as string, 16));
    }
  }
  return ports;
}

/** One HTTP/1.1 request with `body` (Content-Length, or chunked when `chunked`). */
function post(
  port: number,
  host: string,
  path: string,
  body: Buffer,
  chunked = false,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent: false,
        headers: chunked ? { host, 'transfer-encoding': 'chunked' } : { host, 'content-length': body.length },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (chunked) {
      // Several chunks, so the copy sees the body's chunk framing as the client sent it.
      const third = Math.ceil(body.length / 3);
      req.write(body.subarray(0, third));
      req.write(body.subarray(third, 2 * third));
      req.end(body.subarray(2 * third));
    } else req.end(body);
  });
}

/** A body whose bytes depend on their position (a copy that reorders or drops bytes differs). */
function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

function route(name: string, hostname: string, primary: string, mirror: string) {
  return {
    name: `test/gw/${name}`,
    port: 80,
    protocol: HTTP,
    hostname,
    routes: [
      {
        name: `HTTPRoute/test/${name}/0`,
        filters: [{ requestMirror: { authority: mirror } }],
        backends: [{ authority: primary, weight: 1 }],
      },
    ],
  };
}

async function mirrorCount(gw: TestGateway, result: string): Promise<number> {
  return metricValue(await gw.metrics(), 'weft_gateway_mirror_requests_total', { result });
}

describe('RequestMirror with bodies', () => {
  let primary: EchoApp;
  let recorder: Awaited<ReturnType<typeof startRecorder>>;
  let gw: TestGateway;

  beforeAll(async () => {
    primary = await startEchoApp('primary');
    recorder = await startRecorder();
    gw = await startTestGateway({
      listeners: [route('m', 'mirror.example.com', primary.authority, recorder.authority)],
    });
  });

  afterAll(async () => {
    await gw?.stop();
    await recorder?.close();
    await primary?.close();
  });

  it('mirrors a POST with its body (Content-Length and chunked) while the client gets the primary', async () => {
    const ports = listeningPorts();
    // The reading sees this process's listeners (the gateway's client port and the proxy's admin port).
    expect(ports.has(gw.port(80))).toBe(true);
    expect(ports.has(gw.running.proxy.ports.admin)).toBe(true);
    for (const [i, chunked] of [false, true].entries()) {
      const body = pattern(40_000, i);
      const before = recorder.received.length;
      const r = await post(gw.port(80), 'mirror.example.com', `/upload/${i}`, body, chunked);
      expect(r.status).toBe(200);
      const answer = JSON.parse(r.body) as { app: string; bodyBytes: number };
      expect(answer.app).toBe('primary');
      expect(answer.bodyBytes).toBe(body.length);
      await expect.poll(() => recorder.received.length, { timeout: 10_000 }).toBe(before + 1);
      const copy = recorder.received.at(-1)!;
      expect(copy.method).toBe('POST');
      expect(copy.url).toBe(`/upload/${i}`);
      expect(copy.body.equals(body)).toBe(true);
    }
    await expect.poll(() => mirrorCount(gw, 'sent'), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    // The copies went in process: the process listens on no port it did not listen on before.
    expect([...listeningPorts()].filter((p) => !ports.has(p))).toEqual([]);
  });

  it('does not mirror a body over the cap, counts it, and serves the client in full', async () => {
    const over = MAX_MIRROR_BODY_BYTES + 1;
    for (const [i, chunked] of [false, true].entries()) {
      const before = recorder.received.length;
      const skipped = await mirrorCount(gw, 'skipped-body-too-large');
      const body = pattern(over, 7 + i);
      const r = await post(gw.port(80), 'mirror.example.com', `/big/${i}`, body, chunked);
      expect(r.status).toBe(200);
      expect((JSON.parse(r.body) as { bodyBytes: number }).bodyBytes).toBe(over);
      await expect
        .poll(() => mirrorCount(gw, 'skipped-body-too-large'), { timeout: 10_000 })
        .toBe(skipped + 1);
      // A request sent after it is mirrored; the big one never was (the recorder saw only the later one).
      await post(gw.port(80), 'mirror.example.com', `/after/${i}`, Buffer.from('small'));
      await expect.poll(() => recorder.received.length, { timeout: 10_000 }).toBe(before + 1);
      expect(recorder.received.at(-1)!.url).toBe(`/after/${i}`);
    }
  });

  it('mirrors an h2 client POST with its body', async () => {
    const body = pattern(30_000, 3);
    const before = recorder.received.length;
    const session = http2.connect(`http://127.0.0.1:${gw.port(80)}`);
    try {
      const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const s = session.request({
          ':method': 'POST',
          ':path': '/h2-upload',
          ':authority': 'mirror.example.com',
        });
        let status = 0;
        let text = '';
        s.setEncoding('utf8');
        s.on('response', (h) => {
          status = Number(h[':status']);
        });
        s.on('data', (d: string) => {
          text += d;
        });
        s.on('end', () => resolve({ status, text }));
        s.on('error', reject);
        s.write(body.subarray(0, 10_000));
        s.end(body.subarray(10_000));
      });
      expect(answer.status).toBe(200);
      expect((JSON.parse(answer.text) as { app: string; bodyBytes: number }).bodyBytes).toBe(body.length);
    } finally {
      session.close();
    }
    await expect.poll(() => recorder.received.length, { timeout: 10_000 }).toBe(before + 1);
    const copy = recorder.received.at(-1)!;
    expect(copy.url).toBe('/h2-upload');
    expect(copy.body.equals(body)).toBe(true);
  });
});

describe('RequestMirror to a mirror that never answers', () => {
  let primary: EchoApp;
  let hole: Awaited<ReturnType<typeof startBlackHole>>;
  let gw: TestGateway;

  beforeAll(async () => {
    primary = await startEchoApp('primary');
    hole = await startBlackHole();
    gw = await startTestGateway(
      { listeners: [route('hole', 'hole.example.com', primary.authority, hole.authority)] },
      { mirrorMaxInFlight: 2, mirrorTimeoutMs: 500 },
    );
  });

  afterAll(async () => {
    await gw?.stop();
    await hole?.close();
    await primary?.close();
  });

  it('serves every client request in full; the copies time out or are skipped, and are counted', async () => {
    const n = 6;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        post(gw.port(80), 'hole.example.com', `/p/${i}`, pattern(32 * 1024, i), i % 2 === 1),
      ),
    );
    for (const r of results) {
      expect(r.status).toBe(200);
      expect((JSON.parse(r.body) as { app: string; bodyBytes: number }).bodyBytes).toBe(32 * 1024);
    }
    // Every copy is accounted for: given up at the timeout, or skipped at the in-flight bound.
    await expect
      .poll(async () => (await mirrorCount(gw, 'timeout')) + (await mirrorCount(gw, 'skipped-concurrency')), {
        timeout: 15_000,
      })
      .toBe(n);
    expect(await mirrorCount(gw, 'timeout')).toBeGreaterThanOrEqual(1);
    expect(await mirrorCount(gw, 'sent')).toBe(0);
    expect(hole.accepted()).toBeGreaterThanOrEqual(1);
    // The slots came back: a later request's copy is dispatched again (and times out again).
    const timeouts = await mirrorCount(gw, 'timeout');
    const r = await post(gw.port(80), 'hole.example.com', '/later', Buffer.from('x'));
    expect(r.status).toBe(200);
    await expect.poll(() => mirrorCount(gw, 'timeout'), { timeout: 15_000 }).toBe(timeouts + 1);
  });
});

/** An HTTP/2 (h2c) server standing for a gRPC backend: answers every call 200 with grpc-status 0. */
async function startH2Grpc(
  onStream: (stream: http2.ServerHttp2Stream, session: http2.ServerHttp2Session) => void,
): Promise<{ authority: string; close(): Promise<void> }> {
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = guard(http2.createServer());
  server.on('session', (s) => {
    guard(s);
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', (stream) => {
    guard(stream);
    onStream(stream, stream.session as http2.ServerHttp2Session);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    authority: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Answers a gRPC-shaped call: head, one message, trailers with grpc-status 0. */
function answerGrpc(stream: http2.ServerHttp2Stream): void {
  stream.resume();
  stream.on('end', () => {
    if (stream.closed) return;
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(Buffer.from([0, 0, 0, 0, 2, 0x6f, 0x6b]));
  });
}

/** One gRPC-shaped call over h2c with a body; resolves with the :status and grpc-status. */
function grpcCall(port: number, authority: string): Promise<{ status: number; grpcStatus: string }> {
  const session = guard(http2.connect(`http://127.0.0.1:${port}`));
  return new Promise<{ status: number; grpcStatus: string }>((resolve, reject) => {
    const s = session.request({
      ':method': 'POST',
      ':path': '/test.Svc/Call',
      ':authority': authority,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    let status = 0;
    let grpcStatus = '';
    s.on('response', (h) => {
      status = Number(h[':status']);
    });
    s.on('trailers', (t) => {
      grpcStatus = String(t['grpc-status']);
    });
    s.resume();
    s.on('close', () => resolve({ status, grpcStatus }));
    s.on('error', reject);
    s.end(Buffer.from([0, 0, 0, 0, 3, 0x61, 0x62, 0x63]));
  }).finally(() => session.close());
}

describe('RequestMirror of gRPC calls to hostile HTTP/2 mirrors', () => {
  let primary: Awaited<ReturnType<typeof startH2Grpc>>;
  let hole: Awaited<ReturnType<typeof startBlackHole>>;
  let refusing: Awaited<ReturnType<typeof startH2Grpc>>;
  let dropping: Awaited<ReturnType<typeof startH2Grpc>>;
  let gw: TestGateway;

  const grpcListener = (name: string, mirror: string) => ({
    name: `test/gw/${name}`,
    port: 80,
    protocol: HTTP,
    hostname: `${name}.example.com`,
    routes: [
      {
        name: `GRPCRoute/test/${name}/0`,
        grpc: true,
        filters: [{ requestMirror: { authority: mirror } }],
        backends: [{ authority: primary.authority, weight: 1 }],
      },
    ],
  });

  beforeAll(async () => {
    primary = await startH2Grpc((stream) => answerGrpc(stream));
    hole = await startBlackHole();
    // Resets every stream it is sent, and one that tears the whole connection down.
    refusing = await startH2Grpc((stream) => stream.close(http2.constants.NGHTTP2_REFUSED_STREAM));
    dropping = await startH2Grpc((_stream, session) => session.destroy());
    gw = await startTestGateway(
      {
        listeners: [
          grpcListener('hole', hole.authority),
          grpcListener('refusing', refusing.authority),
          grpcListener('dropping', dropping.authority),
        ],
      },
      { mirrorTimeoutMs: 500 },
    );
  });

  afterAll(async () => {
    await gw?.stop();
    await Promise.all([hole?.close(), refusing?.close(), dropping?.close(), primary?.close()]);
  });

  it('answers every call from the primary; each copy ends as timeout or failed, counted', async () => {
    const before = { timeout: await mirrorCount(gw, 'timeout'), failed: await mirrorCount(gw, 'failed') };
    for (const name of ['hole', 'refusing', 'dropping', 'refusing', 'dropping']) {
      expect(await grpcCall(gw.port(80), `${name}.example.com`)).toEqual({ status: 200, grpcStatus: '0' });
    }
    // The black hole's copy is given up at the mirror timeout; the reset and the dropped
    // connection fail the other four.
    await expect.poll(() => mirrorCount(gw, 'timeout'), { timeout: 10_000 }).toBe(before.timeout + 1);
    await expect.poll(() => mirrorCount(gw, 'failed'), { timeout: 10_000 }).toBe(before.failed + 4);
    expect(await mirrorCount(gw, 'sent')).toBe(0);
    expect(hole.accepted()).toBeGreaterThanOrEqual(1);
    // The gateway keeps serving.
    expect(await grpcCall(gw.port(80), 'refusing.example.com')).toEqual({ status: 200, grpcStatus: '0' });
  });
});
