/**
 * One service: golden metrics over time per route and per backend (charts), the configured split
 * beside the measured one, retries and retry-budget exhaustion, ejected endpoints, and the
 * endpoints with their identity and readiness.
 */
import { chart, type Series } from './charts.js';
import { h, ms, pct, rps, table } from './dom.js';
import { jaegerSearch, type Store, serviceOfAuthority } from './store.js';
import type { BackendStats, ServiceView, Snapshot } from './types.js';

/** Requests that went to a backend (attempts less retries) per second. */
const requestsOf = (b: BackendStats | undefined) =>
  b === undefined ? 0 : Math.max(0, b.attemptsPerSecond - b.retriesPerSecond);

function routesOf(snap: Snapshot, ns: string, name: string) {
  return snap.routes.filter((r) => {
    const a = serviceOfAuthority(r.authority);
    return a.name === name && (a.namespace === undefined || a.namespace === ns);
  });
}

function seriesOver(
  store: Store,
  pick: (s: Snapshot) => Map<string, number | null>,
): { times: number[]; series: Series[] } {
  const labels = new Set<string>();
  const rows = store.history.map((snap) => pick(snap));
  for (const r of rows) for (const k of r.keys()) labels.add(k);
  return {
    times: store.history.map((x) => x.at),
    series: [...labels].sort().map((label) => ({ label, values: rows.map((r) => r.get(label) ?? null) })),
  };
}

/** Snapshots the measured split is taken over: 5 × 2 s, so retries that end later than their attempts even out. */
const SPLIT_WINDOW = 5;

function splitSection(store: Store, svc: ServiceView | undefined) {
  const recent = store.history.slice(-SPLIT_WINDOW);
  const requests = (backend: string) =>
    Math.max(
      0,
      recent.reduce((n, x) => n + requestsOf(x.backends.find((b) => b.backend === backend)), 0) /
        Math.max(1, recent.length),
    );
  const rows: Array<Array<string | Node>> = [];
  for (const port of svc?.ports ?? []) {
    for (const route of port.routes) {
      const total = route.backends.reduce((n, b) => n + b.weight, 0);
      const measured = route.backends.map((b) => requests(b.backend));
      const sum = measured.reduce((n, v) => n + v, 0);
      route.backends.forEach((b, i) => {
        const share = sum > 0 ? (measured[i] ?? 0) / sum : null;
        rows.push([
          `${port.port} ${route.name || '(default)'}`,
          b.backend,
          total > 0 ? `${((b.weight / total) * 100).toFixed(0)}% (weight ${b.weight})` : `weight ${b.weight}`,
          h(
            'span',
            { 'data-backend': b.backend, 'data-measured': share === null ? '' : share.toFixed(4) },
            share === null ? '–' : `${(share * 100).toFixed(1)}%`,
          ),
          rps(measured[i] ?? 0),
        ]);
      });
    }
  }
  return table(
    'Split: configured weights beside the measured split (last 2 s)',
    ['port / route', 'backend', 'configured', 'measured', 'req/s'],
    rows,
    { class: 'split' },
  );
}

