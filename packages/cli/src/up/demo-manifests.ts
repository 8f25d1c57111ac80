/**
 * The demo mesh's config folder: Services, a 90/10 TrafficSplit, retry policies, and the ingress
 * gateway's GatewayClass, Gateway and HTTPRoute in front of web.
 */

export const DEMO_NAMESPACE = 'demo';
/** The port the demo Gateway's listener names (the gateway binds it on a local port). */
export const DEMO_GATEWAY_LISTENER_PORT = 80;

const service = (name: string) => `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${DEMO_NAMESPACE}}
spec:
  ports: [{name: http, port: 80, targetPort: 80, appProtocol: http}]
`;

/** The manifests, as one multi-document YAML file. */
export function demoManifests(): string {
  return [
    '# The weft demo: loadgen -> web -> api (v1 90% / v2 10%) -> store (one flaky replica),',
    '# and the ingress gateway in front of web (curl the local port weft up prints).',
    '# Written by `weft up --demo`; edit the split and watch the measured split follow.',
    ...['web', 'api', 'api-v1', 'api-v2', 'store'].map(service),
    `apiVersion: split.smi-spec.io/v1alpha4
kind: TrafficSplit
metadata: {name: api, namespace: ${DEMO_NAMESPACE}}
spec:
  service: api
  backends:
  - {service: api-v1, weight: 90}
  - {service: api-v2, weight: 10}
`,
    `apiVersion: weft.dev/v1alpha1
kind: TrafficPolicy
metadata: {name: store, namespace: ${DEMO_NAMESPACE}}
spec:
  targetRef: {kind: Service, name: store}
  # RoundRobin, so both replicas take traffic and the retries are what hide store-2's failures
  # (PeakEWMA counts a failure as 1 s of latency and would send store-2 only probe requests).
  loadBalancer: {type: RoundRobin}
  timeouts: {request: 5s, perTry: 1s}
  retry:
    attempts: 3
    on: [connect-failure, reset, 5xx]
    backoff: {base: 10ms, max: 100ms}
    budget: {ratio: 0.5, minPerSecond: 10, ttl: 10s}
`,
    `# The ingress gateway (docs/gateway.md): weft gateway serves the Gateways of this class.
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: weft}
spec:
  controllerName: weft.dev/gateway
`,
    `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: demo, namespace: ${DEMO_NAMESPACE}}
spec:
  gatewayClassName: weft
  listeners:
  - {name: http, protocol: HTTP, port: ${DEMO_GATEWAY_LISTENER_PORT}}
`,
    `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: ${DEMO_NAMESPACE}}
spec:
  parentRefs: [{name: demo}]
  rules:
  - backendRefs: [{name: web, port: 80}]
`,
  ].join('---\n');
}
