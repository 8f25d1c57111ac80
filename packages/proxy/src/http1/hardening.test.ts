import { once } from 'node:events';
import http from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noControlPlane } from '../discovery/no-control-plane.js';
import { defaultProxyOptions } from '../options.js';
import { Sidecar } from '../proxy.js';
import { StaticCertificateSource } from '../tls/certificate-source.js';

let app: http.Server;
let sidecar: Sidecar;
let port: number;

beforeAll(async () => {
  app = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  app.listen(0, '127.0.0.1');
  await once(app, 'listening');
  const authority = `127.0.0.1:${(app.address() as AddressInfo).port}`;
  sidecar = new Sidecar(
    defaultProxyOptions({
      namespace: 'default',
      service: 't',
      listenHost: '127.0.0.1',
      adminHost: '127.0.0.1',
      inboundPort: 0,
      outboundPort: 0,
      adminPort: 0,
      upstreams: [{ authority, host: '127.0.0.1', port: 0 }],
      hardening: {
        maxHeadBytes: 4096,
        maxHeaders: 20,
        maxConnections: 2,
        headersTimeoutMs: 150,
        idleTimeoutMs: 300,
        requestTimeoutMs: 200,
      },
    }),
    { certificates: new StaticCertificateSource(), resolver: noControlPlane, policies: noControlPlane },
  );
  port = (await sidecar.start()).upstreams[authority]!;
});

afterAll(async () => {
  await sidecar.close();
  app.closeAllConnections();
  app.close();
});

function collect(s: ReturnType<typeof connect>): Promise<string> {
  const got: Buffer[] = [];
  s.on('data', (d: Buffer) => got.push(d));
  s.on('error', () => {});
  return once(s, 'close').then(() => Buffer.concat(got).toString('latin1'));
}

describe('listener hardening', () => {
  it('answers 408 and closes when the request head does not arrive in time', async () => {
    const s = connect(port, '127.0.0.1');
    s.write('GET / HTTP/1.1\r\nHost: a\r\n');
    const reply = await collect(s);
    expect(reply.startsWith('HTTP/1.1 408 ')).toBe(true);
    expect(sidecar.metrics.requestErrors.get({ direction: 'outbound', reason: 'headers-timeout' })).toBe(1);
  });

  it('answers 408 and closes when a request body stalls', async () => {
    const s = connect(port, '127.0.0.1');
    s.write('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc');
    const reply = await collect(s);
    expect(reply.startsWith('HTTP/1.1 408 ')).toBe(true);
    expect(sidecar.metrics.requestErrors.get({ direction: 'outbound', reason: 'request-timeout' })).toBe(1);
  });

  it('closes a keep-alive connection that stays idle', async () => {
    const s = connect(port, '127.0.0.1');
    const reply = collect(s);
    s.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    expect(await reply).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*\r\n\r\nok$/);
  });

  it('refuses connections beyond the maximum and counts them', async () => {
    const before = sidecar.metrics.connections.get({ listener: 'upstream' });
    const first = connect(port, '127.0.0.1');
    const second = connect(port, '127.0.0.1');
    await Promise.all([once(first, 'connect'), once(second, 'connect')]);
    // Wait until the proxy holds both (accept happens asynchronously).
    await expect.poll(() => sidecar.metrics.connections.get({ listener: 'upstream' })).toBe(before + 2);
    const third = connect(port, '127.0.0.1');
    third.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    expect(await collect(third)).toBe('');
    expect(sidecar.metrics.connectionsRefused.get({ listener: 'upstream', reason: 'max-connections' })).toBe(
      1,
    );
    first.destroy();
    second.destroy();
  });
});
