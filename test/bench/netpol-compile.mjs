// How long `compileNetworkPolicies` takes for synthetic clusters: N namespaces x 10 Deployments
// x 5 replicas, each Deployment behind a Service with an AuthorizationPolicy (two identities and a
// namespace, half of them with an L7 match). The controller runs it on every (debounced) change.
// Run: npx tsc -b && node test/bench/netpol-compile.mjs
import { performance } from 'node:perf_hooks';
import { defaultMeshConfig } from '@weft/api';
import { compileNetworkPolicies } from '@weft/control-plane';

function world(namespaces) {
  const ns = [];
  const pods = [];
  const services = [];
  const policies = [];
  for (let n = 0; n < namespaces; n++) {
    const name = `ns-${n}`;
    ns.push({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, annotations: { 'weft.dev/inject': 'enabled' } },
    });
    for (let d = 0; d < 10; d++) {
      const app = `app-${d}`;
      for (let r = 0; r < 5; r++) {
        pods.push({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: `${app}-${r}`,
            namespace: name,
            labels: { app, 'pod-template-hash': 'abc', 'weft.dev/service-account': app },
            annotations: { 'weft.dev/injected-version': '0.1.0' },
          },
          spec: { serviceAccountName: app, containers: [{ name: app, ports: [{ containerPort: 8080 }] }] },
        });
      }
      services.push({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: app, namespace: name },
        spec: { selector: { app }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] },
      });
      policies.push({
        apiVersion: 'weft.dev/v1alpha1',
        kind: 'AuthorizationPolicy',
        metadata: { name: `${app}-in`, namespace: name },
        spec: {
          targetRef: { kind: 'Service', name: app },
          action: 'Allow',
          from: [
            {
              identities: [
                `spiffe://cluster.local/ns/${name}/sa/app-${(d + 1) % 10}`,
                `spiffe://cluster.local/ns/ns-0/sa/app-0`,
              ],
            },
            { namespaces: [`ns-${(n + 1) % namespaces}`] },
          ],
          to: d % 2 === 0 ? [{ ports: [80], methods: ['GET'], paths: ['/v1/*'] }] : [],
        },
      });
    }
  }
  return {
    mesh: defaultMeshConfig(),
    namespaces: ns,
    pods,
    services,
    policies,
    controlPlaneNamespace: 'weft-system',
  };
}

for (const namespaces of [10, 40, 100]) {
  const inputs = world(namespaces);
  compileNetworkPolicies(inputs); // warm-up
  const times = [];
  let out;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    out = compileNetworkPolicies(inputs);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  console.log(
    `${inputs.pods.length} pods, ${inputs.services.length} services, ${inputs.policies.length} policies -> ${out.policies.length} NetworkPolicies: median ${times[2].toFixed(1)} ms (min ${times[0].toFixed(1)}, max ${times[4].toFixed(1)})`,
  );
}
