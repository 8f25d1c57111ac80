/**
 * The keep-alive race over real sockets: an upstream that closes a kept-alive connection exactly
 * when it is reused (before answering). The proxy's one retry state machine resends an
 * idempotent request once on a fresh connection and counts it; a POST whose body went out is
 * not resent (the upstream may have acted on it).
 */
import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { response } from '../../testing/mesh-pair.js';
import { noControlPlane } from '../discovery/no-control-plane.js';
import { DiscoveryState } from '../discovery/state.js';
import { defaultProxyOptions } from '../options.js';
import { Sidecar } from '../proxy.js';
import { StaticCertificateSource } from '../tls/certificate-source.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/**
 * An HTTP/1.1 origin by hand: the first request on each connection gets `200 ok:<n>` (kept
 * alive); any later bytes on that connection close it unanswered, as a server whose keep-alive
 * timeout fired just as the client reused the connection.
 */
async function closingOrigin() {
  const stats = { connections: 0, answered: 0, closedOnReuse: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    const n = ++stats.connections;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = '';
    let answered = false;
    socket.on('data', (chunk: Buffer) => {
      if (answered) {
        stats.closedOnReuse++;
        socket.destroy();
        return;
      }
      buf += chunk.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
      if (buf.length < end + 4 + length) return;
      answered = true;
      stats.answered++;
      const body = `ok:${n}`;
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return { port: (server.address() as AddressInfo).port, stats };
}

/** A sidecar without a control plane whose upstream listener for the origin's address passes traffic out (egress). */
async function egressSidecar(originPort: number) {
  const authority = `127.0.0.1:${originPort}`;
  const sidecar = new Sidecar(
    defaultProxyOptions({
      namespace: 'shop',
      service: 'client',
      listenHost: '127.0.0.1',
      adminHost: '127.0.0.1',
      inboundPort: 0,
      outboundPort: 0,
      adminPort: 0,
      upstreams: [{ authority, host: '127.0.0.1', port: 0 }],
    }),
    { certificates: new StaticCertificateSource(), resolver: noControlPlane, policies: noControlPlane },
  );
  const ports = await sidecar.start();
  closers.push(() => sidecar.close());
  const port = ports.upstreams[authority];
  if (port === undefined) throw new Error('no upstream listener');
  const resends = () => {
    const m = /weft_proxy_stale_connection_resends_total\{direction="outbound"\} (\d+)/.exec(
      sidecar.metrics.registry.render(),
    );
    return Number(m?.[1] ?? 0);
  };
  return { port, resends };
}

/** Reads a counter series from the sidecar's registry (0 when absent). */
function counter(sidecar: Sidecar, series: string): number {
  const text = sidecar.metrics.registry.render();
  const at = text.indexOf(`${series} `);
  return at < 0 ? 0 : Number(text.slice(at + series.length + 1).split('\n')[0]);
}

/** A sidecar whose discovery names the origin as the one endpoint of a mesh destination (balanced, with retries). */
async function balancedSidecar(originPort: number) {
  const authority = 'api.shop.svc.cluster.local:80';
  const state = new DiscoveryState();
  const sidecar = new Sidecar(
    defaultProxyOptions({
      namespace: 'shop',
      service: 'client',
      listenHost: '127.0.0.1',
      adminHost: '127.0.0.1',
      inboundPort: 0,
      outboundPort: 0,
      adminPort: 0,
      upstreams: [{ authority, host: '127.0.0.1', port: 0 }],
    }),
    { certificates: new StaticCertificateSource(), resolver: state, policies: state },
  );
  const ports = await sidecar.start();
  closers.push(() => sidecar.close());
  const endpoint = {
    address: '127.0.0.1',
    port: originPort,
    identity: '',
    weight: 1,
    zone: '',
    meshed: null,
    labels: {},
  };
  state.apply(
    response([
      {
        name: authority,
        version: '1',
        kind: 'destination',
        destination: {
          authority,
          service: 'api',
          namespace: 'shop',
          port: 80,
          protocol: 'PROTOCOL_HTTP',
          routes: [],
          backends: [
            { name: 'api.shop:80', service: 'api', namespace: 'shop', port: 80, endpoints: [endpoint] },
          ],
          policy: null,
        },
      },
    ]),
  );
  return { port: ports.upstreams[authority] as number, sidecar };
}

/** One request on a new client connection (so only the proxy's upstream pool reuses connections). */
function send(port: number, method: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: '/', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('stale keep-alive connections', () => {
  it('resends a GET once on a fresh connection when the reused one closes unanswered, and counts it', async () => {
    const origin = await closingOrigin();
    const proxy = await egressSidecar(origin.port);
    expect(await send(proxy.port, 'GET')).toEqual({ status: 200, body: 'ok:1' });
    // The proxy reuses connection 1; the origin closes it; the request goes out again on connection 2.
    expect(await send(proxy.port, 'GET')).toEqual({ status: 200, body: 'ok:2' });
    expect(origin.stats).toEqual({ connections: 2, answered: 2, closedOnReuse: 1 });
    expect(proxy.resends()).toBe(1);
  });

  it('does not resend a POST whose body went out: 502, one connection, nothing counted', async () => {
    const origin = await closingOrigin();
    const proxy = await egressSidecar(origin.port);
    expect((await send(proxy.port, 'GET')).status).toBe(200);
    const r = await send(proxy.port, 'POST', 'order=42');
    expect(r.status).toBe(502);
    expect(r.body).toMatch(/upstream closed the connection before responding/);
    expect(origin.stats).toEqual({ connections: 1, answered: 1, closedOnReuse: 1 });
    expect(proxy.resends()).toBe(0);
  });

  it('on a balanced destination: a stale connection is resent, not retried; a POST that went out is not resent', async () => {
    const origin = await closingOrigin();
    const proxy = await balancedSidecar(origin.port);
    expect(await send(proxy.port, 'GET')).toEqual({ status: 200, body: 'ok:1' });
    expect(await send(proxy.port, 'GET')).toEqual({ status: 200, body: 'ok:2' });
    const resends = 'weft_proxy_stale_connection_resends_total{direction="outbound"}';
    expect(counter(proxy.sidecar, resends)).toBe(1);
    expect(counter(proxy.sidecar, 'weft_proxy_retries_total{backend="api.shop:80"}')).toBe(0);
    // Connection 2 is idle now: the POST reuses it, the origin closes it, and a POST that sent its
    // body is neither resent nor retried (the default policy retries resets of idempotent requests only).
    const r = await send(proxy.port, 'POST', 'order=42');
    expect(r.status).toBe(502);
    expect(origin.stats).toEqual({ connections: 2, answered: 2, closedOnReuse: 2 });
    expect(counter(proxy.sidecar, resends)).toBe(1);
  });
});
