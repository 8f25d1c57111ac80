/** Every connected proxy: identity, version, certificate expiry, config ACK/NACK, and its config on demand. */
import { h, table, until } from './dom.js';
import type { Store } from './store.js';

/** Config bodies fetched this session, by proxy id (the proxy's current config as the control plane serves it). */
const configs = new Map<string, string>();

export function proxiesPage(store: Store, rerender: () => void): HTMLElement {
  const snap = store.latest;
  if (snap === undefined) return h('p', {}, 'Waiting for the first snapshot…');
  const now = snap.at;
  const rows = snap.proxies.map((p) => {
    const rejected = Object.keys(p.rejected);
    const show = async () => {
      if (configs.has(p.id)) configs.delete(p.id);
      else {
        const res = await fetch(`/api/proxy-config?id=${encodeURIComponent(p.id)}`);
        configs.set(p.id, JSON.stringify(await res.json(), null, 2));
      }
      rerender();
    };
    const soon = p.certExpiry !== null && p.certExpiry - now < 3_600_000;
    return [
      `${p.namespace}/${p.workload}`,
      p.service || '–',
      h('code', {}, p.identity),
      p.version,
      h('span', { class: soon ? 'bad' : '' }, until(p.certExpiry, now)),
      rejected.length === 0
        ? h('span', { class: 'ok' }, `ACK (${Object.keys(p.acked).length} resources)`)
        : h('span', { class: 'bad' }, `NACK ${rejected.join(', ')}: ${p.lastNack ?? ''}`),
      p.scrapeError === null ? 'ok' : h('span', { class: 'warn' }, p.scrapeError),
      h(
        'button',
        {
          type: 'button',
          'aria-expanded': configs.has(p.id),
          'data-config': p.id,
          onclick: () => void show(),
        },
        configs.has(p.id) ? 'Hide config' : 'Show config',
      ),
    ];
  });
  const shown = snap.proxies.filter((p) => configs.has(p.id));
  return h(
    'section',
    { 'aria-labelledby': 'px-h' },
    h('h2', { id: 'px-h' }, `Proxies (${snap.proxies.length})`),
    table(
      'Connected proxies',
      ['workload', 'service', 'identity', 'version', 'certificate expires', 'config', 'metrics', ''],
      rows,
      { class: 'proxies' },
    ),
    ...shown.map((p) =>
      h(
        'div',
        { class: 'config' },
        h('h3', {}, `Config of ${p.namespace}/${p.workload} (as the control plane serves it)`),
        h('pre', { tabindex: 0 }, configs.get(p.id) ?? ''),
      ),
    ),
  );
}
