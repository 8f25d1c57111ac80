/**
 * Defect 1 of issue 12: a connection to a port with HTTP rules (or declared HTTP) is never
 * relayed as opaque TCP — not after the detection timeout, not for non-HTTP bytes, not for
 * a preamble claiming "opaque" — through the client sidecar, over mTLS, or in plaintext.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  denyPaths,
  dialMeshWithPreamble,
  dialPlain,
  pushInboundPolicy,
  readUntilClose,
} from '../../testing/attack-client.js';
import { A_ID, type MeshPair, startMeshPair } from '../../testing/mesh-pair.js';
import { type RecordingApp, startRecordingApp } from '../../testing/recording-app.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const DETECT_MS = 150;
const ADMIN = 'GET /admin HTTP/1.1\r\nhost: b\r\n\r\n';

async function setup(): Promise<{ app: RecordingApp; p: MeshPair }> {
  const app = await startRecordingApp();
  closers.push(() => app.close());
  const p = await startMeshPair(app.port, {
    a: { detectTimeoutMs: DETECT_MS },
    b: { detectTimeoutMs: DETECT_MS },
  });
  closers.push(() => p.close());
  return { app, p };
}

/**
 * What happens to `socket`: the proxy closes it ('closed', with what it answered), or it is
 * relayed to the app ('relayed': then `then` is written, as the attacker would).
 */
async function outcome(
  app: RecordingApp,
  socket: Socket,
  then = ADMIN,
): Promise<{ type: 'closed'; answer: string } | { type: 'relayed' }> {
  closers.push(() => socket.destroy());
  const closed = readUntilClose(socket).then((answer) => ({ type: 'closed' as const, answer }));
  const relayed = app.nextConnection().then(() => ({ type: 'relayed' as const }));
  const r = await Promise.race([closed, relayed]);
  if (r.type === 'relayed') socket.write(then);
  return r;
}

describe('no opaque fallback on L7 ports (inbound, plaintext permissive)', () => {
  it('closes an idle connection after the detection timeout instead of relaying it', async () => {
    const { app, p } = await setup();
    pushInboundPolicy(p.bState, [denyPaths('default/no-admin', ['/admin'])]);
    const r = await outcome(app, await dialPlain(p.bPorts.inbound));
    expect(r).toEqual({ type: 'closed', answer: '' });
    expect(app.connections).toHaveLength(0);
    expect(p.b.metrics.l7Refused.get({ listener: 'inbound', reason: 'detect-timeout' })).toBe(1);
  });

  it('answers 400 to a stalled request line that looks like HTTP', async () => {
    const { app, p } = await setup();
    pushInboundPolicy(p.bState, [denyPaths('default/no-admin', ['/admin'])]);
    const s = await dialPlain(p.bPorts.inbound);
    s.write('GE');
    const r = await outcome(app, s);
    expect(r.type).toBe('closed');
    expect(r.type === 'closed' && r.answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(app.paths).toEqual([]);
  });

  it('closes a connection whose first bytes are not HTTP', async () => {
    const { app, p } = await setup();
    pushInboundPolicy(p.bState, [denyPaths('default/no-admin', ['/admin'])]);
    const s = await dialPlain(p.bPorts.inbound);
    s.write('\x00\x01binary');
    expect(await outcome(app, s)).toEqual({ type: 'closed', answer: '' });
    expect(p.b.metrics.l7Refused.get({ listener: 'inbound', reason: 'not-http' })).toBe(1);
  });

  it('treats a port the control plane declared HTTP as L7 even without path rules', async () => {
    const { app, p } = await setup();
    pushInboundPolicy(p.bState, [], { ports: [{ port: 80, protocol: 'PROTOCOL_HTTP' }] });
    expect((await outcome(app, await dialPlain(p.bPorts.inbound))).type).toBe('closed');
    expect(app.connections).toHaveLength(0);
  });

  it('still relays a port with no HTTP rules and no declared protocol (detection fallback)', async () => {
    const { app, p } = await setup();
    pushInboundPolicy(p.bState, []);
    expect((await outcome(app, await dialPlain(p.bPorts.inbound))).type).toBe('relayed');
  });
});

describe('no opaque fallback on L7 ports (inbound, mTLS preamble)', () => {
  it('refuses a preamble claiming "opaque" for a port with path rules', async () => {
    const { app, p } = await setup();
    pushInboundPolicy(p.bState, [denyPaths('default/no-admin', ['/admin'])]);
    const s = await dialMeshWithPreamble(p.bPorts.inbound, p.ca.issue(A_ID), 'opaque', 80);
    s.write(ADMIN);
    expect(await outcome(app, s)).toEqual({ type: 'closed', answer: '' });
    expect(app.paths).toEqual([]);
    expect(p.b.metrics.l7Refused.get({ listener: 'inbound', reason: 'preamble-opaque-on-l7-port' })).toBe(1);
  });

  it('refuses an HTTP preamble for a port the control plane declared TCP, and relays an opaque one', async () => {
    const { app, p } = await setup();
    pushInboundPolicy(p.bState, [], { ports: [{ port: 80, protocol: 'PROTOCOL_TCP' }] });
    const bad = await dialMeshWithPreamble(p.bPorts.inbound, p.ca.issue(A_ID), 'http1', 80);
    expect((await outcome(app, bad)).type).toBe('closed');
    expect(p.b.metrics.l7Refused.get({ listener: 'inbound', reason: 'preamble-http-on-tcp-port' })).toBe(1);
    const ok = await dialMeshWithPreamble(p.bPorts.inbound, p.ca.issue(A_ID), 'opaque', 80);
    expect((await outcome(app, ok)).type).toBe('relayed');
  });

  it('denies an opaque connection to a declared-TCP port outright when a Deny rule names paths', async () => {
    const { app, p } = await setup();
    pushInboundPolicy(p.bState, [denyPaths('default/no-admin', ['/admin'])], {
      ports: [{ port: 80, protocol: 'PROTOCOL_TCP' }],
    });
    const s = await dialMeshWithPreamble(p.bPorts.inbound, p.ca.issue(A_ID), 'opaque', 80);
    expect((await outcome(app, s)).type).toBe('closed');
    expect(p.b.metrics.authzDenied.get({ direction: 'inbound', policy: 'default/no-admin' })).toBe(1);
  });
});

describe('no opaque fallback on L7 ports (through the client sidecar)', () => {
  it('refuses at the client sidecar when the destination is declared HTTP', async () => {
    const { app, p } = await setup();
    pushInboundPolicy(p.bState, [denyPaths('default/no-admin', ['/admin'])]);
    p.pushDestination({ protocol: 'PROTOCOL_HTTP' });
    expect(await outcome(app, await dialPlain(p.upstreamPort))).toEqual({ type: 'closed', answer: '' });
    expect(p.a.metrics.l7Refused.get({ listener: 'outbound', reason: 'detect-timeout' })).toBe(1);
    expect(app.connections).toHaveLength(0);
  });

  it('is refused by the server sidecar when the client does not know the protocol', async () => {
    const { app, p } = await setup();
    pushInboundPolicy(p.bState, [denyPaths('default/no-admin', ['/admin'])]);
    p.pushDestination({ protocol: 'PROTOCOL_UNSPECIFIED' });
    const s = await dialPlain(p.upstreamPort);
    s.write('\x00not http');
    expect((await outcome(app, s)).type).toBe('closed');
    expect(p.b.metrics.l7Refused.get({ listener: 'inbound', reason: 'preamble-opaque-on-l7-port' })).toBe(1);
    expect(app.connections).toHaveLength(0);
  });
});
