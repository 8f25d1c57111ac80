#!/usr/bin/env node
// Informer memory at scale: the control plane's Kubernetes source (client-node informers, the real
// list + watch wire format) against a minimal fake API server in this process, serving S Services
// and EndpointSlices holding E endpoints in total (100 per slice, as the EndpointSlice controller
// writes them, with managedFields, ownerReferences, hints and full targetRefs), plus P Pods when
// asked. Each measurement runs in a fresh child process (node --expose-gc): heap used after the
// initial sync minus heap used before it, after forced GCs, with fields stripped before caching
// (the default) and without (stripFields: false), for the informer cache alone (events dropped)
// and for the cache plus the mesh model. The last line is a JSON object.
//
//   npm run bench:informer-memory                       # 1,000 services, 100,000 endpoints
//   npm run bench:informer-memory -- --endpoints 10000  # smaller
//   npm run bench:informer-memory -- --pods 20000       # with Pods too
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};

if (argv[0] === '--child') await child(JSON.parse(argv[1]));
else await parent();

/** One measurement: sync a KubernetesSource against `server`, report the heap it holds. */
async function child({ server, strip, model }) {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const { KubernetesSource, MeshState } = await import('@weft/control-plane');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server, skipTLSVerify: true }],
    users: [{ name: 'fake', token: 'bench' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'fake' }],
    currentContext: 'fake',
  });
  const state = new MeshState();
  const settle = () => {
    for (let i = 0; i < 4; i++) globalThis.gc();
    return process.memoryUsage();
  };
  const before = settle();
  const source = new KubernetesSource({ kubeConfig: kc, stripFields: strip, syncTimeoutMs: 600_000 });
  const started = performance.now();
  await source.start((events) => {
    if (model) state.apply(events);
  });
  const syncMs = performance.now() - started;
  // Let the last batches and the list responses' buffers go.
  await new Promise((r) => setTimeout(r, 200));
  const after = settle();
  process.send({
    heapMb: (after.heapUsed - before.heapUsed) / 1e6,
    rssMb: after.rss / 1e6,
    syncMs,
  });
  await source.close();
  process.exit(0);
}

async function parent() {
  const SERVICES = flag('services', 1000);
  const ENDPOINTS = flag('endpoints', 100_000);
  const PODS = flag('pods', 0);
  const perSlice = 100;
  const bodies = buildLists({ services: SERVICES, endpoints: ENDPOINTS, pods: PODS, perSlice });
  const api = await fakeApi(bodies);
  const listMb = [...bodies.values()].reduce((n, b) => n + b.length, 0) / 1e6;
  const results = [];
  for (const model of [false, true]) {
    for (const strip of [false, true]) {
      const r = await measure({ server: api.url, strip, model });
      results.push({ what: model ? 'cache + model' : 'informer cache', strip, ...r });
      console.log(
        `${(model ? 'cache + model' : 'informer cache').padEnd(15)} ${strip ? 'stripped' : 'full    '}  heap ${r.heapMb.toFixed(1).padStart(7)} MB  (${((r.heapMb * 1e6) / ENDPOINTS).toFixed(0)} B/endpoint)  rss ${r.rssMb.toFixed(0)} MB  sync ${(r.syncMs / 1000).toFixed(1)} s`,
      );
    }
  }
  await api.close();
  const ratio = (what) => {
    const full = results.find((r) => r.what === what && !r.strip);
    const stripped = results.find((r) => r.what === what && r.strip);
    return full.heapMb / stripped.heapMb;
  };
  console.log(
    `stripping saves: informer cache ${ratio('informer cache').toFixed(2)}x, cache + model ${ratio('cache + model').toFixed(2)}x (list bodies ${listMb.toFixed(1)} MB)`,
  );
  console.log(
    JSON.stringify({
      services: SERVICES,
      endpoints: ENDPOINTS,
      pods: PODS,
      listBodiesMb: Number(listMb.toFixed(1)),
      results: results.map((r) => ({
        ...r,
        heapMb: Number(r.heapMb.toFixed(1)),
        rssMb: Number(r.rssMb.toFixed(0)),
        syncMs: Math.round(r.syncMs),
      })),
      cacheRatio: Number(ratio('informer cache').toFixed(2)),
      totalRatio: Number(ratio('cache + model').toFixed(2)),
    }),
  );
}

