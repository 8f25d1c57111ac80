/**
 * Shared pieces of the native TLS front suites (native-tls-*.test.ts): test certificates and
 * contexts, a bed (one native listener with queues of its sockets and failures), TLS and raw
 * clients, byte helpers and a recording TCP tap. `useNativeTlsFront()` registers the hooks each
 * suite needs: load the addon (failing clearly when it is not built) and close everything a
 * test opened.
 */
import { spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createNetServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { afterEach, beforeAll, expect } from 'vitest';
import { guard } from '../net/guard.js';
import {
  type NativeContext,
  type NativeListenOptions,
  type NativeTlsServer,
  type NativeTlsSocket,
  nativeTls,
  setNativeTlsDisabled,
  type TlsFront,
} from './native-tls.js';
import { createTestCa, type TestCertificate } from './test-certificates.js';

export const HOST = '127.0.0.1';
export const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
/** The addon, as native-tls.ts loads it. */
export const ADDON_FROM_HERE = '../../native/tls-front/build/Release/tls_front.node';
export const MiB = 1024 * 1024;

export const ca = createTestCa();
export const certA: TestCertificate = ca.issue(['a.test']);
export const certB: TestCertificate = ca.issue(['b.test']);
export const fingerprintA = new X509Certificate(certA.chainPem).fingerprint256;
export const fingerprintB = new X509Certificate(certB.chainPem).fingerprint256;

export let front: TlsFront;
export let ctxA: NativeContext;
export let ctxB: NativeContext;

/** Registers the suite's hooks: the addon loaded before the tests, cleanups after each. */
export function useNativeTlsFront(): void {
  beforeAll(() => {
    // WEFT_GATEWAY_TLS=node in the environment must not turn this suite into a no-op.
    setNativeTlsDisabled(false);
    const f = nativeTls();
    if (f === undefined) {
      throw new Error(
        'the native TLS addon is not built or cannot load ' +
          '(packages/proxy/native/tls-front/build/Release/tls_front.node): run `npm run build:native`',
      );
    }
    front = f;
    ctxA = front.context(certA.chainPem, certA.keyPem);
    ctxB = front.context(certB.chainPem, certB.keyPem);
  });

  afterEach(() => {
    for (const f of cleanups.splice(0).reverse()) f();
  });
}

// ------------------------------------------------------------------------------ resources

/** Run after each test, newest first: closes every server and socket the test opened. */
export const cleanups: (() => void)[] = [];

/** Values in arrival order; next() hands them out one by one, whether they came before or after. */
export class Queue<T> {
  readonly all: T[] = [];
  private taken = 0;
  private readonly waiters: { n: number; resolve: () => void }[] = [];

  push(v: T): void {
    this.all.push(v);
    for (const w of [...this.waiters]) {
      if (this.all.length >= w.n) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }

  /** Resolves once at least n values have arrived. */
  count(n: number): Promise<void> {
    if (this.all.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  async next(): Promise<T> {
    const i = this.taken++;
    await this.count(i + 1);
    return this.all[i]!;
  }
}

export interface Bed {
  readonly server: NativeTlsServer;
  readonly port: number;
  readonly sockets: Queue<NativeTlsSocket>;
  readonly failures: Queue<string>;
  readonly servernames: string[];
  /** 'error' events of server sockets (each socket has a listener, so none is unhandled). */
  readonly socketErrors: (Error & { code?: string })[];
}

export interface BedOptions extends Partial<NativeListenOptions> {
  /** What to do with each handshaken socket (default: echo). */
  readonly onSocket?: (s: NativeTlsSocket) => void;
  /** SNI name -> context (default: a.test -> A, b.test -> B, anything else refused). */
  readonly servername?: (name: string) => NativeContext | undefined;
  /** The no-SNI context (default A). */
  readonly defaultContext?: NativeContext | null;
}

export function echo(s: NativeTlsSocket): void {
  s.pipe(s);
}

export function startBed(o: BedOptions = {}): Bed {
  const sockets = new Queue<NativeTlsSocket>();
  const failures = new Queue<string>();
  const servernames: string[] = [];
  const socketErrors: (Error & { code?: string })[] = [];
  const onSocket = o.onSocket ?? echo;
  const server = front.listen(
    {
      host: o.host ?? HOST,
      port: o.port ?? 0,
      handshakeTimeoutMs: o.handshakeTimeoutMs ?? 20_000,
      maxConnections: o.maxConnections ?? 1000,
      alpn: o.alpn ?? ['h2', 'http/1.1'],
    },
    {
      secureConnection: (s) => {
        s.on('error', (err) => socketErrors.push(err));
        cleanups.push(() => s.destroy());
        sockets.push(s);
        onSocket(s);
      },
      failure: (reason) => failures.push(reason),
      servername: (name) => {
        servernames.push(name);
        if (o.servername !== undefined) return o.servername(name);
        return name === 'a.test' ? ctxA : name === 'b.test' ? ctxB : undefined;
      },
    },
  );
  cleanups.push(() => server.close());
  server.setDefault(o.defaultContext === undefined ? ctxA : o.defaultContext);
  const port = server.port;
  expect(port).toBeGreaterThan(0);
  return { server, port, sockets, failures, servernames, socketErrors };
}

/** A node:tls client that trusts the test CA (SNI a.test unless told otherwise). */
export function tlsClient(port: number, o: ConnectionOptions = {}): TLSSocket {
  const socket = guard(tlsConnect({ host: HOST, port, ca: ca.caPem, servername: 'a.test', ...o }));
  cleanups.push(() => socket.destroy());
  return socket;
}

/** Resolves when the handshake completes; rejects with the error (or a close) before it. */
export function secured(socket: TLSSocket): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const onClose = () => reject(new Error('closed before the handshake completed'));
    socket.once('error', reject);
    socket.once('close', onClose);
    socket.once('secureConnect', () => {
      socket.off('error', reject);
      socket.off('close', onClose);
      resolve(socket);
    });
  });
}

export function connectTls(port: number, o: ConnectionOptions = {}): Promise<TLSSocket> {
  return secured(tlsClient(port, o));
}

/** Connects and expects the handshake to fail; resolves with the client's error, if it had one. */
export function failedHandshake(port: number, o: ConnectionOptions = {}): Promise<Error | undefined> {
  const socket = tlsClient(port, o);
  return new Promise((resolve, reject) => {
    let err: Error | undefined;
    socket.on('error', (e) => {
      err = e;
    });
    socket.once('secureConnect', () => reject(new Error('the handshake completed')));
    socket.once('close', () => resolve(err));
  });
}

/** A plain TCP client; it reads (and drops) what it gets, so it sees the server's FIN. */
export function rawClient(port: number): Socket {
  const socket = guard(netConnect(port, HOST));
  socket.resume();
  cleanups.push(() => socket.destroy());
  return socket;
}

export function closed(socket: Socket | NativeTlsSocket): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

/** Reads exactly n bytes (the stream must be flowing or about to be). */
export function readBytes(stream: Socket | NativeTlsSocket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const onData = (d: Buffer) => {
      chunks.push(d);
      got += d.length;
      if (got >= n) {
        done();
        resolve(Buffer.concat(chunks));
      }
    };
    const onEnd = () => {
      done();
      reject(new Error(`ended after ${got} of ${n} bytes`));
    };
    const done = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
    };
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('close', onEnd);
  });
}

