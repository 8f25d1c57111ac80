/**
 * Inputs for the gateway translation's tests: Gateway API objects parsed through the real
 * schemas, a fixed set of Services, and readers of the translation's output.
 */
import { gatewayClassSchema, gatewaySchema, httpRouteSchema, parseConfig, tlsSecretSchema } from '@weft/api';
import { checkCertificate } from '../gateway/certificates.js';
import type { GatewayStatusDoc } from '../gateway/gateway-status.js';
import { type GatewayInputs, translateGateways } from '../gateway/translate.js';
import type { ServiceModel } from '../model/service-model.js';

export const GW = 'gateway.networking.k8s.io/v1';
export const svc = (namespace: string, name: string, ports = [80]): ServiceModel => ({
  namespace,
  name,
  ports: ports.map((port) => ({ name: `http-${port}`, port, targetPort: port, protocol: 'http' })),
  clusterIPs: [],
  implicit: false,
});

export const cls = (name = 'weft', controllerName = 'weft.dev/gateway') =>
  parseConfig(
    gatewayClassSchema,
    { apiVersion: GW, kind: 'GatewayClass', metadata: { name }, spec: { controllerName } },
    't',
  );

export function gateway(
  name: string,
  listeners: unknown[],
  extra: { ns?: string; created?: string; cls?: string } = {},
) {
  return parseConfig(
    gatewaySchema,
    {
      apiVersion: GW,
      kind: 'Gateway',
      metadata: {
        name,
        namespace: extra.ns ?? 'edge',
        creationTimestamp: extra.created ?? '2026-01-01T00:00:00Z',
      },
      spec: { gatewayClassName: extra.cls ?? 'weft', listeners },
    },
    't',
  );
}

export function route(
  name: string,
  spec: Record<string, unknown>,
  extra: { ns?: string; created?: string } = {},
) {
  return parseConfig(
    httpRouteSchema,
    {
      apiVersion: GW,
      kind: 'HTTPRoute',
      metadata: {
        name,
        namespace: extra.ns ?? 'edge',
        creationTimestamp: extra.created ?? '2026-01-01T00:00:00Z',
      },
      spec: { parentRefs: [{ name: 'gw' }], ...spec },
    },
    't',
  );
}

export function secret(ns: string, name: string, cert: Buffer, key: Buffer) {
  return parseConfig(
    tlsSecretSchema,
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: ns },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': cert.toString('base64'), 'tls.key': key.toString('base64') },
    },
    't',
  );
}

export const HTTP = { name: 'http', port: 80, protocol: 'HTTP' };

export function translate(over: Partial<GatewayInputs>) {
  const services = [
    svc('edge', 'web'),
    svc('edge', 'api'),
    svc('edge', 'v1'),
    svc('edge', 'v2'),
    svc('shop', 'cart'),
  ];
  const secrets = over.secret;
  return translateGateways({
    gatewayClasses: [cls()],
    gateways: [gateway('gw', [HTTP])],
    httpRoutes: [],
    grpcRoutes: [],
    grants: [],
    ingresses: [],
    secret: secrets ?? (() => undefined),
    service: (ns, name) => services.find((s) => s.namespace === ns && s.name === name),
    namespaceLabels: (ns) => (ns === 'shop' ? { team: 'shop' } : {}),
    clusterDomain: 'cluster.local',
    checkCertificate,
    ...over,
  });
}

export const routeNames = (t: ReturnType<typeof translate>, listener = 0) =>
  (t.configs.get('weft')?.listeners?.[listener]?.routes ?? []).map(
    (r) => `${r.name}${r.hostnames?.length ? `@${r.hostnames[0]}` : ''}`,
  );

export function statusOf(
  t: ReturnType<typeof translate>,
  kind: string,
  name: string,
): GatewayStatusDoc | undefined {
  return t.statuses.find((s) => s.ref.kind === kind && s.ref.name === name)?.status;
}

export function parentConditions(t: ReturnType<typeof translate>, name: string, kind = 'HTTPRoute') {
  const s = statusOf(t, kind, name);
  if (s === undefined || !('parents' in s)) return undefined;
  return s.parents.map((p) =>
    Object.fromEntries(p.conditions.map((c) => [c.type, `${c.status}/${c.reason}`])),
  );
}

export const backend = (name: string) => ({ backendRefs: [{ name, port: 80 }] });
