// Ingress problems through the gateway model to the log and the rejection counter: each problem
// is logged and counted once when it appears, not again while it stays, and its end is logged.
import { ingressSchema, parseConfig } from '@weft/api';
import { createLogger } from '@weft/runtime';
import { describe, expect, it } from 'vitest';
import { ControlPlaneMetrics } from '../metrics.js';
import type { ServiceModel } from '../model/service-model.js';
import { GatewayModel } from './gateway-model.js';
import { logIngressProblems } from './status-log.js';

const web: ServiceModel = {
  namespace: 'edge',
  name: 'web',
  ports: [{ name: 'http', port: 80, targetPort: 80, protocol: 'http' }],
  clusterIPs: [],
  implicit: false,
};

function ingress(spec: Record<string, unknown>) {
  return parseConfig(
    ingressSchema,
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'shop', namespace: 'edge', creationTimestamp: '2026-01-01T00:00:00Z' },
      spec: { ingressClassName: 'weft', ...spec },
    },
    't',
  );
}

const backend = (name: string) => ({ service: { name, port: { number: 80 } } });

describe('Ingress problems in the log and metrics', () => {
  it('logs and counts each problem once per change of the set, and logs when all are gone', async () => {
    const lines: { level: number; msg: string; resource?: string; reason?: string }[] = [];
    const logger = createLogger({
      component: 't',
      destination: { write: (l: string) => lines.push(JSON.parse(l)) },
    });
    const metrics = new ControlPlaneMetrics();
    const model = new GatewayModel();
    const services = [web];
    const step = (spec: Record<string, unknown>) => {
      const r = model.update({
        gatewayClasses: [],
        gateways: [],
        httpRoutes: [],
        grpcRoutes: [],
        grants: [],
        ingresses: [ingress(spec)],
        secret: () => undefined,
        service: (ns, name) => services.find((s) => s.namespace === ns && s.name === name),
        namespaceLabels: () => ({}),
        clusterDomain: 'cluster.local',
      });
      logIngressProblems(r.ingressProblems, logger, metrics);
      return r.ingressProblems;
    };
    const counts = async () =>
      Object.fromEntries(
        (await metrics.gatewayRejections.get()).values.map((v) => [
          `${v.labels.kind}/${v.labels.reason}`,
          v.value,
        ]),
      );

    const missing = { defaultBackend: backend('cart') };
    expect(step(missing).map((c) => c.added.length)).toEqual([1]);
    expect(step(missing)).toEqual([]);
    expect(step(missing)).toEqual([]);
    expect(lines.map((l) => `${l.level} ${l.msg}`)).toEqual([
      '40 Ingress edge/shop: BackendNotFound: spec.defaultBackend.service.name: Service edge/cart does not exist',
    ]);
    expect(lines[0]).toMatchObject({ resource: 'Ingress edge/shop', reason: 'BackendNotFound' });
    expect(await counts()).toEqual({ 'Ingress/BackendNotFound': 1 });

    // A second problem: only the new one is logged and counted.
    const both = { ...missing, tls: [{ secretName: 'shop-tls' }] };
    expect(step(both).map((c) => c.problems.length)).toEqual([2]);
    expect(step(both)).toEqual([]);
    expect(lines.slice(1).map((l) => `${l.level} ${l.msg}`)).toEqual([
      '40 Ingress edge/shop: SecretNotFound: spec.tls[0].secretName: TLS Secret edge/shop-tls does not exist',
    ]);
    expect(await counts()).toEqual({ 'Ingress/BackendNotFound': 1, 'Ingress/SecretNotFound': 1 });

    // Both fixed: one info line, nothing counted.
    services.push({ ...web, name: 'cart' });
    expect(step(missing)).toEqual([
      { ref: { kind: 'Ingress', namespace: 'edge', name: 'shop' }, problems: [], added: [] },
    ]);
    expect(step(missing)).toEqual([]);
    expect(lines.slice(2).map((l) => `${l.level} ${l.msg}`)).toEqual([
      '30 Ingress edge/shop: every problem is resolved',
    ]);
    expect(await counts()).toEqual({ 'Ingress/BackendNotFound': 1, 'Ingress/SecretNotFound': 1 });
  });
});
