#!/usr/bin/env node
// Control-plane benchmark: N simulated proxies (real gRPC Discovery streams over mTLS, in a child
// process) subscribed across S services with E endpoints; endpoint churn; reports the latency from
// a change to every subscribed proxy having it (p50/p99), control-plane RSS per connected proxy,
// CPU per change, how the cost of a change grows with its subscribers and not with the size of the
// mesh, and the same change computed the naive way (recompute and serialize every subscription of
// every proxy) for comparison. The last line is a JSON object.
//
//   npm run bench:control-plane                # 1,000 proxies, 1,000 services, 10,000 endpoints
//   npm run bench:control-plane -- --quick     # 100 / 100 / 1,000, for development
import { fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadDiscoveryProto } from '@weft/api';
import {
  ControlPlane,
  createIdentityServerCredentials,
  ResourceBuilder,
  ResponseEncoder,
} from '@weft/control-plane';
import { silentLogger } from '@weft/core';
import {
  CertificateAuthority,
  createIdentityMaterial,
  derToPem,
  generateKeyPair,
  privateKeyToPem,
  TrustBundle,
} from '@weft/pki';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const flag = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const PROXIES = flag('proxies', quick ? 100 : 1000);
const SERVICES = flag('services', quick ? 100 : 1000);
const ENDPOINTS = flag('endpoints', quick ? 1000 : 10_000);
const CHANGES = flag('changes', quick ? 40 : 200);
const SUBS_PER_PROXY = 5;
const NAMESPACES = 10;
const PER_SERVICE = Math.max(1, Math.round(ENDPOINTS / SERVICES));
const FANOUTS = [1, 10, 100].filter((n) => n <= PROXIES);

const now = () => performance.timeOrigin + performance.now();
const log = (s) => process.stderr.write(`${s}\n`);
const gc = () => globalThis.gc?.();
const rssMb = () => {
  gc();
  gc();
  return process.memoryUsage().rss / 1024 / 1024;
};
const pct = (values, p) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const r2 = (x) => Math.round(x * 100) / 100;

// ---- the mesh, as Kubernetes objects --------------------------------------------------------
const nsOf = (i) => `ns-${i % NAMESPACES}`;
function serviceObj(name, ns) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns },
    spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  };
}
function sliceObj(name, ns, seed, marker) {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${name}-slice`, namespace: ns, labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080 }],
    endpoints: Array.from({ length: PER_SERVICE }, (_, k) => ({
      addresses: [
        `10.${(seed >> 8) & 255}.${seed & 255}.${k === 0 && marker !== undefined ? 100 + (marker % 100) : k + 1}`,
      ],
      conditions: { ready: true },
      zone: k === 0 && marker !== undefined ? `chg-${marker}` : 'z1',
    })),
  };
}
const upsert = (obj) => ({
  type: 'upsert',
  ref: { kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name },
  object: obj,
  origin: { source: 'bench' },
});

const source = { name: 'bench', start: async () => {}, ready: () => true, close: async () => {} };

// ---- identity -------------------------------------------------------------------------------
const material = createIdentityMaterial({
  trustDomain: 'cluster.local',
  anchorValidityMs: 86_400_000,
  issuerValidityMs: 86_400_000,
});
const anchors = TrustBundle.fromDer([material.anchor.certificate]);
const ca = new CertificateAuthority({
  trustDomain: 'cluster.local',
  issuer: material.issuer,
  trustAnchors: anchors,
});
const serving = createIdentityServerCredentials({ ca, logger: silentLogger() });

const cp = new ControlPlane({
  sources: [source],
  credentials: serving.credentials,
  grpcAddress: '127.0.0.1:0',
  logger: silentLogger(),
});
const { grpcPort } = await cp.start();
const rssEmpty = rssMb();

log(`building the mesh: ${SERVICES} services, ${PER_SERVICE * SERVICES} endpoints, ${NAMESPACES} namespaces`);
const events = [];
for (let i = 0; i < SERVICES; i++) {
  events.push(upsert(serviceObj(`svc-${i}`, nsOf(i))), upsert(sliceObj(`svc-${i}`, nsOf(i), i)));
}
for (const n of FANOUTS)
  events.push(upsert(serviceObj(`hot-${n}`, 'ns-0')), upsert(sliceObj(`hot-${n}`, 'ns-0', 60_000 + n)));
cp.apply(events);
const rssMesh = rssMb();

// ---- proxies --------------------------------------------------------------------------------
const subscribers = new Map(); // service name -> proxy indexes
const proxies = [];
for (let j = 0; j < PROXIES; j++) {
  const names = [];
  for (let m = 0; m < SUBS_PER_PROXY; m++) {
    const s = (j * SUBS_PER_PROXY + m) % SERVICES;
    names.push(`svc-${s}.${nsOf(s)}:80`);
    if (!subscribers.has(`svc-${s}`)) subscribers.set(`svc-${s}`, []);
    subscribers.get(`svc-${s}`).push(j);
  }
  for (const n of FANOUTS) {
    if (j < n) {
      names.push(`hot-${n}.ns-0:80`);
      if (!subscribers.has(`hot-${n}`)) subscribers.set(`hot-${n}`, []);
      subscribers.get(`hot-${n}`).push(j);
    }
  }
  const { privateKey, publicKey } = generateKeyPair();
  const issued = ca.issueForKey({ publicKey, identity: `spiffe://cluster.local/ns/${nsOf(j)}/sa/sa-${j}` });
  proxies.push({
    workload: `proxy-${j}`,
    namespace: nsOf(j),
    names,
    key: privateKeyToPem(privateKey),
    chain: issued.chain.map((c) => derToPem(c, 'CERTIFICATE')).join(''),
  });
}

