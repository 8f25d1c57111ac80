import { describe, expect, it } from 'vitest';
import { parseHead } from './head-parser.js';
import { serializeRequestHead, serializeResponseHead } from './serialize.js';

const limits = { maxHeadBytes: 8192, maxHeaders: 50 };
const req = (s: string) => parseHead(Buffer.from(s, 'latin1'), true, limits);
const res = (s: string, method = 'GET') => parseHead(Buffer.from(s, 'latin1'), false, limits, method);

describe('parseHead', () => {
  it('parses a request, drops hop-by-hop headers and those named in Connection', () => {
    const r = req(
      'GET /a?b=1 HTTP/1.1\r\nHost: Example:80\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: 5\r\nX-End: v  \r\n\r\nrest',
    );
    expect(r.type).toBe('head');
    if (r.type !== 'head') return;
    expect(r.length).toBe(r.length);
    expect(r.head.method).toBe('GET');
    expect(r.head.target).toBe('/a?b=1');
    expect(r.head.host).toBe('example:80');
    expect(r.head.headers).toEqual(['Host', 'Example:80', 'X-End', 'v']);
    expect(r.head.framing).toEqual({ kind: 'none' });
    expect(r.head.close).toBe(false);
  });

  it('reports incomplete heads and measures the head length', () => {
    expect(req('GET / HTTP/1.1\r\nHost: a\r\n').type).toBe('incomplete');
    const r = req('GET / HTTP/1.1\r\nHost: a\r\n\r\nXYZ');
    expect(r.type === 'head' && r.length).toBe(27);
  });

  it('derives request framing from Content-Length or chunked', () => {
    const a = req('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n');
    expect(a.type === 'head' && a.head.framing).toEqual({ kind: 'length', length: 12 });
    const b = req('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n');
    expect(b.type === 'head' && b.head.framing).toEqual({ kind: 'chunked' });
  });

  it('knows which responses have no body and which run until close', () => {
    const head = res('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', 'HEAD');
    expect(head.type === 'head' && [head.head.framing.kind, head.head.contentLength]).toEqual(['none', 5]);
    const nc = res('HTTP/1.1 304 Not Modified\r\n\r\n');
    expect(nc.type === 'head' && nc.head.framing.kind).toBe('none');
    const close = res('HTTP/1.0 200 OK\r\n\r\n');
    expect(close.type === 'head' && [close.head.framing.kind, close.head.close]).toEqual(['close', true]);
    const up = res('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    expect(up.type === 'head' && [up.head.status, up.head.upgrade]).toEqual([101, 'websocket']);
  });

  it('answers 505 for other HTTP versions and 400 for garbage', () => {
    expect(req('GET / HTTP/2.0\r\nHost: a\r\n\r\n')).toMatchObject({ type: 'error', status: 505 });
    expect(req('\x00\x01 / HTTP/1.1\r\n\r\n')).toMatchObject({ type: 'error', status: 400 });
    expect(res('HTTP/1.1 99 Odd\r\n\r\n')).toMatchObject({ type: 'error', status: 400 });
  });
});

describe('parseHead header-count limit across a proxy hop (fuzz finding http1-head/framing-fields-over-limit)', () => {
  const fields = (n: number) => Array.from({ length: n }, (_, i) => `X-F${i}: v\r\n`).join('');

  it('counts end-to-end fields only, so regenerated framing fields cannot push a forwarded head over', () => {
    // A close-delimited response with exactly maxHeaders fields; re-chunked for a keep-alive client,
    // the proxy adds transfer-encoding: chunked, and the next hop parses it with the same limits.
    const first = res(`HTTP/1.1 200 OK\r\n${fields(limits.maxHeaders)}\r\n`);
    expect(first.type).toBe('head');
    if (first.type !== 'head') return;
    const forwarded = serializeResponseHead(first.head, 11, 'rechunk', true);
    const next = res(forwarded);
    expect(next.type).toBe('head');
    expect(next.type === 'head' && next.head.headers).toEqual(first.head.headers);
    // The same for a request with a body: the proxy regenerates content-length.
    const post = req(
      `POST / HTTP/1.1\r\nHost: a\r\n${fields(limits.maxHeaders - 1)}Content-Length: 2\r\n\r\n`,
    );
    expect(post.type).toBe('head');
    if (post.type !== 'head') return;
    expect(req(serializeRequestHead(post.head, '')).type).toBe('head');
  });

  it('still refuses more end-to-end fields than the limit, and hop-by-hop floods by head size', () => {
    expect(res(`HTTP/1.1 200 OK\r\n${fields(limits.maxHeaders + 1)}\r\n`)).toMatchObject({
      type: 'error',
      status: 431,
    });
    const hopFlood = 'Keep-Alive: 1\r\n'.repeat(Math.ceil(limits.maxHeadBytes / 15));
    expect(req(`GET / HTTP/1.1\r\nHost: a\r\n${hopFlood}\r\n`)).toMatchObject({ type: 'error', status: 431 });
  });
});
