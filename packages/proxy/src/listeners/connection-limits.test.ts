/** The proxy-wide connection cap and the per-connection buffer cap (issue 12, defect 5). */
import { afterEach, describe, expect, it } from 'vitest';
import { dialPlain, readUntilClose } from '../../testing/attack-client.js';
import { startMeshPair } from '../../testing/mesh-pair.js';
import { DEFAULT_HARDENING } from '../options.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

describe('connection limits', () => {
  it('closes connections over the total cap at accept, across listeners, and counts them', async () => {
    const p = await startMeshPair(1, {
      b: {
        detectTimeoutMs: 60_000,
        upstreams: [{ authority: '127.0.0.1:1', host: '127.0.0.1', port: 0 }],
        hardening: { ...DEFAULT_HARDENING, maxTotalConnections: 3 },
      },
    });
    closers.push(() => p.close());
    const held = [];
    for (let i = 0; i < 3; i++)
      held.push(await dialPlain(i === 0 ? p.bPorts.upstreams['127.0.0.1:1']! : p.bPorts.inbound));
    for (const s of held) closers.push(() => s.destroy());
    const extra = await dialPlain(p.bPorts.inbound);
    expect(await readUntilClose(extra)).toBe('');
    expect(p.b.metrics.connectionsRefused.get({ listener: 'inbound', reason: 'max-total-connections' })).toBe(
      1,
    );
    // The connections under the cap stay open.
    expect(held.every((s) => !s.destroyed)).toBe(true);
  });

  it('closes an HTTP/1 connection that would buffer more than its cap, and counts it', async () => {
    const p = await startMeshPair(1, {
      b: { hardening: { ...DEFAULT_HARDENING, maxHeadBytes: 64 * 1024, maxConnectionBufferBytes: 4096 } },
    });
    closers.push(() => p.close());
    const s = await dialPlain(p.bPorts.inbound);
    const closed = readUntilClose(s);
    s.write(`GET / HTTP/1.1\r\nhost: b\r\nx-fill: ${'a'.repeat(8192)}`);
    expect(await closed).toBe('');
    expect(p.b.metrics.requestErrors.get({ direction: 'inbound', reason: 'connection-buffer-full' })).toBe(1);
  });
});
