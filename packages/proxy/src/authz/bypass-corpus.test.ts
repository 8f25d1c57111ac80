/**
 * Issue 12's authorization bypass corpus: every target and Host variant, over HTTP/1.1 and
 * HTTP/2, through the client sidecar, directly over mTLS and in plaintext (permissive). No
 * path a rule denies may reach the app under RFC 3986 normalization, the app receives the
 * normalized path the policy matched, and the detection-timeout trick reaches nothing.
 */
import http2 from 'node:http2';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dialMeshWithPreamble,
  dialPlain,
  pushInboundPolicy,
  readUntilClose,
} from '../../testing/attack-client.js';
import {
  DENIED_PATTERNS,
  HOST_TARGETS,
  HOSTS,
  isDenied,
  rfc3986Path,
  TARGETS,
} from '../../testing/bypass-corpus.js';
import { A_ID, type MeshPair, startMeshPair } from '../../testing/mesh-pair.js';
import { type RecordingApp, startRecordingApp } from '../../testing/recording-app.js';

const DETECT_MS = 150;
let app: RecordingApp;
let p: MeshPair;
/** The certificate this test presents as a meshed peer (issued once). */
let peer: ReturnType<MeshPair['ca']['issue']>;

beforeAll(async () => {
  app = await startRecordingApp();
  p = await startMeshPair(app.port, { a: { detectTimeoutMs: DETECT_MS }, b: { detectTimeoutMs: DETECT_MS } });
  pushInboundPolicy(p.bState, [
    {
      name: 'default/no-admin',
      action: 'AUTHORIZATION_ACTION_DENY',
      from: [],
      to: [{ ports: [], methods: [], paths: [...DENIED_PATTERNS] }],
    },
  ]);
  p.pushDestination({ protocol: 'PROTOCOL_HTTP' });
  peer = p.ca.issue(A_ID);
}, 30_000);

afterAll(async () => {
  await p.close();
  await app.close();
});

type Route = 'client-sidecar' | 'mtls' | 'plaintext';
const ROUTES: readonly Route[] = ['client-sidecar', 'mtls', 'plaintext'];

/** A connection to B's app port 80 along `route`, speaking `protocol` next. */
async function dial(route: Route, protocol: 'http1' | 'h2'): Promise<Socket> {
  if (route === 'client-sidecar') return dialPlain(p.upstreamPort);
  if (route === 'plaintext') return dialPlain(p.bPorts.inbound);
  return dialMeshWithPreamble(p.bPorts.inbound, peer, protocol, 80);
}

/** Sends one raw HTTP/1.1 request; resolves with the response status (0: closed without one). */
async function sendHttp1(route: Route, target: string, host: string): Promise<number> {
  const s = await dial(route, 'http1');
  const closed = readUntilClose(s);
  s.write(`GET ${target} HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`, 'latin1');
  const answer = await closed;
  const m = /^HTTP\/1\.1 (\d{3}) /.exec(answer);
  return m === null ? 0 : Number(m[1]);
}

/** Sends one HTTP/2 request on a fresh session; resolves with the status (0: refused or reset). */
async function sendH2(route: Route, target: string, authority: string): Promise<number> {
  const socket = await dial(route, 'h2');
  const session = http2.connect('http://b', { createConnection: () => socket });
  session.on('error', () => {});
  try {
    const req = session.request({ ':method': 'GET', ':path': target, ':authority': authority });
    return await new Promise<number>((resolve) => {
      let status = 0;
      req.on('response', (h) => {
        status = Number(h[':status']);
      });
      req.on('error', () => resolve(0));
      req.on('close', () => resolve(status));
      req.resume();
      req.end();
    });
  } catch {
    // The client library refused to send it (e.g. a raw control byte): nothing left the test.
    return 0;
  } finally {
    session.destroy();
    socket.destroy();
  }
}

function send(protocol: 'http1' | 'h2', route: Route, target: string, host: string): Promise<number> {
  return protocol === 'http1' ? sendHttp1(route, target, host) : sendH2(route, target, host);
}

describe.each(['http1', 'h2'] as const)('bypass corpus over %s', (protocol) => {
  it.each(ROUTES)(
    'via %s: no denied path reaches the app, and the app sees the normalized path',
    async (route) => {
      const before = app.paths.length;
      const statuses = new Map<string, number>();
      for (const target of TARGETS) statuses.set(target, await send(protocol, route, target, 'b'));
      for (const host of HOSTS) {
        for (const target of HOST_TARGETS)
          statuses.set(`${host} ${target}`, await send(protocol, route, target, host));
      }
      const received = app.paths.slice(before);
      expect(received.filter(isDenied)).toEqual([]);
      // What the app got is already normalized: policy and app agree on the path.
      for (const path of received) expect(rfc3986Path(path)).toBe(path.split('?')[0]);
      // The controls were denied, proving the policy was in force on this route.
      expect(statuses.get('/admin')).toBe(403);
      expect(statuses.get('/%61dmin')).toBe(403);
      expect(statuses.get('/x/../admin')).toBe(403);
      expect(statuses.get('b.default.svc.cluster.local /admin')).toBe(403);
      // Invalid targets are answered 400 (or never get a response), never forwarded.
      for (const t of ['/admin#frag', '/%C0%AFadmin', '/admin%00', 'admin', '/x\\..\\admin']) {
        expect([0, 400]).toContain(statuses.get(t));
      }
      // Allowed paths still work.
      expect(await send(protocol, route, '/public/x', 'b')).toBe(200);
    },
    120_000,
  );
});

describe('the detection-timeout trick', () => {
  it.each(ROUTES)('via %s: an idle connection is closed, and nothing reaches the app', async (route) => {
    const connectionsBefore = app.connections.length;
    const s = await dial(route, 'http1');
    if (route === 'mtls') {
      // A preamble claiming "opaque" is refused at once, with no need to wait.
      s.destroy();
      const opaque = await dialMeshWithPreamble(p.bPorts.inbound, peer, 'opaque', 80);
      opaque.write('GET /admin HTTP/1.1\r\nhost: b\r\n\r\n');
      expect(await readUntilClose(opaque)).toBe('');
    } else {
      // Wait past the detection timeout: the proxy closes the connection (the observable event).
      expect(await readUntilClose(s)).toBe('');
    }
    expect(app.connections.length).toBe(connectionsBefore);
  });
});