const child = fork(fileURLToPath(new URL('./proxies.mjs', import.meta.url)), [], {
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const waiting = new Map(); // change id -> { need, got, last, resolve }
let subscribedResolve;
const subscribed = new Promise((resolve) => {
  subscribedResolve = resolve;
});
let streamErrors = 0;
child.on('message', (m) => {
  if (m.type === 'ready') child.send({ type: 'start', port: grpcPort, ca: anchors.toPem(), proxies });
  else if (m.type === 'subscribed') subscribedResolve();
  else if (m.type === 'error') streamErrors++;
  else if (m.type === 'seen') {
    for (const [id, , t] of m.reports) {
      const w = waiting.get(id);
      if (w === undefined) continue;
      w.got++;
      w.last = Math.max(w.last, t);
      if (w.got === w.need) w.resolve();
    }
  }
});

const tConnect = now();
log(`connecting ${PROXIES} proxies (separate process, mTLS, ${SUBS_PER_PROXY} subscriptions each)...`);
await subscribed;
log(`  all subscribed in ${Math.round(now() - tConnect)} ms`);
await new Promise((r) => setTimeout(r, 500));
const rssConnected = rssMb();

// ---- churn ----------------------------------------------------------------------------------
let nextId = 0;
/** Applies one endpoint change to `service` and resolves with [propagation ms, apply ms]. */
async function change(service, seed, ns) {
  const id = nextId++;
  const need = subscribers.get(service)?.length ?? 0;
  const done = new Promise((resolve) => waiting.set(id, { need, got: 0, last: 0, resolve }));
  const t0 = now();
  cp.apply([upsert(sliceObj(service, ns, seed, id))]);
  const applyMs = now() - t0;
  const timeout = new Promise((resolve) => setTimeout(() => resolve('timeout'), 10_000));
  const result = need === 0 ? undefined : await Promise.race([done, timeout]);
  const w = waiting.get(id);
  waiting.delete(id);
  if (result === 'timeout') return { timeout: true, applyMs, propagationMs: Number.NaN };
  return { timeout: false, applyMs, propagationMs: need === 0 ? 0 : w.last - t0 };
}

log(`churn: ${CHANGES} endpoint changes, each to one random service`);
const cpu0 = process.cpuUsage();
const tChurn = now();
const propagation = [];
const applyTimes = [];
let timeouts = 0;
for (let c = 0; c < CHANGES; c++) {
  const s = (c * 7919) % SERVICES;
  const r = await change(`svc-${s}`, s, nsOf(s));
  if (r.timeout) timeouts++;
  else propagation.push(r.propagationMs);
  applyTimes.push(r.applyMs);
}
const cpu = process.cpuUsage(cpu0);
const churnWallMs = now() - tChurn;
const cpuMsPerChange = (cpu.user + cpu.system) / 1000 / CHANGES;

log('fan-out: the cost of a change by the number of proxies subscribed to it');
const fanout = {};
const ROUNDS = quick ? 10 : 30;
for (const n of FANOUTS) {
  const prop = [];
  const apply = [];
  for (let k = 0; k < ROUNDS; k++) {
    const r = await change(`hot-${n}`, 60_000 + n, 'ns-0');
    if (!r.timeout) prop.push(r.propagationMs);
    apply.push(r.applyMs);
  }
  fanout[n] = {
    apply_ms_p50: r2(pct(apply, 50)),
    push_p50_ms: r2(pct(prop, 50)),
    push_p99_ms: r2(pct(prop, 99)),
  };
}

// The same 1-subscriber change after the mesh grows tenfold with services nobody subscribes to.
log(`mesh size: the 1-subscriber change again after adding ${9 * SERVICES} unsubscribed services`);
const grow = [];
for (let i = 0; i < 9 * SERVICES; i++) {
  grow.push(upsert(serviceObj(`idle-${i}`, nsOf(i))), upsert(sliceObj(`idle-${i}`, nsOf(i), 100_000 + i)));
}
cp.apply(grow);
const bigApply = [];
const bigProp = [];
for (let k = 0; k < ROUNDS; k++) {
  const r = await change('hot-1', 60_001, 'ns-0');
  bigApply.push(r.applyMs);
  if (!r.timeout) bigProp.push(r.propagationMs);
}
const meshTenfold = { apply_ms_p50: r2(pct(bigApply, 50)), push_p50_ms: r2(pct(bigProp, 50)) };

// The alternative: recompute and serialize every subscription of every proxy for each change.
log('alternative: naive full recompute of every subscription of every proxy, per change');
const serialize = loadDiscoveryProto().weft.discovery.v1alpha1.Discovery.service.Stream.responseSerialize;
const sessions = cp.discovery.debug();
const naiveMs = [];
for (let k = 0; k < 3; k++) {
  const t0 = now();
  const builder = new ResourceBuilder(cp.state);
  let bytes = 0;
  for (const s of sessions) {
    const ns = s.identity.split('/ns/')[1].split('/')[0];
    const resources = [];
    for (const name of s.subscriptions) {
      const r = builder.resolve(name, ns);
      if (r.type !== 'service') continue;
      const d = builder.destination(r.namespace, r.service, r.port);
      if (d.type === 'destination') resources.push({ name, version: d.version, destination: d.message });
    }
    bytes += serialize({ versionInfo: '1', nonce: '1', resources, removedNames: [] }).length;
  }
  naiveMs.push(now() - t0);
  void bytes;
}
const naive = pct(naiveMs, 50);

// Encoding one change for 100 subscribers: spliced (encode once) vs serialize per subscriber.
const hot = new ResourceBuilder(cp.state).destination('ns-0', `svc-0`, 80);
const encodeRuns = { spliced: [], perSubscriber: [] };
for (let k = 0; k < 20; k++) {
  const message = structuredClone(hot.message);
  const encoder = new ResponseEncoder(serialize);
  let t0 = now();
  for (let i = 0; i < 100; i++)
    encoder.encode(
      String(i),
      String(i),
      [{ name: `svc-0.ns-0:80`, version: hot.version, destination: message }],
      [],
    );
  encodeRuns.spliced.push(now() - t0);
  t0 = now();
  for (let i = 0; i < 100; i++)
    serialize({
      versionInfo: String(i),
      nonce: String(i),
      resources: [{ name: `svc-0.ns-0:80`, version: hot.version, destination: message }],
      removedNames: [],
    });
  encodeRuns.perSubscriber.push(now() - t0);
}
const encode100 = {
  spliced_ms: r2(pct(encodeRuns.spliced, 50)),
  per_subscriber_ms: r2(pct(encodeRuns.perSubscriber, 50)),
};
const deltaApply = pct(applyTimes, 50);

child.send({ type: 'stop' });
await new Promise((r) => child.on('exit', r));
await cp.close();
serving.close();

const endpoints = PER_SERVICE * SERVICES;
const result = {
  proxies: PROXIES,
  services: SERVICES,
  endpoints,
  changes: CHANGES,
  push_p50_ms: r2(pct(propagation, 50)),
  push_p99_ms: r2(pct(propagation, 99)),
  push_max_ms: r2(Math.max(...propagation)),
  timeouts,
  stream_errors: streamErrors,
  rss_mb_empty: r2(rssEmpty),
  rss_mb_mesh: r2(rssMesh),
  rss_mb_connected: r2(rssConnected),
  rss_mb_per_proxy: r2((rssConnected - rssMesh) / PROXIES),
  cpu_ms_per_change: r2(cpuMsPerChange),
  churn_changes_per_s: r2((CHANGES * 1000) / churnWallMs),
  apply_ms_p50: r2(deltaApply),
  fanout,
  mesh_tenfold: meshTenfold,
  mesh_tenfold_apply_ratio: r2(meshTenfold.apply_ms_p50 / (fanout[1]?.apply_ms_p50 ?? Number.NaN)),
  encode_100_subscribers: encode100,
  encode_splice_speedup: r2(encode100.per_subscriber_ms / encode100.spliced_ms),
  naive_full_recompute_ms: r2(naive),
  naive_vs_delta_ratio: r2(naive / deltaApply),
};

console.log('');
console.log(
  `control plane, ${PROXIES} proxies / ${SERVICES} services / ${endpoints} endpoints (${quick ? 'quick' : 'full'} mode)`,
);
console.log(
  `  change -> every subscribed proxy has it: p50 ${result.push_p50_ms} ms, p99 ${result.push_p99_ms} ms, max ${result.push_max_ms} ms (${timeouts} timeouts)`,
);
console.log(
  `  RSS: ${result.rss_mb_empty} MB empty, ${result.rss_mb_mesh} MB with the mesh, ${result.rss_mb_connected} MB connected -> ${result.rss_mb_per_proxy} MB per proxy`,
);
console.log(
  `  CPU per change (incl. ACK handling): ${result.cpu_ms_per_change} ms; apply+fan-out (sync) p50 ${result.apply_ms_p50} ms`,
);
for (const [n, f] of Object.entries(fanout)) {
  console.log(
    `  fan-out ${String(n).padStart(3)} subscribers: apply p50 ${f.apply_ms_p50} ms, push p50 ${f.push_p50_ms} ms, p99 ${f.push_p99_ms} ms`,
  );
}
console.log(
  `  mesh x10 (unsubscribed services): 1-subscriber change apply p50 ${meshTenfold.apply_ms_p50} ms (ratio ${result.mesh_tenfold_apply_ratio} vs before)`,
);
console.log(
  `  encoding a change for 100 subscribers: ${encode100.spliced_ms} ms spliced vs ${encode100.per_subscriber_ms} ms serialized each time (${result.encode_splice_speedup}x)`,
);
console.log(
  `  naive full recompute per change: ${result.naive_full_recompute_ms} ms = ${result.naive_vs_delta_ratio}x the delta push`,
);
console.log(JSON.stringify(result));
