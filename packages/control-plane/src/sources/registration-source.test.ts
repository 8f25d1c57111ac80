import { ManualClock } from '@weft/core';
import { describe, expect, it } from 'vitest';
import type { Registration, SourceEvent } from './config-source.js';
import { RegistrationSource } from './registration-source.js';

const registration: Registration = {
  id: 'stream-1',
  identity: 'spiffe://cluster.local/ns/shop/sa/evil',
  namespace: 'shop',
  service: 'svc-a',
  workload: 'evil-1',
  address: '127.0.0.1',
  inboundListenerPort: 41000,
  ports: [{ port: 8080, protocol: 'http' }],
  labels: {},
};

async function events(source: RegistrationSource): Promise<SourceEvent[]> {
  const out: SourceEvent[] = [];
  await source.start((batch) => out.push(...batch));
  return out;
}

describe('RegistrationSource', () => {
  it('in Kubernetes mode (endpoints: false) a registration names no service and no ports', async () => {
    const source = new RegistrationSource({ endpoints: false, clock: new ManualClock() });
    const seen = await events(source);
    source.register(registration);
    expect(seen).toEqual([{ type: 'register', registration: { ...registration, service: '', ports: [] } }]);
  });

  it('in local mode keeps the registration, and drops it a grace period after its stream closed', async () => {
    const clock = new ManualClock();
    const source = new RegistrationSource({ clock, graceMs: 1000 });
    const seen = await events(source);
    source.register(registration);
    source.deregister('stream-1');
    expect(seen).toHaveLength(1);
    clock.advance(1000);
    expect(seen.at(-1)).toEqual({ type: 'deregister', id: 'stream-1' });
  });
});
