/**
 * The native TLS front (native/tls-front/tls_front.c through native-tls.ts) against real sockets
 * on 127.0.0.1: node:tls clients for TLS 1.3 and 1.2, ALPN and SNI, and raw TCP sockets for the
 * bytes a hostile peer sends (plain HTTP, silence, half a ClientHello then a reset, seeded
 * random and mutated ClientHellos). Then connection caps, flow control in both directions,
 * orderly and abrupt ends, idle timeouts, bad certificates, bind errors, closing a listener, and
 * TLS 1.2 renegotiation. Every wait is on an event; every server and socket is closed after
 * each test.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createNetServer, connect as netConnect, type Server, type Socket } from 'node:net';
import {
  type ConnectionOptions,
  checkServerIdentity,
  type PeerCertificate,
  type SecureVersion,
  type TLSSocket,
  connect as tlsConnect,
} from 'node:tls';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
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

const HOST = '127.0.0.1';
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
/** The addon, as native-tls.ts loads it. */
const ADDON_FROM_HERE = '../../native/tls-front/build/Release/tls_front.node';
const MiB = 1024 * 1024;

const ca = createTestCa();
const certA: TestCertificate = ca.issue(['a.test']);
const certB: TestCertificate = ca.issue(['b.test']);
const fingerprintA = new X509Certificate(certA.chainPem).fingerprint256;
const fingerprintB = new X509Certificate(certB.chainPem).fingerprint256;

let front: TlsFront;
let ctxA: NativeContext;
let ctxB: NativeContext;

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

// ------------------------------------------------------------------------------ resources

/** Run after each test, newest first: closes every server and socket the test opened. */
const cleanups: (() => void)[] = [];

afterEach(() => {
  for (const f of cleanups.splice(0).reverse()) f();
});

