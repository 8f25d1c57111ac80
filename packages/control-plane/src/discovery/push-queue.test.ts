import type { Resource } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { PushQueue, type QueuedUpdate } from './push-queue.js';

const up = (name: string, version: string): [string, QueuedUpdate] => [
  name,
  { type: 'upsert', resource: { name, version } as Resource },
];

describe('PushQueue', () => {
  it('flushes at once while the transport is open', () => {
    const q = new PushQueue({ maxPendingNames: 10, maxBlockedRounds: 2 });
    expect(q.enqueue(new Map([up('a', '1')]), 5)).toBe('flush');
    expect(q.take()).toEqual({ resources: [{ name: 'a', version: '1' }], removed: [], since: 5 });
    expect(q.take()).toBeUndefined();
  });

  it('coalesces by name while blocked: the latest state wins', () => {
    const q = new PushQueue({ maxPendingNames: 10, maxBlockedRounds: 5 });
    q.block();
    expect(q.enqueue(new Map([up('a', '1'), up('b', '1')]), 1)).toBe('wait');
    expect(q.enqueue(new Map([up('a', '2')]), 2)).toBe('wait');
    expect(q.enqueue(new Map<string, QueuedUpdate>([['b', { type: 'remove' }]]), 3)).toBe('wait');
    expect(q.take()).toBeUndefined();
    q.unblock();
    expect(q.take()).toEqual({ resources: [{ name: 'a', version: '2' }], removed: ['b'], since: 1 });
  });

  it('overflows after too many rounds while blocked, or too many names', () => {
    const rounds = new PushQueue({ maxPendingNames: 100, maxBlockedRounds: 2 });
    rounds.block();
    expect(rounds.enqueue(new Map([up('a', '1')]), 0)).toBe('wait');
    expect(rounds.enqueue(new Map([up('a', '2')]), 0)).toBe('wait');
    expect(rounds.enqueue(new Map([up('a', '3')]), 0)).toBe('overflow');

    const names = new PushQueue({ maxPendingNames: 2, maxBlockedRounds: 100 });
    names.block();
    expect(names.enqueue(new Map([up('a', '1'), up('b', '1')]), 0)).toBe('wait');
    expect(names.enqueue(new Map([up('c', '1')]), 0)).toBe('overflow');
  });

  it('forgives blocked rounds once drained', () => {
    const q = new PushQueue({ maxPendingNames: 100, maxBlockedRounds: 1 });
    q.block();
    expect(q.enqueue(new Map([up('a', '1')]), 0)).toBe('wait');
    q.unblock();
    q.take();
    q.block();
    expect(q.enqueue(new Map([up('a', '2')]), 0)).toBe('wait');
  });
});