function measure(args) {
  return new Promise((resolve, reject) => {
    const c = fork(fileURLToPath(import.meta.url), ['--child', JSON.stringify(args)], {
      execArgv: ['--expose-gc', '--max-old-space-size=4096'],
    });
    c.once('message', resolve);
    c.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`child exited ${code}`))));
  });
}

/** A list answer for each collection path, pre-serialized (the fake's memory stays out of the children). */
function buildLists({ services, endpoints, pods, perSlice }) {
  const rv = '1000';
  const list = (kind, items) =>
    Buffer.from(
      JSON.stringify({ kind: `${kind}List`, apiVersion: 'v1', metadata: { resourceVersion: rv }, items }),
    );
  const managed = (manager, fields) => [
    {
      manager,
      operation: 'Update',
      apiVersion: 'v1',
      time: '2026-01-01T00:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: fields,
    },
  ];
  const svcs = [];
  const slices = [];
  let ep = 0;
  for (let s = 0; s < services; s++) {
    const ns = `ns-${s % 50}`;
    const name = `svc-${s}`;
    const uid = `00000000-0000-4000-8000-${String(s).padStart(12, '0')}`;
    svcs.push({
      metadata: {
        name,
        namespace: ns,
        uid,
        resourceVersion: '10',
        creationTimestamp: '2026-01-01T00:00:00Z',
        labels: { app: name, 'app.kubernetes.io/part-of': 'shop' },
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name, namespace: ns, labels: { app: name } },
            spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
          }),
        },
        managedFields: managed('kubectl-client-side-apply', {
          'f:metadata': { 'f:annotations': { '.': {} }, 'f:labels': { '.': {}, 'f:app': {} } },
          'f:spec': { 'f:ports': { '.': {}, 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:name': {} } } },
        }),
      },
      spec: {
        clusterIP: `10.96.${(s >> 8) & 255}.${s & 255}`,
        clusterIPs: [`10.96.${(s >> 8) & 255}.${s & 255}`],
        internalTrafficPolicy: 'Cluster',
        ipFamilies: ['IPv4'],
        ipFamilyPolicy: 'SingleStack',
        ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
        selector: { app: name },
        sessionAffinity: 'None',
        type: 'ClusterIP',
      },
      status: { loadBalancer: {} },
    });
    const want = Math.round(((s + 1) * endpoints) / services) - Math.round((s * endpoints) / services);
    for (let first = 0; first < want; first += perSlice) {
      const n = Math.min(perSlice, want - first);
      const eps = [];
      for (let i = 0; i < n; i++, ep++) {
        const pod = `${name}-${(first + i).toString(36)}-x7k2p`;
        eps.push({
          addresses: [`10.${(ep >> 16) & 255}.${(ep >> 8) & 255}.${ep & 255}`],
          conditions: { ready: true, serving: true, terminating: false },
          nodeName: `node-${ep % 500}`,
          targetRef: {
            kind: 'Pod',
            name: pod,
            namespace: ns,
            uid: `11111111-0000-4000-8000-${String(ep).padStart(12, '0')}`,
          },
          zone: `zone-${ep % 3}`,
          hints: { forZones: [{ name: `zone-${ep % 3}` }] },
        });
      }
      slices.push({
        metadata: {
          name: `${name}-${first.toString(36)}abcd`,
          generateName: `${name}-`,
          namespace: ns,
          uid: `22222222-0000-4000-8000-${String(slices.length).padStart(12, '0')}`,
          resourceVersion: '20',
          generation: 3,
          creationTimestamp: '2026-01-01T00:00:00Z',
          labels: {
            'kubernetes.io/service-name': name,
            'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
            app: name,
          },
          annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': '2026-01-01T00:00:00Z' },
          ownerReferences: [
            { apiVersion: 'v1', kind: 'Service', name, uid, controller: true, blockOwnerDeletion: true },
          ],
          managedFields: managed('kube-controller-manager', {
            'f:addressType': {},
            'f:endpoints': {},
            'f:metadata': {
              'f:annotations': { '.': {}, 'f:endpoints.kubernetes.io/last-change-trigger-time': {} },
              'f:generateName': {},
              'f:labels': {
                '.': {},
                'f:endpointslice.kubernetes.io/managed-by': {},
                'f:kubernetes.io/service-name': {},
              },
              'f:ownerReferences': { '.': {}, [`k:{"uid":"${uid}"}`]: {} },
            },
            'f:ports': {},
          }),
        },
        addressType: 'IPv4',
        endpoints: eps,
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      });
    }
  }
  const podItems = [];
  for (let p = 0; p < pods; p++) podItems.push(podObject(p));
  const bodies = new Map();
  bodies.set('/api/v1/namespaces', list('Namespace', []));
  bodies.set('/api/v1/pods', list('Pod', podItems));
  bodies.set('/api/v1/services', list('Service', svcs));
  bodies.set('/apis/discovery.k8s.io/v1/endpointslices', list('EndpointSlice', slices));
  return bodies;
}

