import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noControlPlane } from '../discovery/no-control-plane.js';
import { defaultProxyOptions } from '../options.js';
import { Sidecar } from '../proxy.js';
import { StaticCertificateSource } from '../tls/certificate-source.js';

/** An upstream that records every request line it receives and answers each with 200. */
let recorder: Server;
let recorded: string[] = [];
let sidecar: Sidecar;
let port: number;

beforeAll(async () => {
  recorder = createServer((sock) => {
    let buf = '';
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.slice(0, end);
        recorded.push(head.split('\r\n')[0]!);
        const cl = /\r\ncontent-length: (\d+)/i.exec(head);
        const bodyLen = cl ? Number(cl[1]) : 0;
        if (/transfer-encoding: chunked/i.test(head)) {
          const term = buf.indexOf('0\r\n\r\n', end + 4);
          if (term < 0) return;
          buf = buf.slice(term + 5);
        } else {
          if (buf.length < end + 4 + bodyLen) return;
          buf = buf.slice(end + 4 + bodyLen);
        }
        sock.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      }
    });
    sock.on('error', () => {});
  });
  recorder.listen(0, '127.0.0.1');
  await once(recorder, 'listening');
  const authority = `127.0.0.1:${(recorder.address() as AddressInfo).port}`;
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
        maxConnections: 100,
        headersTimeoutMs: 2000,
        idleTimeoutMs: 10_000,
        requestTimeoutMs: 10_000,
      },
    }),
    { certificates: new StaticCertificateSource(), resolver: noControlPlane, policies: noControlPlane },
  );
  const ports = await sidecar.start();
  port = ports.upstreams[authority]!;
});

afterAll(async () => {
  await sidecar.close();
  recorder.close();
});

/** Sends raw bytes; resolves with everything the proxy sent back once it closed the connection. */
async function raw(bytes: string): Promise<string> {
  const s = connect(port, '127.0.0.1');
  const got: Buffer[] = [];
  s.on('data', (d: Buffer) => got.push(d));
  s.write(Buffer.from(bytes, 'latin1'));
  await once(s, 'close');
  return Buffer.concat(got).toString('latin1');
}

const H = 'Host: a\r\n';
const cases: [string, number, string][] = [
  ['CL.TE', 400, `POST / HTTP/1.1\r\n${H}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG`],
  [
    'TE.CL',
    400,
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n`,
  ],
  ['obfuscated TE (xchunked)', 400, `POST / HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`],
  [
    'obfuscated TE (list)',
    400,
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`,
  ],
  [
    'obfuscated TE (vertical tab)',
    400,
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding:\x0bchunked\r\n\r\n0\r\n\r\n`,
  ],
  [
    'duplicate TE',
    400,
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
  ],
  ['duplicate Content-Length', 400, `POST / HTTP/1.1\r\n${H}Content-Length: 1\r\nContent-Length: 1\r\n\r\nA`],
  ['Content-Length list', 400, `POST / HTTP/1.1\r\n${H}Content-Length: 1, 1\r\n\r\nA`],
  ['space before the colon', 400, `POST / HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n`],
  ['bare LF line endings', 400, 'GET / HTTP/1.1\nHost: a\n\n'],
  ['bare LF inside the head', 400, `GET / HTTP/1.1\r\n${H}X-A: b\nContent-Length: 5\r\n\r\n`],
  ['bare CR inside the head', 400, `GET / HTTP/1.1\r\n${H}X-A: b\rContent-Length: 5\r\n\r\n`],
  ['obs-fold', 400, `GET / HTTP/1.1\r\n${H}X-A: b\r\n c\r\n\r\n`],
  ['invalid header name', 400, `GET / HTTP/1.1\r\n${H}X@A: b\r\n\r\n`],
  ['missing Host', 400, 'GET / HTTP/1.1\r\n\r\n'],
  ['invalid request line', 400, 'GET  / HTTP/1.1\r\nHost: a\r\n\r\n'],
  ['header section too large', 431, `GET / HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(5000)}\r\n\r\n`],
  ['CONNECT tunnels', 501, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'],
  ['too many header fields', 431, `GET / HTTP/1.1\r\n${H}${'X-N: 1\r\n'.repeat(30)}\r\n`],
];

describe('strict HTTP/1.1 parsing against smuggling', () => {
  it.each(cases)('%s is answered %i and closed, with nothing forwarded', async (_name, status, bytes) => {
    recorded = [];
    const reply = await raw(bytes);
    expect(reply.startsWith(`HTTP/1.1 ${status} `)).toBe(true);
    expect(reply).toContain('connection: close');
    expect(recorded).toEqual([]);
  });

  it('forwards a valid request and refuses the smuggled one behind it, so the upstream sees one request', async () => {
    recorded = [];
    const reply = await raw(
      `GET /first HTTP/1.1\r\n${H}\r\nGET /second HTTP/1.1\r\n${H}Content-Length: 1\r\nContent-Length: 2\r\n\r\nAB`,
    );
    expect(reply.slice(0, 15)).toBe('HTTP/1.1 200 OK');
    expect(reply).toContain('HTTP/1.1 400 ');
    expect(recorded).toEqual(['GET /first HTTP/1.1']);
  });

  it('refuses an invalid chunked body mid-request and closes', async () => {
    recorded = [];
    const reply = await raw(
      `POST /c HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\nGET /evil HTTP/1.1\r\n\r\n`,
    );
    expect(reply.startsWith('HTTP/1.1 400 ')).toBe(true);
    expect(recorded.filter((r) => r.includes('/evil'))).toEqual([]);
  });

  it('counts refused requests', () => {
    expect(
      sidecar.metrics.requestErrors.get({ direction: 'outbound', reason: 'bad-request' }),
    ).toBeGreaterThanOrEqual(cases.length);
  });
});
