/**
 * Opaque TCP through a sidecar's outbound-only path (an explicit upstream to a destination
 * outside the mesh): byte counts in the connection metrics are exact with splice and with the
 * JS copy, with and without protocol detection; and 1,000 relays leave no fd behind.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { type AddressInfo, connect, createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dialPlain, readUntilClose } from '../../testing/attack-client.js';
import { createTestCa } from '../../testing/certs.js';
import { startMeshPair } from '../../testing/mesh-pair.js';
import { closed, readToEnd, startRelay } from '../../testing/tcp-relay.js';
import { noControlPlane } from '../discovery/no-control-plane.js';
import { guard } from '../net/guard.js';
import { loadSplice, setSpliceDisabled } from '../net/splice.js';
import { DEFAULT_HARDENING, defaultProxyOptions, type ProxyOptions } from '../options.js';
import { Sidecar } from '../proxy.js';
import { StaticCertificateSource } from '../tls/certificate-source.js';
import { relaysStarted } from './splice-relay.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const ca = createTestCa();
const N_UP = 3 * 1024 * 1024 + 17; // client -> server
const N_DOWN = 2 * 1024 * 1024 + 5; // server -> client

/** A server that reads everything, then answers `down` bytes and finishes. */
async function sink(down: Buffer): Promise<{ port: number; received: Promise<number> }> {
  let resolveReceived: (n: number) => void = () => {};
  const received = new Promise<number>((r) => {
    resolveReceived = r;
  });
  const server = guard(
    createServer({ allowHalfOpen: true }, (s) => {
      guard(s);
      let n = 0;
      s.on('data', (c: Buffer) => {
        n += c.length;
      });
      s.on('end', () => {
        resolveReceived(n);
        s.end(down);
      });
    }),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return { port: (server.address() as AddressInfo).port, received };
}

async function sidecar(
  appPort: number,
  opaque: boolean,
  extra: Partial<ProxyOptions> = {},
): Promise<{ proxy: Sidecar; port: number }> {
  const authority = `127.0.0.1:${appPort}`;
  const proxy = new Sidecar(
    defaultProxyOptions({
      namespace: 'default',
      service: 'a',
      listenHost: '127.0.0.1',
      adminHost: '127.0.0.1',
      inboundPort: 0,
      outboundPort: 0,
      adminPort: 0,
      upstreams: [{ authority, host: '127.0.0.1', port: 0 }],
      ...(opaque ? { opaquePorts: new Set([appPort]) } : {}),
      ...extra,
    }),
    {
      certificates: new StaticCertificateSource(ca.issue('spiffe://cluster.local/ns/default/sa/a')),
      resolver: noControlPlane,
      policies: noControlPlane,
    },
  );
  const ports = await proxy.start();
  closers.push(() => proxy.close());
  return { proxy, port: ports.upstreams[authority]! };
}

/** The value of `name{labels}` in the proxy's metrics text. */
function sample(proxy: Sidecar, name: string, labels: string): number {
  const line = proxy.metrics.registry
    .render()
    .split('\n')
    .find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Resolves once the proxy closed both sides of the relay (as its metrics count them). */
async function relayClosed(proxy: Sidecar): Promise<void> {
  for (let i = 0; i < 100_000; i++) {
    const src = sample(proxy, 'weft_tcp_close_total', 'peer="src",target="upstream"');
    const dst = sample(proxy, 'weft_tcp_close_total', 'peer="dst",target="plain"');
    if (src === 1 && dst === 1) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error('the proxy did not close the relay');
}

describe.each([
  ['splice', false],
  ['copy', true],
] as const)('byte counts through the outbound-only relay (%s)', (mode, disable) => {
  beforeAll(() => setSpliceDisabled(disable));
  afterAll(() => setSpliceDisabled(false));

  it.each([
    ['an opaque port (no detection)', true],
    ['detection first (bytes read before the relay)', false],
  ])('counts exactly N bytes each way: %s', async (_name, opaque) => {
    const down = randomBytes(N_DOWN);
    const app = await sink(down);
    const { proxy, port } = await sidecar(app.port, opaque);
    const before = relaysStarted();
    const c = guard(connect({ port, host: '127.0.0.1', allowHalfOpen: true }));
    await once(c, 'connect');
    const reply = readToEnd(c);
    // Not HTTP: a zero byte first, so detection gives up at once.
    const up = randomBytes(N_UP);
    up[0] = 0;
    c.end(up);
    expect(await app.received).toBe(N_UP);
    expect((await reply).length).toBe(N_DOWN);
    const after = relaysStarted();
    const used = process.platform === 'linux' && mode === 'splice' ? 'splice' : 'copy';
    expect(after[used] - before[used]).toBe(1);
    // Exact while the sockets may still be open (read live from the relay) and after close.
    for (const when of ['live', 'closed']) {
      if (when === 'closed') await relayClosed(proxy);
      expect(sample(proxy, 'weft_tcp_read_bytes_total', 'peer="src",target="upstream"')).toBe(N_UP);
      expect(sample(proxy, 'weft_tcp_write_bytes_total', 'peer="src",target="upstream"')).toBe(N_DOWN);
      expect(sample(proxy, 'weft_tcp_read_bytes_total', 'peer="dst",target="plain"')).toBe(N_DOWN);
      expect(sample(proxy, 'weft_tcp_write_bytes_total', 'peer="dst",target="plain"')).toBe(N_UP);
    }
    c.destroy();
  });
});

/** Open fds, after closing the idle pipes the relays keep for reuse (at most 64). */
describe('a spliced connection in the proxy', () => {
  it('still counts against the connection cap, and drain closes it', async () => {
    const app = guard(
      createServer({ allowHalfOpen: true }, (s) => {
        guard(s).on('data', (d: Buffer) => s.write(d));
        s.on('end', () => s.end());
      }),
    );
    app.listen(0, '127.0.0.1');
    await once(app, 'listening');
    closers.push(() => new Promise<void>((r) => app.close(() => r())));
    const appPort = (app.address() as AddressInfo).port;
    const { proxy, port } = await sidecar(appPort, true, {
      hardening: { ...DEFAULT_HARDENING, maxTotalConnections: 1 },
    });
    const before = relaysStarted();
    const c = await dialPlain(port);
    c.write('ping');
    await once(c, 'data'); // relayed
    expect(relaysStarted().splice - before.splice).toBe(process.platform === 'linux' ? 1 : 0);
    const extra = await dialPlain(port);
    expect(await readUntilClose(extra)).toBe('');
    expect(
      proxy.metrics.connectionsRefused.get({ listener: 'upstream', reason: 'max-total-connections' }),
    ).toBe(1);
    expect(c.destroyed).toBe(false);
    const gone = closed(c);
    await proxy.close(); // destroys the spliced sockets: the relay ends, the client sees it
    await gone;
  });
});

describe('which relays splice', () => {
  /** An echo app that finishes after its client does. */
  async function echoApp(): Promise<number> {
    const app = guard(
      createServer({ allowHalfOpen: true }, (s) => {
        guard(s).on('data', (d: Buffer) => s.write(d));
        s.on('end', () => s.end());
      }),
    );
    app.listen(0, '127.0.0.1');
    await once(app, 'listening');
    closers.push(() => new Promise<void>((r) => app.close(() => r())));
    return (app.address() as AddressInfo).port;
  }

  async function echoThrough(port: number, data: Buffer): Promise<Buffer> {
    const c = guard(connect({ port, host: '127.0.0.1', allowHalfOpen: true }));
    await once(c, 'connect');
    const back = readToEnd(c);
    c.end(data);
    const got = await back;
    c.destroy();
    return got;
  }

  it('inbound pass-through of plaintext (permissive) splices; mTLS between sidecars copies', async () => {
    const appPort = await echoApp();
    const p = await startMeshPair(appPort, { b: { opaquePorts: new Set([80]) } });
    closers.push(() => p.close());
    const data = randomBytes(1024 * 1024);
    data[0] = 0; // not TLS, not HTTP
    const before = relaysStarted();
    expect((await echoThrough(p.bPorts.inbound, data)).equals(data)).toBe(true);
    const plain = relaysStarted();
    const spliced = process.platform === 'linux' ? 1 : 0;
    expect(plain.splice - before.splice).toBe(spliced);
    expect(plain.copy - before.copy).toBe(1 - spliced);
    // App -> A (plain) -> mTLS -> B -> app (plain): each sidecar has one TLS end.
    p.pushDestination({ protocol: 'PROTOCOL_TCP', appPort: 80 });
    expect((await echoThrough(p.upstreamPort, data)).equals(data)).toBe(true);
    const meshed = relaysStarted();
    expect(meshed.splice - plain.splice).toBe(0);
    expect(meshed.copy - plain.copy).toBe(2);
  });
});

function openFds(): number {
  loadSplice()?.splicePoolTrim();
  return readdirSync('/proc/self/fd').length;
}

describe.skipIf(process.platform !== 'linux')('fds', () => {
  it('1,000 spliced relays (half ended by their peers, half destroyed by the proxy) leave no fd open', async () => {
    const h = await startRelay((s) => {
      s.on('data', (d: Buffer) => s.write(d));
      s.on('end', () => s.end());
    });
    closers.push(() => h.close());
    const one = async (i: number) => {
      const c = await h.dial();
      c.write('x');
      await once(c, 'data'); // the relay is running
      const n = h.accepted.findIndex((a) => a.remotePort === c.localPort);
      if (i % 2 === 0) {
        c.end();
        await readToEnd(c);
      } else h.accepted[n]!.destroy(); // as drain does: the addon's duplicates must close too
      await h.relayDone(n);
      c.destroy();
      await closed(c);
    };
    await one(0); // warm up: lazily opened fds (epoll, pipes of the loop) are not leaks
    const before = openFds();
    for (let i = 1; i < 1000; i += 50) {
      const batch: Promise<void>[] = [];
      for (let j = i; j < Math.min(i + 50, 1000); j++) batch.push(one(j));
      await Promise.all(batch);
    }
    expect(h.modes.filter((m) => m === 'splice').length).toBe(1000);
    // Each leaked relay would hold 2 to 6 fds (2 duplicates, pipes): 999 relays could not hide.
    expect(openFds()).toBeLessThanOrEqual(before + 4);
  });
});
