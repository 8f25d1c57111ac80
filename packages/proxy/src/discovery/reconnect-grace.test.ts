import type { DiscoveryResponse__Output } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { DiscoveryState } from './state.js';

const NAME = 'api.demo.svc.cluster.local:80';

function destination(addresses: string[], version = '1'): DiscoveryResponse__Output {
  return {
    versionInfo: version,
    nonce: version,
    removedNames: [],
    resources: [
      {
        name: NAME,
        version,
        kind: 'destination',
        destination: {
          authority: NAME,
          service: 'api',
          namespace: 'demo',
          port: 80,
          protocol: 'PROTOCOL_HTTP',
          routes: [],
          backends: [
            {
              name: 'api.demo:80',
              service: 'api',
              namespace: 'demo',
              port: 80,
              endpoints: addresses.map((address) => ({ address, port: 80 })),
            },
          ],
        },
      },
    ],
  } as unknown as DiscoveryResponse__Output;
}

function doesNotExist(version: string): DiscoveryResponse__Output {
  return {
    versionInfo: version,
    nonce: version,
    removedNames: [],
    resources: [
      {
        name: NAME,
        version,
        kind: 'doesNotExist',
        doesNotExist: { reason: 'Service demo/api does not exist' },
      },
    ],
  } as unknown as DiscoveryResponse__Output;
}

function addresses(state: DiscoveryState): string[] | string | undefined {
  const r = state.lookup(NAME);
  if (r === undefined) return undefined;
  return r.type === 'destination'
    ? r.destination.backends.flatMap((b) => b.endpoints.map((e) => e.address))
    : r.type;
}

describe('reconnect grace', () => {
  it('keeps the last endpoints when a restarted control plane says does-not-exist, until grace ends', () => {
    const state = new DiscoveryState();
    expect(state.apply(destination(['10.0.0.1', '10.0.0.2'])).type).toBe('ack');
    state.beginReconnectGrace();
    expect(state.apply(doesNotExist('2')).type).toBe('ack');
    expect(addresses(state)).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(state.heldNames).toBe(1);
    state.endReconnectGrace();
    expect(addresses(state)).toBe('does-not-exist');
  });

  it('keeps the last endpoints of a backend that came back empty', () => {
    const state = new DiscoveryState();
    state.apply(destination(['10.0.0.1']));
    state.beginReconnectGrace();
    state.apply(destination([], '2'));
    expect(addresses(state)).toEqual(['10.0.0.1']);
    state.endReconnectGrace();
    expect(addresses(state)).toEqual([]);
  });

  it('serves new endpoints at once during grace, beside the known ones not yet back', () => {
    const state = new DiscoveryState();
    state.apply(destination(['10.0.0.1']));
    state.beginReconnectGrace();
    state.apply(doesNotExist('2'));
    state.apply(destination(['10.0.0.3'], '3'));
    expect(addresses(state)).toEqual(['10.0.0.3', '10.0.0.1']);
    expect(state.heldNames).toBe(1);
    state.endReconnectGrace();
    expect(addresses(state)).toEqual(['10.0.0.3']);
  });

  it('keeps a replica that has not re-registered yet while the other one has (crash loop)', () => {
    const state = new DiscoveryState();
    state.apply(destination(['127.0.0.2', '127.0.0.3']));
    state.beginReconnectGrace();
    // The restarted control plane knows one replica so far: the other must not be dropped.
    state.apply(destination(['127.0.0.2'], '2'));
    expect(addresses(state)).toEqual(['127.0.0.2', '127.0.0.3']);
    expect(state.heldNames).toBe(1);
    // Both are back: the answer applies as it is, nothing held.
    state.apply(destination(['127.0.0.3', '127.0.0.2'], '3'));
    expect(addresses(state)).toEqual(['127.0.0.3', '127.0.0.2']);
    expect(state.heldNames).toBe(0);
    state.endReconnectGrace();
    expect(addresses(state)).toEqual(['127.0.0.3', '127.0.0.2']);
  });

  it('lets a does-not-exist through after grace, and for names that never had endpoints', () => {
    const state = new DiscoveryState();
    state.apply(destination([]));
    state.beginReconnectGrace();
    state.apply(doesNotExist('2'));
    expect(addresses(state)).toBe('does-not-exist');
    state.endReconnectGrace();
    state.apply(destination(['10.0.0.1'], '3'));
    state.apply(doesNotExist('4'));
    expect(addresses(state)).toBe('does-not-exist');
  });
});
