/** The dashboard page: theme, hash routes, the event stream, and re-rendering that keeps focus. */
import { controlPlanePage } from './control-plane-page.js';
import { h } from './dom.js';
import { graphPage } from './graph-page.js';
import { proxiesPage } from './proxies-page.js';
import { servicePage } from './service-page.js';
import { newStore, push, type Store } from './store.js';
import type { Info, Snapshot } from './types.js';

const NAV: Array<[string, string]> = [
  ['#/graph', 'Service graph'],
  ['#/proxies', 'Proxies'],
  ['#/control-plane', 'Control plane'],
];

function theme(): 'light' | 'dark' {
  const saved = localStorage.getItem('weft-theme');
  if (saved === 'light' || saved === 'dark') return saved;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function render(store: Store, root: HTMLElement): void {
  const hash = location.hash || '#/graph';
  // Keep keyboard focus across re-renders: refocus the element with the same key.
  const focused = document.activeElement;
  const key =
    focused?.getAttribute('data-node') ??
    focused?.getAttribute('data-edge') ??
    focused?.getAttribute('data-config') ??
    focused?.getAttribute('href');
  const go = (to: string) => {
    location.hash = to;
  };
  const rerender = () => render(store, root);
  let page: HTMLElement;
  const service = /^#\/service\/([^/]+)\/([^/]+)$/.exec(hash);
  if (service !== null)
    page = servicePage(store, decodeURIComponent(service[1] ?? ''), decodeURIComponent(service[2] ?? ''));
  else if (hash === '#/proxies') page = proxiesPage(store, rerender);
  else if (hash === '#/control-plane') page = controlPlanePage(store);
  else page = graphPage(store, go);
  const main = h(
    'main',
    { id: 'main', tabindex: -1 },
    store.problem === undefined
      ? null
      : h('p', { class: 'banner bad', role: 'alert' }, `Cannot read the mesh: ${store.problem}`),
    page,
  );
  const nav = h(
    'nav',
    { 'aria-label': 'pages' },
    ...NAV.map(([href, label]) =>
      h('a', { href, ...(hash.startsWith(href) ? { 'aria-current': 'page' } : {}) }, label),
    ),
  );
  const toggle = h(
    'button',
    {
      type: 'button',
      class: 'theme',
      onclick: () => {
        const next = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
        localStorage.setItem('weft-theme', next);
        document.documentElement.dataset.theme = next;
        rerender();
      },
    },
    document.documentElement.dataset.theme === 'dark' ? 'Light theme' : 'Dark theme',
  );
  const updated =
    store.latest === undefined ? 'connecting…' : `updated ${new Date(store.latest.at).toLocaleTimeString()}`;
  const header = h(
    'header',
    {},
    h('a', { href: '#main', class: 'skip' }, 'Skip to content'),
    h('h1', {}, 'weft'),
    h('span', { class: 'muted' }, `${store.info.mode} · ${updated}`),
    nav,
    toggle,
  );
  root.replaceChildren(header, main);
  if (key !== null && key !== undefined) {
    const again = root.querySelector<HTMLElement | SVGElement>(
      `[data-node="${CSS.escape(key)}"], [data-edge="${CSS.escape(key)}"], [data-config="${CSS.escape(key)}"], [href="${CSS.escape(key)}"]`,
    );
    (again as HTMLElement | null)?.focus({ preventScroll: true });
  }
  // For the bench: when the first page with data rendered, relative to navigation start.
  if (store.latest !== undefined && performance.getEntriesByName('weft:data-rendered').length === 0)
    performance.mark('weft:data-rendered');
  document.title = `weft · ${NAV.find(([href]) => hash.startsWith(href))?.[1] ?? 'Service'}`;
}

async function start(): Promise<void> {
  document.documentElement.dataset.theme = theme();
  const root = document.getElementById('app') as HTMLElement;
  const info = (await (await fetch('/api/info')).json()) as Info;
  const store = newStore(info);
  render(store, root);
  window.addEventListener('hashchange', () => {
    render(store, root);
    document.getElementById('main')?.focus({ preventScroll: true });
  });
  const events = new EventSource('/api/events');
  events.addEventListener('snapshot', (ev) => {
    push(store, JSON.parse((ev as MessageEvent<string>).data) as Snapshot);
    render(store, root);
    document.body.dataset.sequence = String(store.latest?.sequence ?? 0);
  });
  events.addEventListener('problem', (ev) => {
    store.problem = (JSON.parse((ev as MessageEvent<string>).data) as { error: string }).error;
    render(store, root);
  });
}

void start();
