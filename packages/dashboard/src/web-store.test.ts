/** The page's pure store logic (web/store.ts): history bound, authority parsing, Jaeger links only when tracing is on. */
import { describe, expect, it } from 'vitest';
import { HISTORY, jaegerSearch, newStore, push, serviceOfAuthority } from '../web/store.js';
import type { Snapshot } from '../web/types.js';

const snap = (sequence: number, tracingEndpoint = '') =>
  ({ at: 1000 + sequence, sequence, mesh: { tracingEndpoint } }) as unknown as Snapshot;

describe('the page store', () => {
  it('keeps at most HISTORY snapshots and skips a repeated one', () => {
    const store = newStore({ mode: 'local', source: 'x', jaegerUrl: null, intervalMs: 2000 });
    for (let i = 1; i <= HISTORY + 10; i++) push(store, snap(i));
    push(store, snap(HISTORY + 10));
    expect(store.history).toHaveLength(HISTORY);
    expect(store.history[0]?.sequence).toBe(11);
    expect(store.latest?.sequence).toBe(HISTORY + 10);
  });

  it('reads the service of an authority', () => {
    expect(serviceOfAuthority('api.demo:80')).toEqual({ name: 'api', namespace: 'demo' });
    expect(serviceOfAuthority('api.demo.svc.cluster.local:80')).toEqual({ name: 'api', namespace: 'demo' });
    expect(serviceOfAuthority('api:80')).toEqual({ name: 'api', namespace: undefined });
  });

  it("links to Jaeger's search only with a Jaeger URL and a tracing endpoint", () => {
    const off = newStore({
      mode: 'local',
      source: 'x',
      jaegerUrl: 'http://127.0.0.1:16686',
      intervalMs: 2000,
    });
    push(off, snap(1));
    expect(jaegerSearch(off, 'web')).toBeUndefined();
    const noUi = newStore({ mode: 'local', source: 'x', jaegerUrl: null, intervalMs: 2000 });
    push(noUi, snap(1, 'http://127.0.0.1:4318'));
    expect(jaegerSearch(noUi, 'web')).toBeUndefined();
    const on = newStore({
      mode: 'local',
      source: 'x',
      jaegerUrl: 'http://127.0.0.1:16686',
      intervalMs: 2000,
    });
    push(on, snap(1, 'http://127.0.0.1:4318'));
    const url = new URL(
      jaegerSearch(on, 'api-v1', { 'weft.peer.identity': 'spiffe://cluster.local/ns/demo/sa/web' }) ?? '',
    );
    expect(url.origin + url.pathname).toBe('http://127.0.0.1:16686/search');
    expect(url.searchParams.get('service')).toBe('api-v1');
    expect(JSON.parse(url.searchParams.get('tags') ?? '{}')).toEqual({
      'weft.peer.identity': 'spiffe://cluster.local/ns/demo/sa/web',
    });
  });
});