export function servicePage(store: Store, ns: string, name: string): HTMLElement {
  const snap = store.latest;
  if (snap === undefined) return h('p', {}, 'Waiting for the first snapshot…');
  const node = snap.workloads.find((w) => w.id === `${ns}/${name}`);
  const svc = snap.mesh.services.find((x) => x.namespace === ns && x.name === name);
  const backendNames = new Set<string>();
  for (const p of svc?.ports ?? [])
    for (const r of p.routes) for (const b of r.backends) backendNames.add(b.backend);
  const backends = snap.backends.filter((b) => backendNames.has(b.backend));
  const jaeger = jaegerSearch(store, name);
  const routeKey = (r: { route: string; authority: string }) => `${r.route || '(default)'} ${r.authority}`;
  const rpsChart = seriesOver(store, (x) => new Map(routesOf(x, ns, name).map((r) => [routeKey(r), r.rps])));
  const okChart = seriesOver(
    store,
    (x) =>
      new Map(
        routesOf(x, ns, name).map((r) => [routeKey(r), r.successRate === null ? null : r.successRate * 100]),
      ),
  );
  const latChart = seriesOver(store, (x) => {
    const m = new Map<string, number | null>();
    for (const r of routesOf(x, ns, name)) {
      m.set(`p50 ${r.route || '(default)'}`, r.p50Ms);
      m.set(`p95 ${r.route || '(default)'}`, r.p95Ms);
      m.set(`p99 ${r.route || '(default)'}`, r.p99Ms);
    }
    return m;
  });
  const backendChart = seriesOver(
    store,
    (x) =>
      new Map(x.backends.filter((b) => backendNames.has(b.backend)).map((b) => [b.backend, requestsOf(b)])),
  );
  const backendOk = seriesOver(
    store,
    (x) =>
      new Map(
        x.backends
          .filter((b) => backendNames.has(b.backend))
          .map((b) => [
            b.backend,
            b.attemptsPerSecond > 0 ? (1 - b.failuresPerSecond / b.attemptsPerSecond) * 100 : null,
          ]),
      ),
  );
  const ejected = new Map<string, number>();
  for (const x of store.history)
    for (const b of x.backends)
      if (backendNames.has(b.backend))
        for (const [ep, n] of Object.entries(b.ejections))
          ejected.set(`${b.backend} ${ep}`, (ejected.get(`${b.backend} ${ep}`) ?? 0) + n);
  const endpointRows: Array<Array<string | Node>> = [];
  for (const target of [name, ...[...backendNames].map((b) => serviceOfAuthority(b).name)]) {
    const view = snap.mesh.services.find((x) => x.namespace === ns && x.name === target);
    for (const p of view?.ports ?? [])
      for (const e of p.endpoints)
        endpointRows.push([
          target,
          String(p.port),
          e.address,
          e.identity || '(none)',
          e.ready ? h('span', { class: 'ok' }, 'ready') : h('span', { class: 'warn' }, 'not ready'),
        ]);
  }
  return h(
    'section',
    { 'aria-labelledby': 'svc-h' },
    h('h2', { id: 'svc-h' }, `Service ${ns}/${name}`),
    h(
      'p',
      {},
      node === undefined
        ? 'No proxy serves this service (its callers’ numbers are below).'
        : `Inbound: ${rps(node.rps)} req/s · success ${pct(node.successRate)} · p50 ${ms(node.p50Ms)} · p95 ${ms(node.p95Ms)} · p99 ${ms(node.p99Ms)} · ${node.proxies} proxies`,
      jaeger === undefined
        ? null
        : h('a', { href: jaeger, target: '_blank', rel: 'noreferrer', class: 'jaeger' }, ' Traces in Jaeger'),
    ),
    h('h3', {}, 'Per route (as its clients saw it)'),
    h(
      'div',
      { class: 'charts' },
      chart('Requests', 'req/s', rpsChart.times, rpsChart.series),
      chart('Success', '%', okChart.times, okChart.series),
      chart('Latency', 'ms', latChart.times, latChart.series),
    ),
    h('h3', {}, 'Per backend'),
    splitSection(store, svc),
    h(
      'div',
      { class: 'charts' },
      chart('Requests per backend', 'req/s', backendChart.times, backendChart.series),
      chart('Attempt success per backend', '%', backendOk.times, backendOk.series),
    ),
    table(
      'Retries and retry budget (last 2 s)',
      [
        'backend',
        'attempts/s',
        'failed attempts/s',
        'retries/s',
        'retry budget exhausted/s',
        'other stops/s',
      ],
      backends.map((b) => {
        const stops = Object.entries(b.retryStopsPerSecond);
        const budget = b.retryStopsPerSecond['budget-exhausted'] ?? 0;
        return [
          b.backend,
          rps(b.attemptsPerSecond),
          rps(b.failuresPerSecond),
          rps(b.retriesPerSecond),
          budget > 0 ? h('span', { class: 'bad' }, rps(budget)) : '0',
          stops
            .filter(([k, v]) => k !== 'budget-exhausted' && v > 0)
            .map(([k, v]) => `${k} ${rps(v)}`)
            .join(', ') || '–',
        ];
      }),
    ),
    table(
      'Ejected endpoints (outlier detection, last 5 min)',
      ['backend endpoint', 'ejections'],
      [...ejected].map(([k, n]) => [k, String(n)]),
    ),
    table('Endpoints', ['service', 'port', 'address', 'identity', 'readiness'], endpointRows, {
      class: 'endpoints',
    }),
  );
}
