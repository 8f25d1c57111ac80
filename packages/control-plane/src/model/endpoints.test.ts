import type { PodResource } from '@weft/api';
import { describe, expect, it } from 'vitest';
import type { Registration } from '../sources/config-source.js';
import { type EndpointInputs, endpointsOf, runsProxy } from './endpoints.js';
import type { ServiceModel, ServicePortModel } from './service-model.js';

const pod = (spec: Partial<PodResource['spec']>, annotations?: Record<string, string>): PodResource => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'shop', ...(annotations === undefined ? {} : { annotations }) },
  spec: { containers: [{ name: 'app' }], ...spec },
});

describe('runsProxy', () => {
  it('finds the proxy as a container, a native sidecar, or by the injector annotation', () => {
    expect(runsProxy(pod({ containers: [{ name: 'app' }, { name: 'weft-proxy' }] }))).toBe(true);
    expect(
      runsProxy(
        pod({ initContainers: [{ name: 'weft-init' }, { name: 'weft-proxy', restartPolicy: 'Always' }] }),
      ),
    ).toBe(true);
    expect(runsProxy(pod({}, { 'weft.dev/injected-version': '0.1.0' }))).toBe(true);
  });

  it('does not count a plain init container or an app pod', () => {
    expect(runsProxy(pod({ initContainers: [{ name: 'weft-proxy' }] }))).toBe(false);
    expect(runsProxy(pod({}))).toBe(false);
  });
});

describe('endpointsOf (registrations)', () => {
  const port: ServicePortModel = { name: 'http', port: 80, targetPort: 80, protocol: 'http' };
  const svc: ServiceModel = { namespace: 'shop', name: 'api', clusterIPs: [], ports: [port], implicit: true };
  const reg = (id: string, address: string, inboundListenerPort: number): Registration => ({
    id,
    identity: 'spiffe://cluster.local/ns/shop/sa/api',
    namespace: 'shop',
    service: 'api',
    workload: id,
    address,
    inboundListenerPort,
    ports: [{ port: 80, protocol: 'http' }],
    labels: {},
  });
  const inputs = (regs: Registration[]): EndpointInputs => ({
    trustDomain: 'cluster.local',
    slicesOf: () => [],
    staticOf: () => [],
    registrationsOf: () => regs,
    pod: () => undefined,
    registrationOfWorkload: () => undefined,
  });

  it('keeps two replicas on one address apart by their inbound listener port', () => {
    const eps = endpointsOf(inputs([reg('a', '127.0.0.1', 41001), reg('b', '127.0.0.1', 41002)]), svc, port);
    expect(eps.map((e) => [e.address, e.port, e.meshed?.inboundPort])).toEqual([
      ['127.0.0.1', 80, 41001],
      ['127.0.0.1', 80, 41002],
    ]);
  });

  it('keeps replicas on distinct addresses apart', () => {
    const eps = endpointsOf(inputs([reg('a', '127.0.0.2', 7143), reg('b', '127.0.0.3', 7143)]), svc, port);
    expect(eps.map((e) => e.address)).toEqual(['127.0.0.2', '127.0.0.3']);
  });
});