export async function roundTrip(client: TLSSocket, payload: Buffer): Promise<void> {
  const back = readBytes(client, payload.length);
  client.write(payload);
  const got = await back;
  expect(got.length).toBe(payload.length);
  expect(got.equals(payload)).toBe(true);
}

/** A fresh client that handshakes and echoes: the server is still serving. */
export async function stillServes(port: number): Promise<void> {
  const client = await connectTls(port);
  await roundTrip(client, Buffer.from('still serving'));
  client.destroy();
}

/** mulberry32: a seeded PRNG, so the random inputs are the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** The first TLS record (the ClientHello) a node:tls client sends, captured by a plain TCP server. */
export async function captureClientHello(o: ConnectionOptions = {}): Promise<Buffer> {
  const server = createNetServer();
  server.listen(0, HOST);
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  try {
    const got = new Promise<Buffer>((resolve) => {
      server.once('connection', (s: Socket) => {
        let buf = Buffer.alloc(0);
        s.on('error', () => {});
        s.on('data', (d: Buffer) => {
          buf = Buffer.concat([buf, d]);
          if (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3)) {
            s.destroy();
            resolve(buf.subarray(0, 5 + buf.readUInt16BE(3)));
          }
        });
      });
    });
    const client = tlsClient(port, o);
    const hello = await got;
    client.destroy();
    return hello;
  } finally {
    server.close();
  }
}

