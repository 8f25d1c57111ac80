#!/usr/bin/env node
import { fork } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadDiscoveryProto } from '@weft/api';
import {
  addIdentityService,
  ControlPlane,
  createIdentityServerCredentials,
  DEFAULT_CERTIFY_PACE,
  joinTokenValidator,
  ResourceBuilder,
  ResponseEncoder,
} from '@weft/control-plane';
import { CertificateAuthority, createIdentityMaterial, createJoinToken, TrustBundle } from '@weft/pki';
// Control-plane benchmark: N simulated proxies (real gRPC Discovery streams over mTLS, spread over
// K load-generating child processes; each proxy gets its certificate through Certify) subscribed
// across S services with E endpoints; endpoint churn; reports the latency from a change to every
// subscribed proxy having it (p50/p99), control-plane RSS per connected proxy, CPU per change, how
// the cost of a change grows with its subscribers and not with the size of the mesh, a full resync
// after a control-plane restart (every proxy reconnects and re-Certifies with the sidecar's
// backoff, Certify paced by the CA's CertifyPacer), and the same change computed the naive way
// (recompute and serialize every subscription of every proxy) for comparison. The last line is a
// JSON object.
//
//   npm run bench:control-plane                # 1,000 proxies, 1,000 services, 10,000 endpoints
//   npm run bench:control-plane -- --quick     # 100 / 100 / 1,000, for development
//   npm run bench:control-plane -- --proxies 10000 --services 10000 --endpoints 100000
// Options: --load-processes K (default: one per 2,500 proxies), --certify-rate R (CA pace, per s;
// default the control plane's), --resync cold|warm (re-Certify on reconnect or not; default cold),
// --no-restart, --time-limit S (hard limit for the whole run, default 1,200 s; exits 2 past it),
// --load-nice N (niceness of the load processes, default 19).
import { silentLogger } from '@weft/runtime';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const flag = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const word = (name, dflt, allowed) => {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? argv[i + 1] : dflt;
  if (!allowed.includes(v)) throw new Error(`--${name} must be one of ${allowed.join(', ')}`);
  return v;
};
const PROXIES = flag('proxies', quick ? 100 : 1000);
const SERVICES = flag('services', quick ? 100 : 1000);
const ENDPOINTS = flag('endpoints', quick ? 1000 : 10_000);
const CHANGES = flag('changes', quick ? 40 : 200);
const SUBS_PER_PROXY = 5;
const NAMESPACES = 10;
const PER_SERVICE = Math.max(1, Math.round(ENDPOINTS / SERVICES));
const FANOUTS = [1, 10, 100].filter((n) => n <= PROXIES);
const LOAD_PROCESSES = flag('load-processes', Math.min(8, Math.max(1, Math.ceil(PROXIES / 2500))));
const CERTIFY_PACE = {
  ...DEFAULT_CERTIFY_PACE,
  perSecond: flag('certify-rate', DEFAULT_CERTIFY_PACE.perSecond),
};
const RESYNC = word('resync', 'cold', ['cold', 'warm']);
const RESTART = !argv.includes('--no-restart');
const TIME_LIMIT_S = flag('time-limit', 1200);
// Load processes run below the control plane (niceness 19 by default) so that on a shared machine
// the CPU they need does not come out of the control plane's share.
const LOAD_NICE = flag('load-nice', 19);
// Ten times the services with ten endpoints each is a million endpoints past 10k services: skipped.
const TENFOLD = SERVICES <= 2000;
if (!(LOAD_PROCESSES >= 1) || !Number.isInteger(LOAD_PROCESSES))
  throw new Error('--load-processes must be a positive integer');

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
const tokenKey = generateKeyPairSync('ed25519').privateKey;
const validator = joinTokenValidator({ key: tokenKey, trustDomain: 'cluster.local' });

/** A control plane serving Discovery and Certify (join tokens, paced issuance) on `address`. */
function makeControlPlane(address) {
  return new ControlPlane({
    sources: [source],
    credentials: serving.credentials,
    grpcAddress: address,
    logger: silentLogger(),
    configureServer: (server) => addIdentityService(server, { ca, validator, pace: CERTIFY_PACE }),
  });
}

