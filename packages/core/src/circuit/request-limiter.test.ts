import { describe, expect, it } from 'vitest';
import { RequestLimiter } from './request-limiter.js';

describe('RequestLimiter', () => {
  it('admits up to maxRequests, queues up to maxPendingRequests, rejects beyond', async () => {
    const limiter = new RequestLimiter({ maxRequests: 2, maxPendingRequests: 1 });
    const a = await limiter.acquire();
    const b = await limiter.acquire();
    expect([a.type, b.type]).toEqual(['admitted', 'admitted']);
    const queued = limiter.acquire();
    expect(limiter.pending).toBe(1);
    const rejected = await limiter.acquire();
    expect(rejected).toMatchObject({ type: 'rejected', reason: 'queue-full' });
    expect(rejected.type === 'rejected' && rejected.message).toMatch(
      /2 requests active and 1 pending \(limits 2\/1\)/,
    );
    expect(limiter.rejected).toBe(1);
    if (a.type === 'admitted') a.permit.release();
    const c = await queued;
    expect(c.type).toBe('admitted');
    expect(limiter.inflight).toBe(2);
    if (a.type === 'admitted') a.permit.release(); // a second release does nothing
    expect(limiter.inflight).toBe(2);
    if (b.type === 'admitted') b.permit.release();
    if (c.type === 'admitted') c.permit.release();
    expect(limiter.inflight).toBe(0);
  });

  it('serves waiters first in, first out and drops aborted ones', async () => {
    const limiter = new RequestLimiter({ maxRequests: 1, maxPendingRequests: 3 });
    const first = await limiter.acquire();
    const order: string[] = [];
    const controller = new AbortController();
    const w1 = limiter.acquire().then((r) => order.push(`w1:${r.type}`));
    const w2 = limiter.acquire(controller.signal).then((r) => order.push(`w2:${r.type}`));
    const w3 = limiter.acquire().then((r) => {
      order.push(`w3:${r.type}`);
      return r;
    });
    controller.abort();
    await w2;
    expect(limiter.pending).toBe(2);
    if (first.type === 'admitted') first.permit.release();
    await w1;
    expect(order).toEqual(['w2:rejected', 'w1:admitted']);
    expect(limiter.inflight).toBe(1);
    expect(limiter.pending).toBe(1);
    const held = await Promise.race([w3, Promise.resolve('still queued')]);
    expect(held).toBe('still queued');
  });

  it('rejects at once with no queue (maxPendingRequests 0)', () => {
    const limiter = new RequestLimiter({ maxRequests: 1, maxPendingRequests: 0 });
    expect(limiter.tryAcquire()?.type).toBe('admitted');
    expect(limiter.tryAcquire()?.type).toBe('rejected');
  });
});