/** A TCP relay between a client and the native server that counts and keeps the bytes each way. */
export interface Tap {
  readonly port: number;
  /** Client -> server bytes. */
  readonly up: Buffer[];
  /** Server -> client bytes. */
  readonly down: Buffer[];
  /** The relay's socket to the native server (its local port is the server's remotePort). */
  upstream(): Promise<Socket>;
  /** Resolves when both relay sockets have closed. */
  done(): Promise<void>;
}

export async function startTap(target: number): Promise<Tap> {
  const up: Buffer[] = [];
  const down: Buffer[] = [];
  let upstreamSocket: ((s: Socket) => void) | undefined;
  const upstreamReady = new Promise<Socket>((resolve) => {
    upstreamSocket = resolve;
  });
  let closedSides = 0;
  let allClosed: (() => void) | undefined;
  const done = new Promise<void>((resolve) => {
    allClosed = resolve;
  });
  const side = () => {
    if (++closedSides === 2) allClosed?.();
  };
  const server: Server = createNetServer({ allowHalfOpen: true }, (c) => {
    const u = guard(netConnect({ port: target, host: HOST, allowHalfOpen: true }));
    cleanups.push(() => {
      c.destroy();
      u.destroy();
    });
    u.once('connect', () => upstreamSocket?.(u));
    c.on('data', (d: Buffer) => {
      up.push(d);
      u.write(d);
    });
    u.on('data', (d: Buffer) => {
      down.push(d);
      c.write(d);
    });
    c.on('end', () => u.end());
    u.on('end', () => c.end());
    c.on('error', () => u.destroy());
    u.on('error', () => c.destroy());
    c.on('close', side);
    u.on('close', side);
  });
  server.listen(0, HOST);
  await once(server, 'listening');
  cleanups.push(() => server.close());
  return {
    port: (server.address() as { port: number }).port,
    up,
    down,
    upstream: () => upstreamReady,
    done: () => done,
  };
}

export function total(chunks: Buffer[]): number {
  return chunks.reduce((n, c) => n + c.length, 0);
}

/** The content types of the TLS records in a byte stream (whole records only). */
export function recordTypes(stream: Buffer): number[] {
  const types: number[] = [];
  let off = 0;
  while (off + 5 <= stream.length) {
    const len = stream.readUInt16BE(off + 3);
    if (off + 5 + len > stream.length) break;
    types.push(stream[off]!);
    off += 5 + len;
  }
  return types;
}

/** Writes `data` in `chunk`-byte writes, waiting for 'drain' whenever write() returns false, then ends. */
export async function writeWithBackpressure(
  s: NativeTlsSocket,
  data: Buffer,
  chunk: number,
  onFirstFalse: () => void,
): Promise<{ falses: number; drains: number }> {
  let falses = 0;
  let drains = 0;
  for (let off = 0; off < data.length; off += chunk) {
    if (!s.write(data.subarray(off, off + chunk))) {
      if (falses++ === 0) onFirstFalse();
      await once(s, 'drain');
      drains++;
    }
  }
  s.end();
  return { falses, drains };
}

export const LABEL = /^[a-z0-9_-]{1,63}$/;
