/** The demo mesh's config folder: Services, a 90/10 TrafficSplit, and retry policies. */

export const DEMO_NAMESPACE = 'demo';

const service = (name: string) => `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${DEMO_NAMESPACE}}
spec:
  ports: [{name: http, port: 80, targetPort: 80, appProtocol: http}]
`;

/** The manifests, as one multi-document YAML file. */
export function demoManifests(): string {
  return [
    '# The weft demo: loadgen -> web -> api (v1 90% / v2 10%) -> store (one flaky replica).',
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
  ].join('---\n');
}
