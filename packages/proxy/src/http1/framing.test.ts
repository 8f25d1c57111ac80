import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noControlPlane } from '../discovery/no-control-plane.js';
import { defaultProxyOptions } from '../options.js';
import { Sidecar } from '../proxy.js';
import { StaticCertificateSource } from '../tls/certificate-source.js';

/** A raw upstream: the reply for each request is chosen by its path. */
const replies: Record<string, (sock: Socket) => void> = {
  '/chunked': (s) =>
    s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n'),
  '/until-close': (s) => s.end('HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\nall of it'),
  '/continue': (s) => s.write('HTTP/1.1 100 Continue\r\n\r\n'),
};
let upstream: Server;
let sidecar: Sidecar;
let port: number;

beforeAll(async () => {
  upstream = createServer((sock) => {
    let buf = '';
    let sentContinue = false;
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (!buf.includes('\r\n\r\n')) return;
      const path = /^[A-Z]+ (\S+)/.exec(buf)?.[1] ?? '';
      if (path === '/continue') {
        // Answer 100 to the head, then 200 once the body arrived.
        if (!sentContinue) {
          sentContinue = true;
          replies['/continue']!(sock);
        }
        if (!buf.endsWith('payload')) return;
        sock.write('HTTP/1.1 200 OK\r\ncontent-length: 8\r\n\r\nreceived');
      } else replies[path]?.(sock);
      buf = '';
    });
    sock.on('error', () => {});
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  const authority = `127.0.0.1:${(upstream.address() as AddressInfo).port}`;
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
    }),
    { certificates: new StaticCertificateSource(), resolver: noControlPlane, policies: noControlPlane },
  );
  port = (await sidecar.start()).upstreams[authority]!;
});

afterAll(async () => {
  await sidecar.close();
  upstream.close();
});

/** Writes `bytes`, resolves with what arrives until `done(text)` is true or the socket closes. */
function exchange(
  bytes: string[],
  done: (text: string) => boolean,
): Promise<{ text: string; closed: boolean }> {
  const s = connect(port, '127.0.0.1');
  let text = '';
  return new Promise((resolve) => {
    s.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (done(text)) {
        resolve({ text, closed: false });
        s.destroy();
      } else if (text.includes('100 Continue') && bytes.length > 0) s.write(bytes.shift()!);
    });
    s.on('close', () => resolve({ text, closed: true }));
    s.write(bytes.shift()!);
  });
}

describe('HTTP/1 framing between versions', () => {
  it('de-chunks a chunked response for an HTTP/1.0 client and closes', async () => {
    const r = await exchange(['GET /chunked HTTP/1.0\r\n\r\n'], () => false);
    expect(r.closed).toBe(true);
    expect(r.text).toMatch(/^HTTP\/1\.0 200 OK\r\n/);
    expect(r.text).not.toMatch(/transfer-encoding/i);
    expect(r.text.endsWith('\r\n\r\nhello world')).toBe(true);
  });

  it('re-chunks a close-delimited response for an HTTP/1.1 client and keeps the connection', async () => {
    const r = await exchange(['GET /until-close HTTP/1.1\r\nHost: a\r\n\r\n'], (t) =>
      t.endsWith('0\r\n\r\n'),
    );
    expect(r.closed).toBe(false);
    expect(r.text).toMatch(/transfer-encoding: chunked\r\n/);
    expect(r.text).toContain('\r\n\r\n9\r\nall of it\r\n0\r\n\r\n');
  });

  it('relays 100 Continue, then the body, then the final response', async () => {
    const r = await exchange(
      ['POST /continue HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\nExpect: 100-continue\r\n\r\n', 'payload'],
      (t) => t.endsWith('received'),
    );
    expect(r.text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
  });
});
