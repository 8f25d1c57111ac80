import { once } from 'node:events';
import { checkServerIdentity, type PeerCertificate, type SecureVersion, type TLSSocket } from 'node:tls';
import { describe, expect, it } from 'vitest';
import {
  captureClientHello,
  closed,
  connectTls,
  ctxA,
  ctxB,
  failedHandshake,
  fingerprintA,
  fingerprintB,
  LABEL,
  prng,
  randomBytes,
  rawClient,
  readBytes,
  roundTrip,
  secured,
  startBed,
  startTap,
  stillServes,
  tlsClient,
  total,
  useNativeTlsFront,
} from './test-native-tls.js';

useNativeTlsFront();

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
