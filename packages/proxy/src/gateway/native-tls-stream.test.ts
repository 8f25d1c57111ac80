/**
 * The native TLS front's connections after the handshake: hostile peers (bad records, FIN without
 * close_notify, destroys inside callbacks, throwing handlers), the connection cap, flow control
 * in both directions, orderly and abrupt ends, and idle timeouts.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { connect as netConnect } from 'node:net';
import { checkServerIdentity, type PeerCertificate, type TLSSocket } from 'node:tls';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { NativeTlsSocket } from './native-tls.js';
import {
  type Bed,
  certA,
  certB,
  cleanups,
  closed,
  connectTls,
  echo,
  failedHandshake,
  fingerprintA,
  fingerprintB,
  front,
  HOST,
  hasOpenssl,
  MiB,
  prng,
  randomBytes,
  readBytes,
  recordTypes,
  roundTrip,
  secured,
  sha256,
  startBed,
  startTap,
  stillServes,
  tlsClient,
  total,
  useNativeTlsFront,
  writeWithBackpressure,
} from './test-native-tls.js';

useNativeTlsFront();

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