/** A Pod as a Deployment with an injected sidecar makes it (abridged, but with the usual bulk). */
function podObject(p) {
  const name = `web-${p.toString(36)}-x7k2p`;
  const env = Array.from({ length: 8 }, (_, i) => ({
    name: `ENV_${i}`,
    value: `value-${i}-${'x'.repeat(20)}`,
  }));
  return {
    metadata: {
      name,
      generateName: 'web-',
      namespace: `ns-${p % 50}`,
      uid: `33333333-0000-4000-8000-${String(p).padStart(12, '0')}`,
      resourceVersion: '30',
      creationTimestamp: '2026-01-01T00:00:00Z',
      labels: { app: 'web', 'pod-template-hash': 'x7k2p' },
      annotations: { 'weft.dev/inject': 'enabled', 'weft.dev/injected-version': '0.1.0' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-x7k2p', uid: 'u', controller: true },
      ],
      managedFields: [
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:metadata': {}, 'f:spec': { 'f:containers': {} } },
        },
      ],
    },
    spec: {
      serviceAccountName: 'web',
      nodeName: `node-${p % 500}`,
      containers: [
        {
          name: 'app',
          image: 'registry.example/web:1.2.3',
          env,
          ports: [{ containerPort: 8080, protocol: 'TCP' }],
          resources: { requests: { cpu: '100m', memory: '128Mi' } },
        },
      ],
      initContainers: [
        { name: 'weft-init', image: 'ghcr.io/weft-mesh/weft:0.1.0', args: ['init', '--proxy-uid', '7102'] },
        { name: 'weft-proxy', image: 'ghcr.io/weft-mesh/weft:0.1.0', restartPolicy: 'Always', env },
      ],
      volumes: [
        {
          name: 'kube-api-access',
          projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }] },
        },
      ],
    },
    status: {
      phase: 'Running',
      podIP: `10.${(p >> 16) & 255}.${(p >> 8) & 255}.${p & 255}`,
      podIPs: [{ ip: `10.${(p >> 16) & 255}.${(p >> 8) & 255}.${p & 255}` }],
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }],
      containerStatuses: [
        {
          name: 'app',
          ready: true,
          restartCount: 0,
          image: 'registry.example/web:1.2.3',
          imageID: `sha256:${'a'.repeat(64)}`,
        },
      ],
    },
  };
}

/** Lists from `bodies`, watches held open with no events, 404 for anything else (CRDs not installed). */
async function fakeApi(bodies) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const body = bodies.get(url.pathname);
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          reason: 'NotFound',
          code: 404,
        }),
      );
      return;
    }
    if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.flushHeaders();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    },
  };
}
