/** The control plane: Certify, pushes, streams, rejected resources with their reasons, trust expiry. */
import { h, ms, rps, table, until } from './dom.js';
import type { Store } from './store.js';

export function controlPlanePage(store: Store): HTMLElement {
  const snap = store.latest;
  if (snap === undefined) return h('p', {}, 'Waiting for the first snapshot…');
  const cp = snap.controlPlane;
  const failures = Object.entries(cp.certifyFailuresTotal);
  const stat = (label: string, value: string, cls = '') =>
    h('div', { class: `stat ${cls}` }, h('dt', {}, label), h('dd', {}, value));
  const soon = (t: number | null) => (t !== null && t - snap.at < 30 * 86_400_000 ? 'bad' : '');
  const local = snap.mode === 'local';
  return h(
    'section',
    { 'aria-labelledby': 'cp-h' },
    h('h2', { id: 'cp-h' }, 'Control plane'),
    h(
      'dl',
      { class: 'stats' },
      stat('Certify', `${rps(cp.certifyPerSecond)} /s`),
      stat(
        'Certify failures',
        failures.length === 0 ? '0' : failures.map(([k, v]) => `${k}: ${v}`).join(', '),
        failures.length > 0 ? 'bad' : '',
      ),
      stat('Pushes', `${rps(cp.pushesPerSecond)} /s`),
      stat('Push latency p50 / p99', `${ms(cp.pushLatencyP50Ms)} / ${ms(cp.pushLatencyP99Ms)}`),
      stat('Streams (connected proxies)', String(cp.connectedProxies)),
      stat('Subscriptions', String(cp.subscriptions)),
      stat(
        'ACKs / NACKs',
        `${rps(cp.acksPerSecond)} / ${rps(cp.nacksPerSecond)} per s`,
        cp.nacksPerSecond > 0 ? 'bad' : '',
      ),
      stat('Streams closed (overflow)', String(cp.streamOverflowsTotal)),
      stat('Trust anchor expires', until(cp.anchorExpiry, snap.at), soon(cp.anchorExpiry)),
      stat('Issuer expires', until(cp.issuerExpiry, snap.at), soon(cp.issuerExpiry)),
    ),
    table(
      `Rejected resources (${snap.mesh.rejected.length})`,
      local ? ['where', 'resource', 'reason'] : ['object', 'condition', 'reason'],
      snap.mesh.rejected.map((r) =>
        local
          ? [h('code', {}, r.location ?? '–'), r.resource, h('span', { class: 'bad' }, r.message)]
          : [r.object ?? r.resource, r.condition ?? '–', h('span', { class: 'bad' }, r.message)],
      ),
      { class: 'rejected' },
    ),
    snap.mesh.rejected.length === 0 ? h('p', { class: 'ok' }, 'Every resource is accepted.') : null,
    h(
      'p',
      { class: 'muted' },
      `Model version ${snap.mesh.version}; trust domain ${snap.mesh.trustDomain}; tracing ${snap.mesh.tracingEndpoint || 'off'}.`,
    ),
  );
}