// A hard bound on the whole run: the machine is shared.
const children = [];
const limit = setTimeout(() => {
  log(`time limit of ${TIME_LIMIT_S} s reached; stopping`);
  for (const c of children) c.kill('SIGKILL');
  process.exit(2);
}, TIME_LIMIT_S * 1000);
limit.unref();
const load0 = loadavg();
const tStart = now();

let cp = makeControlPlane('127.0.0.1:0');
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
  const token = await createJoinToken({
    key: tokenKey,
    trustDomain: 'cluster.local',
    namespace: nsOf(j),
    serviceAccount: `sa-${j}`,
    ttlMs: 86_400_000,
    now: Date.now(),
  });
  proxies.push({ index: j, workload: `proxy-${j}`, namespace: nsOf(j), names, token });
}
const rssMesh = rssMb();

// Every proxy's arrivals: `synced` counts proxies with their subscriptions answered since `phase`
// began; `certify` holds [time, outcome] of every Certify answer.
const waiting = new Map(); // change id -> { need, got, last, resolve }
const sync = { count: 0, last: 0, target: 0, resolve: undefined };
const certifyLog = [];
let streamErrors = 0;
const loadCpuMs = new Map(); // child -> its CPU time so far (ms), from its latest report
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
/** CPU seconds (control plane, load processes) since `from`, a result of `cpuMark()`. */
const cpuMark = () => ({ cp: cpuMs(), load: [...loadCpuMs.values()].reduce((a, b) => a + b, 0) });
const cpuSince = (from) => {
  const to = cpuMark();
  return { control_plane_cpu_s: r2((to.cp - from.cp) / 1000), load_cpu_s: r2((to.load - from.load) / 1000) };
};
function onReport(m, child) {
  loadCpuMs.set(child, m.cpuMs);
  streamErrors += m.errors;
  for (const c of m.certify) certifyLog.push(c);
  for (const [, t] of m.synced) {
    sync.count++;
    sync.last = Math.max(sync.last, t);
    if (sync.count === sync.target) sync.resolve?.();
  }
  for (const [id, , t] of m.seen) {
    const w = waiting.get(id);
    if (w === undefined) continue;
    w.got++;
    w.last = Math.max(w.last, t);
    if (w.got === w.need) w.resolve();
  }
}
/** Resolves when `PROXIES` proxies have synced since this call, or with 'timeout' after `ms`. */
function allSynced(ms) {
  sync.count = 0;
  sync.last = 0;
  sync.target = PROXIES;
  const t0 = now();
  const progress = setInterval(() => {
    const c = certifyStats(t0, now()).outcomes;
    log(`  ... ${Math.round((now() - t0) / 1000)} s: ${sync.count} synced; Certify ${JSON.stringify(c)}`);
  }, 30_000);
  progress.unref();
  return Promise.race([
    new Promise((resolve) => {
      sync.resolve = resolve;
    }),
    new Promise((resolve) => setTimeout(() => resolve('timeout'), ms).unref()),
  ]).finally(() => clearInterval(progress));
}
/** Certify answers in [from, to): issued, refused by reason, and the peak issuance per second. */
function certifyStats(from, to) {
  const outcomes = {};
  const perSecond = new Map();
  for (const [t, outcome] of certifyLog) {
    if (t < from || t >= to) continue;
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    if (outcome === 'issued') {
      const s = Math.floor((t - from) / 1000);
      perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
    }
  }
  const issued = outcomes.issued ?? 0;
  return {
    outcomes,
    issued_per_s_peak: Math.max(0, ...perSecond.values()),
    issued_per_s_mean: r2((issued * 1000) / Math.max(1, to - from)),
  };
}