/** Values in arrival order; next() hands them out one by one, whether they came before or after. */
class Queue<T> {
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

interface Bed {
  readonly server: NativeTlsServer;
  readonly port: number;
  readonly sockets: Queue<NativeTlsSocket>;
  readonly failures: Queue<string>;
  readonly servernames: string[];
  /** 'error' events of server sockets (each socket has a listener, so none is unhandled). */
  readonly socketErrors: (Error & { code?: string })[];
}

interface BedOptions extends Partial<NativeListenOptions> {
  /** What to do with each handshaken socket (default: echo). */
  readonly onSocket?: (s: NativeTlsSocket) => void;
  /** SNI name -> context (default: a.test -> A, b.test -> B, anything else refused). */
  readonly servername?: (name: string) => NativeContext | undefined;
  /** The no-SNI context (default A). */
  readonly defaultContext?: NativeContext | null;
}

function echo(s: NativeTlsSocket): void {
  s.pipe(s);
}

function startBed(o: BedOptions = {}): Bed {
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
function tlsClient(port: number, o: ConnectionOptions = {}): TLSSocket {
  const socket = tlsConnect({ host: HOST, port, ca: ca.caPem, servername: 'a.test', ...o });
  socket.on('error', () => {});
  cleanups.push(() => socket.destroy());
  return socket;
}

/** Resolves when the handshake completes; rejects with the error (or a close) before it. */
function secured(socket: TLSSocket): Promise<TLSSocket> {
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

function connectTls(port: number, o: ConnectionOptions = {}): Promise<TLSSocket> {
  return secured(tlsClient(port, o));
}

/** Connects and expects the handshake to fail; resolves with the client's error, if it had one. */
function failedHandshake(port: number, o: ConnectionOptions = {}): Promise<Error | undefined> {
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
function rawClient(port: number): Socket {
  const socket = netConnect(port, HOST);
  socket.on('error', () => {});
  socket.resume();
  cleanups.push(() => socket.destroy());
  return socket;
}

function closed(socket: Socket | NativeTlsSocket): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

/** Reads exactly n bytes (the stream must be flowing or about to be). */
function readBytes(stream: Socket | NativeTlsSocket, n: number): Promise<Buffer> {
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

async function roundTrip(client: TLSSocket, payload: Buffer): Promise<void> {
  const back = readBytes(client, payload.length);
  client.write(payload);
  const got = await back;
  expect(got.length).toBe(payload.length);
  expect(got.equals(payload)).toBe(true);
}

/** A fresh client that handshakes and echoes: the server is still serving. */
async function stillServes(port: number): Promise<void> {
  const client = await connectTls(port);
  await roundTrip(client, Buffer.from('still serving'));
  client.destroy();
}

/** mulberry32: a seeded PRNG, so the random inputs are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** The first TLS record (the ClientHello) a node:tls client sends, captured by a plain TCP server. */
async function captureClientHello(o: ConnectionOptions = {}): Promise<Buffer> {
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
interface Tap {
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

async function startTap(target: number): Promise<Tap> {
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
    const u = netConnect({ port: target, host: HOST, allowHalfOpen: true });
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

function total(chunks: Buffer[]): number {
  return chunks.reduce((n, c) => n + c.length, 0);
}

/** The content types of the TLS records in a byte stream (whole records only). */
function recordTypes(stream: Buffer): number[] {
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
async function writeWithBackpressure(
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

const LABEL = /^[a-z0-9_-]{1,63}$/;

// ------------------------------------------------------------------------------ tests

describe('native TLS front: round trips', () => {
  it.each<SecureVersion>(['TLSv1.3', 'TLSv1.2'])(
    'echoes bytes intact over %s, with the peer address and ciphertext byte counts',
    async (version) => {
      const bed = startBed();
      const client = await connectTls(bed.port, { minVersion: version, maxVersion: version });
      expect(client.getProtocol()).toBe(version);
      const s = await bed.sockets.next();
      expect(s.encrypted).toBe(true);
      expect(s.remoteAddress).toBe('127.0.0.1');
      expect(s.remoteFamily).toBe('IPv4');
      expect(s.remotePort).toBe(client.localPort);
      expect(s.servername).toBe('a.test');

      const payload = randomBytes(prng(1), 300_000);
      await roundTrip(client, payload);
      // Ciphertext: the handshake, record headers and tags on top of the plaintext.
      expect(s.bytesRead).toBeGreaterThan(payload.length);
      expect(s.bytesWritten).toBeGreaterThan(payload.length);
      client.end();
      await closed(s);
      expect(s.bytesRead).toBeGreaterThan(payload.length);
      expect(s.bytesWritten).toBeGreaterThan(payload.length);
      expect(bed.socketErrors).toEqual([]);
    },
  );

  it.each<SecureVersion>(['TLSv1.3', 'TLSv1.2'])(
    'counts exactly the ciphertext on the wire over %s, while open and after close',
    async (version) => {
      const bed = startBed();
      const tap = await startTap(bed.port);
      const client = await connectTls(tap.port, { maxVersion: version });
      const s = await bed.sockets.next();
      expect(s.remotePort).toBe((await tap.upstream()).localPort);
      const payload = randomBytes(prng(2), 100_000);
      await roundTrip(client, payload);
      // The server echoed everything the client sent, and the client got everything it wrote.
      expect(s.bytesRead).toBe(total(tap.up));
      expect(s.bytesWritten).toBe(total(tap.down));
      client.end();
      await Promise.all([closed(s), tap.done()]);
      // Both close_notify alerts included.
      expect(s.bytesRead).toBe(total(tap.up));
      expect(s.bytesWritten).toBe(total(tap.down));
    },
  );

  it('resumes a session from an earlier connection', async () => {
    const bed = startBed();
    for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
      const first = tlsClient(bed.port, { maxVersion: version });
      const session = new Promise<Buffer>((resolve) => first.once('session', resolve));
      await secured(first);
      await roundTrip(first, Buffer.from('first'));
      const ticket = await session;
      first.end();
      const second = await connectTls(bed.port, { maxVersion: version, session: ticket });
      expect(second.isSessionReused()).toBe(true);
      await roundTrip(second, Buffer.from('second'));
      second.destroy();
    }
  });
});

describe('native TLS front: many connections', () => {
  it('keeps 100 concurrent connections apart', async () => {
    const bed = startBed();
    const clients = await Promise.all(Array.from({ length: 100 }, () => connectTls(bed.port)));
    await Promise.all(clients.map((c, i) => roundTrip(c, randomBytes(prng(1000 + i), 20_000 + i))));
    expect(bed.sockets.all).toHaveLength(100);
    const ports = new Set(bed.sockets.all.map((s) => s.remotePort));
    expect(ports).toEqual(new Set(clients.map((c) => c.localPort)));
  });

  it('delivers what the client writes before its handshake completes', async () => {
    const bed = startBed();
    const client = tlsClient(bed.port);
    const payload = randomBytes(prng(3), 50_000);
    const back = readBytes(client, payload.length);
    client.write(payload);
    await secured(client);
    expect((await back).equals(payload)).toBe(true);
  });
});

describe('native TLS front: ALPN', () => {
  it('picks by the server order, and negotiates nothing for a client without ALPN', async () => {
    const bed = startBed({ alpn: ['h2', 'http/1.1'] });
    const both = await connectTls(bed.port, { ALPNProtocols: ['http/1.1', 'h2'] });
    expect(both.alpnProtocol).toBe('h2');
    expect((await bed.sockets.next()).alpnProtocol).toBe('h2');
    await roundTrip(both, Buffer.from('h2'));

    const h1 = await connectTls(bed.port, { ALPNProtocols: ['http/1.1'] });
    expect(h1.alpnProtocol).toBe('http/1.1');
    expect((await bed.sockets.next()).alpnProtocol).toBe('http/1.1');

    const none = await connectTls(bed.port);
    expect(none.alpnProtocol).toBe(false);
    expect((await bed.sockets.next()).alpnProtocol).toBe(false);
    await roundTrip(none, Buffer.from('no alpn'));
  });

  it('fails a client offering only unknown protocols, reports why, and serves the next client', async () => {
    const bed = startBed({ alpn: ['h2', 'http/1.1'] });
    const err = await failedHandshake(bed.port, { ALPNProtocols: ['spdy/3'] });
    expect((err as { code?: string } | undefined)?.code).toBe('ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL');
    const reason = await bed.failures.next();
    expect(reason).toMatch(LABEL);
    expect(bed.sockets.all).toHaveLength(0);
    await stillServes(bed.port);
  });

  it('negotiates no protocol when the listener has none', async () => {
    const bed = startBed({ alpn: [] });
    const client = await connectTls(bed.port, { ALPNProtocols: ['h2', 'http/1.1'] });
    expect(client.alpnProtocol).toBe(false);
    expect((await bed.sockets.next()).alpnProtocol).toBe(false);
  });
});

describe('native TLS front: SNI', () => {
  const peer = (c: TLSSocket): PeerCertificate => c.getPeerCertificate();

  it('asks the servername callback and serves the certificate it returns', async () => {
    const bed = startBed();
    const b = await connectTls(bed.port, { servername: 'b.test' });
    expect(peer(b).fingerprint256).toBe(fingerprintB);
    expect(peer(b).subjectaltname).toContain('DNS:b.test');
    const sb = await bed.sockets.next();
    expect(sb.servername).toBe('b.test');
    await roundTrip(b, Buffer.from('b'));

    const a = await connectTls(bed.port, { servername: 'a.test' });
    expect(peer(a).fingerprint256).toBe(fingerprintA);
    expect(bed.servernames).toEqual(['b.test', 'a.test']);
  });

  it("refuses a name the callback has no certificate for, with 'no-certificate'", async () => {
    const bed = startBed();
    const err = await failedHandshake(bed.port, { servername: 'unknown.test' });
    expect((err as { code?: string } | undefined)?.code).toBe('ERR_SSL_TLSV1_UNRECOGNIZED_NAME');
    expect(await bed.failures.next()).toBe('no-certificate');
    expect(bed.servernames).toEqual(['unknown.test']);
    expect(bed.sockets.all).toHaveLength(0);
    await stillServes(bed.port);
  });

  it("treats a servername callback that throws as 'no-certificate'", async () => {
    const bed = startBed({
      servername: () => {
        throw new Error('lookup failed');
      },
    });
    await failedHandshake(bed.port, { servername: 'a.test' });
    expect(await bed.failures.next()).toBe('no-certificate');
  });

  it('uses the default context without SNI, and fails such handshakes once it is unset', async () => {
    const bed = startBed({ defaultContext: ctxB });
    const noSni = {
      servername: '',
      checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity('b.test', cert),
    };
    const client = await connectTls(bed.port, noSni);
    expect(peer(client).fingerprint256).toBe(fingerprintB);
    expect((await bed.sockets.next()).servername).toBe(false);
    expect(bed.servernames).toEqual([]);
    await roundTrip(client, Buffer.from('default'));

    bed.server.setDefault(ctxA);
    const again = await connectTls(bed.port, {
      servername: '',
      checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity('a.test', cert),
    });
    expect(peer(again).fingerprint256).toBe(fingerprintA);

    bed.server.setDefault(null);
    await failedHandshake(bed.port, noSni);
    expect(await bed.failures.next()).toBe('no-certificate');
    // The connections made before keep working.
    await roundTrip(client, Buffer.from('after setDefault(null)'));
  });
});

describe('native TLS front: hostile peers', () => {
  it('reports plain HTTP on the TLS port as a failure and closes the connection', async () => {
    const bed = startBed();
    const raw = rawClient(bed.port);
    raw.write('GET / HTTP/1.1\r\nHost: a.test\r\n\r\n');
    const reason = await bed.failures.next();
    expect(reason).toMatch(LABEL);
    expect(['timeout', 'reset']).not.toContain(reason);
    await closed(raw);
    expect(bed.sockets.all).toHaveLength(0);
    await stillServes(bed.port);
  });

  it("closes a client that sends nothing after handshakeTimeoutMs, with 'timeout'", async () => {
    const bed = startBed({ handshakeTimeoutMs: 200 });
    const silent = rawClient(bed.port);
    const hello = await captureClientHello();
    const half = rawClient(bed.port);
    half.write(hello.subarray(0, hello.length >> 1));
    expect(await bed.failures.next()).toBe('timeout');
    expect(await bed.failures.next()).toBe('timeout');
    await Promise.all([closed(silent), closed(half)]);
    expect(bed.sockets.all).toHaveLength(0);
  });

  it("reports half a ClientHello followed by a reset as 'reset'", async () => {
    const bed = startBed();
    const hello = await captureClientHello();
    const raw = rawClient(bed.port);
    raw.write(hello.subarray(0, hello.length >> 1));
    // A complete handshake after it: the server has accepted the first connection by then.
    await stillServes(bed.port);
    raw.resetAndDestroy();
    expect(await bed.failures.next()).toBe('reset');
    expect(bed.sockets.all).toHaveLength(1);
  });

  it('ends 200 random, mutated and truncated ClientHellos as failures and keeps serving', async () => {
    const bed = startBed();
    const hello = await captureClientHello();
    const rand = prng(0xc0ffee);
    const inputs: Buffer[] = [];
    for (let i = 0; i < 200; i++) {
      const kind = i % 4;
      if (kind === 0) {
        inputs.push(randomBytes(rand, 1 + Math.floor(rand() * 2048)));
      } else if (kind === 1) {
        // A plausible handshake record header around random contents.
        const body = randomBytes(rand, Math.floor(rand() * 1024));
        const header = Buffer.from([0x16, 0x03, 0x01, 0, 0]);
        header.writeUInt16BE(rand() < 0.5 ? body.length : Math.floor(rand() * 65536), 3);
        inputs.push(Buffer.concat([header, body]));
      } else if (kind === 2) {
        const m = Buffer.from(hello);
        const flips = 1 + Math.floor(rand() * 8);
        for (let f = 0; f < flips; f++) m[Math.floor(rand() * m.length)] = Math.floor(rand() * 256);
        inputs.push(m);
      } else {
        inputs.push(hello.subarray(0, Math.floor(rand() * hello.length)));
      }
    }
    const one = async (bytes: Buffer) => {
      const raw = rawClient(bed.port);
      await once(raw, 'connect');
      raw.end(bytes);
      await closed(raw);
    };
    for (let i = 0; i < inputs.length; i += 25) await Promise.all(inputs.slice(i, i + 25).map(one));
    await bed.failures.count(inputs.length);
    expect(bed.failures.all).toHaveLength(inputs.length);
    for (const reason of bed.failures.all) expect(reason).toMatch(LABEL);
    expect(bed.sockets.all).toHaveLength(0);
    await stillServes(bed.port);
  });
});

describe('native TLS front: hostile peers after the handshake', () => {
  it('closes a connection whose record fails to decrypt, with EPROTO, keeping its byte counts', async () => {
    const bed = startBed();
    const tap = await startTap(bed.port);
    const client = await connectTls(tap.port);
    const s = await bed.sockets.next();
    await roundTrip(client, Buffer.from('before the bad record'));
    const errored = once(s, 'error').then(([e]) => e as Error & { code?: string });
    // An application-data record of 48 random bytes, straight to the server.
    const bad = Buffer.concat([Buffer.from([0x17, 0x03, 0x03, 0x00, 0x30]), randomBytes(prng(4), 48)]);
    (await tap.upstream()).write(bad);
    expect((await errored).code).toBe('EPROTO');
    await Promise.all([closed(s), closed(client)]);
    expect(s.bytesRead).toBe(total(tap.up) + bad.length);
    await stillServes(bed.port);
  });

  it("takes a FIN without close_notify as the client's end", async () => {
    const bed = startBed({ onSocket: (s) => s.resume() });
    const tap = await startTap(bed.port);
    await connectTls(tap.port);
    const s = await bed.sockets.next();
    const ended = once(s, 'end');
    (await tap.upstream()).end();
    await ended;
    await closed(s);
    expect(bed.socketErrors).toEqual([]);
  });

  it('costs a connection, not the process, when the secureConnection handler throws', async () => {
    let thrown = 0;
    const bed = startBed({
      onSocket: (s) => {
        if (thrown++ === 0) throw new Error('handler bug');
        echo(s);
      },
    });
    const warning = once(process, 'warning');
    const client = tlsClient(bed.port);
    client.on('error', () => {});
    await closed(client);
    const [w] = (await warning) as [Error];
    expect(w.message).toBe('handler bug');
    await stillServes(bed.port);
  });

  it('survives the server destroying a socket inside secureConnection and inside a data callback', async () => {
    const bed = startBed({
      onSocket: (s) => {
        const n = bed.sockets.all.length;
        if (n === 1) s.destroy();
        else if (n === 2) s.once('data', () => s.destroy());
        else echo(s);
      },
    });
    const first = tlsClient(bed.port);
    await closed(first);
    const second = await connectTls(bed.port);
    const secondClosed = closed(second);
    second.write(randomBytes(prng(5), 2 * MiB));
    await secondClosed;
    await stillServes(bed.port);
    expect(bed.socketErrors).toEqual([]);
  });

  it('does not apply handshakeTimeoutMs after the handshake', async () => {
    const bed = startBed({ handshakeTimeoutMs: 300 });
    const client = await connectTls(bed.port);
    const s = await bed.sockets.next();
    // Idle for 4x the handshake timeout, measured by the socket's own idle timer.
    await new Promise<void>((resolve) => s.setTimeout(1200, resolve));
    s.setTimeout(0);
    await roundTrip(client, Buffer.from('still open'));
    expect(bed.failures.all).toEqual([]);
  });

  it('keeps contexts alive inside the addon after JavaScript drops them', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const bed = startBed({
      defaultContext: front.context(certB.chainPem, certB.keyPem),
      // A fresh context per handshake, never kept by JavaScript.
      servername: () => front.context(certA.chainPem, certA.keyPem),
    });
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
      const sni = await connectTls(bed.port);
      expect(sni.getPeerCertificate().fingerprint256).toBe(fingerprintA);
      const noSni = await connectTls(bed.port, {
        servername: '',
        checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity('b.test', cert),
      });
      expect(noSni.getPeerCertificate().fingerprint256).toBe(fingerprintB);
      gc();
      await new Promise((resolve) => setImmediate(resolve));
      await roundTrip(sni, Buffer.from('sni'));
      await roundTrip(noSni, Buffer.from('default'));
    }
  });

  it.skipIf(!hasOpenssl)('answers a TLS 1.3 KeyUpdate (openssl s_client) and keeps echoing', async () => {
    const bed = startBed();
    const child = spawn('openssl', [
      's_client',
      '-connect',
      `${HOST}:${bed.port}`,
      '-servername',
      'a.test',
      '-tls1_3',
      '-no_ign_eof',
    ]);
    cleanups.push(() => child.kill());
    let out = '';
    let err = '';
    const waiters: (() => void)[] = [];
    const check = () => {
      for (const w of [...waiters]) w();
    };
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('latin1');
      check();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString('latin1');
      check();
    });
    const exited = once(child, 'exit');
    const until = (pred: () => boolean) =>
      new Promise<void>((resolve, reject) => {
        if (pred()) return resolve();
        const w = () => {
          if (!pred()) return;
          waiters.splice(waiters.indexOf(w), 1);
          resolve();
        };
        waiters.push(w);
        exited.then(() => reject(new Error(`s_client exited:\n${err}\n${out}`)), reject);
      });
    child.stdin.write('hello-before\n');
    await until(() => out.includes('hello-before'));
    child.stdin.write('K\n');
    await until(() => err.includes('KEYUPDATE'));
    child.stdin.write('world-after\n');
    await until(() => out.includes('world-after'));
    child.stdin.end();
    await exited;
    expect(bed.socketErrors).toEqual([]);
  });
});

describe('native TLS front: connection cap', () => {
  it("refuses connections beyond maxConnections with 'max-connections' while the others work", async () => {
    const bed = startBed({ maxConnections: 2 });
    const c1 = await connectTls(bed.port);
    const c2 = await connectTls(bed.port);
    const s1 = await bed.sockets.next();
    await bed.sockets.next();

    const err = await failedHandshake(bed.port);
    expect(err === undefined || (err as { code?: string }).code === 'ECONNRESET').toBe(true);
    expect(await bed.failures.next()).toBe('max-connections');
    await roundTrip(c1, Buffer.from('one'));
    await roundTrip(c2, Buffer.from('two'));

    // A slot frees once a connection closes.
    c1.end();
    await closed(s1);
    let admitted: TLSSocket | undefined;
    for (let attempt = 0; attempt < 20 && admitted === undefined; attempt++) {
      try {
        admitted = await connectTls(bed.port);
      } catch {
        expect(await bed.failures.next()).toBe('max-connections');
      }
    }
    expect(admitted).toBeDefined();
    await roundTrip(admitted!, Buffer.from('three'));
    expect(bed.sockets.all).toHaveLength(3);
  });
});

describe('native TLS front: flow control', () => {
  it('sends 16 MiB intact to a client that reads late, with write() backpressure and drain', async () => {
    const data = randomBytes(prng(6), 16 * MiB);
    let serverBlocked: (() => void) | undefined;
    const blocked = new Promise<void>((resolve) => {
      serverBlocked = resolve;
    });
    let startWriter: ((s: NativeTlsSocket) => void) | undefined;
    const writer = new Promise<{ falses: number; drains: number }>((resolve, reject) => {
      startWriter = (s) =>
        writeWithBackpressure(s, data, 8192, () => serverBlocked?.()).then(resolve, reject);
    });
    writer.catch(() => {}); // awaited below
    const bed = startBed({ onSocket: (s) => startWriter?.(s) });
    // Not flowing: the client reads nothing until the server's write() has returned false.
    const client = await connectTls(bed.port);
    await Promise.race([
      blocked,
      writer.then(() => {
        throw new Error('the server wrote 16 MiB to a client that reads nothing without backpressure');
      }),
    ]);
    const hash = createHash('sha256');
    let got = 0;
    client.on('data', (d: Buffer) => {
      hash.update(d);
      got += d.length;
    });
    await once(client, 'end');
    expect(got).toBe(data.length);
    expect(hash.digest('hex')).toBe(sha256(data));
    const { falses, drains } = await writer;
    expect(falses).toBeGreaterThan(0);
    expect(drains).toBe(falses);
    expect(bed.socketErrors).toEqual([]);
  });

  it('keeps the server buffer bounded while its socket is paused under a 16 MiB upload', async () => {
    const data = randomBytes(prng(7), 16 * MiB);
    let maxBuffered = 0;
    const bed = startBed({
      onSocket: (s) => {
        if (bed.sockets.all.length > 1) {
          echo(s);
          return;
        }
        // Left paused (no reader); every push is measured.
        const push = s.push.bind(s);
        s.push = (chunk: Buffer | null) => {
          const r = push(chunk);
          maxBuffered = Math.max(maxBuffered, s.readableLength);
          return r;
        };
      },
    });
    const client = await connectTls(bed.port);
    const s = await bed.sockets.next();
    const uploaded = new Promise<void>((resolve, reject) =>
      client.write(data, (err) => (err ? reject(err) : resolve())),
    );
    // Keep the loop busy with another connection's 4 MiB round trip while the upload waits.
    const other = await connectTls(bed.port);
    await roundTrip(other, randomBytes(prng(8), 4 * MiB));
    expect(maxBuffered).toBeGreaterThan(0);
    expect(maxBuffered).toBeLessThan(MiB);
    expect(s.readableLength).toBeLessThan(MiB);
    expect(s.bytesRead).toBeLessThan(MiB);

    const hash = createHash('sha256');
    let got = 0;
    const all = new Promise<void>((resolve) =>
      s.on('data', (d: Buffer) => {
        hash.update(d);
        got += d.length;
        if (got >= data.length) resolve();
      }),
    );
    await Promise.all([all, uploaded]);
    expect(got).toBe(data.length);
    expect(hash.digest('hex')).toBe(sha256(data));
    expect(maxBuffered).toBeLessThan(MiB);
  });
});

describe('native TLS front: ends', () => {
  it("gives the server 'end' when the client ends, and ends the client in turn", async () => {
    const bed = startBed({ onSocket: () => {} });
    const client = await connectTls(bed.port);
    const s = await bed.sockets.next();
    s.resume();
    const serverEnd = once(s, 'end');
    const clientEnd = once(client, 'end');
    client.end();
    await serverEnd;
    await clientEnd;
    await Promise.all([closed(s), closed(client)]);
    expect(bed.socketErrors).toEqual([]);
  });

  it('sends close_notify then FIN when the server ends (TLS 1.2, seen on the wire)', async () => {
    const bed = startBed({ onSocket: () => {} });
    const tap = await startTap(bed.port);
    const client = await connectTls(tap.port, { maxVersion: 'TLSv1.2' });
    const s = await bed.sockets.next();
    s.resume();
    const body = readBytes(client, 5);
    const clientEnd = once(client, 'end');
    s.end('bye!!');
    expect((await body).toString()).toBe('bye!!');
    await clientEnd;
    await closed(client);
    await Promise.all([closed(s), tap.done()]);
    const types = recordTypes(Buffer.concat(tap.down));
    // ... application data, then the alert record (close_notify), and nothing after it.
    expect(types.at(-1)).toBe(21);
    expect(types.at(-2)).toBe(23);
    expect(bed.socketErrors).toEqual([]);
  });

  it('lets the server destroy a connection mid-transfer: the client sees it close, others go on', async () => {
    const bed = startBed({
      onSocket: (s) => {
        if (bed.sockets.all.length > 1) {
          echo(s);
          return;
        }
        const chunk = Buffer.alloc(64 * 1024, 7);
        const pump = () => {
          while (!s.destroyed && s.write(chunk));
          if (!s.destroyed) s.once('drain', pump);
        };
        pump();
      },
    });
    const client = await connectTls(bed.port);
    const s = await bed.sockets.next();
    await once(client, 'data');
    const clientClosed = closed(client);
    s.destroy();
    await Promise.all([clientClosed, closed(s)]);
    // Writing after destroy: an error at most, never a throw.
    const writeErr = new Promise<Error | null | undefined>((resolve) => s.write('late', resolve));
    expect(await writeErr).toBeInstanceOf(Error);
    expect(() => s.end()).not.toThrow();
    await stillServes(bed.port);
  });

  it('reports a peer reset to a writing server as an error, keeping its byte counts', async () => {
    // The first connection is left alone; later ones echo.
    const bed: Bed = startBed({ onSocket: (x) => bed.sockets.all.length > 1 && echo(x) });
    // TLS over a TCP socket of the test's own, so the test can reset it.
    const raw = netConnect(bed.port, HOST);
    raw.on('error', () => {});
    cleanups.push(() => raw.destroy());
    await once(raw, 'connect');
    const client = await secured(tlsClient(bed.port, { socket: raw }));
    const s = await bed.sockets.next();
    // The server reads (it buffers up to its high-water mark), then the client resets.
    const sent = randomBytes(prng(9), 4096);
    client.write(sent);
    s.resume();
    expect((await readBytes(s, sent.length)).equals(sent)).toBe(true);
    s.pause();
    const readBefore = s.bytesRead;
    const writtenBefore = s.bytesWritten;
    expect(readBefore).toBeGreaterThan(sent.length);
    const errored = once(s, 'error').then(([e]) => e as Error & { code?: string });
    // On loopback the reset reaches the server's kernel socket before resetAndDestroy() returns;
    // the server writes before its loop has polled it, so it learns of the reset from the write.
    raw.resetAndDestroy();
    const written = new Promise<Error | null | undefined>((resolve) => s.write(Buffer.alloc(1024), resolve));
    const err = await errored;
    expect(await written).toBe(err);
    await Promise.all([closed(s), closed(raw)]);
    expect(['ECONNRESET', 'EPIPE']).toContain(err.code);
    expect(s.bytesRead).toBeGreaterThanOrEqual(readBefore);
    expect(s.bytesWritten).toBeGreaterThanOrEqual(writtenBefore);
    await stillServes(bed.port);
  });
});

describe('native TLS front: idle timeout', () => {
  it("emits 'timeout' after inactivity without closing, and setTimeout(0) cancels it", async () => {
    const bed = startBed();
    const c1 = await connectTls(bed.port);
    const s1 = await bed.sockets.next();
    const c2 = await connectTls(bed.port);
    const s2 = await bed.sockets.next();
    await connectTls(bed.port);
    const s3 = await bed.sockets.next();

    // s1: armed, then cancelled; s3: armed with a callback, then cancelled with it; s2: armed after
    // both with the same delay, so a timer left running on s1 or s3 would fire first.
    let cancelledFired = 0;
    s1.on('timeout', () => cancelledFired++);
    s1.setTimeout(50);
    s1.setTimeout(0);
    const cb3 = () => cancelledFired++;
    s3.setTimeout(50, cb3);
    s3.setTimeout(0, cb3);
    const fired = new Promise<void>((resolve) => s2.setTimeout(50, resolve));
    await fired;
    expect(cancelledFired).toBe(0);
    expect(s2.destroyed).toBe(false);
    await roundTrip(c2, Buffer.from('alive after timeout'));
    await roundTrip(c1, Buffer.from('never timed out'));
    s2.setTimeout(0);
  });
});

describe('native TLS front: certificates', () => {
  it('throws on garbage PEM, a bad chain, and a key that does not match', () => {
    expect(() => front.context('not a pem', certA.keyPem)).toThrow(/certificate/);
    const badChain = `${certA.chainPem}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`;
    expect(() => front.context(badChain, certA.keyPem)).toThrow(/certificate chain/);
    expect(() => front.context(certA.chainPem, 'not a key')).toThrow(/private key/);
    let mismatch: (Error & { code?: string }) | undefined;
    try {
      front.context(certA.chainPem, certB.keyPem);
    } catch (err) {
      mismatch = err as Error & { code?: string };
    }
    expect(mismatch).toBeInstanceOf(Error);
    expect(mismatch?.message).toMatch(/private key/);
    expect(mismatch?.code).toBe('ERR_WEFT_TLS');
  });
});

describe('native TLS front: listening', () => {
  it('throws EADDRINUSE for a port in use, by node or by another native listener', async () => {
    const taken = createNetServer();
    taken.listen(0, HOST);
    await once(taken, 'listening');
    cleanups.push(() => taken.close());
    const port = (taken.address() as { port: number }).port;
    const handlers = { secureConnection: () => {}, failure: () => {}, servername: () => undefined };
    const opts = { host: HOST, port, handshakeTimeoutMs: 1000, maxConnections: 10, alpn: [] };
    let err: (Error & { code?: string }) | undefined;
    try {
      front.listen(opts, handlers).close();
    } catch (e) {
      err = e as Error & { code?: string };
    }
    expect(err?.code).toBe('EADDRINUSE');

    const bed = startBed();
    err = undefined;
    try {
      front.listen({ ...opts, port: bed.port }, handlers).close();
    } catch (e) {
      err = e as Error & { code?: string };
    }
    expect(err?.code).toBe('EADDRINUSE');
    await stillServes(bed.port);
  });

  it('refuses a port outside 0-65535 as net does, and takes maxConnections Infinity as no cap', async () => {
    const handlers = { secureConnection: () => {}, failure: () => {}, servername: () => undefined };
    const opts = { host: HOST, handshakeTimeoutMs: 1000, maxConnections: 10, alpn: [] };
    for (const port of [-1, 65536, 105536, 1.5]) {
      expect(() => front.listen({ ...opts, port }, handlers)).toThrow(
        expect.objectContaining({ code: 'ERR_SOCKET_BAD_PORT' }),
      );
    }
    const bed = startBed({ maxConnections: Number.POSITIVE_INFINITY });
    const client = await connectTls(bed.port);
    await roundTrip(client, Buffer.from('no cap'));
    expect(bed.failures.all).toEqual([]);
  });

  it('stops accepting on close() while an open connection keeps echoing', async () => {
    const bed = startBed();
    const client = await connectTls(bed.port);
    await roundTrip(client, Buffer.from('before close'));
    bed.server.close();
    const refused = rawClient(bed.port);
    const [err] = (await once(refused, 'error').catch((e) => [e])) as [Error & { code?: string }];
    expect(err.code).toBe('ECONNREFUSED');
    await roundTrip(client, Buffer.from('after close'));
    client.end();
    await closed(await bed.sockets.next());
  });

  // A connection accepted before close() keeps its listener's handlers (SNI, failures, the
  // connection itself) until the addon frees the listener, as node:tls completes such handshakes.
  it('completes a handshake that was in flight when the listener closed', async () => {
    let bed: Bed | undefined;
    bed = startBed({
      servername: () => {
        // The ClientHello is in: the connection is accepted and mid-handshake.
        bed?.server.close();
        return ctxA;
      },
    });
    const client = await connectTls(bed.port);
    await roundTrip(client, Buffer.from('in flight at close'));
    expect(bed.sockets.all).toHaveLength(1);
  });
});

describe('native TLS front: environment teardown', () => {
  // The addon's handles' close callbacks are its own code: teardown holds the env (an async
  // cleanup hook) until they ran, else a worker's exit crashed the process with SIGSEGV.
  it('survives a worker thread that exits with a listener and a connection open', async () => {
    const addon = fileURLToPath(new URL(ADDON_FROM_HERE, import.meta.url));
    const worker = `
      const { parentPort } = require('node:worker_threads');
      const a = require(${JSON.stringify(addon)});
      const noop = () => {};
      a.init({ onConnection: noop, onData: noop, onEnd: noop, onDrain: noop, onShutdown: noop,
        onClose: noop, onFailure: noop, onServername: () => undefined });
      const l = a.listen(1, '127.0.0.1', 0, 511, 10000, 10, 'ECDHE-ECDSA-AES128-GCM-SHA256',
        'TLS_AES_128_GCM_SHA256', Buffer.alloc(0));
      parentPort.postMessage(a.listenerPort(l));
      parentPort.on('message', () => process.exit(0));`;
    const main = `
      const { Worker } = require('node:worker_threads');
      const { connect } = require('node:net');
      const w = new Worker(${JSON.stringify(worker)}, { eval: true });
      w.on('message', (port) => {
        const s = connect(port, '127.0.0.1', () => s.write(Buffer.from([0x16, 3, 1, 0, 64])));
        s.on('error', () => {});
        s.on('data', () => {});
        setImmediate(() => w.postMessage('exit'));
      });
      w.on('exit', (code) => { console.log('worker exit ' + code); process.exit(0); });`;
    const child = spawn(process.execPath, ['-e', main], { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => child.kill());
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    expect({ code, signal, out: out.trim() }).toEqual({ code: 0, signal: null, out: 'worker exit 0' });
  });
});

describe('native TLS front: renegotiation', () => {
  it('refuses TLS 1.2 client-initiated renegotiation and keeps serving', async () => {
    const bed = startBed();
    const client = await connectTls(bed.port, { maxVersion: 'TLSv1.2' });
    expect(client.getProtocol()).toBe('TLSv1.2');
    await roundTrip(client, Buffer.from('before'));
    const outcome = await new Promise<string>((resolve) => {
      client.once('close', () => resolve('closed'));
      client.once('error', () => resolve('error'));
      const started = client.renegotiate({ rejectUnauthorized: true }, (err) =>
        resolve(err ? 'error' : 'renegotiated'),
      );
      if (!started) resolve('error');
    });
    expect(outcome).not.toBe('renegotiated');
    await stillServes(bed.port);
  });
});
