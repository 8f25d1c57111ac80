/** Manifests shared by tests: a small shop (web -> api v1/v2 split -> store). */

export function service(
  name: string,
  ns: string,
  opts: {
    port?: number;
    targetPort?: number;
    clusterIP?: string;
    portName?: string;
    selector?: Record<string, string>;
  } = {},
): string {
  return `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${ns}}
spec:
  ${opts.clusterIP === undefined ? '' : `clusterIP: ${opts.clusterIP}`}
  selector: ${JSON.stringify(opts.selector ?? { app: name })}
  ports:
  - {name: ${opts.portName ?? 'http'}, port: ${opts.port ?? 80}, targetPort: ${opts.targetPort ?? 8080}}
---
`;
}

export function staticEndpoints(svc: string, ns: string, addresses: string[], extra = ''): string {
  return `apiVersion: weft.dev/v1alpha1
kind: StaticEndpoints
metadata: {name: ${svc}, namespace: ${ns}}
spec:
  service: ${svc}
  endpoints:
${addresses.map((a) => `  - {address: ${a}${extra}}`).join('\n')}
---
`;
}

export const SHOP = {
  'services.yaml':
    service('web', 'shop') +
    service('api', 'shop', { clusterIP: '10.96.0.10' }) +
    service('api-v1', 'shop', { selector: { app: 'api', version: 'v1' } }) +
    service('api-v2', 'shop', { selector: { app: 'api', version: 'v2' } }) +
    service('store', 'shop', { port: 6379, targetPort: 6379, portName: 'tcp-redis' }),
  'endpoints.yaml':
    staticEndpoints('api-v1', 'shop', ['10.1.0.1', '10.1.0.2']) +
    staticEndpoints('api-v2', 'shop', ['10.1.0.3']) +
    staticEndpoints('store', 'shop', ['10.1.0.9']),
  'split.yaml': `apiVersion: split.smi-spec.io/v1alpha4
kind: TrafficSplit
metadata: {name: api, namespace: shop}
spec:
  service: api
  backends:
  - {service: api-v1, weight: 90}
  - {service: api-v2, weight: 10}
`,
};

export const WEB_ID = 'spiffe://cluster.local/ns/shop/sa/web';