const tConnect = now();
const cpuConnect = cpuMark();
const connected = allSynced(TIME_LIMIT_S * 1000);
const shares = Array.from({ length: LOAD_PROCESSES }, () => []);
for (const p of proxies) shares[p.index % LOAD_PROCESSES].push(p);
for (const share of shares) {
  const child = fork(fileURLToPath(new URL('./proxies.mjs', import.meta.url)), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  child.on('message', (m) => {
    if (m.type === 'ready')
      child.send({
        type: 'start',
        port: grpcPort,
        ca: anchors.toPem(),
        resync: RESYNC,
        nice: LOAD_NICE,
        proxies: share,
      });
    else if (m.type === 'report') onReport(m, child);
  });
}
log(
  `connecting ${PROXIES} proxies (${LOAD_PROCESSES} load processes; each proxy: Certify, then mTLS Discovery with ${SUBS_PER_PROXY} subscriptions)...`,
);
await connected;
const connectS = (now() - tConnect) / 1000;
const connectCertify = certifyStats(tConnect, now());
const connectCpu = cpuSince(cpuConnect);
log(`  all subscribed in ${r2(connectS)} s; Certify ${JSON.stringify(connectCertify)}`);
await new Promise((r) => setTimeout(r, 500));
const rssConnected = rssMb();
const connectErrors = streamErrors;

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

// ---- restart ----------------------------------------------------------------------------------
// The control plane stops (ending every stream) and a new one starts on the same port with the
// same CA and mesh; every proxy reconnects (and, in cold mode, re-Certifies) with its backoff.
let restart;
if (RESTART) {
  log(`restart: the control plane stops and starts again; ${PROXIES} proxies resync (${RESYNC})`);
  const tDown = now();
  const errorsBefore = streamErrors;
  const cpuRestart = cpuMark();
  const resynced = allSynced(Math.min(300_000, TIME_LIMIT_S * 1000 - (now() - tStart) - 60_000));
  await cp.close();
  const tClosed = now();
  cp = makeControlPlane(`127.0.0.1:${grpcPort}`);
  cp.apply(events);
  await cp.start();
  const tUp = now();
  const outcome = await resynced;
  const tDone = outcome === 'timeout' ? now() : sync.last;
  restart = {
    resynced: sync.count,
    timed_out: outcome === 'timeout',
    close_ms: Math.round(tClosed - tDown),
    down_ms: Math.round(tUp - tDown),
    resync_s_from_stop: r2((tDone - tDown) / 1000),
    resync_s_from_serving: r2((tDone - tUp) / 1000),
    stream_breaks: streamErrors - errorsBefore,
    certify: certifyStats(tDown, tDone + 1),
    ...cpuSince(cpuRestart),
  };
  log(`  ${JSON.stringify(restart)}`);
}

let meshTenfold = { apply_ms_p50: Number.NaN, push_p50_ms: Number.NaN };
if (TENFOLD) {
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
  meshTenfold = { apply_ms_p50: r2(pct(bigApply, 50)), push_p50_ms: r2(pct(bigProp, 50)) };
} else {
  log('mesh size: the tenfold step is skipped past 2,000 services (it would add a million endpoints)');
}

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

await Promise.all(
  children.map((c) => {
    const exited = new Promise((r) => c.on('exit', r));
    c.send({ type: 'stop' });
    return exited;
  }),
);
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
  load_processes: LOAD_PROCESSES,
  loadavg_1m_start: r2(load0[0]),
  loadavg_1m_end: r2(loadavg()[0]),
  connect_s: r2(connectS),
  connect_certify: connectCertify,
  connect_cpu: connectCpu,
  connect_stream_errors: connectErrors,
  certify_pace_per_s: CERTIFY_PACE.perSecond,
  certify_pace_max_wait_ms: CERTIFY_PACE.maxWaitMs,
  resync_mode: RESYNC,
  restart,
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
  `  cold start: ${PROXIES} proxies certified and subscribed in ${result.connect_s} s (${LOAD_PROCESSES} load processes; Certify paced at ${CERTIFY_PACE.perSecond}/s, peak ${connectCertify.issued_per_s_peak}/s); CPU ${connectCpu.control_plane_cpu_s} s control plane, ${connectCpu.load_cpu_s} s load`,
);
if (restart !== undefined) {
  console.log(
    `  restart (${RESYNC}): ${restart.resynced}/${PROXIES} resynced ${restart.resync_s_from_stop} s after the stop (${restart.resync_s_from_serving} s after serving again; down ${restart.down_ms} ms); Certify ${JSON.stringify(restart.certify.outcomes)}, peak ${restart.certify.issued_per_s_peak}/s`,
  );
}
console.log(`  load average (1 min): ${result.loadavg_1m_start} at start, ${result.loadavg_1m_end} at end`);
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
