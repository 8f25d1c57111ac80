/**
 * The native TLS front's certificates, listeners and process: bad PEM, bind errors, closing a
 * listener with connections open or mid-handshake, port and cap checks, a worker thread's exit,
 * and TLS 1.2 renegotiation refused.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createNetServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ADDON_FROM_HERE,
  type Bed,
  certA,
  certB,
  cleanups,
  closed,
  connectTls,
  ctxA,
  front,
  HOST,
  rawClient,
  roundTrip,
  startBed,
  stillServes,
  useNativeTlsFront,
} from './test-native-tls.js';

useNativeTlsFront();

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
