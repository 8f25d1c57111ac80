/** The service graph: workloads as nodes, edges from each server proxy's view of its clients. */
import { h, ms, pct, rps, s, table } from './dom.js';
import { layered } from './layout.js';
import { jaegerSearch, type Store } from './store.js';
import type { Edge } from './types.js';

const W = 200;
const H = 56;

function nodeLabel(id: string): string {
  if (id === 'unmeshed') return 'unmeshed clients';
  if (id.startsWith('identity:')) return id.slice('identity:'.length).replace(/^spiffe:\/\/[^/]+\//, '');
  return id.split('/')[1] ?? id;
}

const edgeText = (e: Edge) =>
  `${rps(e.rps)} rps · ${pct(e.successRate)} · p99 ${ms(e.p99Ms)}${e.forbiddenPerSecond > 0 ? ` · ${rps(e.forbiddenPerSecond)}/s denied` : ''}`;

export function graphPage(store: Store, go: (hash: string) => void): HTMLElement {
  const snap = store.latest;
  if (snap === undefined) return h('p', {}, 'Waiting for the first snapshot…');
  const active = snap.edges.filter((e) => e.rps > 0 || e.forbiddenPerSecond > 0);
  const ids = new Set(snap.workloads.map((w) => w.id));
  for (const e of active) ids.add(e.from).add(e.to);
  const { placed, width, height } = layered(
    { nodes: [...ids], edges: active },
    { columnWidth: 500, rowHeight: 110, margin: 20 },
  );
  const svg = s('svg', {
    class: 'graph',
    viewBox: `0 0 ${width + W} ${height + H}`,
    // Scales down to the page's width (viewBox), never up past its natural size.
    style: `max-width: ${width + W}px`,
    role: 'group',
    'aria-label': 'service graph',
  });
  svg.append(
    s(
      'defs',
      {},
      s(
        'marker',
        {
          id: 'arrow',
          viewBox: '0 0 10 10',
          refX: 10,
          refY: 5,
          markerWidth: 8,
          markerHeight: 8,
          orient: 'auto-start-reverse',
        },
        s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' }),
      ),
    ),
  );
  for (const e of active) {
    const a = placed.get(e.from);
    const b = placed.get(e.to);
    if (a === undefined || b === undefined) continue;
    const x1 = a.x + W;
    const y1 = a.y + H / 2;
    const x2 = b.x;
    const y2 = b.y + H / 2;
    const mid = (x1 + x2) / 2;
    const cls = `edge ${e.mtls ? 'mtls' : 'plaintext'}${e.forbiddenPerSecond > 0 ? ' denied' : ''}`;
    const label = `${nodeLabel(e.from)} to ${nodeLabel(e.to)}: ${e.mtls ? 'mTLS' : 'plaintext'}, ${edgeText(e)}`;
    const g = s(
      'g',
      {
        class: cls,
        tabindex: 0,
        role: 'img',
        'aria-label': label,
        'data-edge': `${e.from}->${e.to}`,
        'data-rps': e.rps.toFixed(3),
      },
      s('title', {}, label),
      s('path', {
        d: `M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2} ${y2}`,
        'marker-end': 'url(#arrow)',
      }),
      s(
        'text',
        { x: mid, y: (y1 + y2) / 2 - 8, 'text-anchor': 'middle', class: 'edge-label' },
        `${e.mtls ? 'mTLS' : 'PLAINTEXT'} · ${edgeText(e)}`,
      ),
    );
    svg.append(g);
  }
  for (const id of ids) {
    const p = placed.get(id);
    if (p === undefined) continue;
    const w = snap.workloads.find((x) => x.id === id);
    const go2 = () => go(`#/service/${id}`);
    const g = s(
      'g',
      {
        class: `node${w === undefined ? ' external' : ''}`,
        transform: `translate(${p.x} ${p.y})`,
        'data-node': id,
        ...(w === undefined
          ? {}
          : {
              tabindex: 0,
              role: 'link',
              'aria-label': `service ${id}: ${rps(w.rps)} requests per second, success ${pct(w.successRate)}`,
            }),
      },
      s('rect', { width: W, height: H, rx: 8 }),
      s('text', { x: 10, y: 22, class: 'node-name' }, nodeLabel(id)),
      w === undefined
        ? null
        : s(
            'text',
            { x: 10, y: 42, class: 'node-stats' },
            `${w.proxies}${w.unreachable > 0 ? `/${w.proxies + w.unreachable}` : ''} proxies · ${rps(w.rps)} rps · ${pct(w.successRate)}`,
          ),
    );
    if (w !== undefined) {
      g.addEventListener('click', go2);
      g.addEventListener('keydown', (ev) => {
        if ((ev as KeyboardEvent).key === 'Enter' || (ev as KeyboardEvent).key === ' ') go2();
      });
    }
    svg.append(g);
  }
  const rows = snap.edges.map((e) => {
    const jaeger = e.to.includes('/')
      ? jaegerSearch(
          store,
          e.to.split('/')[1] ?? '',
          e.clientIdentity === '' ? undefined : { 'weft.peer.identity': e.clientIdentity },
        )
      : undefined;
    return [
      nodeLabel(e.from),
      h('a', { href: `#/service/${e.to}` }, nodeLabel(e.to)),
      e.mtls ? h('span', { class: 'ok' }, 'mTLS') : h('span', { class: 'warn' }, 'plaintext'),
      rps(e.rps),
      pct(e.successRate),
      ms(e.p99Ms),
      e.forbiddenPerSecond > 0 ? h('span', { class: 'bad' }, `${rps(e.forbiddenPerSecond)}/s`) : '0',
      jaeger === undefined ? '–' : h('a', { href: jaeger, target: '_blank', rel: 'noreferrer' }, 'traces'),
    ];
  });
  return h(
    'section',
    { 'aria-labelledby': 'graph-h' },
    h('h2', { id: 'graph-h' }, 'Service graph'),
    h(
      'p',
      { class: 'muted' },
      'Edges come from each server proxy’s metrics: the client identity it verified → the server. Solid green: mTLS; dashed amber: plaintext; red: denials. Denied: 403 answers (authorization denials) per second.',
    ),
    h('div', { class: 'graph-wrap' }, svg),
    table(
      'Edges (last 2 s)',
      ['client', 'server', 'transport', 'req/s', 'success', 'p99', 'denied', 'Jaeger'],
      rows,
      { class: 'edges' },
    ),
  );
}
